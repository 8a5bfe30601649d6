"""Scalars are read from their text: durations, money, percents, dates, timestamps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from gitdesk.core import scalars

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize("text,minutes", [("45m", 45), ("4h", 240), ("1h30m", 90), ("90m", 90), ("0m", 0)])
def test_durations(text, minutes):
    assert scalars.parse_duration(text) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("text,hint", [("45", "no unit"), ("1.5h", "invalid duration"), ("h", "invalid"), ("", "invalid"), ("4 hours", "invalid")])
def test_bad_durations(text, hint):
    with pytest.raises(ValueError, match=hint):
        scalars.parse_duration(text)


@given(st.integers(min_value=0, max_value=100_000))
def test_duration_text_round_trip(minutes):
    value = dt.timedelta(minutes=minutes)
    assert scalars.parse_duration(scalars.format_duration(value)) == value


@pytest.mark.parametrize("text,value", [("48.00", "48.00"), ("1250", "1250"), ("12.3", "12.3"), ("0.10", "0.10")])
def test_money(text, value):
    amount = scalars.parse_money(text)
    assert isinstance(amount, Decimal) and amount == Decimal(value)
    assert str(amount) == value  # the text as written, not a float's idea of it


@pytest.mark.parametrize("text,hint", [("12.345", "more than two decimals"), ("-5.00", "negative"), ("1e3", "invalid amount"), ("€12", "invalid amount"), ("", "invalid")])
def test_bad_money(text, hint):
    with pytest.raises(ValueError, match=hint):
        scalars.parse_money(text)


@given(st.decimals(min_value=0, max_value=scalars.MAX_MONEY, places=2, allow_nan=False, allow_infinity=False))
def test_money_is_exact(amount):
    assert scalars.parse_money(f"{amount:.2f}") == amount


@given(st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
def test_round_cents_is_half_up(amount):
    rounded = scalars.round_cents(amount)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - amount) <= Decimal("0.005")
    # half-up: a value exactly half-way moves away from zero
    if abs(amount * 1000) % 10 == 5 and (amount * 100) == (amount * 100).quantize(Decimal("0.1")):
        assert abs(rounded) > abs(amount)


def test_round_cents_examples():
    assert scalars.round_cents(Decimal("2.675")) == Decimal("2.68")
    assert scalars.round_cents(Decimal("2.665")) == Decimal("2.67")
    assert scalars.round_cents(Decimal("-2.675")) == Decimal("-2.68")


def test_percent():
    assert scalars.parse_percent("20%") == Decimal("20")
    assert scalars.parse_percent("22.5%") == Decimal("22.5")
    with pytest.raises(ValueError):
        scalars.parse_percent("20")
    with pytest.raises(ValueError, match="more than 100"):
        scalars.parse_percent("120%")


def test_date():
    assert scalars.parse_date("2026-11-03") == dt.date(2026, 11, 3)
    with pytest.raises(ValueError, match="not a date"):
        scalars.parse_date("2026-02-30")
    with pytest.raises(ValueError, match="invalid date"):
        scalars.parse_date("03/11/2026")


@pytest.mark.parametrize("text", ["2026-11-03 09:10", "2026-11-03T09:10", "2026-11-03T09:10:00+01:00", "2026-11-03T08:10:00Z"])
def test_timestamp_forms(text):
    moment = scalars.parse_timestamp(text, ROME)
    assert moment == dt.datetime(2026, 11, 3, 9, 10, tzinfo=ROME)
    assert moment.utcoffset() == dt.timedelta(0)  # kept in UTC: exact arithmetic across DST


def test_timestamp_with_offset_is_that_moment():
    moment = scalars.parse_timestamp("2026-07-01T09:00:00+00:00", ROME).astimezone(ROME)
    assert moment.hour == 11 and moment.utcoffset() == dt.timedelta(hours=2)


def test_spring_forward_gap_is_an_error():
    with pytest.raises(ValueError, match="does not exist"):
        scalars.parse_timestamp("2026-03-29 02:30", ROME)
    assert scalars.parse_timestamp("2026-03-29 03:00", ROME).astimezone(ROME).utcoffset() == dt.timedelta(hours=2)


def test_autumn_fold_needs_an_offset():
    with pytest.raises(ValueError, match="happens twice"):
        scalars.parse_timestamp("2026-10-25 02:30", ROME)
    first = scalars.parse_timestamp("2026-10-25T02:30:00+02:00", ROME)
    second = scalars.parse_timestamp("2026-10-25T02:30:00+01:00", ROME)
    assert second - first == dt.timedelta(hours=1)


ZONES = [ROME, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/St_Johns"), dt.timezone.utc]


@given(
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2099, 12, 30)).map(lambda d: d.replace(microsecond=0)),
    st.sampled_from(ZONES),
)
def test_a_wall_time_is_the_moment_the_zone_gives_it(naive, zone):
    """The definition, with datetime's own fold rules (PEP 495), against the fast reading:
    the same UTC moment where the wall time is unique, an error where it is not."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    text = naive.strftime("%Y-%m-%d %H:%M:%S")
    if first.utcoffset() == second.utcoffset():
        moment = scalars._parse_timestamp(text, zone)
        assert moment == first and moment.tzinfo is dt.timezone.utc
        assert moment.astimezone(zone).replace(tzinfo=None) == naive
    else:
        with pytest.raises(ValueError, match="does not exist|happens twice"):
            scalars._parse_timestamp(text, zone)


@pytest.mark.parametrize("text", ["2026-03-29 02:00", "2026-03-29 02:59", "2026-10-25 02:00", "2026-10-25 02:59"])
def test_the_edges_of_a_change_are_refused(text):
    with pytest.raises(ValueError, match="does not exist|happens twice"):
        scalars.parse_timestamp(text, ROME)


@pytest.mark.parametrize("text", ["2026-11-03", "09:10", "2026-13-01 09:10", "2026-11-03 25:00", "yesterday", "2026-11-03 9:10"])
def test_bad_timestamps(text):
    with pytest.raises(ValueError):
        scalars.parse_timestamp(text, ROME)


def test_unknown_zone():
    with pytest.raises(ValueError, match="unknown time zone"):
        scalars.zone("Europe/Lecco")
    with pytest.raises(ValueError, match="unknown time zone"):
        scalars.zone("../../etc/passwd")


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_month_of_is_the_month_strftime_gives(day):
    assert scalars.month_of(day) == f"{day:%Y}".zfill(4) + day.strftime("-%m")
    assert scalars.month_of(dt.datetime.combine(day, dt.time(23, 59))) == scalars.month_of(day)


@pytest.mark.parametrize("text", ["0001-01-01 00:30", "1899-12-31 23:59", "3000-01-01 00:00", "9999-12-31 23:59", "0001-01-01T00:30:00+01:00"])
def test_timestamps_beyond_the_range_are_refused(text):
    with pytest.raises(ValueError, match="out of range"):
        scalars.parse_timestamp(text, ROME)


@pytest.mark.parametrize("text", ["1900-01-01 00:10", "2999-12-31 23:50"])
def test_the_first_and_last_years_are_read(text):
    assert scalars.parse_timestamp(text, ROME).astimezone(ROME).strftime("%Y-%m-%d %H:%M") == text
