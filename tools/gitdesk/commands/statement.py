"""``gitdesk statement``: the monthly statements, as text, JSON or CSV."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Optional

import click

from gitdesk.core import charges
from gitdesk.core import issued
from gitdesk.write import issuing, writer
from gitdesk.text.exports import csv_text, quantity_places, statement_json
from gitdesk.text.i18n import Locale
from gitdesk.text.lines import describe, notice_text
from gitdesk.load.loader import EVERY_TICKET, Price, Request, scan
from gitdesk.commands import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root, report_problems
from gitdesk.commands.options import customer_option, echo_pieces, json_array, month_option, to_json


def compute_statements(repository, month: str, customer=None) -> list:
    """Every customer's statement for ``month`` (or one customer's)."""
    ids = [customer] if customer is not None else sorted(repository.customers)
    return [issued.current(repository, cid, month) for cid in ids]


def needed_for(month: Optional[str], customer: Optional[str]) -> Price:
    """Which tickets a statement of ``month`` needs priced (every ticket without a month): see :class:`Price`."""
    return EVERY_TICKET if month is None else Price(month, customer)


def load_with_works(repo, no_cache, jobs, customer=None, allow=(), month=None):
    """The repository with the interventions priced that ``month`` needs (all without one);
    refuses data with errors (but those in ``allow``)."""
    root = repo_root(repo)
    repository = load_repository(scan(root, defer_tickets=True), open_cache(root, no_cache), jobs,
                                 Request(tickets=False, price=needed_for(month, customer)))
    blocking = [p for p in repository.errors if p.code not in allow]
    if blocking:
        report_problems(repository.__class__(**{**repository.__dict__, "problems": tuple(blocking)}))
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
    repository = load_with_works(repo, no_cache, jobs, customer, month=month)
    statements = compute_statements(repository, month, customer)
    locale = Locale.of(repository.provider)
    if fmt == "json":
        data = [statement_json(s, locale.language) for s in statements]
        if customer is not None:
            click.echo(json.dumps(data[0], indent=1, ensure_ascii=False))
        else:  # a statement per line, by the C encoder (indenting every customer's lines takes longer)
            echo_pieces(json_array([to_json(d) for d in data]))
    elif fmt == "csv":
        click.echo(csv_text(statements, locale.language), nl=False)
    else:
        click.echo("\n\n".join(render_text(repository, s, locale) for s in statements))


def _today() -> dt.date:
    return dt.date.today()


def _date_option(help_text: str):
    return click.option("--date", "when", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help_text)


@command.command("issue")
@repo_option
@month_option(required=True)
@click.option("--customer", metavar="ID", type=writer.ID, default=None,
              help="Only this customer's statement (default: every customer with something to bill).")
@_date_option("The issue date, YYYY-MM-DD (default: today). The month must be over by then.")
@click.option("--commit", is_flag=True, help="Commit the issued statements (git); when git refuses, nothing is issued.")
@cache_option
@jobs_option
def issue_command(repo, month, customer, when, commit, no_cache, jobs):
    """Issue the month's statements: number them and record their figures.

    Each statement is written to statements/<year>/<number>.yaml, numbered
    in sequence within the year of issue. From then on 'gitdesk validate'
    fails when an edit would change an issued statement's figures; correct
    with 'gitdesk statement adjust'.
    """
    date = when.date() if when else _today()
    first, last = charges.month_bounds(month)
    if date <= last:
        raise click.BadParameter(f"{month} is not over on {date}: issue it from {last + dt.timedelta(days=1)} on", param_hint="'--date'")
    root = repo_root(repo)
    with writer.transaction(root, commit=commit) as tx:  # numbers are taken one command at a time
        repository = load_with_works(repo, no_cache, jobs, customer, month=month)
        language = Locale.of(repository.provider).language
        written, numbers, lines = [], [], []
        for s in compute_statements(repository, month, customer):
            already = issued.issued_for(repository, s.customer, month)
            if already is not None:
                click.echo(f"{s.customer}: {month} was issued already as {already.number}", err=True)
                continue
            if not s.lines:
                click.echo(f"{s.customer}: nothing to bill in {month}", err=True)
                continue
            number = issued.next_number(repository, date.year, numbers)
            numbers.append(number)
            path = repository.root / "statements" / str(date.year) / f"{number}.yaml"
            tx.create(path, issuing.record_text(s, number, date, language))  # never in place of an issued one
            written.append(path)
            lines.append(f"issued {number}  {s.customer:<16} {month}  total {s.total:.2f}  ->  {path.relative_to(repository.root)}")
        sha = tx.commit(f"Issue statements for {month}: {', '.join(numbers)}") if commit and written else None
    for line in lines:
        click.echo(line)
    if sha:
        click.echo(f"committed {sha}")


@command.command("adjust")
@repo_option
@click.option("--number", required=True, metavar="NUMBER", type=writer.ID,
              help="The issued statement whose figures changed, e.g. 2026-0001.")
@click.option("--reason", required=True, type=writer.TEXT,
              help="Why: shown to the customer on the statement that carries the correction.")
@month_option()
@_date_option("The date of the correction, YYYY-MM-DD (default: today).")
@click.option("--commit", is_flag=True, help="Commit the correction (git); when git refuses, nothing is recorded.")
@cache_option
@jobs_option
def adjust_command(repo, number, reason, month, when, commit, no_cache, jobs):
    """Record a correction of an issued statement in a later statement.

    After an edit that changes an issued month (a ticket corrected, an
    intervention recorded late), the difference between what the data gives
    now and what was issued goes, as an adjustment line, into the statement
    of --month (default: the first month after the corrected one that is not
    issued yet). Issued history is never rewritten.
    """
    if not reason.strip():
        raise click.BadParameter("say why, for the customer", param_hint="'--reason'")
    root = repo_root(repo)
    with writer.transaction(root, commit=commit) as tx:  # a correction's number is taken one command at a time
        repository = load_with_works(repo, no_cache, jobs, allow=("issued-changed",))
        record = repository.issued.get(number)
        if record is None:
            raise click.BadParameter(f"no issued statement {number!r}", param_hint="'--number'")
        now = issued.current(repository, record.customer, record.month)
        corrections = issued.corrections_of(repository, number)
        delta = now.taxable - record.taxable - sum((a.amount for a in corrections), charges.ZERO)
        changed = issued.differences(record, now)
        if delta == 0 and (corrections or not changed):
            click.echo(f"{number}: the data gives the issued figures; nothing to correct")
            return
        target = month or issued.next_month(record.month)
        while month is None and issued.issued_for(repository, record.customer, target) is not None:
            target = issued.next_month(target)
        if target <= record.month:
            raise click.BadParameter(f"a correction of {record.month} goes into a later month", param_hint="'--month'")
        tickets = sorted({t for t, _ in changed if t})
        ident = f"{number}-{len(corrections) + 1}"
        path = repository.root / "statements" / "adjustments" / f"{ident}.yaml"
        date = when.date() if when else _today()
        tx.create(path, issuing.adjustment_text(number, record.customer, target, date, delta, reason.strip(), tickets))
        sha = tx.commit(f"Correct statement {number}: {writer.one_line(reason)}") if commit else None
    click.echo(f"correction {ident}: {delta:+.2f} (taxable) on {record.customer}'s statement for {target}  ->  {path.relative_to(repository.root)}")
    if sha:
        click.echo(f"committed {sha}")


def render_text(repository, s, locale: Locale) -> str:
    """A statement as its customer reads it: the provider's language, the locale's numbers and dates.

    Texts from the data are shown each on one line, their control characters escaped.
    """
    shown = functools.partial(writer.one_line, limit=None)
    out = _heading(repository, s, locale, shown) + [""] + _lines_table(s, locale, shown)
    width = max(len(x) for x in out)
    figures = ((locale("taxable"), s.taxable), (f"{locale('vat')} {locale.percent(s.vat_rate)}", s.vat), (locale("total"), s.total))
    for label, value in figures:
        out.append(f"{label}  {locale.money(value):>12}".rjust(width))
    out += _packages(s, locale)
    out += [f"! {shown(notice_text(n, locale.language))}" for n in s.notices]
    return "\n".join(out)


def _heading(repository, s, L: Locale, shown) -> list[str]:
    """Whose statement, of which month, from whom, under which plan; issued or a draft."""
    provider = repository.provider
    customer = repository.customers.get(s.customer)
    name = shown(customer.name if customer else s.customer)
    head = [L("statement_head", month=L.month(s.month), name=name, id=s.customer)]
    if provider is not None:
        head.append(L("statement_from", name=shown(provider.name)) + (", " + L("vat_of", id=shown(provider.vat_id)) if provider.vat_id else ""))
    if s.plan:
        plan = repository.plans.get(s.plan)
        head.append(f"{L('plan')}: {shown(plan.name if plan is not None and plan.name else s.plan)}")
    head.append(L("issued_on", n=s.issued[0], d=L.date(s.issued[1])) if s.issued else L("draft"))
    return head


def _lines_table(s, L: Locale, shown) -> list[str]:
    """The statement's lines as a table, columns aligned (or a note that there are none)."""
    if not s.lines:
        return [L("no_charges")]
    rows = [(L("date"), L("ticket"), L("description"), L("qty"), L("unit"), L("amount"))]
    for line in s.lines:
        rows.append((L.date(line.day, "short") if line.day else "", line.ticket or "", shown(describe(line, L.language)),
                     L.number(line.quantity, quantity_places(line.quantity)), L.number(line.unit_price), L.number(line.amount)))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out = []
    for n, r in enumerate(rows):
        cells = [r[i].ljust(widths[i]) for i in range(3)] + [r[i].rjust(widths[i]) for i in range(3, 6)]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _packages(s, L: Locale) -> list[str]:
    """The prepaid hours left, and every package as it stands."""
    if not s.packages:
        return []
    out = ["", f"{L('prepaid_left')}: {L.number(s.package_hours_left)} h"]
    for p in s.packages:
        state = L("expired") if p.expired else L("hours_left", h=L.number(p.hours_left))
        until = L("valid_until", d=L.date(p.package.expires)) if p.package.expires else ""
        out.append("  " + L("package_line", d=L.date(p.package.bought), h=L.quantity(p.package.hours), until=until,
                            used=L.number(p.hours_drawn), state=state))
    return out
