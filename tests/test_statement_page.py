"""The customer's statement page, its list and its spreadsheet: the same figures as `gitdesk statement --format json`.

The demo repository is copied, its September statements issued, and the copy
built once: so the demo has a month issued (September), one over but not
issued (October) and the month of the build (November).
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
from click.testing import CliRunner

from conftest import ROOT, html_of
from gitdesk.main import cli

NOW = "2026-11-22 12:00"
MONTHS = ("2026-09", "2026-10", "2026-11")
ISSUED_ON = "2026-10-05"


def run(repo: Path, *args: str):
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args], env={"GITDESK_NO_CACHE": "1"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    """(the copy of the demo repository with September issued, its built portal)."""
    repo = tmp_path_factory.mktemp("demo") / "data"
    repo.mkdir()
    for name in ("contracts", "tickets", "site_src"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    run(repo, "statement", "issue", "--month", "2026-09", "--date", ISSUED_ON)
    out = tmp_path_factory.mktemp("site")
    run(repo, "build", "--out", str(out), "--now", NOW)
    return repo, out


@pytest.fixture(scope="module")
def pages(demo) -> list[tuple[str, str, dict, Path]]:
    """Every statement page of the demo: (customer, month, its statement as the command writes it in JSON, its folder)."""
    repo, out = demo
    found = []
    for site in sorted((out / "customers").iterdir()):
        for month in MONTHS:
            if (site / "statements" / f"{month}.html").exists():
                data = json.loads(run(repo, "statement", "--month", month, "--customer", site.name, "--format", "json").stdout)
                found.append((site.name, month, data, site / "statements"))
    return found


def summary_of(page: str) -> dict[str, str]:
    """The summary box's figures by heading (data-heading -> data-amount)."""
    box = re.search(r'<section class="gd-summary".*?</section>', page, re.S)
    assert box, "no summary box"
    return dict(re.findall(r'data-heading="([a-z_]+)" data-amount="(-?\d+\.\d\d)"', box.group(0)))


def groups_of(page: str) -> list[dict]:
    """Each group of lines: its kind, its request, its subtotal and its lines' amounts, in the page's order."""
    out = []
    for attrs, body in re.findall(r'<tbody class="gd-group[^"]*"([^>]*)>(.*?)</tbody>', page, re.S):
        head, _, rows = body.partition("</tr>")
        out.append({
            "kind": re.search(r'data-group="([a-z]+)"', attrs).group(1),
            "ticket": (re.search(r'data-ticket="([^"]+)"', attrs) or [None, None])[1],
            "subtotal": Decimal(re.search(r'data-amount="(-?[\d.]+)"', head).group(1)),
            "amounts": [Decimal(a) for a in re.findall(r'class="gd-num gd-c-amount" data-amount="(-?[\d.]+)"', rows)],
            "head": head,
        })
    return out


def test_every_demo_statement_has_a_page(pages):
    assert len(pages) == 24  # 8 customers, 3 months each
    assert {m for _, m, _, _ in pages} == set(MONTHS)


def test_summary_box_equals_the_command(pages):
    for cid, month, data, folder in pages:
        page = html_of(folder / f"{month}.html")
        shown = summary_of(page)
        expected = {s["heading"]: s["amount"] for s in data["summary"]}
        expected.update(taxable=data["taxable"], vat=data["vat"], total=data["total"])
        assert shown == expected, (cid, month)
        # the summary comes before the lines
        assert page.index('class="gd-summary"') < page.index('class="gd-table gd-lines"'), (cid, month)


def test_group_subtotals_add_up_to_the_lines_of_the_command(pages):
    kinds = {"fee": {"fee"}, "packages": {"package"}, "phone": {"phone", "discount"}, "adjustments": {"adjustment"}}
    for cid, month, data, folder in pages:
        groups = groups_of(html_of(folder / f"{month}.html"))
        assert sum(len(g["amounts"]) for g in groups) == len(data["lines"]), (cid, month)
        requests = [g["ticket"] for g in groups if g["kind"] == "request"]
        assert len(requests) == len(set(requests)), "a request in one group only"
        for g in groups:
            assert g["subtotal"] == sum(g["amounts"], Decimal("0.00")), (cid, month, g["kind"], g["ticket"])
            if g["kind"] == "request":
                mine = [Decimal(l["amount"]) for l in data["lines"] if l["ticket"] == g["ticket"]]
                assert f'href="../tickets/{g["ticket"]}.html"' in g["head"]
            else:
                mine = [Decimal(l["amount"]) for l in data["lines"] if l["ticket"] is None and l["kind"] in kinds[g["kind"]]]
            assert g["amounts"] == mine, (cid, month, g["kind"], g["ticket"])


