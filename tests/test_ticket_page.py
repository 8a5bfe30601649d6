"""Request pages as a customer reads them: priority labels, durations, the targets table, paragraphs, downtime,
and an Italian site with no English word on it.

Pages are rendered straight from the views (no mkdocs): what is asserted is the
HTML body a page carries. The fixture's office calendar: Monday to Friday
08:30-12:30 and 14:00-18:00, Saturday 09:00-12:00.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest

from conftest import ANNUAL, PROVIDER, ROOT, TICKET
from gitdesk.load.loader import load
from gitdesk.load.request import EVERY_TICKET, Evaluate, Request
from gitdesk.portal.pages import Renderer
from gitdesk.portal.view import Views
from gitdesk.text.i18n import Locale, duration_text, priority_label
from gitdesk.text.prose import paragraphs

ROME = ZoneInfo("Europe/Rome")
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=ROME)


def site(root, customer: str, now: dt.datetime = NOW):
    """The rendered site of ``customer``: its pages' HTML bodies by path."""
    repo = load(root, Request(evaluate=Evaluate(now), price=EVERY_TICKET), jobs=1)  # as `gitdesk build` loads it
    results = dict(repo.sla)
    renderer = Renderer(repo.provider, Locale.of(repo.provider))
    return renderer.customer(Views(repo, now, results).customer(customer)).bodies


