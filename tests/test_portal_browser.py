"""The portal in a real browser: headless Chromium on a site served from localhost.

Checks what a customer sees: the dashboard loads, a statement shows the same
total as ``gitdesk statement``, search finds a ticket by a word of its report,
no request leaves localhost and the console stays free of errors. A
screenshot of the dashboard is kept in test-artifacts/.
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
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if not CHROMIUM or sync_playwright is None:
    reason = "headless Chromium and playwright are needed (.ci/run installs them)"
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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="it-IT")
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
    yield page
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
    total = page.locator(".gd-totals .gd-total")
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