def test_groups_show_the_request_title_and_date(demo, pages):
    repo, _ = demo
    from gitdesk.load.loader import load

    tickets = load(repo).tickets
    cid, month, data, folder = next(p for p in pages if p[0] == "brivio" and p[1] == "2026-10")
    groups = groups_of(html_of(folder / f"{month}.html"))
    assert [g["kind"] for g in groups][:2] == ["fee", "packages"] and groups[-1]["kind"] == "phone"
    requests = [g for g in groups if g["kind"] == "request"]
    reported = [tickets[g["ticket"]].reported for g in requests]
    assert reported == sorted(reported)  # the requests in the order they were reported
    for g in requests:
        ticket = tickets[g["ticket"]]
        assert html.escape(ticket.title) in g["head"] or ticket.title.replace("'", "&#39;") in g["head"]
    dpeu = next(g for g in requests if g["ticket"] == "20261001-brivio-dpeu")
    assert "segnalata il 1° ottobre 2026" in dpeu["head"]


def test_spreadsheet_reads_back_to_the_same_figures(pages):
    from openpyxl import load_workbook

    from gitdesk.text.spreadsheet import HEADER_ROW

    for cid, month, data, folder in pages:
        sheet = load_workbook(folder / f"{month}.xlsx").active
        header = [c.value for c in sheet[HEADER_ROW]]
        assert header == ["Data", "Richiesta", "Oggetto", "Descrizione", "Q.tà", "Prezzo unitario", "Importo"]
        rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1))
        lines = rows[:len(data["lines"])]
        for row, line in zip(lines, data["lines"]):
            date, ticket, _title, description, quantity, price, amount = row[:7]
            assert isinstance(description.value, str) and description.data_type == "s"
            assert description.value == line["description"]
            assert (ticket.value or None) == line["ticket"]
            assert cents(amount.value) == line["amount"] and cents(price.value) == line["unit_price"]
            assert Decimal(str(quantity.value)) == Decimal(line["quantity"])
            assert "€" in amount.number_format and "€" in price.number_format
            if line["date"]:
                assert isinstance(date.value, dt.datetime) and date.value.date().isoformat() == line["date"]
        rest = [(r[3].value, r[6].value) for r in rows[len(data["lines"]):] if r[3].value is not None]
        labels = {"fee": "Canone", "packages": "Ore prepagate acquistate", "labour": "Manodopera",
                  "callout": "Diritti di chiamata", "parts": "Ricambi", "phone": "Assistenza telefonica",
                  "prepaid": "Ore prepagate usate", "discounts": "Sconti", "adjustments": "Rettifiche"}
        expected = [(labels[s["heading"]], s["amount"]) for s in data["summary"]]
        expected += [("Imponibile", data["taxable"]), ("IVA 22 %", data["vat"]), ("Totale", data["total"])]
        assert [(label, cents(value)) for label, value in rest] == expected, (cid, month)


def cents(value) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def test_spreadsheet_is_the_same_bytes_for_the_same_statement(demo):
    repo, out = demo
    again = out.parent / "again"
    run(repo, "build", "--out", str(again), "--now", NOW, "--customer", "brivio")
    for month in MONTHS:
        name = f"customers/brivio/statements/{month}.xlsx"
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_spreadsheet_text_is_never_a_formula():
    from openpyxl import load_workbook
    import io

    from gitdesk.core.charges import Line, Part, Statement
    from gitdesk.text.i18n import Locale
    from gitdesk.text.spreadsheet import HEADER_ROW, statement_xlsx

    evil = '=HYPERLINK("http://example.invalid","click")'
    line = Line("part", Part(evil, "+1"), Decimal(1), Decimal("10.00"), Decimal("10.00"), ticket="-t1", day=dt.date(2026, 11, 3))
    s = Statement("acme", "2026-11", (line,), Decimal("10.00"), Decimal("2.20"), Decimal("12.20"), Decimal(22), (), (), None)
    data = statement_xlsx(s, Locale("en"), customer="@acme", state="In progress (draft)", titles={"-t1": "=1+1"})
    sheet = load_workbook(io.BytesIO(data)).active
    row = sheet[HEADER_ROW + 1]
    assert row[3].value == f"{evil} (+1)" and row[3].data_type == "s"
    assert row[2].value == "=1+1" and row[2].data_type == "s"
    assert row[1].value == "-t1" and row[1].data_type == "s"
    assert sheet["A2"].value == "@acme" and sheet["A2"].data_type == "s"
    assert [c.value for c in sheet[HEADER_ROW]][-1] == "Amount"
    assert "€" in row[6].number_format and row[6].value == 10


