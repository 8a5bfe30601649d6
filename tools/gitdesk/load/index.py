"""An index of the ticket files: what a ticket command looks up without reading every ticket.

Per ticket file it keeps the file's signature (size, times, inode, as
``lstat`` gives them), the key of its content in the per-file cache
(:func:`gitdesk.load.read.cache_key`) and what the ticket commands look up
(:func:`pack`): whether it holds a ticket, when it was reported, its
customer, from when it is resolved for good, and its interventions as the
rule "a technician is in one place at a time" compares them. The whole
index is one entry of the cache (:meth:`Cache.get_index`), tagged like every
other.

An entry is trusted only when the file's signature is the one recorded, and
a signature is recorded only for a file that had last changed a while
(:data:`SETTLED`) before: a file changed again within the same tick of the
file system's clock would keep its signature, so a recent one is read again
and known by its content, as git does with its index. Any other file is
read, its content keyed, and its entry taken from the per-file cache or
computed (in worker processes when there are many). Nothing in the index is
used without one of these two checks: an entry is always the one of the
bytes on disk.

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
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

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
HAS_RECORD, PARTIAL, FLAWED, LOOKED, OPAQUE = 1, 2, 4, 8, 16


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
    """From when the ticket is closed (resolved or cancelled) whatever the moment asked about: the time of its
    last ``resolved``, ``cancelled`` or ``reopened`` event (in time order, ties in the file's, as the SLA reads
    them) when that is not a ``reopened``. Only a prefilter: the queue evaluates every ticket it keeps."""
    last = None
    for event in sorted(ticket.log, key=lambda e: e.at):
        if event.event in ("resolved", "cancelled", "reopened"):
            last = event
    return last.at.timestamp() if last is not None and last.event != "reopened" else None


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
                if not _month(base + month, month, found):
                    return None
    except (OSError, _Unusual):
        return None
    return found


def _month(path: str, rel: str, found: list[tuple[str, bytes]]) -> bool:
    """Add the files of a month's folder to ``found``; False when one is not a plainly named file."""
    if not _BY_FOLDER:
        return _month_by_path(path, rel, found)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        lstat, pack, regular, named = os.stat, _SIG.pack, stat.S_ISREG, _TICKET_NAME.match
        for name in sorted(os.listdir(fd)):
            if name in IGNORED:
                continue
            i = lstat(name, dir_fd=fd, follow_symlinks=False)  # relative to the folder: no path walked per file
            if not (named(name) and regular(i.st_mode)):
                return False
            found.append((f"{rel}/{name}", pack(i.st_size, i.st_mtime_ns, i.st_ctime_ns, i.st_ino, i.st_dev, i.st_mode)))
    finally:
        os.close(fd)
    return True


#: Whether a file's status can be asked relative to its open folder (not on every system).
_BY_FOLDER = os.stat in os.supports_dir_fd and os.listdir in os.supports_fd


def _month_by_path(path: str, rel: str, found: list[tuple[str, bytes]]) -> bool:
    for name in sorted(os.listdir(path)):
        if name in IGNORED:
            continue
        info = os.lstat(f"{path}{os.sep}{name}")
        if not (_TICKET_NAME.match(name) and stat.S_ISREG(info.st_mode)):
            return False
        found.append((f"{rel}/{name}", signature(info)))
    return True


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


#: The key of a file that could not be read (never kept in the index).
NO_KEY = bytes(20)
#: From this many files to read anew (a first command after a clone), files are only looked through (see :class:`Index`).
LOOK_FROM = 500


