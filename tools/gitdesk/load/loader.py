"""One pipeline from a data repository on disk to validated records and problems.

    files on disk → bytes → plain data (libyaml) → records (pydantic) → cross-file checks

Every stage collects problems instead of raising, so one run reports every
problem in the repository. Reading and validating the files is the expensive
part: it runs in worker processes for large repositories and its result for
each file is cached by the file's content (see :mod:`gitdesk.load.cache`), so an
unchanged file is never parsed twice and a changed byte is always parsed anew.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import operator
import os
import re
import stat
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, NamedTuple, Optional, Sequence

from pydantic import ValidationError

from gitdesk.core import errors
from gitdesk.load import files as files_mod
from gitdesk.core import scalars
from gitdesk.core.errors import Problem
from gitdesk.core.model import ID_PATTERN, Adjustment, Customer, IssuedStatement, Plan, Provider, Record, Ticket
from gitdesk.load.readahead import ReadAhead
from gitdesk.load.yamlsrc import PATH, YamlProblem, load as load_yaml, locate_all

from gitdesk.core.repository import ADJUSTMENTS, CUSTOMERS, PLANS, PROVIDER, STATEMENTS, TICKETS, Repository

if TYPE_CHECKING:
    from gitdesk.load.cache import Cache

_ID = re.compile(ID_PATTERN)
#: The folder of a ticket: the year and month it was reported.
_MONTH_DIR = re.compile(r"tickets/(\d{4})/(\d{2})")
_ISSUED_DIR = re.compile(r"^statements/(\d{4})/[^/]+$")
#: A ticket file whose name is a valid id (ID_PATTERN, and .yaml).
_TICKET_NAME = re.compile(ID_PATTERN.rstrip("$") + r"\.yaml\Z")
#: Below this many files the work stays in this process (workers cost more to start).
PARALLEL_THRESHOLD = 3000


@dataclass
class SourceFile:
    """A data file found on disk: its kind, repository-relative path and bytes."""

    kind: str
    path: str
    raw: Optional[bytes] = b""  # None: not read yet (a deferred scan leaves tickets to the workers)
    key: bytes = b""

    @property
    def stem(self) -> str:
        return self.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


# ---------------------------------------------------------------- discovery


def discover(root: Path) -> tuple[list[SourceFile], list[Problem]]:
    """The data files of a repository, and problems with names and places.

    Everything under ``contracts/``, ``tickets/`` and ``statements/`` is
    accounted for: a file is read as data, or ignored because it is clearly
    not data (:data:`IGNORED`), or reported (a file that is not ``.yaml``, a
    folder that cannot be listed, a FIFO or device, a link that leads out of
    the repository, a name that is not UTF-8 text). Nothing is skipped in
    silence.
    """
    walk = _Walk(root)
    plans: list[SourceFile] = []
    customers: list[SourceFile] = []
    provider: list[SourceFile] = []
    for base, name in walk.files(CONTRACTS):
        rel = f"{base}/{name}"
        if base == CONTRACTS and name == "provider.yaml":
            provider.append(SourceFile("provider", PROVIDER))
        elif not walk.data_name(rel, name):
            continue
        elif base in (PLANS, CUSTOMERS):
            (plans if base == PLANS else customers).append(SourceFile("plan" if base == PLANS else "customer", rel))
        else:
            walk.report(rel, "a data file in contracts/ is provider.yaml, plans/<plan>.yaml or customers/<customer>.yaml", "file-place")
    if not provider and not walk.seen(PROVIDER):  # not there at all (a FIFO or a link is reported as such)
        walk.report(PROVIDER, "the provider file is missing: every data repository needs contracts/provider.yaml", "missing-file")
    files = provider + plans + customers
    problems = walk.problems
    folder, in_month = "", False
    for base, name in walk.files(TICKETS):
        if base is not folder:
            folder, in_month = base, _MONTH_DIR.fullmatch(base) is not None  # once per folder, not per file
        rel = f"{base}/{name}"
        if in_month and _TICKET_NAME.match(name):  # the common case first: a well-named ticket
            files.append(SourceFile("ticket", rel))
        elif walk.data_name(rel, name):
            if not in_month:
                problems.append(Problem(rel, 1, 1, "a ticket belongs in tickets/YYYY/MM/ (the month it was reported)", "file-place"))
            else:
                files.append(SourceFile("ticket", rel))
                problems.append(_bad_name(rel, name[: -len(".yaml")]))
    for base, name in walk.files(STATEMENTS):
        rel = f"{base}/{name}"
        if not walk.data_name(rel, name):
            continue
        if base == ADJUSTMENTS:
            files.append(SourceFile("adjustment", rel))
        elif _ISSUED_DIR.match(rel):
            files.append(SourceFile("issued", rel))
        else:
            problems.append(Problem(rel, 1, 1, "an issued statement belongs in statements/YYYY/, a correction in statements/adjustments/", "file-place"))
    for f in files:
        if f.kind not in ("provider", "ticket") and not _ID.match(f.stem):  # tickets: checked above
            problems.append(_bad_name(f.path, f.stem))
    return files, problems


def _bad_name(path: str, stem: str) -> Problem:
    return Problem(path, 1, 1, f"invalid file name {stem!r}: an id uses lower-case letters, digits and '-'", "file-name")


#: Files under the data folders that are clearly not data: never read, never reported.
IGNORED = frozenset(("README.md", "README", ".gitkeep", ".gitignore", ".gitattributes", ".DS_Store"))
CONTRACTS = "contracts"
#: A name that needs no closer look: lower-case letters, digits, '-' and '.', not hidden.
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")
_NAME = operator.attrgetter("name")


class _Walk:
    """The folders of a repository, listed without following links out of it; what cannot
    be listed or read as a file, and what is not data, becomes a located problem."""

    def __init__(self, root: Path):
        self.root = str(root)
        self.problems: list[Problem] = []
        self._real: Optional[str] = None
        self._seen: set[str] = set()

    @property
    def real(self) -> str:
        if self._real is None:
            self._real = files_mod.real_root(self.root)
        return self._real

    def report(self, rel: str, message: str, code: str) -> None:
        self.problems.append(Problem(files_mod.shown(rel), 1, 1, message, code))

    def seen(self, rel: str) -> bool:
        return rel in self._seen

    def data_name(self, rel: str, name: str) -> bool:
        """Whether a file is named as data (``.yaml``); if not, the problem is reported."""
        if name.endswith(".yaml"):
            return True
        if name.endswith(".yml"):
            self.report(rel, "data files end in .yaml, not .yml", "file-name")
        elif name.lower().endswith((".yaml", ".yml")):
            self.report(rel, "data files end in .yaml (lower case): this file is not read", "file-name")
        else:
            top = rel.split("/", 1)[0]
            self.report(rel, f"not a data file: {top}/ holds .yaml files only (README.md, .gitkeep, .gitignore are ignored)", "not-data")
        return False

    def files(self, top: str) -> Iterator[tuple[str, str]]:
        """``(folder, name)`` of each file under ``top``, folders and names sorted."""
        path = self.root + os.sep + top
        try:
            info = os.lstat(path)
        except OSError:
            return
        if stat.S_ISLNK(info.st_mode):
            self._link(top, path)
            return
        if not stat.S_ISDIR(info.st_mode):
            self.report(top, f"{files_mod.kind_of(info.st_mode)} where the folder {top}/ belongs", "file-kind")
            return
        yield from self._folder(top, path)

    def _folder(self, base: str, path: str) -> Iterator[tuple[str, str]]:
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            self.report(base, f"cannot read the folder: {exc.strerror}: the files in it are not read", "io")
            return
        folders = []
        plain = _PLAIN_NAME.match
        for e in entries:
            name = e.name
            if plain(name) and e.is_file(follow_symlinks=False):  # the common case first: a file named like data
                yield base, name
                continue
            rel = f"{base}/{name}"
            if name in IGNORED:
                continue
            if not files_mod.printable(name):
                self.report(rel, "the name is not UTF-8 text or holds a control character: rename it to be read", "file-name")
                continue
            try:
                if e.is_file(follow_symlinks=False):
                    yield base, name
                elif e.is_dir(follow_symlinks=False):
                    folders.append((rel, e.path))
                elif e.is_symlink():
                    self._seen.add(rel)
                    if self._link(rel, e.path):
                        yield base, name
                else:
                    self._seen.add(rel)
                    what = files_mod.kind_of(e.stat(follow_symlinks=False).st_mode)
                    self.report(rel, f"{what}, not a data file: it is not read", "file-kind")
            except OSError as exc:
                self.report(rel, f"cannot read the file: {exc.strerror}", "io")
        for rel, sub in folders:
            if rel.rsplit("/", 1)[-1].startswith("."):
                self.report(rel, "a hidden folder: the files in it are not read", "not-data")
                continue
            yield from self._folder(rel, sub)

    def _link(self, rel: str, path: str) -> bool:
        """Whether a symbolic link is to be read as a file: one to a file inside the repository (or to
        nothing, which the reader reports); any other is reported here."""
        target = os.path.realpath(path)
        if not files_mod.inside(target, self.real):
            self.report(rel, "a link to a place outside the repository: it is not read", "file-link")
            return False
        try:
            mode = os.stat(target).st_mode
        except OSError:
            return True  # a broken link: the reader says why it cannot be read
        if stat.S_ISREG(mode):
            return True
        if stat.S_ISDIR(mode):
            self.report(rel, "a link to a folder: linked folders are not followed (only linked files inside the repository)", "file-link")
        else:
            self.report(rel, f"a link to {files_mod.kind_of(mode)}, not a data file: it is not read", "file-kind")
        return False


# ---------------------------------------------------------------- one file

_MODELS: dict[str, type[Record]] = {
    "provider": Provider, "plan": Plan, "customer": Customer, "ticket": Ticket,
    "issued": IssuedStatement, "adjustment": Adjustment,
}


def read_record(kind: str, path: str, raw: bytes, tz_name: str) -> tuple[Optional[Record], list[Problem]]:
    """A file's bytes to its record and the problems that concern this file alone."""
    try:
        data = load_yaml(raw)
    except YamlProblem as exc:
        return None, [Problem(path, exc.line, exc.column, exc.message, "yaml")]
    if not isinstance(data, dict):
        return None, [Problem(path, 1, 1, f"a {kind} file must be a mapping of fields", "not-a-mapping")]
    problems: list[Problem] = []
    stem = path.rsplit("/", 1)[-1][: -len(".yaml")]
    if kind != "provider":
        declared = data.get("id")
        if declared is not None and declared != stem:
            problems.append(errors.at(path, ("id",), f"id {declared!r} disagrees with the file name {stem!r}", "id-mismatch"))
        data["id"] = stem
    model = _MODELS[kind]
    tz = scalars.zone(tz_name) if tz_name else None
    data[PATH] = path
    context = {"tz": tz}
    try:
        record = model.model_validate(data, context=context)
    except ValidationError as exc:
        problems += errors.from_validation(path, exc, model)
        record = _salvage(model, data, exc, context)
        if record is None:
            return None, problems
        problems.append(_PARTIAL)  # marks the record as checked for references only
    except (RecursionError, MemoryError):  # pragma: no cover - bounded by the YAML reader
        return None, problems + [Problem(path, 1, 1, "the file is too deeply nested", "invalid")]
    if kind == "ticket":
        m = _MONTH_DIR.fullmatch(path.rsplit("/", 1)[0])
        local = record.reported.astimezone(tz or dt.timezone.utc)  # type: ignore[attr-defined]
        if m and (int(m.group(1)), int(m.group(2))) != (local.year, local.month):
            month = scalars.month_of(local)
            problems.append(errors.at(path, ("reported",), f"reported in {month}: the file belongs in tickets/{month.replace('-', '/')}/", "file-place"))
    return record, problems


