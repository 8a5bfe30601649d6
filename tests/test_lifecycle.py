"""The lifecycle rules of the data format: a resolution answers every promise, priority changes,
assignments, cancellations, and the appointment an intervention keeps. Hand-computed.

The fixture's office calendar (tests/conftest.py): Monday to Friday 08:30-12:30
and 14:00-18:00, Saturday 09:00-12:00. The annual plan (ACME's contract):
urgent on site within 4h (late: waive), normal confirmed within 8h (late: 20%
per started hour), repeat visits free. 2026-11-03 is a Tuesday.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from gitdesk.core import charges, sla
from gitdesk.core.model import LogEvent
from gitdesk.load.loader import load

ROME = ZoneInfo("Europe/Rome")
NAME = "20261103-acme-life"
MINUTES = dt.timedelta(minutes=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ROME)


def ticket(reported: str, priority: str, log: list[str] = (), works: list[str] = ()) -> str:
    text = f"customer: acme\ntitle: Case\nreported: {reported}\npriority: {priority}\n"
    if log:
        text += "log:\n" + "".join(log)
    if works:
        text += "interventions:\n" + "".join(works)
    return text


def work(start: str, end: str, outcome: str = "resolved", mode: str = "onsite") -> str:
    return f"  - {{technician: gbianchi, mode: {mode}, start: {start}, end: {end}, outcome: {outcome}, report: Done.}}\n"


def event(when: str, kind: str, extra: str = "") -> str:
    return f"  - {{at: {when}, event: {kind}, by: gbianchi{', ' + extra if extra else ''}}}\n"


def loaded(repo, text: str):
    """The repository with the one ticket ``text`` (the fixture's own ticket removed)."""
    (repo.root / "tickets/2026/11/20261103-acme-psu1.yaml").unlink(missing_ok=True)
    repo.ticket(NAME, text)
    data = load(repo.root)
    assert not data.problems, data.problems
    return data


def evaluate(repo, text: str, now: str = "2026-12-31 12:00") -> sla.TicketSla:
    data = loaded(repo, text)
    return sla.evaluate(data, data.tickets[NAME], at(now))


def target(result: sla.TicketSla, kind: str) -> sla.Target:
    found = [t for t in result.targets if t.kind == kind]
    assert len(found) == 1, result.targets  # one target per kind
    return found[0]


# ---------------------------------------------------------------- a resolution answers every promise


def test_phone_resolution_before_the_onsite_due_time_meets_it(repo):
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", [event("2026-11-03 10:20", "resolved")],
                              [work("2026-11-03 10:00", "2026-11-03 10:20", mode="phone")]))
    t = target(r, "onsite")
    # on site within 4h: 09:00-12:30 (3h30m) and 14:00-14:30
    assert t.due == at("2026-11-03 14:30")
    assert t.met_at == at("2026-11-03 10:20") and t.status == "met" and t.late == dt.timedelta(0)
    assert not r.open and not r.breached
    assert r.arrivals[0].basis == "none" and r.arrivals[0].percent == 0  # a phone call is no arrival


def test_phone_resolution_after_the_onsite_due_time_breaches_it(repo):
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", [event("2026-11-03 16:00", "resolved")],
                              [work("2026-11-03 15:40", "2026-11-03 16:00", mode="phone")]))
    t = target(r, "onsite")
    # due 14:30 (above); met by the resolution at 16:00: late 14:30-16:00 = 1h30m
    assert t.met_at == at("2026-11-03 16:00") and t.status == "breached" and t.late_minutes == 90


