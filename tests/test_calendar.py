"""Working-time arithmetic: hand-computed cases and properties against a slow reference."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from gitdesk.core.calendar import WorkCalendar

ROME = ZoneInfo("Europe/Rome")
UTC = dt.timezone.utc
OFFICE = [[(510, 750), (840, 1080)]] * 5 + [[(540, 720)], []]  # 08:30-12:30, 14:00-18:00; sat 09-12


def office(**kw) -> WorkCalendar:
    return WorkCalendar(OFFICE, ROME, holidays="IT", closed=kw.get("closed", [dt.date(2026, 12, 7)]))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ROME)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_within_a_morning():
    assert office().add(at("2026-11-03 09:10"), minutes(240)) == at("2026-11-03 14:40")


def test_lunch_break_is_skipped():
    cal = office()
    assert cal.add(at("2026-11-03 12:00"), minutes(60)) == at("2026-11-03 14:30")
    assert cal.between(at("2026-11-03 12:00"), at("2026-11-03 14:30")) == minutes(60)


def test_ending_exactly_at_a_window_end():
    assert office().add(at("2026-11-03 08:30"), minutes(240)) == at("2026-11-03 12:30")


def test_friday_evening_is_due_on_monday():
    # Friday 2026-11-06 17:00, 4 working hours: 1h on Friday, Saturday 09-12 (3h) -> Saturday 12:00
    assert office().add(at("2026-11-06 17:00"), minutes(240)) == at("2026-11-07 12:00")
    weekdays = WorkCalendar(OFFICE[:5] + [[], []], ROME, holidays="IT")
    assert weekdays.add(at("2026-11-06 17:00"), minutes(240)) == at("2026-11-09 11:30")


def test_report_at_night_starts_at_the_next_working_minute():
    cal = office()
    assert cal.next_working_moment(at("2026-11-03 23:40")) == at("2026-11-04 08:30")
    assert cal.add(at("2026-11-04 03:00"), minutes(30)) == at("2026-11-04 09:00")
    assert cal.between(at("2026-11-03 19:00"), at("2026-11-04 08:00")) == dt.timedelta(0)


def test_national_holiday_is_skipped():
    # 2026-12-08 (Tuesday) is a national holiday in Italy; 2026-12-07 is the provider's closure
    cal = office()
    assert cal.is_closed(dt.date(2026, 12, 8)) and cal.is_closed(dt.date(2026, 12, 7))
    assert cal.add(at("2026-12-04 17:00"), minutes(60 + 180 + 60)) == at("2026-12-09 09:30")


def test_provider_closure_is_skipped():
    cal = WorkCalendar(OFFICE[:5] + [[], []], ROME, holidays="IT", closed=[dt.date(2026, 11, 2)])
    # conformance case: Friday 2026-10-30 16:30 + 4h, Monday 2 November closed -> Tuesday 11:00
    assert cal.add(at("2026-10-30 16:30"), minutes(240)) == at("2026-11-03 11:00")


def test_october_daylight_saving_change():
    # Night of 24-25 October 2026: 25h. A 24h calendar shows it.
    always = WorkCalendar([[(0, 1440)]] * 7, ROME)
    assert always.between(at("2026-10-25 00:00"), at("2026-10-26 00:00")) == dt.timedelta(hours=25)
    assert always.add(at("2026-10-25 00:00"), dt.timedelta(hours=25)) == at("2026-10-26 00:00")
    # Office hours are unaffected: Friday 23 17:00 + 3h -> Saturday 24 11:00, Monday 26 08:30 onwards
    cal = office()
    assert cal.add(at("2026-10-23 17:00"), minutes(60 + 180 + 30)) == at("2026-10-26 09:00")


def test_march_daylight_saving_change():
    always = WorkCalendar([[(0, 1440)]] * 7, ROME)
    assert always.between(at("2026-03-29 00:00"), at("2026-03-30 00:00")) == dt.timedelta(hours=23)
    night = WorkCalendar([[(60, 240)]] * 7, ROME)  # 01:00-04:00 wall time: two hours that night
    assert night.between(at("2026-03-29 00:00"), at("2026-03-29 12:00")) == dt.timedelta(hours=2)
    assert night.add(at("2026-03-29 01:00"), dt.timedelta(hours=2)) == at("2026-03-29 04:00")


def test_results_are_aware():
    due = office().add(at("2026-11-03 09:10"), minutes(10))
    assert due.tzinfo is not None and due.astimezone(ROME).hour == 9


# ---------------------------------------------------------------- properties

def reference_between(cal: WorkCalendar, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Minute by minute: the slow, obviously right answer."""
    total = 0
    t = a
    while t < b:
        local = t.astimezone(cal.tz)
        day = local.date()
        mod = local.hour * 60 + local.minute
        if not cal.is_closed(day) and any(s <= mod < e for s, e in cal.week[day.weekday()]):
            total += 1
        t += dt.timedelta(minutes=1)
    return dt.timedelta(minutes=total)


