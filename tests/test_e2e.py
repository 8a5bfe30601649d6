"""A technician's day, end to end, in a real git repository with the installed command.

Create a ticket, confirm it, record a visit that does not solve the problem
and a late repeat visit, commit each step; the CI gate reports the breach as
an annotation; the portal shows the ticket with its own events (never the commits).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import ROOT


def gitdesk(repo, *args, check=True):
    exe = shutil.which("gitdesk")
    cmd = ([exe] if exe else [sys.executable, "-m", "gitdesk"]) + list(args)
    env = dict(os.environ, GIT_AUTHOR_NAME="Giulia Bianchi", GIT_AUTHOR_EMAIL="giulia@example.invalid",
               GIT_COMMITTER_NAME="Giulia Bianchi", GIT_COMMITTER_EMAIL="giulia@example.invalid", GITDESK_NO_CACHE="1")
    result = subprocess.run(cmd, cwd=repo.root, env=env, capture_output=True, text=True)
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_technicians_day(repo, tmp_path):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "Contracts and tickets")
    start = repo.git("rev-parse", "HEAD").strip()

    rel = gitdesk(repo, "ticket", "new", "--customer", "acme", "--priority", "normal", "--title", "Scanner not found on the network",
                  "--reported", "2026-11-10 09:00", "--via", "email", "--reported-by", "Mario Rossi", "--commit").stdout.strip()
    ident = rel.rsplit("/", 1)[-1][: -len(".yaml")]
    gitdesk(repo, "ticket", "event", ident, "confirmed", "--at", "2026-11-10 09:30", "--by", "gbianchi",
            "--planned", "2026-11-10 11:00", "--mode", "onsite", "--expected", "1h", "--commit")
    gitdesk(repo, "ticket", "work", ident, "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-10 11:00",
            "--end", "2026-11-10 12:00", "--outcome", "unresolved", "--report", "The scanner's network card is dead; a new one is ordered.",
            "--commit")
    # the repeat visit is due within the top priority's 4 working hours from 12:00 (12:00-12:30, 14:00-17:30)
    gitdesk(repo, "ticket", "work", ident, "--technician", "mverdi", "--mode", "onsite", "--start", "2026-11-11 12:00",
            "--end", "2026-11-11 12:45", "--outcome", "resolved", "--report", "Fitted the new network card; scanning to the NAS works.",
            "--commit")
    gitdesk(repo, "ticket", "event", ident, "resolved", "--at", "2026-11-11 12:45", "--by", "mverdi", "--commit")
    subjects = repo.git("log", "--format=%s").splitlines()
    assert len(subjects) == 6 and subjects[-1] == "Contracts and tickets"

    check = gitdesk(repo, "check", "--base", start, "--format", "github", "--now", "2026-11-30 18:00")
    assert f"::warning file={rel},line=3,col=11,title=gitdesk sla-breach::SLA breach: repeat target (4h) due 2026-11-10 17:30, met 2026-11-11 12:00" in check.stdout
    strict = gitdesk(repo, "check", "--base", start, "--fail-on", "breach", "--now", "2026-11-30 18:00", check=False)
    assert strict.returncode == 1

    statement = gitdesk(repo, "statement", "--month", "2026-11", "--customer", "acme").stdout
    assert "Repeat visit after an unresolved intervention: no call-out, no labour" in statement

    out = tmp_path / "site"
    gitdesk(repo, "build", "--out", str(out), "--now", "2026-11-30 18:00")
    page = (out / f"customers/acme/tickets/{ident}.html").read_text()
    assert "Scanner not found on the network" in page and "gd-timeline" in page
    for subject in subjects[:5]:  # commit messages belong to the provider's staff
        assert subject.replace("'", "&#39;") not in page
    assert ident not in (out / "customers/beta/index.html").read_text()


def test_shallow_clone_builds(repo, tmp_path):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "first")
    (repo.root / "tickets/2026/11/20261103-acme-psu1.yaml").write_text(
        (repo.root / "tickets/2026/11/20261103-acme-psu1.yaml").read_text().replace("does not boot", "does not start"))
    repo.git("commit", "-qam", "second")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True)
    shallow = type(repo)(clone)
    result = gitdesk(shallow, "build", "--out", str(tmp_path / "site"), "--now", "2026-11-30 18:00")
    assert result.stderr == ""  # the portal needs no git history
    page = (tmp_path / "site/customers/acme/tickets/20261103-acme-psu1.html").read_text()
    assert "does not start" in page
