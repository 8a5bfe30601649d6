"""The cache trusts nothing that came with the data: where it lives, what it reads back, who can write it."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, TICKET
from gitdesk.load import loader
from gitdesk.load.loader import load, scan
from gitdesk.load.read import cache_key

NOW = "2026-12-31 12:00"


class Payload:
    """What a hostile cache entry holds: unpickling it creates a folder."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def run(root: Path, *args: str, env: dict | None = None):
    from gitdesk.main import cli

    return CliRunner().invoke(cli, ["--repo", str(root), *args], env=env or {}, catch_exceptions=False)


def hostile_cache(root: Path, folder: Path, marker: Path) -> None:
    """A cache folder as gitdesk has always written it, whose every entry (per file, and the run) runs code."""
    from gitdesk.load.cache import code_salt

    found = scan(root)
    blob = pickle.dumps(Payload(marker))
    keys = {cache_key(f, tz) for f in found.files for tz in ("", "Europe/Rome")}
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "cache.sqlite3")
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE files (key BLOB PRIMARY KEY, value BLOB)")
    db.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, value BLOB)")
    db.execute("INSERT INTO meta VALUES ('salt', ?)", (code_salt(),))
    db.executemany("INSERT INTO files VALUES (?, ?)", [(k, blob) for k in keys])
    db.execute("INSERT INTO runs VALUES (?, ?)", (f"validate:{found.digest}", blob))
    db.commit()
    db.close()


@pytest.mark.parametrize("moved", [False, True], ids=["default", "GITDESK_CACHE_DIR"])
@pytest.mark.parametrize("command", [
    ("validate",),
    ("check",),
    ("sla", "--now", NOW),
    ("statement", "--month", "2026-11"),
    ("build", "--out", "{out}", "--now", NOW),
])
def test_a_committed_cache_is_never_read_and_is_reported(repo, tmp_path, command, moved):
    """A pull request that commits a cache (git add -f) whose entries run code: the code never runs.

    Also where the cache folder in use is that one (GitLab CI can only cache
    a folder of the checkout): a cache folder git tracks is not opened."""
    marker = tmp_path / "the-cache-ran-code"
    repo.git("init", "-q")
    hostile_cache(repo.root, repo.root / ".gitdesk-cache", marker)
    repo.git("add", "-A")
    repo.git("add", "-f", ".gitdesk-cache/cache.sqlite3")
    repo.git("commit", "-qm", "data and a cache")
    env = {"GITDESK_CACHE_DIR": str(repo.root / ".gitdesk-cache")} if moved else {}
    args = [a.replace("{out}", str(tmp_path / "site")) for a in command]
    result = run(repo.root, *args, env=env)
    assert not marker.exists()
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warning = "gitdesk: warning: .gitdesk-cache/cache.sqlite3: a cache committed to the repository is never read"
    assert result.stderr.count(warning) == 1, result.stderr


def test_a_committed_link_to_a_cache_folder_is_refused(repo, tmp_path):
    """A pull request that commits .gitdesk-cache as a link to a folder it filled elsewhere (GitLab's cache folder)."""
    marker = tmp_path / "the-cache-ran-code"
    repo.git("init", "-q")
    hostile_cache(repo.root, tmp_path / "elsewhere", marker)
    (repo.root / ".gitdesk-cache").symlink_to(tmp_path / "elsewhere")
    repo.git("add", "-A")
    repo.git("add", "-f", ".gitdesk-cache")
    repo.git("commit", "-qm", "data and a link")
    result = run(repo.root, "sla", "--now", NOW, env={"GITDESK_CACHE_DIR": str(repo.root / ".gitdesk-cache")})
    assert not marker.exists() and result.exit_code == 0
    assert "gitdesk: warning: .gitdesk-cache: a cache committed to the repository is never read" in result.stderr


