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
    assert "gamma,2026-11,2026-11-03,20261103-gamma-aaaa,labour,,\"On-site labour, 1 h\",1.00,48.00,48.00" in rows
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


def _line(facts):
    from gitdesk.core import charges

    return charges.Line("discount", facts, Decimal(1), Decimal(0), Decimal(0))


def test_descriptions_write_hours_and_days_as_the_provider_locale_does():
    import datetime as dt

    from gitdesk.core.charges import Notice, PackageBought, Prepaid
    from gitdesk.text.lines import describe, notice_text

    assert describe(_line(Prepaid(Decimal("9.25"), dt.date(2026, 4, 20), False)), "it") == "Ore prepagate: 9,25 h dal pacchetto del 20 aprile 2026"
    assert describe(_line(Prepaid(Decimal("2"), dt.date(2026, 3, 1), False)), "it") == "Ore prepagate: 2 h dal pacchetto del 1° marzo 2026"
    assert describe(_line(PackageBought(Decimal("10.00"), None)), "en") == "Prepaid hours package, 10 h"
    assert notice_text(Notice("low", dt.date(2026, 4, 20), Decimal("4.50")), "it") == "Il pacchetto acquistato il 20 aprile 2026 ha 4,5 h residue (meno del 20%)."


def test_italian_descriptions_elide_before_the_eighth_and_eleventh_and_name_the_month():
    import datetime as dt

    from gitdesk.core.charges import Correction, Fee, Notice, PackageBought, Prepaid
    from gitdesk.text.lines import describe, notice_text

    assert describe(_line(PackageBought(Decimal("10"), dt.date(2027, 10, 11))), "it") == "Pacchetto di ore prepagate, 10 h, valido fino all'11 ottobre 2027"
    assert describe(_line(Prepaid(Decimal("1"), dt.date(2026, 4, 8), False)), "it") == "Ore prepagate: 1 h dal pacchetto dell'8 aprile 2026"
    assert notice_text(Notice("used_up", dt.date(2026, 5, 11), Decimal("0.00")), "it") == "Il pacchetto acquistato l'11 maggio 2026 è esaurito."
    assert describe(_line(Prepaid(Decimal("1"), dt.date(2026, 4, 18), False)), "it") == "Ore prepagate: 1 h dal pacchetto del 18 aprile 2026"
    assert describe(_line(PackageBought(Decimal("10"), dt.date(2027, 10, 11))), "en") == "Prepaid hours package, 10 h, valid until 11 October 2027"
    assert describe(_line(Fee("Annuale", "2026-10")), "it") == "Canone, Annuale, ottobre 2026"
    assert describe(_line(Fee("Annual", "2026-10")), "en") == "Contract fee, Annual, October 2026"
    # the whole Italian sentence is elided, the reason given included
    assert describe(_line(Correction("2026-0001", "2026-10", "fattura del 8 ottobre")), "it") == \
        "Rettifica del rendiconto 2026-0001 (2026-10): fattura dell'8 ottobre"


