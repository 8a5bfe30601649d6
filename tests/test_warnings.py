"""Warnings: what a ticket may hold but probably holds by mistake.

The calendar of the small repository (conftest): ``office``, Monday to Friday
08:30-12:30 and 14:00-18:00, Saturday 09:00-12:00, Sunday closed; Italian
public holidays (2026-12-08, Tuesday, is one); the provider's closures
2026-08-14 and 2026-12-07 (a Monday). Every time is the provider's, Europe/Rome.
"""

from __future__ import annotations

import json

import pytest

from conftest import TICKET
from gitdesk.load.loader import load


def work(start: str, end: str, log: str = "", reported: str = "") -> str:
    """A ticket of acme's with one intervention of mverdi's from ``start`` to ``end``."""
    reported = reported or start
    events = f"log:\n{log}" if log else ""
    return f"""\
customer: acme
title: Printer jammed
reported: {reported}
priority: normal
{events}interventions:
  - technician: mverdi
    mode: onsite
    start: {start}
    end: {end}
    outcome: resolved
    report: Cleared the jam.
"""


def put(repo, name: str, text: str) -> str:
    """The ticket written in the folder of the month it was reported; its path."""
    reported = next(line for line in text.splitlines() if line.startswith("reported:")).split()[1]
    return repo.ticket(name, text, month=reported[:7].replace("-", "/"))


def warnings_of(repo) -> list:
    loaded = load(repo.root)
    assert loaded.errors == (), loaded.errors
    return [p for p in loaded.problems if p.severity == "warning"]


def warned(repo, start: str, end: str, log: str = "", reported: str = "") -> list[tuple[str, str]]:
    """``(code, message)`` of each warning about one ticket with this intervention."""
    put(repo, "20261101-acme-warn", work(start, end, log, reported))
    return [(p.code, p.message) for p in warnings_of(repo)]


# ---------------------------------------------------------------- long, past midnight


def test_exactly_twelve_hours_is_no_warning(repo):
    # Tuesday 06:00 to 18:00: 12h exactly, on one working day
    assert warned(repo, "2026-11-10 06:00", "2026-11-10 18:00") == []


def test_one_minute_more_than_twelve_hours_warns(repo):
    assert warned(repo, "2026-11-10 06:00", "2026-11-10 18:01") == [
        ("long-intervention", "the intervention lasts 12h01m (more than 12 hours): check its end")]


def test_a_day_too_many_warns_once_about_its_length(repo):
    # Tuesday 09:00 to Wednesday 10:10 (an end date a day late): 25h10m; past midnight too, but the length says it
    assert warned(repo, "2026-11-10 09:00", "2026-11-11 10:10") == [
        ("long-intervention", "the intervention lasts 25h10m (more than 12 hours): check its end")]


def test_length_is_elapsed_time_across_the_change_of_the_clocks(repo):
    # Sunday 2026-10-25, the clocks go back from 03:00 to 02:00: 01:00-13:00 on the wall is 13h elapsed (and a Sunday)
    found = warned(repo, "2026-10-25 01:00", "2026-10-25 13:00")
    assert ("long-intervention", "the intervention lasts 13h (more than 12 hours): check its end") in found
    assert sorted(code for code, _ in found) == ["closed-day", "long-intervention"]
    # Sunday 2026-03-29, they go forward from 02:00 to 03:00: 01:00-13:30 on the wall is 11h30m elapsed
    put(repo, "20260329-acme-spring", work("2026-03-29 01:00", "2026-03-29 13:30"))
    assert [p.code for p in warnings_of(repo) if "spring" in p.path] == ["closed-day"]


def test_past_midnight_warns(repo):
    # Tuesday 23:00 to Wednesday 01:00: 2h, two days
    assert warned(repo, "2026-11-10 23:00", "2026-11-11 01:00") == [
        ("overnight-intervention", "the intervention runs past midnight (2026-11-10 23:00 to 2026-11-11 01:00): "
                                   "check its start and end")]


def test_ending_at_midnight_is_not_past_it(repo):
    assert warned(repo, "2026-11-10 22:00", "2026-11-11 00:00") == []


# ---------------------------------------------------------------- a closed day


def test_a_working_day_outside_working_hours_is_no_warning(repo):
    # Saturday has working hours (09:00-12:00): the day is open, whatever the time
    assert warned(repo, "2026-11-07 15:00", "2026-11-07 16:00") == []


def test_a_day_without_working_hours_warns(repo):
    assert warned(repo, "2026-11-08 10:00", "2026-11-08 11:00") == [
        ("closed-day", "work on Sunday 2026-11-08, when calendar 'office' (plan 'annual') is closed "
                       "(no working hours on Sundays): check the intervention's dates")]


def test_a_public_holiday_warns(repo):
    # 2026-12-08, a Tuesday: the Immaculate Conception, a public holiday in Italy
    assert warned(repo, "2026-12-08 10:00", "2026-12-08 11:00") == [
        ("closed-day", "work on Tuesday 2026-12-08, when calendar 'office' (plan 'annual') is closed "
                       "(a public holiday): check the intervention's dates")]


