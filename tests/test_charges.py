"""Charges and statements, with hand-computed figures for every rule of the format.

Annual plan of the fixture: on site 48.00/h (45.00 for a contract that
negotiated it), remote 40.00/h, phone 40.00/h, call-out 35.00, increment 15m,
minimum 30m; phone: 60 minutes included a month, calls rounded up to 5m; fee
120.00 a month. Urgent late arrivals are waived; normal ones lose 20% per
started hour. VAT 22%.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ON_DEMAND, ROOT, SHARED

GAMMA = "name: Gamma S.r.l.\ncontracts:\n  - {plan: annual, from: 2026-01-01, to: 2026-12-31}\n"


def ticket(reported: str, priority: str = "normal", log: str = "", works: str = "", customer: str = "gamma") -> str:
    text = f"customer: {customer}\ntitle: Case\nreported: {reported}\npriority: {priority}\n"
    if log:
        text += "log:\n" + log
    if works:
        text += "interventions:\n" + works
    return text


def work(start: str, end: str, mode: str = "onsite", outcome: str = "resolved", extra: str = "", tech: str = "gbianchi") -> str:
    return f"  - {{technician: {tech}, mode: {mode}, start: {start}, end: {end}, outcome: {outcome}, report: Done.{', ' + extra if extra else ''}}}\n"


def confirmed(when: str, planned: str) -> str:
    return f"  - {{at: {when}, event: confirmed, by: gbianchi, planned: {planned}}}\n"


@pytest.fixture
def data(repo):
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.write("contracts/customers/gamma.yaml", GAMMA)
    return repo


def statement(repo, customer: str = "gamma", month: str = "2026-11") -> dict:
    result = repo.run("statement", "--month", month, "--customer", customer, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def amounts(st: dict, kind: str, ticket: str | None = None) -> list[str]:
    return [l["amount"] for l in st["lines"] if l["kind"] == kind and (ticket is None or l["ticket"] == ticket)]


def reasons(st: dict) -> list[tuple[str, str]]:
    return [(l["reason"], l["amount"]) for l in st["lines"] if l["kind"] == "discount"]


def test_labour_rounding_and_minimum(data):
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 10:20")))  # 20m -> 30m minimum
    data.ticket("20261104-gamma-bbbb", ticket("2026-11-04 09:00", works=work("2026-11-04 10:00", "2026-11-04 10:50")))  # 50m -> 1h
    data.ticket("20261105-gamma-cccc", ticket("2026-11-05 09:00", works=work("2026-11-05 10:00", "2026-11-05 10:31", "remote")))  # 31m -> 45m
    st = statement(data)
    labour = {l["ticket"]: (l["quantity"], l["unit_price"], l["amount"]) for l in st["lines"] if l["kind"] == "labour"}
    assert labour == {
        "20261103-gamma-aaaa": ("0.50", "48.00", "24.00"),
        "20261104-gamma-bbbb": ("1.00", "48.00", "48.00"),
        "20261105-gamma-cccc": ("0.75", "40.00", "30.00"),
    }


def test_callout_for_onsite_only(data):
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00")))
    data.ticket("20261104-gamma-bbbb", ticket("2026-11-04 09:00", works=work("2026-11-04 10:00", "2026-11-04 11:00", "remote")))
    st = statement(data)
    assert amounts(st, "callout") == ["35.00"]
    # fee 120 + on site 48 + call-out 35 + remote 40 = 243.00; VAT 53.46
    assert (st["taxable"], st["vat"], st["total"]) == ("243.00", "53.46", "296.46")


def test_negotiated_rate(data):
    data.write("contracts/customers/gamma.yaml", GAMMA.replace("to: 2026-12-31}", "to: 2026-12-31, rates: {onsite_hour: 45.00, callout: 30.00}}"))
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00")))
    st = statement(data)
    assert amounts(st, "labour") == ["45.00"] and amounts(st, "callout") == ["30.00"]


def test_warranty_is_free_but_reported(data):
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work(
        "2026-11-03 10:00", "2026-11-03 11:00", extra="warranty: true, parts: [{name: Disk, qty: 2, price: 30.25}]")))
    st = statement(data)
    assert amounts(st, "labour") == ["48.00"] and amounts(st, "part") == ["60.50"]
    assert reasons(st) == [("warranty", "-143.50")]
    assert st["taxable"] == "120.00"


def test_free_repeat_visit(data):
    works = work("2026-11-03 10:00", "2026-11-03 11:00", outcome="unresolved") + work("2026-11-04 09:00", "2026-11-04 10:30")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", "urgent", works=works))
    st = statement(data)
    assert amounts(st, "labour") == ["48.00", "72.00"]
    assert reasons(st) == [("repeat_visit", "-107.00")]  # 72.00 + 35.00 of the second visit


def test_late_urgent_arrival_is_waived_but_parts_are_charged(data):
    # reported 09:00, due 14:30 (lunch break), arrival 15:00
    works = work("2026-11-03 15:00", "2026-11-03 16:00", extra="parts: [{name: Cable, qty: 1, price: 9.90}]")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", "urgent", works=works))
    st = statement(data)
    assert reasons(st) == [("late", "-83.00")]
    assert "no call-out, no labour" in next(l["description"] for l in st["lines"] if l["kind"] == "discount")
    assert amounts(st, "part") == ["9.90"] and st["taxable"] == "129.90"


def test_late_discount_by_started_hours(data):
    # appointment 10:00, arrival 11:10: 70 minutes = 2 started hours = 40% of (48 + 35)
    log = confirmed("2026-11-03 09:30", "2026-11-04 10:00")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", log=log, works=work("2026-11-04 11:10", "2026-11-04 12:10")))
    st = statement(data)
    line = next(l for l in st["lines"] if l["kind"] == "discount")
    assert (line["reason"], line["amount"], line["description"]) == ("late", "-33.20", "Late arrival, 2 started hours: 40%")


def test_late_discount_by_full_hours(data):
    plan = ON_DEMAND.replace("    targets: {confirm: 16h}", "    targets: {confirm: 16h}\n    late: {discount_per_full_hour: 10%}")
    data.write("contracts/plans/on-demand.yaml", plan)
    data.write("contracts/customers/gamma.yaml", "name: Gamma S.r.l.\n")
    # appointment 10:00, arrival 11:50: 110 minutes = 1 full hour = 10% of (65 + 40)
    log = confirmed("2026-11-03 09:30", "2026-11-04 10:00")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", log=log, works=work("2026-11-04 11:50", "2026-11-04 12:30")))
    st = statement(data)
    assert reasons(st) == [("late", "-10.50")]
    assert st["lines"][0]["description"].startswith("On-site labour") and amounts(st, "labour") == ["65.00"]  # 40m -> 1h minimum


def test_month_without_contract_uses_on_demand(data):
    data.write("contracts/customers/gamma.yaml", "name: Gamma\ncontracts:\n  - {plan: annual, from: 2026-12-01}\n")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:10")))
    st = statement(data)
    # on demand: 1h10m -> 1h30m (30m increments) x 65.00 = 97.50, call-out 40.00, no fee
    assert amounts(st, "labour") == ["97.50"] and amounts(st, "callout") == ["40.00"] and amounts(st, "fee") == []
    assert statement(data, month="2026-12")["lines"][0]["kind"] == "fee"


def test_contract_fee_for_months_that_overlap(data):
    data.write("contracts/customers/gamma.yaml", "name: Gamma\ncontracts:\n  - {plan: annual, from: 2026-11-20, to: 2027-01-10}\n")
    assert amounts(statement(data, month="2026-10"), "fee") == []
    assert amounts(statement(data, month="2026-11"), "fee") == ["120.00"]
    assert amounts(statement(data, month="2027-01"), "fee") == ["120.00"]
    assert amounts(statement(data, month="2027-02"), "fee") == []


def test_phone_minutes_under_and_over_the_included(data):
    calls = "".join(work(f"2026-11-{d:02d} 10:00", f"2026-11-{d:02d} 10:{m:02d}", "phone") for d, m in ((3, 12), (4, 21), (5, 18)))
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=calls))
    st = statement(data)
    # 12 -> 15, 21 -> 25, 18 -> 20: 60 minutes, all included
    assert [(l["quantity"], l["amount"]) for l in st["lines"] if l["kind"] == "phone"] == [("0.00", "0.00")]
    more = work("2026-11-06 10:00", "2026-11-06 10:07", "phone")
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=calls + more))
    st = statement(data)
    # 7 -> 10 minutes over: 10/60 h x 40.00 = 6.67
    assert [(l["quantity"], l["amount"]) for l in st["lines"] if l["kind"] == "phone"] == [("0.17", "6.67")]
    assert "70 min, 60 min included" in next(l["description"] for l in st["lines"] if l["kind"] == "phone")


def test_packages_drawn_oldest_first_across_two_and_expiry(data):
    data.write("contracts/customers/gamma.yaml", GAMMA + "packages:\n"
               "  - {bought: 2026-10-01, hours: 2, price: 90.00, expires: 2026-11-04}\n"
               "  - {bought: 2026-11-02, hours: 5, price: 220.00}\n")
    works = work("2026-11-03 10:00", "2026-11-03 11:30")  # 1.5 h from the old package (0.5 h left in it)
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=works))
    works = work("2026-11-04 09:00", "2026-11-04 10:00", "remote")  # 0.5 h old + 0.5 h new
    data.ticket("20261104-gamma-bbbb", ticket("2026-11-04 08:40", works=works))
    works = work("2026-11-05 09:00", "2026-11-05 10:00", "remote")  # old one expired: 1 h from the new
    data.ticket("20261105-gamma-cccc", ticket("2026-11-05 08:40", works=works))
    st = statement(data)
    prepaid = [(l["ticket"], l["quantity"], l["amount"]) for l in st["lines"] if l.get("reason") == "prepaid"]
    assert prepaid == [
        ("20261103-gamma-aaaa", "1.50", "-72.00"),
        ("20261104-gamma-bbbb", "0.50", "-20.00"),
        ("20261104-gamma-bbbb", "0.50", "-20.00"),
        ("20261105-gamma-cccc", "1.00", "-40.00"),
    ]
    first = next(l["description"] for l in st["lines"] if l.get("reason") == "prepaid")
    assert first == "Prepaid hours: 1.5 h from the package of 1 October 2026"
    assert amounts(st, "package") == ["220.00"]
    assert st["package_hours_left"] == "3.50"
    assert [p["expired"] for p in st["packages"]] == [True, False]
    assert any("used up" in w for w in st["warnings"])


def test_package_balance_carries_over_months(data):
    data.write("contracts/customers/gamma.yaml", GAMMA + "packages:\n  - {bought: 2026-10-01, hours: 2, price: 90.00}\n")
    data.ticket("20261005-gamma-aaaa", ticket("2026-10-05 09:00", works=work("2026-10-05 10:00", "2026-10-05 11:00")), month="2026/10")
    data.ticket("20261103-gamma-bbbb", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:30")))
    october, november = statement(data, month="2026-10"), statement(data, month="2026-11")
    assert october["package_hours_left"] == "1.00" and amounts(october, "package") == ["90.00"]
    assert november["package_hours_left"] == "0.00"
    # 1 h of 1.5 h covered: 0.5 h charged
    assert [l["amount"] for l in november["lines"] if l.get("reason") == "prepaid"] == ["-48.00"]
    assert any("used up" in w for w in november["warnings"])


def test_vat_rounds_half_up_on_the_taxable_total(data):
    data.write("contracts/customers/gamma.yaml", "name: Gamma\n")
    data.write("contracts/plans/on-demand.yaml", ON_DEMAND.replace("callout: 40.00", "callout: 0.25").replace("onsite_hour: 65.00", "onsite_hour: 0.00"))
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00")))
    st = statement(data)
    assert (st["taxable"], st["vat"], st["total"]) == ("0.25", "0.06", "0.31")  # 0.055 -> 0.06


def test_customer_with_no_activity(data):
    st = statement(data)
    assert [l["kind"] for l in st["lines"]] == ["fee"] and st["total"] == "146.40"
    st = statement(data, customer="beta")
    assert st["lines"] == [] and (st["taxable"], st["vat"], st["total"]) == ("0.00", "0.00", "0.00")


def test_text_and_csv(data):
    data.ticket("20261103-gamma-aaaa", ticket("2026-11-03 09:00", works=work("2026-11-03 10:00", "2026-11-03 11:00")))
    text = data.run("statement", "--month", "2026-11", "--customer", "gamma").stdout
    total = statement(data, customer="gamma")["total"]
    assert text.startswith("Statement November 2026: Gamma S.r.l. (gamma)\n")
    assert text.splitlines()[-1].split() == ["Total", f"€{total}"]
    csv_text = data.run("statement", "--month", "2026-11", "--format", "csv").stdout
    rows = csv_text.splitlines()
    assert rows[0] == "customer,month,date,ticket,kind,reason,description,quantity,unit_price,amount"
    assert "gamma,2026-11,2026-11-03,20261103-gamma-aaaa,labour,,\"On-site labour, 1h\",1.00,48.00,48.00" in rows
    assert any(r.startswith("gamma,2026-11,,,total,") for r in rows)


def test_text_speaks_the_provider_language(tmp_path):
    """The demo provider writes Italian: the text statement reads as an Italian customer expects."""
    from click.testing import CliRunner

    from gitdesk.main import cli

    env = {"GITDESK_CACHE_DIR": str(tmp_path / "cache")}
    args = ["--repo", str(ROOT), "statement", "--month", "2026-10", "--customer", "brivio"]
    text = CliRunner().invoke(cli, args, env=env).stdout
    data = json.loads(CliRunner().invoke(cli, args + ["--format", "json"], env=env).stdout)
    lines = text.splitlines()
    assert lines[0] == "Rendiconto ottobre 2026: Officine Meccaniche Brivio S.r.l. (brivio)"
    assert lines[3] == "Bozza: non ancora emesso"
    italian_total = f"{Decimal(data['total']):,.2f}".translate(str.maketrans(",.", ".,"))  # 3.239,59
    assert next(l for l in lines if l.strip().startswith("Totale")).split() == ["Totale", italian_total, "€"]
    assert any("Canone, Contratto di assistenza annuale, ottobre 2026" in l for l in lines)
    assert any("valido fino all'11 ottobre 2027" in l for l in lines)


def test_usage(data):
    assert data.run("statement").exit_code == 2
    assert data.run("statement", "--month", "11-2026").exit_code == 2
    assert data.run("statement", "--month", "2026-11", "--customer", "nobody").exit_code == 2


@pytest.mark.skipif(not (SHARED / "conformance/check.py").exists(), reason="the conformance cases are not beside the project")
def test_conformance_statements():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(SHARED / "conformance/check.py"), str(SHARED / "conformance/basic"),
                          "--gitdesk", f"{sys.executable} -m gitdesk"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_descriptions_write_hours_and_days_as_the_provider_locale_does():
    import datetime as dt

    from gitdesk.text.i18n import charge_text

    assert charge_text("it", "prepaid", h=Decimal("9.25"), d=dt.date(2026, 4, 20)) == "Ore prepagate: 9,25 h dal pacchetto del 20 aprile 2026"
    assert charge_text("en", "package", h=Decimal("10.00")) == "Prepaid hours package, 10 h"
    assert charge_text("it", "low", d=dt.date(2026, 4, 20), h=Decimal("4.50")) == "Il pacchetto acquistato il 20 aprile 2026 ha 4,5 h residue (meno del 20%)."


def test_italian_descriptions_elide_before_the_eighth_and_eleventh_and_name_the_month():
    import datetime as dt

    from gitdesk.text.i18n import charge_text, month_text

    assert charge_text("it", "package_until", h=Decimal("10"), d=dt.date(2027, 10, 11)) == "Pacchetto di ore prepagate, 10 h, valido fino all'11 ottobre 2027"
    assert charge_text("it", "prepaid", h=Decimal("1"), d=dt.date(2026, 4, 8)) == "Ore prepagate: 1 h dal pacchetto dell'8 aprile 2026"
    assert charge_text("it", "used_up", d=dt.date(2026, 5, 11)) == "Il pacchetto acquistato l'11 maggio 2026 è esaurito."
    assert charge_text("it", "prepaid", h=Decimal("1"), d=dt.date(2026, 4, 18)) == "Ore prepagate: 1 h dal pacchetto del 18 aprile 2026"
    assert charge_text("en", "package_until", h=Decimal("10"), d=dt.date(2027, 10, 11)) == "Prepaid hours package, 10 h, valid until 11 October 2027"
    assert charge_text("it", "fee", plan="Annuale", month=month_text("it", dt.date(2026, 10, 1))) == "Canone, Annuale, ottobre 2026"
    assert month_text("en", dt.date(2026, 10, 1)) == "October 2026"


def test_charges_reuse_an_evaluation_made_after_everything_recorded():
    """Build and check evaluate each ticket at --now; the charges use that result
    only when nothing the ticket records comes later, and agree with a fresh one."""
    import datetime as dt

    from conftest import ROOT
    from gitdesk.core import sla
    from gitdesk.core.charges import charges_as_recorded
    from gitdesk.load.loader import load

    demo = load(ROOT, jobs=1)
    priced = [t for t in demo.tickets.values() if t.interventions]
    assert len(priced) > 50
    for ticket in priced:
        latest = sla.as_recorded(ticket)
        fresh = charges_as_recorded(demo, ticket)
        later = latest + dt.timedelta(days=3)
        assert charges_as_recorded(demo, ticket, (later, sla.Evaluation(later)(demo, ticket))) == fresh
        # an evaluation before the last record is not used, whatever it says
        earlier = ticket.reported
        assert charges_as_recorded(demo, ticket, (earlier, sla.evaluate(demo, ticket, earlier))) == fresh


@given(st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
def test_quantities_are_written_exactly_with_at_least_two_decimals(value):
    from gitdesk.core.charges import decimal_text, quantity_places

    text = decimal_text(value)
    assert Decimal(text) == value and len(text.split(".")[1]) == quantity_places(value) >= 2


def test_every_customers_json_is_a_list_of_the_single_statements():
    """Without --customer: one statement per line, each the same as asked for alone."""
    from click.testing import CliRunner

    from gitdesk.main import cli

    def run(*args):
        result = CliRunner().invoke(cli, ["--repo", str(ROOT), "statement", "--month", "2026-10", "--format", "json", *args],
                                    env={"GITDESK_NO_CACHE": "1"})
        assert result.exit_code == 0, result.output
        return result.stdout

    text = run()
    every = json.loads(text)
    assert len(every) == len(text.strip().splitlines()) - 2 >= 4
    for one in every:
        assert one == json.loads(run("--customer", one["customer"]))
