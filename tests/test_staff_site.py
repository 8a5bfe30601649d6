"""The staff site (OUT/staff/): the same figures as the command line, what is left to do, and each request's git history.

The web server's side (staff logins only, never a customer's) is proven with a real nginx in test_access.py.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from decimal import Decimal
from html import unescape
from pathlib import Path

import bcrypt
import pytest
from click.testing import CliRunner

from conftest import ROOT, TICKET
from gitdesk.load import gitcli, history
from gitdesk.load.loader import load
from gitdesk.main import cli
from gitdesk.portal import webserver
from gitdesk.text.i18n import Locale

NOW = "2026-11-22 12:00"
MONTH = "2026-11"
HASH = bcrypt.hashpw(b"not-checked-here", bcrypt.gensalt(4)).decode()


def run(*args: str, repo: Path = ROOT):
    return CliRunner().invoke(cli, ["--repo", str(repo), *args], env={"GITDESK_NO_CACHE": "1"}, catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("portal")
    result = run("build", "--out", str(out), "--now", NOW)
    assert result.exit_code == 0, result.output
    return out / "staff"


def cells(row: str) -> list[str]:
    """The text of each cell of a table row."""
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def rows(page: str, attribute: str = "data-customer") -> dict[str, list[str]]:
    """A table's rows by the value of their data attribute (data-customer, or customer and month joined)."""
    found = {}
    for m in re.finditer(r"<tr ([^>]*)>(.*?)</tr>", page, re.S):
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', m.group(1)))
        if attribute in attrs:
            key = attrs[attribute] + (f"/{attrs['data-month']}" if "data-month" in attrs else "")
            found[key] = cells(m.group(2))
    return found


# ---------------------------------------------------------------- the demo: the command line's figures


def test_the_overview_shows_what_sla_and_statement_say_for_every_customer(demo):
    L = Locale("it")
    overview = rows((demo / "index.html").read_text())
    customers = sorted(load(ROOT).customers)
    assert sorted(overview) == customers
    for cid in customers:
        sla = json.loads(run("sla", "--month", MONTH, "--customer", cid, "--now", NOW, "--format", "json").stdout)["summary"]
        statement = json.loads(run("statement", "--month", MONTH, "--customer", cid, "--format", "json").stdout)
        name, met, missed, running, moved, amount, _open = overview[cid]
        assert (int(met), int(missed), int(running), int(moved)) == \
            (sla["met"], sla["breached"], sla["running"], sla["provider_reschedules"]), cid
        assert amount == L.money(Decimal(statement["total"])), cid


def test_statements_to_issue_are_the_closed_months_not_issued_with_their_totals(demo):
    L = Locale("it")
    listed = rows((demo / "statements.html").read_text())
    expected = {}
    for cid in sorted(load(ROOT).customers):
        for month in ("2026-09", "2026-10"):  # the demo issues none; November is not over on the 22nd
            statement = json.loads(run("statement", "--month", month, "--customer", cid, "--format", "json").stdout)
            if statement["lines"]:
                expected[f"{cid}/{month}"] = L.money(Decimal(statement["total"]))
    assert {key: row[-1] for key, row in listed.items()} == expected


def test_the_site_speaks_the_providers_language_and_stays_out_of_search_engines(demo):
    page = (demo / "index.html").read_text()
    assert "Panoramica" in page and "Rendiconti da emettere" in page and "Overview" not in page
    assert '<meta name="robots" content="noindex' in page
    assert "Tutti i clienti hanno un accesso." in (demo / "logins.html").read_text()  # every demo customer has one