def test_a_closure_warns(repo):
    # 2026-12-07, a Monday: one of the provider's closures
    assert warned(repo, "2026-12-07 10:00", "2026-12-07 11:00") == [
        ("closed-day", "work on Monday 2026-12-07, when calendar 'office' (plan 'annual') is closed "
                       "(a closure): check the intervention's dates")]


def test_every_day_of_the_intervention_is_looked_at(repo):
    # Saturday 22:00 to Sunday 01:00: it starts on an open day and runs into a closed one
    assert sorted(code for code, _ in warned(repo, "2026-11-07 22:00", "2026-11-08 01:00")) == [
        "closed-day", "overnight-intervention"]


def test_the_calendar_is_that_of_the_plan_in_force_on_the_day_of_the_work(repo):
    """Reported on Saturday under a contract whose calendar is closed on Sundays; the work, on Sunday,
    falls under the next contract, whose plan's calendar is open every day."""
    provider = (repo.root / "contracts/provider.yaml").read_text()
    repo.write("contracts/provider.yaml", provider.replace("team:", '  every-day:\n    hours: {mon-sun: ["08:00-20:00"]}\nteam:'))
    annual = (repo.root / "contracts/plans/annual.yaml").read_text()
    repo.write("contracts/plans/always.yaml", annual.replace("calendar: office", "calendar: every-day"))
    repo.write("contracts/customers/acme.yaml", """\
name: ACME Meccanica S.p.A.
contracts:
  - {plan: annual, from: 2026-01-01, to: 2026-11-07}
  - {plan: always, from: 2026-11-08, to: 2026-12-31}
""")
    assert warned(repo, "2026-11-08 10:00", "2026-11-08 11:00", reported="2026-11-07 20:00") == []
    # a week later under the same contracts, the other way round: nothing to say either
    repo.write("contracts/customers/acme.yaml", """\
name: ACME Meccanica S.p.A.
contracts:
  - {plan: always, from: 2026-01-01, to: 2026-11-07}
  - {plan: annual, from: 2026-11-08, to: 2026-12-31}
""")
    assert [code for code, _ in warned(repo, "2026-11-08 10:00", "2026-11-08 11:00", reported="2026-11-07 20:00")] == [
        "closed-day"]


# ---------------------------------------------------------------- the expected duration

CONFIRMED = "  - {at: 2026-11-10 08:00, event: confirmed, by: gbianchi, planned: 2026-11-10 09:00, mode: onsite, expected: 1h}\n"


def test_exactly_three_times_the_expected_duration_is_no_warning(repo):
    # expected 1h; 09:00-12:00 is 3h = 3 x 1h
    assert warned(repo, "2026-11-10 09:00", "2026-11-10 12:00", CONFIRMED, "2026-11-10 07:30") == []


def test_more_than_three_times_the_expected_duration_warns(repo):
    # 09:00-12:01 is 3h01m > 3 x 1h
    assert warned(repo, "2026-11-10 09:00", "2026-11-10 12:01", CONFIRMED, "2026-11-10 07:30") == [
        ("over-expected", "the intervention lasts 3h01m, more than 3 times the 1h expected by the appointment of "
                          "2026-11-10 08:00: check its end (or the expected duration)")]


def test_the_latest_appointment_before_the_intervention_counts(repo):
    moved = CONFIRMED + ("  - {at: 2026-11-10 08:30, event: rescheduled, by: gbianchi, side: customer, "
                         "planned: 2026-11-10 09:00, expected: 2h}\n")
    # expected 2h since the rescheduling: 3h01m is less than 6h
    assert warned(repo, "2026-11-10 09:00", "2026-11-10 12:01", moved, "2026-11-10 07:30") == []
    # a rescheduling that gives no expected duration keeps the one before: 1h
    kept = CONFIRMED + ("  - {at: 2026-11-10 08:30, event: rescheduled, by: gbianchi, side: customer, "
                        "planned: 2026-11-10 09:00}\n")
    assert [code for code, _ in warned(repo, "2026-11-10 09:00", "2026-11-10 12:01", kept, "2026-11-10 07:30")] == [
        "over-expected"]
    # an appointment made after the intervention started is not its appointment
    later = "  - {at: 2026-11-10 09:30, event: confirmed, by: gbianchi, planned: 2026-11-11 09:00, mode: onsite, expected: 30m}\n"
    assert warned(repo, "2026-11-10 09:00", "2026-11-10 12:01", later, "2026-11-10 07:30") == []


# ---------------------------------------------------------------- the command line

LONG = work("2026-11-10 06:00", "2026-11-10 18:30")  # 12h30m, Tuesday
LONG_PATH = "tickets/2026/11/20261110-acme-long.yaml"


@pytest.fixture
def warned_repo(repo):
    repo.ticket("20261110-acme-long", LONG)
    return repo


def test_validate_prints_a_warning_and_succeeds(warned_repo):
    result = warned_repo.run("validate")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{LONG_PATH}:9:10: warning: the intervention lasts 12h30m (more than 12 hours): check its end",
        "        end: 2026-11-10 18:30",
        "             ^",
    ]
    assert result.stderr == "gitdesk: 2 plans, 2 customers, 2 tickets: no errors, 1 warning\n"


