"""A cache of per-file results keyed by content, in one SQLite file.

Keys are hashes of a file's path and bytes (and of what it is read with), so a
cached result is returned only for exactly the bytes it was computed from: the
cache can make a run faster, never different. The code that computed a result
is part of the key too: a cache written by another version of gitdesk or of
its libraries is dropped when opened.

The cache never trusts its own file. It lives outside the repository (the
user's cache folder, or ``GITDESK_CACHE_DIR``), and one that git tracks is not
opened at all. Every entry carries an HMAC-SHA256 tag made with a key that
only this machine holds (``GITDESK_CACHE_KEY`` may give it, e.g. from a CI
secret): an entry whose tag does not verify is a miss, computed again and
overwritten. A verified entry is unpickled with a loader that knows only the
classes the cache stores (records, problems, numbers and dates), so not even a
verified entry can call anything else.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import os
import pickle
import shlex
import sqlite3
import stat
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from gitdesk.load.files import shown

#: The cache folder that versions before the user's cache folder kept inside the repository.
DIRNAME = ".gitdesk-cache"
#: Bytes of an entry's tag (HMAC-SHA256), before the pickled value.
TAG = 32


@functools.cache
def code_salt() -> str:
    """A fingerprint of gitdesk's own source (code and templates) and the versions of what it parses with.

    Computed once per process: it describes the code this process imported,
    and looking up package versions is slow enough to matter per site.
    """
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent.parent  # the whole gitdesk package
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    for dist, version in _versions(LIBRARIES).items():
        h.update(f"{dist}={version}".encode())
    return h.hexdigest()


#: The libraries whose versions can change a result (parsing, validation, calendars, the portal).
LIBRARIES = ("pydantic", "pydantic-core", "PyYAML", "holidays", "mkdocs", "mkdocs-material", "Babel", "matplotlib")


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _installed() -> Iterable[tuple[str, str, str]]:
    """``(name, version, dist-info or egg-info)`` of each package's metadata folder on ``sys.path``, in its order."""
    import sys

    for folder in sys.path:
        try:
            listed = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in listed:
            stem, _, suffix = entry.rpartition(".")
            if suffix in ("dist-info", "egg-info"):
                dist, _, version = stem.partition("-")
                yield dist, version, suffix


def _versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each library, as the first ``NAME-VERSION.dist-info`` folder on ``sys.path``
    names it (what the importer finds first); the package metadata is read only for a library installed
    otherwise (an ``.egg-info``), as reading it costs every command its start-up."""
    wanted = {_normal(n): n for n in names}
    found: dict[str, str] = {}
    other: set[str] = set()
    for dist, version, suffix in _installed():
        name = wanted.get(_normal(dist))
        if name is not None and name not in found and name not in other:
            if suffix == "dist-info" and version:
                found[name] = version
            else:
                other.add(name)
    if other:
        from importlib import metadata

        for dist in other:
            try:
                found[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
    return dict(sorted(found.items()))


# ---------------------------------------------------------------- where it lives


def user_folder() -> Path:
    """gitdesk's folder in the user's cache folder ($XDG_CACHE_HOME or ~/.cache on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("gitdesk", appauthor=False))


def default_directory(root: Path) -> Path:
    """The cache of the repository at ``root``: a folder of the user's cache folder named after the repository's path."""
    name = hashlib.blake2b(str(Path(root).resolve()).encode(), digest_size=8).hexdigest()
    return user_folder() / name


def directory_for(root: Path) -> Path:
    """The cache folder in use for ``root``: ``GITDESK_CACHE_DIR``, else the user's cache folder."""
    given = os.environ.get("GITDESK_CACHE_DIR")
    return Path(given).expanduser().absolute() if given else default_directory(root)


