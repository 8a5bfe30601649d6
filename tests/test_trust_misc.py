"""Smaller leaks and tracebacks on valid data (issue 17, items 7 and 9).

- numbers, durations, dates and times are read with the digits 0-9 only;
- amounts are capped, so that charges cannot overflow Decimal arithmetic;
- a target too long for its calendar is an error at its line, and a long one is computed exactly;
- statement CSV text cells cannot start a spreadsheet formula, figures stay numbers;
- nginx answers the same for every customer folder, existing or not;
- the JSON Schemas accept what ``gitdesk validate`` accepts for money and durations.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import json
import re
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import ANNUAL, PROVIDER, TICKET
from gitdesk.core import calendar
from gitdesk.core import scalars
from gitdesk.portal import webserver
from gitdesk.load import yamlsrc
from test_access import nginx_portal  # noqa: F401  (a fixture: a real nginx serving the portal)
from test_schema import Yaml12Loader, schema

# ---------------------------------------------------------------- digits 0-9 only

#: Every decimal digit of Unicode that is not 0-9, by its value.
FOREIGN = {}
for code in range(0x80, 0x110000):
    ch = chr(code)
    if unicodedata.category(ch) == "Nd":
        FOREIGN.setdefault(int(unicodedata.digit(ch)), []).append(ch)

ROME = ZoneInfo("Europe/Rome")
#: The documented limits (README): amounts, and quantities or hours.
MAX_MONEY, MAX_NUMBER, CENT = Decimal("999999999.99"), Decimal("999999999.9999"), Decimal("0.01")
PARSERS = {
    "duration": (scalars.parse_duration, st.builds(lambda h, m: f"{h}h{m:02d}m", st.integers(0, 99999), st.integers(0, 59))),
    "money": (scalars.parse_money, st.decimals(0, MAX_MONEY, places=2).map(lambda d: f"{d:.2f}")),
    "signed money": (scalars.parse_signed_money, st.decimals(-MAX_MONEY, MAX_MONEY, places=2).map(lambda d: f"{d:.2f}")),
    "number": (scalars.parse_decimal, st.decimals(0, MAX_NUMBER, places=4).map(str)),
    "percent": (scalars.parse_percent, st.decimals(0, 100, places=2).map(lambda d: f"{d}%")),
    "date": (scalars.parse_date, st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)).map(str)),
    "clock": (scalars.parse_clock, st.times().map(lambda t: f"{t:%H:%M}")),
    "timestamp": (lambda text: scalars.parse_timestamp(text, ROME),
                  st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(2999, 12, 30)).map(lambda d: f"{d:%Y-%m-%d %H:%M}+01:00")),
}


@pytest.mark.parametrize("kind", list(PARSERS))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_digit_of_another_script_is_refused_and_ascii_digits_parse_as_before(kind, data):
    parse, texts = PARSERS[kind]
    text = data.draw(texts)
    expected = parse(text)  # the ASCII text parses
    positions = [i for i, ch in enumerate(text) if ch in "0123456789"]
    i = data.draw(st.sampled_from(positions))
    foreign = data.draw(st.sampled_from(FOREIGN[int(text[i])]))
    changed = text[:i] + foreign + text[i + 1:]
    with pytest.raises(ValueError, match="digit other than 0-9"):
        parse(changed)
    assert parse(text) == expected


@pytest.mark.parametrize("field,text", [("price", "١٠.٠٠"), ("price", "８9.00"), ("start", "2026-11-03 １2:05")])
def test_validate_locates_a_number_written_with_other_digits(repo, field, text):
    original = {"price": "89.00", "start": "2026-11-03 12:05"}[field]
    repo.ticket("20261103-acme-psu1", TICKET.replace(f"{field}: {original}", f"{field}: {text}"))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert re.search(r"tickets/2026/11/20261103-acme-psu1\.yaml:\d+:\d+: .*digit other than 0-9", result.output), result.output


def test_a_duration_with_other_digits_is_located_in_the_plan(repo):
    repo.write("contracts/plans/annual.yaml", ANNUAL.replace("targets: {onsite: 4h}", "targets: {onsite: ８h}"))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "contracts/plans/annual.yaml:7:" in result.output and "digit other than 0-9" in result.output


@pytest.mark.parametrize("args", [("sla", "--month", "2026-١١"), ("statement", "--month", "２026-11"),
                                  ("sla", "--now", "2026-11-30 1８:00"), ("build", "--shard", "１/2")])
def test_command_line_numbers_take_the_digits_0_to_9_only(repo, args):
    result = repo.run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the largest amounts


@given(st.decimals(0, MAX_MONEY, places=2), st.decimals(0, MAX_NUMBER, places=4), st.integers(1, 10**6))
def test_amounts_up_to_the_maximum_never_overflow_and_larger_ones_are_refused(price, qty, lines):
    assert scalars.parse_money(f"{price:.2f}") == price
    with pytest.raises(ValueError, match="too large"):
        scalars.parse_money(f"{price + MAX_MONEY + CENT:.2f}")
    assert scalars.parse_decimal(str(qty)) == qty
    amount = scalars.round_cents(price * qty)  # a part's line
    assert abs(amount - price * qty) <= Decimal("0.005")
    total = scalars.round_cents(amount * lines)  # a statement of many such lines
    vat = scalars.round_cents(total * Decimal("99.9999") / 100)
    assert total + vat >= total


@pytest.mark.parametrize("text", [str(MAX_MONEY + CENT), "1000000000", "999999999999.99", "9" * 40])
def test_an_amount_above_the_maximum_is_refused(text):
    with pytest.raises(ValueError, match="too large: an amount is at most 999999999.99"):
        scalars.parse_money(text)
    with pytest.raises(ValueError, match="too large"):
        scalars.parse_signed_money("-" + text)


def test_validate_locates_an_amount_above_the_maximum(repo):
    repo.ticket("20261103-acme-psu1", TICKET.replace("price: 89.00", "price: 999999999999.99"))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "tickets/2026/11/20261103-acme-psu1.yaml:22:66: price: amount" in result.output and "at most 999999999.99" in result.output


# ---------------------------------------------------------------- targets and sparse calendars

LEAN = PROVIDER.replace('    closed: [2026-08-14, 2026-12-07]\n',
                        '    closed: [2026-08-14, 2026-12-07]\n  lean:\n    hours:\n      sun: ["08:00-08:01"]\n')


@pytest.mark.parametrize("case", ["long target", "sparse calendar"])
@pytest.mark.parametrize("command", ["sla", "check", "statement", "build"])
def test_a_target_beyond_its_calendar_is_an_error_at_its_line(repo, tmp_path, case, command):
    if case == "long target":
        repo.write("contracts/plans/annual.yaml", ANNUAL.replace("targets: {onsite: 4h}", "targets: {onsite: 4h, resolve: 99999h}"))
        where, message = "contracts/plans/annual.yaml:7:", "in calendar 'office' (43h a week): write at most 11180h"
    else:
        repo.write("contracts/provider.yaml", LEAN)
        repo.write("contracts/plans/annual.yaml", ANNUAL.replace("calendar: office", "calendar: lean"))
        where, message = "contracts/plans/annual.yaml:10:24:", "in calendar 'lean' (1m a week): write at most 4h20m"
    args = {"sla": ["sla", "--now", "2026-11-22 12:00"], "check": ["check"], "statement": ["statement", "--month", "2026-11"],
            "build": ["build", "--out", str(tmp_path / "site"), "--now", "2026-11-22 12:00"]}[command]
    result = repo.run(*args)  # a traceback would raise here
    assert result.exit_code == 1, result.output
    assert where in result.output and "this target needs more than 5 years of working time" in result.output
    assert message in result.output


def _walk(cal: calendar.WorkCalendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The due time found by walking every day, however far."""
    t, remaining, ordinal = start.timestamp(), duration.total_seconds(), cal._day_of(start.timestamp())
    while True:
        for ws, we in cal.windows(dt.date.fromordinal(ordinal)):
            if we > t:
                begin = max(ws, t)
                if remaining <= we - begin:
                    return dt.datetime.fromtimestamp(begin + remaining, dt.timezone.utc)
                remaining -= we - begin
        ordinal += 1