def visible(body: str) -> str:
    """The text a reader sees in a page body, each cell and paragraph apart."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def rows(body: str, table_class: str) -> list[list[str]]:
    """The cells of each body row of the first table with ``table_class``, as text."""
    table = re.search(rf'<table class="[^"]*\b{table_class}\b[^"]*">(.*?)</table>', body, re.S).group(1)
    tbody = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [[visible(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)]


def italian(repo) -> None:
    repo.write("contracts/provider.yaml", PROVIDER.replace("language: en", "language: it"))


PAGE = "tickets/20261103-acme-psu1.md"


# ---------------------------------------------------------------- priority labels


def test_priority_labels_default_to_the_usual_words_in_each_language():
    plan = load(ROOT).plans["premium"]  # urgent, normal, low, without labels
    assert [priority_label(plan, p, "it") for p in ("urgent", "normal", "low")] == ["urgente", "normale", "bassa"]
    assert [priority_label(plan, p, "en") for p in ("urgent", "normal", "low")] == ["urgent", "normal", "low"]
    assert priority_label(None, "next-day", "it") == "next day"  # a name of the plan's own, as it writes it


def test_a_plans_labels_are_what_customers_read(repo):
    labelled = ANNUAL.replace("    late: waive\n", "    late: waive\n    label: {it: Bloccante, en: Blocking}\n", 1)
    repo.write("contracts/plans/annual.yaml", labelled)
    bodies = site(repo.root, "acme")
    facts = visible(bodies[PAGE])
    assert "Priority Blocking (Plan: Annual service contract)" in facts
    assert rows(bodies["tickets/2026-11.md"], "gd-month-list")[0][1] == "Blocking"
    terms = visible(bodies["terms.md"])
    assert "Blocking taken in charge" not in terms and "Blocking technician on site within 4 h" in terms
    assert "normal confirmation" not in terms and "normal written confirmation of the intervention within 8 h" in terms
    italian(repo)
    bodies = site(repo.root, "acme")
    assert "Priorità Bloccante (Piano: Annual service contract)" in visible(bodies[PAGE])
    assert rows(bodies["tickets/2026-11.md"], "gd-month-list")[0][1] == "Bloccante"


def test_a_raised_priority_is_told_in_the_plans_words(repo):
    raised = TICKET.replace("priority: urgent", "priority: normal").replace(
        "  - {at: 2026-11-03 09:14, event: acknowledged, by: gbianchi}\n",
        "  - {at: 2026-11-03 09:14, event: acknowledged, by: gbianchi}\n  - {at: 2026-11-03 09:20, event: priority, to: urgent, by: gbianchi}\n")
    repo.ticket("20261103-acme-psu1", raised)
    italian(repo)
    text = visible(site(repo.root, "acme")[PAGE])
    assert "Priorità urgente, normale alla segnalazione" in text
    assert "priorità alzata a urgente: i suoi obiettivi contano da qui" in text


def test_a_label_in_an_unknown_language_is_a_problem_at_its_line(repo):
    repo.write("contracts/plans/annual.yaml", ANNUAL.replace("    late: waive\n", "    late: waive\n    label: {fr: Urgente}\n", 1))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "contracts/plans/annual.yaml:9:12: unknown language 'fr' for a label: write en or it" in result.output


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("minutes,text", [(555, "9 h 15 min"), (45, "45 min"), (120, "2 h"), (0, "0 min"),
                                          (83 * 60, "83 h"), (49 * 60 + 5, "49 h 5 min")])
def test_durations_are_hours_and_minutes_in_both_languages(minutes, text):
    value = dt.timedelta(minutes=minutes)
    assert duration_text(value, "it") == duration_text(value, "en") == text
    assert Locale("it").duration(value) == text  # working time: never days of 24 hours


def test_calendar_durations_may_use_days():
    value = dt.timedelta(days=2, hours=3, minutes=5)
    assert Locale("it").duration(value, calendar=True) == "2 g 3 h 5 min"
    assert Locale("en").duration(value, calendar=True) == "2 d 3 h 5 min"
    assert Locale("it").duration(value) == "51 h 5 min"


def test_sla_text_says_working_time_in_hours(repo):
    # reported Tuesday 09:10, on site Friday 12:05: the 4 h target was due Tuesday 14:40; late Tuesday 14:40-18:00
    # (3 h 20 min), Wednesday and Thursday (8 h each), Friday 08:30-12:05 (3 h 35 min) = 22 h 55 min of working time
    repo.ticket("20261103-acme-psu1", TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-06 12:05")
                .replace("end: 2026-11-03 13:35", "end: 2026-11-06 13:35").replace("2026-11-03 12:20", "2026-11-06 12:20")
                .replace("2026-11-04 10:00", "2026-11-06 14:00"))
    result = repo.run("sla", "--now", "2026-12-01 12:00")
    assert "late by 22 h 55 min of working time" in result.stdout
    assert " d " not in result.stdout


def test_statement_lines_write_worked_time_as_the_language_does(repo):
    italian(repo)
    text = visible(site(repo.root, "acme")[PAGE])
    # 12:05-13:35 on site: 1 h 30 min
    assert "Manodopera sul posto, 1 h 30 min" in text and "1h30m" not in text


# ---------------------------------------------------------------- the targets table


def test_targets_table_met_missed_and_running(repo):
    repo.ticket("20261103-acme-psu1")  # urgent, on site within 4 h: due 14:40, on site at 12:05
    repo.ticket("20261103-acme-late", TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-03 15:30")
                .replace("end: 2026-11-03 13:35", "end: 2026-11-03 16:30").replace("2026-11-03 12:20", "2026-11-03 15:40"))
    repo.ticket("20261120-acme-open", TICKET.split("log:")[0].replace("2026-11-03 09:10", "2026-11-20 17:00"))
    bodies = site(repo.root, "acme")
    head = re.search(r'<table class="[^"]*gd-sla[^"]*">\s*<thead>(.*?)</thead>', bodies[PAGE], re.S).group(1)
    assert visible(head) == "Target Due Status Met at Late by"
    assert rows(bodies[PAGE], "gd-sla") == [["technician on site within 4 h", "3 Nov 2026 14:40", "Met", "3 Nov 2026 12:05", ""]]
    # met late, at 15:30: 14:40-15:30 is 50 min of working time
    assert rows(bodies["tickets/20261103-acme-late.md"], "gd-sla") == [
        ["technician on site within 4 h", "3 Nov 2026 14:40", "Missed", "3 Nov 2026 15:30", "50 min"]]
    # reported Friday 17:00: 1 h on Friday, 3 h on Saturday 09:00-12:00: due Saturday 12:00, not reached at Friday's noon
    running = site(repo.root, "acme", now=dt.datetime(2026, 11, 20, 17, 30, tzinfo=ROME))
    assert rows(running["tickets/20261120-acme-open.md"], "gd-sla") == [
        ["technician on site within 4 h", "21 Nov 2026 12:00", "Running", "", ""]]


def test_month_list_says_each_requests_standing_in_the_same_words(repo):
    repo.ticket("20261103-acme-late", TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-03 15:30")
                .replace("end: 2026-11-03 13:35", "end: 2026-11-03 16:30").replace("2026-11-03 12:20", "2026-11-03 15:40"))
    italian(repo)
    listed = rows(site(repo.root, "acme")["tickets/2026-11.md"], "gd-month-list")
    assert [(r[1], r[3][:7], r[4]) for r in listed] == [("urgente", "Risolta", "Mancato"), ("urgente", "Risolta", "Rispettato")]


# ---------------------------------------------------------------- free text


def test_paragraphs_join_wrapped_lines_and_split_at_blank_lines():
    text = "The server restarts\nin a loop.\n\n\nReplaced the\n  power supply:\n- PSU 750 W\n- fan\n"
    assert paragraphs(text) == [["The server restarts in a loop."], ["Replaced the power supply:", "- PSU 750 W", "- fan"]]
    assert paragraphs("") == paragraphs(None) == [] and paragraphs("\n \n") == []


def test_free_text_is_escaped_paragraphs(repo):
    repo.ticket("20261103-acme-psu1", TICKET.replace(
        "  The server restarts in a loop since this morning.\n",
        "  The server restarts in a loop since this morning: gli\n  operatori <b>wait</b>.\n\n  Second paragraph.\n"))
    body = re.sub(r"\s+(?=<)", "", site(repo.root, "acme")[PAGE])  # without the whitespace ending blocks
    assert ('<div class="gd-text"><p>The server restarts in a loop since this morning: gli operatori &lt;b&gt;wait&lt;/b&gt;.</p>'
            "<p>Second paragraph.</p></div>") in body
    assert "<br>" not in body.split("gd-text", 1)[1].split("</div>", 1)[0]


# ---------------------------------------------------------------- downtime


def test_downtime_in_working_time_where_users_were_blocked(repo):
    # reported Tuesday 09:10, resolved Wednesday 10:00: Tuesday 09:10-12:30 (3 h 20 min) and 14:00-18:00 (4 h),
    # Wednesday 08:30-10:00 (1 h 30 min) = 8 h 50 min; 12 users x 8.8333 h = 106.00 hours
    text = visible(site(repo.root, "acme")[PAGE])
    assert "Downtime 8 h 50 min of working time, 12 users blocked = 106.00 working hours lost" in text
    italian(repo)
    text = visible(site(repo.root, "acme")[PAGE])
    assert "Fermo 8 h 50 min di orario lavorativo, 12 utenti bloccati = 106,00 ore di lavoro perse" in text


def test_no_downtime_where_the_ticket_does_not_say_users_were_blocked(repo):
    repo.ticket("20261103-acme-psu1", TICKET.replace("users_blocked: 12\n", ""))
    body = site(repo.root, "acme")[PAGE]
    assert "Downtime" not in body and "users blocked" not in body


# ---------------------------------------------------------------- the Italian demo


#: Words of the English site that must never show on the Italian one, and durations written the YAML way.
ENGLISH = re.compile(r"\b(urgent|normal|low|onsite|on site|remote|resolved|unresolved|continues|met|missed|breached|running|"
                     r"cancelled|paused|waiting|duplicate|withdrawn|priority|downtime|target|due|late|outcome|report|"
                     r"charged|status|working|hours|monitoring|visit|portal)\b|\b\d+h(\d+m)?\b|\b\d+m\b", re.I)


def test_no_english_word_on_an_italian_request_page():
    repo = load(ROOT)
    assert repo.provider.language == "it"
    assert ENGLISH.search("Priorità urgent") and ENGLISH.search("Fermo 9h15m") and not ENGLISH.search("Priorità urgente, 9 h 15 min")
    found, pages = [], 0
    for cid in sorted(repo.customers):
        for path, body in site(ROOT, cid).items():
            if not path.startswith("tickets/") and path != "terms.md":
                continue
            # the words the pages write, without the data's own text (titles, descriptions, reports, notes, parts)
            shown = re.sub(r'<div class="gd-(text|note)">.*?</div>|<h1>.*?</h1>|<a href="[^"]*tickets/\d{8}[^"]*">.*?</a>',
                           " ", body, flags=re.S)
            shown = re.sub(r'<tr class="gd-line gd-part">.*?</tr>', " ", shown, flags=re.S)
            pages += 1
            for m in ENGLISH.finditer(visible(shown)):
                found.append(f"{cid}/{path}: {m.group(0)}")
    assert pages > 150 and not found, found[:20]  # every demo request page, month list and terms page


def test_outcomes_and_states_agree_in_italian():
    bodies = site(ROOT, "bernasconi")
    text = visible(bodies["tickets/20261020-bernasconi-chig.md"])  # a repeat visit after an unresolved intervention
    assert "Esito: non risolto" in text and "Esito: risolto" in text and "Esito: risolta" not in text
    assert "Stato Risolta 21 ott 2026 17:15" in text
    assert "Rapporto 1: 21 ott 2026 08:55–10:15" in text  # the day once
