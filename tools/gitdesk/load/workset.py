"""What a ticket command reads: the repository as the command needs it, loaded in one place.

Every ``gitdesk ticket`` command gets its records through these functions, so
that how much is read is decided here and nowhere else:

- :func:`for_writing`: the context (provider, plans, customers, issued
  statements) and what a changed ticket file is checked against (the other
  interventions of its technicians, :func:`other_spans`);
- :func:`queue`: the open tickets with their SLA at one moment, for the work queue;
- :func:`one`: a customer's tickets with their SLA, and the customer's priced work (``gitdesk ticket show``).

Each returns a :class:`Workset`, a :class:`~gitdesk.core.repository.Repository`
that reads only what is asked of it: the contracts always (a few hundred small
files), a ticket when it is looked up (``tickets[id]``), the tickets' summaries
(:mod:`gitdesk.load.index`) when other tickets matter, and the whole repository
(:func:`gitdesk.load.loader.load`) only for what needs it: iterating over every
ticket, or its ``problems`` (every problem of the repository, as ``gitdesk
validate`` reports them). Whatever is read gives what the whole load gives
(``tests/test_ticket_speed.py`` compares them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional

from gitdesk.core.calendar import known_holidays, public_holidays
from gitdesk.core.repository import Repository

if TYPE_CHECKING:
    from gitdesk.core.model import Ticket
    from gitdesk.load.cache import Cache


def for_writing(root: Path, cache: Optional["Cache"]) -> "Workset":
    """The repository a changed ticket file is checked against (read while the writers' lock is held)."""
    return _workset(root, cache)


def queue(root: Path, cache: Optional["Cache"], now: dt.datetime, customer: Optional[str] = None,
          everything: bool = False) -> "Workset":
    """The tickets open at ``now`` (of one customer, or all) with their SLA at ``now`` in ``Repository.sla``
    (``TicketSla.open``); with ``everything``, every ticket's (as the whole load evaluates them)."""
    ws = _workset(root, cache)
    if everything:
        sla = dict(ws.full(_evaluate(now, customer)).sla)
    else:
        sla = ws.open_sla(now, customer)
    object.__setattr__(ws, "sla", sla)
    return ws


def one(root: Path, cache: Optional["Cache"], customer: str, now: dt.datetime, ticket: Optional[str] = None) -> "Workset":
    """One customer's tickets with their SLA at ``now``, and the customer's interventions priced
    (``Repository.works[customer]``: charges depend on the customer's other work, e.g. what is left
    of a prepaid package). With ``ticket`` (one of the customer's), only what its statement lines
    need: that ticket's SLA, and the work of its months (and of the months before, for a customer
    with prepaid packages), each with its SLA."""
    ws = _workset(root, cache)
    sla, works = ws.customer_facts(customer, now, ticket)
    object.__setattr__(ws, "sla", sla)
    object.__setattr__(ws, "works", {customer: works} if works else {})
    return ws


def other_spans(repo: Repository, technicians: Iterable[str], path: str) -> list[tuple]:
    """The interventions (:func:`gitdesk.core.checks.spans_of`) of ``technicians`` in every ticket but
    the file ``path``, in the order of ``repo.tickets`` (when they were reported)."""
    wanted = frozenset(technicians)
    if not wanted:
        return []
    if isinstance(repo, Workset):
        return repo.spans_of(wanted, path)
    from gitdesk.core import checks

    return [s for t in repo.tickets.values() if t.path != path for s in checks.spans_of(t, t.path or "") if s[0] in wanted]


# ---------------------------------------------------------------- the workset


def _evaluate(now: dt.datetime, customer: Optional[str]):
    from gitdesk.load.request import Evaluate, Request

    return Request(evaluate=Evaluate(now, customer))


def _workset(root: Path, cache: Optional["Cache"]) -> "Workset":
    root = Path(root)
    provider, plans, customers, issued, adjustments, tz_name, holidays = _contracts(root, _context_files(root), cache)
    known_holidays(holidays)
    ws = Workset(root, provider, plans, customers, {}, issued=issued, adjustments=adjustments)
    object.__setattr__(ws, "_cache", cache)
    object.__setattr__(ws, "_tz_name", tz_name)
    object.__setattr__(ws, "tickets", _Tickets(ws))
    return ws


#: The name of the contracts' records in the cache (see :func:`_contracts`).
CONTRACTS = "contracts:2"


def _contracts(root: Path, files: list, cache: Optional["Cache"]) -> tuple:
    """The provider, plans, customers, issued statements and corrections by id, and the provider's time zone as
    named: from the cache when no contract file changed since (their signatures, trusted as the ticket index
    trusts them: see :mod:`gitdesk.load.index`), else read as the whole load reads them."""
    import os
    import stat
    import time

    from gitdesk.load.index import SETTLED, signature

    started = time.time_ns()
    try:
        infos = [os.lstat(root / f.path) for f in files]
    except OSError:
        infos = []
    sigs = tuple((f.path, signature(i)) for f, i in zip(files, infos)) if len(infos) == len(files) else None
    if sigs is not None and not all(stat.S_ISREG(i.st_mode) for i in infos):
        sigs = None  # a linked file: its own signature does not change with its target
    if cache is not None and sigs is not None:
        stored = cache.get_index(CONTRACTS)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == sigs:
            return stored[1]
    context = _read_contracts(root, files, cache)
    settled = sigs is not None and all(max(i.st_mtime_ns, i.st_ctime_ns) < started - SETTLED for i in infos)
    if cache is not None and settled:
        cache.put_index(CONTRACTS, (sigs, context))
    return context


def _read_contracts(root: Path, files: list, cache: Optional["Cache"]) -> tuple:
    from gitdesk.load.discover import Scan, read_bytes, unreadable_problem
    from gitdesk.load.files import real_root
    from gitdesk.load.loader import read_contracts

    readable, problems = [], []
    real = real_root(root)
    for f in files:
        try:
            f.raw = read_bytes(root, f.path, real)
            readable.append(f)
        except OSError as exc:
            problems.append(unreadable_problem(f.path, exc))
    records, _ = read_contracts(Scan(root, readable, problems, ""), cache)
    c = records.context
    return (c.provider, dict(c.plans), dict(c.customers), dict(c.issued), dict(c.adjustments), records.tz_name,
            _holidays(c.provider))


#: The years around this one whose public holidays are kept with the contracts: a technician's work.
HOLIDAY_YEARS = 2


def _holidays(provider) -> dict:
    """The public holidays of the provider's calendars' countries, from two years ago to two years ahead
    (:func:`gitdesk.core.calendar.public_holidays`); other years are looked up when asked."""
    if provider is None:
        return {}
    countries = {c.holidays for c in provider.calendars.values() if c.holidays}
    year = dt.date.today().year
    try:
        return public_holidays(countries, range(year - HOLIDAY_YEARS, year + HOLIDAY_YEARS + 1))
    except (NotImplementedError, KeyError, ValueError):  # an unknown country: the contracts' checks report it
        return {}


def _lazy(name: str):
    """A field of the whole load, read from it when first asked for (what the constructor gave is ignored)."""

    def get(self):
        return getattr(self.full(), name)

    def ignore(self, value):
        pass

    return property(get, ignore)


class Workset(Repository):
    """A repository read as far as it is asked (see the module's docstring)."""

    problems = _lazy("problems")  # type: ignore[assignment]
    digest = _lazy("digest")  # type: ignore[assignment]
    partial = _lazy("partial")  # type: ignore[assignment]
    ticket_count = _lazy("ticket_count")  # type: ignore[assignment]

    def full(self, request: Any = None) -> Repository:
        """The whole load (``request``: what it computes besides, see :mod:`gitdesk.load.request`)."""
        from gitdesk.load.loader import Request, load, scan

        request = request or Request()
        done = self.__dict__.setdefault("_loads", {})
        if request not in done:
            done[request] = load(scan(Path(self.root)), request, cache=self._cache)
        return done[request]

    def index(self):
        """The index of the ticket files (:class:`gitdesk.load.index.Index`), or None where the layout is not the plain one."""
        if "_index" not in self.__dict__:
            from gitdesk.load.index import Index

            self.__dict__["_index"] = Index.fresh(Path(self.root), self._cache, self, self._tz_name)
        return self.__dict__["_index"]

    def entries(self) -> Optional[dict[str, str]]:
        """The ticket files by id (:meth:`gitdesk.load.index.Index.tickets`), or None where the layout is not the plain one."""
        if "_entries" not in self.__dict__:
            index = self.index()
            self.__dict__["_entries"] = index.tickets() if index is not None else None
        return self.__dict__["_entries"]

    def _summaries(self, customer: Optional[str] = None) -> list[tuple[str, str, bytes]]:
        """``(id, path, entry)`` of every ticket (of ``customer``), parsed, in the files' order (the whole load's)."""
        from gitdesk.load.index import HAS_RECORD, customer_of, flags_of

        index = self.index()
        tickets = self.entries()
        index.summarised(tickets.values())
        out = []
        for tid, rel in tickets.items():
            entry = index.files[rel]
            if flags_of(entry) & HAS_RECORD and (customer is None or customer_of(entry) == customer):
                out.append((tid, rel, entry))
        return out

    def records(self, ids: Iterable[str]) -> dict[str, "Ticket"]:
        """The records of the tickets ``ids`` (each a ticket of :meth:`entries`), read through the per-file cache."""
        from gitdesk.load.discover import SourceFile, read_bytes
        from gitdesk.load.index import key_of
        from gitdesk.load.read import cache_key, read_record

        index, tickets = self.index(), self.entries()
        ids = list(ids)
        wanted = [(tid, tickets[tid], key_of(index.entry(tickets[tid]))) for tid in ids]
        cache = self._cache
        held = cache.get_many([key for _, _, key in wanted]) if cache is not None else {}
        out = {}
        for tid, rel, key in wanted:
            result = cache.unpack(key, held.get(key)) if cache is not None else None
            if result is None:
                f = SourceFile("ticket", rel, read_bytes(self.root, rel))
                if cache_key(f, self._tz_name) != key:  # changed since the index was made: read in full
                    return {t: self.full().tickets[t] for t in ids if t in self.full().tickets}
                result = read_record("ticket", rel, f.raw, self._tz_name)  # type: ignore[arg-type]
            if result[0] is not None:
                out[tid] = result[0]
        return out

    def spans_of(self, technicians: frozenset[str], path: str) -> list[tuple]:
        index = self.index()
        if index is None:
            return other_spans(self.full(), technicians, path)
        return index.spans(technicians, path, self.entries())

    def open_sla(self, now: dt.datetime, customer: Optional[str]) -> dict[str, Any]:
        """The SLA at ``now`` of the tickets open then (of ``customer``, or all)."""
        from gitdesk.core.sla import evaluate
        from gitdesk.load.index import PARTIAL, flags_of, times_of

        if self.index() is None:
            return {t: r for t, r in self.full(_evaluate(now, customer)).sla.items() if r.open}
        moment = now.timestamp()
        candidates = [tid for tid, _, e in self._summaries(customer)  # in the files' order, as the whole load's
                      if not flags_of(e) & PARTIAL and (times_of(e)[1] is None or moment < times_of(e)[1])]
        out = {}
        for tid, ticket in self.records(candidates).items():
            result = evaluate(self, ticket, now)
            if result.open:
                out[tid] = result
        return out

    def customer_facts(self, customer: str, now: dt.datetime, ticket: Optional[str] = None) -> tuple[dict[str, Any], tuple]:
        """The SLA at ``now`` of ``customer``'s tickets, and the charges of their interventions
        (with ``ticket``: of those its statements need, see :func:`one`)."""
        from gitdesk.core import checks
        from gitdesk.core.charges import charges_as_recorded
        from gitdesk.core.sla import evaluate
        from gitdesk.load.index import FLAWED, PARTIAL, flags_of

        if self.index() is None:
            from gitdesk.load.request import EVERY_TICKET, Evaluate, Request

            whole = self.full(Request(evaluate=Evaluate(now, customer), price=EVERY_TICKET))
            return dict(whole.sla), tuple(whole.works.get(customer, ()))
        mine = self._summaries(customer)
        if ticket is not None:
            mine = self._needed(customer, ticket, mine)
        records = self.records(tid for tid, _, _ in mine)
        sla: dict[str, Any] = {}
        works: list = []
        for tid, _, entry in mine:
            flags, record = flags_of(entry), records[tid]
            if flags & PARTIAL:
                continue  # a record salvaged in part is never computed on
            sla[tid] = evaluate(self, record, now)
            if flags & FLAWED or not record.interventions or checks.ticket_checks(self, record):
                continue
            works.extend(charges_as_recorded(self, record, (now, sla[tid])))
        return sla, tuple(works)

    def _needed(self, customer: str, ticket: str, mine: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
        """Of ``mine``, ``ticket`` and the tickets with work on its statements: in the months of its work, and
        for a customer with prepaid packages in the months before (as :class:`gitdesk.load.request.Price`
        chooses them), told by the index's record of each ticket's interventions, before any is read."""
        from gitdesk.core.scalars import month_of
        from gitdesk.load.index import spans_in

        tz = self.tz

        def months(rel: str, entry: bytes) -> set[str]:
            return {month_of(dt.datetime.fromtimestamp(span[1], tz)) for span in spans_in(rel, entry)}

        shown = next((months(rel, entry) for tid, rel, entry in mine if tid == ticket), set())
        client = self.customers.get(customer)
        before = max(shown) if shown and client is not None and client.packages else ""
        return [(tid, rel, entry) for tid, rel, entry in mine
                if tid == ticket or any(m in shown or m < before for m in months(rel, entry))]


class _Tickets(Mapping):
    """The tickets of a workset by id: one looked up is read alone; iterating reads them all (the whole load)."""

    def __init__(self, ws: Workset):
        self.ws = ws

    def __getitem__(self, tid: str) -> "Ticket":
        if self.ws.index() is None:
            return self.ws.full().tickets[tid]
        if tid not in self:
            raise KeyError(tid)
        return self.ws.records([tid])[tid]

    def __contains__(self, tid: object) -> bool:
        from gitdesk.load.index import HAS_RECORD, flags_of

        index = self.ws.index()
        if index is None:
            return tid in self.ws.full().tickets
        rel = self.ws.entries().get(tid)  # type: ignore[call-overload]
        return rel is not None and bool(flags_of(index.entry(rel)) & HAS_RECORD)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ws.full().tickets)

    def __len__(self) -> int:
        return len(self.ws.full().tickets)

    def __eq__(self, other: object) -> bool:
        return dict(self.ws.full().tickets) == other if isinstance(other, Mapping) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def zone(root: Path, cache: Optional["Cache"]) -> dt.tzinfo:
    """The provider's time zone, to read a command's --now the way the data is read (UTC while the
    provider file is missing or broken: the command then says so). From the contracts as the cache keeps them."""
    provider = _contracts(Path(root), _context_files(Path(root)), cache)[0]
    return provider.tz if provider is not None else dt.timezone.utc


def _context_files(root: Path) -> list:
    """The contract and issued-statement files, as the whole load finds them."""
    from gitdesk.load import discover as found

    walk = found._Walk(root)
    return found._contracts(walk) + found._statements(walk)
