"""Shared fixtures: a small valid data repository built in a temporary folder."""

from __future__ import annotations

import re

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

PROVIDER = """\
name: Assistenza Rapida S.r.l.
vat_id: IT01234567890
address: Via Roma 1, 23900 Lecco LC
phone: "+39 0341 000000"
email: assistenza@example.it
timezone: Europe/Rome
currency: EUR
language: en
vat_rate: 22%
default_plan: on-demand
calendars:
  office:
    hours:
      mon-fri: ["08:30-12:30", "14:00-18:00"]
      sat: ["09:00-12:00"]
    holidays: IT
    closed: [2026-08-14, 2026-12-07]
team:
  - id: gbianchi
    name: Giulia Bianchi
    title: Senior technician
    phone: "+39 0341 000001"
    email: giulia.bianchi@example.it
  - {id: mverdi, name: Marco Verdi, title: Technician}
"""

ANNUAL = """\
name: Annual service contract
summary: Top priority and lower rates, billed monthly.
calendar: office
remote_counts_as_onsite: true
priorities:
  urgent:
    targets: {onsite: 4h}
    late: waive
  normal:
    targets: {confirm: 8h}
    late: {discount_per_started_hour: 20%}
repeat_visit: free
rates:
  onsite_hour: 48.00
  remote_hour: 40.00
  phone_hour: 40.00
  callout: 35.00
  increment: 15m
  minimum: 30m
phone:
  included_minutes: 60
  increment: 5m
fee:
  monthly: 120.00
"""

ON_DEMAND = """\
name: On demand
calendar: office
priorities:
  urgent:
    targets: {onsite: 8h}
    late: waive
  normal:
    targets: {confirm: 16h}
rates: {onsite_hour: 65.00, remote_hour: 55.00, phone_hour: 55.00, callout: 40.00, increment: 30m, minimum: 1h}
"""

ACME = """\
name: ACME Meccanica S.p.A.
vat_id: IT09876543210
contacts:
  - {name: Mario Rossi, role: Office manager, phone: "+39 0341 111111", email: m.rossi@acme.example}
contracts:
  - plan: annual
    from: 2026-01-01
    to: 2026-12-31
    ask_before_parts: true
    rates: {onsite_hour: 45.00}
packages:
  - {bought: 2026-03-02, hours: 10, price: 380.00, expires: 2027-03-01}
"""

BETA = """\
name: Beta Studio
"""

TICKET = """\
customer: acme
title: Main server does not boot
reported: 2026-11-03 09:10
via: phone
reported_by: Mario Rossi
priority: urgent
users_blocked: 12
description: |
  The server restarts in a loop since this morning.
log:
  - {at: 2026-11-03 09:14, event: acknowledged, by: gbianchi}
  - {at: 2026-11-04 10:00, event: resolved, by: gbianchi}
interventions:
  - technician: gbianchi
    mode: onsite
    start: 2026-11-03 12:05
    end: 2026-11-03 13:35
    outcome: resolved
    report: |
      Replaced the power supply.
    parts:
      - {code: PSU-750, name: Power supply 750 W, qty: 1, price: 89.00, approved: 2026-11-03 12:20}
"""


class DataRepo:
    """A data repository in a temporary folder, with helpers to write and run."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text)
        return path

    def ticket(self, name: str, text: str = TICKET, month: str = "2026/11") -> str:
        rel = f"tickets/{month}/{name}.yaml"
        self.write(rel, text)
        return rel

    def remove(self, relpath: str) -> None:
        (self.root / relpath).unlink()

    def run(self, *args: str):
        from gitdesk.main import cli

        env = {"GITDESK_NO_CACHE": "1"} if "--cache" not in args else {}
        args = tuple(a for a in args if a != "--cache")
        return CliRunner().invoke(cli, ["--repo", str(self.root), *args], env=env, catch_exceptions=False)

    def git(self, *args: str) -> str:
        env = dict(os.environ, GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
                   GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid")
        return subprocess.run(["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> DataRepo:
    """A valid repository: provider, two plans, two customers, one ticket."""
    r = DataRepo(tmp_path / "data")
    r.write("contracts/provider.yaml", PROVIDER)
    r.write("contracts/plans/annual.yaml", ANNUAL)
    r.write("contracts/plans/on-demand.yaml", ON_DEMAND)
    r.write("contracts/customers/acme.yaml", ACME)
    r.write("contracts/customers/beta.yaml", BETA)
    r.ticket("20261103-acme-psu1")
    return r


def gitdesk_exe() -> list[str]:
    """The installed command line, run as a user would run it."""
    return [sys.executable, "-m", "gitdesk"]


@pytest.fixture(autouse=True)
def own_user_cache(tmp_path_factory, monkeypatch):
    """gitdesk's cache and key go to the user's cache folder: a test's own, never the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    monkeypatch.delenv("GITDESK_CACHE_DIR", raising=False)
    monkeypatch.delenv("GITDESK_CACHE_KEY", raising=False)


@pytest.fixture
def git_repo(repo):
    """The small repository, committed as one commit of a new git repository."""
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "data")
    return repo


def html_of(path) -> str:
    """A finished page's HTML without the whitespace that ends its blocks and cells (see sitetheme.finished_body)."""
    return re.sub(r"\s+(?=<br|</(?:p|li|td|th|dt|dd|div|h[1-6]|caption)>)", "", path.read_text())