def test_the_cache_lives_outside_the_work_tree(repo, tmp_path):
    from gitdesk.load.cache import Cache

    assert run(repo.root, "validate").exit_code == 0
    assert not (repo.root / ".gitdesk-cache").exists()
    user = Path(os.environ["XDG_CACHE_HOME"]) / "gitdesk"
    folders = [p for p in user.iterdir() if p.is_dir()]
    assert len(folders) == 1 and (folders[0] / "cache.sqlite3").is_file()
    assert stat.S_IMODE(folders[0].stat().st_mode) == 0o700  # it holds the customers' data
    cache = Cache.open(repo.root)
    assert cache.directory == folders[0] and not cache.directory.resolve().is_relative_to(repo.root.resolve())
    # another repository has a cache of its own
    assert Cache.open(tmp_path).directory != cache.directory


def test_gitdesk_cache_dir_moves_the_cache_but_never_the_key(repo, tmp_path):
    moved = tmp_path / "ci-cache"
    assert run(repo.root, "validate", env={"GITDESK_CACHE_DIR": str(moved)}).exit_code == 0
    assert (moved / "cache.sqlite3").is_file()
    assert sorted(p.name for p in moved.iterdir() if p.name.startswith("key") or p.suffix == ".key") == []
    user = Path(os.environ["XDG_CACHE_HOME"]) / "gitdesk"
    assert sorted(p.name for p in user.iterdir()) == ["key"]  # the key stays on the machine; no cache there


def test_the_key_file_is_private_and_replaced_when_others_can_read_it(tmp_path):
    from gitdesk.load.cache import key_path, machine_key

    path = key_path()
    assert path.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    key = machine_key()
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert machine_key() == key  # made once, then read
    path.chmod(0o644)  # another user of the machine could have read it: never trusted again
    fresh = machine_key()
    assert fresh != key and stat.S_IMODE(path.stat().st_mode) == 0o600


def _tamper(folder: Path, table: str, value: bytes, keep_tag: bool) -> int:
    """Replace what every entry of ``table`` holds by a valid pickle: the whole entry, or all but its tag (32 bytes)."""
    db = sqlite3.connect(folder / "cache.sqlite3")
    rows = db.execute(f"SELECT key, value FROM {table}").fetchall()
    db.executemany(f"UPDATE {table} SET value = ? WHERE key = ?", [(old[:32] * keep_tag + value, k) for k, old in rows])
    db.commit()
    db.close()
    return len(rows)


@pytest.mark.parametrize("parallel", [False, True], ids=["one-process", "workers"])
def test_a_tampered_entry_is_a_miss_and_is_rewritten(repo, tmp_path, monkeypatch, parallel):
    """Entries whose tag does not verify (valid pickles claiming other results) are read again and overwritten."""
    from gitdesk.load.cache import Cache
    from gitdesk.core.errors import Problem

    for n in range(12):
        text = TICKET.replace("2026-11-03 12:05", f"2026-11-{10 + n:02d} 09:00").replace("2026-11-03 13:35", f"2026-11-{10 + n:02d} 10:30")
        repo.ticket(f"20261103-acme-t{n:03d}", text)
    if parallel:
        monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 5)
    fresh = load(repo.root, jobs=2)
    folder = tmp_path / "cache"
    load(repo.root, jobs=2, cache=Cache(folder))
    lie = pickle.dumps((None, [Problem("tickets/2026/11/x.yaml", 1, 1, "a lie from the cache", "invalid")]))
    for keep_tag in (False, True):
        assert _tamper(folder, "files", lie, keep_tag) == 5 + 13
        again = load(repo.root, jobs=2, cache=Cache(folder))
        assert again.problems == fresh.problems and again.errors == ()  # a warning: the work on Sunday 2026-11-15
        assert again.tickets == fresh.tickets and len(again.tickets) == 13
    calls = []
    from gitdesk.load import read, tickets

    for module in (read, tickets):  # where contracts and tickets are read
        monkeypatch.setattr(module, "read_record", lambda *a: calls.append(a) or pytest.fail("read again"))
    assert load(repo.root, jobs=2, cache=Cache(folder)).tickets == fresh.tickets  # rewritten with valid tags
    assert calls == []


def test_a_tampered_validate_run_is_not_used(repo, tmp_path):
    env = {"GITDESK_CACHE_DIR": str(tmp_path / "cache")}
    assert run(repo.root, "validate", env=env).exit_code == 0
    from gitdesk.core.errors import Problem

    lie = pickle.dumps(([Problem("contracts/provider.yaml", 1, 1, "a lie from the cache", "invalid")], (0, 0, 0)))
    for keep_tag in (False, True):
        assert _tamper(tmp_path / "cache", "runs", lie, keep_tag) == 1
        result = run(repo.root, "validate", env=env)
        assert result.exit_code == 0 and "lie" not in result.output
        assert "2 plans, 2 customers, 1 tickets: no errors" in result.stderr


