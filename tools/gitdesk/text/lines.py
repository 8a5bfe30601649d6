"""The words of statement lines and package notices, in English and in Italian.

A :class:`~gitdesk.core.charges.Line` holds facts (its kind, its reason and
a record of what it says); these functions write the sentence a customer
reads, one function per language, wherever a line is shown: the command's
text, JSON and CSV, the portal's pages and the issued statement's file.
Hours and days are written as the language's locale writes them
(``9,25 h``, ``1 h 30 min``, ``20 aprile 2026``); Italian elides before the 8th and the 11th
(``dell'8 marzo``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel import numbers as babel_numbers

from gitdesk.core.charges import (Callout, Correction, Fee, LateDiscount, LateWaived, Labour, Line, Notice, PackageBought,
                                  Part, PhoneCalls, Prepaid, RepeatVisit, Warranty)
from gitdesk.text.i18n import LOCALES, date_text, duration_text, elide, month_text

EN = LOCALES["en"]
IT = LOCALES["it"]


def describe(line: Line, language: str) -> str:
    """A statement line's description in ``language`` (English for a language without its own words)."""
    return italian(line) if language == "it" else english(line)


def notice_text(notice: Notice, language: str) -> str:
    """A package notice in ``language`` (English for a language without its own words)."""
    return italian_notice(notice) if language == "it" else english_notice(notice)


def part_text(part: Part) -> str:
    """A part as named in the work report, with its code when it has one (the same in every language)."""
    return f"{part.name} ({part.code})" if part.code else part.name


def _hours(value: Decimal, locale: str) -> str:
    return babel_numbers.format_decimal(value, locale=locale)


def _day(day: dt.date, locale: str) -> str:
    return date_text(day, "long", locale)


def _month(language: str, month: str) -> str:
    return month_text(language, dt.date(int(month[:4]), int(month[5:7]), 1))


def _duration(minutes: int, language: str) -> str:
    """Worked time as the language writes it: ``1 h 30 min``, ``45 min``."""
    return duration_text(dt.timedelta(minutes=minutes), language)


def _percent(value: Decimal) -> str:
    """A late arrival's percentage as the plan states it (``40``, ``12.5``), in every language."""
    return f"{value.normalize():f}"


# ---------------------------------------------------------------- English


def english(line: Line) -> str:
    """A line's description in English."""
    f = line.facts
    match f:
        case Labour(mode="onsite"):
            return f"On-site labour, {_duration(f.minutes, 'en')}"
        case Labour():
            return f"Remote support, {_duration(f.minutes, 'en')}"
        case Callout():
            return "Call-out fee"
        case Part():
            return part_text(f)
        case PhoneCalls():
            calls = "call" if f.calls == 1 else "calls"
            return f"Phone support: {f.calls} {calls}, {f.minutes} min, {f.included} min included"
        case Fee():
            return f"Contract fee, {f.plan}, {_month('en', f.month)}"
        case PackageBought():
            until = f", valid until {_day(f.expires, EN)}" if f.expires else ""
            return f"Prepaid hours package, {_hours(f.hours, EN)} h{until}"
        case Correction():
            of = f" ({f.month})" if f.month else ""
            return f"Correction of statement {f.number}{of}: {f.reason}"
    return _english_discount(f)


def _english_discount(f: tuple) -> str:
    """A discount's description: warranty, free repeat visit, late arrival, prepaid hours."""
    match f:
        case Warranty():
            return "Warranty: labour, call-out and parts at no charge"
        case RepeatVisit():
            return "Repeat visit after an unresolved intervention: no call-out, no labour"
        case LateWaived():
            return f"Late arrival ({duration_text(f.late, 'en')} of working time): no call-out, no labour"
        case LateDiscount():
            hours = f"{f.hours} {f.rule} hour" + ("" if f.hours == 1 else "s")
            return f"Late arrival, {hours}: {_percent(f.percent)}%"
        case Prepaid(phone=True):
            return f"Prepaid hours: {_hours(f.hours, EN)} h of phone support from the package"
        case Prepaid():
            return f"Prepaid hours: {_hours(f.hours, EN)} h from the package of {_day(f.bought, EN)}"
    raise ValueError(f"no English words for {f!r}")