def test_the_demo_history_lists_its_commits(demo):
    """The demo's requests are committed in this repository: each page lists its customer's requests with commits."""
    done = subprocess.run(["git", "log", "-1", "--format=%H", "--", "tickets/"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        pytest.skip("the project is not a git checkout here")
    body = (demo / "history/sala.html").read_text().split('class="gd-page gd-staff"')[1]
    assert 'id="20260902-sala-sz2t"' in body
    assert "-fumagalli-" not in body  # a customer's page holds its own requests only


# ---------------------------------------------------------------- a small repository


def _staff(out: Path, page: str) -> str:
    return (out / "staff" / page).read_text()


def test_customers_without_logins_and_statements_to_issue(repo, tmp_path):
    out = tmp_path / "out"
    assert run("build", "--out", str(out), "--now", "2026-12-05 10:00", repo=repo.root).exit_code == 0
    logins = _staff(out, "logins.html")
    assert "acme" in logins and "beta" in logins and "Every customer has a login." not in logins
    acme = json.loads(run("statement", "--month", MONTH, "--customer", "acme", "--format", "json", repo=repo.root).stdout)
    listed = rows(_staff(out, "statements.html"))
    assert listed["acme/2026-11"][-1] == Locale("en").money(Decimal(acme["total"]))

    repo.write("contracts/customers/acme.yaml", (repo.root / "contracts/customers/acme.yaml").read_text()
               + f'logins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    assert run("statement", "issue", "--month", MONTH, "--date", "2026-12-01", repo=repo.root).exit_code == 0
    assert run("build", "--out", str(out), "--now", "2026-12-05 10:00", repo=repo.root).exit_code == 0
    logins = _staff(out, "logins.html")
    assert "beta" in logins and "<code>acme</code>" not in logins
    assert not any(key.endswith("/2026-11") for key in rows(_staff(out, "statements.html")))  # issued: nothing left


def test_a_repository_without_git_builds_the_site_with_a_note(repo, tmp_path):
    out = tmp_path / "out"
    result = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert result.exit_code == 0, result.output
    page = _staff(out, "history/index.html")
    assert "has no git history here" in page
    assert not list((out / "staff/history").glob("acme.html"))


def _commit(repo, message: str, author: str) -> None:
    repo.git("add", "-A")
    env = dict(os.environ, GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL="a@example.invalid",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid")
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.root, env=env, check=True, capture_output=True)


def test_a_tickets_history_lists_its_commits_escaped(repo, tmp_path):
    repo.git("init", "-q")
    _commit(repo, "Data as it was", "Giulia Bianchi")
    path = repo.ticket("20261103-acme-psu1", TICKET.replace("Main server does not boot", "Main server does not start"))
    _commit(repo, "<script>alert(1)</script> & the title", 'Eve "&amp;" O\'Hara & Co')  # git keeps no < > in a name
    out = tmp_path / "out"
    result = run("build", "--out", str(out), "--now", NOW, repo=repo.root)
    assert result.exit_code == 0, result.output
    page = _staff(out, "history/acme.html")
    table = page.split('id="20261103-acme-psu1"')[1]
    commits = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in r]
    assert [(c[1], c[2]) for c in commits] == [('Eve "&amp;" O\'Hara & Co', "<script>alert(1)</script> & the title"),
                                               ("Giulia Bianchi", "Data as it was")]  # newest first
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; the title" in page  # text
    assert "Eve &#34;&amp;amp;&#34; O&#39;Hara &amp; Co" in page
    assert path.startswith("tickets/")
    index = _staff(out, "history/index.html")
    assert 'href="../history/acme.html"' in index or 'href="acme.html"' in index


def test_history_is_one_git_log_for_the_whole_repository(repo, monkeypatch):
    for n in range(5):
        repo.ticket(f"2026110{n + 4}-acme-t{n:03d}", TICKET)
    repo.git("init", "-q")
    _commit(repo, "many requests", "Giulia Bianchi")
    calls = []
    real = gitcli.run

    def counting(root, *args, **kwargs):
        calls.append(args)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(gitcli, "run", counting)
    found = history.ticket_history(repo.root)
    assert len(found.commits) == 6 and found.missing is None
    assert [a for a in calls if "log" in a] and len([a for a in calls if "log" in a]) == 1


def test_a_shallow_clone_says_its_history_is_incomplete(repo, tmp_path):
    repo.git("init", "-q")
    _commit(repo, "first", "Giulia Bianchi")
    repo.ticket("20261103-acme-psu1", TICKET.replace("does not boot", "does not start"))
    _commit(repo, "second", "Marco Verdi")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True, capture_output=True)
    assert history.ticket_history(clone).missing == history.SHALLOW
    out = tmp_path / "out"
    assert run("build", "--out", str(out), "--now", NOW, repo=clone).exit_code == 0
    assert "shallow clone" in _staff(out, "history/index.html")


def test_parse_log_skips_what_does_not_parse():
    out = (b"\x1e" + b"a" * 40 + b"\0Anna\0" + b"2026-11-03T09:00:00+01:00\0fix\0\ntickets/2026/11/x.yaml\0README\0"
           + b"\x1e" + b"b" * 40 + b"\0Bob\0not a date\0broken\0\ntickets/2026/11/x.yaml\0")
    found = history.parse_log(out)
    assert list(found) == ["tickets/2026/11/x.yaml"]
    assert [(c.author, c.subject) for c in found["tickets/2026/11/x.yaml"]] == [("Anna", "fix")]


# ---------------------------------------------------------------- which builds make it, logins


def test_no_staff_and_shards_other_than_the_first_skip_it(repo, tmp_path):
    out = tmp_path / "out"
    assert run("build", "--out", str(out), "--now", NOW, "--no-staff", repo=repo.root).exit_code == 0
    assert not (out / "staff").exists()
    assert run("build", "--out", str(tmp_path / "two"), "--now", NOW, "--shard", "2/2", repo=repo.root).exit_code == 0
    assert not (tmp_path / "two/staff").exists()
    assert run("build", "--out", str(tmp_path / "one"), "--now", NOW, "--customer", "acme", repo=repo.root).exit_code == 0
    assert not (tmp_path / "one/staff").exists()
    assert run("build", "--out", str(tmp_path / "first"), "--now", NOW, "--shard", "1/2", repo=repo.root).exit_code == 0
    assert (tmp_path / "first/staff/index.html").exists()


def test_passwd_staff_writes_the_providers_file_and_the_build_its_password_file(repo, tmp_path):
    before = (repo.root / "contracts/provider.yaml").read_text()
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), "portal", "passwd", "--staff", "anna.staff", "--stdin"],
                                input="staff password 1\n", env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    text = (repo.root / "contracts/provider.yaml").read_text()
    assert text.startswith(before) and text[len(before):].startswith("staff_logins:\n  - {user: anna.staff, hash: ")
    staff = load(repo.root).provider.staff_logins
    assert [s.user for s in staff] == ["anna.staff"] and bcrypt.checkpw(b"staff password 1", staff[0].hash.encode())
    assert load(repo.root).customers["acme"].logins == ()  # nobody's customer login
    assert run("validate", repo=repo.root).exit_code == 0
    out = tmp_path / "out"
    assert run("build", "--out", str(out), "--now", NOW, repo=repo.root).exit_code == 0
    auth = out / ".auth" / webserver.STAFF
    assert auth.read_text() == f"anna.staff:$2y${staff[0].hash[4:]}\n" and stat.S_IMODE(auth.stat().st_mode) == 0o640

    removed = CliRunner().invoke(cli, ["--repo", str(repo.root), "portal", "passwd", "--staff", "anna.staff", "--remove"],
                                 env={"GITDESK_NO_CACHE": "1"})
    assert removed.exit_code == 0, removed.output
    assert "staff_logins: []" in (repo.root / "contracts/provider.yaml").read_text()
    assert run("build", "--out", str(out), "--now", NOW, repo=repo.root).exit_code == 0
    assert auth.read_text() == ""  # no staff logins: the site stays closed