OFFICE_WEEK = [[(510, 750), (840, 1080)]] * 5 + [[(540, 720)], []]


@settings(max_examples=40, deadline=None)
@given(st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2030, 12, 31)), st.integers(0, 44 * 60 * 52 * 5))
@example(dt.datetime(2026, 11, 3, 9, 10), 44 * 60 * 52 * 4)  # four years of working time: beyond the old 1098 days
def test_a_target_of_years_of_working_time_is_due_exactly(start, minutes):
    cal = calendar.WorkCalendar(OFFICE_WEEK, ROME, "IT", [dt.date(2027, 5, 3), dt.date(2029, 1, 2)])
    moment = start.replace(tzinfo=dt.timezone.utc)
    assert cal.add(moment, dt.timedelta(minutes=minutes)) == _walk(cal, moment, dt.timedelta(minutes=minutes))


def test_a_calendar_closed_for_years_still_gives_the_due_time():
    closed = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(4 * 365)]
    cal = calendar.WorkCalendar(OFFICE_WEEK, ROME, None, closed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert cal.add(start, dt.timedelta(hours=4)) == dt.datetime(2029, 12, 31, 11, 30, tzinfo=dt.timezone.utc)
    with pytest.raises(calendar.BeyondHorizon):  # more than a century: refused at once, not walked
        calendar.WorkCalendar([[]] * 6 + [[(480, 481)]], ROME).add(start, dt.timedelta(hours=99999))


# ---------------------------------------------------------------- statement CSV

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "\tTAB", "\r=1"]