def tracked_files(root: Path, directory: Path) -> list[str]:
    """Files of the cache ``directory`` (and of the old in-repository cache folder) that git tracks.

    Paths relative to ``root``. Git is asked only when one of those folders
    exists inside the repository's work tree, which the default never is.
    """
    from gitdesk.load import gitcli

    root = Path(root).resolve()
    top = gitcli.work_tree(root) or root
    given = Path(directory).absolute()
    folders = []
    # the folder as named (a link that git tracks is refused too), where it leads, and the old folder
    for folder in (given.parent.resolve() / given.name, given.resolve(), root / DIRNAME):
        if folder not in folders and folder.is_relative_to(top) and os.path.lexists(folder):
            folders.append(folder)
    if not folders:
        return []
    try:
        found = gitcli.tracked(top, folders)
    except gitcli.GitError:
        return []  # not a git work tree (or no git): nothing there came with a clone
    return sorted(os.path.relpath(top / name, root).replace(os.sep, "/") for name in found)


# ---------------------------------------------------------------- the machine's key


def key_path() -> Path:
    """The file of this machine's key: in the user's cache folder, never inside a cache folder a CI saves."""
    return user_folder() / "key"


def machine_key() -> bytes:
    """The key entries are tagged with: ``GITDESK_CACHE_KEY`` when set, else this machine's own.

    The machine's key is 32 random bytes in a file only its owner can read,
    made on first use. OSError when it can be neither read nor made.
    """
    given = os.environ.get("GITDESK_CACHE_KEY")
    if given:
        return hashlib.sha256(b"gitdesk cache key\0" + given.encode("utf-8", "surrogateescape")).digest()
    return _file_key(key_path())