def test_state_of_an_issued_a_closed_and_the_current_month(demo):
    _, out = demo
    folder = out / "customers/brivio/statements"
    issued_number = re.search(r"N\. (\S+) del 5 ottobre 2026", html_of(folder / "2026-09.html"))
    assert issued_number, "September is issued"
    states = {m: re.search(r'class="gd-state" data-state="([a-z_]+)">Stato: <strong>([^<]+)</strong>',
                           html_of(folder / f"{m}.html")).groups() for m in MONTHS}
    assert states == {"2026-09": ("issued", "Emesso"), "2026-10": ("to_issue", "Da emettere"),
                      "2026-11": ("in_progress", "In corso (bozza)")}
    closed = html_of(folder / "2026-10.html")
    assert "Bozza" not in closed  # a month that is over is not a draft
    listing = html_of(folder / "index.html")
    assert re.search(r'data-state="issued">Emesso N\. \S+ del 5 ott 2026<', listing)
    assert 'data-state="to_issue">Da emettere<' in listing and 'data-state="in_progress">In corso (bozza)<' in listing


def test_print_marks_drafts_and_numbers_pages(demo):
    _, out = demo
    folder = out / "customers/brivio/statements"
    for month in MONTHS:
        page = html_of(folder / f"{month}.html")
        assert 'counter(page) " di " counter(pages)' in page
        draft = 'class="gd-draft-mark"' in page and 'content: "BOZZA"' in page
        assert draft == (month != "2026-09"), month


def test_provider_note_is_shown(demo):
    repo, out = demo
    import yaml

    note = yaml.safe_load((repo / "contracts/provider.yaml").read_text())["statement_note"]
    page = html_of(out / "customers/sala/statements/2026-10.html")
    assert f'<p class="gd-statement-note">{html.escape(note, quote=True).replace("&#x27;", "&#39;")}</p>' in page


def test_one_note_per_package(demo):
    _, out = demo
    brivio = html_of(out / "customers/brivio/statements/2026-10.html")
    rows = re.findall(r'<tr class="gd-package gd-package-([a-z_]+)">(.*?)</tr>', brivio, re.S)
    assert [kind for kind, _ in rows] == ["expired", "left"]
    assert "scaduto il 19 ottobre 2026 con 3 h non usate" in rows[0][1] and "meno del 20%" not in brivio
    assert "6,25 h residue" in rows[1][1]
    sala = html_of(out / "customers/sala/statements/2026-10.html")
    rows = re.findall(r'<tr class="gd-package gd-package-([a-z_]+)">(.*?)</tr>', sala, re.S)
    assert [kind for kind, _ in rows] == ["used_up"] and "residue" not in rows[0][1]
    november = html_of(out / "customers/brivio/statements/2026-11.html")
    rows = re.findall(r'<tr class="gd-package gd-package-([a-z_]+)">(.*?)</tr>', november, re.S)
    assert [kind for kind, _ in rows] == ["low"]  # the package expired in October is not told again
    assert "0,5 h residue (meno del 20%)" in rows[0][1]


def test_month_state_is_a_fact_of_the_moment():
    from gitdesk.portal.view import month_state

    class S:
        def __init__(self, month, issued=None):
            self.month, self.issued = month, issued

    assert month_state(S("2026-10"), "2026-11") == "to_issue"
    assert month_state(S("2026-11"), "2026-11") == "in_progress"
    assert month_state(S("2026-10", ("2026-7", dt.date(2026, 11, 3))), "2026-11") == "issued"


def test_spreadsheet_holds_any_text_a_title_may_carry():
    """Control characters and U+FFFE are not XML: the file still opens, with U+FFFD in their place."""
    from openpyxl import load_workbook
    import io

    from gitdesk.core.charges import Line, Part, Statement
    from gitdesk.text.i18n import Locale
    from gitdesk.text.spreadsheet import HEADER_ROW, statement_xlsx

    line = Line("part", Part("Caf\u00e9\x01\x1f\ufffe \U0001F600", None), Decimal(1), Decimal("1.00"), Decimal("1.00"),
                ticket="t1", day=dt.date(2026, 11, 3))
    s = Statement("acme", "2026-11", (line,), Decimal("1.00"), Decimal("0.22"), Decimal("1.22"), Decimal(22), (), (), None)
    sheet = load_workbook(io.BytesIO(statement_xlsx(s, Locale("it"), customer="a\x00b", state="x"))).active
    assert sheet.cell(HEADER_ROW + 1, 4).value == "Caf\u00e9\ufffd\ufffd\ufffd \U0001F600"
    assert sheet["A2"].value == "a\ufffdb"