def test_a_verified_entry_still_calls_nothing_but_what_the_cache_stores(repo, tmp_path):
    """Defence in depth: an entry tagged with the right key that names other code is a miss, and that code never runs."""
    from gitdesk.load.cache import Cache

    marker = tmp_path / "the-cache-ran-code"
    cache = Cache(tmp_path / "cache")
    expected = load(repo.root)
    assert not expected.problems
    found = scan(repo.root)
    cache.put_many({cache_key(f, tz): cache.pack(cache_key(f, tz), Payload(marker))
                    for f in found.files for tz in ("", "Europe/Rome")})
    again = load(repo.root, cache=cache)
    assert not marker.exists()
    assert again.problems == () and again.tickets == expected.tickets
    calls = [(os.mkdir, (str(marker),)), (subprocess.run, (["mkdir", str(marker)],)),
             (eval, (f"__import__('os').mkdir({str(marker)!r})",)), (pickle.loads, (pickle.dumps(Payload(marker)),))]
    for call in calls:
        assert cache.unpack(b"k", cache.pack(b"k", Call(*call))) is None
        assert not marker.exists()
    assert cache.unpack(b"k", cache.pack(b"k", {"still": ("plain", 1)})) == {"still": ("plain", 1)}


class Call:
    def __init__(self, function, args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def test_a_shared_key_makes_a_restored_cache_useful_and_only_then(tmp_path, monkeypatch):
    """Two machines (two user folders) with one GITDESK_CACHE_KEY read each other's cache; with their own keys,
    the other's entries are misses. The output is the same whichever way."""
    cache_dir = str(tmp_path / "restored")
    args = ("sla", "--format", "json", "--now", NOW)
    expected = json.loads(run(ROOT, *args, env={"GITDESK_NO_CACHE": "1"}).stdout)
    from gitdesk.load.cache import Cache

    reads = []  # the misses: each file read anew is packed to be written
    real = Cache.pack
    monkeypatch.setattr(Cache, "pack", lambda self, key, value, *table: reads.append(key) or real(self, key, value, *table))

    def machine(name: str, key: str | None) -> int:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / name))
        env = {"GITDESK_CACHE_DIR": cache_dir, "GITDESK_CACHE_KEY": key}
        reads.clear()
        assert json.loads(run(ROOT, *args, env=env).stdout) == expected
        return len(reads)

    files = machine("first", "a secret of the team")
    assert files > 100
    assert machine("second", "a secret of the team") == 0
    assert machine("third", None) == files  # its own key: nothing verifies
    assert machine("third", None) == 0


def test_pipelines_cache_a_folder_named_by_gitdesk_cache_dir():
    """The shipped CI files stay valid, cache the folder gitdesk uses, outside the checkout where the CI can."""
    github = yaml.safe_load((ROOT / ".github/workflows/gitdesk.yml").read_text())
    steps = github["jobs"]["check"]["steps"]
    (cache_step,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    (check_step,) = [s for s in steps if "gitdesk check" in s.get("run", "")]
    folder = cache_step["with"]["path"]
    assert check_step["env"]["GITDESK_CACHE_DIR"] == folder and folder.startswith("${{ runner.temp }}/")
    assert check_step["env"]["GITDESK_CACHE_KEY"] == "${{ secrets.GITDESK_CACHE_KEY }}"

    gitlab = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    folder = gitlab["variables"]["GITDESK_CACHE_DIR"]
    assert folder.startswith("$CI_PROJECT_DIR/")  # GitLab caches only paths of the checkout
    assert [p.rstrip("/") for p in gitlab["cache"]["paths"]] == [folder.replace("$CI_PROJECT_DIR/", "").rstrip("/")]
    assert folder.endswith("/.gitdesk-cache")  # ignored by the data repository's .gitignore; a tracked one is refused
    assert ".gitdesk-cache/" in (ROOT / ".gitignore").read_text().splitlines()
