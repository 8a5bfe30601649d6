"""A cache of per-file results keyed by content, in one SQLite file.

Keys are hashes of a file's path and bytes (and of what it is read with), so a
cached result is returned only for exactly the bytes it was computed from: the
cache can make a run faster, never different. The code that computed a result
is part of the key too: a cache written by another version of gitdesk or of
its libraries is dropped when opened.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional

DIRNAME = ".gitdesk-cache"


@functools.cache
def code_salt() -> str:
    """A fingerprint of gitdesk's own source (code and templates) and the versions of what it parses with.

    Computed once per process: it describes the code this process imported,
    and looking up package versions is slow enough to matter per site.
    """
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    for dist in ("pydantic", "pydantic-core", "PyYAML", "holidays", "mkdocs", "mkdocs-material", "Babel", "matplotlib"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()


class Cache:
    """Content-keyed blobs: ``files`` for per-file results, ``runs`` for whole runs."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# gitdesk's cache: safe to delete, never to commit\n*\n")
        self.db = sqlite3.connect(self.directory / "cache.sqlite3", timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA wal_autocheckpoint=20000")  # a cold run writes ~100 MB: copy it once, not every 4 MB
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS files (key BLOB PRIMARY KEY, value BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, value BLOB)")
        salt = code_salt()
        row = self.db.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
        if row is None or row[0] != salt:
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM files")
                self.db.execute("DELETE FROM runs")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('salt', ?)", (salt,))

    @classmethod
    def open(cls, root: Path) -> Optional["Cache"]:
        """The cache of a repository, or None where it cannot be written (read-only checkout)."""
        if os.environ.get("GITDESK_NO_CACHE"):
            return None
        directory = Path(os.environ.get("GITDESK_CACHE_DIR") or (Path(root) / DIRNAME))
        try:
            return cls(directory)
        except (OSError, sqlite3.Error):
            return None

    def get_many(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        keys = list(keys)
        found: dict[bytes, bytes] = {}
        try:
            for i in range(0, len(keys), 900):
                chunk = keys[i : i + 900]
                marks = ",".join("?" * len(chunk))
                found.update(self.db.execute(f"SELECT key, value FROM files WHERE key IN ({marks})", chunk).fetchall())
        except sqlite3.Error:
            return {}
        return found

    def keys(self) -> frozenset[bytes]:
        """Every key held, read from the key index alone (a few MB at 100,000 files).

        Workers look up only these: a cold run then asks the database nothing
        while it fills it, and readers never wait on the growing write-ahead log.
        """
        try:
            return frozenset(k for (k,) in self.db.execute("SELECT key FROM files"))
        except sqlite3.Error:
            return frozenset()

    def put_many(self, items: Mapping[bytes, bytes]) -> None:
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?)", items.items())
        except sqlite3.Error:
            pass

    def prune(self, count: int, live: Callable[[], Iterable[bytes]]) -> None:
        """Drop the entries of files that are no longer there, once they outnumber the ``count`` live ones.

        ``live`` gives the live keys; it is called only when there is something to drop.
        """
        try:
            (total,) = self.db.execute("SELECT count(*) FROM files").fetchone()
            if total <= count * 2 + 1000:
                return
            keys = list(live())
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key BLOB PRIMARY KEY)")
                self.db.execute("DELETE FROM live")
                self.db.executemany("INSERT OR IGNORE INTO live VALUES (?)", ((k,) for k in keys))
                self.db.execute("DELETE FROM files WHERE key NOT IN (SELECT key FROM live)")
        except sqlite3.Error:
            pass

    def get_run(self, key: str) -> Optional[bytes]:
        try:
            row = self.db.execute("SELECT value FROM runs WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def put_run(self, key: str, value: bytes) -> None:
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("DELETE FROM runs")  # only the latest run is worth keeping
                self.db.execute("INSERT INTO runs VALUES (?, ?)", (key, value))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        self.db.close()