#: Stands in a file's problems when its record was salvaged: it is not to be computed on.
_PARTIAL = Problem("", 0, 0, "partial record", "partial", "internal")

#: Fields of a record that may be dropped to salvage the rest (the optional ones).
_LISTS = ("log", "interventions", "contracts", "packages", "contacts", "team", "parts")


def _copy(data):
    """A copy of the plain data (validation pops the position markers)."""
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _salvage(model, data: dict, exc: ValidationError, context: dict) -> Optional[Record]:
    """The record without the parts that failed, so that rules across files still see the rest.

    A failing item of a list (an event, an intervention) is dropped whole; a
    failing optional field is dropped; a failing required field cannot be
    salvaged. The result is only used for cross-file checks, never computed on.
    """
    drop_items: dict[str, set[int]] = {}
    drop_fields: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if not loc or not isinstance(loc[0], str):
            return None
        name = loc[0]
        if name in _LISTS and len(loc) >= 2 and isinstance(loc[1], int):
            drop_items.setdefault(name, set()).add(loc[1])
            continue
        field = model.model_fields.get(name)
        if field is not None and field.is_required() and err["type"] != "extra_forbidden":
            return None
        drop_fields.add(name)
    salvaged = {k: v for k, v in _copy(data).items() if k not in drop_fields}
    for name, indexes in drop_items.items():
        salvaged[name] = [v for i, v in enumerate(salvaged.get(name) or []) if i not in indexes]
    try:
        return model.model_validate(salvaged, context=context)
    except ValidationError:
        return None


