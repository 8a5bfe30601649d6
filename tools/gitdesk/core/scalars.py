"""The scalar types of the data format: durations, money, percents, dates and timestamps.

Every parser takes the scalar's *text* (the loader never lets YAML guess a type),
so money never passes through a binary float and a timestamp is read exactly as
written. Each raises ``ValueError`` with a message meant for the person who wrote
the file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

# Digits are [0-9], never ``\d``: in Python (and in the schemas' regex engines)
# ``\d``, int() and Decimal() also read the digits of other scripts (``١٠``, ``８``).
_DURATION = re.compile(r"^(?:([0-9]{1,5})h)?(?:([0-9]{1,6})m)?$")
_MONEY = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")
_PERCENT = re.compile(r"^([0-9]{1,3}(?:\.[0-9]{1,4})?)\s?%$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)\s*(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
_CLOCK = re.compile(r"^([0-9]{2}):([0-9]{2})$")
_NUMBER = re.compile(r"^[0-9]{1,9}(?:\.[0-9]{1,4})?$")

CENT = Decimal("0.01")
#: The largest amount of money (a price, a rate, a fee, a statement's figure): nine digits and
#: cents. With quantities at most :data:`MAX_NUMBER`, a line is below 10**18 and a statement
#: would need 10**8 lines to come near the 28 digits of Decimal arithmetic.
MONEY_DIGITS = 9
MAX_MONEY = Decimal("999999999.99")
#: The largest quantity or number of hours: nine digits and four decimals.
MAX_NUMBER = Decimal("999999999.9999")


def _ascii_digits(text: str, what: str) -> None:
    """Refuse a number written with digits of another script, with a clear message."""
    if not text.isascii() and any(ch.isdigit() and not ch.isascii() for ch in text):
        raise ValueError(f"{what} {text!r} has a digit other than 0-9: write numbers with the digits 0 to 9")


def text_of(value: object) -> str:
    """The text of a scalar as the loader gives it (always a string or None)."""
    if isinstance(value, str):
        return value.strip()
    raise ValueError("expected a single value")


def parse_duration(value: object) -> dt.timedelta:
    """``45m``, ``4h``, ``1h30m``: never a bare number (is ``2`` hours or minutes?)."""
    if isinstance(value, dt.timedelta):
        return value
    text = text_of(value)
    _ascii_digits(text, "duration")
    m = _DURATION.match(text)
    if not text or not m or (m.group(1) is None and m.group(2) is None):
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            raise ValueError(f"duration {text!r} has no unit: write it as {text}m or {text}h")
        raise ValueError(f"invalid duration {text!r}: write it as 45m, 4h or 1h30m")
    hours, minutes = int(m.group(1) or 0), int(m.group(2) or 0)
    return dt.timedelta(hours=hours, minutes=minutes)


def format_duration(value: dt.timedelta) -> str:
    """The canonical text of a duration: ``1h30m``, ``45m``, ``4h``, ``0m``."""
    minutes = int(value.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest:02d}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m"


def parse_money(value: object) -> Decimal:
    """An amount read from its decimal text: at most two decimals, not negative, at most :data:`MAX_MONEY`."""
    if isinstance(value, Decimal):
        return value
    text = text_of(value)
    _ascii_digits(text, "amount")
    negative = text.startswith("-") and _MONEY.match(text[1:])
    if negative and negative.group(1).strip("0") + (negative.group(2) or "").strip("0"):
        raise ValueError(f"amount {text} must not be negative")
    m = negative or _MONEY.match(text)  # -0 is zero, as it is for an editor that reads a YAML number
    if not m:
        raise ValueError(f"invalid amount {text!r}: write it as 48.00 or 1250")
    if m.group(2) is not None and len(m.group(2)) > 2:
        raise ValueError(f"amount {text} has more than two decimals")
    if len(m.group(1).lstrip("0")) > MONEY_DIGITS:
        raise ValueError(f"amount {text} is too large: an amount is at most {MAX_MONEY}")
    return abs(Decimal(text))


def parse_signed_money(value: object) -> Decimal:
    """An amount that may be negative (a statement's discount line, a correction)."""
    if isinstance(value, Decimal):
        return value
    text = text_of(value)
    if text.startswith("-"):
        if not text[1:2] or text[1] not in "0123456789":
            _ascii_digits(text, "amount")
            raise ValueError(f"invalid amount {text!r}: write it as -48.00 or 1250")
        return -parse_money(text[1:])
    return parse_money(text)


def parse_decimal(value: object, what: str = "number") -> Decimal:
    """A non-negative decimal number such as a quantity or a number of hours."""
    if isinstance(value, Decimal):
        return value
    text = text_of(value)
    _ascii_digits(text, what)
    if not _NUMBER.match(text):
        raise ValueError(f"invalid {what} {text!r}: write a number such as 2 or 1.5")
    return Decimal(text)


def parse_percent(value: object) -> Decimal:
    """``20%`` → ``Decimal('20')``; at most 100%."""
    if isinstance(value, Decimal):
        return value
    text = text_of(value)
    _ascii_digits(text, "percent")
    m = _PERCENT.match(text)
    if not m:
        raise ValueError(f"invalid percent {text!r}: write it as 20%")
    pct = Decimal(m.group(1))
    if pct > 100:
        raise ValueError(f"percent {text} is more than 100%")
    return pct


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = text_of(value)
    _ascii_digits(text, "date")
    if not _DATE.match(text):
        raise ValueError(f"invalid date {text!r}: write it as 2026-11-03")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a date of the calendar") from None


def parse_clock(text: str) -> dt.time:
    _ascii_digits(text, "time")
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(f"invalid time {text!r}: write it as 08:30")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour == 24 and minute == 0:
        return dt.time(0, 0)  # only meaningful as a window's end; the caller checks
    if hour > 23 or minute > 59:
        raise ValueError(f"{text} is not a time of day")
    return dt.time(hour, minute)


_SEEN: dict[tuple[str, dt.tzinfo], dt.datetime] = {}
#: The years a timestamp may fall in.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_timestamp(value: object, tz: dt.tzinfo) -> dt.datetime:
    """A moment in time, aware, in UTC (see :func:`_parse_timestamp`).

    Tickets repeat the same minutes often; parsed moments are remembered.
    """
    if isinstance(value, dt.datetime):
        return value
    key = (value, tz)
    try:
        return _SEEN[key]  # type: ignore[index]
    except KeyError:
        pass
    except TypeError:  # not hashable: not a timestamp either
        return _parse_timestamp(value, tz)
    moment = _parse_timestamp(value, tz)
    if len(_SEEN) > 500_000:
        _SEEN.clear()
    _SEEN[key] = moment  # type: ignore[index]
    return moment


def _parse_timestamp(value: object, tz: dt.tzinfo) -> dt.datetime:
    """A moment in time, aware, in UTC.

    Moments are kept in UTC because Python compares and subtracts two
    datetimes of the same zone by their wall time, which is wrong across a
    daylight-saving change; they are shown in the provider's zone ``tz``.

    Without an offset the text is wall time in ``tz``; a wall time that does
    not exist (the spring-forward gap) or that occurs twice (the autumn fold)
    is refused, because the reader cannot know which moment was meant.
    """
    if isinstance(value, dt.datetime):
        return value
    text = text_of(value)
    _ascii_digits(text, "timestamp")
    m = _TIMESTAMP.match(text)
    if not m:
        raise ValueError(
            f"invalid timestamp {text!r}: write it as 2026-11-03 09:10 "
            "or 2026-11-03T09:10:00+01:00"
        )
    date_text, clock_text, offset = m.groups()
    try:
        naive = dt.datetime.fromisoformat(f"{date_text}T{clock_text}")
    except ValueError:
        raise ValueError(f"{text} is not a moment of the calendar") from None
    if not FIRST_YEAR <= naive.year <= LAST_YEAR:
        # Working time is counted years ahead of a moment; the 31st century is far enough.
        raise ValueError(f"{text} is out of range: timestamps lie between the years {FIRST_YEAR} and {LAST_YEAR}")
    if offset:
        try:
            fixed = dt.datetime.fromisoformat(f"{date_text}T{clock_text}{'+00:00' if offset == 'Z' else offset}")
        except ValueError:
            raise ValueError(f"invalid offset in {text!r}") from None
        return fixed.astimezone(dt.timezone.utc)
    # The zone's offset at this wall time read both ways (PEP 495's fold): they
    # differ only in a gap or a fold. The datetimes are built, not replace()d:
    # replace() alone would cost more than the rest of this function.
    offset_first = tz.utcoffset(naive)
    offset_second = tz.utcoffset(
        dt.datetime(naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second, 0, None, fold=1)
    )
    if offset_first == offset_second:
        return dt.datetime.fromisoformat(f"{date_text}T{clock_text}+00:00") - offset_first
    # Either a gap (the wall time is skipped) or a fold (it happens twice).
    back = naive.replace(tzinfo=tz).astimezone(dt.timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        raise ValueError(f"{text} does not exist in {tz}: the clocks skip it when daylight-saving time starts")
    raise ValueError(
        f"{text} happens twice in {tz} (daylight-saving time ends): "
        "add the offset, e.g. +02:00 for the first or +01:00 for the second"
    )


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A time zone by its IANA name, with a clear error for a typo (remembered: every file asks)."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Rome") from None


def month_of(day: dt.date) -> str:
    """``YYYY-MM`` of a date (or of a datetime, as its wall time): the key of a statement's
    month. Formatted by hand: strftime costs three times as much, once per intervention."""
    return f"{day.year:04d}-{day.month:02d}"


def round_cents(amount: Decimal) -> Decimal:
    """Half-up to the cent, the rounding of every statement line."""
    from decimal import ROUND_HALF_UP

    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
