"""Changing the data: one writer at a time, all or nothing, committed on request.

Every command that writes files of the repository (``ticket new``, ``event``,
``work``, ``portal passwd``, ``statement issue``, ``adjust``) does it inside
:func:`transaction`:

- it holds an exclusive lock, the file ``gitdesk.lock`` in the git folder of
  the work tree (``.gitdesk.lock`` in the data folder when that is not in a git
  work tree), waiting up to :data:`LOCK_TIMEOUT` seconds for another gitdesk
  command to finish;
- the command reads what it changes while it holds the lock, so two commands
  run at once never lose each other's change;
- a file is written whole (aside, then renamed into place); a new file is only
  ever created, never put in place of one of the same name;
- a file is only written inside the repository: not through a linked folder,
  not in place of a symbolic link (:meth:`Transaction.check_place`), and the
  folders made for a new file are made one by one, never through a link;
- with ``--commit`` only the files written are committed; when git refuses
  (a hook, a stale ``index.lock``, no user name, an ignored path), and when
  anything else fails, every file is put back as it was, and so is the index.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import click

from gitdesk.load import gitcli
from gitdesk.load.files import shown
from gitdesk.core.model import ID_PATTERN
from gitdesk.write.yamlout import write_atomic, write_new

#: Seconds a writer waits for another one to finish.
LOCK_TIMEOUT = 60.0
#: Seconds of waiting after which the writer says what it waits for.
TELL_AFTER = 1.0


class Busy(click.ClickException):
    """Another gitdesk command held the lock too long: exit code 1."""

    exit_code = 1


class NotWritten(click.ClickException):
    """Nothing was changed (a file in the way, git refused a commit): exit code 1."""

    exit_code = 1


@dataclass
class _Before:
    data: Optional[bytes]  # None: the file did not exist
    mode: Optional[int]


class Transaction:
    """The files one command writes, remembered as they were so they can be put back."""

    def __init__(self, root: Path, git_dir: Optional[Path]):
        self.root = root
        self.git_dir = git_dir
        self._before: dict[Path, _Before] = {}
        self._made: list[Path] = []  # folders made by check_place, put back by restore

    def check_place(self, path: Path) -> None:
        """Refuse (NotWritten) to write ``path`` unless it is a file of the repository reached without a link.

        No folder between the repository and the file may be a symbolic link
        (the loader does not follow linked folders either), the file may not be
        one, and the folder it goes into must be inside the repository's real
        folder. Missing folders are then made one at a time, each refused when
        a link took its place.
        """
        rel = os.path.relpath(path, self.root)
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts or "." in parts:
            raise NotWritten(f"{path} is not a file of the repository {self.root}: nothing was written")
        folder = Path(self.root)
        for name in parts[:-1]:
            folder = folder / name
            try:
                mode = os.lstat(folder).st_mode
            except FileNotFoundError:
                try:
                    os.mkdir(folder)  # never through a link: mkdir does not follow one in its place
                    self._made.append(folder)
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise NotWritten(f"cannot make the folder {self._rel(folder)}: {exc.strerror}; nothing was written") from None
                mode = os.lstat(folder).st_mode
            if stat.S_ISLNK(mode):
                raise NotWritten(f"{self._rel(folder)} is a symbolic link: gitdesk does not write through linked folders; "
                                 f"nothing was written (make it a folder of the repository)")
            if not stat.S_ISDIR(mode):
                raise NotWritten(f"{self._rel(folder)} is not a folder: nothing was written")
        if os.path.islink(path):
            raise NotWritten(f"{self._rel(path)} is a symbolic link: gitdesk does not write in place of a link; nothing was written")
        real_root = os.path.realpath(self.root)
        real_folder = os.path.realpath(path.parent)
        if os.path.commonpath([real_root, real_folder]) != real_root:
            raise NotWritten(f"{self._rel(path.parent)} leads outside the repository: nothing was written")

    def _remember(self, path: Path) -> _Before:
        if path not in self._before:
            try:
                mode = path.lstat().st_mode & 0o7777
                data = path.read_bytes()
                self._before[path] = _Before(data, mode)
            except FileNotFoundError:
                self._before[path] = _Before(None, None)
        return self._before[path]

    def write(self, path: Path, text, mode: Optional[int] = None) -> None:
        """Replace (or create) ``path`` with ``text``; the file keeps its mode unless ``mode`` is given."""
        self.check_place(path)  # first: a link is never read, nor written back
        before = self._remember(path)
        write_atomic(path, text, mode=mode if mode is not None else before.mode)

    def create(self, path: Path, text, mode: Optional[int] = None) -> None:
        """Create ``path``; refuses (NotWritten) when a file of that name exists."""
        self.check_place(path)
        self._remember(path)
        try:
            write_new(path, text, mode=mode)
        except FileExistsError:
            del self._before[path]
            raise NotWritten(f"{self._rel(path)} exists already: it is not replaced") from None

    def commit(self, message: str) -> str:
        """Commit the files written (and nothing else); the commit's short id.

        When git refuses, every file is put back as it was, the index too, and
        NotWritten says what git said. Files git tracks already are committed
        as they are (``git commit -- PATHS`` stages them only when the commit
        is made, so a refused commit leaves the index as it was); a new file is
        added first, and its entry in the index taken out again when git refuses.
        """
        paths = [os.path.relpath(p, self.root) for p in self._before]
        new = [os.path.relpath(p, self.root) for p, b in self._before.items() if b.data is None]
        entries = b""
        try:
            if new:
                entries = gitcli.index_entries(self.root, new)
                gitcli.add(self.root, new)  # all or nothing: git writes the index whole or not at all
        except gitcli.GitError as exc:
            raise NotWritten(self._refused(exc.message)) from None
        try:
            return gitcli.commit_paths(self.root, paths, message)[:10]
        except gitcli.GitError as exc:
            if new:
                try:
                    gitcli.restore_index(self.root, new, entries)
                except gitcli.GitError as again:
                    click.echo(f"gitdesk: the index could not be put back: {again.message}", err=True)
            raise NotWritten(self._refused(exc.message)) from None

    def _refused(self, said: str) -> str:
        kept = [self._rel(p) for p, b in self._before.items() if b.data is not None]
        new = [self._rel(p) for p, b in self._before.items() if b.data is None]
        outcome = ([f"{', '.join(kept)} left as {'they were' if len(kept) > 1 else 'it was'}"] if kept else []) + \
                  ([f"{', '.join(new)} not created"] if new else [])
        return f"git did not commit:\n{said}\n" + "; ".join(outcome)

    def restore(self) -> None:
        """Put every file written back as it was (a new one removed, and the folders made for it)."""
        for path, before in reversed(list(self._before.items())):
            try:
                if before.data is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomic(path, before.data, mode=before.mode)
            except OSError as exc:
                click.echo(f"gitdesk: could not put {self._rel(path)} back as it was: {exc.strerror}", err=True)
        self._before.clear()
        for folder in reversed(self._made):  # made for a file that was refused or put back; kept when not empty
            try:
                folder.rmdir()
            except OSError:
                pass
        self._made.clear()

    def _rel(self, path: Path) -> str:
        return Path(os.path.relpath(path, self.root)).as_posix()


def lock_file(root: Path, git_dir: Optional[Path]) -> Path:
    return git_dir / "gitdesk.lock" if git_dir is not None else root / ".gitdesk.lock"


@contextmanager
def locked(path: Path, timeout: Optional[float] = None) -> Iterator[None]:
    """Hold the exclusive lock ``path`` (created if missing); Busy after ``timeout`` seconds of waiting."""
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise NotWritten(f"cannot open the lock file {path}: {exc.strerror}") from None
    try:
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if waited >= timeout:
                    raise Busy(f"another gitdesk command is writing this repository (it holds {path}); "
                               "try again when it is done") from None
                if not told and waited >= TELL_AFTER:
                    click.echo("gitdesk: waiting for another gitdesk command that is writing this repository...", err=True)
                    told = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # the lock goes with it


@contextmanager
def transaction(root: Path, commit: bool = False) -> Iterator[Transaction]:
    """Lock the repository for writing; on any failure, put the files written back as they were.

    With ``commit``, a data folder that is not in a git work tree is refused
    before anything is written.
    """
    try:
        git_dir: Optional[Path] = gitcli.find_git_dir(root)
    except gitcli.GitError as exc:
        if commit:
            raise NotWritten(f"{root} is not in a git work tree that can be committed to: nothing was written; "
                             f"run the command without --commit\n{exc.message}") from None
        git_dir = None
    with locked(lock_file(root, git_dir)):
        done = Transaction(root, git_dir)
        try:
            yield done
        except BaseException:
            done.restore()
            raise



# ---------------------------------------------------------------- what the writing commands accept

#: A free text from the command line (or standard input) is at most this long, in UTF-8 bytes: a data file is
#: read up to 1 MiB (see :mod:`gitdesk.load.files`), and a ticket holds several texts.
MAX_TEXT = 256 * 1024
_MAX_ID = 200  # as the data format's ids


def _shown(value: str, limit: int = 60) -> str:
    """A value from the command line as an error message may quote it: on one line, and short."""
    text = repr(value[:limit])
    return text + "..." if len(value) > limit else text


class Ident(click.ParamType):
    """An id of the data format (a customer, a priority, a team member, an incident...): lower-case
    letters, digits and '-', at most 200. Checked before anything is read or written, so that a
    value never writes YAML of its own: a usage error (exit code 2) that names the option."""

    name = "id"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and len(value) <= _MAX_ID and re.fullmatch(ID_PATTERN, value):
            return value
        self.fail(f"{_shown(str(value))} is not an id: an id is lower-case letters, digits and '-' "
                  f"(starting with a letter or digit, at most {_MAX_ID})", param, ctx)


class FreeText(click.ParamType):
    """A free text (a title, a description, a note...): any text, written into YAML so that it reads
    back as that text (see :func:`gitdesk.write.yamlout.text_field`). With ``stdin``, '-' reads it from
    standard input. Refused when it is not UTF-8 or longer than :data:`MAX_TEXT` bytes."""

    name = "text"

    def __init__(self, stdin: bool = False):
        self.stdin = stdin

    def convert(self, value, param, ctx):
        if self.stdin and value == "-":
            data = click.get_binary_stream("stdin").read(MAX_TEXT + 1)
            if len(data) > MAX_TEXT:
                self.fail(f"standard input is longer than {MAX_TEXT // 1024} KiB", param, ctx)
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                self.fail("standard input is not UTF-8 text", param, ctx)
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:  # bytes of the command line that are not UTF-8
            self.fail(f"{_shown(value)} is not UTF-8 text", param, ctx)
        if size > MAX_TEXT:
            self.fail(f"the text is longer than {MAX_TEXT // 1024} KiB", param, ctx)
        return value


ID = Ident()
TEXT = FreeText()
TEXT_OR_STDIN = FreeText(stdin=True)


def one_line(text: str, limit: Optional[int] = 100) -> str:
    """A text from the data for a commit message's subject or a line of a report: on one line (white
    space and line breaks made one space, other control characters escaped as :func:`gitdesk.load.files.shown`
    does), at most ``limit``
    characters (None: as long as it is)."""
    text = shown(" ".join(str(text).split()))
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