def test_every_kind_of_line_and_notice_in_both_languages():
    """The facts a line holds and the sentence each language makes of them."""
    import datetime as dt

    from gitdesk.core import charges as c
    from gitdesk.text.lines import describe, notice_text

    cases = [
        (c.Labour("onsite", 90), "On-site labour, 1 h 30 min", "Manodopera sul posto, 1 h 30 min"),
        (c.Labour("remote", 45), "Remote support, 45 min", "Assistenza remota, 45 min"),
        (c.Callout(), "Call-out fee", "Diritto di chiamata"),
        (c.Part("Disk", "HD-1"), "Disk (HD-1)", "Disk (HD-1)"),
        (c.Part("Cable", None), "Cable", "Cable"),
        (c.Warranty(), "Warranty: labour, call-out and parts at no charge",
         "Garanzia: manodopera, diritto di chiamata e ricambi senza addebito"),
        (c.RepeatVisit(), "Repeat visit after an unresolved intervention: no call-out, no labour",
         "Nuova visita dopo un intervento non risolutivo: senza diritto di chiamata né manodopera"),
        (c.LateWaived(dt.timedelta(hours=2, minutes=5)), "Late arrival (2 h 5 min of working time): no call-out, no labour",
         "Arrivo in ritardo (2 h 5 min di orario lavorativo): senza diritto di chiamata né manodopera"),
        (c.LateDiscount("started", 1, Decimal("20")), "Late arrival, 1 started hour: 20%", "Arrivo in ritardo, 1 ora iniziata: 20%"),
        (c.LateDiscount("started", 2, Decimal("40")), "Late arrival, 2 started hours: 40%", "Arrivo in ritardo, 2 ore iniziate: 40%"),
        (c.LateDiscount("full", 1, Decimal("12.5")), "Late arrival, 1 full hour: 12.5%", "Arrivo in ritardo, 1 ora intera: 12.5%"),
        (c.LateDiscount("full", 3, Decimal("30.00")), "Late arrival, 3 full hours: 30%", "Arrivo in ritardo, 3 ore intere: 30%"),
        (c.Prepaid(Decimal("1.50"), dt.date(2026, 10, 1), False), "Prepaid hours: 1.5 h from the package of 1 October 2026",
         "Ore prepagate: 1,5 h dal pacchetto del 1° ottobre 2026"),
        (c.Prepaid(Decimal("0.25"), dt.date(2026, 10, 1), True), "Prepaid hours: 0.25 h of phone support from the package",
         "Ore prepagate: 0,25 h di assistenza telefonica dal pacchetto"),
        (c.PhoneCalls(1, 25, 60), "Phone support: 1 call, 25 min, 60 min included", "Assistenza telefonica: 1 chiamata, 25 min, 60 min inclusi"),
        (c.PhoneCalls(3, 70, 60), "Phone support: 3 calls, 70 min, 60 min included", "Assistenza telefonica: 3 chiamate, 70 min, 60 min inclusi"),
        (c.PackageBought(Decimal("1234.5"), None), "Prepaid hours package, 1,234.5 h", "Pacchetto di ore prepagate, 1.234,5 h"),
        (c.Correction("2026-0001", None, "price"), "Correction of statement 2026-0001: price", "Rettifica del rendiconto 2026-0001: price"),
    ]
    for facts, english, italian in cases:
        assert (describe(_line(facts), "en"), describe(_line(facts), "it")) == (english, italian)
        assert describe(_line(facts), "fr") == english  # a language without its own words reads English
    bought, expires = dt.date(2026, 3, 8), dt.date(2026, 11, 11)
    notices = [
        (c.Notice("low", bought, Decimal("1.50")), "The package bought 8 March 2026 has 1.5 h left (less than 20%).",
         "Il pacchetto acquistato l'8 marzo 2026 ha 1,5 h residue (meno del 20%)."),
        (c.Notice("used_up", bought, Decimal("0.00")), "The package bought 8 March 2026 is used up.",
         "Il pacchetto acquistato l'8 marzo 2026 è esaurito."),
        (c.Notice("expired", bought, Decimal("2.00"), expires), "The package bought 8 March 2026 expired on 11 November 2026 with 2 h unused.",
         "Il pacchetto acquistato l'8 marzo 2026 è scaduto l'11 novembre 2026 con 2 h non usate."),
    ]
    for notice, english, italian in notices:
        assert (notice_text(notice, "en"), notice_text(notice, "it")) == (english, italian)


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
        assert charges_as_recorded(demo, ticket, (later, sla.evaluate(demo, ticket, later))) == fresh
        # an evaluation before the last record is not used, whatever it says
        earlier = ticket.reported
        assert charges_as_recorded(demo, ticket, (earlier, sla.evaluate(demo, ticket, earlier))) == fresh


