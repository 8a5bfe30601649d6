"""Running git: its own command line, with every argument from a user kept an argument.

A revision from the command line is checked with ``git rev-parse --verify
--end-of-options`` and passed on as the commit id it names; paths are passed
after ``--`` as literal pathspecs (``:(literal)``), so a value that starts with
``-`` is never read as an option and ``*`` is never a pattern.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Optional, Sequence


class GitError(Exception):
    """git could not be run, or refused: ``message`` is what it said."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def run(root: Path, *args: str, stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
    """``git ARGS`` in ``root``; raises :class:`GitError` with git's words when it fails."""
    try:
        done = subprocess.run(["git", *args], cwd=root, input=stdin if stdin is not None else b"",
                              capture_output=True)
    except OSError as exc:
        raise GitError(f"git cannot be run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise GitError(said(done) or f"git {args[0]} failed (exit code {done.returncode})")
    return done


def said(done: subprocess.CompletedProcess, lines: int = 8) -> str:
    """What git (and the hooks it ran) printed, its last lines, as one text."""
    text = (done.stdout or b"").decode("utf-8", "replace") + "\n" + (done.stderr or b"").decode("utf-8", "replace")
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def literal(paths: Iterable[str]) -> list[str]:
    """Paths as pathspecs that match exactly that path."""
    return [f":(literal){p}" for p in paths]


def work_tree(folder: Path) -> Optional[Path]:
    """The top of the git work tree that holds ``folder`` (None outside git), found without running git."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def tracked(top: Path, paths: Iterable[Path]) -> list[str]:
    """The files git tracks under ``paths`` (folders or files of the work tree at ``top``), relative to ``top``."""
    done = run(top, "ls-files", "-z", "--full-name", "--", *literal(str(p) for p in paths))
    return [os.fsdecode(name) for name in done.stdout.split(b"\0") if name]


def git_dir(root: Path) -> Optional[Path]:
    """The git folder of the work tree that holds ``root``; None when it is not in one (or git is missing)."""
    try:
        return find_git_dir(root)
    except GitError:
        return None


def find_git_dir(root: Path) -> Path:
    """The git folder of the work tree that holds ``root``; GitError with git's words when there is none."""
    done = run(root, "rev-parse", "--absolute-git-dir")
    return Path(os.fsdecode(done.stdout.strip()))


def commit_of(root: Path, revision: str) -> str:
    """The commit id that ``revision`` names; ValueError when it names none here.

    A value that starts with '-' is refused before git sees it.
    """
    if not revision or revision.startswith("-"):
        raise ValueError(f"{revision!r} is not a git revision")
    try:
        done = run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    except GitError:
        raise ValueError(f"no commit {revision!r} here") from None
    return done.stdout.decode("ascii").strip()


def index_entries(root: Path, paths: Sequence[str]) -> bytes:
    """The index's entries of ``paths`` (``git ls-files -s`` lines), to put back with :func:`restore_index`."""
    done = run(root, "ls-files", "-s", "-z", "--", *literal(paths))
    return done.stdout


def restore_index(root: Path, paths: Sequence[str], entries: bytes) -> None:
    """Put the index's entries of ``paths`` back as ``entries`` were (paths without one are taken out)."""
    lines = [entry for entry in entries.split(b"\0") if entry]
    kept = {line.split(b"\t", 1)[1] for line in lines if b"\t" in line}
    # ls-files gives paths relative to the folder it ran in, as update-index and rm read them
    absent = [p for p in paths if os.fsencode(p) not in kept]
    if absent:
        run(root, "rm", "--cached", "-f", "-q", "--ignore-unmatch", "--", *literal(absent))
    if lines:
        run(root, "update-index", "-z", "--index-info", stdin=b"".join(line + b"\0" for line in lines))


def add(root: Path, paths: Sequence[str]) -> None:
    run(root, "add", "--", *literal(paths))


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit ``paths`` (relative to ``root``: files git tracks, or added already) as they are in the work tree,
    and nothing else that is staged; the new commit's id. The index takes the paths' new content only when the
    commit is made."""
    run(root, "commit", "-q", "--no-edit", "-m", message, "--", *literal(paths))
    return run(root, "rev-parse", "--verify", "HEAD").stdout.decode("ascii").strip()
