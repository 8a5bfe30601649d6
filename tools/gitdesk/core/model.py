"""The data model: immutable records for every object of the data format.

The pydantic models are the single source of truth for the file format: the
loader validates every file with them and ``gitdesk schema`` exports their JSON
Schemas. Scalars are parsed from their text by :mod:`gitdesk.core.scalars`; a
timestamp without offset needs the provider's time zone, which the loader
passes as validation context (``{"tz": ZoneInfo}``).

Every record remembers where it came from in ``source`` (file, line, column),
as beancount's directives do, so that any later rule can point at it.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from decimal import Decimal
from functools import cache, cached_property
from typing import Annotated, Any, Literal, NamedTuple, Optional, Union, get_args

from pydantic.json_schema import SkipJsonSchema
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,

    field_validator,
    model_validator,
)

from gitdesk.core import scalars

#: Marks a mapping's own position in the plain data read from YAML: ``(line, column)`` from 1.
POS = "\x00pos"
#: Carries a file's repository-relative path into its top-level record.
PATH = "\x00path"

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_ID = re.compile(ID_PATTERN)


class Source(NamedTuple):
    """Where a record was read: repository-relative path, line and column from 1."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


# ---------------------------------------------------------------- scalar types


def _timestamp(value: Any, info: ValidationInfo) -> dt.datetime:
    context = info.context
    return scalars.parse_timestamp(value, (context.get("tz") if context else None) or dt.timezone.utc)


# The schemas accept what the parsers of :mod:`gitdesk.core.scalars` accept. A text is read with
# its surrounding white space stripped (str.strip: every character str.isspace() names), so
# the patterns allow exactly those characters around the value, spelled out: ``\s`` means
# other characters in other regex engines. Digits are [0-9], never ``\d`` (see scalars).
SPACE_CLASS = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_WS = SPACE_CLASS + "*"


def _text_pattern(core: str) -> str:
    return f"^{_WS}{core}{_WS}$"


_DIGITS = scalars.MONEY_DIGITS
_MONEY_TEXT = f"0*[0-9]{{1,{_DIGITS}}}(\\.[0-9]{{1,2}})?"
_DURATION_SCHEMA = {
    "type": "string",
    "pattern": _text_pattern("([0-9]{1,5}h([0-9]{1,6}m)?|[0-9]{1,6}m)"),
    "examples": ["45m", "4h", "1h30m"],
}
# An editor reads an unquoted 19.99 as a binary number, whose decimals cannot be counted
# exactly (a float multipleOf 0.01 refuses 19.99): numbers are checked for sign and size
# only, and ``gitdesk validate`` reports one with more than two decimals.
_MONEY_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": float(scalars.MAX_MONEY)},
        {"type": "string", "pattern": _text_pattern(f"(-0+(\\.0{{1,2}})?|{_MONEY_TEXT})")},
    ],
    "description": f"At most {scalars.MAX_MONEY}, with at most two decimals",
    "examples": ["48.00", 1250],
}
_SIGNED_MONEY_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": -float(scalars.MAX_MONEY), "maximum": float(scalars.MAX_MONEY)},
        {"type": "string", "pattern": _text_pattern(f"-?{_MONEY_TEXT}")},
    ],
}
_NUMBER_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": float(scalars.MAX_NUMBER)},
        {"type": "string", "pattern": _text_pattern("[0-9]{1,9}(\\.[0-9]{1,4})?")},
    ],
}
_TIMESTAMP_SCHEMA = {
    "type": "string",
    "pattern": _text_pattern("[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?" + _WS + "(Z|[+-][0-9]{2}:[0-9]{2})?"),
    "examples": ["2026-11-03 09:10", "2026-11-03T09:10:00+01:00"],
}