def _file_key(path: Path) -> bytes:
    key = _read_key(path)
    if key is None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = _private_file(path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(os.urandom(32))
            try:
                os.link(tmp, path)  # never replaces a key another process has just made
            except OSError:  # one is there (or the file system makes no links)
                if _read_key(path) is None:  # the one there is not to be trusted (see _read_key)
                    os.replace(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        key = _read_key(path)
        if key is None:
            raise OSError(f"cannot make the cache key {path}")
    return key


def _private_file(folder: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=".key-", dir=folder)  # created 0600


def _read_key(path: Path) -> Optional[bytes]:
    """The key in ``path``: None when missing, not a regular file of this user, readable by others, or not 32 bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            return None
        key = f.read(33)
    return key if len(key) == 32 else None


# ---------------------------------------------------------------- what an entry may hold


@functools.cache
def _allowed() -> dict[tuple[str, str], Any]:
    """Every class and function a cache entry may name: the records, problems, numbers and dates it holds."""
    import datetime
    import decimal

    from gitdesk.core import errors
    from gitdesk.core import model

    allowed: dict[tuple[str, str], Any] = {
        ("gitdesk.core.model", "_restore"): model._restore,
        ("gitdesk.core.errors", "Problem"): errors.Problem,
        ("decimal", "Decimal"): decimal.Decimal,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
    }
    for name in ("date", "datetime", "time", "timedelta", "timezone"):
        allowed["datetime", name] = getattr(datetime, name)
    for name, value in vars(model).items():
        if isinstance(value, type) and issubclass(value, model.Record) and value.__module__ == model.__name__:
            allowed["gitdesk.core.model", name] = value
    return allowed


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _allowed().get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not something the cache stores")
        return found


def _loads(data: bytes) -> Any:
    return _Unpickler(io.BytesIO(data)).load()


class Cache:
    """Content-keyed, tagged blobs: ``files`` for per-file results, ``runs`` for whole runs, ``indexes``
    for what a ticket command looks up without reading every file (:mod:`gitdesk.load.index`)."""

    def __init__(self, directory: Path, key: Optional[bytes] = None):
        self.key = key if key is not None else machine_key()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# gitdesk's cache: safe to delete, never to commit\n*\n")
        salt = code_salt()
        # Tags are made with this version's own key: an entry another version of gitdesk wrote never verifies.
        self._tag_key = hmac.digest(self.key, f"gitdesk cache\0{salt}".encode(), "sha256")
        self.db = sqlite3.connect(self.directory / "cache.sqlite3", timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA wal_autocheckpoint=20000")  # a cold run writes ~100 MB: copy it once, not every 4 MB
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS files (key BLOB PRIMARY KEY, value BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, value BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS indexes (name TEXT PRIMARY KEY, value BLOB)")
        row = self.db.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
        if row is None or row[0] != salt:
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM files")
                self.db.execute("DELETE FROM runs")
                self.db.execute("DELETE FROM indexes")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('salt', ?)", (salt,))

    @classmethod
    def open(cls, root: Path, warn: Callable[[str], None] = lambda message: None) -> Optional["Cache"]:
        """The cache of a repository, or None: without a cache, or where it cannot be written (read-only folder).

        A cache folder inside the repository's work tree of which git tracks a
        file (and the old ``.gitdesk-cache`` folder, tracked) came with the
        data: it is not opened, and ``warn`` is told which files.
        """
        if os.environ.get("GITDESK_NO_CACHE"):
            return None
        directory = directory_for(root)
        tracked = tracked_files(root, directory)
        if tracked:
            # file names come with the data: shown on one line, escaped (a name could hold a line that
            # starts a CI workflow command), and quoted for the shell in the command to copy
            named = ", ".join(shown(name) for name in tracked[:3]) + (f" and {len(tracked) - 3} more" if len(tracked) > 3 else "")
            folder = shown(os.path.dirname(tracked[0]) or tracked[0])
            warn(f"{named}: a cache committed to the repository is never read; running without the cache "
                 f"(remove it from git with 'git rm -r --cached -- {shlex.quote(folder)}')")
            return None
        try:
            return cls(directory)
        except (OSError, sqlite3.Error):
            return None

    # ------------------------------------------------------------ tagged values

    def _tag(self, table: bytes, key: bytes, data: bytes) -> bytes:
        return hmac.digest(self._tag_key, b"%s\0%d\0%s%s" % (table, len(key), key, data), "sha256")

    def pack(self, key: bytes, value: Any, table: bytes = b"files") -> bytes:
        """``value`` as an entry of ``key``: its tag, then the value pickled."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return self._tag(table, key, data) + data

    def unpack(self, key: bytes, blob: Optional[bytes], table: bytes = b"files") -> Optional[Any]:
        """The value of an entry of ``key``; None for a miss: absent, a tag that does not verify, or not a value the cache stores."""
        if blob is None or len(blob) < TAG:
            return None
        data = blob[TAG:]
        if not hmac.compare_digest(blob[:TAG], self._tag(table, key, data)):
            return None
        try:
            return _loads(data)
        except Exception:
            return None

    # ------------------------------------------------------------ storage

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

    def get_run(self, key: str) -> Optional[Any]:
        """The value of a whole run stored under ``key``, or None (see :meth:`unpack`)."""
        return self._one("SELECT value FROM runs WHERE key = ?", key, b"runs")

    def _one(self, query: str, name: str, table: bytes) -> Optional[Any]:
        """The value ``query`` finds for ``name`` in ``table``, checked and unpacked; None when there is none."""
        try:
            row = self.db.execute(query, (name,)).fetchone()
        except sqlite3.Error:
            return None
        return self.unpack(name.encode(), row[0], table) if row else None

    def put_run(self, key: str, value: Any) -> None:
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("DELETE FROM runs")  # only the latest run is worth keeping
                self.db.execute("INSERT INTO runs VALUES (?, ?)", (key, self.pack(key.encode(), value, b"runs")))
        except sqlite3.Error:
            pass

    def get_index(self, name: str) -> Optional[Any]:
        """The index stored under ``name`` (see :mod:`gitdesk.load.index`), or None (see :meth:`unpack`)."""
        return self._one("SELECT value FROM indexes WHERE name = ?", name, b"indexes")

    def put_index(self, name: str, value: Any) -> None:
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("INSERT OR REPLACE INTO indexes VALUES (?, ?)", (name, self.pack(name.encode(), value, b"indexes")))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        self.db.close()
