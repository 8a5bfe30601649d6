"""One pipeline from a data repository on disk to validated records, problems and the facts asked for.

    discover and read the files (:mod:`gitdesk.load.discover`)
    → the contracts: provider, plans, customers, issued statements, corrections
    → their checks across files
    → the tickets: read, own checks, on request SLA and charges (:mod:`gitdesk.load.tickets`)
    → the checks across tickets (a technician in two places at once)
    → the lock on issued statements

Each stage takes the records and problems so far and returns them, with its
own added: problems are collected, never raised, so one run reports every
problem in the repository. Reading and checking the tickets is the expensive
part: it runs in worker processes for large repositories
(:mod:`gitdesk.load.executor`) and each file's result is cached by its
content (:mod:`gitdesk.load.cache`), so an unchanged file is never parsed
twice and a changed byte is always parsed anew.

What a command wants besides records and problems it says in a
:class:`~gitdesk.load.request.Request`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Optional

from gitdesk.core import errors, scalars
from gitdesk.core.errors import Problem
from gitdesk.core.model import Adjustment, Customer, IssuedStatement, Plan, Provider, Ticket
from gitdesk.core.repository import CUSTOMERS, PROVIDER, Repository
from gitdesk.load import executor
from gitdesk.load import files as files_mod
from gitdesk.load.collector import CollectorPaused
from gitdesk.load.discover import Scan, SourceFile, discover, scan
from gitdesk.load.read import cache_key, cached_read, read_record
from gitdesk.load.readahead import ReadAhead
from gitdesk.load.request import EVERY_TICKET, Evaluate, Price, Request
from gitdesk.load.tickets import TicketStage
from gitdesk.load.yamlsrc import YamlProblem, load as load_yaml, locate_all

if TYPE_CHECKING:
    from gitdesk.load.cache import Cache

__all__ = [
    "load", "Request", "Evaluate", "Price", "EVERY_TICKET", "scan", "Scan", "discover", "SourceFile", "read_record",
    "PROVIDER", "CUSTOMERS",
]

#: Below this many tickets the work stays in this process (workers cost more to start).
PARALLEL_THRESHOLD = 3000
#: From this many tickets the records built are frozen out of the collector's sight (see CollectorPaused).
LARGE = 2000
#: New cache entries are written in transactions of about this many, while the workers go on.
_WRITE_EVERY = 1000


def load(
    source: "Path | str | Scan",
    request: Request = Request(),
    *,
    cache: "Optional[Cache]" = None,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> Repository:
    """Load and check a data repository (a folder, or a :class:`Scan` of one), computing what ``request`` asks for.

    ``cache`` is a :class:`gitdesk.load.cache.Cache` (or None); ``jobs`` the
    worker processes (default: one per core); ``progress`` is called with the
    number of tickets done, for a progress bar.
    """
    found = source if isinstance(source, Scan) else scan(source)
    with CollectorPaused() as collector:
        collector.freeze = sum(1 for f in found.files if f.kind == "ticket") >= LARGE
        records, problems = read_contracts(found, cache)
        records, problems = check_contracts(records, problems)
        records, problems = read_tickets(records, problems, found, request, cache, jobs, progress)
        records, problems = check_across_tickets(records, problems)
        records, problems = lock_issued(records, problems)
        return repository_of(records, problems, found)


@dataclass(frozen=True)
class Records:
    """The records the stages have made so far, and the facts asked for."""

    #: The provider, plans, customers, issued statements and corrections, with the rules prepared.
    context: Repository
    #: The provider's time zone as named in its file ('' when unknown): part of each file's cache key.
    tz_name: str = ""
    tickets: Mapping[str, Ticket] = field(default_factory=dict)
    sla: Mapping[str, object] = field(default_factory=dict)
    works: Mapping[str, tuple] = field(default_factory=dict)
    partial: frozenset[str] = frozenset()
    ticket_count: int = 0
    #: Every intervention as checks.spans_of gives it, for the checks across tickets.
    spans: list[tuple] = field(default_factory=list)


# ---------------------------------------------------------------- the contracts


def read_contracts(found: Scan, cache: Optional["Cache"]) -> tuple[Records, list[Problem]]:
    """The provider first (its time zone is how every other timestamp is read), then the other contracts."""
    problems, partial = list(found.problems), set()

    def take(f: SourceFile, tz_name: str):
        record, own = cached_read(f, tz_name, cache)
        for p in own:
            if p.code == "partial":
                partial.add(f.path)
            else:
                problems.append(p)
        return record

    provider: Optional[Provider] = None
    for f in found.files:
        if f.kind == "provider":
            provider = take(f, "")
    tz_name = provider.timezone if provider is not None else _zone_of_broken_provider(found.root)
    by_kind: dict[str, dict] = {"plan": {}, "customer": {}, "issued": {}, "adjustment": {}}
    for f in found.files:
        if f.kind in by_kind:
            record = take(f, tz_name)
            if record is not None:
                by_kind[f.kind][record.number if f.kind == "issued" else record.id] = record
    context = Repository(found.root, provider, by_kind["plan"], by_kind["customer"], {},
                         issued=by_kind["issued"], adjustments=by_kind["adjustment"])
    return Records(context, tz_name, partial=frozenset(partial)), problems


def _zone_of_broken_provider(root: Path) -> str:
    """The time zone of a provider file that failed validation, if it names a valid one."""
    try:
        data = load_yaml(files_mod.read_data_file(root, PROVIDER))
        name = data.get("timezone") if isinstance(data, dict) else None
        if isinstance(name, str):
            scalars.zone(name)
            return name
    except (YamlProblem, ValueError, OSError):
        pass
    return ""


def check_contracts(records: Records, problems: list[Problem]) -> tuple[Records, list[Problem]]:
    """The rules across the contracts: references, overlapping contracts, issued statements, service targets."""
    from gitdesk.core import checks

    return records, problems + checks.context_checks(records.context)


# ---------------------------------------------------------------- the tickets


def read_tickets(records: Records, problems: list[Problem], found: Scan, request: Request, cache: Optional["Cache"],
                 jobs: Optional[int], progress: Optional[Callable[[int], None]]) -> tuple[Records, list[Problem]]:
    """Every ticket read and checked against the contracts, evaluated and priced as asked, in the files' order."""
    files = [f for f in found.files if f.kind == "ticket"]
    tz_name = records.tz_name
    stage = TicketStage(records.context, tz_name, request, cache)
    base = str(found.root) + os.sep
    unread = [base + f.path for f in files if f.raw is None]  # left to the workers by a deferred scan
    gathered = _Gathered(problems, set(records.partial), cache)
    outcomes = executor.run(stage, files, jobs=jobs, threshold=PARALLEL_THRESHOLD, size=executor.batch_size(len(files), jobs),
                            progress=progress, alongside=ReadAhead(unread))
    for f, outcome in zip(files, outcomes):
        gathered.add(f.path, outcome)
    gathered.written()
    if cache is not None:
        cache.prune(len(files), lambda: _live_keys(files, tz_name, found.root))
    return gathered.records(records), gathered.problems


