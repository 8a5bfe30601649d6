"""Finding a repository's data files (the folder walk) and reading their bytes.

Nothing under the data folders is skipped in silence: what is not read as
data is ignored by name (:data:`IGNORED`) or reported as a located problem.
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

from gitdesk.core.errors import Problem
from gitdesk.core.model import ID_PATTERN
from gitdesk.core.repository import ADJUSTMENTS, CUSTOMERS, PLANS, PROVIDER, STATEMENTS, TICKETS
from gitdesk.load import files as files_mod
from gitdesk.load.readahead import ReadAhead

_ID = re.compile(ID_PATTERN)
#: The folder of a ticket: the year and month it was reported.
MONTH_DIR = re.compile(r"tickets/(\d{4})/(\d{2})")
_ISSUED_DIR = re.compile(r"^statements/(\d{4})/[^/]+$")
#: A ticket file whose name is a valid id (ID_PATTERN, and .yaml).
_TICKET_NAME = re.compile(ID_PATTERN.rstrip("$") + r"\.yaml\Z")


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
    files = _contracts(walk)
    files += _tickets(walk)
    files += _statements(walk)
    problems = walk.problems
    for f in files:
        if f.kind not in ("provider", "ticket") and not _ID.match(f.stem):  # tickets: checked as they are found
            problems.append(_bad_name(f.path, f.stem))
    return files, problems


def _contracts(walk: "_Walk") -> list[SourceFile]:
    """The provider, then the plans, then the customers."""
    found: dict[str, list[SourceFile]] = {"provider": [], "plan": [], "customer": []}
    for base, name in walk.files(CONTRACTS):
        rel = f"{base}/{name}"
        if base == CONTRACTS and name == "provider.yaml":
            found["provider"].append(SourceFile("provider", PROVIDER))
        elif not walk.data_name(rel, name):
            continue
        elif base in (PLANS, CUSTOMERS):
            kind = "plan" if base == PLANS else "customer"
            found[kind].append(SourceFile(kind, rel))
        else:
            walk.report(rel, "a data file in contracts/ is provider.yaml, plans/<plan>.yaml or customers/<customer>.yaml", "file-place")
    if not found["provider"] and not walk.seen(PROVIDER):  # not there at all (a FIFO or a link is reported as such)
        walk.report(PROVIDER, "the provider file is missing: every data repository needs contracts/provider.yaml", "missing-file")
    return found["provider"] + found["plan"] + found["customer"]


def _tickets(walk: "_Walk") -> list[SourceFile]:
    """The ticket files, each in the folder of a month (the others reported)."""
    files, problems = [], walk.problems
    folder, in_month = "", False
    for base, name in walk.files(TICKETS):
        if base is not folder:
            folder, in_month = base, MONTH_DIR.fullmatch(base) is not None  # once per folder, not per file
        rel = f"{base}/{name}"
        if in_month and _TICKET_NAME.match(name):  # the common case first: a well-named ticket
            files.append(SourceFile("ticket", rel))
        elif not walk.data_name(rel, name):
            continue
        elif not in_month:
            problems.append(Problem(rel, 1, 1, "a ticket belongs in tickets/YYYY/MM/ (the month it was reported)", "file-place"))
        else:
            files.append(SourceFile("ticket", rel))
            problems.append(_bad_name(rel, name[: -len(".yaml")]))
    return files


def _statements(walk: "_Walk") -> list[SourceFile]:
    """Issued statements (statements/YYYY/) and their corrections (statements/adjustments/)."""
    files = []
    for base, name in walk.files(STATEMENTS):
        rel = f"{base}/{name}"
        if not walk.data_name(rel, name):
            continue
        if base == ADJUSTMENTS:
            files.append(SourceFile("adjustment", rel))
        elif _ISSUED_DIR.match(rel):
            files.append(SourceFile("issued", rel))
        else:
            walk.problems.append(Problem(rel, 1, 1, "an issued statement belongs in statements/YYYY/, a correction in statements/adjustments/", "file-place"))
    return files


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
            if self._readable(base, e, folders):
                yield base, name
        for rel, sub in folders:
            if rel.rsplit("/", 1)[-1].startswith("."):
                self.report(rel, "a hidden folder: the files in it are not read", "not-data")
                continue
            yield from self._folder(rel, sub)

    def _readable(self, base: str, e: os.DirEntry, folders: list[tuple[str, str]]) -> bool:
        """Whether an entry not plainly named like data is a file to read; a folder is added to
        ``folders``, and anything else that is not ignored by name is reported."""
        name = e.name
        rel = f"{base}/{name}"
        if name in IGNORED:
            return False
        if not files_mod.printable(name):
            self.report(rel, "the name is not UTF-8 text or holds a control character: rename it to be read", "file-name")
            return False
        try:
            if e.is_file(follow_symlinks=False):
                return True
            if e.is_dir(follow_symlinks=False):
                folders.append((rel, e.path))
                return False
            self._seen.add(rel)
            if e.is_symlink():
                return self._link(rel, e.path)
            what = files_mod.kind_of(e.stat(follow_symlinks=False).st_mode)
            self.report(rel, f"{what}, not a data file: it is not read", "file-kind")
        except OSError as exc:
            self.report(rel, f"cannot read the file: {exc.strerror}", "io")
        return False

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


# ---------------------------------------------------------------- the files' bytes


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
                f.raw = read_bytes(root, f.path, real)
            except OSError as exc:
                problems.append(unreadable_problem(f.path, exc))
                continue
            whole.update(f.path.encode() + b"\0" + hashlib.blake2b(f.raw, digest_size=20).digest())
            readable.append(f)
    for p in problems:
        whole.update(str(p).encode())
    return Scan(root, readable, problems, "" if defer_tickets else whole.hexdigest())


def read_bytes(root: Path | str, rel: str, real: Optional[str] = None) -> bytes:
    """A discovered data file's bytes: only a regular file inside the repository, at most
    :data:`gitdesk.load.files.MAX_BYTES` (see :func:`gitdesk.load.files.read_data_file`; the walk
    that found it entered no linked folder)."""
    return files_mod.read_data_file(root, rel, root_real=real, folders_checked=True)


def unreadable_problem(path: str, exc: OSError) -> Problem:
    """The problem of a file that is not read (never quoting a byte of it)."""
    if isinstance(exc, files_mod.DataFileError):
        return Problem(path, 1, 1, exc.message, exc.code)
    return Problem(path, 1, 1, f"cannot read the file: {exc.strerror}", "io")


def read_deferred(files: Sequence[SourceFile], root: Path) -> dict[int, Problem]:
    """Read the files a deferred scan left unread; the problems of those that cannot be read, by index."""
    real = files_mod.real_root(root)
    unreadable: dict[int, Problem] = {}
    for n, f in enumerate(files):
        if f.raw is None:
            try:
                f.raw = read_bytes(root, f.path, real)
            except OSError as exc:
                f.raw = b""
                unreadable[n] = unreadable_problem(f.path, exc)
    return unreadable
