"""Fetching ticket files ahead of the readers: which files are advised, and that it never gets in the way."""

from __future__ import annotations

import os
import threading
import time

import pytest

from conftest import TICKET
from gitdesk.load import loader
from gitdesk.load import readahead
from gitdesk.load.loader import load, scan
from gitdesk.load.readahead import ReadAhead


@pytest.fixture
def files(tmp_path):
    paths = []
    for n in range(60):
        path = tmp_path / f"f{n:03d}.yaml"
        path.write_text(f"n: {n}\n")
        paths.append(str(path))
    return paths


@pytest.fixture
def advised(monkeypatch):
    """The inode of every file the threads advise the kernel about."""
    seen: list[int] = []
    lock = threading.Lock()

    def record(fd, offset, length, advice):
        assert advice == readahead._WILLNEED and (offset, length) == (0, 0)
        with lock:
            seen.append(os.fstat(fd).st_ino)

    monkeypatch.setattr(readahead, "_ADVISE", record)
    monkeypatch.setattr(readahead, "MINIMUM", 10)
    return seen


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_every_file_not_in_memory_is_advised_once(files, advised, monkeypatch, tmp_path):
    monkeypatch.setattr(readahead, "_in_memory", lambda path: False)
    missing = str(tmp_path / "gone.yaml")
    with ReadAhead(files[:30] + [missing] + files[30:], threads=3, chunk=7):
        assert _wait_for(lambda: len(advised) == len(files))
    assert sorted(advised) == sorted(os.stat(p).st_ino for p in files)


def test_groups_found_in_memory_are_skipped(files, advised, monkeypatch):
    monkeypatch.setattr(readahead, "_in_memory", lambda path: not path.endswith(("f010.yaml", "f011.yaml")))
    with ReadAhead(files, threads=2, chunk=10, sample=2) as ahead:
        assert _wait_for(lambda: not any(w.is_alive() for w in ahead._workers))
    # Only the group whose sampled first files (f010, f011) were not in memory.
    assert sorted(advised) == sorted(os.stat(p).st_ino for p in files[10:20])


def test_few_files_start_no_thread(files, advised):
    with ReadAhead(files[:9]) as ahead:
        assert ahead._workers == []
    assert advised == []


def test_leaving_stops_the_threads_at_once(files, monkeypatch):
    monkeypatch.setattr(readahead, "MINIMUM", 10)
    monkeypatch.setattr(readahead, "_in_memory", lambda path: False)
    monkeypatch.setattr(readahead, "_ADVISE", lambda *args: time.sleep(0.05))  # a slow disk
    started = time.monotonic()
    with ReadAhead(files, threads=2) as ahead:
        time.sleep(0.06)
    assert time.monotonic() - started < 1.0  # 60 files at 50 ms on two threads would take 1.5 s
    assert not any(w.is_alive() for w in ahead._workers)


@pytest.mark.skipif(getattr(os, "RWF_NOWAIT", None) is None, reason="the system cannot read without waiting")
def test_a_file_just_read_is_in_memory(files, tmp_path):
    with open(files[0], "rb") as f:
        f.read()
    assert readahead._in_memory(files[0])
    assert not readahead._in_memory(str(tmp_path / "gone.yaml"))


def test_workers_reading_ahead_give_the_same_result(repo, monkeypatch):
    """The deferred scan of the sla and statement commands, with the read-ahead on."""
    for n in range(30):
        text = TICKET.replace("start: 2026-11-03 12:05", f"start: 2026-11-{10 + n % 10:02d} {8 + n // 10:02d}:00")
        text = text.replace("end: 2026-11-03 13:35", f"end: 2026-11-{10 + n % 10:02d} {8 + n // 10:02d}:30")
        repo.ticket(f"20261103-acme-r{n:03d}", text)
    (repo.root / "tickets/2026/11/20261103-acme-r007.yaml").unlink()
    os.symlink("nowhere.yaml", repo.root / "tickets/2026/11/20261103-acme-r007.yaml")
    sequential = load(scan(repo.root, defer_tickets=True), jobs=1)
    monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(readahead, "MINIMUM", 1)
    parallel = load(scan(repo.root, defer_tickets=True), jobs=2)
    assert sequential.problems == parallel.problems
    assert [p.code for p in parallel.errors] == ["io"]  # and warnings of the three on Sunday 2026-11-15
    assert list(sequential.tickets) == list(parallel.tickets) and len(parallel.tickets) == 30