def test_csv_text_cells_cannot_start_a_formula_and_figures_stay_numbers(repo):
    parts = "".join(f"      - {{name: {json.dumps(name)}, qty: 1, price: 1.00, approved: 2026-11-03 12:20}}\n" for name in FORMULAS)
    repo.ticket("20261103-acme-psu1", TICKET + parts)
    result = repo.run("statement", "--month", "2026-11", "--customer", "acme", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output, newline="")))
    descriptions = {row["description"] for row in rows if row["kind"] == "part"}
    assert {"'" + name.replace("\r", "\n") for name in FORMULAS} <= descriptions
    for row in rows:
        for field in ("customer", "month", "date", "ticket", "kind", "reason", "description"):
            assert not row[field].startswith(("=", "+", "-", "@", "\t", "\r", "\n")) and "\r" not in row[field], row
        for field in ("quantity", "unit_price", "amount"):
            Decimal(row[field])  # a number, as a spreadsheet reads it
    discounts = [row for row in rows if row["kind"] == "discount"]
    assert discounts and all(re.fullmatch(r"-[0-9]+\.[0-9]{2}", row["amount"]) for row in discounts)


# ---------------------------------------------------------------- nginx: one answer for every customer folder


def _answer(port: int, path: str) -> tuple[int, str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("WWW-Authenticate"), len(response.read())
    finally:
        conn.close()


def test_nginx_answers_the_same_for_a_customer_that_exists_and_one_that_does_not(nginx_portal):  # noqa: F811
    port = nginx_portal
    answers = {path: _answer(port, path) for path in (
        "/customers/acme/", "/customers/beta/", "/customers/no-such-customer/", "/customers/zz/",
        "/customers/acme/tickets/", "/customers/no-such-customer/tickets/",
    )}
    assert set(answers.values()) == {(401, f'Basic realm="{webserver.REALM}"', answers["/customers/acme/"][2])}, answers


def test_no_configuration_names_a_customer_in_its_realm(repo):
    from gitdesk.load.loader import load

    repo.write("contracts/customers/acme.yaml", repo.root.joinpath("contracts/customers/acme.yaml").read_text()
               + 'logins:\n  - {user: mrossi, hash: "$2b$12$' + "a" * 53 + '"}\n')
    loaded = load(repo.root)
    nginx = webserver.nginx_server(loaded, repo.root / "out")
    apache = webserver.apache_config(loaded, repo.root / "out")
    caddy = webserver.caddyfile(loaded, repo.root / "out")
    realms = re.findall(r'auth_basic "([^"]*)"', nginx) + re.findall(r'AuthName "([^"]*)"', apache) \
        + re.findall(r'basic_auth bcrypt "([^"]*)"', caddy)
    # the customers' one realm, and the staff site's own: neither names a customer
    assert len(realms) >= 5 and set(realms) == {webserver.REALM, webserver.STAFF_REALM}
    assert "deny all; }  # no logins" not in nginx and "Require all denied" not in apache.split("/customers")[1]


# ---------------------------------------------------------------- JSON Schemas and validate agree


def _schemas():
    ticket, plan = schema("ticket"), schema("plan")
    return ticket["$defs"]["Part"]["properties"]["price"], plan["$defs"]["Rates"]["properties"]["increment"]


MONEY_SCHEMA, DURATION_SCHEMA = _schemas()


def _validate_accepts(parse, document: str) -> bool:
    value = yamlsrc.load(document.encode())["x"]
    try:
        parse(value)
    except ValueError:
        return False
    return True


def _schema_accepts(sub: dict, value) -> bool:
    return jsonschema.Draft202012Validator(sub).is_valid(value)


def _agree(parse, sub: dict, text: str, number_exceptions: bool) -> None:
    quoted = f"x: {json.dumps(text)}\n"
    assert _validate_accepts(parse, quoted) == _schema_accepts(sub, yaml.load(quoted, Loader=Yaml12Loader)["x"]), text
    plain = f"x: {text}\n"
    try:
        typed = yaml.load(plain, Loader=Yaml12Loader)["x"]
        ours = _validate_accepts(parse, plain)
    except (yaml.YAMLError, TypeError, KeyError):
        return  # not a plain scalar in YAML
    theirs = _schema_accepts(sub, typed)
    if isinstance(typed, str) or typed is None or not number_exceptions:
        assert ours == theirs, (text, typed)
        return
    # An editor holds a YAML number as a binary float: the schema checks its sign and size.
    assert theirs or not ours, (text, typed)  # nothing validate accepts is refused while typing
    if theirs and not ours and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text.strip()) and float(text) == typed:
        with pytest.raises(ValueError, match="more than two decimals"):
            parse(text.strip())  # the one thing a float cannot tell: its number of decimals


