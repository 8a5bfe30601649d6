"""The portal: isolation between customers, untrusted text, offline pages, the same figures as the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, TICKET
from gitdesk.main import cli
from gitdesk.load.loader import load

NOW = "2026-11-22 12:00"


def run(*args: str, repo: Path = ROOT):
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args], env={"GITDESK_NO_CACHE": "1"}, catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("portal")
    result = run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    return out


def texts(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(errors="replace") for p in folder.rglob("*")
            if p.is_file() and p.suffix in (".html", ".json", ".csv", ".xml", ".svg", ".js", ".css", ".txt")}


def fingerprints(customer: str) -> set[str]:
    """What identifies a customer's data: name, id as data, ticket ids, statement totals."""
    repo = load(ROOT)
    marks = {repo.customers[customer].name, f'"{customer}"', f"-{customer}-", f"customers/{customer}"}
    marks |= {tid for tid, t in repo.tickets.items() if t.customer == customer}
    return marks


def totals(customer: str) -> set[str]:
    out = set()
    for month in ("2026-09", "2026-10", "2026-11"):
        st = json.loads(run("statement", "--month", month, "--customer", customer, "--format", "json").stdout)
        if st["lines"]:
            out.add(st["total"])
    return out


def test_every_site_is_built(demo):
    assert (demo / "public/index.html").exists()
    customers = sorted(load(ROOT).customers)
    assert sorted(p.name for p in (demo / "customers").iterdir()) == customers
    for cid in customers:
        site = demo / "customers" / cid
        assert (site / "index.html").exists() and (site / "search/search_index.json").exists() and (site / "sitemap.xml").exists()


def test_no_customer_site_holds_another_customers_data(demo):
    customers = sorted(load(ROOT).customers)
    all_totals = {cid: totals(cid) for cid in customers}
    for cid in customers:
        content = texts(demo / "customers" / cid)
        blob = "\n".join(content.values())
        for other in customers:
            if other == cid:
                continue
            for mark in fingerprints(other):
                assert mark not in blob, f"{other}'s {mark!r} is in {cid}'s site"
            figures = "\n".join(t for n, t in content.items() if n.endswith((".html", ".json", ".csv")))
            for total in all_totals[other] - all_totals[cid]:
                for shown in (total, total.replace(".", ",")):
                    assert not re.search(rf"(?<![\d.,]){re.escape(shown)}(?!\d)", figures), \
                        f"{other}'s total {shown} is in {cid}'s site"


def test_public_site_has_no_customer_data(demo):
    blob = "\n".join(texts(demo / "public").values())
    for cid in load(ROOT).customers:
        for mark in fingerprints(cid):
            assert mark not in blob, f"{mark!r} is in the public site"


def test_public_site_shows_terms_and_team(demo):
    repo = load(ROOT)
    home = (demo / "public/index.html").read_text()
    assert repo.provider.name in home
    for pid, plan in repo.plans.items():
        page = (demo / f"public/terms/{pid}.html").read_text()
        assert plan.name in page and "48,00" in (demo / "public/terms/annual.html").read_text()
    team = (demo / "public/team.html").read_text()
    assert all(m.name in team for m in repo.provider.team)
    assert (demo / "public/about/about.html").exists()


