"""The customer's dashboard: its three answers carry the command line's figures, the contact box is on every page.

The demo is built at one moment; each answer of a customer's dashboard is read back
from its HTML and compared with what `gitdesk sla` and `gitdesk statement` say in JSON.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, html_of
from gitdesk.portal.pages import mailto_href, tel_href
from gitdesk.text.i18n import Locale
from test_portal import NOW, demo, run  # noqa: F401 (the demo portal at NOW, built once for this module too)

MONTH = "2026-11"
CUSTOMERS = ("belvedere", "bernasconi", "brivio", "cattaneo", "crippa", "fumagalli", "panzeri", "sala")
IT = Locale("it", "EUR", dt.timezone(dt.timedelta(hours=1))).for_pages()  # the demo's zone in November (CET), as pages write


def cli_json(*args: str, repo: Path = ROOT) -> dict:
    result = run(*args, "--format", "json", repo=repo)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def section(page: str, name: str) -> str:
    found = re.search(rf'<section class="gd-q gd-{name}".*?</section>', page, re.S)
    assert found, name
    return found.group(0)


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: its text, a line break or a block's end as a space, spaces made one
    (a no-break space stays, as in an amount)."""
    spaced = re.sub(r"<br>|</?(?:p|li|ul|h[1-6]|div|section|aside|table|tr|td|th|tbody|tfoot)\b[^>]*>", " ", fragment)
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", "", spaced))).strip()


def dashboard(demo: Path, cid: str) -> str:
    return re.sub(r">\s+<", "><", html_of(demo / f"customers/{cid}/index.html"))


def amounts(fragment: str) -> list[str]:
    return re.findall(r'data-amount="([^"]+)"', fragment)


# ---------------------------------------------------------------- did we keep our promises


@pytest.mark.parametrize("cid", ["cattaneo", "belvedere", "crippa", "brivio"])
def test_promise_counts_are_the_sla_commands(demo, cid):
    summary = cli_json("sla", "--customer", cid, "--month", MONTH, "--now", NOW)["summary"]
    card = section(dashboard(demo, cid), "promises")
    counts = [int(n) for n in re.findall(r'<span class="gd-count">(\d+)</span>', card)]
    assert counts == [summary["met"], summary["breached"], summary["running"], summary["provider_reschedules"]]
    decided = summary["met"] + summary["breached"]
    assert summary["decided"] == decided
    share = IT.percent(Decimal(summary["compliance_percent"]))
    # the percentage says what it is of: the decided targets, the running ones apart
    assert f"Obiettivi rispettati: {summary['met']} su {decided} già valutati ({share})." in text(card)
    if summary["running"]:
        assert f"Ancora in corso: {summary['running']} (esclusi dalla percentuale)." in text(card)
    assert text(card).count("%") == 1


def test_a_miss_says_what_it_did_to_the_charges(demo):
    result = cli_json("sla", "--customer", "cattaneo", "--month", MONTH, "--now", NOW)
    missed = [(t["id"], target) for t in result["tickets"] for target in t["targets"] if target["status"] == "breached"]
    assert len(missed) == 1
    tid, target = missed[0]
    statement = cli_json("statement", "--month", MONTH, "--customer", "cattaneo")
    late = [line for line in statement["lines"] if line["ticket"] == tid and line.get("reason") == "late"]
    assert len(late) == 1 and late[0]["intervention"] == 0  # the first visit arrived late: its labour and call-out waived
    waived = [line for line in statement["lines"] if line["ticket"] == tid and line["intervention"] == 0
              and line["kind"] in ("labour", "callout")]
    assert sum(Decimal(line["amount"]) for line in waived) == -Decimal(late[0]["amount"])

    card = section(dashboard(demo, "cattaneo"), "promises")
    misses = re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="gd-misses">(.*?)</ul>', card, re.S).group(1), re.S)
    assert len(misses) == 1
    assert f'href="tickets/{tid}.html"' in misses[0]
    lateness = IT.duration(dt.timedelta(minutes=target["late_minutes"]))
    assert text(misses[0]).endswith(f"arrivo in ritardo di {lateness}: diritto di chiamata e manodopera non addebitati "
                                    f"({IT.money(-Decimal(late[0]['amount']))} in meno)")
    assert amounts(misses[0]) == [f"{-Decimal(late[0]['amount']):.2f}"]