def test_validate_strict_makes_warnings_errors(warned_repo):
    result = warned_repo.run("validate", "--strict")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{LONG_PATH}:9:10: the intervention lasts 12h30m")
    assert result.stderr == "gitdesk: 1 error in 1 file\n"


def test_errors_and_warnings_are_counted_apart(warned_repo):
    warned_repo.ticket("20261103-acme-psu1", TICKET.replace("customer: acme", "customer: acmx"))
    result = warned_repo.run("validate")
    assert result.exit_code == 1
    assert result.stderr == "gitdesk: 1 error in 1 file, 1 warning\n"


def test_validate_github_and_json(warned_repo):
    github = warned_repo.run("validate", "--format", "github")
    assert github.exit_code == 0
    assert github.stdout == (f"::warning file={LONG_PATH},line=9,col=10,title=gitdesk long-intervention::"
                             "the intervention lasts 12h30m (more than 12 hours): check its end\n")
    assert warned_repo.run("validate", "--format", "github", "--strict").stdout.startswith(f"::error file={LONG_PATH},")
    data = json.loads(warned_repo.run("validate", "--format", "json").stdout)
    assert data == [{"path": LONG_PATH, "line": 9, "column": 10, "code": "long-intervention", "severity": "warning",
                     "message": "the intervention lasts 12h30m (more than 12 hours): check its end"}]
    strict = warned_repo.run("validate", "--format", "json", "--strict")
    assert strict.exit_code == 1 and [p["severity"] for p in json.loads(strict.stdout)] == ["error"]


def test_check_prints_the_warning_and_strict_fails(warned_repo):
    result = warned_repo.run("check", "--now", "2026-12-01 12:00", "--format", "github")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"::warning file={LONG_PATH},line=9,col=10,title=gitdesk long-intervention::")
    assert "0 errors, 1 warning (all tickets; 2 tickets)" in result.stderr
    strict = warned_repo.run("check", "--now", "2026-12-01 12:00", "--strict", "--format", "json")
    assert strict.exit_code == 1
    assert [(p["code"], p["severity"]) for p in json.loads(strict.stdout)] == [("long-intervention", "error")]
    assert "1 error, 0 warnings" in strict.stderr
    text = warned_repo.run("check", "--now", "2026-12-01 12:00")
    assert text.stdout.startswith(f"{LONG_PATH}:9:10: warning: the intervention lasts 12h30m")


def test_a_warned_ticket_is_still_priced(warned_repo):
    """A warning leaves the figures alone: the ticket's labour is on the statement."""
    result = warned_repo.run("statement", "--month", "2026-11", "--customer", "acme", "--format", "json")
    assert result.exit_code == 0
    labour = [line for line in json.loads(result.stdout)["lines"] if line["ticket"] == "20261110-acme-long"]
    # 12h30m of on-site labour at acme's 45.00 an hour (15-minute increments: exact) = 562.50, a call-out of 35.00,
    # and the 10 prepaid hours less the 1.5 of the other ticket: 8.5 h x 45.00 = 382.50 off
    assert [(line["kind"], line["quantity"], line["amount"]) for line in labour] == [
        ("labour", "12.50", "562.50"), ("callout", "1.00", "35.00"), ("discount", "8.50", "-382.50")]


def test_a_cached_run_prints_the_same_warnings(warned_repo):
    from gitdesk.load.cache import Cache

    cold = warned_repo.run("validate", "--cache")
    cache = Cache.open(warned_repo.root)
    assert cache is not None and len(cache.keys()) >= 2  # each ticket file's record is held
    cache.close()
    warm = warned_repo.run("validate", "--cache")  # the whole run, from the cache
    assert (warm.exit_code, warm.stdout, warm.stderr) == (cold.exit_code, cold.stdout, cold.stderr)
    assert "warning: the intervention lasts 12h30m" in cold.stdout
    # another file changes: the run is new, the ticket files come from the per-file cache
    warned_repo.write("contracts/customers/beta.yaml", "name: Beta Studio S.r.l.\n")
    again = warned_repo.run("validate", "--cache")
    assert (again.exit_code, again.stdout, again.stderr) == (cold.exit_code, cold.stdout, cold.stderr)
    for fmt in ("text", "json"):
        args = ("check", "--now", "2026-12-01 12:00", "--format", fmt)
        first, second = warned_repo.run(*args, "--cache"), warned_repo.run(*args, "--cache")
        assert first.stdout == second.stdout == warned_repo.run(*args).stdout and "12h30m" in first.stdout


def test_every_warning_is_documented():
    from conftest import ROOT
    from gitdesk.core.checks import WARNING_CODES

    table = (ROOT / "docs/validation.md").read_text()
    assert WARNING_CODES == {"long-intervention", "overnight-intervention", "closed-day", "over-expected"}
    assert all(f"| `{code}` |" in table for code in WARNING_CODES)