def test_offline_and_private(demo):
    for folder in (demo / "public", demo / "customers/brivio"):
        for name, text in texts(folder).items():
            if not name.endswith(".html"):
                continue
            assert not re.search(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//', text), name
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, name
    assert 'name="robots" content="noindex' in (demo / "customers/brivio/index.html").read_text()


def test_chart_is_static_svg_with_a_text_alternative(demo):
    svg = (demo / "customers/brivio/assets/compliance.svg").read_text()
    assert svg.startswith("<svg") and "<script" not in svg and 'role="img"' in svg
    page = (demo / "customers/brivio/index.html").read_text()
    alt = re.search(r'<img src="assets/compliance.svg" alt="([^"]+)"', page)
    assert alt and "settembre 2026" in alt.group(1)


def test_italian_labels_and_formats(demo):
    page = (demo / "customers/brivio/statements/2026-10.html").read_text()
    assert "Rendiconto ottobre 2026" in page and "Imponibile" in page
    total = json.loads(run("statement", "--month", "2026-10", "--customer", "brivio", "--format", "json").stdout)["total"]
    assert total == "3239.59" and "3.239,59\xa0€" in page


def test_statement_page_shows_the_cli_figures(demo):
    for cid in ("brivio", "sala", "cattaneo"):
        st = json.loads(run("statement", "--month", "2026-11", "--customer", cid, "--format", "json").stdout)
        page = (demo / f"customers/{cid}/statements/2026-11.html").read_text()
        assert f'data-amount="{st["total"]}"' in page
        download = json.loads((demo / f"customers/{cid}/statements/2026-11.json").read_text())
        assert download["total"] == st["total"] and download["lines"] == st["lines"]
        assert (demo / f"customers/{cid}/statements/2026-11.csv").read_text().startswith("customer,month,date,ticket")


def test_ticket_page_has_reports_and_targets(demo):
    page = (demo / "customers/crippa/tickets/20260929-crippa-eh1n.html").read_text()
    assert "Garanzia" in page and "sarebbe costato" in page  # warranty: what it would have cost
    assert "gd-sla" in page and "Cronologia" in page


def test_untrusted_text_is_text(repo, tmp_path):
    evil = "<script>alert('x')</script> {{ 7*7 }} [click](javascript:alert(1)) <img src=x onerror=alert(2)> **bold** {% raw %}"
    text = (TICKET.replace("title: Main server does not boot", f"title: {json.dumps(evil)}")
            .replace("  The server restarts in a loop since this morning.", "  " + evil + "\n\n      indented code?\n  > quote")
            .replace("      Replaced the power supply.", "      " + evil))
    repo.ticket("20261103-acme-psu1", text)
    out = tmp_path / "site"
    result = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert result.exit_code == 0, result.output
    page = (out / "customers/acme/tickets/20261103-acme-psu1.html").read_text()
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert 'href="javascript:' not in page and "<strong>bold</strong>" not in page and "<blockquote>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "{{ 7*7 }}" in page and "49" not in page.split("<body", 1)[1].split("gd-page")[1][:2000]
    assert "[click](javascript:alert(1))" in page
    for name, content in texts(out).items():
        if name.endswith(".html"):
            assert "<script>alert" not in content and 'href="javascript:' not in content, name


def test_english_provider(repo, tmp_path):
    out = tmp_path / "site"
    assert run("build", "--out", str(out), "--now", NOW, repo=repo.root).exit_code == 0
    page = (out / "customers/acme/index.html").read_text()
    assert "Dashboard" in page and "What is still open?" in page and "What do you owe?" in page


def test_incremental_and_sharded_builds(repo, tmp_path):
    out = tmp_path / "site"
    first = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert "built 4 sites, 0 unchanged" in first.stdout  # public, staff, acme, beta
    again = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert "built 0 sites, 4 unchanged" in again.stdout
    repo.ticket("20261103-acme-psu1", TICKET.replace("Main server does not boot", "Main server does not start"))
    third = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert "built 1 site, 3 unchanged" in third.stdout  # a closed request's title: not on the staff site
    assert "does not start" in (out / "customers/acme/tickets/20261103-acme-psu1.html").read_text()
    sharded = tmp_path / "sharded"
    one = run("build", "--out", str(sharded), "--now", NOW, "--shard", "1/2", repo=repo.root)
    two = run("build", "--out", str(sharded), "--now", NOW, "--shard", "2/2", repo=repo.root)
    assert "built 3 sites" in one.stdout and "built 1 site," in two.stdout  # public and staff in shard 1
    assert sorted(p.name for p in (sharded / "customers").iterdir()) == ["acme", "beta"]
    assert run("build", "--shard", "3/2", repo=repo.root).exit_code == 2
    assert run("build", "--customer", "nobody", repo=repo.root).exit_code == 2


def test_compiled_templates_are_shared_and_follow_edits():
    """One cache of compiled templates for every site's Jinja environment; an edit is compiled again."""
    import jinja2

    from gitdesk.portal.mkdocs_hooks import CompiledTemplates

    cache = CompiledTemplates()
    sources = {"page.html": "Hello {{ name }}"}

    def env():
        return jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)

    assert env().get_template("page.html").render(name="Lecco") == "Hello Lecco"
    assert len(cache.entries) == 1
    second = env()

    def refuse(*args, **kwargs):
        raise AssertionError("compiled again although unchanged")

    second.compile = refuse  # what the loader calls when the cache has nothing
    assert second.get_template("page.html").render(name="Como") == "Hello Como"
    sources["page.html"] = "Buongiorno {{ name }}"
    assert env().get_template("page.html").render(name="Lecco") == "Buongiorno Lecco"