def test_a_reopening_runs_again_a_target_met_in_time_with_the_time_already_used(repo):
    log = [event("2026-11-03 10:20", "resolved"), event("2026-11-04 09:00", "reopened")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-04 12:00", "2026-11-04 13:00")]))
    t = target(r, "onsite")
    # used 09:00-10:20 (1h20m) before the resolution; 2h40m left from Wednesday 09:00: due 11:40
    assert t.due == at("2026-11-04 11:40")
    assert t.met_at == at("2026-11-04 12:00") and t.status == "breached" and t.late_minutes == 20
    # paused while resolved: Tuesday 10:20-12:30 (2h10m) and 14:00-18:00 (4h), Wednesday 08:30-09:00 (30m)
    assert t.paused == dt.timedelta(hours=6, minutes=40)
    a = r.arrivals[0]  # the visit met the on-site target: measured against it, late is waived (urgent)
    assert a.basis == "onsite" and a.deadline == at("2026-11-04 11:40") and a.waived and a.late_minutes == 20


def test_a_target_met_late_by_the_resolution_stays_breached_after_a_reopening(repo):
    log = [event("2026-11-03 16:00", "resolved"), event("2026-11-04 09:00", "reopened")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-04 12:00", "2026-11-04 13:00")]))
    t = target(r, "onsite")
    assert t.met_at == at("2026-11-03 16:00") and t.status == "breached" and t.late_minutes == 90
    a = r.arrivals[0]  # the visit met no target: no appointment either, so no deadline
    assert a.basis == "none" and a.percent == 0


# ---------------------------------------------------------------- priority


def test_escalation_from_normal_to_urgent_adds_an_onsite_target_from_the_change(repo):
    log = [event("2026-11-03 10:00", "priority", "to: urgent, note: Two more offices are down")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", log, [work("2026-11-03 16:00", "2026-11-03 17:00")]))
    # normal's confirm 8h from 09:00: 09:00-12:30 (3h30m), 14:00-18:00 (4h), Wednesday 08:30-09:00
    confirm = target(r, "confirm")
    assert confirm.due == at("2026-11-04 09:00") and confirm.met_at == at("2026-11-03 16:00") and confirm.status == "met"
    # urgent's on site 4h from the change at 10:00: 10:00-12:30 (2h30m), 14:00-15:30
    onsite = target(r, "onsite")
    assert onsite.start == at("2026-11-03 10:00") and onsite.due == at("2026-11-03 15:30")
    assert onsite.met_at == at("2026-11-03 16:00") and onsite.status == "breached" and onsite.late_minutes == 30
    # the visit is the first that can meet it: measured against it, under urgent's rule (waive)
    a = r.arrivals[0]
    assert a.basis == "onsite" and a.deadline == at("2026-11-03 15:30") and a.waived
    assert r.priority == "normal" and r.priority_now == "urgent"
    assert r.escalations == (sla.Escalation(at("2026-11-03 10:00"), "normal", "urgent"),)


def test_escalation_keeps_an_earlier_target_of_the_same_kind(repo):
    """urgent -> normal -> urgent: the second escalation offers an on-site target due later than
    the one still running, which stands (one target per kind)."""
    log = [event("2026-11-03 09:30", "priority", "to: normal"), event("2026-11-03 11:00", "priority", "to: urgent")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-03 14:00", "2026-11-03 15:00")]))
    # the first: due 14:30 (09:00-12:30, 14:00-14:30); a new one from 11:00 would be due 16:00
    t = target(r, "onsite")
    assert t.start == at("2026-11-03 09:00") and t.due == at("2026-11-03 14:30") and t.status == "met"
    assert [e.to for e in r.escalations] == ["urgent"] and r.priority_now == "urgent"


def test_escalation_after_the_kind_was_met_adds_nothing(repo):
    log = [event("2026-11-03 12:00", "priority", "to: urgent")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", log, [work("2026-11-03 10:00", "2026-11-03 11:00", "continues")]))
    assert [t.kind for t in r.targets] == ["confirm"]  # the technician was on site already


def test_a_downgrade_cannot_erase_a_breach(repo):
    log = [event("2026-11-03 15:00", "priority", "to: normal")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-03 16:00", "2026-11-03 17:00")]))
    t = target(r, "onsite")
    # on site due 14:30, past due at the change (15:00); met at 16:00: late 1h30m
    assert t.due == at("2026-11-03 14:30") and t.status == "breached" and t.late_minutes == 90
    assert [t.kind for t in r.targets] == ["onsite"]  # a change to a lower priority adds nothing
    a = r.arrivals[0]  # the highest priority before the start was urgent: its late rule
    assert a.basis == "onsite" and a.waived
    assert r.priority_now == "normal" and r.escalations == ()


def test_a_downgrade_before_the_due_time_keeps_the_promise(repo):
    log = [event("2026-11-03 10:00", "priority", "to: normal")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log), now="2026-11-03 15:00")
    t = target(r, "onsite")
    assert t.due == at("2026-11-03 14:30") and t.status == "breached" and t.late_minutes == 30  # 14:30-15:00


def test_the_late_rule_is_the_highest_priority_before_the_intervention(repo):
    log = [event("2026-11-03 09:10", "confirmed", "planned: 2026-11-03 10:00"),
           event("2026-11-03 11:30", "priority", "to: urgent"),
           event("2026-11-03 12:00", "priority", "to: normal"),
           event("2026-11-03 12:10", "confirmed", "planned: 2026-11-04 09:00")]
    works = [work("2026-11-03 10:30", "2026-11-03 11:00", "continues"), work("2026-11-04 10:00", "2026-11-04 11:00")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", log, works))
    first, second = r.arrivals
    # before the escalation: normal's rule, 30 min late on the 10:00 appointment, 1 started hour: 20%
    assert first.basis == "appointment" and first.late_minutes == 30 and first.percent == Decimal(20)
    # after it (and after the downgrade): urgent's rule, 1h late on the 09:00 appointment: waived
    assert second.basis == "appointment" and second.late_minutes == 60 and second.waived
    assert [t.kind for t in r.targets] == ["confirm"]  # on site already when raised: no on-site target


# ---------------------------------------------------------------- cancellation


def test_a_cancellation_before_the_due_time_cancels_the_target(repo):
    log = [event("2026-11-03 11:00", "cancelled", "reason: duplicate, note: Same fault as 20261103-acme-k3f9")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log).replace("priority: urgent", "priority: urgent\nusers_blocked: 3"))
    t = target(r, "onsite")
    assert t.status == "cancelled" and t.met_at is None and t.late == dt.timedelta(0) and t.due == at("2026-11-03 14:30")
    assert r.cancelled == sla.Cancellation(at("2026-11-03 11:00"), "duplicate")
    assert not r.open and not r.breached and r.resolved_at is None
    assert r.downtime == dt.timedelta(hours=2)  # up to the cancellation: 09:00-11:00, all in the morning window
    s = sla.summarize([r])  # neither met nor breached: counted apart, out of compliance
    assert (s.targets, s.met, s.breached, s.running, s.cancelled, s.compliance) == (0, 0, 0, 0, 1, None)


def test_a_cancellation_after_the_due_time_breaches_the_target(repo):
    log = [event("2026-11-03 16:00", "cancelled", "reason: withdrawn")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log))
    t = target(r, "onsite")
    # due 14:30: late up to the cancellation, 1h30m, and no more
    assert t.status == "breached" and t.met_at is None and t.late_minutes == 90
    s = sla.summarize([r])
    assert (s.targets, s.breached, s.cancelled) == (1, 1, 0)


def test_reopened_after_a_cancellation_before_the_due_time(repo):
    log = [event("2026-11-03 11:00", "cancelled", "reason: duplicate"), event("2026-11-04 09:00", "reopened")]
    text = ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-04 10:30", "2026-11-04 11:00")])
    # used 09:00-11:00 (2h) before the cancellation; 2h left from Wednesday 09:00: due 11:00
    running = target(evaluate(repo, text, now="2026-11-04 10:00"), "onsite")
    assert running.status == "running" and running.due == at("2026-11-04 11:00")
    r = evaluate(repo, text)
    t = target(r, "onsite")
    assert t.met_at == at("2026-11-04 10:30") and t.status == "met"
    assert r.cancelled is None and r.open  # reopened, and no resolution since


def test_reopened_after_a_cancellation_past_due_stays_breached(repo):
    log = [event("2026-11-03 16:00", "cancelled", "reason: withdrawn"), event("2026-11-04 09:00", "reopened")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-04 10:30", "2026-11-04 11:00")]))
    t = target(r, "onsite")
    assert t.status == "breached" and t.met_at is None and t.late_minutes == 90
    assert r.arrivals[0].basis == "none"  # the visit met no target and kept no appointment


def test_interventions_before_a_cancellation_are_charged(repo):
    log = [event("2026-11-03 12:00", "cancelled", "reason: withdrawn")]
    data = loaded(repo, ticket("2026-11-03 09:00", "urgent", log, [work("2026-11-03 10:00", "2026-11-03 11:00", "unresolved")]))
    (done,) = charges.charges_as_recorded(data, data.tickets[NAME])
    kinds = {line.kind: line.amount for line in done.lines}
    # 1h on site at ACME's 45.00, call-out 35.00; in time (due 14:30): no reduction
    assert kinds == {"labour": Decimal("45.00"), "callout": Decimal("35.00")}


# ---------------------------------------------------------------- appointments


def _follow_up(repo, second_appointment: bool) -> sla.TicketSla:
    log = [event("2026-11-03 09:30", "confirmed", "planned: 2026-11-03 14:00")]
    if second_appointment:
        log.append(event("2026-11-03 15:30", "confirmed", "planned: 2026-11-04 09:00"))
    works = [work("2026-11-03 14:00", "2026-11-03 15:00", "continues"), work("2026-11-04 10:00", "2026-11-04 11:00")]
    return evaluate(repo, ticket("2026-11-03 09:00", "normal", log, works))


def test_a_follow_up_without_a_new_appointment_has_no_deadline(repo):
    first, second = _follow_up(repo, False).arrivals
    assert first.basis == "appointment" and first.late_minutes == 0
    # the 14:00 appointment was kept by the first visit: the second is never late
    # (against it, it would be 14:00-18:00 and 08:30-10:00 late, 5h30m: 6 started hours, 100%)
    assert second.basis == "none" and second.deadline is None and second.percent == 0


def test_a_follow_up_with_a_new_appointment_is_measured_against_it(repo):
    first, second = _follow_up(repo, True).arrivals
    # planned Wednesday 09:00, arrived 10:00: 1 started hour late, 20%
    assert second.basis == "appointment" and second.deadline == at("2026-11-04 09:00")
    assert second.late_minutes == 60 and second.percent == Decimal(20)


# ---------------------------------------------------------------- assignment


def _with(ticket_record, extra: list[LogEvent]):
    return ticket_record.model_copy(update={"log": tuple(ticket_record.log) + tuple(extra)})


_ON_THE_DAY = st.integers(min_value=0, max_value=3 * 24 * 60).map(lambda m: at("2026-11-03 08:00") + dt.timedelta(minutes=m))


@given(moments=st.lists(_ON_THE_DAY, max_size=3), who=st.sampled_from(["gbianchi", "mverdi"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_assignment_changes_no_target_and_no_charge(repo, moments, who):
    if not (repo.root / "tickets/2026/11" / f"{NAME}.yaml").exists():
        log = [event("2026-11-03 09:30", "confirmed", "planned: 2026-11-03 14:00"), event("2026-11-03 12:00", "priority", "to: urgent"),
               event("2026-11-04 17:00", "resolved"), event("2026-11-05 09:00", "reopened")]
        works = [work("2026-11-03 14:30", "2026-11-03 15:00", "unresolved"), work("2026-11-05 10:00", "2026-11-05 11:00")]
        loaded(repo, ticket("2026-11-03 09:00", "normal", log, works))
    data = load(repo.root)
    plain = data.tickets[NAME]
    assigned = _with(plain, [LogEvent(at=m, event="assigned", by="gbianchi", to=who) for m in moments])
    now = at("2026-11-06 12:00")
    before, after = sla.evaluate(data, plain, now), sla.evaluate(data, assigned, now)
    assert before == after
    assert charges.charges_as_recorded(data, plain) == charges.charges_as_recorded(data, assigned)


# ---------------------------------------------------------------- outputs


def test_sla_json_and_text_show_a_cancelled_target(repo):
    log = [event("2026-11-03 11:00", "cancelled", "reason: duplicate")]
    loaded(repo, ticket("2026-11-03 09:00", "urgent", log))
    out = repo.run("sla", "--format", "json", "--now", "2026-11-30 12:00")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    (t,) = data["tickets"]
    assert t["targets"][0]["status"] == "cancelled" and t["breached"] is False
    assert t["cancelled"] == {"at": "2026-11-03T11:00:00+01:00", "reason": "duplicate"}
    assert data["summary"]["cancelled"] == 1 and data["summary"]["targets"] == 0
    text = repo.run("sla", "--now", "2026-11-30 12:00").output
    assert "cancelled" in text and "duplicate" in text


def test_check_does_not_warn_about_a_resolved_or_cancelled_ticket(repo):
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261103-acme-ph01", ticket("2026-11-03 09:00", "urgent", [event("2026-11-03 09:20", "resolved")],
                                             [work("2026-11-03 09:05", "2026-11-03 09:11", mode="phone")]))
    repo.ticket("20261103-acme-dup1", ticket("2026-11-03 10:00", "urgent", [event("2026-11-03 10:30", "cancelled", "reason: duplicate")]))
    out = repo.run("check", "--now", "2026-11-17 12:00")
    # (before the lifecycle rules: the phone-resolved ticket's on-site target, never met, was a breach growing forever)
    assert out.exit_code == 0 and "0 errors, 0 warnings" in out.output and "SLA" not in out.output, out.output


def test_portal_pages_show_a_cancellation_and_an_escalation(repo, tmp_path):
    """The customer's pages (English here; the demo's Italian ones in the browser test below)."""
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261103-acme-dup1", ticket("2026-11-03 10:00", "urgent", [event("2026-11-03 10:30", "cancelled", "reason: duplicate")]))
    repo.ticket("20261103-acme-up01", ticket("2026-11-03 09:00", "normal",
                                             [event("2026-11-03 10:00", "priority", "to: urgent"), event("2026-11-03 10:05", "assigned", "to: mverdi")],
                                             [work("2026-11-03 14:00", "2026-11-03 15:00")]))
    out = tmp_path / "site"
    result = repo.run("build", "--out", str(out), "--now", "2026-11-20 12:00")
    assert result.exit_code == 0, result.output
    site = out / "customers/acme"
    cancelled = (site / "tickets/20261103-acme-dup1.html").read_text()
    assert "Cancelled</span> 3 Nov 2026 10:30: duplicate request" in cancelled
    assert "request cancelled: duplicate request" in cancelled
    assert 'data-label="Status"><span class="gd-status gd-cancelled">Cancelled</span>' in cancelled  # its target
    raised = (site / "tickets/20261103-acme-up01.html").read_text()
    assert "priority raised to urgent: its targets count from here" in raised and "assigned to Marco Verdi" in raised
    assert "urgent, normal when reported" in raised
    month = (site / "tickets/2026-11.html").read_text()
    assert "Cancelled</span>" in month
    dashboard = (site / "index.html").read_text()
    assert "20261103-acme-dup1" not in dashboard  # not an open request


def test_demo_pages_in_a_browser(tmp_path):
    """The demo's cancelled duplicate and escalated request, as a customer sees them (Italian), on a wide
    and a narrow screen; screenshots in test-artifacts/."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import pytest
    from click.testing import CliRunner

    from conftest import ROOT
    from gitdesk.main import cli
    from test_portal_browser import ARTIFACTS, CHROMIUM, FLAGS, Quiet, sync_playwright

    if not CHROMIUM or sync_playwright is None:
        pytest.skip("headless Chromium and playwright are needed")
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["--repo", str(ROOT), "build", "--out", str(out), "--now", "2026-11-22 12:00"],
                                env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/customers"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900}, locale="it-IT")
                errors = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"{base}/fumagalli/tickets/20261119-fumagalli-v4zc.html")
                page.wait_for_load_state("networkidle")
                assert page.locator(".gd-facts").inner_text().count("Annullata 19 nov 2026 14:25: richiesta doppia") == 1
                assert page.locator(".gd-sla .gd-cancelled").inner_text() == "Annullato"
                assert "richiesta annullata: richiesta doppia" in page.locator(".gd-timeline").inner_text()
                page.screenshot(path=str(ARTIFACTS / f"portal-cancelled-{width}.png"), full_page=True)
                page.goto(f"{base}/brivio/tickets/20261120-brivio-r8tn.html")
                page.wait_for_load_state("networkidle")
                raised = page.locator(".gd-timeline .gd-raised").inner_text()
                assert "priorità alzata a urgente: i suoi obiettivi contano da qui" in raised
                assert "urgente, normale alla segnalazione" in page.locator(".gd-facts").inner_text()
                page.screenshot(path=str(ARTIFACTS / f"portal-escalation-{width}.png"), full_page=True)
                page.goto(f"{base}/fumagalli/tickets/2026-11.html")
                page.wait_for_load_state("networkidle")
                row = page.locator("tr", has_text="20261119-fumagalli-v4zc").inner_text()
                assert "Annullata" in row and "Aperta" not in row
                assert errors == []
                page.close()
            browser.close()
    finally:
        server.shutdown()


def test_the_example_of_the_documentation(repo):
    """docs/lifecycle.md's example, and its two cancellations."""
    raised = [event("2026-11-03 10:00", "priority", "to: urgent"), event("2026-11-03 10:05", "assigned", "to: mverdi")]
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", raised + [event("2026-11-03 16:05", "resolved")],
                              [work("2026-11-03 16:00", "2026-11-03 16:05")]))
    assert [(t.kind, t.due, t.status, t.late_minutes) for t in r.targets] == [
        ("confirm", at("2026-11-04 09:00"), "met", 0), ("onsite", at("2026-11-03 15:30"), "breached", 30)]
    assert r.arrivals[0].waived
    early = evaluate(repo, ticket("2026-11-03 09:00", "normal", raised + [event("2026-11-03 11:00", "cancelled", "reason: duplicate")]))
    assert [t.status for t in early.targets] == ["cancelled", "cancelled"]
    late = evaluate(repo, ticket("2026-11-03 09:00", "normal", raised + [event("2026-11-03 16:00", "cancelled", "reason: duplicate")]))
    assert [(t.kind, t.status, t.late_minutes) for t in late.targets] == [("confirm", "cancelled", 0), ("onsite", "breached", 30)]