@given(st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
def test_quantities_are_written_exactly_with_at_least_two_decimals(value):
    from gitdesk.text.exports import decimal_text, quantity_places

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


# ---------------------------------------------------------------- several months in one pass


def _demo():
    """The demo repository, loaded once for the tests that only read it, and its customers' charges."""
    global _DEMO
    if _DEMO is None:
        from gitdesk.core.charges import charges_as_recorded
        from gitdesk.load.loader import load

        demo = load(ROOT, jobs=1)
        works: dict[str, list] = {}
        for ticket in demo.tickets.values():
            works.setdefault(ticket.customer, []).extend(charges_as_recorded(demo, ticket))
        _DEMO = (demo, works)
    return _DEMO


_DEMO = None
MONTHS_2026 = [f"2026-{m:02d}" for m in range(1, 13)]


def test_the_statements_of_every_month_are_those_of_each_month_alone():
    from gitdesk.core import charges

    demo, charged = _demo()
    for cid in demo.customers:
        works = charged.get(cid, ())
        assert charges.statements(demo, cid, MONTHS_2026, works) == [charges.statement(demo, cid, m, works) for m in MONTHS_2026]
        some = ["2026-11", "2026-03", "2026-10"]  # any order, a month left out
        assert charges.statements(demo, cid, some, works) == [charges.statement(demo, cid, m, works) for m in some]
    assert charges.statements(demo, "brivio", [], ()) == []


def test_lines_hold_facts_and_every_language_writes_them():
    """No line of the demo carries a sentence: each says what it is, and both languages describe it."""
    from gitdesk.core import charges
    from gitdesk.text.lines import describe, notice_text

    facts = (charges.Labour, charges.Callout, charges.Part, charges.Warranty, charges.RepeatVisit, charges.LateWaived,
             charges.LateDiscount, charges.Prepaid, charges.PhoneCalls, charges.Fee, charges.PackageBought, charges.Correction)
    demo, charged = _demo()
    seen = set()
    for cid in demo.customers:
        for s in charges.statements(demo, cid, MONTHS_2026, charged.get(cid, ())):
            for line in s.lines:
                assert isinstance(line.facts, facts) and not hasattr(line, "description")
                seen.add(type(line.facts))
                assert describe(line, "en") and describe(line, "it")
            for notice in s.notices:
                assert notice.kind in ("low", "used_up", "expired") and notice_text(notice, "en") and notice_text(notice, "it")
    assert len(seen) >= 9


def _package(bought: int, hours: int, expires):
    import datetime as dt

    from gitdesk.core.model import Package

    first = dt.date(2026, 1, 1)
    return Package.model_construct(bought=first + dt.timedelta(days=bought), hours=Decimal(hours), price=Decimal("90.00"),
                                   expires=None if expires is None else first + dt.timedelta(days=bought + expires))


def _work(n: int, day: int, mode: str, minutes: int, plan: str):
    import datetime as dt

    from gitdesk.core import charges
    from gitdesk.core.scalars import month_of

    when = dt.date(2026, 1, 1) + dt.timedelta(days=day)
    start = dt.datetime.combine(when, dt.time(9, n % 60), tzinfo=dt.timezone.utc)
    labour = Decimal(minutes) if mode != "phone" else Decimal(0)
    phone = minutes if mode == "phone" else 0
    line = charges.Line("labour", charges.Labour(mode, minutes), Decimal(1), Decimal("48.00"), Decimal("48.00"), f"t{n}", when, None, 0)
    return charges.WorkCharges("brivio", f"t{n}", 0, start, when, month_of(when), mode, (line,), labour, Decimal("48.00"),
                               phone, 60, Decimal("40.00"), plan, False, False)


@given(st.lists(st.tuples(st.integers(0, 360), st.integers(0, 12), st.one_of(st.none(), st.integers(0, 200))), max_size=4),
       st.lists(st.tuples(st.integers(0, 364), st.sampled_from(["onsite", "remote", "phone"]), st.integers(0, 400),
                          st.sampled_from(["annual", "other"])), max_size=25),
       st.lists(st.sampled_from(MONTHS_2026), min_size=1, max_size=12, unique=True))
def test_statements_carry_the_ledger_forward_as_each_month_alone_would(packages, works, months):
    """For any packages and work, the statements of several months in one pass are those of each month alone."""
    import dataclasses

    from gitdesk.core import charges

    demo, _ = _demo()
    customer = demo.customers["brivio"].model_copy(update={"packages": tuple(_package(*p) for p in packages)})
    repo = dataclasses.replace(demo, customers={**demo.customers, "brivio": customer})
    charged = [_work(n, *w) for n, w in enumerate(works)]
    one_pass = charges.statements(repo, "brivio", months, charged)
    assert one_pass == [charges.statement(repo, "brivio", m, charged) for m in months]
    for s in one_pass:  # what is left never goes below nothing nor above what was bought
        assert all(0 <= p.left_minutes <= p.package.hours * 60 for p in s.packages)


_KINDS_AND_REASONS = st.sampled_from([("fee", None), ("package", None), ("labour", None), ("callout", None),
                                      ("part", None), ("phone", None), ("adjustment", None), ("discount", "prepaid"),
                                      ("discount", "late"), ("discount", "warranty"), ("discount", "repeat_visit")])


@given(st.lists(st.tuples(_KINDS_AND_REASONS, st.decimals(min_value=-10**5, max_value=10**5, places=2,
                                                          allow_nan=False, allow_infinity=False)), max_size=30))
def test_the_summary_headings_add_up_to_the_lines(items):
    """Every line counts under exactly one heading; the headings add up to the lines, in the summary's order."""
    from gitdesk.core.charges import HEADINGS, Line, breakdown

    lines = [Line(kind, (), Decimal(1), amount, amount, reason=reason) for (kind, reason), amount in items]
    parts = breakdown(lines)
    assert sum((p.amount for p in parts), Decimal(0)) == sum((l.amount for l in lines), Decimal(0))
    assert sum(p.lines for p in parts) == len(lines)
    assert [p.heading for p in parts] == [h for h in HEADINGS if h in {p.heading for p in parts}]
    prepaid = [l.amount for l in lines if l.reason == "prepaid"]
    assert sum(p.amount for p in parts if p.heading == "prepaid") == sum(prepaid, Decimal(0))


def test_every_demo_statement_summary_adds_up_to_its_taxable():
    from click.testing import CliRunner

    from gitdesk.main import cli

    result = CliRunner().invoke(cli, ["--repo", str(ROOT), "statement", "--month", "2026-10", "--format", "json"])
    assert result.exit_code == 0, result.output
    for s in json.loads(result.stdout):
        assert sum(Decimal(p["amount"]) for p in s["summary"]) == Decimal(s["taxable"]), s["customer"]
        assert sum(p["lines"] for p in s["summary"]) == len(s["lines"])