@pytest.mark.parametrize("args,message", [
    (["--staff", "acme", "anna"], "give only USER with --staff"),
    (["anna"], "give CUSTOMER and USER"),
    (["--staff", "Anna"], "invalid user"),
])
def test_passwd_staff_arguments(repo, args, message):
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), "portal", "passwd", *args, "--stdin"],
                                input="long enough password\n", env={"GITDESK_NO_CACHE": "1"})
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_staff_user_twice_is_an_error_at_its_line(repo):
    repo.write("contracts/provider.yaml", (repo.root / "contracts/provider.yaml").read_text()
               + f'staff_logins:\n  - {{user: anna, hash: "{HASH}"}}\n  - {{user: anna, hash: "{HASH}"}}\n')
    result = run("validate", repo=repo.root)
    assert result.exit_code == 1 and "user 'anna' is listed twice in staff_logins" in result.output
    assert "contracts/provider.yaml:" in result.output


def test_every_configuration_keeps_the_staff_site_to_staff_logins(repo, tmp_path):
    repo.write("contracts/provider.yaml", (repo.root / "contracts/provider.yaml").read_text()
               + f'staff_logins:\n  - {{user: anna, hash: "{HASH}"}}\n')
    repo.write("contracts/customers/acme.yaml", (repo.root / "contracts/customers/acme.yaml").read_text()
               + f'logins:\n  - {{user: mrossi, hash: "{HASH}"}}\n')
    data = load(repo.root)
    nginx = webserver.nginx_server(data, tmp_path)
    block = re.search(r"location /staff/ \{(.*?)\}", nginx, re.S).group(1)
    assert f'auth_basic "{webserver.STAFF_REALM}";' in block
    assert f'auth_basic_user_file "{tmp_path}/.auth/_staff.htpasswd";' in block and "acme" not in block
    apache = webserver.apache_config(data, tmp_path)
    block = re.search(rf'<Directory "{tmp_path}/staff">(.*?)</Directory>', apache, re.S).group(1)
    assert f'AuthUserFile "{tmp_path}/.auth/_staff.htpasswd"' in block and "Require valid-user" in block
    caddy = webserver.caddyfile(data, tmp_path)
    block = re.search(r"\thandle /staff/\* \{\n(.*?)\n\t\}\n", caddy, re.S).group(1)
    assert f"anna {HASH}" in block and "mrossi" not in block and "file_server" in block
    acme = re.search(r"\thandle /customers/acme/\* \{\n(.*?)\n\t\}\n", caddy, re.S).group(1)
    assert "anna" not in acme

    repo.write("contracts/provider.yaml", (repo.root / "contracts/provider.yaml").read_text().split("staff_logins:")[0])
    closed = webserver.caddyfile(load(repo.root), tmp_path)
    block = re.search(r"\thandle /staff/\* \{\n(.*?)\n\t\}\n", closed, re.S).group(1)
    assert "error 403" in block and "file_server" not in block  # no staff logins: never open
    assert webserver.staff_htpasswd(load(repo.root)) == ""
