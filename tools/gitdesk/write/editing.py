"""Writing tickets for technicians: new files, new events, new work reports.

Every edit keeps the file's existing text and comments (entries are added as
text, see :func:`gitdesk.write.yamlout.append_to_list`), is checked with the same
rules as ``gitdesk validate`` before anything is written, and is written
atomically. Ids are the report date, the customer and a random part, so two
technicians creating tickets on two branches never collide.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import secrets
import string
from pathlib import Path
from typing import Optional, Sequence

from gitdesk.core import checks
from gitdesk.core import errors
from gitdesk.load.yamlsrc import locate_all
from gitdesk.core.errors import Problem
from gitdesk.core.repository import Repository
from gitdesk.load.files import read_data_text
from gitdesk.load import workset
from gitdesk.load.read import read_record
from gitdesk.core.model import ID_PATTERN, Ticket
from gitdesk.core.scalars import format_duration
from gitdesk.write.yamlout import quote, scalar, text_field, timestamp

ALPHABET = string.ascii_lowercase + string.digits
MAX_ID = 200  # as the data format's ids


def new_id(root: Path, customer: str, reported: dt.datetime, tz, random=secrets.choice) -> str:
    """``YYYYMMDD-customer-xxxx``: unique here, and (by its random part) across branches."""
    day = reported.astimezone(tz).strftime("%Y%m%d")
    for _ in range(100):
        ident = f"{day}-{customer}-{''.join(random(ALPHABET) for _ in range(4))}"
        if find(root, ident) is None:
            return ident
    raise RuntimeError("could not find a free ticket id")  # pragma: no cover - 36^4 per day and customer


def valid_id(ident: str) -> bool:
    """An id as the data format writes one (a ticket's, a customer's, a priority's...): lower-case letters, digits and '-'."""
    return isinstance(ident, str) and len(ident) <= MAX_ID and re.fullmatch(ID_PATTERN, ident) is not None


def _id(value: str, what: str) -> str:
    """An id written into YAML as it is: refused (ValueError) unless it is one, so it can never add YAML of its own."""
    if not valid_id(value):
        raise ValueError(f"invalid {what} {value!r}: an id is lower-case letters, digits and '-'")
    return value


def _month_folders(root: Path) -> list[Path]:
    """``tickets/<year>/<month>`` folders, in order (hidden ones left out, as the loader does)."""
    folders = []
    for parent in (root / "tickets",):
        for year in _subfolders(parent):
            folders += _subfolders(year)
    return folders


def _subfolders(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / n for n in names if not n.startswith(".") and (folder / n).is_dir()]


def find(root: Path, ident: str) -> Optional[Path]:
    """The file of ticket ``ident`` (taken literally, never as a pattern), or None."""
    if not valid_id(ident):
        return None
    for folder in _month_folders(root):
        path = folder / f"{ident}.yaml"
        if os.path.lexists(path):
            return path
    return None


def similar(root: Path, ident: str) -> Optional[str]:
    """The id of an existing ticket that ``ident`` was perhaps meant to be."""
    known = [name[: -len(".yaml")] for folder in _month_folders(root) for name in _names(folder) if name.endswith(".yaml")]
    close = difflib.get_close_matches(ident, known, n=1, cutoff=0.8)
    return close[0] if close else None


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def ticket_path(root: Path, ident: str, reported: dt.datetime, tz) -> Path:
    local = reported.astimezone(tz)
    return root / "tickets" / f"{local:%Y}" / f"{local:%m}" / f"{ident}.yaml"


def new_ticket_text(*, customer: str, title: str, reported: dt.datetime, tz, priority: str, via: Optional[str] = None,
                    reported_by: Optional[str] = None, users_blocked: Optional[int] = None, incident: Optional[str] = None,
                    description: Optional[str] = None) -> str:
    """A new ticket's file. Ids are checked to be ids; texts go through :mod:`gitdesk.write.yamlout`
    (the description as :func:`~gitdesk.write.yamlout.text_field` writes it)."""
    lines = [f"customer: {_id(customer, 'customer')}", f"title: {scalar(title)}", f"reported: {timestamp(reported, tz)}"]
    if via:
        lines.append(f"via: {_id(via, 'via')}")
    if reported_by:
        lines.append(f"reported_by: {scalar(reported_by)}")
    lines.append(f"priority: {_id(priority, 'priority')}")
    if users_blocked is not None:
        lines.append(f"users_blocked: {int(users_blocked)}")
    if incident:
        lines.append(f"incident: {_id(incident, 'incident')}")
    if description:
        lines += text_field("description", description)
    return "\n".join(lines) + "\n"


def event_item(*, at: dt.datetime, tz, event: str, by: Optional[str] = None, planned: Optional[dt.datetime] = None,
               mode: Optional[str] = None, expected: Optional[dt.timedelta] = None, side: Optional[str] = None,
               note: Optional[str] = None) -> list[str]:
    parts = [f"at: {timestamp(at, tz)}", f"event: {_id(event, 'event')}"]
    if by:
        parts.append(f"by: {_id(by, 'technician')}")
    if planned is not None:
        parts.append(f"planned: {timestamp(planned, tz)}")
    if mode:
        parts.append(f"mode: {_id(mode, 'mode')}")
    if expected is not None:
        parts.append(f"expected: {format_duration(expected)}")
    if side:
        parts.append(f"side: {_id(side, 'side')}")
    if note:
        parts.append(f"note: {quote(note)}")
    return ["- {" + ", ".join(parts) + "}"]


def work_item(*, technician: str, mode: str, start: dt.datetime, end: dt.datetime, tz, outcome: str, report: str,
              warranty: bool = False, parts: Sequence[dict] = ()) -> list[str]:
    lines = [f"- technician: {_id(technician, 'technician')}", f"  mode: {_id(mode, 'mode')}", f"  start: {timestamp(start, tz)}",
             f"  end: {timestamp(end, tz)}", f"  outcome: {_id(outcome, 'outcome')}"]
    if warranty:
        lines.append("  warranty: true")
    lines += text_field("report", report, 2)
    if parts:
        lines.append("  parts:")
        for part in parts:
            fields = []
            if part.get("code"):
                fields.append(f"code: {scalar(part['code'])}")
            fields += [f"name: {quote(part['name'])}", f"qty: {part['qty']}", f"price: {part['price']}"]
            if part.get("approved") is not None:
                fields.append(f"approved: {timestamp(part['approved'], tz)}")
            lines.append("    - {" + ", ".join(fields) + "}")
    return lines


def parse_part(text: str, tz) -> dict:
    """``NAME;QTY;PRICE[;CODE[;APPROVED]]`` from the command line."""
    from gitdesk.core.scalars import parse_decimal, parse_money, parse_timestamp

    fields = [f.strip() for f in text.split(";")]
    if len(fields) < 3 or not fields[0]:
        raise ValueError(f"a part is NAME;QTY;PRICE[;CODE[;APPROVED]], not {text!r}")
    part = {"name": fields[0], "qty": parse_decimal(fields[1], "quantity"), "price": parse_money(fields[2])}
    if len(fields) > 3 and fields[3]:
        part["code"] = fields[3]
    if len(fields) > 4 and fields[4]:
        part["approved"] = parse_timestamp(fields[4], tz)
    return part


def check_text(repo: Repository, path: Path, text: str) -> tuple[Optional[Ticket], list[Problem]]:
    """The problems the ticket file would have with ``text``, against the rest of the repository."""
    rel = path.relative_to(repo.root).as_posix()
    tz_name = repo.provider.timezone if repo.provider is not None else ""
    ticket, problems = read_record("ticket", rel, text.encode("utf-8"), tz_name)
    problems = [p for p in problems if p.code != "partial"]
    if ticket is not None and not problems:
        problems += checks.ticket_checks(repo, ticket)  # type: ignore[arg-type]
        spans = checks.spans_of(ticket, rel)  # type: ignore[arg-type]
        # only this ticket's technicians can overlap it: their other interventions, not every ticket's
        spans += workset.other_spans(repo, (s[0] for s in spans), rel)
        problems += [p for p in checks.technician_overlaps(spans, repo.tz) if p.path == rel]
    located = locate_all(problems, lambda p: text if p == rel else read_data_text(repo.root, p))
    return (ticket if not located else None), located  # type: ignore[return-value]