# ---------------------------------------------------------------- the pipeline


@dataclass
class Scan:
    """The files of a repository read into memory, and their joint fingerprint."""

    root: Path
    files: list[SourceFile]
    problems: list[Problem]
    digest: str

    def digests(self) -> dict[str, str]:
        """Each file's path and a digest of its bytes."""
        return {f.path: hashlib.blake2b(f.raw, digest_size=16).hexdigest() for f in self.files}


def scan(root: Path | str, *, defer_tickets: bool = False) -> Scan:
    """Find and read every data file; the digest changes with any byte or name.

    With ``defer_tickets`` the tickets are only found: the worker processes
    read them where they parse them (reading 100,000 files in this process
    first costs a second or more before any work starts), and there is no
    digest (empty): for commands that keep no whole-run result.
    """
    root = Path(root)
    files, problems = discover(root)
    whole = hashlib.blake2b(digest_size=20)
    readable = []
    base = str(root) + os.sep
    real = files_mod.real_root(root)
    with ReadAhead([base + f.path for f in files if not (defer_tickets and f.kind == "ticket")]):
        for f in files:
            if defer_tickets and f.kind == "ticket":
                f.raw = None
                readable.append(f)
                continue
            try:
                f.raw = _read_bytes(root, f.path, real)
            except OSError as exc:
                problems.append(_unreadable(f.path, exc))
                continue
            whole.update(f.path.encode() + b"\0" + hashlib.blake2b(f.raw, digest_size=20).digest())
            readable.append(f)
    for p in problems:
        whole.update(str(p).encode())
    return Scan(root, readable, problems, "" if defer_tickets else whole.hexdigest())