def test_theme_templates_compiled_once_per_process(repo, tmp_path, monkeypatch):
    """mkdocs makes a new Jinja environment per site: the theme is not compiled again for each."""
    import collections

    import jinja2

    compiled: collections.Counter = collections.Counter()
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled[name] += 1
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    result = run("build", "--out", str(tmp_path / "site"), "--now", NOW, "--jobs", "1", repo=repo.root)
    assert "built 4 sites" in result.stdout, result.output
    assert compiled["main.html"] <= 1 and compiled["base.html"] <= 1


BETA_TICKET = """\
customer: beta
title: Printer offline
reported: 2026-11-05 10:00
priority: normal
log:
  - {at: 2026-11-05 10:30, event: confirmed, planned: 2026-11-05 14:00, by: mverdi}
  - {at: 2026-11-05 15:00, event: resolved, by: mverdi}
"""


def test_a_site_is_rebuilt_exactly_when_what_it_shows_changes(repo, tmp_path):
    """A change to a ticket of one customer rebuilds that customer's site only; a later moment rebuilds the
    sites whose pages it changes (an open request's running targets, a new month), and nothing else."""
    out = tmp_path / "site"
    repo.ticket("20261105-beta-prn1", BETA_TICKET)

    def build(now: str) -> set[str]:
        """The sites this build rebuilt (their recorded state changed)."""
        before = {p.name: p.read_bytes() for p in (out / ".gitdesk-build").glob("*.digest")} if out.exists() else {}
        result = run("build", "--out", str(out), "--now", now, repo=repo.root)
        assert result.exit_code == 0, result.output
        after = {p.name: p.read_bytes() for p in (out / ".gitdesk-build").glob("*.digest")}
        return {name.removesuffix(".digest") for name in after if before.get(name) != after[name]}

    assert build(NOW) == {"public", "_staff", "acme", "beta"}
    assert build(NOW) == set()
    assert build(NOW.replace("12:00", "12:30")) == set()  # later the same day, nothing moved: the staff site shows a day
    repo.ticket("20261103-acme-psu1", TICKET.replace("Main server does not boot", "Main server does not start"))
    assert build(NOW) == {"acme"}
    assert "does not start" in (out / "customers/acme/tickets/20261103-acme-psu1.html").read_text()
    # every request resolved, every target decided: nothing moves on the customers' sites; the staff site's "today" does
    assert build("2026-11-25 09:30") == {"_staff"}
    blocked = BETA_TICKET.replace("2026-11-05", "2026-11-24").replace("priority:", "users_blocked: 2\npriority:")
    repo.ticket("20261124-beta-prn2", blocked.split("log:")[0])
    assert build("2026-11-25 09:30") == {"beta", "_staff"}  # an open request: on the staff site's queue too
    assert build("2026-11-26 09:30") == {"beta", "_staff"}  # its open request's downtime (8 working hours more) and running target moved
    assert build("2026-12-01 09:30") == {"acme", "beta", "_staff"}  # a new month on every dashboard; the public site shows none
