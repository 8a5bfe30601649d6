"""``gitdesk ticket edit``: a ticket's file in the technician's editor, checked against the whole repository before it is saved."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

import click

from gitdesk.commands import repo_option, repo_root
from gitdesk.commands.ticket import _load, _read, _save, commit_option, resolve
from gitdesk.core.errors import format_text
from gitdesk.load.files import read_data_text
from gitdesk.write import editing, writer


@click.command("edit")
@repo_option
@click.argument("ident", metavar="ID")
@commit_option
def edit_command(repo, ident, commit):
    """Open ticket ID's file in your editor ($VISUAL or $EDITOR); save and quit to write it.

    The edited text is checked with every rule of 'gitdesk validate', against
    the whole repository (a technician's interventions must not overlap
    across tickets), before anything is written. When it is wrong, the
    problems are shown (file:line:column and the line) and you choose: edit
    again (your text, as you left it) or discard. Text left unchanged writes
    nothing. The editor runs without holding the writers' lock; if someone
    changes the file meanwhile, nothing is written and your text is kept in a
    temporary file whose name is shown.
    """
    root = repo_root(repo)
    full, path = resolve(root, ident)
    rel = path.relative_to(root).as_posix()
    original = _read(root, path)
    text = original
    while True:
        edited = _edit(text)
        if edited is None or _as_edited(edited) == _as_edited(original):
            click.echo(f"{rel}: nothing changed", err=True)
            return
        text = edited
        problems = _attempt(root, path, full, original, text, commit)
        if problems is None:
            return
        click.echo(format_text(problems, lambda p: text if p == rel else read_data_text(root, p)), err=True)
        if not _again():
            click.echo(f"gitdesk: {rel} left as it was", err=True)
            sys.exit(1)


def _attempt(root: Path, path: Path, full: str, original: str, text: str, commit: bool) -> Optional[list]:
    """Write ``text`` under the writers' lock when it is right and the file is still as it was; its errors otherwise."""
    with writer.transaction(root, commit=commit) as tx:
        repository = _load(root)
        if _read(root, path) != original:
            raise writer.NotWritten(f"{path.relative_to(root).as_posix()} changed while you edited it: nothing was written; "
                                    f"your text is in {_keep(text, full)} (run 'gitdesk ticket edit {full}' again)")
        _, problems = editing.check_text(repository, path, text)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            return problems
        _save(tx, repository, path, text, commit, f"Ticket {full}: edited")
    return None


def _edit(text: str) -> str | None:
    """The text as the editor left it (None: not saved); a clear error when the editor's file cannot be read back."""
    try:
        return click.edit(text, extension=".yaml", require_save=False)
    except UnicodeDecodeError:
        raise click.ClickException("the edited text is not UTF-8: nothing was written") from None
    except OSError as exc:
        raise click.ClickException(f"the editor's file could not be read back ({exc.strerror}): nothing was written") from None


def _as_edited(text: str) -> str:
    """``text`` as an editor's round trip gives it back unchanged: line breaks as ``\n``, no byte order mark."""
    return text.lstrip("\ufeff").replace("\r\n", "\n")


def _keep(text: str, full: str) -> str:
    """The technician's text in a temporary file of their own (outside the repository), so no edit is lost."""
    fd, name = tempfile.mkstemp(prefix=f"gitdesk-{full}-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return name


def _again() -> bool:
    """Ask: edit again, or discard? (no answer, as without a terminal: discard)."""
    try:
        answer = click.prompt("Edit again (e) or discard your changes (d)?", type=click.Choice(["e", "d"]), default="e",
                              err=True)
    except click.Abort:
        return False
    return answer == "e"