def _read_bytes(root: Path | str, rel: str, real: Optional[str] = None) -> bytes:
    """A discovered data file's bytes: only a regular file inside the repository, at most
    :data:`gitdesk.load.files.MAX_BYTES` (see :func:`gitdesk.load.files.read_data_file`; the walk
    that found it entered no linked folder)."""
    return files_mod.read_data_file(root, rel, root_real=real, folders_checked=True)


def _unreadable(path: str, exc: OSError) -> Problem:
    """The problem of a file that is not read (never quoting a byte of it)."""
    if isinstance(exc, files_mod.DataFileError):
        return Problem(path, 1, 1, exc.message, exc.code)
    return Problem(path, 1, 1, f"cannot read the file: {exc.strerror}", "io")


def load(
    source: "Path | str | Scan",
    *,
    cache: "Optional[Cache]" = None,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[int], None]] = None,
    keep_tickets: bool = True,
    task: Optional[Callable[[Repository, Ticket], Any]] = None,
    works: "bool | Callable[[Repository, Ticket], bool]" = False,
    freeze: bool = False,
) -> Repository:
    """Load and validate a data repository (a folder, or a :class:`Scan` of one).

    The provider, plans and customers are read first (the context); then the
    tickets, in worker processes when there are many, each ticket checked
    against the context where it is read. ``task(context, ticket)``, a
    module-level function, runs there too and its results come back in
    ``Repository.results`` by ticket id: commands that need one figure per
    ticket get it without shipping every ticket back (``keep_tickets=False``).

    With ``works`` the charges of every intervention are computed too
    (``Repository.works``), or with a predicate ``works(context, ticket)``
    those of the tickets it accepts; always those of customers with issued
    statements, whose figures are checked against what was issued.

    ``cache`` is a :class:`gitdesk.load.cache.Cache` (or None); ``progress`` is
    called with the number of tickets done, for a progress bar. With
    ``freeze`` the records, which then live until the process ends, are
    moved out of the cycle collector's sight (``gc.freeze``).
    """
    with _collector_paused(freeze):
        return _load(source, cache, jobs, progress, keep_tickets, task, works)


