"""The portal in a real browser: headless Chromium on a site served from localhost.

Checks what a customer sees: the dashboard loads, a statement shows the same
total as ``gitdesk statement``, search finds a ticket by a word of its report,
no request leaves localhost and the console stays free of errors. Each page
of :data:`PAGES` is opened on a wide screen and on a phone: no sideways
scroll on the phone, and axe-core finds no serious or critical violation (on
every page of one customer's site too). Screenshots are kept in
test-artifacts/, named by page and width.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from conftest import ROOT
from gitdesk.main import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: axe-core, installed by .ci/run (npm) into tests/.axe: injected into each page, nothing fetched at test time.
AXE = Path(__file__).resolve().parent / ".axe/node_modules/axe-core/axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if not CHROMIUM or sync_playwright is None or not AXE.is_file():
    reason = "headless Chromium, playwright and axe-core are needed (.ci/run installs them)"
    if os.environ.get("CI"):
        raise RuntimeError(reason)  # in CI a missing browser is a failure, not a skip
    pytestmark = pytest.mark.skip(reason=reason)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    out = tmp_path_factory.mktemp("portal")
    result = CliRunner().invoke(cli, ["--repo", str(ROOT), "build", "--out", str(out), "--now", "2026-11-22 12:00"],
                                env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def watched(context):
    """A page of the context that records requests to any other host (refused) and console errors."""
    page = context.new_page()
    page.outside = []  # requests to any host but this machine
    page.errors = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            page.outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="it-IT")
    yield watched(context)
    context.close()


def cli_json(*args):
    result = CliRunner().invoke(cli, ["--repo", str(ROOT), *args], env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_dashboard(served, page):
    page.goto(f"{served}/customers/brivio/index.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "Officine Meccaniche Brivio S.r.l."
    assert page.get_by_text("Cosa resta aperto?").count() >= 1
    assert page.locator("img[alt*='Obiettivi rispettati']").evaluate("img => img.naturalWidth") > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-dashboard.png"), full_page=True)
    assert page.outside == [] and page.errors == []


def test_statement_total_equals_the_cli(served, page):
    expected = cli_json("statement", "--month", "2026-10", "--customer", "brivio", "--format", "json")["total"]
    page.goto(f"{served}/customers/brivio/statements/2026-10.html")
    page.wait_for_load_state("networkidle")
    total = page.locator(".gd-summary .gd-total")
    assert total.get_attribute("data-amount") == expected
    assert total.inner_text().replace("\xa0", " ") == "3.239,59 €" and expected == "3239.59"
    page.screenshot(path=str(ARTIFACTS / "portal-statement.png"), full_page=True)
    assert page.outside == [] and page.errors == []


def test_search_finds_a_ticket_by_a_word_of_its_report(served, page):
    page.goto(f"{served}/customers/brivio/index.html")
    page.wait_for_load_state("networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type("Synology", delay=30)
    result = page.locator(".md-search-result__item a").first
    result.wait_for(timeout=15000)
    assert "20261001-brivio-dpeu" in result.get_attribute("href")
    assert page.outside == [] and page.errors == []


def test_a_customer_cannot_find_another_customers_tickets(served, page):
    page.goto(f"{served}/customers/sala/index.html")
    page.wait_for_load_state("networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type("Synology", delay=30)
    page.locator(".md-search-result__meta").wait_for(timeout=15000)
    page.wait_for_timeout(500)
    assert page.locator(".md-search-result__item").count() == 0
    assert page.outside == [] and page.errors == []


@pytest.fixture(scope="module")
def served_hostile(tmp_path_factory):
    """A portal built from a repository whose every free text is markup, script and template code."""
    from test_trust_portal import PAYLOAD, hostile

    tmp = tmp_path_factory.mktemp("hostile")
    repo = hostile(tmp)
    out = tmp / "site"
    result = repo.run("build", "--out", str(out), "--now", "2026-11-22 12:00")
    assert result.exit_code == 0, result.output
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", PAYLOAD
    server.shutdown()


def test_hostile_text_is_shown_as_text_and_never_runs(served_hostile, page):
    base, payload = served_hostile
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("customers/acme/index.html", "customers/acme/tickets/20261103-acme-psu1.html",
                 "customers/acme/terms.html", "public/index.html", "public/team.html", "public/contacts.html",
                 "public/terms/annual.html"):
        page.goto(f"{base}/{path}")
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src='x'], svg[onload], [onerror]").count() == 0, path
    page.goto(f"{base}/customers/acme/index.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == payload
    assert page.title().startswith(payload)
    page.locator("input.md-search__input").click()
    page.keyboard.type("Zebrafish", delay=30)
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-hostile-names.png"), full_page=True)
    assert dialogs == [] and page.outside == [] and page.errors == []


# ---- every kind of page, on a wide screen and on a phone

#: The pages a reader opens, by name (the screenshot's) and path in the demo portal. brivio's October has a
#: missed target (e3hy) and a repeat visit with parts (dpeu).
PAGES = {
    "dashboard": "customers/brivio/index.html",
    "month": "customers/brivio/tickets/2026-10.html",
    "ticket-breach": "customers/brivio/tickets/20261009-brivio-e3hy.html",
    "ticket-repeat-parts": "customers/brivio/tickets/20261001-brivio-dpeu.html",
    "statement": "customers/brivio/statements/2026-10.html",
    "terms": "customers/brivio/terms.html",
    "public-home": "public/index.html",
    "staff-overview": "staff/index.html",
    "staff-today": "staff/today.html",
}
WIDTHS = (1440, 390)
PHONE = 390
#: axe-core's impacts that fail a page.
FAILING = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations of the page open in ``page``, as "rule: target" texts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (failing) => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => failing.includes(v.impact))
            .flatMap(v => v.nodes.map(n => v.id + ": " + n.target.join(" ")));
    }""", list(FAILING))
    return found


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def sized(request, browser):
    """One page of one browser context per width, reused by every page of the list (quick)."""
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="it-IT")
    page = watched(context)
    page.width = width
    yield page
    context.close()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_fits_the_screen_and_passes_axe(served, sized, name):
    page = sized
    page.outside.clear()
    page.errors.clear()
    page.goto(f"{served}/{PAGES[name]}")
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}-{page.width}.png"), full_page=True)
    if page.width <= PHONE:
        assert scroll_width(page) <= page.width, f"{name} scrolls sideways on a phone"
    assert axe_violations(page) == [], name
    assert page.outside == [] and page.errors == [], name


