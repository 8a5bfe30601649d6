"""A technician's day with the lifecycle commands, end to end, in a real git repository.

Tuesday 17 November 2026, calendar ``office`` (Mon-Fri 08:30-12:30 and
14:00-18:00). ACME has the annual plan (urgent: on site within 4 working
hours, late arrivals waived; normal: a written confirmation within 8, 20% per
started hour late); Beta has no contract (the on-demand plan). Every step is a
command with ``--commit``; then the CI gate and the portal.
"""

from __future__ import annotations

import json

from test_e2e import gitdesk


def ident_of(rel: str) -> str:
    return rel.rsplit("/", 1)[-1][: -len(".yaml")]


def new(repo, customer, priority, title, reported, via="phone") -> str:
    rel = gitdesk(repo, "ticket", "new", "--customer", customer, "--priority", priority, "--title", title,
                  "--reported", reported, "--via", via, "--commit").stdout.strip()
    return ident_of(rel)


def queue(repo, *args) -> list[str]:
    out = gitdesk(repo, "ticket", "list", "--format", "json", *args).stdout
    return [row["id"] for row in json.loads(out)]


def test_a_day_of_lifecycle_events(repo, tmp_path, monkeypatch):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "Contracts and tickets")
    start = repo.git("rev-parse", "HEAD").strip()
    monkeypatch.setenv("GITDESK_TECHNICIAN", "mverdi")

    # A: an urgent call solved on the phone in 6 minutes. Its on-site target (4 working hours from 08:40:
    # 08:40-12:30 is 3h50m, then 14:00-14:10) is answered by the resolution at 08:48, in time.
    a = new(repo, "acme", "urgent", "Outlook asks for the password again", "2026-11-17 08:40")
    gitdesk(repo, "ticket", "work", a[-4:], "--technician", "gbianchi", "--mode", "phone", "--start", "2026-11-17 08:42",
            "--end", "2026-11-17 08:48", "--outcome", "resolved", "--report", "Reset the saved password.", "--commit")
    gitdesk(repo, "ticket", "event", a[-4:], "resolved", "--at", "2026-11-17 08:48", "--by", "gbianchi", "--commit")

    # B: reported as normal at 09:00 (confirmation due Wed 09:00: 3h30 + 4h on Tuesday, 30 min on Wednesday),
    # given to Marco, raised to urgent at 10:00: a new on-site target, 4 working hours from 10:00 = 15:30.
    b = new(repo, "acme", "normal", "Production network slow", "2026-11-17 09:00")
    assert b not in queue(repo, "--mine")
    gitdesk(repo, "ticket", "assign", b, "mverdi", "--at", "2026-11-17 09:05", "--by", "gbianchi", "--commit")
    assert b in queue(repo, "--mine")
    gitdesk(repo, "ticket", "priority", b, "urgent", "--reason", "Production is stopped", "--at", "2026-11-17 10:00",
            "--by", "gbianchi", "--commit")

    # C: the same fault reported again by another office: a duplicate, cancelled before its confirmation was due.
    c = new(repo, "acme", "normal", "Machines do not receive their programs", "2026-11-17 09:10", via="email")
    gitdesk(repo, "ticket", "cancel", c, "--reason", "duplicate", "--note", f"Same fault as {b}", "--at", "2026-11-17 09:20",
            "--by", "gbianchi", "--commit")

    # B's visit: on site at 14:30, within the new target.
    gitdesk(repo, "ticket", "work", b, "--technician", "mverdi", "--mode", "onsite", "--start", "2026-11-17 14:30",
            "--end", "2026-11-17 15:30", "--outcome", "resolved", "--report", "A looping patch cable removed.", "--commit")
    gitdesk(repo, "ticket", "event", b, "resolved", "--at", "2026-11-17 15:30", "--by", "mverdi", "--commit")
    assert b not in queue(repo, "--mine")

    # D: a visit at Beta; the toner is added to the report afterwards and its approval recorded later still.
    d = new(repo, "beta", "normal", "Printer out of toner", "2026-11-17 09:30")
    gitdesk(repo, "ticket", "event", d, "confirmed", "--at", "2026-11-17 09:35", "--by", "gbianchi",
            "--planned", "2026-11-17 11:00", "--mode", "onsite", "--expected", "30m", "--commit")
    gitdesk(repo, "ticket", "work", d, "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-17 11:00",
            "--end", "2026-11-17 11:40", "--outcome", "resolved", "--report", "Replaced the toner, printed a test page.", "--commit")
    gitdesk(repo, "ticket", "part", d, "Toner cartridge", "1", "62.00", "--code", "TN-3", "--commit")
    gitdesk(repo, "ticket", "approve", d, "TN-3", "--at", "2026-11-17 11:05", "--commit")

    # E: a VPN fixed on Monday at the agreed 11:00, reopened on Tuesday, a follow-up at 16:00 with no new
    # appointment: it has no arrival deadline (under the first edition's rule it was 11h30 of working time
    # late against Monday's appointment: 12 started hours, a 100% discount).
    e = new(repo, "acme", "normal", "The VPN drops every hour", "2026-11-16 09:00")
    gitdesk(repo, "ticket", "event", e, "confirmed", "--at", "2026-11-16 09:30", "--by", "gbianchi",
            "--planned", "2026-11-16 11:00", "--mode", "onsite", "--commit")
    gitdesk(repo, "ticket", "work", e, "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-16 11:00",
            "--end", "2026-11-16 11:30", "--outcome", "resolved", "--report", "Router firmware updated.", "--commit")
    gitdesk(repo, "ticket", "event", e, "resolved", "--at", "2026-11-16 11:30", "--by", "gbianchi", "--commit")
    gitdesk(repo, "ticket", "event", e, "reopened", "--at", "2026-11-17 14:10", "--by", "gbianchi",
            "--note", "Drops again since this morning", "--commit")
    gitdesk(repo, "ticket", "work", e, "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-17 16:00",
            "--end", "2026-11-17 16:30", "--outcome", "resolved", "--report", "Replaced the router's power supply.", "--commit")
    gitdesk(repo, "ticket", "event", e, "resolved", "--at", "2026-11-17 16:30", "--by", "gbianchi", "--commit")

    subjects = repo.git("log", "--format=%s").splitlines()
    assert len(subjects) == 1 + 22 and subjects[-1] == "Contracts and tickets"
    assert repo.git("status", "--porcelain") == ""

    # the SLA of the day
    report = json.loads(gitdesk(repo, "sla", "--format", "json", "--now", "2026-11-30 18:00").stdout)
    sla = {t["id"]: t for t in report["tickets"]}
    assert [(t["kind"], t["status"], t["met_at"]) for t in sla[a]["targets"]] == [("onsite", "met", "2026-11-17T08:48:00+01:00")]
    assert [(t["kind"], t["due"], t["status"]) for t in sla[b]["targets"]] == [
        ("confirm", "2026-11-18T09:00:00+01:00", "met"), ("onsite", "2026-11-17T15:30:00+01:00", "met")]
    assert [t["status"] for t in sla[c]["targets"]] == ["cancelled"] and sla[c]["cancelled"]["reason"] == "duplicate"
    assert not any(t["breached"] for t in report["tickets"])
    assert [(x["basis"], x["reduction_percent"]) for x in sla[e]["arrivals"]] == [("appointment", "0"), ("none", "0")]

    # the statement: E's follow-up carries no late discount; D's toner is charged
    acme = json.loads(gitdesk(repo, "statement", "--month", "2026-11", "--customer", "acme", "--format", "json").stdout)
    assert not [x for x in acme["lines"] if x["ticket"] == e and x.get("reason") == "late"]
    beta = json.loads(gitdesk(repo, "statement", "--month", "2026-11", "--customer", "beta", "--format", "json").stdout)
    assert [(x["kind"], x["amount"]) for x in beta["lines"] if x["ticket"] == d and x["kind"] == "part"] == [("part", "62.00")]

    # one request in the terminal, by the end of its id
    shown = gitdesk(repo, "ticket", "show", b[-4:], "--now", "2026-11-30 18:00").stdout
    assert "urgent" in shown and ("mverdi" in shown or "Marco Verdi" in shown)

    # the CI gate: nothing breached, nothing to warn about (the phone resolution answered the on-site promise)
    check = gitdesk(repo, "check", "--base", start, "--format", "github", "--now", "2026-11-30 18:00")
    assert "::warning" not in check.stdout and "::error" not in check.stdout

    out = tmp_path / "site"
    gitdesk(repo, "build", "--out", str(out), "--now", "2026-11-30 18:00")
    cancelled = (out / f"customers/acme/tickets/{c}.html").read_text()
    assert "gd-cancelled" in cancelled and "duplicate" in cancelled and f"Same fault as {b}" in cancelled
    escalated = (out / f"customers/acme/tickets/{b}.html").read_text()
    assert "Production is stopped" in escalated and "urgent" in escalated