@contextmanager
def _collector_paused(freeze: bool = False):
    """Pause Python's cycle collector while records are built.

    Loading makes millions of small objects and no reference cycles; the
    collector would walk the growing heap again and again (a third of the
    time of a large load). Memory is freed as usual by reference counting.
    With ``freeze`` everything built is frozen before the collector is back
    on: its first passes would otherwise walk all of it, finding no garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _load(source, cache, jobs, progress, keep_tickets, task, works) -> Repository:
    from gitdesk.core import checks
    from gitdesk.core import issued as issued_rules

    found = source if isinstance(source, Scan) else scan(source)
    root, problems = found.root, list(found.problems)
    partial: set[str] = set()

    def take(f: SourceFile, tz_name: str) -> Optional[Record]:
        record, found_here = _cached_read(f, tz_name, cache)
        for p in found_here:
            if p.code == "partial":
                partial.add(f.path)
            else:
                problems.append(p)
        return record

    # The provider first: its time zone is how every other timestamp is read.
    provider: Optional[Provider] = None
    for f in found.files:
        if f.kind == "provider":
            provider = take(f, "")  # type: ignore[assignment]
    tz_name = provider.timezone if provider is not None else _zone_of_broken_provider(root)
    plans: dict[str, Plan] = {}
    customers: dict[str, Customer] = {}
    issued: dict[str, IssuedStatement] = {}
    adjustments: dict[str, Adjustment] = {}
    for f in found.files:
        if f.kind in ("plan", "customer", "issued", "adjustment"):
            record = take(f, tz_name)
            if isinstance(record, Plan):
                plans[record.id] = record  # type: ignore[index]
            elif isinstance(record, Customer):
                customers[record.id] = record  # type: ignore[index]
            elif isinstance(record, IssuedStatement):
                issued[record.number] = record
            elif isinstance(record, Adjustment):
                adjustments[record.id] = record  # type: ignore[index]
    context = Repository(root, provider, plans, customers, {}, issued=issued, adjustments=adjustments)
    problems.extend(checks.context_checks(context))
    # Which tickets are priced: those asked for, and those of customers with issued
    # statements (their charges are computed to check the lock).
    locked = frozenset(s.customer for s in issued.values())
    if works is True:
        priced = None
    elif callable(works):
        wanted = works
        priced = lambda ctx, t: t.customer in locked or wanted(ctx, t)  # noqa: E731
    else:
        priced = (lambda ctx, t: t.customer in locked) if locked else (lambda ctx, t: False)  # noqa: E731

    ticket_files = [f for f in found.files if f.kind == "ticket"]
    tickets: dict[str, Ticket] = {}
    results: dict[str, Any] = {}
    first_place: dict[str, str] = {}
    spans: list[tuple] = []
    by_customer: dict[str, list] = {}
    # Taken in as they come (while workers read later batches), unpacked: 100,000 of them.
    for f, (tid, found_here, their_spans, is_partial, ticket, value, charged) in _read_tickets(
        ticket_files, context, tz_name, cache, jobs, progress, keep_tickets, task, priced
    ):
        if found_here:
            problems.extend(found_here)
        if is_partial:
            partial.add(f.path)
        if tid is None:
            continue
        if tid in first_place:
            problems.append(errors.at(f.path, ("id",), f"duplicate ticket id {tid!r}: also {first_place[tid]}", "duplicate-id"))
            continue
        first_place[tid] = f.path
        if their_spans:
            spans.extend(their_spans)
        if ticket is not None:
            tickets[tid] = ticket
        if task is not None and not is_partial:
            results[tid] = value
        for w in charged:
            by_customer.setdefault(w.customer, []).append(w)
    problems.extend(checks.technician_overlaps(spans, context.tz))
    priced_repo = Repository(root, provider, plans, customers, {}, issued=issued, adjustments=adjustments,
                             works={c: tuple(ws) for c, ws in by_customer.items()}, rules=context.rules)
    if issued and not problems:  # figures are only comparable when the data is sound
        problems.extend(issued_rules.lock_problems(priced_repo))

    ordered = dict(sorted(tickets.items(), key=lambda kv: (kv[1].reported, kv[0])))
    located = locate_all(problems, lambda path: files_mod.read_data_text(root, path))
    return Repository(
        root, provider, plans, customers, ordered, tuple(located), found.digest, frozenset(partial),
        results=results, ticket_count=len(first_place), issued=issued, adjustments=adjustments,
        works=priced_repo.works, rules=context.rules,
    )


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


def _key(f: SourceFile, tz_name: str) -> bytes:
    return hashlib.blake2b(f"{tz_name}\0{f.path}\0".encode() + f.raw, digest_size=20).digest()  # type: ignore[operator]


def _live_keys(files: Sequence[SourceFile], tz_name: str, root: Path) -> list[bytes]:
    """The cache keys of ``files`` (reading those a deferred scan left to the workers)."""
    _read_deferred(files, root)
    return [_key(f, tz_name) for f in files]


def _read_deferred(files: Sequence[SourceFile], root: Path) -> dict[int, Problem]:
    """Read the files a deferred scan left unread; the problems of those that cannot be read, by index."""
    real = files_mod.real_root(root)
    unreadable: dict[int, Problem] = {}
    for n, f in enumerate(files):
        if f.raw is None:
            try:
                f.raw = _read_bytes(root, f.path, real)
            except OSError as exc:
                f.raw = b""
                unreadable[n] = _unreadable(f.path, exc)
    return unreadable


def _cached_read(f: SourceFile, tz_name: str, cache: Optional["Cache"]) -> tuple[Optional[Record], list[Problem]]:
    """One file's record and own problems, from the cache when its bytes are known."""
    if cache is None:
        return read_record(f.kind, f.path, f.raw, tz_name)
    key = _key(f, tz_name)
    result = cache.unpack(key, cache.get_many([key]).get(key))
    if result is not None:
        return result
    result = read_record(f.kind, f.path, f.raw, tz_name)  # absent, or not verified: read the file again
    cache.put_many({key: cache.pack(key, result)})
    return result