def test_no_miss_is_said_plainly(demo):
    assert "Nessuna promessa mancata questo mese." in text(section(dashboard(demo, "brivio"), "promises"))


def test_a_late_discount_and_english_words(repo, tmp_path):
    """An arrival later than its appointment under a plan with a discount per started hour: the
    discount line's percentage and amount, in English."""
    repo.ticket("20261105-acme-lat1", """\
customer: acme
title: Printer queue stuck
reported: 2026-11-05 09:00
priority: normal
log:
  - {at: 2026-11-05 09:30, event: confirmed, by: gbianchi, planned: 2026-11-05 10:00, mode: remote}
  - {at: 2026-11-05 12:10, event: resolved, by: gbianchi}
interventions:
  - technician: gbianchi
    mode: remote
    start: 2026-11-05 11:10
    end: 2026-11-05 12:10
    outcome: resolved
    report: Cleared the queue.
""")
    out = tmp_path / "site"
    assert run("build", "--out", str(out), "--now", NOW, repo=repo.root).exit_code == 0
    statement = cli_json("statement", "--month", MONTH, "--customer", "acme", repo=repo.root)
    late = [line for line in statement["lines"] if line["ticket"] == "20261105-acme-lat1" and line.get("reason") == "late"]
    assert [line["amount"] for line in late] == ["-16.00"]  # 40 % of one hour at 40.00: two started hours late, 20 % each
    card = text(section(html_of(out / "customers/acme/index.html"), "promises"))
    assert "Printer queue stuck late for the appointment by 1\xa0h\xa010\xa0min: 40 % discount on labour (€16.00 less)" in card


# ---------------------------------------------------------------- what do I owe


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_this_month_so_far_is_the_statement_command(demo, cid):
    statement = cli_json("statement", "--month", MONTH, "--customer", cid)
    card = section(dashboard(demo, cid), "owed")
    table = re.search(r'<table class="gd-table gd-breakdown">(.*?)</table>', card, re.S).group(1)
    body, foot = table.split("<tfoot>")
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="gd-num"[^>]*>(.*?)</td>', body)
    assert [(heading, amounts(cell)) for heading, cell in rows] == [
        (IT(f"heading_{s['heading']}"), [s["amount"]]) for s in statement["summary"]]
    assert amounts(foot) == [statement["taxable"], statement["vat"], statement["total"]]
    assert f'<span class="gd-amount gd-total" data-amount="{statement["total"]}">' in foot
    assert f'href="statements/{MONTH}.html"' in card


def test_the_last_statement_and_whether_it_is_issued(demo):
    october = cli_json("statement", "--month", "2026-10", "--customer", "brivio")
    card = section(dashboard(demo, "brivio"), "owed")
    last = card.split("Ultimo rendiconto: ottobre 2026", 1)[1]
    assert amounts(last) == [october["total"]] and october["issued"] is None
    assert "Da emettere" in last and 'href="statements/2026-10.html"' in last


# ---------------------------------------------------------------- what is still open


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_open_requests_are_those_the_sla_command_finds_open(demo, cid):
    tickets = cli_json("sla", "--customer", cid, "--now", NOW)["tickets"]
    still_open = [t for t in tickets if t["resolved_at"] is None and t["cancelled"] is None]
    card = section(dashboard(demo, cid), "open")
    assert re.findall(r'<li data-ticket="([^"]+)">', card) == [t["id"] for t in still_open]
    if not still_open:
        assert "Nessuna richiesta aperta: tutte sono chiuse." in text(card)
    for t in still_open:
        unmet = sorted((x for x in t["targets"] if x["met_at"] is None and x["due"]), key=lambda x: x["due"])
        if unmet and unmet[0]["status"] == "running":  # its next promise, and when it is due
            due = IT.moment(dt.datetime.fromisoformat(unmet[0]["due"]))
            item = text(re.search(rf'<li data-ticket="{t["id"]}">(.*?)</li>', card, re.S).group(1))
            assert f"{IT(unmet[0]['kind'])} " in item and f"scade il {due}" in item