def test_every_page_of_a_customer_site_passes_axe_on_a_phone(served, browser):
    """Each page of brivio's site (as its search index lists them) and its 404 page, at phone width, in one
    page of one browser: axe-core's serious and critical violations, and the width."""
    context = browser.new_context(viewport={"width": PHONE, "height": 900}, locale="it-IT")
    page = watched(context)
    index = page.request.get(f"{served}/customers/brivio/search/search_index.json").json()
    paths = sorted({doc["location"].split("#")[0] or "index.html" for doc in index["docs"]})
    assert len(paths) > 30 and "statements/2026-10.html" in paths, paths
    failures = {}
    for path in ["404.html"] + paths:
        page.goto(f"{served}/customers/brivio/{path}")
        page.wait_for_load_state("load")
        found = axe_violations(page)
        if scroll_width(page) > PHONE:
            found.append(f"wider than the screen: {scroll_width(page)} px")
        if found:
            failures[path] = found
    context.close()
    assert failures == {}
    assert page.outside == [] and page.errors == []


def test_the_menu_opens_from_the_keyboard_on_a_phone(served, browser):
    """The menu's button shows on narrow screens only: on a phone, Tab reaches it and Enter or Space opens it."""
    context = browser.new_context(viewport={"width": PHONE, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.goto(f"{served}/customers/brivio/index.html")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('for')") == "__drawer"
    assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
    page.keyboard.press("Enter")
    page.wait_for_timeout(400)
    assert page.evaluate("document.getElementById('__drawer').checked")
    assert page.evaluate("document.activeElement.closest('.md-sidebar--primary') !== null")
    page.keyboard.press("Escape")
    page.goto(f"{served}/customers/brivio/index.html")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    page.keyboard.press(" ")
    page.wait_for_timeout(400)
    assert page.evaluate("document.getElementById('__drawer').checked")
    context.close()


def search(page, words: str) -> list[str]:
    """The links of the results after typing ``words`` in the site's search."""
    page.locator("input.md-search__input").click()
    page.keyboard.type(words, delay=20)
    page.locator(".md-search-result__meta").wait_for(timeout=15000)
    page.wait_for_timeout(600)
    return [a.get_attribute("href") for a in page.locator(".md-search-result__item a").all()]


def test_italian_search_finds_a_word_after_an_elision(served, page):
    """brivio's site has "interfaccia" only as "dell'interfaccia" (in x515's report): the apostrophe splits it."""
    page.goto(f"{served}/customers/brivio/index.html")
    page.wait_for_load_state("networkidle")
    found = search(page, "interfaccia")
    assert any("20260923-brivio-x515" in href for href in found), found
    assert page.outside == [] and page.errors == []


def test_english_search_works_without_language_files(served_hostile, page):
    """An English site carries no lunr language file (its search loads none) and its search still finds."""
    base, _ = served_hostile
    page.goto(f"{base}/customers/acme/index.html")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.request.get(f"{base}/customers/acme/assets/javascripts/lunr/min/lunr.stemmer.support.min.js").status == 404
    found = search(page, "Zebrafish")
    assert any("/customers/acme/tickets/20261103-acme-psu1.html" in href for href in found), found
    assert page.outside == [] and page.errors == []
