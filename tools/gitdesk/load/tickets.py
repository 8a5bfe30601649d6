"""The tickets' stages, run where each ticket file is read: read, own checks, evaluation, pricing.

Per file, in a worker process for a large repository (see
:mod:`gitdesk.load.executor`): its record and own problems (from the cache
when its bytes are known), the rules that need the contracts, the warnings
(what is possible but probably mistyped: they are worked out on every run,
cached or not, as the rules that need the contracts are), and on request
its SLA at a moment and its charges. What comes back for each file is an
:class:`Outcome`: facts small enough to travel back fast, and the record
itself only when the command keeps the tickets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Sequence

from gitdesk.core import checks
from gitdesk.core.charges import charges_as_recorded
from gitdesk.core.errors import Problem
from gitdesk.core.model import Ticket
from gitdesk.core.repository import Repository
from gitdesk.core.sla import evaluate
from gitdesk.load.discover import SourceFile, read_deferred
from gitdesk.load.read import cache_key, read_record
from gitdesk.load.request import Request

if TYPE_CHECKING:
    from gitdesk.load.cache import Cache


class Outcome(NamedTuple):
    """What one ticket file gives back (read by position: from a worker it is a plain tuple)."""

    id: Optional[str]
    problems: list[Problem]
    spans: list[tuple]
    partial: bool = False
    ticket: Optional[Ticket] = None
    sla: Any = None  # its TicketSla when evaluated
    works: tuple = ()  # its WorkCharges when priced
    entry: Optional[tuple[bytes, bytes]] = None  # a new cache entry (key, value) for the main process to write


class TicketStage:
    """The work of a batch of ticket files, for :func:`gitdesk.load.executor.run`.

    Made in the main process before the workers fork; a worker opens its own
    connection to the cache (a database connection does not survive a fork)
    and looks up only the keys the cache held when the load began, so a
    cold run asks the database nothing while it fills it. New entries go
    back to the main process, the only writer (two writers would wait on
    each other's lock).
    """

    def __init__(self, context: Repository, tz_name: str, request: Request, cache: Optional["Cache"]):
        self.context = context
        self.root = Path(context.root)
        self.tz_name = tz_name
        self.request = request
        self.locked = frozenset(s.customer for s in context.issued.values())
        self.cache = cache
        self.known = cache.keys() if cache is not None else frozenset()
        self._pid = os.getpid()

    def __call__(self, files: Sequence[SourceFile]) -> list[Outcome]:
        # Every file of the batch is read first, then every ticket checked and
        # computed: each loop keeps its own code hot in the processor's caches.
        unreadable = read_deferred(files, self.root)
        read = self._read(files, unreadable)
        return [self._outcome(f, result, unreadable.get(n)) for n, (f, result) in enumerate(zip(files, read))]

    # ------------------------------------------------------------ read (the cacheable unit)

    def _read(self, files: Sequence[SourceFile], unreadable: dict[int, Problem]) -> list[Optional[tuple]]:
        """Each file's ``(record, problems, new cache entry)``; None for one that cannot be read."""
        cache = self._cache()
        if cache is None:
            return [None if n in unreadable else (*read_record("ticket", f.path, f.raw, self.tz_name), None)  # type: ignore[arg-type]
                    for n, f in enumerate(files)]
        keys = [cache_key(f, self.tz_name) for f in files]
        held = cache.get_many([k for k in keys if k in self.known])
        out: list[Optional[tuple]] = []
        for n, (f, key) in enumerate(zip(files, keys)):
            if n in unreadable:
                out.append(None)
                continue
            result = cache.unpack(key, held.get(key))
            if result is not None:
                out.append((*result, None))
                continue
            result = read_record("ticket", f.path, f.raw, self.tz_name)  # type: ignore[arg-type]  # absent, or not verified
            out.append((*result, (key, cache.pack(key, result))))
        return out

    def _cache(self) -> Optional["Cache"]:
        """The cache, through a connection of this process's own."""
        if self.cache is not None and os.getpid() != self._pid:
            from gitdesk.load.cache import Cache

            self.cache, self._pid = Cache(self.cache.directory, self.cache.key), os.getpid()
        return self.cache

    # ------------------------------------------------------------ checks, evaluation, pricing

    def _outcome(self, f: SourceFile, read: Optional[tuple], unreadable: Optional[Problem]) -> Outcome:
        if read is None:
            return Outcome(None, [unreadable], [])  # type: ignore[list-item]
        ticket, problems, entry = read
        partial = any(p.code == "partial" for p in problems)
        if partial:
            problems = [p for p in problems if p.code != "partial"]
        if ticket is None:
            return Outcome(None, problems, [], entry=entry)
        problems.extend(checks.ticket_checks(self.context, ticket))
        spans = checks.spans_of(ticket, f.path)
        result = None if partial else self._evaluated(ticket)
        works = () if partial or problems else self._priced(ticket, result)
        problems.extend(checks.ticket_warnings(self.context, ticket))  # a warning stops no evaluation nor pricing
        if result is not None and self.request.evaluate.shape is not None:  # type: ignore[union-attr]
            result = self.request.evaluate.shape(result)  # type: ignore[union-attr]
        return Outcome(ticket.id, problems, spans, partial, ticket if self.request.tickets else None, result, works, entry)

    def _evaluated(self, ticket: Ticket):
        """The ticket's SLA at the moment asked for (None when not asked for)."""
        asked = self.request.evaluate
        if asked is None or not asked.wants(ticket, self.context.tz):
            return None
        return evaluate(self.context, ticket, asked.at)

    def _priced(self, ticket: Ticket, result) -> tuple:
        """The charges of the ticket's interventions, when they are asked for or the lock needs them."""
        if not ticket.interventions or not self._wants_price(ticket):
            return ()
        known = (self.request.evaluate.at, result) if result is not None else None  # type: ignore[union-attr]
        return charges_as_recorded(self.context, ticket, known)

    def _wants_price(self, ticket: Ticket) -> bool:
        if ticket.customer in self.locked:
            return True
        price = self.request.price
        if price is None:
            return False
        customer = self.context.customers.get(ticket.customer)
        return price.wants(ticket, self.context.tz, bool(customer.packages) if customer is not None else False)
