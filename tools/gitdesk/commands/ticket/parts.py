"""``gitdesk ticket part`` and ``approve``: parts added to a work report, or approved, after it was written."""

from __future__ import annotations


import click

from gitdesk.commands import repo_option, repo_root
from gitdesk.commands.ticket import _load, _moment, _now, _read, _save, commit_option, resolve
from gitdesk.core import scalars
from gitdesk.core.model import Part
from gitdesk.write import editing, writer


def _number(value: str, what: str, option: str):
    try:
        return scalars.parse_decimal(value, what) if what == "quantity" else scalars.parse_money(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _ticket(root, repository, path, full):
    """The ticket's text and record; a file with errors is refused (it is fixed with 'ticket edit')."""
    text = _read(root, path)
    rel = path.relative_to(root).as_posix()
    record = editing.read_ticket(rel, text, repository.provider.timezone)
    if record is None:
        raise click.ClickException(f"{rel} has errors: run 'gitdesk validate' (or fix it with 'gitdesk ticket edit {full}')")
    return text, record


def _write(tx, repository, path, new_text, before, change, commit, message) -> None:
    """Save ``new_text`` when it reads as ``before`` with ``change`` made and nothing else."""
    rel = path.relative_to(repository.root).as_posix()
    after = editing.read_ticket(rel, new_text, repository.provider.timezone)
    if not editing.changed_only(before, after, change):
        raise writer.NotWritten(f"{rel} is written in a way this command cannot change safely: left as it was "
                                f"(make the change with 'gitdesk ticket edit')")
    _save(tx, repository, path, new_text, commit, message)


def _latest(ticket) -> int:
    """The intervention that started last (ties: the later one in the file), from 0."""
    return max(range(len(ticket.interventions)), key=lambda i: (ticket.interventions[i].start, i))


@click.command("part")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("name", type=writer.TEXT)
@click.argument("qty", metavar="QTY")
@click.argument("price", metavar="PRICE")
@click.option("--intervention", "number", type=click.IntRange(min=1), default=None, metavar="N",
              help="The work report, counted from 1 in the file's order as 'ticket show' numbers them "
                   "(default: the one that started last).")
@click.option("--code", type=writer.TEXT, default=None, help="The part's code (e.g. PSU-750).")
@click.option("--approved", metavar="TIMESTAMP", default=None, help="When the customer approved it (where the contract asks "
              "for approval before parts, it must be no later than the intervention's end).")
@commit_option
def part_command(repo, ident, name, qty, price, number, code, approved, commit):
    """Add part NAME, QTY at PRICE each, to a work report of ticket ID.

    Only the part's line is added to the file: its other lines and comments
    stay as they are. The part is checked like every change (e.g. an
    approval where the contract asks for one) before it is written.
    """
    root = repo_root(repo)
    if not name.strip():
        raise click.BadParameter("a part needs a name", param_hint="'NAME'")
    quantity, amount = _number(qty, "quantity", "'QTY'"), _number(price, "price", "'PRICE'")
    with writer.transaction(root, commit=commit) as tx:
        full, path = resolve(root, ident)
        repository = _load(root)
        tz = repository.tz
        text, ticket = _ticket(root, repository, path, full)
        count = len(ticket.interventions)
        if not count:
            raise click.ClickException(f"ticket {full} has no work report yet: record one with 'gitdesk ticket work'")
        if number is not None and number > count:
            raise click.BadParameter(f"ticket {full} has {count} work report{'s' if count > 1 else ''}",
                                     param_hint="'--intervention'")
        index = number - 1 if number is not None else _latest(ticket)
        part = {"name": name, "qty": quantity, "price": amount, "code": code, "approved": _moment(approved, tz, "--approved")}
        try:
            new_text = editing.in_own_line_breaks(text, lambda t: editing.add_part(t, index, part, tz))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        expected = Part.model_validate({k: v for k, v in part.items() if v is not None}).model_dump()
        def change(d: dict) -> None:
            work = d["interventions"][index]
            work["parts"] = (*work["parts"], expected)

        _write(tx, repository, path, new_text, ticket, change, commit,
               f"Ticket {full}: part {writer.one_line(name)} x {quantity} added to work report {index + 1}")


@click.command("approve")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("spec", metavar="PART")
@click.option("--at", metavar="TIMESTAMP", default=None, help="When the customer approved it (default: now).")
@commit_option
def approve_command(repo, ident, spec, at, commit):
    """Record when the customer approved PART of ticket ID.

    PART is the part's code, or its name (or a word of it), or N.M: part M
    of work report N, both counted from 1 ('ticket show' lists them so).
    Only the part's approval is written: the file's other lines and comments
    stay as they are.
    """
    root = repo_root(repo)
    with writer.transaction(root, commit=commit) as tx:
        full, path = resolve(root, ident)
        repository = _load(root)
        tz = repository.tz
        when = _moment(at, tz, "--at") or _now(tz)
        text, ticket = _ticket(root, repository, path, full)
        ref = _one_part(ticket, spec, full)
        try:
            new_text = editing.in_own_line_breaks(text, lambda t: editing.approve_part(t, ref.work, ref.index, when, tz))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None

        def change(d: dict) -> None:
            d["interventions"][ref.work]["parts"][ref.index]["approved"] = when

        _write(tx, repository, path, new_text, ticket, change, commit,
               f"Ticket {full}: part {writer.one_line(ref.part.name)} approved")


def _one_part(ticket, spec: str, full: str) -> editing.PartRef:
    found = editing.find_parts(ticket, spec)
    if len(found) == 1:
        return found[0]
    every = editing.every_part(ticket)
    if not every:
        raise click.ClickException(f"ticket {full} has no parts: add one with 'gitdesk ticket part'")
    listed = "\n  ".join(map(str, found or every))
    if found:
        raise click.BadParameter(f"{spec!r} names {len(found)} parts; give its code or N.M:\n  {listed}", param_hint="'PART'")
    raise click.BadParameter(f"no part {spec!r} on ticket {full}; its parts:\n  {listed}", param_hint="'PART'")


