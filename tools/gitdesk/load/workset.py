"""What a ticket command reads: the repository as the command needs it, loaded in one place.

Every ``gitdesk ticket`` command gets its records through these functions, so
that how much is read (the whole repository, or only what the command needs
from the cache) is decided here and nowhere else:

- :func:`for_writing`: the context (provider, plans, customers) and what a
  changed ticket file is checked against (every other ticket's interventions,
  for the rule that a technician is in one place at a time);
- :func:`queue`: the tickets with their SLA at one moment, for the work queue;
- :func:`one`: a customer's tickets with their SLA, and the customer's priced work (``gitdesk ticket show``).

Each returns a :class:`~gitdesk.core.repository.Repository`; its ``problems``
say what is wrong with the data, as ``gitdesk validate`` would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

from gitdesk.core.repository import Repository
from gitdesk.load.cache import Cache
from gitdesk.load.loader import load, scan
from gitdesk.load.request import EVERY_TICKET, Evaluate, Request


def for_writing(root: Path, cache: Optional[Cache]) -> Repository:
    """The repository a changed ticket file is checked against (read while the writers' lock is held)."""
    return load(scan(root), Request(), cache=cache)


def queue(root: Path, cache: Optional[Cache], now: dt.datetime, customer: Optional[str] = None) -> Repository:
    """The tickets (of one customer, or all) with their SLA at ``now`` in ``Repository.sla``."""
    return load(scan(root), Request(evaluate=Evaluate(now, customer)), cache=cache)


def one(root: Path, cache: Optional[Cache], customer: str, now: dt.datetime) -> Repository:
    """One customer's tickets with their SLA at ``now``, and the customer's interventions priced (``Repository.works``,
    by customer: charges depend on the customer's other work, e.g. what is left of a prepaid package)."""
    return load(scan(root), Request(evaluate=Evaluate(now, customer), price=EVERY_TICKET), cache=cache)


def zone(root: Path) -> dt.tzinfo:
    """The provider's time zone, to read a command's --now the way the data is read (UTC while the
    provider file is missing or broken: the load then reports it)."""
    from gitdesk.core.repository import PROVIDER
    from gitdesk.load.files import read_data_file
    from gitdesk.load.loader import read_record

    try:
        record, _ = read_record("provider", PROVIDER, read_data_file(root, PROVIDER), "")
    except OSError:
        return dt.timezone.utc
    return record.tz if record is not None else dt.timezone.utc
