"""The checks that ``gitdesk build``'s output folder is the build's own, and its signed state files.

The pipelines build with ``--out site`` inside the checkout, so the folder
may hold whatever a pull request committed there. Before anything is
written, :func:`check` refuses:

- an output folder that holds a file git tracks (committed sites, build
  state or links: a build never trusts or writes through them), or that
  holds the data repository itself;
- a symbolic link on the way from the repository to the output folder (the
  folder given as ``--out`` included, when it lies inside the repository: a
  link there may come from the data). A link outside the repository, such
  as ``/var/www/portal`` leading to ``/srv/portal``, is the operator's own
  and is followed;
- a symbolic link (or a file where a folder belongs) among the paths the
  build writes or trusts: ``.gitdesk-build/`` and its state files,
  ``public/``, ``customers/``, ``customers/<id>/``, their ``index.html``,
  ``.auth/`` and its password files, ``webserver/`` and its configurations.

The state files are read with ``O_NOFOLLOW`` and written by rename (which
replaces a link rather than following it), and each holds an HMAC of the
site's digest made with this machine's key (:func:`gitdesk.load.cache.machine_key`):
a state file this machine's build did not write never makes a site count as
unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import stat
from pathlib import Path
from typing import Iterable, Optional

from gitdesk.load import gitcli
from gitdesk.load.files import shown as shown_name

MAX_STATE_BYTES = 256


class Refused(Exception):
    """The output folder cannot be written safely; the message names the path and says why."""


def _shown(path: Path, root: Path) -> str:
    try:
        return os.path.relpath(path, root) if Path(path).is_relative_to(root) else str(path)
    except ValueError:
        return str(path)


def tracked(root: Path, out: Path) -> list[str]:
    """Files git tracks under ``out``, when it lies in the work tree of the repository at ``root``."""
    top = gitcli.work_tree(Path(root).resolve())
    if top is None or not out.is_relative_to(top) or not os.path.lexists(out):
        return []
    if shutil.which("git") is None:
        return []  # no git on this machine: nothing there came from a clone
    try:
        return gitcli.tracked(top, [out])
    except gitcli.GitError as exc:
        raise Refused(f"cannot ask git which files of the output folder {out} it tracks: "
                      f"{exc.message.splitlines()[0] if exc.message else 'git failed'}") from None


def check(root: Path, given: Path, out: Path, folders: Iterable[str], files: Iterable[str]) -> None:
    """Refuse (:class:`Refused`) an output folder the build must not write: see the module's text.

    ``given`` is the folder as the user named it, ``out`` where it leads;
    ``folders`` and ``files`` are the paths, relative to ``out``, the build
    writes or trusts.
    """
    root = Path(root)
    real_root = root.resolve()
    lexical = Path(os.path.abspath(given))
    for top in {Path(os.path.abspath(root)), real_root}:
        if lexical.is_relative_to(top):
            step = top
            for part in lexical.relative_to(top).parts:
                step = step / part
                if os.path.islink(step):
                    raise Refused(f"the output folder's path {step} is a symbolic link inside the data repository: "
                                  "build into a real folder")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise Refused(f"the output folder {out} is not a folder")
    if real_root.is_relative_to(out):
        raise Refused(f"the output folder {out} holds the data repository: build into a folder of its own")
    found = tracked(real_root, out)
    if found:
        shown = ", ".join(map(shown_name, found[:3])) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise Refused(f"the output folder {out} holds files git tracks ({shown}): the build's output is its own, "
                      "never committed; remove them from git (git rm -r --cached) or build into another folder")
    check_links(out, folders, files)


def check_links(out: Path, folders: Iterable[str], files: Iterable[str]) -> None:
    """Refuse a symbolic link among ``folders`` and ``files`` under ``out``, and a non-folder among ``folders``."""
    for rel, folder in [(rel, True) for rel in folders] + [(rel, False) for rel in files]:
        path = Path(out) / rel
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise Refused(f"cannot look at {path}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise Refused(f"{path} is a symbolic link: the build does not write through links; remove it")
        if folder and not stat.S_ISDIR(info.st_mode):
            raise Refused(f"{path} is not a folder: the build writes a folder there; remove it")


def is_file(path: Path) -> bool:
    """A regular file, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_state(path: Path) -> Optional[str]:
    """A state file's text: None unless it is a small regular file (never read through a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_STATE_BYTES:
            return None
        return os.read(fd, MAX_STATE_BYTES).decode("ascii", "replace").strip()
    except OSError:
        return None
    finally:
        os.close(fd)


def state_text(key: Optional[bytes], name: str, digest: str) -> Optional[str]:
    """What the state file of a site built from ``digest`` holds: an HMAC only this machine's key makes."""
    if key is None:
        return None
    return hmac.new(key, f"gitdesk build state\0{name}\0{digest}".encode(), hashlib.sha256).hexdigest()


def build_key() -> Optional[bytes]:
    """The key state files are signed with (None when this machine has none: every site is then rebuilt)."""
    from gitdesk.load.cache import machine_key

    try:
        return machine_key()
    except OSError:
        return None