windows = st.lists(
    st.tuples(st.integers(0, 1439), st.integers(1, 600)).map(lambda p: (p[0], min(1440, p[0] + p[1]))),
    max_size=3,
).map(lambda ws: _disjoint(ws))


def _disjoint(ws):
    out = []
    for s, e in sorted(ws):
        if out and s < out[-1][1]:
            continue
        out.append((s, e))
    return out


calendars = st.builds(
    lambda week, closed: WorkCalendar(week, ROME, holidays="IT", closed=closed),
    st.lists(windows, min_size=7, max_size=7).filter(lambda w: sum(e - s for day in w for s, e in day) >= 120),
    st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), max_size=5),
)
moments = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 20)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
)
durations = st.integers(0, 60 * 40).map(minutes)


@settings(max_examples=200, deadline=None)
@given(calendars, moments, durations)
def test_between_inverts_add(cal, a, d):
    assert cal.between(a, cal.add(a, d)) == d


@settings(max_examples=200, deadline=None)
@given(calendars, moments, durations, durations)
def test_add_is_monotonic_and_additive(cal, a, d1, d2):
    first = cal.add(a, d1)
    both = cal.add(a, d1 + d2)
    assert first <= both
    assert cal.add(first, d2) == both or (d2 == dt.timedelta(0) and cal.between(first, both) == dt.timedelta(0))


@settings(max_examples=200, deadline=None)
@given(calendars, moments, moments, moments)
def test_between_is_additive_over_splits(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.between(a, c) == cal.between(a, b) + cal.between(b, c)


@settings(max_examples=60, deadline=None)
@given(calendars, moments, st.integers(0, 60 * 24 * 4))
def test_agrees_with_minute_by_minute_reference(cal, a, span):
    b = a + minutes(span)
    assert cal.between(a, b) == reference_between(cal, a, b)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([dt.datetime(2026, 3, 28, 20), dt.datetime(2026, 10, 24, 20)]), st.integers(0, 60 * 30), calendars)
def test_reference_across_daylight_saving(start, span, cal):
    a = start.replace(tzinfo=ROME).astimezone(UTC)
    b = a + minutes(span)
    assert cal.between(a, b) == reference_between(cal, a, b)


#: Zones whose offsets are not whole hours, whose clocks change at midnight
#: (so a local day starts twice or not at all) or by half an hour.
ODD_ZONES = ["Europe/Rome", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe",
             "America/Havana", "Asia/Beirut", "America/Santiago", "Pacific/Apia", "UTC"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ODD_ZONES), st.integers(-2_208_988_800, 4_102_444_800))  # 1900 to 2100
def test_local_day_of_a_moment_is_the_zones(zone, seconds):
    # The calendar reads the local day from the offset of the UTC day, found once per day.
    cal = WorkCalendar([[(0, 1440)]] * 7, ZoneInfo(zone))
    assert cal._day_of(seconds) == dt.datetime.fromtimestamp(seconds, ZoneInfo(zone)).toordinal()
    assert cal._day_of(seconds) == dt.datetime.fromtimestamp(seconds, ZoneInfo(zone)).toordinal()  # remembered


@pytest.mark.parametrize("zone", ["Asia/Beirut", "America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu"])
@settings(max_examples=30, deadline=None)
@given(moments, st.integers(0, 60 * 24 * 3))
def test_reference_in_zones_with_odd_clocks(zone, a, span):
    cal = WorkCalendar([[(0, 90), (480, 1020)]] * 6 + [[]], ZoneInfo(zone))
    b = a + minutes(span)
    assert cal.between(a, b) == reference_between(cal, a, b)


@pytest.mark.parametrize("zone", ODD_ZONES)
def test_local_day_through_a_year_of_clock_changes(zone):
    # Every quarter of an hour of 2026, and the second before it: every change of the clocks is passed.
    tz = ZoneInfo(zone)
    cal = WorkCalendar([[(0, 1440)]] * 7, tz)
    start = int(dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    for seconds in range(start, start + 366 * 86400, 900):
        for t in (seconds, seconds - 1):
            assert cal._day_of(t) == dt.datetime.fromtimestamp(t, tz).toordinal(), dt.datetime.fromtimestamp(t, tz)
