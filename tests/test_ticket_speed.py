"""The ticket commands' quick reads (gitdesk.load.workset, gitdesk.load.index) give what the whole load gives.

Each test builds a repository with bench/golden_data.py (every rule of the
format exercised), and compares what a workset reads from the index and the
per-file cache with a load of every file without a cache: the other
interventions of a technician (the overlap rule), the work queue (the tickets
open at a moment, with their SLA), a customer's tickets and priced work, a
ticket looked up by id. Then again after files changed behind the cache's
back, with a cache of another version or another machine's key, and with a
corrupt one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gitdesk.core.repository import Repository
from gitdesk.load import index, workset
from gitdesk.load.cache import Cache
from gitdesk.load.loader import load, scan
from gitdesk.load.request import EVERY_TICKET, Evaluate, Request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import golden_data  # noqa: E402

UTC = dt.timezone.utc
#: Moments the queue is asked about: before, during and after the generated half year.
MOMENTS = [dt.datetime(2026, 1, 15, 10, tzinfo=UTC), dt.datetime(2026, 3, 31, 16, tzinfo=UTC),
           dt.datetime(2026, 6, 30, 9, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated") / "data"
    golden_data.generate(root)
    return root


@pytest.fixture
def data(generated, tmp_path) -> Path:
    """A copy of the generated repository, as old on disk as a checkout of yesterday."""
    root = tmp_path / "data"
    shutil.copytree(generated, root)
    _age(root)
    return root


@pytest.fixture
def broken(data) -> Path:
    """The generated repository spoiled in some twenty ways, and a ticket id used twice, in the plain layout."""
    golden_data.break_repository(data)
    (data / "tickets/2026/05/Bad Name.yaml").unlink()  # the only file out of the plain layout
    first = sorted((data / "tickets/2026/02").glob("*.yaml"))[0]
    (data / "tickets/2026/03" / first.name).write_bytes(first.read_bytes())  # the same id, another month
    _age(data)
    return data


def _age(root: Path, seconds: int = 3600) -> None:
    """Every file last changed an hour ago (its status change time stays now: see _settle)."""
    past = dt.datetime.now().timestamp() - seconds
    for path in root.rglob("*.yaml"):
        os.utime(path, (past, past))


@pytest.fixture
def settled(monkeypatch):
    """Files count as settled at once (they were all written a moment ago): the index then trusts their signatures."""
    monkeypatch.setattr(index, "SETTLED", 0)


def _cache(tmp_path: Path, key: bytes = b"k" * 32) -> Cache:
    return Cache(tmp_path / "cache", key)


def _whole(root: Path, request: Request = Request()) -> Repository:
    return load(scan(root), request)


def _technicians(repo: Repository) -> list[str]:
    return sorted(repo.team_ids)


def _check_spans(root: Path, cache: Cache) -> None:
    whole = _whole(root)
    ws = workset.for_writing(root, cache)
    assert ws.entries() is not None, "the fast path was not taken"
    paths = sorted({t.path for t in whole.tickets.values()})[::7] + ["tickets/2026/01/no-such-ticket.yaml"]
    for tech in _technicians(whole) + ["nobody"]:  # and one that is no team member's
        for path in paths:
            assert workset.other_spans(ws, [tech], path) == workset.other_spans(whole, [tech], path), (tech, path)
    both = _technicians(whole)[:2]
    assert workset.other_spans(ws, both, paths[0]) == workset.other_spans(whole, both, paths[0])


def _check_queue(root: Path, cache: Cache) -> None:
    for now in MOMENTS:
        for customer in (None, "alfa", "beta", "nobody"):
            whole = _whole(root, Request(evaluate=Evaluate(now, customer)))
            expected = {t: r for t, r in whole.sla.items() if r.open}
            assert workset.queue(root, cache, now, customer).sla == expected, (now, customer)


def _check_one(root: Path, cache: Cache) -> None:
    now = MOMENTS[2]
    for customer in ("alfa", "beta", "delta", "nobody"):
        whole = _whole(root, Request(evaluate=Evaluate(now, customer), price=EVERY_TICKET))
        ws = workset.one(root, cache, customer, now)
        assert ws.sla == whole.sla, customer
        assert ws.works.get(customer, ()) == whole.works.get(customer, ()), customer


def _check_shown(root: Path, cache: Cache) -> None:
    """``ticket show``'s facts from a workset that prices only the months it shows: as the whole load's."""
    from gitdesk.core import desk

    now = MOMENTS[2]
    whole = _whole(root, Request(evaluate=Evaluate(now), price=EVERY_TICKET))
    for customer in ("alfa", "beta", "delta"):  # alfa and delta buy prepaid packages: the months before count too
        for tid in [t for t, ticket in whole.tickets.items() if ticket.customer == customer][::7]:
            ws = workset.one(root, cache, customer, now, tid)
            assert ws.sla.get(tid) == whole.sla.get(tid), tid  # none for a record salvaged in part
            if tid in whole.sla:
                assert desk.reports(ws, ws.tickets[tid]) == desk.reports(whole, whole.tickets[tid]), tid


def _check_tickets(root: Path, cache: Cache) -> None:
    whole = _whole(root)
    ws = workset.for_writing(root, cache)
    for tid, ticket in whole.tickets.items():
        assert ws.tickets[tid] == ticket
    assert "no-such-ticket" not in ws.tickets
    with pytest.raises(KeyError):
        ws.tickets["no-such-ticket"]


def _check_all(root: Path, cache: Cache) -> None:
    _check_spans(root, cache)
    _check_queue(root, cache)
    _check_one(root, cache)
    _check_shown(root, cache)
    _check_tickets(root, cache)


# ---------------------------------------------------------------- the same results


def test_a_workset_reads_what_the_whole_load_gives(data, tmp_path):
    cache = _cache(tmp_path)
    _check_all(data, cache)  # the index made
    _check_all(data, cache)  # and read


def test_a_workset_of_broken_data_reads_what_the_whole_load_gives(broken, tmp_path):
    assert _whole(broken).errors  # partial records, files without one, an overlap, a duplicate id
    _check_all(broken, _cache(tmp_path))


def test_without_a_cache_the_workset_is_the_same(data):
    _check_spans(data, None)
    _check_queue(data, None)


def test_the_whole_repository_is_read_only_for_what_needs_it(data, tmp_path):
    """A workset's problems, its count of tickets and its iteration are the whole load's, read when asked."""
    whole = _whole(data)
    ws = workset.for_writing(data, _cache(tmp_path))
    assert "_loads" not in ws.__dict__
    assert ws.tickets[next(iter(whole.tickets))] == next(iter(whole.tickets.values()))
    assert "_loads" not in ws.__dict__  # one ticket looked up: nothing else read
    assert list(ws.tickets) == list(whole.tickets)
    assert ws.problems == whole.problems and ws.ticket_count == whole.ticket_count and ws.partial == whole.partial


def test_a_layout_the_index_does_not_cover_is_loaded_whole(data, tmp_path):
    (data / "tickets/2026/05/Bad Name.yaml").write_text("customer: beta\n", encoding="utf-8")
    ws = workset.for_writing(data, _cache(tmp_path))
    assert ws.entries() is None
    whole = _whole(data)
    tech = _technicians(whole)[0]
    assert workset.other_spans(ws, [tech], "x") == workset.other_spans(whole, [tech], "x")
    now = MOMENTS[1]
    assert workset.queue(data, None, now).sla == {t: r for t, r in _whole(data, Request(evaluate=Evaluate(now))).sla.items() if r.open}


def test_the_queue_holds_only_open_tickets_and_the_open_ones_all(data, tmp_path):
    now = MOMENTS[1]
    whole = _whole(data, Request(evaluate=Evaluate(now)))
    queue = workset.queue(data, _cache(tmp_path), now).sla
    assert 0 < len(queue) < len(whole.sla)  # the generated data has both at that moment
    assert all(r.open for r in queue.values())
    assert workset.queue(data, None, now, everything=True).sla == whole.sla


@pytest.fixture
def looked(monkeypatch):
    """Every new file only looked through at first (as after a clone of a large repository), parsed when needed."""
    monkeypatch.setattr(index, "LOOK_FROM", 0)


def test_files_only_looked_through_give_the_same_results(data, tmp_path, looked):
    cache = _cache(tmp_path)
    _check_spans(data, cache)  # the files of each technician parsed as asked for
    _check_all(data, cache)


def test_broken_files_only_looked_through_give_the_same_results(broken, tmp_path, looked):
    _check_all(broken, _cache(tmp_path))


@pytest.mark.parametrize("written", ['"\\x61nna"', "!!str anna", '"an\\\n  na"'])
def test_a_technician_written_through_an_escape_or_a_tag_is_found(data, tmp_path, looked, written):
    """A file that names a technician otherwise than by the id's very characters is parsed all the same."""
    path = next(p for p in _with_interventions(data) if "technician: anna" in p.read_text(encoding="utf-8"))
    path.write_text(path.read_text(encoding="utf-8").replace("technician: anna", f"technician: {written}"), encoding="utf-8")
    whole = _whole(data)
    assert [s for s in workset.other_spans(whole, ["anna"], "x") if s[3] == path.relative_to(data).as_posix()]
    _check_spans(data, _cache(tmp_path))