# ---------------------------------------------------------------- prepaid hours


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_prepaid_hours_only_where_there_are_packages(demo, cid):
    page = dashboard(demo, cid)
    packages = cli_json("statement", "--month", MONTH, "--customer", cid)["packages"]
    if not packages:
        assert "gd-prepaid" not in page
        return
    card = text(section(page, "prepaid"))
    for p in packages:
        shown = f"{IT.quantity(Decimal(p['hours_left']))} h residue su {IT.quantity(Decimal(p['hours']))} h"
        assert (shown in card) != p["expired"], shown  # an expired package is not shown


def test_packages_warn_when_low_or_used_up(demo):
    assert "resta meno del 20 %" in text(section(dashboard(demo, "brivio"), "prepaid"))  # 0.5 h of 10 h
    assert "esaurito" in text(section(dashboard(demo, "sala"), "prepaid"))
    assert "gd-prepaid" not in dashboard(demo, "cattaneo")


# ---------------------------------------------------------------- the chart


def test_chart_is_labelled_and_readable(demo):
    svg = (demo / "customers/cattaneo/assets/compliance.svg").read_text()
    assert "% obiettivi rispettati" in svg and "nov 2026" in svg and "94,4 %" in svg
    sizes = [float(s) for s in re.findall(r"font-size: ?([0-9.]+)px", svg)]
    width = float(re.search(r'<svg[^>]* viewBox="0 0 ([0-9.]+) ', svg).group(1))  # the units of its font sizes
    # a 390 px viewport shows it about 320 px wide (the page's and its box's padding aside): no text under 12 px
    assert sizes and min(sizes) * 320 / width >= 12
    alt = re.search(r'<img src="assets/compliance.svg" alt="([^"]+)"', dashboard(demo, "cattaneo")).group(1)
    assert "novembre 2026: 94,4 % (17 su 18 obiettivi valutati rispettati)" in html.unescape(alt)


# ---------------------------------------------------------------- the contact box


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_contact_box_on_every_page(demo, cid):
    pages = list((demo / "customers" / cid).rglob("*.html"))  # the 404 page too
    assert len(pages) > 5
    for path in pages:
        page = path.read_text()
        box = re.search(r'<aside class="gd-contact".*?</aside>', page, re.S)
        assert box, path
        assert 'href="tel:+390341583210"' in box.group(0) and 'href="mailto:assistenza@example.it"' in box.group(0), path
    assert "gd-contact" not in html_of(demo / "public/index.html")
    # inside each page's content, but not in the search index: a search for the provider's address is not every page
    assert all(page.read_text().index('<aside class="gd-contact"') < page.read_text().rindex("</article>") for page in pages)
    assert "assistenza@example.it" not in (demo / "customers" / cid / "search/search_index.json").read_text()


def test_contact_box_names_the_customers_team(demo):
    box = re.search(r'<aside class="gd-contact".*?</aside>', dashboard(demo, "cattaneo"), re.S).group(0)
    assert "Andrea Ripamonti" in box and "Federica Corti" in box and "Marco Colombo" not in box
    assert 'href="tel:+390341583213"' in box and 'href="mailto:federica.corti@example.it"' in box
    assert "I tuoi referenti" not in dashboard(demo, "crippa")  # no team: the provider's contacts only


