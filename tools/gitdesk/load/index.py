"""An index of the ticket files: what a ticket command looks up without reading every ticket.

Per ticket file it keeps the file's signature (size, times, inode, as
``lstat`` gives them), the key of its content in the per-file cache
(:func:`gitdesk.load.read.cache_key`) and what the ticket commands look up
(:func:`pack`): whether it holds a ticket, when it was reported, its
customer, from when it is resolved for good, and its interventions as the
rule "a technician is in one place at a time" compares them. The whole index is one entry of the cache (:meth:`Cache.get_index`),
tagged like every other.

An entry is trusted only when the file's signature is the one recorded, and
a signature is recorded only for a file that had last changed a while
(:data:`SETTLED`) before: a file changed again within the same tick of the
file system's clock would keep its signature, so a recent one is read again
and known by its content, as git does with its index. Any other file is read, its content keyed, and
its summary taken from the per-file cache or computed (in worker processes
when there are many). Nothing in the index is ever used without one of these
two checks: a summary is always the one of the bytes on disk.

The index covers the plain layout (``tickets/YYYY/MM/<id>.yaml``, regular
files and folders, the names :data:`gitdesk.load.discover.IGNORED` aside).
Anything else under ``tickets/`` (a link, a misplaced or misnamed file) makes
:func:`fresh` give None: the caller then loads the repository in full, which
reports it.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import stat
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from gitdesk.core.errors import Problem
from gitdesk.core.repository import TICKETS
from gitdesk.load.discover import _TICKET_NAME, IGNORED, SourceFile, read_bytes, unreadable_problem
from gitdesk.load import files as files_mod

if TYPE_CHECKING:
    from gitdesk.core.model import Ticket
    from gitdesk.core.repository import Repository
    from gitdesk.load.cache import Cache

#: Nanoseconds a file must have been unchanged before it was recorded for its signature to be trusted.
SETTLED = 2_000_000_000
#: From this many files to summarise, the work goes to worker processes.
PARALLEL = 2000
#: Files read again (their signature changed) from which the whole index is written anew.
REWRITE = 64
#: Bumped when what a summary holds changes (the code's own fingerprint drops the cache anyway).
VERSION = 1

NAN = float("nan")
_YEAR = re.compile(r"\d{4}\Z")
_MONTH = re.compile(r"\d{2}\Z")


#: A file's entry, packed: its signature (zeros: not to be trusted, see :func:`_stored`), its content's
#: key, flags, when it was reported and from when it is resolved (NaN: not for good); then its customer,
#: a zero byte, and its interventions (:func:`gitdesk.core.checks.spans_of` without the path), pickled.
_HEAD = struct.Struct("<6q20sBdd")
_SIG = struct.Struct("<6q")
_UNTRUSTED = bytes(_SIG.size)
_KEY = slice(_SIG.size, _SIG.size + 20)
HAS_RECORD, PARTIAL, FLAWED = 1, 2, 4


def pack(signature: bytes, key: bytes, path: str, record: Optional["Ticket"], problems: Sequence[Problem]) -> bytes:
    """The entry of a ticket file read as ``record`` with ``problems`` (see :func:`gitdesk.load.read.read_record`)."""
    flags = (PARTIAL if any(p.code == "partial" for p in problems) else 0) | \
            (FLAWED if any(p.code != "partial" for p in problems) else 0)
    if record is None:
        return _HEAD.pack(*_SIG.unpack(signature), key, flags, 0.0, NAN) + b"\0" + pickle.dumps(())
    from gitdesk.core.checks import spans_of

    spans = tuple((tech, start, end, i, line) for tech, start, end, _, i, line in spans_of(record, path))
    resolved = _resolved_from(record)
    head = _HEAD.pack(*_SIG.unpack(signature), key, flags | HAS_RECORD, record.reported.timestamp(),
                      NAN if resolved is None else resolved)
    return head + record.customer.encode() + b"\0" + pickle.dumps(spans, protocol=pickle.HIGHEST_PROTOCOL)


def _resolved_from(ticket: "Ticket") -> Optional[float]:
    """From when the ticket is resolved whatever the moment asked about: the time of its last ``resolved`` or
    ``reopened`` event (in time order, ties in the file's, as the SLA reads them) when that is a ``resolved``."""
    last = None
    for event in sorted(ticket.log, key=lambda e: e.at):
        if event.event in ("resolved", "reopened"):
            last = event
    return last.at.timestamp() if last is not None and last.event == "resolved" else None


def key_of(entry: bytes) -> bytes:
    return entry[_KEY]


def flags_of(entry: bytes) -> int:
    return entry[_KEY.stop]


def times_of(entry: bytes) -> tuple[float, Optional[float]]:
    """When the ticket was reported, and from when it is resolved for good (None: it may be open at any moment)."""
    reported, resolved = _HEAD.unpack_from(entry)[-2:]
    return reported, None if math.isnan(resolved) else resolved


def customer_of(entry: bytes) -> str:
    return entry[_HEAD.size : entry.index(b"\0", _HEAD.size)].decode()


def spans_in(path: str, entry: bytes) -> list[tuple]:
    """The file's interventions as :func:`gitdesk.core.checks.spans_of` gives them."""
    from gitdesk.load.cache import _loads

    raw = _loads(entry[entry.index(b"\0", _HEAD.size) + 1 :])
    return [(tech, start, end, path, i, line) for tech, start, end, i, line in raw]


# ---------------------------------------------------------------- the files


def signature(info: os.stat_result) -> bytes:
    return _SIG.pack(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev, info.st_mode)


def listing(root: Path) -> Optional[list[tuple[str, bytes]]]:
    """``(path, signature)`` of every ticket file, in the order :func:`gitdesk.load.discover.discover`
    finds them; None when anything under ``tickets/`` is not of the plain layout."""
    base = f"{root}{os.sep}"
    try:
        if not stat.S_ISDIR(os.lstat(base + TICKETS).st_mode):
            return None
    except FileNotFoundError:
        return []
    except OSError:
        return None
    found: list[tuple[str, bytes]] = []
    try:
        for year in _folders(base, TICKETS, _YEAR):
            for month in _folders(base, year, _MONTH):
                for name in sorted(os.listdir(base + month)):
                    if name in IGNORED:
                        continue
                    rel = f"{month}/{name}"
                    info = os.lstat(base + rel)
                    if not (_TICKET_NAME.match(name) and stat.S_ISREG(info.st_mode)):
                        return None
                    found.append((rel, signature(info)))
    except (OSError, _Unusual):
        return None
    return found


class _Unusual(Exception):
    pass


def _folders(base: str, rel: str, pattern: re.Pattern) -> list[str]:
    out = []
    for name in sorted(os.listdir(base + rel)):
        if name in IGNORED:
            continue
        sub = f"{rel}/{name}"
        if not (pattern.match(name) and stat.S_ISDIR(os.lstat(base + sub).st_mode)):
            raise _Unusual(sub)
        out.append(sub)
    return out


# ---------------------------------------------------------------- fresh entries


def fresh(root: Path, cache: Optional["Cache"], context: "Repository", tz_name: str) -> Optional[dict[str, bytes]]:
    """Every ticket file's entry (see :func:`pack`), true to the bytes on disk, in the order the loader
    reads them; None when the layout is not the plain one (see the module's docstring)."""
    started = time.time_ns()
    found = listing(Path(root))
    if found is None:
        return None
    name = f"tickets:{VERSION}:{tz_name}"
    held = (cache.get_index(name) if cache is not None else None) or {}
    entries: dict[str, Optional[bytes]] = {}
    todo: list[tuple[str, bytes]] = []
    for rel, sig in found:
        old = held.get(rel)
        if old is not None and old.startswith(sig):
            entries[rel] = old
        else:
            entries[rel] = None
            todo.append((rel, sig))
    if todo:
        for rel, entry in _summarised(root, todo, held, cache, context, tz_name):
            entries[rel] = entry
    # A few files read again cost less than writing the whole index: it is written when many changed.
    if cache is not None and (len(todo) >= REWRITE or not held or len(held) > len(entries) + REWRITE):
        cache.put_index(name, {rel: _stored(e, started) for rel, e in entries.items() if e is not None and key_of(e) != NO_KEY})
    return {rel: e for rel, e in entries.items() if e is not None}


#: The key of a file that could not be read (never kept in the index).
NO_KEY = bytes(20)


def _stored(entry: bytes, recorded: int) -> bytes:
    """An entry as the index keeps it: with its signature only when the file had settled before it was
    taken (see the module's docstring); without, the file is read again next time and known by its content."""
    size, mtime, ctime, *_ = _SIG.unpack_from(entry)
    return entry if max(mtime, ctime) < recorded - SETTLED else _UNTRUSTED + entry[_SIG.size :]


def _summarised(root: Path, todo, held, cache, context, tz_name: str):
    """The entries of files whose signature is not the one recorded: read, keyed by content, summarised."""
    from gitdesk.load import executor
    from gitdesk.load.read import cache_key
    from gitdesk.load.request import Request
    from gitdesk.load.tickets import TicketStage

    real = files_mod.real_root(root)
    files, keys = [], {}
    for rel, sig in todo:
        f = SourceFile("ticket", rel)
        try:
            f.raw = read_bytes(root, rel, real)
        except OSError as exc:
            yield rel, pack(sig, NO_KEY, rel, None, [unreadable_problem(rel, exc)])
            continue
        key = cache_key(f, tz_name)
        old = held.get(rel)
        if old is not None and key_of(old) == key:
            yield rel, sig + old[_SIG.size :]  # the same bytes: the summary stands
        else:
            keys[rel] = (sig, key)
            files.append(f)
    if not files:
        return
    if len(files) < PARALLEL:
        results = _Packed(lambda batch: _read_here(batch, cache, tz_name), keys)(files)
    else:
        # Many files (a first command after a clone): the per-file cache is looked up but not filled, which
        # would cost the command half again as long (gitdesk validate fills it).
        stage = TicketStage(context, tz_name, Request(tickets=False), cache)
        work = _Packed(lambda batch: [(*read[:2], None) for read in stage._read(batch, {})], keys)
        results = executor.run(work, files, threshold=PARALLEL, size=executor.batch_size(len(files), None))
    written: dict[bytes, bytes] = {}
    for f, (packed, entry) in zip(files, results):
        if entry is not None:
            written[entry[0]] = entry[1]
        yield f.path, packed
    if cache is not None and written:
        cache.put_many(written)


class _Packed:
    """``(entry, new per-file cache entry)`` of a batch of files, where they are read (a worker process, for
    many): only the packed entries travel back, never the records."""

    def __init__(self, read, keys: dict):
        self.read = read  # a batch of files to ``(record, problems, new cache entry)`` of each
        self.keys = keys  # each file's (signature, content key) by path

    def __call__(self, files: Sequence[SourceFile]) -> list[tuple]:
        out = []
        for f, (record, problems, entry) in zip(files, self.read(files)):
            sig, key = self.keys[f.path]
            out.append((pack(sig, key, f.path, record, problems), entry))
        return out


def _read_here(files: Sequence[SourceFile], cache, tz_name: str) -> list[tuple]:
    """``(record, problems, new cache entry)`` of a few files, read in this process through the per-file cache."""
    from gitdesk.load.read import cache_key, read_record

    keys = [cache_key(f, tz_name) for f in files]
    held = cache.get_many(keys) if cache is not None else {}
    out = []
    for f, key in zip(files, keys):
        result = cache.unpack(key, held.get(key)) if cache is not None else None
        entry = None
        if result is None:
            result = read_record("ticket", f.path, f.raw, tz_name)  # type: ignore[arg-type]
            entry = (key, cache.pack(key, result)) if cache is not None else None
        out.append((*result, entry))
    return out


def tickets_of(entries: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """The files that are tickets, by id (a ticket's id is its file's name): of two files with one id, the
    first (the second is a problem)."""
    out: dict[str, tuple[str, bytes]] = {}
    for rel, entry in entries.items():
        if entry[_KEY.stop] & HAS_RECORD:
            tid = rel[rel.rindex("/") + 1 : -5]
            if tid not in out:
                out[tid] = (rel, entry)
    return out