class TicketOutcome(NamedTuple):
    """What reading one ticket file gives back to the main process (a tuple: cheap to send)."""

    id: Optional[str]
    problems: list[Problem]
    spans: list[tuple]
    partial: bool = False
    ticket: Optional[Ticket] = None
    value: Any = None
    works: tuple = ()


def _ticket_batch(
    files: Sequence[SourceFile],
    context: Repository,
    tz_name: str,
    cache: Optional["Cache"],
    keep: bool,
    task,
    priced=None,
    known: Optional[frozenset] = None,
) -> tuple[list[TicketOutcome], dict[bytes, bytes]]:
    """Read, check and (with ``task``) compute a batch of tickets.

    Returns the outcomes and the new cache entries, which the main process
    writes in one transaction (two writers would wait on each other's lock).

    ``priced(context, ticket)``: whether the ticket's charges are wanted (None: every ticket's).
    ``known``: the keys the cache holds (None: look every file up).
    """
    from gitdesk.core import checks
    from gitdesk.core.charges import charges_as_recorded
    from gitdesk.core.sla import Evaluation

    unreadable = _read_deferred(files, context.root)
    keys = [_key(f, tz_name) for f in files] if cache is not None else []
    if cache is not None and known is not None:
        cached = cache.get_many([k for k in keys if k in known])
    else:
        cached = cache.get_many(keys) if cache is not None else {}
    fresh: dict[bytes, bytes] = {}
    # Every file of the batch is read first, then every ticket checked and
    # computed: each loop keeps its own code hot in the processor's caches
    # (a sixth less time per ticket than doing both for one ticket at a time).
    results: list[Optional[tuple]] = []
    for n, f in enumerate(files):
        if n in unreadable:
            results.append(None)
            continue
        result = cache.unpack(keys[n], cached.get(keys[n])) if cache is not None else None
        if result is None:  # absent, or not verified: read the file again
            result = read_record("ticket", f.path, f.raw, tz_name)
            if cache is not None:
                fresh[keys[n]] = cache.pack(keys[n], result)
        results.append(result)
    out = []
    for n, (f, result) in enumerate(zip(files, results)):
        if result is None:
            out.append(TicketOutcome(None, [unreadable[n]], []))
            continue
        ticket, problems = result
        partial = any(p.code == "partial" for p in problems)
        problems = [p for p in problems if p.code != "partial"]
        if ticket is None:
            out.append(TicketOutcome(None, problems, []))
            continue
        problems.extend(checks.ticket_checks(context, ticket))  # type: ignore[arg-type]
        spans = checks.spans_of(ticket, f.path)  # type: ignore[arg-type]
        value = task(context, ticket) if task is not None and not partial else None
        works = ()
        if not partial and not problems and ticket.interventions and (priced is None or priced(context, ticket)):  # type: ignore[attr-defined]
            known = (task.now, value) if isinstance(task, Evaluation) else None
            works = charges_as_recorded(context, ticket, known)  # type: ignore[arg-type]
        out.append(TicketOutcome(ticket.id, problems, spans, partial, ticket if keep else None, value, works))  # type: ignore[attr-defined]
    return out, fresh