MONEY_TEXTS = st.one_of(
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,4})?", fullmatch=True),
    st.text(alphabet="0123456789.-+e_ \t\u00a0\u3000" + "".join(FOREIGN[1][:3]), max_size=14),
)


@settings(max_examples=400)
@given(MONEY_TEXTS)
@example("19.99")
@example("0.1")
@example("1250")
@example("48.00")
@example("89.001")
@example("-1")
@example("1e3")
@example(" 5")
@example("\u3000 7.5\u00a0")
@example("999999999.99")
@example("1000000000")
@example("-0")
@example("0999999999.99")
@example("١٠.٠٠")
@example("")
def test_the_schema_accepts_exactly_the_money_validate_accepts(text):
    _agree(scalars.parse_money, MONEY_SCHEMA, text, number_exceptions=True)


@settings(max_examples=300)
@given(st.one_of(st.from_regex(r"[0-9]{0,7}h?[0-9]{0,8}m?", fullmatch=True),
                 st.text(alphabet="0123456789hm. -\t" + FOREIGN[8][0], max_size=12)))
@example("45m")
@example("4h")
@example("1h30m")
@example("90")
@example("1h 30m")
@example(" 4h ")
@example("８h")
@example("99999h999999m")
@example("100000h")
@example("")
@example("h")
def test_the_schema_accepts_exactly_the_durations_validate_accepts(text):
    _agree(scalars.parse_duration, DURATION_SCHEMA, text, number_exceptions=False)


@pytest.mark.parametrize("plain,quoted", [("19.99", True), ("0.1", True), ("1250", True), ("999999999.99", True),
                                          ("-1", False), ("1e3", False), ("1000000000", False)])
def test_the_schema_on_the_prices_of_issue_17(plain, quoted):
    assert _schema_accepts(MONEY_SCHEMA, yaml.load(f"x: {plain}", Loader=Yaml12Loader)["x"]) is quoted
    assert _schema_accepts(MONEY_SCHEMA, plain) is quoted
    assert _schema_accepts(MONEY_SCHEMA, "48.00") and _schema_accepts(MONEY_SCHEMA, " 5")
    assert not _schema_accepts(MONEY_SCHEMA, "89.001")


def test_the_schemas_white_space_is_what_validate_strips():
    from gitdesk.core.model import SPACE_CLASS

    assert (scalars.MAX_MONEY, scalars.MAX_NUMBER) == (MAX_MONEY, MAX_NUMBER)
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert spaces == {chr(c) for c in range(0x110000) if re.fullmatch(SPACE_CLASS, chr(c))}
