"""Working-time arithmetic on a provider calendar.

A :class:`WorkCalendar` knows the working windows of each weekday (wall time
in the provider's zone), the public holidays of a country (from the
``holidays`` package) and the provider's own closures. It answers two
questions, exactly to the second and across daylight-saving changes:

- :meth:`WorkCalendar.add`: the moment a working-time duration after a start
  (a start outside working hours counts from the next working minute);
- :meth:`WorkCalendar.between`: the working time from one moment to another.

Internally moments are POSIX seconds and days are proleptic ordinals; each
day's windows are converted to seconds once (cached), so both operations walk
windows, never minutes. Which local day a moment falls on is read from the
zone's offset on that UTC day, found once per day (the zone itself is asked
on a day when the offset changes); like the windows, this takes it that a
zone's offset changes at most once within a day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from typing import Iterable, Optional

from gitdesk.core.model import Calendar

UTC = dt.timezone.utc
ZERO = dt.timedelta(0)
DAY = 86400
_EPOCH = dt.date(1970, 1, 1).toordinal()
_UNKNOWN = object()
#: How far ``add`` looks for working time before giving up (a calendar closed for a century).
HORIZON_YEARS = 100
#: ``add`` walks this many days one by one, then whole years by their running totals.
_WALK_DAYS = 400


class BeyondHorizon(ValueError):
    """The working time asked for ends more than :data:`HORIZON_YEARS` after the start."""


#: Public holidays by (country, year) handed in from an earlier run (:func:`known_holidays`): the holidays
#: package imports every country's rules before it answers, which a technician's command should not wait for.
_KNOWN: dict[tuple[str, int], frozenset[dt.date]] = {}


def known_holidays(table: dict[tuple[str, int], frozenset[dt.date]]) -> None:
    """Take the public holidays of ``table`` as known (as :func:`public_holidays` gave them)."""
    _KNOWN.update(table)


def public_holidays(countries: Iterable[str], years: Iterable[int]) -> dict[tuple[str, int], frozenset[dt.date]]:
    """The public holidays of each country in each year, by (country, year)."""
    return {(c, y): _public_holidays(c, y) for c in countries for y in years}


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    known = _KNOWN.get((country, year))
    if known is not None:
        return known
    import holidays

    return frozenset(holidays.country_holidays(country, years=year).keys())


class WorkCalendar:
    """A calendar's working time, in a time zone."""

    def __init__(
        self,
        week: Iterable[Iterable[tuple[int, int]]],
        tz: dt.tzinfo,
        holidays: Optional[str] = None,
        closed: Iterable[dt.date] = (),
    ):
        self.week = tuple(tuple(w) for w in week)
        if len(self.week) != 7:
            raise ValueError("a week has seven days")
        self._week_seconds = sum(end - start for day in self.week for start, end in day) * 60
        self.tz = tz
        self.country = holidays
        self.closed = frozenset(closed)
        self._days: dict[int, tuple[tuple[int, int], ...]] = {}  # by ordinal
        self._offsets: dict[int, Optional[int]] = {}  # by UTC day number: the offset, None if it changes
        self._years: dict[int, list[float]] = {}

    @property
    def always_open(self) -> bool:
        """Open around the clock every day of the year (24/7): its working time is calendar time."""
        return self._week_seconds == 7 * 24 * 3600 and self.country is None and not self.closed

    @property
    def week_seconds(self) -> int:
        """The working seconds of a plain week (no holidays, no closures, no change of the clocks)."""
        return self._week_seconds

    @classmethod
    def of(cls, calendar: Calendar, tz: dt.tzinfo) -> "WorkCalendar":
        return cls(calendar.week, tz, calendar.holidays, calendar.closed)

    # ------------------------------------------------------------ days

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.week[day.weekday()]) and not self.is_closed(day)

    def is_closed(self, day: dt.date) -> bool:
        """A public holiday or one of the provider's closures."""
        if day in self.closed:
            return True
        return self.country is not None and day in _public_holidays(self.country, day.year)

    def windows(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The working windows of ``day`` as POSIX seconds (start, end).

        A window is every instant whose wall time on ``day`` lies in it: on the
        night the clocks change, a window that spans the change is an hour
        shorter or longer, exactly as a clock on the wall would tell.
        """
        return self._windows(day.toordinal())

    def _windows(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        found = self._days.get(ordinal)
        if found is None:
            day = dt.date.fromordinal(ordinal)
            found = ()
            if self.week[day.weekday()] and not self.is_closed(day):
                found = self._instants(day, self.week[day.weekday()])
            if len(self._days) > 20_000:
                self._days.clear()
            self._days[ordinal] = found
        return found

    def _instants(self, day: dt.date, wall_windows) -> tuple[tuple[int, int], ...]:
        midnight = calendar.timegm(day.timetuple())  # the day's wall-clock midnight, counted as if UTC
        lo, hi = midnight - 16 * 3600, midnight + 40 * 3600  # every instant whose wall time can be on this day
        pieces = []  # (from, to, offset) where the zone's offset is constant
        off_lo, off_hi = self._offset(lo), self._offset(hi)
        if off_lo == off_hi:
            pieces.append((lo, hi, off_lo))
        else:
            a, b = lo, hi  # the change is in (a, b]: bisect to the second
            while b - a > 1:
                m = (a + b) // 2
                if self._offset(m) == off_lo:
                    a = m
                else:
                    b = m
            pieces += [(lo, b, off_lo), (b, hi, off_hi)]
        out: list[tuple[int, int]] = []
        for start, end in wall_windows:
            for p0, p1, off in pieces:
                s0 = max(p0, midnight + start * 60 - off)
                s1 = min(p1, midnight + end * 60 - off)
                if s1 > s0:
                    if out and out[-1][1] == s0:
                        out[-1] = (out[-1][0], s1)
                    else:
                        out.append((s0, s1))
        return tuple(sorted(out))

    def _offset(self, seconds: int) -> int:
        return int(dt.datetime.fromtimestamp(seconds, self.tz).utcoffset().total_seconds())  # type: ignore[union-attr]

    def _day_of(self, seconds: float) -> int:
        """The ordinal of the local day of a moment given in POSIX seconds."""
        utc_day = int(seconds // DAY)
        offset = self._offsets.get(utc_day, _UNKNOWN)
        if offset is _UNKNOWN:
            first, last = self._offset(utc_day * DAY), self._offset(utc_day * DAY + DAY - 1)
            offset = first if first == last else None
            if len(self._offsets) > 20_000:
                self._offsets.clear()
            self._offsets[utc_day] = offset
        if offset is None:  # the clocks change on this day: ask the zone
            return dt.datetime.fromtimestamp(seconds, self.tz).toordinal()
        return int((seconds + offset) // DAY) + _EPOCH  # type: ignore[operator]

    # ------------------------------------------------------------ arithmetic

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment when ``duration`` of working time has passed since ``start``.

        A zero duration gives the first working moment at or after ``start``.
        When the duration ends exactly at a window's end, that end is the answer.
        """
        if duration < ZERO:
            raise ValueError("a working-time duration is not negative")
        t = start.timestamp()
        remaining = duration.total_seconds()
        first = self._day_of(t)
        # Far more than the calendar's weeks can give before the horizon (clock changes included):
        # no need to walk a century to find out.
        weeks = HORIZON_YEARS * 53
        if remaining > weeks * self._week_seconds + 2 * 3600 * HORIZON_YEARS:
            raise BeyondHorizon(self._beyond(start))
        days = self._days
        ordinal = first
        stop = first + _WALK_DAYS
        while True:
            for ordinal in range(ordinal, stop):
                windows = days.get(ordinal)
                if windows is None:
                    windows = self._windows(ordinal)
                for ws, we in windows:
                    if we <= t:
                        continue
                    begin = ws if ws > t else t
                    available = we - begin
                    if remaining <= available:
                        return dt.datetime.fromtimestamp(begin + remaining, UTC)
                    remaining -= available
            # Past the first days: whole years at once, by their running totals, then the days of the last.
            year = dt.date.fromordinal(stop).year
            ordinal = stop
            rest = self._whole_days(dt.date.fromordinal(stop), dt.date(year + 1, 1, 1))
            while remaining > rest:
                remaining -= rest
                year += 1
                if year - start.year > HORIZON_YEARS or year > dt.MAXYEAR - 1:
                    raise BeyondHorizon(self._beyond(start))
                ordinal = dt.date(year, 1, 1).toordinal()
                rest = self._running(year)[-1]
            stop = dt.date(year + 1, 1, 1).toordinal()
            t = float("-inf")  # every window from here on lies after the start

    def _beyond(self, start: dt.datetime) -> str:
        return f"no working time within {HORIZON_YEARS} years of {start.isoformat()}"

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from ``a`` to ``b`` (zero when ``b`` is not after ``a``)."""
        ta, tb = a.timestamp(), b.timestamp()
        if tb <= ta:
            return ZERO
        first, last = self._day_of(ta), self._day_of(tb)
        if last - first > 3:  # long spans: whole days from per-year running totals
            total = self._clipped(first, ta, tb) + self._clipped(last, ta, tb)
            total += self._whole_days(dt.date.fromordinal(first + 1), dt.date.fromordinal(last))
            return dt.timedelta(seconds=total)
        total = 0.0
        for ordinal in range(first, last + 1):
            total += self._clipped(ordinal, ta, tb)
        return dt.timedelta(seconds=total)

    def _clipped(self, ordinal: int, ta: float, tb: float) -> float:
        total = 0.0
        windows = self._days.get(ordinal)
        for ws, we in windows if windows is not None else self._windows(ordinal):
            lo = ws if ws > ta else ta
            hi = we if we < tb else tb
            if hi > lo:
                total += hi - lo
        return total

    def _whole_days(self, start: dt.date, stop: dt.date) -> float:
        """Working seconds of the days from ``start`` up to, not including, ``stop``."""
        if stop <= start:
            return 0.0
        if start.year == stop.year:
            running = self._running(start.year)
            return running[stop.timetuple().tm_yday - 1] - running[start.timetuple().tm_yday - 1]
        total = self._running(start.year)[-1] - self._running(start.year)[start.timetuple().tm_yday - 1]
        for year in range(start.year + 1, stop.year):
            total += self._running(year)[-1]
        return total + self._running(stop.year)[stop.timetuple().tm_yday - 1]

    def _running(self, year: int) -> list[float]:
        """Working seconds of the year before each day: index 0 is 1 January, the last the whole year."""
        found = self._years.get(year)
        if found is None:
            found = [0.0]
            day = dt.date(year, 1, 1)
            while day.year == year:
                found.append(found[-1] + sum(we - ws for ws, we in self.windows(day)))
                day += dt.timedelta(days=1)
            self._years[year] = found
        return found

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """Where a clock started at ``moment`` really starts."""
        return self.add(moment, dt.timedelta(0))
