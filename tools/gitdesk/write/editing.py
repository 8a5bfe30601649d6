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
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Optional, Sequence

from gitdesk.core import checks
from gitdesk.load.yamlsrc import locate_all
from gitdesk.core.errors import Problem
from gitdesk.core.repository import Repository
from gitdesk.load.files import read_data_text
from gitdesk.load import workset
from gitdesk.load.read import read_record
from gitdesk.core.model import ID_PATTERN, Part, Ticket
from gitdesk.core.scalars import format_duration
from gitdesk.write import yamlout
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


def ticket_ids(root: Path) -> set[str]:
    """The id of every ticket file (``tickets/<year>/<month>/<id>.yaml``), from the folders' listings alone."""
    found: set[str] = set()
    for folder in _month_folders(root):
        found.update(name[:-5] for name in _names(folder) if name.endswith(".yaml") and not name.startswith("."))
    return found


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


class IdMatch(NamedTuple):
    """What a ticket id typed on the command line names: one id, or the candidates, or suggestions."""

    ident: Optional[str]  # the one ticket it names
    candidates: tuple[str, ...] = ()  # several tickets end or start with it
    suggestions: tuple[str, ...] = ()  # none does: the closest ids


def match_id(known: Iterable[str], text: str) -> IdMatch:
    """The ticket ``text`` names among ``known`` ids: the id itself, else the one id that ends
    or starts with it (``q7km``, ``20261110-acme``); several: the candidates; none: the closest ids."""
    ids = known if isinstance(known, (set, frozenset, dict)) else set(known)
    if text in ids:
        return IdMatch(text)
    hits = sorted(k for k in ids if k.endswith(text) or k.startswith(text)) if text else []
    if len(hits) == 1:
        return IdMatch(hits[0])
    if hits:
        return IdMatch(None, tuple(hits))
    return IdMatch(None, (), tuple(closest(ids, text)))


def closest(known: Iterable[str], text: str, n: int = 5, cutoff: float = 0.6) -> list[str]:
    """The ids most like ``text``: as a whole, or by their end or start of the same length (a mistyped suffix)."""
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(text)
    for ident in known:
        best = 0.0
        for form in {ident, ident[-len(text):], ident[: len(text)]} if text else {ident}:
            matcher.set_seq1(form)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
        if best >= cutoff:
            scored.append((-best, ident))
    return [ident for _, ident in sorted(scored)[:n]]


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
               to: Optional[str] = None, reason: Optional[str] = None, note: Optional[str] = None) -> list[str]:
    """A log event as one flow mapping, its fields in the data format's order."""
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
    if to:
        parts.append(f"to: {_id(to, 'to')}")
    if reason:
        parts.append(f"reason: {scalar(reason)}")
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
        lines += [f"    - {part_flow(part, tz)}" for part in parts]
    return lines


def part_flow(part: dict, tz) -> str:
    """A part (``name``, ``qty``, ``price``, optional ``code`` and ``approved``) as one flow mapping; the price
    (a Decimal of at most two decimals) with its two decimals, as a statement shows it."""
    fields = []
    if part.get("code"):
        fields.append(f"code: {scalar(part['code'])}")
    fields += [f"name: {quote(part['name'])}", f"qty: {part['qty']}", f"price: {_money(part['price'])}"]
    if part.get("approved") is not None:
        fields.append(f"approved: {timestamp(part['approved'], tz)}")
    return "{" + ", ".join(fields) + "}"


def _money(value) -> str:
    """A price with its two decimals when it is a Decimal (``1.5`` -> ``1.50``); a text as it is."""
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


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
    """The problems the ticket file would have with ``text``, against the rest of the repository: errors, and
    warnings (:func:`gitdesk.core.checks.ticket_warnings`, e.g. a 25-hour intervention) when there is no error.
    The ticket comes back when there is no error."""
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
        if not problems:
            problems += checks.ticket_warnings(repo, ticket)  # type: ignore[arg-type]
    located = locate_all(problems, lambda p: text if p == rel else read_data_text(repo.root, p))
    failed = any(p.severity == "error" for p in located)
    return (None if failed else ticket), located  # type: ignore[return-value]


# ---------------------------------------------------------------- parts added or approved after the report


