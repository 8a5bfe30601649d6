"""The git history of the ticket files: who committed what, and when.

One ``git log`` over ``tickets/`` for the whole repository (never one per
ticket), its fields separated by NUL bytes, each commit with the names of the
ticket files it touched. What the repository holds is untrusted: an author's
name or a subject is kept as text (the pages escape it), a record that does
not parse is skipped, and a repository without history (not in git, git
missing, a shallow clone) gives a :class:`History` that says so instead of an
error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple, Optional

from gitdesk.core.repository import TICKETS
from gitdesk.load import gitcli

#: Why the history is missing or incomplete (None: complete).
NO_GIT, SHALLOW = "no-git", "shallow"
_START = b"\x1e"  # before each commit's hash: a subject cannot hold the NUL bytes that split the output
#: Options that keep a repository's own settings from changing what git prints or from running anything.
_PLAIN = ("--no-show-signature", "--no-mailmap", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color")


class Commit(NamedTuple):
    """One commit that touched a ticket file."""

    sha: str
    author: str
    when: dt.datetime
    subject: str


class History(NamedTuple):
    """Per ticket file (its path in the repository), its commits newest first; and why it may be missing."""

    commits: dict[str, tuple[Commit, ...]]
    missing: Optional[str] = None  # NO_GIT or SHALLOW


def ticket_history(root: Path) -> History:
    """The commits of every file under ``tickets/`` of the data repository at ``root``, from one ``git log``."""
    root = Path(root)
    if gitcli.work_tree(root.resolve()) is None:
        return History({}, NO_GIT)
    try:
        shallow = gitcli.run(root, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        out = gitcli.run(root, "-c", "core.quotePath=false", "log", "-z", "--name-only", "--relative", *_PLAIN,
                         "--format=%x1e%H%x00%an%x00%aI%x00%s", "--", f"{TICKETS}/").stdout
    except gitcli.GitError:  # git missing, or no commit yet
        return History({}, NO_GIT)
    return History(parse_log(out), SHALLOW if shallow else None)


def parse_log(out: bytes) -> dict[str, tuple[Commit, ...]]:
    """``git log -z --name-only`` output in the format of :func:`ticket_history`, per file its commits in git's order."""
    found: dict[str, list[Commit]] = {}
    tokens = out.split(b"\0")
    i, commit = 0, None
    while i < len(tokens):
        token = tokens[i]
        if token.startswith(_START) and i + 3 < len(tokens):
            commit = _commit(token[1:], *tokens[i + 1:i + 4])
            i += 4
            continue
        name = token.lstrip(b"\n").decode("utf-8", "replace")
        if commit is not None and name.startswith(f"{TICKETS}/"):
            found.setdefault(name, []).append(commit)
        i += 1
    return {name: tuple(commits) for name, commits in found.items()}


def _commit(sha: bytes, author: bytes, when: bytes, subject: bytes) -> Optional[Commit]:
    """A commit's header, or None when it does not parse (its files are then skipped)."""
    try:
        moment = dt.datetime.fromisoformat(when.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    text = sha.decode("ascii", "replace")
    return Commit(text, author.decode("utf-8", "replace"), moment, subject.decode("utf-8", "replace"))
