"""Reading a file of the data repository, and nothing else.

Every byte gitdesk reads from a data repository (records, the lines quoted
under a problem, a file an editing command changes) comes through
:func:`read_data_file`. It reads a file only when it is

- a regular file: a FIFO, a device or a socket is never read (it is opened
  without waiting, so a FIFO cannot hang a command, and checked on the open
  file, so it cannot be swapped after the check);
- inside the repository: a symbolic link is followed only when its target is
  inside the repository too; a link that leads out of it (to ``/etc``,
  ``/proc/self/environ``, another repository) is refused before it is opened;
- at most :data:`MAX_BYTES` long.

A refusal is a :class:`DataFileError` with a message for the user; it never
carries a byte of the refused file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Optional

#: The largest data file read (a ticket of a year's work is a few tens of kilobytes).
MAX_BYTES = 1 << 20
MAX_SHOWN = "1 MiB"

_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
#: What open() says for a symbolic link under O_NOFOLLOW (Linux: ELOOP; the BSDs: EMLINK).
_LINK_ERRNOS = frozenset((errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP), getattr(errno, "EFTYPE", errno.ELOOP)))
_PROC_FD = "/proc/self/fd/"
_HAS_PROC_FD = os.path.isdir(_PROC_FD)


class DataFileError(OSError):
    """A data file that is not read: why, in words, and a problem code."""

    def __init__(self, message: str, code: str = "io"):
        super().__init__(errno.EPERM, message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def real_root(root: Path | str) -> str:
    """The repository's own path with every link resolved, as links are checked against it."""
    return os.path.realpath(root)


def inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def read_data_file(root: Path | str, rel: str, *, root_real: Optional[str] = None, folders_checked: bool = False) -> bytes:
    """The bytes of the file ``rel`` (relative to ``root``), or :class:`DataFileError`.

    ``folders_checked``: the caller found ``rel`` by listing folders without
    entering a linked one (:func:`gitdesk.load.loader.discover`), so no folder on
    the way leads out of the repository; otherwise where the opened file
    really is is checked too.
    """
    path = f"{root}{os.sep}{rel}"
    fd = _open(path, root, root_real)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataFileError(f"{kind_of(info.st_mode)}, not a data file: it is not read", "file-kind")
        if info.st_size > MAX_BYTES:
            raise DataFileError(f"the file is larger than {MAX_SHOWN}: it is not read", "file-size")
        if not folders_checked and not _really_inside(fd, path, root_real or real_root(root)):
            raise DataFileError("a file outside the repository (through a linked folder): it is not read", "file-link")
        return _read_all(fd, info.st_size)
    except BlockingIOError:
        raise DataFileError("cannot read the file without waiting: it is not read", "file-kind") from None
    except DataFileError:
        raise
    except OSError as exc:
        raise DataFileError(f"cannot read the file: {exc.strerror}", "io") from None
    finally:
        os.close(fd)


def _open(path: str, root: Path | str, root_real: Optional[str]) -> int:
    """The file opened without following a link at its end, or through one whose target is inside the repository."""
    try:
        return os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno not in _LINK_ERRNOS:
            raise DataFileError(f"cannot read the file: {exc.strerror}", "io") from None
    # A symbolic link: followed only to a target inside the repository.
    target = os.path.realpath(path)
    if not inside(target, root_real or real_root(root)):
        raise DataFileError("a link to a file outside the repository: it is not read", "file-link")
    try:
        return os.open(target, _FLAGS)
    except OSError as again:
        raise DataFileError(f"cannot read the file: {again.strerror}", "io") from None


def _read_all(fd: int, size: int) -> bytes:
    """The open regular file's bytes, ``size`` as fstat said; one that grew past :data:`MAX_BYTES` meanwhile is refused."""
    data = os.read(fd, size + 1)  # one byte more than fstat said: a file that grew is seen
    if len(data) <= size:
        return data  # a regular file's short read is its end
    chunks = [data]
    total = len(data)
    while chunk := os.read(fd, 1 << 16):
        total += len(chunk)
        if total > MAX_BYTES:
            raise DataFileError(f"the file is larger than {MAX_SHOWN}: it is not read", "file-size")
        chunks.append(chunk)
    return b"".join(chunks)


def _really_inside(fd: int, path: str, root_real: str) -> bool:
    """Whether the open file is inside the repository, whatever links the folders on its path are."""
    if _HAS_PROC_FD:
        try:
            real = os.readlink(_PROC_FD + str(fd))
        except OSError:
            real = ""
        if real.startswith("/"):
            return inside(real, root_real)
    return inside(os.path.realpath(os.path.dirname(path)), root_real)


def read_data_text(root: Path | str, rel: str) -> Optional[str]:
    """A data file's text for quoting its lines (None when it is not read: its bytes are never shown)."""
    try:
        return read_data_file(root, rel).decode("utf-8-sig", errors="replace")
    except OSError:
        return None


#: Control characters (C0, DEL, C1) and Unicode's line and paragraph separators: terminals and CI
#: logs may act on them, or start a new line there.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(name: str) -> str:
    """A name or text from the data as it can be printed on one line: bytes that are not UTF-8 become
    U+FFFD, control characters ``\\xNN``, the line and paragraph separators ``\\u2028`` and ``\\u2029``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROL.sub(_escaped, name)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(name: str) -> bool:
    """Whether a file name is UTF-8 text without control characters."""
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return _CONTROL.search(name) is None