# ---------------------------------------------------------------- fresh after a change behind the cache's back


def _same_size_edit(path: Path) -> None:
    """Change a technician in the file, keeping its size and its modification time: only the status change time tells."""
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    techs = sorted({line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("- technician:")})
    assert techs, path
    other = _another(techs[0], path.parent.parent.parent.parent)
    path.write_text(text.replace(f"technician: {techs[0]}", f"technician: {other}"), encoding="utf-8")
    assert path.stat().st_size == info.st_size
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _another(tech: str, root: Path) -> str:
    """Another team member whose id is as long."""
    return next(t for t in sorted(_whole(root).team_ids) if t != tech and len(t) == len(tech))


def _with_interventions(root: Path) -> list[Path]:
    return [p for p in sorted((root / "tickets").rglob("*.yaml")) if "- technician:" in p.read_text(encoding="utf-8")]


def test_a_file_changed_behind_the_cache_is_read_again(data, tmp_path, settled):
    cache = _cache(tmp_path)
    _check_all(data, cache)
    for path in _with_interventions(data)[::40]:
        _same_size_edit(path)
    _check_all(data, cache)


def test_files_added_and_removed_behind_the_cache_are_seen(data, tmp_path, settled):
    cache = _cache(tmp_path)
    _check_spans(data, cache)
    files = _with_interventions(data)
    files[0].unlink()
    copy = data / "tickets/2026/06" / ("20260630-alfa-" + "zzzz.yaml")
    copy.write_bytes(files[1].read_bytes())  # its interventions twice, reported in another month
    _check_all(data, cache)