Duration = Annotated[dt.timedelta, PlainValidator(scalars.parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
Money = Annotated[Decimal, PlainValidator(scalars.parse_money), WithJsonSchema(_MONEY_SCHEMA)]
SignedMoney = Annotated[Decimal, PlainValidator(scalars.parse_signed_money), WithJsonSchema(_SIGNED_MONEY_SCHEMA)]
Month = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Percent = Annotated[
    Decimal,
    PlainValidator(scalars.parse_percent),
    WithJsonSchema({"type": "string", "pattern": _text_pattern(f"[0-9]{{1,3}}(\\.[0-9]{{1,4}})?{SPACE_CLASS}?%"), "examples": ["20%"]}),
]
Number = Annotated[Decimal, PlainValidator(scalars.parse_decimal), WithJsonSchema(_NUMBER_SCHEMA)]
Date = Annotated[
    dt.date,
    PlainValidator(scalars.parse_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-03"]}),
]
Timestamp = Annotated[dt.datetime, PlainValidator(_timestamp), WithJsonSchema(_TIMESTAMP_SCHEMA)]
Flag = Annotated[bool, Field(strict=False)]
Count = Annotated[int, Field(ge=0, le=10**9)]
Text = str
Ident = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ID_PATTERN, max_length=200)]

Mode = Literal["onsite", "remote", "phone"]


def _mapping(value: Any) -> Any:
    """A mapping whose keys are names (not fields): drop the loader's position marker."""
    if isinstance(value, dict) and POS in value:
        return {k: v for k, v in value.items() if k != POS}
    return value


def Named(item: Any) -> Any:
    """``dict[str, item]`` read from a YAML mapping of names."""
    return Annotated[dict[str, item], BeforeValidator(_mapping)]


class Record(BaseModel):
    """Base of every record: immutable, unknown fields refused, position remembered.

    The loader gives each mapping its line and column under a key no YAML
    author writes (:data:`POS`); validating it as a plain
    field keeps the whole validation in pydantic's compiled core.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)
    pos: SkipJsonSchema[Optional[tuple[int, int]]] = Field(default=None, alias=POS, exclude=True, repr=False)

    @property
    def line(self) -> int:
        return self.pos[0] if self.pos else 0

    def __reduce__(self):
        """Pickled as its class and field values, which is what the cache and
        the worker processes send: fewer bytes, unpickled sooner, than pydantic's
        default state (a dict of dicts and sets per record)."""
        cls = type(self)
        names, values_of, bits = _SHAPES.get(cls) or _shape(cls)
        given = self.__pydantic_fields_set__
        return (_restore, (cls, values_of(self.__dict__), sum(map(bits.__getitem__, given))))


#: Per record class: its field names, a getter of their values in that order, each name's bit.
_SHAPES: dict[type, tuple[tuple[str, ...], Any, dict[str, int]]] = {}
_GIVEN: dict[tuple[type, int], tuple[str, ...]] = {}
_set = object.__setattr__


def _shape(cls: type) -> tuple[tuple[str, ...], Any, dict[str, int]]:
    names = tuple(cls.model_fields)  # type: ignore[attr-defined]
    getter = operator.itemgetter(*names)
    values_of = getter if len(names) > 1 else (lambda d: (getter(d),))
    shape = _SHAPES[cls] = (names, values_of, {name: 1 << i for i, name in enumerate(names)})
    return shape


def _restore(cls: type, values: tuple, mask: int) -> "Record":
    """A record from :meth:`Record.__reduce__`, set as pydantic's own unpickling sets it."""
    names = (_SHAPES.get(cls) or _shape(cls))[0]
    given = _GIVEN.get((cls, mask))
    if given is None:
        given = _GIVEN[cls, mask] = tuple(name for i, name in enumerate(names) if mask >> i & 1)
    record = object.__new__(cls)
    _set(record, "__dict__", dict(zip(names, values)))
    _set(record, "__pydantic_fields_set__", set(given))
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record


class TopRecord(Record):
    """A record that is a whole file: it also knows the file's path."""

    path: SkipJsonSchema[Optional[str]] = Field(default=None, alias=PATH, exclude=True, repr=False)

    @property
    def source(self) -> Optional[Source]:
        if self.path is None:
            return None
        line, column = self.pos or (1, 1)
        return Source(self.path, line, column)


# ---------------------------------------------------------------- provider

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WINDOW = re.compile(r"^\s*([0-9]{2}:[0-9]{2})\s*-\s*([0-9]{2}:[0-9]{2})\s*$")


def _day_set(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in _DAYS or b not in _DAYS or _DAYS.index(a) > _DAYS.index(b):
                raise ValueError(f"invalid day range {part!r}: write e.g. mon-fri")
            days.extend(range(_DAYS.index(a), _DAYS.index(b) + 1))
        elif part in _DAYS:
            days.append(_DAYS.index(part))
        else:
            raise ValueError(f"invalid day {part!r}: use mon, tue, wed, thu, fri, sat, sun")
    return days


def _minutes(text: str) -> int:
    h, m = text.split(":")
    value = int(h) * 60 + int(m)
    if int(m) > 59 or value > 24 * 60:
        raise ValueError(f"{text} is not a time of day")
    return value


class Calendar(Record):
    """Working hours of a week, public holidays of a country, the provider's closures."""

    hours: Named(list[Text]) = Field(
        description="Working windows per day or day range, e.g. mon-fri: ['08:30-12:30', '14:00-18:00']"
    )
    holidays: Optional[Text] = Field(default=None, description="ISO 3166 country code of the public holidays")
    closed: tuple[Date, ...] = Field(default=(), description="The provider's own closures (whole days)")

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in _holiday_countries():
            raise ValueError(f"unknown holiday country {value!r}: use an ISO 3166 code such as IT")
        return code

    @field_validator("hours")
    @classmethod
    def _windows(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        if not any(_build_week(hours)):
            raise ValueError("a calendar needs at least one working window")
        return hours

    @cached_property
    def week(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per weekday (Monday = 0), the working windows as minutes from midnight."""
        return _build_week(self.hours)


@cache
def _holiday_countries() -> frozenset[str]:
    """The country codes the ``holidays`` package knows, from its registry: asking
    ``list_supported_countries`` imports every country's module, and the codes need none of them."""
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes())


def _build_week(hours: dict[str, list[str]]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Working windows per weekday from the ``hours`` mapping; ValueError when inconsistent."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for spec, windows in hours.items():
        for day in _day_set(spec):
            if week[day]:
                raise ValueError(f"{_DAYS[day]} is named twice in hours")
            for window in windows:
                m = _WINDOW.match(window)
                if not m:
                    raise ValueError(f"invalid working window {window!r}: write it as 08:30-12:30")
                start, end = _minutes(m.group(1)), _minutes(m.group(2))
                if end <= start:
                    raise ValueError(f"working window {window} ends before it starts")
                week[day].append((start, end))
            week[day].sort()
            for (_, e1), (s2, _) in zip(week[day], week[day][1:]):
                if s2 < e1:
                    raise ValueError(f"working windows of {_DAYS[day]} overlap")
    return tuple(tuple(w) for w in week)


class TeamMember(Record):
    id: Ident
    name: Text
    title: Optional[Text] = None
    phone: Optional[Text] = None
    email: Optional[Text] = None


class Provider(TopRecord):
    """The service provider: identity, time zone, VAT, calendars, team."""

    name: Text
    vat_id: Optional[Text] = None
    address: Optional[Text] = None
    phone: Optional[Text] = None
    email: Optional[Text] = None
    timezone: Text = Field(description="IANA time zone, e.g. Europe/Rome")
    currency: Text = "EUR"
    language: Literal["en", "it"] = "en"  # the languages of Language
    vat_rate: Percent
    default_plan: Ident = Field(description="Terms for a customer with no contract in force")
    calendars: Named(Calendar)
    team: tuple[TeamMember, ...] = Field(default=())
    statement_note: Optional[Text] = Field(
        default=None,
        description="Shown as given in the summary of every customer statement, e.g. payment terms or 'an invoice follows'")
    staff_logins: tuple["Login", ...] = Field(
        default=(), description="Who may open the staff site (HTTP basic authentication), written by: gitdesk portal passwd --staff USER")

    @field_validator("staff_logins")
    @classmethod
    def _distinct_staff(cls, logins: tuple["Login", ...]) -> tuple["Login", ...]:
        return distinct_users(logins, "staff_logins")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        scalars.zone(value)
        return value

    @property
    def tz(self):
        return scalars.zone(self.timezone)


# ---------------------------------------------------------------- plans

TargetKind = Literal["acknowledge", "confirm", "onsite", "resolve"]
TARGET_KINDS: tuple[str, ...] = ("acknowledge", "confirm", "onsite", "resolve")


class LateDiscount(Record):
    discount_per_started_hour: Optional[Percent] = None
    discount_per_full_hour: Optional[Percent] = None

    @model_validator(mode="after")
    def _one(self) -> "LateDiscount":
        if (self.discount_per_started_hour is None) == (self.discount_per_full_hour is None):
            raise ValueError("give exactly one of discount_per_started_hour and discount_per_full_hour")
        return self

    @property
    def percent(self) -> Decimal:
        return self.discount_per_started_hour if self.discount_per_started_hour is not None else self.discount_per_full_hour  # type: ignore[return-value]

    @property
    def per_started_hour(self) -> bool:
        return self.discount_per_started_hour is not None


class Targets(Record):
    acknowledge: Optional[Duration] = None
    confirm: Optional[Duration] = None
    onsite: Optional[Duration] = None
    resolve: Optional[Duration] = None

    def items(self) -> list[tuple[str, dt.timedelta]]:
        """The targets that are set, in the order of the format."""
        return [(k, getattr(self, k)) for k in TARGET_KINDS if getattr(self, k) is not None]


#: The languages a provider may write in (its ``language``) and a plan may give labels in.
Language = Literal["en", "it"]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _labels(value: Any) -> Any:
    """A mapping language -> text: the languages named first, in words a plan's author reads."""
    value = _mapping(value)
    if isinstance(value, dict):
        for key in value:
            if key not in get_args(Language):
                raise ValueError(f"unknown language {key!r} for a label: write {' or '.join(get_args(Language))}")
    return value


class Priority(Record):
    targets: Targets = Field(default_factory=Targets)
    late: Union[Literal["waive"], LateDiscount, None] = Field(
        default=None, description="waive, {discount_per_started_hour: P} or {discount_per_full_hour: P}"
    )
    label: Optional[Annotated[dict[Language, Label], BeforeValidator(_labels)]] = Field(
        default=None, description="What customers read for this priority, per language: {it: Urgente, en: Urgent}"
    )


class Rates(Record):
    onsite_hour: Money
    remote_hour: Money
    phone_hour: Money
    callout: Money
    increment: Duration = Field(default=dt.timedelta(minutes=1), description="On-site and remote time rounds up to this")
    minimum: Duration = Field(default=dt.timedelta(0), description="Billed at least, per on-site or remote intervention")


class RateChanges(Record):
    """A contract's negotiated changes to its plan's rates."""

    onsite_hour: Optional[Money] = None
    remote_hour: Optional[Money] = None
    phone_hour: Optional[Money] = None
    callout: Optional[Money] = None
    increment: Optional[Duration] = None
    minimum: Optional[Duration] = None


class PhoneTerms(Record):
    included_minutes: Count = 0
    increment: Duration = dt.timedelta(minutes=1)


class Fee(Record):
    monthly: Optional[Money] = None


class Plan(TopRecord):
    """Service terms: priorities and their targets, late-arrival rules, rates."""

    id: Optional[Ident] = None
    name: Text
    summary: Optional[Text] = None
    calendar: Ident = Field(description="The provider calendar whose working time SLA clocks count")
    remote_counts_as_onsite: Flag = False
    priorities: Named(Priority) = Field(description="The first one listed is the top priority")
    repeat_visit: Literal["free", "charged"] = "free"
    rates: Rates
    phone: PhoneTerms = Field(default_factory=PhoneTerms)
    fee: Fee = Field(default_factory=Fee)

    @field_validator("priorities")
    @classmethod
    def _some(cls, value: dict) -> dict:
        if not value:
            raise ValueError("a plan needs at least one priority")
        for name in value:
            if not _ID.match(name):
                raise ValueError(f"invalid priority name {name!r}: use lower-case letters, digits and '-'")
        return value

    @property
    def top_priority(self) -> str:
        return next(iter(self.priorities))


# ---------------------------------------------------------------- customers


class Contact(Record):
    name: Text
    role: Optional[Text] = None
    phone: Optional[Text] = None
    email: Optional[Text] = None


class Contract(Record):
    plan: Ident
    start: Date = Field(alias="from")
    end: Optional[Date] = Field(default=None, alias="to", description="Inclusive; open-ended when absent")
    ask_before_parts: Flag = False
    rates: RateChanges = Field(default_factory=RateChanges)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: Optional[dt.date], info: ValidationInfo) -> Optional[dt.date]:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError(f"the contract ends ({end}) before it starts ({start})")
        return end

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Package(Record):
    bought: Date
    hours: Number
    price: Money
    expires: Optional[Date] = None

    @field_validator("expires")
    @classmethod
    def _after_bought(cls, expires: Optional[dt.date], info: ValidationInfo) -> Optional[dt.date]:
        bought = info.data.get("bought")
        if expires is not None and bought is not None and expires < bought:
            raise ValueError(f"the package expires ({expires}) before it was bought ({bought})")
        return expires

    def valid_on(self, day: dt.date) -> bool:
        return self.bought <= day and (self.expires is None or day <= self.expires)


LOGIN_USER_PATTERN = r"^[a-z0-9._-]{1,64}$"
BCRYPT_PATTERN = r"^\$2[aby]\$[0-9][0-9]\$[./A-Za-z0-9]{53}$"
_LOGIN_USER = re.compile(LOGIN_USER_PATTERN)
_BCRYPT = re.compile(BCRYPT_PATTERN)

LoginUser = Annotated[str, WithJsonSchema({"type": "string", "pattern": LOGIN_USER_PATTERN, "examples": ["mrossi"]})]
BcryptHash = Annotated[str, WithJsonSchema({"type": "string", "pattern": BCRYPT_PATTERN})]


class Login(Record):
    """Who may open the customer's private site: a user name and a bcrypt hash of the password.

    Only the hash is kept: the repository is read by every technician and CI,
    so a password written here would be a password given away.
    """

    user: LoginUser = Field(description="Lower-case letters, digits, '.', '_' and '-'; at most 64 characters")
    hash: BcryptHash = Field(description="bcrypt hash of the password, written by: gitdesk portal passwd CUSTOMER USER")

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        if not _LOGIN_USER.fullmatch(value):
            raise ValueError(f"invalid user {value!r}: use 1 to 64 lower-case letters, digits, '.', '_' or '-'")
        return value

    @field_validator("hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        if not _BCRYPT.fullmatch(value):
            raise ValueError(
                "hash must be a bcrypt hash (write it with: gitdesk portal passwd CUSTOMER USER); a password never goes in git"
            )
        return value


def distinct_users(logins: tuple[Login, ...], field: str) -> tuple[Login, ...]:
    """The logins, each user once (a user twice would leave which password counts to the web server)."""
    seen: set[str] = set()
    for login in logins:
        if login.user in seen:
            raise ValueError(f"user {login.user!r} is listed twice in {field}")
        seen.add(login.user)
    return logins


class Customer(TopRecord):
    id: Optional[Ident] = None
    name: Text
    vat_id: Optional[Text] = None
    address: Optional[Text] = None
    contacts: tuple[Contact, ...] = Field(default=())
    contracts: tuple[Contract, ...] = Field(default=())
    packages: tuple[Package, ...] = Field(default=())
    logins: tuple[Login, ...] = Field(default=(), description="Who may open this customer's private site (HTTP basic authentication)")
    team: tuple[Ident, ...] = Field(
        default=(), description="Ids of the provider's team members who look after this customer: its site shows their contacts"
    )

    @field_validator("logins")
    @classmethod
    def _distinct_users(cls, logins: tuple[Login, ...]) -> tuple[Login, ...]:
        return distinct_users(logins, "logins")

    def contract_on(self, day: dt.date) -> Optional[Contract]:
        for contract in self.contracts:
            if contract.covers(day):
                return contract
        return None


# ---------------------------------------------------------------- tickets

EventKind = Literal["acknowledged", "confirmed", "rescheduled", "waiting", "resumed", "resolved", "reopened",
                    "priority", "assigned", "cancelled"]

#: What each field of a log event belongs to: the events that carry it.
_EVENT_FIELDS = {
    "planned": ("confirmed", "rescheduled"),
    "mode": ("confirmed", "rescheduled"),
    "expected": ("confirmed", "rescheduled"),
    "side": ("rescheduled",),
    "to": ("priority", "assigned"),
    "reason": ("cancelled",),
}
#: What each event needs, and why.
_EVENT_NEEDS = {
    "confirmed": ("planned", "planned: the time of the intervention"),
    "rescheduled": ("planned", "planned: the time of the intervention"),
    "priority": ("to", "to: the new priority"),
    "assigned": ("to", "to: the team member now in charge"),
    "cancelled": ("reason", "reason: duplicate, withdrawn, or a text"),
}


def _a(word: str) -> str:
    """The word after its indefinite article."""
    return ("an " if word[0] in "aeiou" else "a ") + word


class LogEvent(Record):
    at: Timestamp
    event: EventKind
    by: Optional[Ident] = None
    planned: Optional[Timestamp] = None
    mode: Optional[Mode] = None
    expected: Optional[Duration] = None
    side: Optional[Literal["customer", "provider"]] = None
    to: Optional[Ident] = Field(default=None, description="priority: the new priority; assigned: the team member")
    reason: Optional[Text] = Field(default=None, description="cancelled: duplicate, withdrawn, or a text")
    note: Optional[Text] = None

    @model_validator(mode="after")
    def _fields_of_event(self) -> "LogEvent":
        needed = _EVENT_NEEDS.get(self.event)
        if needed is not None and getattr(self, needed[0]) is None:
            raise ValueError(f"{_a(self.event)} event needs {needed[1]}")
        if self.event == "rescheduled" and self.side is None:
            raise ValueError("a rescheduled event needs side: customer or provider")
        extra = [k for k, events in _EVENT_FIELDS.items() if self.event not in events and getattr(self, k) is not None]
        if extra:
            owners = sorted({e for k in extra for e in _EVENT_FIELDS[k]})
            raise ValueError(f"{', '.join(extra)} only belongs to {' or '.join(map(_a, owners))} event")
        return self


class Part(Record):
    code: Optional[Text] = None
    name: Text
    qty: Number = Decimal(1)
    price: Money
    approved: Optional[Timestamp] = Field(default=None, description="When the customer approved the part")


class Intervention(Record):
    """A work report: who, how, when, what came of it, what was used."""

    technician: Ident
    mode: Mode
    start: Timestamp
    end: Timestamp
    outcome: Literal["resolved", "unresolved", "continues"]
    warranty: Flag = False
    report: Text
    parts: tuple[Part, ...] = Field(default=())

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            tz = (info.context or {}).get("tz") or dt.timezone.utc
            raise ValueError(f"end {end.astimezone(tz):%Y-%m-%d %H:%M} is not after start {start.astimezone(tz):%Y-%m-%d %H:%M}")
        return end

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start


class Ticket(TopRecord):
    """One request and everything done about it."""

    id: Optional[Ident] = None
    customer: Ident
    title: Text
    reported: Timestamp
    via: Optional[Literal["phone", "email", "portal", "monitoring", "visit"]] = None
    reported_by: Optional[Text] = None
    priority: Ident
    users_blocked: Optional[Count] = None
    incident: Optional[Ident] = None
    description: Optional[Text] = None
    log: tuple[LogEvent, ...] = Field(default=())
    interventions: tuple[Intervention, ...] = Field(default=())


# ---------------------------------------------------------------- issued statements


class IssuedLine(Record):
    kind: Text
    ticket: Optional[Ident] = None
    description: Text = ""
    amount: SignedMoney


class IssuedStatement(TopRecord):
    """A statement as it was issued: its figures may not change any more."""

    id: Optional[Ident] = None
    number: Ident = Field(description="Sequential per year, e.g. 2026-0001")
    customer: Ident
    month: Month
    issued: Date
    taxable: SignedMoney
    vat: SignedMoney
    total: SignedMoney
    lines: tuple[IssuedLine, ...] = Field(default=())


class Adjustment(TopRecord):
    """A correction of an issued statement, carried as a line into a later one."""

    id: Optional[Ident] = None
    corrects: Ident = Field(description="The number of the issued statement whose figures changed")
    customer: Ident
    month: Month = Field(description="The statement (YYYY-MM) that carries the correction")
    date: Date
    amount: SignedMoney = Field(description="Taxable amount added to (or, negative, taken from) that statement")
    reason: Text
    tickets: tuple[Ident, ...] = Field(default=())


KINDS: dict[str, type[Record]] = {
    "provider": Provider,
    "plan": Plan,
    "customer": Customer,
    "ticket": Ticket,
}
