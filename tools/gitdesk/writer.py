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
- with ``--commit`` only the files written are committed; when git refuses
  (a hook, a stale ``index.lock``, no user name, an ignored path), and when
  anything else fails, every file is put back as it was, and so is the index.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import click

from . import gitcli
from .yamlout import write_atomic, write_new

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
    folders: list[Path]  # folders made for a new file, deepest first


class Transaction:
    """The files one command writes, remembered as they were so they can be put back."""

    def __init__(self, root: Path, git_dir: Optional[Path]):
        self.root = root
        self.git_dir = git_dir
        self._before: dict[Path, _Before] = {}

    def _remember(self, path: Path) -> _Before:
        if path not in self._before:
            try:
                mode = path.lstat().st_mode & 0o7777
                data = path.read_bytes()
                self._before[path] = _Before(data, mode, [])
            except FileNotFoundError:
                folders = [p for p in path.parents if not p.exists() and self.root in p.parents]
                self._before[path] = _Before(None, None, folders)
        return self._before[path]

    def write(self, path: Path, text, mode: Optional[int] = None) -> None:
        """Replace (or create) ``path`` with ``text``; the file keeps its mode unless ``mode`` is given."""
        before = self._remember(path)
        write_atomic(path, text, mode=mode if mode is not None else before.mode)

    def create(self, path: Path, text, mode: Optional[int] = None) -> None:
        """Create ``path``; refuses (NotWritten) when a file of that name exists."""
        self._remember(path)
        try:
            write_new(path, text, mode=mode)
        except FileExistsError:
            del self._before[path]
            raise NotWritten(f"{self._rel(path)} exists already: it is not replaced") from None

    def commit(self, message: str) -> str:
        """Commit the files written (and nothing else); the commit's short id.

        When git refuses, every file is put back as it was, the index too, and
        NotWritten says what git said.
        """
        paths = [os.path.relpath(p, self.root) for p in self._before]
        try:
            entries = gitcli.index_entries(self.root, paths)
            gitcli.add(self.root, paths)  # all or nothing: git writes the index whole or not at all
        except gitcli.GitError as exc:
            raise NotWritten(self._refused(exc.message)) from None
        try:
            return gitcli.commit_paths(self.root, paths, message)[:10]
        except gitcli.GitError as exc:
            try:
                gitcli.restore_index(self.root, paths, entries)
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
        """Put every file written back as it was (a new one removed, with the folders made for it)."""
        for path, before in reversed(list(self._before.items())):
            try:
                if before.data is None:
                    path.unlink(missing_ok=True)
                    for folder in before.folders:
                        try:
                            folder.rmdir()
                        except OSError:
                            break
                else:
                    write_atomic(path, before.data, mode=before.mode)
            except OSError as exc:
                click.echo(f"gitdesk: could not put {self._rel(path)} back as it was: {exc.strerror}", err=True)
        self._before.clear()

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

