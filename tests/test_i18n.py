"""Formats of the provider's language: remembered texts are Babel's texts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from hypothesis import given, settings
from hypothesis import strategies as st

from gitdesk.text.i18n import LOCALES, Locale

ROME = ZoneInfo("Europe/Rome")
moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 12, 31), timezones=st.just(dt.timezone.utc))


@settings(max_examples=300, deadline=None)
@given(st.lists(moments, min_size=1, max_size=20), st.sampled_from(["en", "it"]))
def test_moments_and_dates_read_as_babel_writes_them(whens, language):
    L = Locale(language, "EUR", ROME)
    for when in whens + whens:  # the second time from what was remembered
        local = when.astimezone(ROME)
        day = babel_dates.format_date(local.date(), format="medium", locale=LOCALES[language])
        assert L.moment(when) == f"{day} {local:%H:%M}"
        for form in ("long", "medium", "short"):
            babel = babel_dates.format_date(local.date(), format=form, locale=LOCALES[language])
            if language == "it" and form == "long" and local.day == 1:
                babel = babel.replace("1 ", "1° ", 1)  # the one custom of Italian that Babel leaves out
            assert L.date(local.date(), form) == babel


def test_the_two_hours_of_an_autumn_fold_keep_their_clock():
    L = Locale("it", "EUR", ROME)
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc)  # 02:30 summer time
    second = first + dt.timedelta(hours=1)  # 02:30 again, winter time
    assert L.moment(first) == L.moment(second) == "25 ott 2026 02:30"
    assert L.moment(first + dt.timedelta(hours=2)) == "25 ott 2026 03:30"


def test_the_first_of_the_month_in_italian_is_an_ordinal_where_the_month_is_spelled_out():
    L = Locale("it", "EUR", ROME)
    assert L.date(dt.date(2026, 1, 1)) == "1° gennaio 2026"
    assert L.date(dt.date(2026, 1, 1), "full") == "giovedì 1° gennaio 2026"
    assert L.date(dt.date(2026, 1, 1), "medium") == "1 gen 2026"
    assert L.date(dt.date(2026, 1, 1), "short") == "01/01/26"
    assert L.date(dt.date(2026, 1, 11)) == "11 gennaio 2026"
    assert Locale("en").date(dt.date(2026, 1, 1)) == "1 January 2026"
    assert L("valid_until", d=L.date(dt.date(2026, 3, 1))) == ", valido fino al 1° marzo 2026"
    assert L("valid_until", d=L.date(dt.date(2026, 3, 8))) == ", valido fino all'8 marzo 2026"