def english_notice(notice: Notice) -> str:
    """A package notice in English."""
    bought = _day(notice.bought, EN)
    if notice.kind == "low":
        return f"The package bought {bought} has {_hours(notice.hours_left, EN)} h left (less than 20%)."
    if notice.kind == "used_up":
        return f"The package bought {bought} is used up."
    expires = _day(notice.expires, EN) if notice.expires else ""
    return f"The package bought {bought} expired on {expires} with {_hours(notice.hours_left, EN)} h unused."


# ---------------------------------------------------------------- Italian


def italian(line: Line) -> str:
    """A line's description in Italian (the whole sentence elided: "dell'8", "all'11")."""
    f = line.facts
    match f:
        case Labour(mode="onsite"):
            return elide(f"Manodopera sul posto, {_duration(f.minutes, 'it')}")
        case Labour():
            return elide(f"Assistenza remota, {_duration(f.minutes, 'it')}")
        case Callout():
            return "Diritto di chiamata"
        case Part():
            return part_text(f)
        case PhoneCalls():
            calls = "chiamata" if f.calls == 1 else "chiamate"
            return elide(f"Assistenza telefonica: {f.calls} {calls}, {f.minutes} min, {f.included} min inclusi")
        case Fee():
            return elide(f"Canone, {f.plan}, {_month('it', f.month)}")
        case PackageBought():
            until = f", valido fino al {_day(f.expires, IT)}" if f.expires else ""
            return elide(f"Pacchetto di ore prepagate, {_hours(f.hours, IT)} h{until}")
        case Correction():
            of = f" ({f.month})" if f.month else ""
            return elide(f"Rettifica del rendiconto {f.number}{of}: {f.reason}")
    return elide(_italian_discount(f))


_ITALIAN_HOURS = {("started", True): "ora iniziata", ("started", False): "ore iniziate",
                  ("full", True): "ora intera", ("full", False): "ore intere"}


def _italian_discount(f: tuple) -> str:
    """A discount's description: warranty, free repeat visit, late arrival, prepaid hours."""
    match f:
        case Warranty():
            return "Garanzia: manodopera, diritto di chiamata e ricambi senza addebito"
        case RepeatVisit():
            return "Nuova visita dopo un intervento non risolutivo: senza diritto di chiamata né manodopera"
        case LateWaived():
            return f"Arrivo in ritardo ({duration_text(f.late, 'it')} di orario lavorativo): senza diritto di chiamata né manodopera"
        case LateDiscount():
            hours = f"{f.hours} {_ITALIAN_HOURS[f.rule, f.hours == 1]}"
            return f"Arrivo in ritardo, {hours}: {_percent(f.percent)}%"
        case Prepaid(phone=True):
            return f"Ore prepagate: {_hours(f.hours, IT)} h di assistenza telefonica dal pacchetto"
        case Prepaid():
            return f"Ore prepagate: {_hours(f.hours, IT)} h dal pacchetto del {_day(f.bought, IT)}"
    raise ValueError(f"no Italian words for {f!r}")


def italian_notice(notice: Notice) -> str:
    """A package notice in Italian."""
    bought = _day(notice.bought, IT)
    if notice.kind == "low":
        text = f"Il pacchetto acquistato il {bought} ha {_hours(notice.hours_left, IT)} h residue (meno del 20%)."
    elif notice.kind == "used_up":
        text = f"Il pacchetto acquistato il {bought} è esaurito."
    else:
        expires = _day(notice.expires, IT) if notice.expires else ""
        text = f"Il pacchetto acquistato il {bought} è scaduto il {expires} con {_hours(notice.hours_left, IT)} h non usate."
    return elide(text)
