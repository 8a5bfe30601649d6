"""The loading pipeline: discovery, the cache, workers, the embedded demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import ROOT, TICKET
from gitdesk.load import executor, loader
from gitdesk.load.cache import Cache
from gitdesk.load.loader import EVERY_TICKET, Evaluate, Price, Request, load


def test_records_remember_their_source(repo):
    loaded = load(repo.root)
    assert not loaded.problems
    ticket = loaded.tickets["20261103-acme-psu1"]
    assert str(ticket.source) == "tickets/2026/11/20261103-acme-psu1.yaml:1:1"
    assert ticket.interventions[0].line == 14
    assert ticket.interventions[0].parts[0].price.as_tuple().exponent == -2


def test_records_are_immutable(repo):
    ticket = load(repo.root).tickets["20261103-acme-psu1"]
    with pytest.raises(Exception):
        ticket.title = "changed"  # type: ignore[misc]


def test_times_are_aware_and_exact(repo):
    ticket = load(repo.root).tickets["20261103-acme-psu1"]
    work = ticket.interventions[0]
    assert work.start.tzinfo is not None
    assert work.duration == dt.timedelta(minutes=90)


def test_money_never_passes_through_float(repo):
    text = TICKET.replace("price: 89.00", "price: 0.10").replace("qty: 1", "qty: 3")
    repo.ticket("20261103-acme-psu1", text)
    part = load(repo.root).tickets["20261103-acme-psu1"].interventions[0].parts[0]
    assert part.price * part.qty == part.price * 3 and str(part.price * part.qty) == "0.30"


def test_cache_never_hides_an_error(repo):
    cache = Cache(repo.root / ".gitdesk-cache")
    assert not load(repo.root, cache=cache).problems
    assert not load(repo.root, cache=cache).problems  # from the cache
    repo.ticket("20261103-acme-psu1", TICKET.replace("price: 89.00", "price: 89.001"))
    found = load(repo.root, cache=cache).problems
    assert [p.line for p in found] == [22]
    repo.ticket("20261103-acme-psu1", TICKET)
    assert not load(repo.root, cache=cache).problems


def test_tickets_are_looked_up_only_where_the_cache_holds_them(repo, monkeypatch):
    """A cold run asks the cache nothing about tickets; a warm one asks only for the files it has seen."""
    asked: list[bytes] = []
    real = Cache.get_many

    def spy(self, keys):
        keys = list(keys)
        asked.extend(keys)
        return real(self, keys)

    monkeypatch.setattr(Cache, "get_many", spy)
    cache = Cache(repo.root / ".gitdesk-cache")
    cache.put_many({b"k" * 20: b"v"})
    assert cache.keys() == frozenset({b"k" * 20})
    assert len(load(repo.root, cache=cache, jobs=1).tickets) == 1
    before = cache.keys()
    never_asked = before - set(asked) - {b"k" * 20}
    assert len(never_asked) == 1  # the ticket: the cache could not have it; the other files were asked one by one
    (old_ticket,) = never_asked
    asked.clear()
    later = TICKET.replace("2026-11-03 12:05", "2026-11-03 14:05").replace("2026-11-03 13:35", "2026-11-03 15:35")
    repo.ticket("20261103-acme-psu2", later)
    assert len(load(repo.root, cache=cache, jobs=1).tickets) == 2
    (new_ticket,) = cache.keys() - before
    assert old_ticket in asked and new_ticket not in asked


def test_validate_run_cache_follows_every_byte(repo):
    assert repo.run("validate", "--cache").exit_code == 0
    assert repo.run("validate", "--cache").exit_code == 0
    repo.ticket("20261103-acme-psu1", TICKET.replace("title:", "titl:"))
    result = repo.run("validate", "--cache")
    assert result.exit_code == 1 and "unknown field 'titl'" in result.stdout
    from gitdesk.load.cache import directory_for

    assert (directory_for(repo.root) / ".gitignore").read_text().strip().endswith("*")  # ignored wherever it is moved to


def test_workers_give_the_same_result(repo, monkeypatch):
    for n in range(40):
        hour = 8 + n // 4
        text = TICKET.replace("start: 2026-11-03 12:05", f"start: 2026-11-{10 + n % 4:02d} {hour:02d}:00")
        text = text.replace("end: 2026-11-03 13:35", f"end: 2026-11-{10 + n % 4:02d} {hour:02d}:30")
        if n == 7:
            text = text.replace("customer: acme", "customer: acmx")
        repo.ticket(f"20261103-acme-w{n:03d}", text)
    sequential = load(repo.root, jobs=1)
    monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 10)
    cache = Cache(repo.root / ".gitdesk-cache")
    parallel = load(repo.root, jobs=2, cache=cache)
    again = load(repo.root, jobs=2, cache=cache)
    assert sequential.problems == parallel.problems == again.problems
    assert len(sequential.problems) == 1 and "unknown customer" in sequential.problems[0].message
    assert list(sequential.tickets) == list(parallel.tickets) == list(again.tickets)
    assert sequential.tickets == parallel.tickets


def test_a_request_says_what_comes_back(repo):
    """Without the tickets kept: counts, problems and the facts asked for, by ticket id and by customer."""
    from gitdesk.core import charges, sla

    moment = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)
    whole = load(repo.root)
    ticket = whole.tickets["20261103-acme-psu1"]
    assert whole.sla == {} and whole.works == {}  # nothing asked for, and no issued statement to lock
    loaded = load(repo.root, Request(tickets=False, evaluate=Evaluate(moment), price=EVERY_TICKET))
    assert loaded.tickets == {} and loaded.ticket_count == 1
    assert loaded.sla == {ticket.id: sla.evaluate(whole, ticket, moment)}
    assert loaded.works == {"acme": charges.charges_as_recorded(whole, ticket)}
    assert load(repo.root, Request(evaluate=Evaluate(moment, customer="other"))).sla == {}
    assert load(repo.root, Request(evaluate=Evaluate(moment, month="2026-10"))).sla == {}
    assert list(load(repo.root, Request(evaluate=Evaluate(moment, month="2026-11"))).sla) == [ticket.id]


def test_pricing_for_a_month_takes_the_tickets_its_statements_need(repo):
    assert load(repo.root, Request(price=Price("2026-10"))).works == {}  # the work is of a later month
    assert set(load(repo.root, Request(price=Price("2026-11", "acme"))).works) == {"acme"}
    assert load(repo.root, Request(price=Price("2026-11", "other"))).works == {}


def test_the_executor_gives_results_in_order_and_raises_what_a_worker_raised():
    from gitdesk.load import executor

    items = list(range(1000))
    done = []
    square = lambda batch: [(n * n, n) for n in batch]  # noqa: E731 - workers inherit closures
    forked = list(executor.run(square, items, jobs=2, threshold=10, size=37, progress=done.append))
    assert forked == [(n * n, n) for n in items] and sum(done) == 1000
    assert list(executor.run(square, items, jobs=1, size=37)) == forked  # in this process: the same results
    assert list(executor.run(square, items[:5], jobs=2, threshold=10)) == forked[:5]

    def fails(batch):
        if 500 in batch:
            raise ValueError("item 500")
        return list(batch)

    with pytest.raises(ValueError, match="item 500"):
        list(executor.run(fails, items, jobs=2, threshold=10, size=50))


def test_workers_evaluate_and_price_as_this_process_does(repo, monkeypatch):
    for n in range(30):
        text = TICKET.replace("start: 2026-11-03 12:05", f"start: 2026-11-{10 + n % 4:02d} {8 + n // 4:02d}:00")
        repo.ticket(f"20261103-acme-e{n:03d}", text.replace("end: 2026-11-03 13:35", f"end: 2026-11-{10 + n % 4:02d} {8 + n // 4:02d}:30"))
    request = Request(tickets=False, evaluate=Evaluate(dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)), price=EVERY_TICKET)
    here = load(repo.root, request, jobs=1)
    monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 10)
    forked = load(repo.root, request, jobs=2)
    assert here.sla == forked.sla and here.works == forked.works and len(here.sla) == 31


def test_demo_data_validates_clean():
    """The embedded demo repository is the default the commands run on: it must be valid.

    Its only warnings are two on-call Saturdays, work the office calendar does not open for."""
    loaded = load(ROOT)
    assert not loaded.errors, "\n".join(map(str, loaded.errors[:20]))
    assert sorted((p.path, p.code) for p in loaded.problems) == [
        ("tickets/2026/09/20260918-belvedere-al3s.yaml", "closed-day"), ("tickets/2026/11/20261114-cattaneo-1bsw.yaml", "closed-day")]
    assert len(loaded.customers) >= 4 and len(loaded.tickets) >= 120
    months = {t.reported.astimezone(loaded.tz).strftime("%Y-%m") for t in loaded.tickets.values()}
    assert len(months) >= 3
    assert loaded.provider.language == "it" and loaded.provider.timezone == "Europe/Rome"


def test_scan_reads_every_byte_of_small_empty_and_large_files(tmp_path):
    from gitdesk.load.discover import read_bytes as _read_bytes

    from gitdesk.load.files import MAX_BYTES, DataFileError

    for size in (0, 1, 65535, 65536, 65537, 300_000, MAX_BYTES):
        path = tmp_path / f"f{size}"
        data = bytes(i % 251 for i in range(size))
        path.write_bytes(data)
        assert _read_bytes(tmp_path, f"f{size}") == data
    (tmp_path / "big").write_bytes(b"x" * (MAX_BYTES + 1))
    with pytest.raises(DataFileError, match="larger than 1 MiB"):
        _read_bytes(tmp_path, "big")


def test_records_pickle_compactly_and_come_back_equal():
    """The cache and the worker processes send records pickled: equal after the trip,
    with the same explicitly given fields, and still immutable."""
    import pickle

    from pydantic import ValidationError

    demo = load(ROOT, jobs=1)
    records = [demo.provider, *demo.plans.values(), *demo.customers.values(), *demo.tickets.values()]
    for record in records:
        back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == record and type(back) is type(record)
        assert back.__pydantic_fields_set__ == record.__pydantic_fields_set__
        assert back.model_dump() == record.model_dump()
    ticket = next(iter(demo.tickets.values()))
    with pytest.raises(ValidationError):
        pickle.loads(pickle.dumps(ticket)).title = "changed"


@pytest.mark.parametrize("command", [("validate",), ("sla", "--now", "2026-12-01 12:00"), ("statement", "--month", "2026-11")])
def test_an_unreadable_ticket_is_reported_by_every_command(repo, command):
    """validate reads every file up front; sla and statement leave tickets to the workers: same report."""
    (repo.root / "tickets/2026/11/20261104-acme-gone.yaml").symlink_to(repo.root / "nowhere.yaml")
    result = repo.run(*command)
    assert result.exit_code == 1
    out = result.stdout + result.stderr
    assert "tickets/2026/11/20261104-acme-gone.yaml:1:1: cannot read the file" in out


@given(count=st.integers(0, 50_000), size=st.integers(250, 2000), workers=st.integers(1, 8))
def test_batches_cover_every_file_once_and_shrink_towards_the_end(count, size, workers):
    bounds = executor.batches(count, size, workers)
    assert [i for a, b in bounds for i in range(a, b)] == list(range(count))
    steps = [b - a for a, b in bounds]
    assert all(0 < s <= size for s in steps)
    assert steps == sorted(steps, reverse=True) or steps[-1] < 50  # the last one takes what is left


def test_tickets_outside_a_month_folder_are_reported_by_name(repo):
    for folder in ("2026", "2026/11/old", "2026/1", "26/11", "2026/11x"):
        repo.ticket("20261103-acme-psu1", month=folder)
    repo.write("tickets/2026/11/20261103-acme-note.yml", "title: a note\n")
    problems = load(repo.root).problems
    placed = sorted(p.path for p in problems if p.code == "file-place")
    assert placed == sorted(f"tickets/{folder}/20261103-acme-psu1.yaml" for folder in ("2026", "2026/11/old", "2026/1", "26/11", "2026/11x"))
    assert all("belongs in tickets/YYYY/MM/" in p.message for p in problems if p.code == "file-place")
    assert [p.path for p in problems if p.code == "file-name"] == ["tickets/2026/11/20261103-acme-note.yml"]
    assert [t for t in load(repo.root).tickets] == ["20261103-acme-psu1"]  # the one in tickets/2026/11/


def test_ticket_in_the_folder_of_another_month_names_its_own(repo):
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261103-acme-psu1", month="2026/10")  # reported on 3 November
    problems = [p for p in load(repo.root).problems if p.code == "file-place"]
    assert [(p.path, p.message) for p in problems] == [
        ("tickets/2026/10/20261103-acme-psu1.yaml", "reported in 2026-11: the file belongs in tickets/2026/11/")
    ]
