"""Ask the operating system for files shortly before they are read.

A repository of 100,000 ticket files that is not in the page cache (after a
clone, or after the system reclaimed the memory) is otherwise read one small
file at a time, every read waiting on the disk while the cores stand idle:
several seconds of a large run. A few threads of the main process, which
only waits while the workers parse, open the files in the order they will be
read and tell the kernel they are needed (``posix_fadvise(WILLNEED)``): the
disk serves many requests at once and the readers find the bytes in memory.
Nothing is read into Python, and no file is held open; a file is opened
without waiting (a FIFO never blocks a thread) and a symbolic link is not
followed. Where the system has
no ``posix_fadvise`` this does nothing.

When the files are already in memory the advice is wasted work that competes
with the readers, so each group of files is first sampled: if its first few
files can be read without waiting (``preadv`` with ``RWF_NOWAIT``), the group
is taken to be in memory and skipped.
"""

from __future__ import annotations

import os
import threading
from typing import Sequence

_ADVISE = getattr(os, "posix_fadvise", None)
_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", 0)
_NOWAIT = getattr(os, "RWF_NOWAIT", None)
#: Never wait on a FIFO, never follow a link (the reader decides what may be read).
_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
#: Below this many files the threads cost more than the waits they save.
MINIMUM = 3000


class ReadAhead:
    """A context: while it is open, ``paths`` are fetched ahead, in order, by a few threads.

    Leaving it stops the threads (they finish the file in hand): the
    readers never wait for it.
    """

    def __init__(self, paths: Sequence[str], threads: int = 4, chunk: int = 250, sample: int = 4):
        self.paths = paths
        self.threads = threads
        self.chunk = chunk
        self.sample = sample
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def __enter__(self) -> "ReadAhead":
        if _ADVISE is not None and len(self.paths) >= MINIMUM:
            for n in range(self.threads):
                worker = threading.Thread(target=self._run, name=f"gitdesk-readahead-{n}", daemon=True)
                worker.start()
                self._workers.append(worker)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join()

    def _take(self) -> Sequence[str]:
        with self._lock:
            start = self._next
            self._next = start + self.chunk
        return self.paths[start : start + self.chunk]

    def _run(self) -> None:
        while not self._stop.is_set():
            chunk = self._take()
            if not chunk:
                return
            if all(_in_memory(path) for path in chunk[: self.sample]):
                continue
            for path in chunk:
                if self._stop.is_set():
                    return
                try:
                    fd = os.open(path, _OPEN)
                except OSError:
                    continue  # the reader will report it
                try:
                    _ADVISE(fd, 0, 0, _WILLNEED)  # type: ignore[misc]
                except OSError:
                    pass
                finally:
                    os.close(fd)


def _in_memory(path: str) -> bool:
    """Whether the start of the file can be read without waiting for the disk (False: unknown)."""
    if _NOWAIT is None:
        return False
    try:
        fd = os.open(path, _OPEN)
    except OSError:
        return False
    try:
        os.preadv(fd, [bytearray(1)], 0, _NOWAIT)
        return True
    except OSError:  # BlockingIOError: not in memory; others: not supported here
        return False
    finally:
        os.close(fd)
