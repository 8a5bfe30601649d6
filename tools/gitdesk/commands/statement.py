"""``gitdesk statement``: the monthly statements, as text, JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import sys

import click

from .. import charges, sla
from ..loader import scan
from . import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root, report_problems
from .sla import customer_option, month_option

def _works(context, ticket, customer=None):
    """Per-ticket task for the loader: the charges of every intervention of the ticket."""
    if customer is not None and ticket.customer != customer:
        return ()
    if not ticket.interventions:
        return ()
    # Charges count everything recorded: the ticket is evaluated at its latest moment.
    return tuple(charges.ticket_charges(context, ticket, sla.evaluate(context, ticket, sla.as_recorded(ticket))))


def compute_statements(repository, month: str, customer=None) -> list:
    """Every customer's statement for ``month`` (from the works the load computed)."""
    by_customer: dict[str, list] = {}
    for works in repository.results.values():
        for w in works or ():
            by_customer.setdefault(w.customer, []).append(w)
    ids = [customer] if customer is not None else sorted(repository.customers)
    return [charges.statement(repository, cid, month, by_customer.get(cid, [])) for cid in ids]


def load_with_works(repo, no_cache, jobs, customer=None):
    root = repo_root(repo)
    found = scan(root)
    task = functools.partial(_works, customer=customer)
    repository = load_repository(found, open_cache(root, no_cache), jobs, keep_tickets=False, task=task)
    report_problems(repository)
    if customer is not None and customer not in repository.customers:
        raise click.BadParameter(f"no customer {customer!r} in {root}", param_hint="'--customer'")
    return repository


@click.group("statement", invoke_without_command=True)
@repo_option
@month_option()
@customer_option()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text: a statement a customer can read; json: the data format's shape; csv: one row per line, for accounting.")
@cache_option
@jobs_option
@click.pass_context
def command(ctx, repo, month, customer, fmt, no_cache, jobs):
    """The statement of every customer (or one) for a month.

    Labour rounded up to the plan's increment with its minimum, call-out
    fees, parts, phone minutes beyond the included ones, the contract fee and
    packages bought; every reduction (warranty, free repeat visit, late
    arrival, prepaid hours) as a discount line with its reason; taxable
    amount, VAT and total.
    """
    if ctx.invoked_subcommand is not None:
        return
    if month is None:
        raise click.UsageError("Missing option '--month' (e.g. --month 2026-11).")
    repository = load_with_works(repo, no_cache, jobs, customer)
    statements = compute_statements(repository, month, customer)
    if fmt == "json":
        data = [s.as_json() for s in statements]
        click.echo(json.dumps(data[0] if customer is not None else data, indent=1, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(render_csv(statements), nl=False)
    else:
        click.echo("\n\n".join(render_text(repository, s) for s in statements))


CSV_FIELDS = ["customer", "month", "date", "ticket", "kind", "reason", "description", "quantity", "unit_price", "amount"]


def render_csv(statements) -> str:
    """One row per line; then a row of kind ``vat`` and one of kind ``total`` per statement."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for s in statements:
        for line in s.lines:
            j = line.as_json()
            writer.writerow([s.customer, s.month, j["date"] or "", j["ticket"] or "", j["kind"], j.get("reason", ""),
                             j["description"], j["quantity"], j["unit_price"], j["amount"]])
        if s.lines:
            writer.writerow([s.customer, s.month, "", "", "vat", "", f"VAT {s.vat_rate.normalize():f}% of {s.taxable:.2f}",
                             "1", f"{s.vat:.2f}", f"{s.vat:.2f}"])
            writer.writerow([s.customer, s.month, "", "", "total", "", "Total", "1", f"{s.total:.2f}", f"{s.total:.2f}"])
    return out.getvalue()


def render_text(repository, s) -> str:
    provider = repository.provider
    customer = repository.customers.get(s.customer)
    name = customer.name if customer else s.customer
    head = [f"Statement {s.month}: {name} ({s.customer})"]
    if provider is not None:
        head.append(f"From {provider.name}" + (f", VAT {provider.vat_id}" if provider.vat_id else ""))
    if s.plan:
        head.append(f"Plan: {s.plan}")
    rows = [("date", "ticket", "description", "qty", "unit", "amount")]
    for line in s.lines:
        rows.append((line.day.isoformat() if line.day else "", line.ticket or "", line.description,
                     charges._decimal_text(line.quantity), f"{line.unit_price:.2f}", f"{line.amount:.2f}"))
    out = head + [""]
    if len(rows) == 1:
        out.append("No charges this month.")
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for n, r in enumerate(rows):
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                     r[3].rjust(widths[3]), r[4].rjust(widths[4]), r[5].rjust(widths[5])]
            out.append("  ".join(cells).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
    width = max(len(x) for x in out)
    for label, value in (("Taxable", s.taxable), (f"VAT {s.vat_rate.normalize():f}%", s.vat), ("Total", s.total)):
        text = f"{label}  {value:>10.2f}"
        out.append(text.rjust(width))
    if s.packages:
        out.append("")
        out.append(f"Prepaid hours left: {s.package_hours_left:.2f} h")
        for p in s.packages:
            state = "expired" if p.expired else f"{p.hours_left:.2f} h left"
            until = f", valid until {p.package.expires}" if p.package.expires else ""
            out.append(f"  package of {p.package.bought}: {charges._decimal_text(p.package.hours)} h{until}; "
                       f"{p.hours_drawn:.2f} h used; {state}")
    for warning in s.warnings:
        out.append(f"! {warning}")
    return "\n".join(out)