class _Gathered:
    """The tickets' outcomes taken in as they come, in the files' order: the first of two files
    with the same id is the ticket, the second a problem."""

    def __init__(self, problems: list[Problem], partial: set[str], cache: Optional["Cache"]):
        self.problems = problems
        self.partial = partial
        self.cache = cache
        self.first_place: dict[str, str] = {}
        self.tickets: dict[str, Ticket] = {}
        self.sla: dict[str, object] = {}
        self.works: dict[str, list] = {}
        self.spans: list[tuple] = []
        self.entries: dict[bytes, bytes] = {}

    def add(self, path: str, outcome: tuple) -> None:
        tid, problems, spans, partial, ticket, result, works, entry = outcome  # a plain tuple from a worker
        if entry is not None:
            self._entry(*entry)
        if problems:
            self.problems.extend(problems)
        if partial:
            self.partial.add(path)
        if tid is None:
            return
        if tid in self.first_place:
            self.problems.append(errors.at(path, ("id",), f"duplicate ticket id {tid!r}: also {self.first_place[tid]}", "duplicate-id"))
            return
        self.first_place[tid] = path
        self._facts(tid, spans, ticket, result, works)

    def _facts(self, tid: str, spans, ticket, result, works) -> None:
        if spans:
            self.spans.extend(spans)
        if ticket is not None:
            self.tickets[tid] = ticket
        if result is not None:
            self.sla[tid] = result
        for w in works:
            self.works.setdefault(w.customer, []).append(w)

    def _entry(self, key: bytes, value: bytes) -> None:
        self.entries[key] = value
        if len(self.entries) >= _WRITE_EVERY:
            self.written()

    def written(self) -> None:
        """New cache entries written (while the workers go on: the writing overlaps their parsing)."""
        if self.cache is not None and self.entries:
            self.cache.put_many(self.entries)
        self.entries = {}

    def records(self, before: Records) -> Records:
        return dataclasses.replace(
            before, tickets=self.tickets, sla=self.sla, works={c: tuple(ws) for c, ws in self.works.items()},
            partial=frozenset(self.partial), ticket_count=len(self.first_place), spans=self.spans,
        )


def _live_keys(files: list[SourceFile], tz_name: str, root: Path) -> list[bytes]:
    """The cache keys of ``files`` (reading those a deferred scan left to the workers)."""
    from gitdesk.load.discover import read_deferred

    read_deferred(files, root)
    return [cache_key(f, tz_name) for f in files]


def check_across_tickets(records: Records, problems: list[Problem]) -> tuple[Records, list[Problem]]:
    """The rules across tickets: no technician in two places at once."""
    from gitdesk.core import checks

    return records, problems + list(checks.technician_overlaps(records.spans, records.context.tz))


# ---------------------------------------------------------------- issued statements


def lock_issued(records: Records, problems: list[Problem]) -> tuple[Records, list[Problem]]:
    """Every issued statement still what the data gives (checked only when the data is sound:
    figures of broken data are not comparable)."""
    from gitdesk.core import issued as issued_rules

    context = records.context
    if not context.issued or any(p.severity == "error" for p in problems):  # a warning leaves the figures sound
        return records, problems
    priced = dataclasses.replace(context, works=records.works)
    return records, problems + issued_rules.lock_problems(priced)


def repository_of(records: Records, problems: list[Problem], found: Scan) -> Repository:
    """The aggregate: tickets in the order they were reported, every problem located in its file."""
    c = records.context
    ordered = dict(sorted(records.tickets.items(), key=lambda kv: (kv[1].reported, kv[0])))
    located = locate_all(problems, lambda path: files_mod.read_data_text(found.root, path))
    return Repository(
        c.root, c.provider, c.plans, c.customers, ordered, tuple(located), found.digest, records.partial,
        sla=records.sla, ticket_count=records.ticket_count, issued=c.issued, adjustments=c.adjustments,
        works=records.works, rules=c.rules,
    )