def test_links_are_built_from_digits_and_encoded_addresses():
    assert tel_href("+39 0341 583210") == "tel:+390341583210"
    assert tel_href("(0341) 58-32-10") == "tel:0341583210"
    assert tel_href("javascript:alert(1)") is None and tel_href("call us") is None and tel_href("12+34") is None
    assert mailto_href("a.b@example.it") == "mailto:a.b@example.it"
    assert mailto_href('x"><script>@example.it') == "mailto:x%22%3E%3Cscript%3E@example.it"
    assert mailto_href("not an address") is None and mailto_href("a@b@c") is None


def test_an_unknown_team_member_is_a_located_problem(repo):
    acme = (repo.root / "contracts/customers/acme.yaml").read_text()
    repo.write("contracts/customers/acme.yaml", acme + "team: [gbianchi, gbianco]\n")
    line = len(acme.splitlines()) + 1
    result = repo.run("validate")
    assert result.exit_code == 1
    assert (f"contracts/customers/acme.yaml:{line}:18: unknown team member 'gbianco' (did you mean 'gbianchi'?)"
            in result.output)


# ---------------------------------------------------------------- in English


ITALIAN = re.compile(r"\b(Obiettivi|rispettat[io]|mancat[ei]|Promesse|Richiest[ae]|Rendicont[oi]|Canone|Manodopera|"
                     r"Uscite|Ricambi|Sconti|Totale|Imponibile|finora|emettere|aperto|Serve aiuto|Chiamaci|"
                     r"scrivici|referenti|ritardo|addebitat[ae]|pacchetto|residue|Scadenza|in corso|"
                     r"gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre|"
                     r"set 2026|ott 2026)\b")


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> tuple[Path, Path]:
    data = tmp_path_factory.mktemp("english") / "data"
    shutil.copytree(ROOT, data, ignore=shutil.ignore_patterns(".git", "tools", "tests", "docs", "bench", "site", ".*"))
    provider = data / "contracts/provider.yaml"
    provider.write_text(provider.read_text().replace("language: it", "language: en"))
    out = data.parent / "site"
    result = run("build", "--out", str(out), "--now", NOW, repo=data)
    assert result.exit_code == 0, result.output
    return data, out


@pytest.mark.parametrize("cid", ["cattaneo", "brivio", "sala", "belvedere"])
def test_english_dashboard_has_no_italian_word(english, cid):
    """Everything the dashboard itself says is English; the data (titles, names, plans) is as written."""
    data, out = english
    page = html_of(out / f"customers/{cid}/index.html")
    shown = text(re.search(r'<div class="gd-page gd-dashboard">.*?</aside>', page, re.S).group(0))
    for value in sorted(_data_texts(data), key=len, reverse=True):
        shown = shown.replace(value, "")
    assert not ITALIAN.findall(shown), ITALIAN.findall(shown)
    svg = (out / f"customers/{cid}/assets/compliance.svg").read_text()
    assert "% of targets met" in svg and "Nov 2026" in svg and not ITALIAN.findall(svg)


def _data_texts(data: Path) -> set[str]:
    """Every text the data files write (in Italian: titles, names, plans, roles), which pages show as written."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) > 3:
            found.add(value.strip())

    for path in data.rglob("*.yaml"):
        walk(yaml.safe_load(path.read_text()))
    return found


def test_sla_summary_says_what_its_percentage_is_of(english):
    data, _ = english
    lines = run("sla", "--customer", "belvedere", "--month", MONTH, "--now", NOW, repo=data).stdout.splitlines()
    assert ("  Targets met 5 of 5 decided (100 %); breached 0; still running 1 (not in the percentage); "
            "appointments moved by us 0") in lines
    lines = run("sla", "--customer", "belvedere", "--month", MONTH, "--now", NOW).stdout.splitlines()
    assert ("  Obiettivi rispettati 5 su 5 già valutati (100 %); mancati 0; ancora in corso 1 (esclusi dalla "
            "percentuale); appuntamenti spostati da noi 0") in lines