def test_a_contract_changed_behind_the_cache_is_read_again(data, tmp_path, settled):
    """The contracts are kept whole in the cache too: a plan's promise changed (same size, same time) is seen."""
    cache = _cache(tmp_path)
    _check_queue(data, cache)
    plan = data / "contracts/plans/annual.yaml"
    info = plan.stat()
    text = plan.read_text(encoding="utf-8")
    assert "onsite: 4h" in text
    plan.write_text(text.replace("onsite: 4h", "onsite: 1h"), encoding="utf-8")
    os.utime(plan, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert workset.for_writing(data, cache).plans == _whole(data).plans
    _check_queue(data, cache)
    _check_one(data, cache)


def test_a_file_changed_right_after_it_was_indexed_is_never_taken_on_its_signature(data, tmp_path, monkeypatch):
    """A file changed within the file system's clock tick keeps its signature: the index keeps none for a file
    that changed shortly before it was made, and reads such a file again by its content."""
    cache = _cache(tmp_path)
    path = _with_interventions(data)[0]
    os.utime(path)  # changed just now
    listed = index.listing(data)
    workset.for_writing(data, cache).entries()
    _same_size_edit(path)
    # the file system gave it the same signature (as within one tick of its clock)
    monkeypatch.setattr(index, "listing", lambda root: listed)
    _check_spans(data, cache)


# ---------------------------------------------------------------- a cache not to be trusted


def _poisoned(root: Path, cache: Cache) -> None:
    """An index that says no ticket has an intervention, with every file's true signature."""
    listed = index.listing(root)
    poison = {rel: index._HEAD.pack(*index._SIG.unpack(sig), bytes(20), index.HAS_RECORD, 0.0, index.NAN) + b"x\0" + b"\x80\x05)."
              for rel, sig in listed}
    cache.put_index(f"tickets:{index.VERSION}:Europe/Rome", poison)


def test_an_index_of_another_key_is_ignored(data, tmp_path, settled):
    _poisoned(data, _cache(tmp_path, key=b"o" * 32))
    _check_spans(data, _cache(tmp_path))


def test_an_index_of_another_version_is_ignored(data, tmp_path, settled, monkeypatch):
    import gitdesk.load.cache as cache_mod

    monkeypatch.setattr(cache_mod, "code_salt", lambda: "another version")
    _poisoned(data, _cache(tmp_path))
    monkeypatch.undo()
    monkeypatch.setattr(index, "SETTLED", 0)
    _check_spans(data, _cache(tmp_path))


def test_a_corrupt_index_is_ignored(data, tmp_path, settled):
    cache = _cache(tmp_path)
    _check_spans(data, cache)
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite3")
    with db:
        db.execute("UPDATE indexes SET value = substr(value, 1, 40) || x'00ff00ff' || substr(value, 45)")
    db.close()
    _check_spans(data, cache)
    with sqlite3.connect(tmp_path / "cache" / "cache.sqlite3") as db:
        db.execute("UPDATE indexes SET value = x'0102'")
    _check_all(data, cache)


# ---------------------------------------------------------------- the commands


def test_an_event_is_checked_against_the_other_interventions_of_its_technicians(broken, tmp_path):
    """The overlap the broken data holds refuses an event on that ticket, as a whole load finds it."""
    whole = _whole(broken)
    overlapping = sorted({p.path for p in whole.problems if p.code == "overlap"})
    assert overlapping
    env = dict(os.environ, GITDESK_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=os.pathsep.join(sys.path))
    ident = Path(overlapping[0]).stem
    done = subprocess.run([sys.executable, "-m", "gitdesk", "--repo", str(broken), "ticket", "event", ident, "acknowledged",
                           "--at", "2026-06-30 09:00"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "overlaps the one at" in done.stderr, done.stderr