#: What a forked worker needs, set before the pool starts (inherited, never pickled).
_JOB: dict[str, Any] = {}


def _worker_batch(start: int, stop: int) -> tuple[list[tuple], dict[bytes, bytes]]:
    """A batch in a worker; the outcomes go back as plain tuples, which pickle
    in C (a named tuple costs a call into Python each way: 2.5 µs a ticket)."""
    job = _JOB
    if "cache" not in job:
        from gitdesk.load.cache import Cache

        job["cache"] = Cache(job["cache_dir"], job["cache_key"]) if job["cache_dir"] else None
    out, fresh = _ticket_batch(job["files"][start:stop], job["context"], job["tz"], job["cache"], job["keep"], job["task"], job["priced"], job["known"])
    return [tuple(o) for o in out], fresh


def _batches(count: int, size: int, workers: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each batch: ``size`` files, then smaller and smaller towards the
    end, so that no worker is left with a whole batch to do while the others wait."""
    bounds, start = [], 0
    while start < count:
        left = count - start
        step = size if left > 2 * workers * size else max(50, min(size, -(-left // (2 * workers))))
        bounds.append((start, min(count, start + step)))
        start += step
    return bounds


def _read_tickets(files, context, tz_name, cache, jobs, progress, keep, task, priced) -> Iterator[tuple[SourceFile, TicketOutcome]]:
    """Each ticket file with its outcome (a :class:`TicketOutcome`, or from a worker a plain
    tuple in its order), in the files' order, a batch at a time as the workers finish them."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    parallel = len(files) >= PARALLEL_THRESHOLD and workers > 1 and hasattr(os, "fork")
    new_entries: dict[bytes, bytes] = {}
    known = cache.keys() if cache is not None else None
    if parallel:
        import multiprocessing

        _JOB.clear()
        _JOB.update(files=files, context=context, tz=tz_name, keep=keep, task=task, priced=priced, known=known,
                    cache_dir=cache.directory if cache is not None else None, cache_key=cache.key if cache is not None else None)
        bounds = _batches(len(files), max(250, min(2000, len(files) // (workers * 6))), workers)
        base = str(context.root) + os.sep
        unread = [base + f.path for f in files if f.raw is None]  # left to the workers by a deferred scan
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_worker_batch, a, b) for a, b in bounds]
                with ReadAhead(unread):  # started once the workers are forked: no thread is forked along
                    for (a, b), future in zip(bounds, futures):
                        batch, fresh = future.result()
                        if cache is not None and fresh:
                            cache.put_many(fresh)  # while the workers go on: the writing overlaps their parsing
                        if progress:
                            progress(b - a)
                        yield from zip(files[a:b], batch)  # plain tuples in TicketOutcome's order
        finally:
            _JOB.clear()
    else:
        step = 1000
        for i in range(0, len(files), step):
            batch, fresh = _ticket_batch(files[i : i + step], context, tz_name, cache, keep, task, priced, known)
            new_entries.update(fresh)
            if progress:
                progress(len(batch))
            yield from zip(files[i : i + step], batch)
    if cache is not None:
        if new_entries:
            cache.put_many(new_entries)
        cache.prune(len(files), lambda: _live_keys(files, tz_name, context.root))
