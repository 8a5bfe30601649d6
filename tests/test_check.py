"""``gitdesk check``, the CI gate, and the pipelines that run it."""

from __future__ import annotations

import json
import re
import shlex

import click
import pytest
import yaml

from conftest import ROOT, TICKET
from gitdesk.main import cli

LATE = TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-03 15:05").replace("end: 2026-11-03 13:35", "end: 2026-11-03 16:35") \
             .replace("approved: 2026-11-03 12:20", "approved: 2026-11-03 15:20")


def test_clean_repository_passes(repo):
    result = repo.run("check", "--now", "2026-12-01 12:00")
    assert result.exit_code == 0 and "0 errors, 0 warnings" in result.stderr


def test_breach_warns_and_fails_on_request(repo):
    repo.ticket("20261103-acme-psu1", LATE)
    result = repo.run("check", "--now", "2026-12-01 12:00", "--format", "github")
    assert result.exit_code == 0
    assert re.search(r"::warning file=tickets/2026/11/20261103-acme-psu1.yaml,line=3,col=11,title=gitdesk sla-breach::SLA breach: onsite", result.stdout)
    strict = repo.run("check", "--now", "2026-12-01 12:00", "--fail-on", "breach", "--format", "json")
    assert strict.exit_code == 1 and json.loads(strict.stdout)[0]["severity"] == "error"


def test_errors_fail(repo):
    repo.ticket("20261103-acme-psu1", TICKET.replace("customer: acme", "customer: acmx"))
    result = repo.run("check", "--format", "codeclimate")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report[0]["severity"] == "major" and report[0]["location"] == {
        "path": "tickets/2026/11/20261103-acme-psu1.yaml", "lines": {"begin": 1}}


def test_at_risk_targets(repo):
    repo.ticket("20261110-acme-open", TICKET.replace("2026-11-03", "2026-11-10").split("log:")[0], month="2026/11")
    result = repo.run("check", "--now", "2026-11-10 11:00")
    assert "at risk: onsite target due 2026-11-10 14:40, 2h10m of working time left" in result.stdout
    quiet = repo.run("check", "--now", "2026-11-10 11:00", "--within", "1h")
    assert "at risk" not in quiet.stdout


def test_base_limits_breaches_to_changed_tickets(git_repo):
    repo = git_repo
    repo.ticket("20261103-acme-psu1", LATE)
    repo.git("commit", "-qam", "late arrival")
    since_now = repo.run("check", "--now", "2026-12-01 12:00", "--base", "HEAD")
    assert "SLA breach" not in since_now.stdout and "0 changed tickets" in since_now.stderr
    since_before = repo.run("check", "--now", "2026-12-01 12:00", "--base", "HEAD~1")
    assert "SLA breach" in since_before.stdout and "1 changed ticket;" in since_before.stderr
    assert repo.run("check", "--base", "no-such-ref").exit_code == 2


# ---------------------------------------------------------------- the shipped pipelines

def gitdesk_commands(text: str) -> list[list[str]]:
    """Every gitdesk invocation in a shell script, with CI expressions replaced by sample values."""
    samples = {"matrix.shard": "2", "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}
    text = re.sub(r"\$\{\{([^}]*)\}\}", lambda m: next((v for k, v in samples.items() if k in m.group(1)), "abc123"), text)
    text = re.sub(r"\$\{([A-Z_]+)(:-[^}]*)?\}|\$([A-Z_]+)", lambda m: samples.get(m.group(1) or m.group(3), "abc123"), text)
    found = []
    for line in text.splitlines():
        line = line.split(">")[0].split("||")[0].strip()
        if line.startswith("gitdesk "):
            found.append(shlex.split(line)[1:])
    return found


def assert_command_exists(args: list[str]) -> None:
    """Parse the arguments with the real command line, without running anything."""
    command, rest, name = cli, list(args), "gitdesk"
    while isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), rest[0]) if rest else None
        if sub is None:
            raise click.UsageError(f"no command {rest[:1]!r}")
        name, command, rest = rest[0], sub, rest[1:]
    command.make_context(name, rest)  # raises on an unknown option or a bad value


def test_github_workflow():
    workflow = yaml.safe_load((ROOT / ".github/workflows/gitdesk.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) >= {"push", "pull_request"}
    jobs = workflow["jobs"]
    assert {"check", "build", "publish"} <= set(jobs)
    assert jobs["build"]["needs"] == "check" and jobs["publish"]["needs"] == "build"
    assert jobs["build"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    commands = []
    for job in jobs.values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step)
            commands += gitdesk_commands(step.get("run", ""))
    assert [c[0] for c in commands] == ["check", "build"]
    assert "--format" in commands[0] and "github" in commands[0]
    for args in commands:
        assert_command_exists(args)


def test_gitlab_pipeline():
    pipeline = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    assert pipeline["stages"] == ["check", "build", "publish"]
    commands = []
    for name in ("check", "build", "publish"):
        job = pipeline[name]
        assert job["stage"] == name and job["script"]
        for line in job["script"]:
            commands += gitdesk_commands(line)
    assert pipeline["check"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert pipeline["build"]["parallel"] == 4
    assert [c[0] for c in commands] == ["check", "build"]
    for args in commands:
        assert_command_exists(args)


def test_a_wrong_command_would_be_caught():
    with pytest.raises(click.UsageError):
        assert_command_exists(["build", "--shards", "1/4"])
    with pytest.raises(click.UsageError):
        assert_command_exists(["chek"])
