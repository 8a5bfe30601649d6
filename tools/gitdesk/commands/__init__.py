"""One module per command; this one holds what they share: finding and loading the repository."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import click

from gitdesk.core.repository import Repository
from gitdesk.load.files import read_data_text

if TYPE_CHECKING:  # the loader is imported where a command loads the whole repository (ticket commands read less)
    from gitdesk.load.cache import Cache
    from gitdesk.load.loader import Request, Scan

repo_option = click.option(
    "--repo",
    "repo",
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    default=None,
    help="The data repository (default: the current folder).",
)
cache_option = click.option("--no-cache", is_flag=True, help="Read every file anew (the cache never changes a result, only the time).")
jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes for large repositories (default: one per core)."
)


def repo_root(repo: Optional[str]) -> Path:
    """--repo after the command, else before it, else the current folder."""
    if repo is None:
        ctx = click.get_current_context()
        parent = ctx.find_root().obj or {}
        repo = parent.get("repo")
    return Path(repo) if repo else Path.cwd()


def open_cache(root: Path, no_cache: bool) -> Optional[Cache]:
    """The repository's cache (see :mod:`gitdesk.load.cache`), or None; a cache committed to the repository is reported on stderr."""
    from gitdesk.load.cache import Cache

    return None if no_cache else Cache.open(root, warn=lambda message: click.echo(f"gitdesk: warning: {message}", err=True))


#: Tickets from which a load shows a progress bar.
LARGE = 2000


def load_repository(found: "Scan", cache: "Optional[Cache]", jobs: Optional[int], request: "Optional[Request]" = None) -> Repository:
    """Load what ``request`` asks for, with a progress bar on a terminal when there is much to read."""
    from gitdesk.load.loader import Request, load

    request = request if request is not None else Request()
    total = sum(1 for f in found.files if f.kind == "ticket")
    if total >= LARGE and sys.stderr.isatty():
        with click.progressbar(length=total, label="Reading tickets", file=sys.stderr) as bar:
            return load(found, request, cache=cache, jobs=jobs, progress=bar.update)
    return load(found, request, cache=cache, jobs=jobs)


def read_repository(repo: Optional[str], no_cache: bool = False, jobs: Optional[int] = None) -> Repository:
    from gitdesk.load.loader import scan

    root = repo_root(repo)
    return load_repository(scan(root), open_cache(root, no_cache), jobs)


def report_problems(repository: Repository) -> None:
    """For commands that compute from the data: refuse on errors, listing them on stderr."""
    from gitdesk.core.errors import format_text

    if repository.errors:
        click.echo(format_text(repository.errors, lambda path: read_data_text(repository.root, path)), err=True)
        n = len(repository.errors)
        click.echo(f"gitdesk: {n} error{'s' if n != 1 else ''} in the data; run 'gitdesk validate' for details", err=True)
        sys.exit(1)