class PartRef(NamedTuple):
    """A part of a ticket: intervention ``work`` and part ``index`` of it (both from 0)."""

    work: int
    index: int
    part: Part

    @property
    def label(self) -> str:
        """``N.M``, counted from 1 as the command line counts."""
        return f"{self.work + 1}.{self.index + 1}"

    def __str__(self) -> str:
        code = f" {self.part.code}" if self.part.code else ""
        return f"{self.label}{code} {self.part.name!r}"


_NUMBERED = re.compile(r"^([0-9]{1,6})\.([0-9]{1,6})$")


def find_parts(ticket: Ticket, spec: str) -> list[PartRef]:
    """The parts ``spec`` names: ``N.M`` (part M of intervention N, from 1), else a code, else a name
    (both compared without case), else the parts whose name holds it. Several: ``spec`` is ambiguous."""
    every = every_part(ticket)
    numbered = _NUMBERED.match(spec.strip())
    if numbered:
        return [ref for ref in every if ref.label == f"{int(numbered.group(1))}.{int(numbered.group(2))}"]
    wanted = spec.strip().casefold()
    for same in (lambda r: (r.part.code or "").casefold() == wanted, lambda r: r.part.name.casefold() == wanted,
                 lambda r: wanted in r.part.name.casefold()):
        found = [ref for ref in every if same(ref)]
        if found:
            return found
    return []


def every_part(ticket: Ticket) -> list[PartRef]:
    return [PartRef(w, i, part) for w, work in enumerate(ticket.interventions) for i, part in enumerate(work.parts)]


def read_ticket(rel: str, text: str, tz_name: str) -> Optional[Ticket]:
    """The ticket a file's text holds, or None when it does not read as one without errors."""
    ticket, problems = read_record("ticket", rel, text.encode("utf-8"), tz_name)
    return ticket if ticket is not None and not [p for p in problems if p.severity == "error"] else None  # type: ignore[return-value]


def in_own_line_breaks(text: str, change: Callable[[str], str]) -> str:
    """``change(text)``, the lines it adds written with the file's own line breaks: a file whose every line
    ends in CR LF is changed as if its lines ended in LF, then written back with CR LF throughout."""
    crlf = "\r\n" in text and text.count("\n") == text.count("\r\n")
    if not crlf:
        return change(text)
    return change(text.replace("\r\n", "\n")).replace("\n", "\r\n")


def add_part(text: str, work: int, part: dict, tz) -> str:
    """``text`` with ``part`` added to intervention ``work`` (from 0): one line added, nothing else changed."""
    node = yamlout.child(yamlout.child(yamlout.compose(text), "interventions"), work)
    if not yamlout.is_mapping(node):
        raise ValueError(f"intervention {work + 1} is not written as a mapping; edit it by hand ('gitdesk ticket edit')")
    item = part_flow(part, tz)
    parts = yamlout.child(node, "parts")
    if parts is None:
        return yamlout.add_entry(text, node, "parts", f"[{item}]", block=[f"- {item}"])
    if not yamlout.is_sequence(parts):
        raise ValueError(f"the parts of intervention {work + 1} are not a list; edit them by hand ('gitdesk ticket edit')")
    return yamlout.append_item(text, parts, item)


def approve_part(text: str, work: int, index: int, at: dt.datetime, tz) -> str:
    """``text`` with ``approved`` of part ``index`` of intervention ``work`` (both from 0) set to ``at``."""
    node = yamlout.child(yamlout.child(yamlout.child(yamlout.child(yamlout.compose(text), "interventions"), work), "parts"), index)
    if not yamlout.is_mapping(node):
        raise ValueError(f"part {work + 1}.{index + 1} is not written as a mapping; edit it by hand ('gitdesk ticket edit')")
    value = timestamp(at, tz)
    approved = yamlout.child(node, "approved")
    if approved is None:
        return yamlout.add_entry(text, node, "approved", value)
    if yamlout.is_mapping(approved) or yamlout.is_sequence(approved):
        raise ValueError(f"approved of part {work + 1}.{index + 1} is not a time; edit it by hand ('gitdesk ticket edit')")
    return yamlout.replace_node(text, approved, value)


def changed_only(before: Ticket, after: Optional[Ticket], change) -> bool:
    """Whether ``after`` is ``before`` with ``change`` made to its plain data (a dict), and nothing else:
    a text edit that changed anything more (a comment read as data, a value moved) is not written."""
    if after is None:
        return False
    expected = before.model_dump()
    change(expected)
    return after.model_dump() == expected
