"""SLA targets computed from the event log, with hand-computed expectations.

The fixture's office calendar: Monday to Friday 08:30-12:30 and 14:00-18:00,
Saturday 09:00-12:00, Italian holidays, closed on 2026-08-14 and 2026-12-07.
The annual plan: urgent on site within 4h (late: waive), normal confirmed
within 8h (late: 20% per started hour), repeat visits free.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from conftest import PROVIDER, ROOT, SHARED
from gitdesk.core import sla
from gitdesk.load.loader import load

ROME = ZoneInfo("Europe/Rome")

PREMIUM = """\
name: Premium
calendar: always
priorities:
  urgent:
    targets: {acknowledge: 30m, onsite: 4h, resolve: 8h}
    late: {discount_per_full_hour: 25%}
rates: {onsite_hour: 60.00, remote_hour: 50.00, phone_hour: 50.00, callout: 30.00}
"""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ROME) if "+" not in text else dt.datetime.fromisoformat(text)


def ticket(reported: str, priority: str = "urgent", log: str = "", works: str = "", customer: str = "acme") -> str:
    text = f"customer: {customer}\ntitle: Case\nreported: {reported}\npriority: {priority}\n"
    if log:
        text += "log:\n" + log
    if works:
        text += "interventions:\n" + works
    return text


def work(start: str, end: str, outcome: str = "resolved", mode: str = "onsite", tech: str = "gbianchi") -> str:
    return f"  - {{technician: {tech}, mode: {mode}, start: {start}, end: {end}, outcome: {outcome}, report: Done.}}\n"


def event(when: str, kind: str, extra: str = "") -> str:
    return f"  - {{at: {when}, event: {kind}, by: gbianchi{', ' + extra if extra else ''}}}\n"


def evaluate(repo, text: str, now: str = "2026-12-31 12:00", month: str = "2026/11"):
    reported = text.split("reported: ")[1].split("\n")[0]
    month = reported[:7].replace("-", "/")
    (repo.root / "tickets/2026/11/20261103-acme-psu1.yaml").unlink(missing_ok=True)
    for old in (repo.root / "tickets").rglob("20260101-acme-case.yaml"):
        old.unlink()
    repo.ticket("20260101-acme-case", text, month=month)
    loaded = load(repo.root)
    assert not loaded.problems, loaded.problems
    return sla.evaluate(loaded, loaded.tickets["20260101-acme-case"], at(now))


def target(result, kind: str):
    return next(t for t in result.targets if t.kind == kind)


def test_friday_evening_report_is_due_on_monday(repo):
    r = evaluate(repo, ticket("2026-11-06 17:00", "normal", log=event("2026-11-09 10:00", "confirmed", "planned: 2026-11-10 09:00")))
    t = target(r, "confirm")
    # Friday 17-18 (1h), Saturday 9-12 (3h), Monday 08:30-12:30 (4h)
    assert t.due == at("2026-11-09 12:30") and t.met_at == at("2026-11-09 10:00") and t.status == "met"


def test_lunch_break(repo):
    t = target(evaluate(repo, ticket("2026-11-03 10:00")), "onsite")
    assert t.due == at("2026-11-03 15:30")  # 10:00-12:30, then 14:00-15:30


def test_national_holiday(repo):
    # 2 June is Festa della Repubblica (a Tuesday in 2026)
    t = target(evaluate(repo, ticket("2026-06-01 16:00")), "onsite")
    assert t.due == at("2026-06-03 10:30")


def test_provider_closure_and_holiday(repo):
    # Thursday 13 August 17:00: 1h; Friday 14 closed by the provider; Saturday 15 Ferragosto
    t = target(evaluate(repo, ticket("2026-08-13 17:00")), "onsite")
    assert t.due == at("2026-08-17 11:30")


def test_report_at_night(repo):
    t = target(evaluate(repo, ticket("2026-11-03 02:00"), now="2026-11-03 12:00"), "onsite")
    assert t.start == at("2026-11-03 02:00") and t.due == at("2026-11-03 12:30") and t.status == "running"


def _always(repo):
    text = PROVIDER.replace("    closed: [2026-08-14, 2026-12-07]\n", "    closed: [2026-08-14, 2026-12-07]\n  always:\n    hours: {mon-sun: ['00:00-24:00']}\n")
    repo.write("contracts/provider.yaml", text)
    repo.write("contracts/plans/premium.yaml", PREMIUM)
    repo.write("contracts/customers/acme.yaml", "name: ACME\ncontracts:\n  - {plan: premium, from: 2026-01-01, to: 2026-12-31}\n")


def test_october_daylight_saving_change(repo):
    _always(repo)
    r = evaluate(repo, ticket("2026-10-25T00:30:00+02:00"))
    # the night has 25 hours: 4h after 00:30 summer time is 03:30 winter time
    assert target(r, "onsite").due.astimezone(ROME).isoformat() == "2026-10-25T03:30:00+01:00"
    assert target(r, "resolve").due.astimezone(ROME).isoformat() == "2026-10-25T07:30:00+01:00"


def test_october_change_on_office_hours(repo):
    # Saturday 24 October 11:00: 1h that day; Monday 26 08:30-11:30
    r = evaluate(repo, ticket("2026-10-24 11:00", works=work("2026-10-26 12:00", "2026-10-26 12:20")))
    t = target(r, "onsite")
    assert t.due.astimezone(ROME).isoformat() == "2026-10-26T11:30:00+01:00"
    assert t.status == "breached" and t.late_minutes == 30


def test_march_daylight_saving_change(repo):
    _always(repo)
    r = evaluate(repo, ticket("2026-03-29 00:30"))
    # the night has 23 hours: 4h after 00:30 winter time is 05:30 summer time
    assert target(r, "onsite").due.astimezone(ROME).isoformat() == "2026-03-29T05:30:00+02:00"


def test_pause_stops_every_clock_not_yet_met(repo):
    log = event("2026-11-03 10:00", "waiting", "note: Waiting for the admin password") + event("2026-11-04 09:00", "resumed") + event("2026-11-04 17:00", "confirmed", "planned: 2026-11-05 09:00")
    t = target(evaluate(repo, ticket("2026-11-03 09:00", "normal", log=log)), "confirm")
    # 1h before the pause; 7h from Wednesday 09:00: 09:00-12:30, 14:00-17:30
    assert t.due == at("2026-11-04 17:30") and t.status == "met"
    assert t.paused == dt.timedelta(hours=7)


def test_open_pause_keeps_the_target_running(repo):
    log = event("2026-11-03 10:00", "waiting")
    t = target(evaluate(repo, ticket("2026-11-03 09:00", "normal", log=log), now="2026-11-20 12:00"), "confirm")
    assert t.due is None and t.status == "running"


def test_reopening_runs_the_resolve_clock_again(repo):
    _always(repo)
    log = event("2026-11-03 09:10", "acknowledged") + event("2026-11-03 11:00", "resolved") + event("2026-11-03 15:00", "reopened") + event("2026-11-03 20:30", "resolved")
    text = ticket("2026-11-03 09:00", log=log, works=work("2026-11-03 10:00", "2026-11-03 11:00"))
    r = evaluate(repo, text.replace("priority: urgent", "priority: urgent\nusers_blocked: 2"))
    t = target(r, "resolve")
    # 2h until the first resolution, paused 11:00-15:00, 6h more from 15:00
    assert t.due == at("2026-11-03 21:00") and t.met_at == at("2026-11-03 20:30") and t.status == "met"
    # the downtime runs to the last resolution (09:00-20:30); the 24/7 calendar counts calendar time
    assert r.resolved_at == at("2026-11-03 20:30") and r.downtime == dt.timedelta(hours=11, minutes=30)
    assert r.downtime_basis == "calendar" and r.user_hours == Decimal("23.00")  # 2 users x 11.5 h


def test_reopened_and_not_resolved_again(repo):
    _always(repo)
    log = event("2026-11-03 11:00", "resolved") + event("2026-11-03 15:00", "reopened")
    r = evaluate(repo, ticket("2026-11-03 09:00", log=log), now="2026-11-03 22:00")
    t = target(r, "resolve")
    assert t.met_at is None and t.status == "breached" and t.late_minutes == 60
    assert r.open


def log_of(*events: str):
    """Log events from "HH:MM kind [planned HH:MM] [side]" on 2026-11-03, in the order given (as in a file)."""
    from gitdesk.core.model import LogEvent

    out = []
    for text in events:
        words = text.split()
        data = {"at": at(f"2026-11-03 {words[0]}"), "event": words[1]}
        if len(words) > 2:
            data["planned"] = at(f"2026-11-03 {words[2]}")
        if len(words) > 3:
            data["side"] = words[3]
        out.append(LogEvent.model_validate(data))
    return out


def spans(*pairs: str) -> list:
    """[(from, to)] from "HH:MM-HH:MM" (to "…": still open) on 2026-11-03."""
    out = []
    for pair in pairs:
        a, b = pair.split("-")
        out.append((at(f"2026-11-03 {a}"), None if b == "…" else at(f"2026-11-03 {b}")))
    return out


def test_timeline_pauses_and_reopenings_are_brackets():
    """Waits and resolutions open and close like brackets, whatever the order of the file;
    a resolution ends a wait; nothing after the moment of evaluation has happened."""
    log = log_of("13:00 reopened", "10:00 waiting", "09:00 acknowledged", "11:00 resumed", "10:30 waiting",
                 "11:30 resumed", "12:00 resolved", "13:30 reopened", "14:00 waiting", "15:00 resolved",
                 "15:10 resolved", "16:00 reopened", "17:00 resolved")
    line = sla.timeline(log, at("2026-11-03 18:00"))
    assert line.waits == spans("10:00-11:00", "14:00-15:00")
    assert line.reopened == spans("12:00-13:00", "15:00-16:00")
    assert line.resolved_at == at("2026-11-03 17:00")
    assert line.acknowledged == at("2026-11-03 09:00") and line.confirmed is None
    assert line.plannings == [] and line.reschedules == 0

    line = sla.timeline(log, at("2026-11-03 16:30"))  # reopened at 16:00, not resolved again yet
    assert line.reopened == spans("12:00-13:00", "15:00-16:00") and line.resolved_at is None
    line = sla.timeline(log, at("2026-11-03 14:30"))  # waiting since 14:00
    assert line.waits == spans("10:00-11:00", "14:00-…")
    assert line.reopened == spans("12:00-13:00") and line.resolved_at is None
    line = sla.timeline(log, at("2026-11-03 12:00"))  # an event at the very moment has happened
    assert line.waits == spans("10:00-11:00") and line.reopened == [] and line.resolved_at == at("2026-11-03 12:00")


def test_timeline_ties_keep_the_order_of_the_file():
    now = at("2026-11-03 18:00")
    line = sla.timeline(log_of("12:00 resolved", "12:00 reopened"), now)
    assert line.reopened == spans("12:00-12:00") and line.resolved_at is None
    line = sla.timeline(log_of("12:00 reopened", "12:00 resolved"), now)
    assert line.reopened == [] and line.resolved_at == at("2026-11-03 12:00")
    line = sla.timeline(log_of("10:00 waiting", "10:00 resumed", "10:00 waiting"), now)
    assert line.waits == spans("10:00-10:00", "10:00-…")


def test_timeline_appointments_acknowledgement_and_reschedules():
    log = log_of("09:40 rescheduled 12:00 customer", "09:20 acknowledged", "09:10 confirmed 10:00",
                 "09:30 rescheduled 11:00 provider", "09:50 confirmed 12:30", "10:10 rescheduled 13:00 provider")
    line = sla.timeline(log, at("2026-11-03 10:00"))
    assert line.acknowledged == at("2026-11-03 09:10")  # a confirmation acknowledges too
    assert line.confirmed == at("2026-11-03 09:10")  # the first one
    assert line.plannings == [(at(f"2026-11-03 {made}"), at(f"2026-11-03 {planned}"))
                              for made, planned in (("09:10", "10:00"), ("09:30", "11:00"), ("09:40", "12:00"), ("09:50", "12:30"))]
    assert line.reschedules == 1  # by the provider, before 10:00
    assert sla.timeline(log, at("2026-11-03 12:00")).reschedules == 2
    empty = sla.timeline([], at("2026-11-03 12:00"))
    assert (empty.waits, empty.reopened, empty.plannings, empty.acknowledged, empty.confirmed, empty.reschedules,
            empty.resolved_at, empty.cancelled, empty.changes) == ([], [], [], None, None, 0, None, None, [])


def test_waits_and_reopenings_both_pause_the_resolve_clock(repo):
    _always(repo)
    log = (event("2026-11-03 09:10", "acknowledged") + event("2026-11-03 10:00", "waiting") + event("2026-11-03 11:00", "resolved")
           + event("2026-11-03 12:00", "reopened") + event("2026-11-03 13:00", "waiting") + event("2026-11-03 14:00", "resumed")
           + event("2026-11-03 18:00", "resolved"))
    text = ticket("2026-11-03 09:00", log=log, works=work("2026-11-03 09:30", "2026-11-03 10:00"))
    r = evaluate(repo, text.replace("priority: urgent", "priority: urgent\nusers_blocked: 1"))
    t = target(r, "resolve")
    # 8h: 09-10, paused 10-11 (waiting) and 11-12 (resolved), 12-13, paused 13-14, then 6h from 14:00
    assert t.due == at("2026-11-03 20:00") and t.met_at == at("2026-11-03 18:00") and t.status == "met"
    assert t.paused == dt.timedelta(hours=3)
    assert r.paused == dt.timedelta(hours=2)  # the summary counts the waits only
    assert r.to_resolution == dt.timedelta(hours=9) and r.downtime == dt.timedelta(hours=9)
    assert target(r, "acknowledge").met_at == at("2026-11-03 09:10")
    assert r.first_arrival == at("2026-11-03 09:30") and r.to_arrival == dt.timedelta(minutes=30)


def test_late_urgent_arrival_is_waived(repo):
    r = evaluate(repo, ticket("2026-11-03 09:00", works=work("2026-11-03 15:30", "2026-11-03 16:30")))
    t = target(r, "onsite")
    assert t.due == at("2026-11-03 14:30") and t.status == "breached" and t.late_minutes == 60
    a = r.arrivals[0]
    assert a.basis == "onsite" and a.waived and a.percent == 100 and a.late_minutes == 60


def test_late_appointment_discount_by_started_hours(repo):
    log = event("2026-11-03 09:30", "confirmed", "planned: 2026-11-04 10:00, mode: onsite, expected: 1h")
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", log=log, works=work("2026-11-04 11:10", "2026-11-04 12:00")))
    a = r.arrivals[0]
    assert a.basis == "appointment" and a.deadline == at("2026-11-04 10:00")
    assert a.late_minutes == 70 and a.hours == 2 and a.percent == Decimal(40)
    assert target(r, "confirm").status == "met"


def test_rescheduled_appointment_moves_the_deadline(repo):
    log = (event("2026-11-03 09:30", "confirmed", "planned: 2026-11-04 10:00")
           + event("2026-11-03 16:00", "rescheduled", "side: provider, planned: 2026-11-04 14:00"))
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", log=log, works=work("2026-11-04 14:10", "2026-11-04 15:00")))
    assert r.provider_reschedules == 1
    assert r.arrivals[0].deadline == at("2026-11-04 14:00") and r.arrivals[0].percent == 20


def test_repeat_visit(repo):
    works = work("2026-11-03 15:00", "2026-11-03 16:00", "unresolved") + work("2026-11-04 10:00", "2026-11-04 11:00")
    r = evaluate(repo, ticket("2026-11-03 09:00", works=works))
    t = target(r, "repeat")
    # the top priority's 4h from the end of the failed visit: 16-18, then 08:30-10:30
    assert t.start == at("2026-11-03 16:00") and t.due == at("2026-11-04 10:30") and t.status == "met"
    assert r.arrivals[1].repeat and r.arrivals[1].basis == "repeat" and not r.arrivals[0].repeat


def test_late_repeat_visit(repo):
    works = work("2026-11-03 15:00", "2026-11-03 16:00", "unresolved") + work("2026-11-04 11:00", "2026-11-04 11:30")
    r = evaluate(repo, ticket("2026-11-03 09:00", "normal", works=works))
    t = target(r, "repeat")
    assert t.status == "breached" and t.late_minutes == 30
    assert r.arrivals[1].waived  # under the top priority's rule


def test_running_target_becomes_breached_as_now_moves(repo):
    text = ticket("2026-11-03 09:00")
    early = target(evaluate(repo, text, now="2026-11-03 12:00"), "onsite")
    assert early.status == "running" and early.due == at("2026-11-03 14:30") and early.late_minutes == 0
    late_result = evaluate(repo, text, now="2026-11-03 15:00")
    late = target(late_result, "onsite")
    assert late.status == "breached" and late.late_minutes == 30 and late.met_at is None
    assert late in late_result.unmet and late_result.open  # what the dashboard lists under the open request


def test_events_after_now_have_not_happened(repo):
    text = ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00"))
    assert target(evaluate(repo, text, now="2026-11-03 09:30"), "onsite").status == "running"
    assert target(evaluate(repo, text, now="2026-11-03 10:30"), "onsite").status == "met"


def test_remote_meets_onsite_only_where_the_plan_says(repo):
    text = ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00", mode="remote"))
    assert target(evaluate(repo, text), "onsite").met_at == at("2026-11-03 10:00")
    text = text.replace("customer: acme", "customer: beta")  # on demand: remote does not count
    t = target(evaluate(repo, text), "onsite")
    assert t.met_at is None and t.status == "breached"


def test_downtime_and_user_hours(repo):
    text = ticket("2026-11-03 09:00", log=event("2026-11-03 12:00", "resolved")).replace("priority: urgent", "priority: urgent\nusers_blocked: 4")
    r = evaluate(repo, text)
    # Tuesday 09:00-12:00 lies in the morning window 08:30-12:30: 3 h of working time, 4 users x 3 h
    assert r.downtime == dt.timedelta(hours=3) and r.user_hours == Decimal("12.00") and r.downtime_basis == "working"


def _blocked(text: str, users: int) -> str:
    return text.replace("priority: ", f"users_blocked: {users}\npriority: ", 1)


def test_downtime_counts_working_time_over_a_weekend(repo):
    text = _blocked(ticket("2026-11-06 16:00", log=event("2026-11-09 10:00", "resolved")), 5)
    r = evaluate(repo, text)
    # Friday 16:00-18:00 (2 h), Saturday 09:00-12:00 (3 h), Sunday closed, Monday 08:30-10:00 (1 h 30 min):
    # 6 h 30 min of working time, not the 66 h of the calendar; 5 users x 6.5 h = 32.50 hours lost
    assert r.downtime == dt.timedelta(hours=6, minutes=30) and r.downtime_basis == "working"
    assert r.user_hours == Decimal("32.50")


def test_downtime_across_the_october_clock_change(repo):
    text = _blocked(ticket("2026-10-24 11:00", log=event("2026-10-26 09:30", "resolved")), 2)
    r = evaluate(repo, text)
    # Saturday 24 October 11:00-12:00 (1 h); Sunday 25, when the clocks go back, closed; Monday 08:30-09:30 (1 h):
    # 2 h of working time (the calendar counts 47 h 30 min: 46 h 30 min of wall clock and the hour repeated)
    assert r.downtime == dt.timedelta(hours=2) and r.user_hours == Decimal("4.00")


def test_downtime_on_a_24_7_calendar_is_calendar_time_across_the_clock_change(repo):
    _always(repo)
    text = _blocked(ticket("2026-10-24 22:00", log=event("2026-10-25 06:00", "resolved")), 1)
    r = evaluate(repo, text)
    # 22:00 to 06:00 on the wall is 9 h: 02:00-03:00 happens twice on 25 October
    assert r.downtime == dt.timedelta(hours=9) and r.downtime_basis == "calendar"


def test_downtime_of_an_open_request_runs_to_the_moment_of_evaluation(repo):
    r = evaluate(repo, _blocked(ticket("2026-11-02 17:00"), 3), now="2026-11-03 09:00")
    # Monday 17:00-18:00 (1 h) and Tuesday 08:30-09:00 (30 min); 3 users x 1.5 h
    assert r.downtime == dt.timedelta(hours=1, minutes=30) and r.user_hours == Decimal("4.50")


def test_no_downtime_where_the_ticket_does_not_say_users_were_blocked(repo):
    r = evaluate(repo, ticket("2026-11-06 16:00", log=event("2026-11-09 10:00", "resolved")))
    assert r.downtime is None and r.downtime_basis is None and r.user_hours is None
    data = sla.ticket_json(r, ROME)
    assert (data["downtime_minutes"], data["downtime_basis"], data["user_hours_lost"]) == (None, None, None)
    blocked = sla.ticket_json(evaluate(repo, _blocked(ticket("2026-11-06 16:00", log=event("2026-11-09 10:00", "resolved")), 1)), ROME)
    assert (blocked["downtime_minutes"], blocked["downtime_basis"], blocked["user_hours_lost"]) == (390, "working", "6.50")


def test_cli_json_shape(repo):
    result = repo.run("sla", "--format", "json", "--now", "2026-12-01 12:00")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    t = data["tickets"][0]
    assert {"id", "customer", "priority", "targets", "provider_reschedules", "breached"} <= set(t)
    assert t["targets"][0] == {**t["targets"][0], "kind": "onsite", "due": "2026-11-03T14:40:00+01:00",
                               "met_at": "2026-11-03T12:05:00+01:00", "status": "met", "late_minutes": 0}
    assert data["summary"] | {"targets": 1, "met": 1, "breached": 0, "running": 0} == data["summary"]


def test_cli_text_explains_breaches(repo):
    repo.ticket("20261103-acme-psu1", ticket("2026-11-03 09:00", works=work("2026-11-03 15:30", "2026-11-03 16:30")))
    result = repo.run("sla", "--now", "2026-12-01 12:00", "--month", "2026-11")
    assert result.exit_code == 0, result.output
    assert "Targets met 0 of 1 decided (0 %); breached 1; still running 0 (not in the percentage)" in result.stdout
    assert "! 20261103-acme-psu1 on site: due 3 Nov 2026 14:30, met 3 Nov 2026 15:30, late by 1 h of working time\n" in result.stdout


def test_cli_text_speaks_the_provider_language():
    """The demo provider writes Italian: the report reads as an Italian customer expects."""
    from click.testing import CliRunner

    from gitdesk.main import cli

    args = ["--repo", str(ROOT), "sla", "--month", "2026-10", "--customer", "brivio", "--now", "2026-11-30 12:00"]
    result = CliRunner().invoke(cli, args, env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Obiettivi di servizio al 30 nov 2026 12:00, richieste ricevute nel mese di ottobre 2026"
    assert lines[4].split() == ["Richiesta", "Priorità", "Obiettivo", "Scadenza", "Rispettato", "Stato", "Ritardo"]
    assert ("  Obiettivi rispettati 14 su 15 già valutati (93,3 %); mancati 1; ancora in corso 0 (esclusi dalla percentuale); "
            "appuntamenti spostati da noi 0") in lines
    assert ("  ! 20261009-brivio-e3hy sul posto: scadenza 12 ott 2026 10:40, rispettato il 12 ott 2026 11:30, "
            "in ritardo di 50 min di tempo lavorativo") in lines


def test_cli_usage_errors(repo):
    assert repo.run("sla", "--month", "2026-13").exit_code == 2
    assert repo.run("sla", "--now", "tomorrow").exit_code == 2
    assert repo.run("sla", "--customer", "nobody").exit_code == 2


def test_cli_refuses_broken_data(repo):
    repo.ticket("20261103-acme-bad1", "customer: acme\ntitle: x\n")
    result = repo.run("sla")
    assert result.exit_code == 1 and "missing required field" in result.stderr


def test_demo_json_matches_the_format():
    from click.testing import CliRunner

    from gitdesk.main import cli

    result = CliRunner().invoke(cli, ["--repo", str(ROOT), "sla", "--format", "json", "--now", "2026-11-22 12:00"], env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["tickets"]) >= 120
    statuses = {g["status"] for t in data["tickets"] for g in t["targets"]}
    assert statuses == {"met", "breached", "running", "cancelled"}  # the demo has a cancelled duplicate
    kinds = {g["kind"] for t in data["tickets"] for g in t["targets"]}
    assert {"onsite", "confirm", "repeat"} <= kinds
    s = data["summary"]
    assert s["targets"] == s["met"] + s["breached"] + s["running"]
    for t in data["tickets"]:
        for g in t["targets"]:
            if g["due"]:
                assert dt.datetime.fromisoformat(g["due"]).utcoffset() is not None


@pytest.mark.skipif(not (SHARED / "conformance/check.py").exists(), reason="the conformance cases are not beside the project")
def test_conformance_sla():
    import subprocess
    import sys

    case = SHARED / "conformance/basic"
    out = subprocess.run([sys.executable, str(SHARED / "conformance/check.py"), str(case), "--only", "sla",
                          "--gitdesk", f"{sys.executable} -m gitdesk"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_arrivals_alone_agree_with_the_whole_evaluation():
    """Statements compute only the arrivals; they must be those of the full evaluation,
    for every demo ticket (late arrivals, repeat visits, pauses, reschedules) at every moment it records."""
    demo = load(ROOT, jobs=1)
    checked = 0
    for ticket in demo.tickets.values():
        moments = {ticket.reported, sla.as_recorded(ticket), *(w.start for w in ticket.interventions),
                   *(w.end for w in ticket.interventions), *(e.at for e in ticket.log)}
        for now in moments:
            assert sla.arrivals_of(demo, ticket, now) == sla.evaluate(demo, ticket, now).arrivals, (ticket.id, now)
            checked += 1
    assert checked > 500
    assert any(a.late > dt.timedelta(0) for t in demo.tickets.values() for a in sla.arrivals_of(demo, t, sla.as_recorded(t)))


def test_iso_text_of_the_two_moments_of_an_autumn_fold():
    """Remembered ISO texts never mix up two moments that share a wall time."""
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")
    first = dt.datetime(2026, 10, 25, 2, 30, tzinfo=rome)  # fold=0: summer time
    second = first.replace(fold=1)  # an hour later: winter time
    utc_first, utc_second = first.astimezone(dt.timezone.utc), second.astimezone(dt.timezone.utc)
    for moment in (first, second, utc_first, utc_second, first, second):
        sla._iso(moment, rome)
    assert [sla._iso(m, rome) for m in (first, second, utc_first, utc_second)] == [
        "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"]


def test_tallies_are_plain_integers_and_add_up_to_the_summary():
    """What workers send back per ticket: a tuple of integers (cheap to pickle) that
    sums to the same summary as the full results."""
    demo = load(ROOT, jobs=1)
    results = [sla.evaluate(demo, t, at("2026-11-22 12:00")) for t in demo.tickets.values()]
    tallies = [sla.tally(r) for r in results]
    assert all(type(t) is tuple and all(v is None or type(v) is int for v in t) for t in tallies)
    whole, summed = sla.summarize(results), sla.summarize_tallies(tallies)
    assert summed == dataclasses.replace(whole, breaches=())
    assert whole.mean_to_arrival is not None and whole.mean_to_resolution is not None
    # 10 and 21 min 40 s of working time: a mean of 15 min 50 s, shown to the minute.
    assert sla.summarize_tallies([(1, 0, 0, 0, 600, None, 0), (0, 1, 0, 0, 1300, 60, 0)]).mean_to_arrival == dt.timedelta(minutes=16)


def test_parallel_output_is_the_sequential_output(monkeypatch):
    """Worker processes (forced here on the demo data) write byte for byte what one process writes,
    as JSON and as text (each ticket's part of either is written in a worker)."""
    from click.testing import CliRunner

    from gitdesk.load import loader
    from gitdesk.main import cli

    def run(fmt: str, jobs: str) -> str:
        args = ["--repo", str(ROOT), "sla", "--format", fmt, "--now", "2026-11-22 12:00", "-j", jobs]
        result = CliRunner().invoke(cli, args, env={"GITDESK_NO_CACHE": "1"})
        assert result.exit_code == 0, result.output
        return result.stdout

    sequential = {fmt: run(fmt, "1") for fmt in ("json", "text")}
    monkeypatch.setattr(loader, "PARALLEL_THRESHOLD", 10)
    for fmt in ("json", "text"):
        assert run(fmt, "2") == sequential[fmt]
    assert len(json.loads(sequential["json"])["tickets"]) >= 120
    text = sequential["text"]
    assert text.count("  ! ") >= 5  # breaches and reschedules, explained under their customer's table
    assert text.splitlines()[-1].startswith("Tutti i clienti: Obiettivi rispettati ")
