"""The change history of every ticket, from one pass over ``git log``.

One ``git log`` for the whole ``tickets/`` folder (never one call per file)
gives, for each ticket, who committed what and when. A shallow clone has
only the last commits: that is detected and said, with the fix, rather than
shown as a history that is quietly incomplete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional

FIELD = "\x1f"
RECORD = "\x1e"


class Change(NamedTuple):
    when: dt.datetime
    author: str
    summary: str
    commit: str


@dataclass
class History:
    """Per ticket id, its changes, newest first."""

    changes: dict[str, list[Change]] = field(default_factory=dict)
    shallow: bool = False
    available: bool = True
    note: Optional[str] = None

    def get(self, ticket_id: str, default=()):
        return self.changes.get(ticket_id, default)


SHALLOW_NOTE = ("this is a shallow clone: the history of the tickets is incomplete. "
                "Fetch the full history (git fetch --unshallow, or fetch-depth: 0 in GitHub Actions, "
                "GIT_DEPTH: 0 in GitLab CI) and build again.")


def read(root: Path) -> History:
    """The history of every ticket file under ``root/tickets`` (empty outside a git repository)."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return History(available=False, note="not a git repository: no change history")
    try:
        shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
        top = Path(repo.working_tree_dir).resolve()
        tickets = (Path(root).resolve() / "tickets").relative_to(top).as_posix()
        text = repo.git.log(f"--format={RECORD}%H{FIELD}%an{FIELD}%aI{FIELD}%s", "--name-only", "--no-renames", "--", tickets)
    except git.GitCommandError as exc:
        if "does not have any commits" in str(exc) or "bad default revision" in str(exc):
            return History(shallow=False)
        return History(available=False, note=f"git log failed: {exc.stderr.strip() if exc.stderr else exc}")
    history = History(shallow=shallow, note=SHALLOW_NOTE if shallow else None)
    for record in text.split(RECORD):
        if not record.strip():
            continue
        head, _, names = record.partition("\n")
        sha, author, when, subject = (head.split(FIELD) + ["", "", "", ""])[:4]
        moment = dt.datetime.fromisoformat(when)
        for name in names.split("\n"):
            name = name.strip()
            if name.endswith(".yaml"):
                ticket = name.rsplit("/", 1)[-1][: -len(".yaml")]
                history.changes.setdefault(ticket, []).append(Change(moment, author, subject, sha[:10]))
    return history
