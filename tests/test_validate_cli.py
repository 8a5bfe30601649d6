"""``gitdesk validate`` as users run it: output forms, exit codes, a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT, TICKET

BAD = TICKET.replace("price: 89.00", "price: 89.001").replace("customer: acme", "customer: acmx")


def test_text_output_quotes_the_line(repo):
    rel = repo.ticket("20261103-acme-bad1", BAD)
    result = repo.run("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    i = lines.index(f"{rel}:1:11: unknown customer 'acmx' (did you mean 'acme'?)")
    assert lines[i + 1] == "    customer: acmx"
    assert lines[i + 2] == "    " + " " * 10 + "^"
    assert "errors in 1 file" in result.stderr


def test_json_output(repo):
    rel = repo.ticket("20261103-acme-bad1", BAD)
    result = repo.run("validate", "--format", "json")
    found = json.loads(result.stdout)
    assert {tuple(sorted(p)) for p in found} == {("code", "column", "line", "message", "path", "severity")}
    assert {(p["path"], p["line"]) for p in found} >= {(rel, 1), (rel, 22)}


def test_json_output_when_clean(repo):
    result = repo.run("validate", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_github_annotations(repo):
    rel = repo.ticket("20261103-acme-bad1", BAD)
    result = repo.run("validate", "--format", "github")
    assert result.exit_code == 1
    assert f"::error file={rel},line=1,col=11,title=gitdesk unknown-customer::unknown customer 'acmx'" in result.stdout


def test_usage_errors_exit_2(repo):
    assert repo.run("validate", "--format", "xml").exit_code == 2
    from click.testing import CliRunner

    from gitdesk.main import cli

    assert CliRunner().invoke(cli, ["--repo", str(repo.root / "nowhere"), "validate"]).exit_code == 2
    assert CliRunner().invoke(cli, ["no-such-command"]).exit_code == 2


def test_help_explains(repo):
    result = repo.run("validate", "--help")
    assert result.exit_code == 0 and "--format" in result.stdout and "Exits 1" in result.stdout


def _env():
    return dict(os.environ, GIT_AUTHOR_NAME="Tech", GIT_AUTHOR_EMAIL="tech@example.invalid",
                GIT_COMMITTER_NAME="Tech", GIT_COMMITTER_EMAIL="tech@example.invalid")


def test_installed_command_in_a_git_repository(repo):
    """The console script, run in a fresh git repository, as a technician would."""
    exe = shutil.which("gitdesk")
    cmd = [exe] if exe else [sys.executable, "-m", "gitdesk"]
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "data")
    ok = subprocess.run(cmd + ["validate"], cwd=repo.root, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    repo.ticket("20261103-acme-bad1", BAD)
    bad = subprocess.run(cmd + ["validate"], cwd=repo.root, capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "tickets/2026/11/20261103-acme-bad1.yaml:22:" in bad.stdout
    # the cache lives in the repository but is never committed
    assert "gitdesk-cache" not in repo.git("status", "--porcelain")


def test_pre_commit_hook_refuses_a_bad_commit(repo):
    """The hook of .pre-commit-hooks.yaml, installed as a git hook, refuses an invalid commit."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "gitdesk-validate")
    assert hook["pass_filenames"] is False and hook["entry"].split()[0] == "gitdesk"
    exe = shutil.which("gitdesk") or f"{sys.executable} -m gitdesk"
    repo.git("init", "-q")
    script = repo.root / ".git/hooks/pre-commit"
    script.write_text("#!/bin/sh\nexec " + hook["entry"].replace("gitdesk", exe, 1) + "\n")
    script.chmod(0o755)
    repo.git("add", "-A")
    repo.git("commit", "-qm", "valid data")
    repo.ticket("20261103-acme-bad1", BAD)
    repo.git("add", "-A")
    refused = subprocess.run(["git", "commit", "-qm", "bad ticket"], cwd=repo.root, env=_env(), capture_output=True, text=True)
    assert refused.returncode != 0 and "unknown customer" in refused.stdout + refused.stderr
    repo.ticket("20261103-acme-bad1", TICKET.replace("12:05", "14:05").replace("13:35", "15:00").replace("12:20", "14:20"))
    repo.git("add", "-A")
    repo.git("commit", "-qm", "fixed ticket")
    assert "fixed ticket" in repo.git("log", "--oneline")


def test_a_timestamp_beyond_the_calendar_is_an_error_not_a_crash(repo):
    """Year 1 or 9999 would overflow the working-time arithmetic: such a
    timestamp is refused where it is written, and sla and statement say so too."""
    far = TICKET.replace("reported: 2026-11-03 09:10", "reported: 9999-12-31 20:00").replace(
        "approved: 2026-11-03 12:20", "approved: 0001-01-01 00:30")
    rel = repo.ticket("20261103-acme-far1", far)
    result = repo.run("validate")
    assert result.exit_code == 1
    assert f"{rel}:3:11: reported: 9999-12-31 20:00 is out of range: timestamps lie between the years 1900 and 2999" in result.stdout
    assert "0001-01-01 00:30 is out of range" in result.stdout
    for args in (("sla", "--now", "2026-12-01 12:00"), ("statement", "--month", "2026-11")):
        other = repo.run(*args)
        assert other.exit_code == 1 and "gitdesk: 2 errors in the data" in other.stderr
    repo.write(rel, far.replace("approved: 0001-01-01 00:30", "approved: 2026-11-03 12:20"))
    assert "gitdesk: 1 error in the data;" in repo.run("sla", "--now", "2026-12-01 12:00").stderr
    late = repo.run("sla", "--now", "3000-01-01 00:00")
    assert late.exit_code == 2 and "out of range" in late.output