class Index:
    """Every ticket file's entry, true to the bytes on disk (see the module's docstring), in the order the
    loader reads them.

    Many new files (a first command after a clone) are not parsed at once: each is only looked through for
    the ids of the team (:func:`_looked`), and parsed when a command needs it (:meth:`summarised`). The rule a
    technician is in one place at a time needs only the files that can name that technician: a YAML scalar
    names one only as its very characters (between characters an id cannot hold), or through an escape, a
    tag or another encoding than UTF-8, which a file without ``\\``, ``!`` and NUL bytes cannot use.
    """

    def __init__(self, root: Path, cache: Optional["Cache"], context: "Repository", tz_name: str):
        self.root, self.cache, self.context, self.tz_name = Path(root), cache, context, tz_name
        self.team = tuple(sorted(context.team_ids)) if context.provider is not None else ()
        self.name = f"tickets:{VERSION}:{tz_name}"
        self.started = time.time_ns()
        self.files: dict[str, bytes] = {}
        self.changed = 0
        self.held: dict[str, bytes] = {}

    @classmethod
    def fresh(cls, root: Path, cache: Optional["Cache"], context: "Repository", tz_name: str) -> Optional["Index"]:
        """The index of the files on disk now; None when the layout is not the plain one."""
        index = cls(root, cache, context, tz_name)
        found = listing(index.root)
        if found is None:
            return None
        stored = cache.get_index(index.name) if cache is not None else None
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == index.team:
            index.held = stored[1]
        held = index.held
        todo: list[tuple[str, bytes]] = []
        files = index.files
        for rel, sig in found:
            old = held.get(rel)
            if old is not None and old.startswith(sig):
                files[rel] = old
            else:
                files[rel] = b""
                todo.append((rel, sig))
        if todo:
            for rel, entry in index._read(todo, look=len(todo) >= LOOK_FROM):
                files[rel] = entry
            index.changed += len(todo)
        index.save(removed=len(held) - (len(files) - len(todo)))
        return index

    def save(self, removed: int = 0) -> None:
        """Write the index when much changed: a few files read again cost less than writing it whole."""
        if self.cache is not None and (self.changed >= REWRITE or not self.held or removed >= REWRITE):
            kept = {rel: _stored(e, self.started) for rel, e in self.files.items() if e[_KEY] != NO_KEY}
            self.cache.put_index(self.name, (self.team, kept))
            self.held, self.changed = kept, 0

    # ------------------------------------------------------------ reading files

    def _read(self, todo: Sequence[tuple[str, bytes]], look: bool = False):
        """``(path, entry)`` of files whose signature is not the one recorded: read, keyed by content, and
        summarised (or, with ``look``, looked through)."""
        from gitdesk.load.read import cache_key

        real = files_mod.real_root(self.root)
        files, keys = [], {}
        pattern = _team_pattern(self.team) if look else None
        for rel, sig in todo:
            f = SourceFile("ticket", rel)
            try:
                f.raw = read_bytes(self.root, rel, real)
            except OSError as exc:
                yield rel, pack(sig, NO_KEY, rel, None, [unreadable_problem(rel, exc)])
                continue
            key = cache_key(f, self.tz_name)
            old = self.held.get(rel)
            if old is not None and old[_KEY] == key:
                yield rel, sig + old[_SIG.size :]  # the same bytes: the entry stands
            elif look:
                yield rel, _looked(sig, key, f.raw, pattern)  # type: ignore[arg-type]
            else:
                keys[rel] = (sig, key)
                files.append(f)
        if files:
            yield from self._parsed(files, keys)

    def _parsed(self, files: list[SourceFile], keys: dict):
        cache, tz_name = self.cache, self.tz_name
        if len(files) < PARALLEL:
            results = _Packed(lambda batch: _read_here(batch, cache, tz_name), keys)(files)
        else:
            from gitdesk.load import executor
            from gitdesk.load.request import Request
            from gitdesk.load.tickets import TicketStage

            # Many files: the per-file cache is looked up but not filled, which would cost the command half
            # again as long (gitdesk validate fills it).
            stage = TicketStage(self.context, tz_name, Request(tickets=False), cache)
            work = _Packed(lambda batch: [(*read[:2], None) for read in stage._read(batch, {})], keys)
            results = executor.run(work, files, threshold=PARALLEL, size=executor.batch_size(len(files), None))
        written: dict[bytes, bytes] = {}
        for f, (packed, entry) in zip(files, results):
            if entry is not None:
                written[entry[0]] = entry[1]
            yield f.path, packed
        if cache is not None and written:
            cache.put_many(written)

    def summarised(self, rels: Iterable[str]) -> None:
        """Parse the files among ``rels`` that were only looked through."""
        todo = [(rel, _UNTRUSTED) for rel in rels if self.files[rel][_KEY.stop] & LOOKED]
        if not todo:
            return
        sigs = {rel: self.files[rel][: _SIG.size] for rel, _ in todo}
        held, self.held = self.held, {}  # the files are read again: what was looked at is not reused
        try:
            for rel, entry in self._read(todo):
                self.files[rel] = sigs[rel] + entry[_SIG.size :] if entry[_KEY] == self.files[rel][_KEY] else entry
        finally:
            self.held = held
        self.changed += len(todo)
        self.save()

    # ------------------------------------------------------------ what the commands look up

    def tickets(self) -> dict[str, str]:
        """The files that are tickets, by id (a ticket's id is its file's name): of two files with one id,
        the first (the second is a problem)."""
        stems = [rel[rel.rindex("/") + 1 : -5] for rel in self.files]
        if len(set(stems)) < len(stems):  # an id used twice: whether each file holds a record decides
            seen: dict[str, list[str]] = {}
            for stem, rel in zip(stems, self.files):
                seen.setdefault(stem, []).append(rel)
            self.summarised(rel for rels in seen.values() if len(rels) > 1 for rel in rels)
        out: dict[str, str] = {}
        for stem, (rel, entry) in zip(stems, self.files.items()):
            flags = entry[_KEY.stop]
            if (flags & HAS_RECORD or flags & LOOKED) and stem not in out:
                out[stem] = rel
        return out

    def _naming(self, technicians: frozenset[str], tickets: dict[str, str]) -> list[tuple[str, str]]:
        """``(id, path)`` of the tickets whose files may name one of ``technicians``: a cheap first look at each
        entry (an id among its bytes), and every file only looked through that could name one otherwise."""
        named = re.compile(b"|".join(re.escape(t.encode()) for t in technicians)).search
        unknown = not technicians <= set(self.team)  # not looked for: every file looked through is parsed
        files, flag = self.files, _KEY.stop
        return [(tid, rel) for tid, rel in tickets.items()
                if named(files[rel]) or files[rel][flag] & LOOKED and (unknown or files[rel][flag] & OPAQUE)]

    def entry(self, rel: str) -> bytes:
        """The file's entry, parsed."""
        self.summarised([rel])
        return self.files[rel]

    def spans(self, technicians: frozenset[str], path: str, tickets: dict[str, str]) -> list[tuple]:
        """The interventions of ``technicians`` in the ``tickets`` (by id) but the file ``path``, in the order of the
        whole load's tickets (when reported, then id: its tie-breaks)."""
        maybe = self._naming(technicians, tickets)
        self.summarised(rel for _, rel in maybe)
        files, found = self.files, []
        for tid, rel in maybe:
            entry = files[rel]
            if rel != path:
                spans = [s for s in spans_in(rel, entry) if s[0] in technicians]
                if spans:
                    found.append((times_of(entry)[0], tid, spans))
        found.sort(key=lambda f: (f[0], f[1]))
        return [s for _, _, spans in found for s in spans]


def _team_pattern(team: Sequence[str]) -> Optional[re.Pattern]:
    """Any id of the team, the longest first (so that an id that begins another is found where it stands alone)."""
    if not team:
        return None
    return re.compile(b"|".join(re.escape(t.encode()) for t in sorted(team, key=len, reverse=True)))


def _looked(sig: bytes, key: bytes, raw: bytes, pattern: Optional[re.Pattern]) -> bytes:
    """The entry of a file only looked through: the ids of the team it holds, and whether it could name one otherwise."""
    opaque = b"\\" in raw or b"!" in raw or b"\0" in raw
    found = sorted(set(pattern.findall(raw))) if pattern is not None else []
    return _HEAD.pack(*_SIG.unpack(sig), key, LOOKED | (OPAQUE if opaque else 0), 0.0, NAN) + b"\0" + b",".join(found)


def _stored(entry: bytes, recorded: int) -> bytes:
    """An entry as the index keeps it: with its signature only when the file had settled before it was
    taken (see the module's docstring); without, the file is read again next time and known by its content."""
    size, mtime, ctime, *_ = _SIG.unpack_from(entry)
    return entry if max(mtime, ctime) < recorded - SETTLED else _UNTRUSTED + entry[_SIG.size :]


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
