"""Technicians' commands: tickets, events and work reports written for them, checked, committed."""

from __future__ import annotations

import re

import pytest

from conftest import TICKET


def new_ticket(repo, *extra) -> str:
    result = repo.run("ticket", "new", "--customer", "acme", "--priority", "urgent", "--title", "Printer: offline #3",
                      "--reported", "2026-11-10 09:00", "--via", "phone", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_new_ticket(repo):
    rel = new_ticket(repo, "--description", "Line one\nLine two: with a colon", "--users-blocked", "3")
    assert re.fullmatch(r"tickets/2026/11/20261110-acme-[a-z0-9]{4}\.yaml", rel)
    text = (repo.root / rel).read_text()
    assert 'title: "Printer: offline #3"' in text and "reported: 2026-11-10 09:00" in text
    assert "description: |\n  Line one\n  Line two: with a colon\n" in text
    assert repo.run("validate").exit_code == 0


def test_ids_do_not_collide(repo):
    ids = {new_ticket(repo) for _ in range(5)}
    assert len(ids) == 5


def test_events_and_work_keep_the_files_text(repo):
    rel = new_ticket(repo)
    ident = rel.rsplit("/", 1)[-1][:-5]
    path = repo.root / rel
    path.write_text(path.read_text() + "# a comment the technician wrote\n")
    assert repo.run("ticket", "event", ident, "acknowledged", "--at", "2026-11-10 09:05", "--by", "gbianchi").exit_code == 0
    assert repo.run("ticket", "event", ident, "confirmed", "--at", "2026-11-10 09:10", "--by", "gbianchi",
                    "--planned", "2026-11-10 11:00", "--mode", "onsite", "--expected", "1h30m").exit_code == 0
    result = repo.run("ticket", "work", ident, "--technician", "mverdi", "--mode", "onsite", "--start", "2026-11-10 11:00",
                      "--end", "2026-11-10 12:15", "--outcome", "resolved", "--report", "Replaced the fuser.\nPrinted a test page.",
                      "--part", "Fuser unit;1;45.50;FU-1;2026-11-10 11:20")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "# a comment the technician wrote" in text
    assert "  - {at: 2026-11-10 09:10, event: confirmed, by: gbianchi, planned: 2026-11-10 11:00, mode: onsite, expected: 1h30m}" in text
    assert "    report: |\n      Replaced the fuser.\n      Printed a test page.\n" in text
    assert '      - {code: FU-1, name: "Fuser unit", qty: 1, price: 45.50, approved: 2026-11-10 11:20}' in text
    assert repo.run("validate").exit_code == 0


@pytest.mark.parametrize("args,message", [
    (["event", "{id}", "confirmed", "--by", "gbianchi"], "needs planned"),
    (["event", "{id}", "acknowledged", "--by", "nobody", "--at", "2026-11-10 09:05"], "unknown team member"),
    (["work", "{id}", "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-10 11:00", "--end", "2026-11-10 10:00",
      "--outcome", "resolved", "--report", "x"], "not after start"),
    (["work", "{id}", "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-03 12:00", "--end", "2026-11-03 13:00",
      "--outcome", "resolved", "--report", "x"], "before the ticket was reported"),
    (["work", "{id}", "--technician", "gbianchi", "--mode", "onsite", "--start", "2026-11-10 11:00", "--end", "2026-11-10 12:00",
      "--outcome", "resolved", "--report", "x", "--part", "Disk;1;80.00"], "no approved time"),
])
def test_a_bad_edit_leaves_the_file_untouched(repo, args, message):
    rel = new_ticket(repo)
    ident = rel.rsplit("/", 1)[-1][:-5]
    before = (repo.root / rel).read_text()
    result = repo.run("ticket", *[a.replace("{id}", ident) for a in args])
    assert result.exit_code == 1 and message in result.stderr and "left as it was" in result.stderr
    assert (repo.root / rel).read_text() == before


def test_overlap_with_another_ticket_is_refused(repo):
    rel = new_ticket(repo, "--reported", "2026-11-03 08:00")
    ident = rel.rsplit("/", 1)[-1][:-5]
    result = repo.run("ticket", "work", ident, "--technician", "gbianchi", "--mode", "remote", "--start", "2026-11-03 13:00",
                      "--end", "2026-11-03 14:00", "--outcome", "resolved", "--report", "x")
    assert result.exit_code == 1 and "overlaps the one at tickets/2026/11/20261103-acme-psu1.yaml" in result.stderr


def test_usage_errors(repo):
    assert repo.run("ticket", "new", "--customer", "nobody", "--priority", "urgent", "--title", "x").exit_code == 2
    assert repo.run("ticket", "event", "20990101-acme-none", "resolved").exit_code == 2
    assert repo.run("ticket", "event", "20261103-acme-psu1", "exploded").exit_code == 2
    assert repo.run("ticket", "event", "20261103-acme-psu1", "resolved", "--at", "yesterday").exit_code == 2
    assert repo.run("ticket", "work", "20261103-acme-psu1", "--technician", "gbianchi", "--mode", "onsite", "--start",
                    "2026-11-04 11:00", "--end", "2026-11-04 12:00", "--outcome", "resolved", "--report", "x",
                    "--part", "no price").exit_code == 2
    assert "--planned" in repo.run("ticket", "event", "--help").stdout


def test_each_step_a_commit(git_repo):
    repo = git_repo
    rel = new_ticket(repo, "--commit")
    ident = rel.rsplit("/", 1)[-1][:-5]
    assert repo.run("ticket", "event", ident, "resolved", "--at", "2026-11-10 10:00", "--by", "gbianchi", "--commit").exit_code == 0
    log = repo.git("log", "--format=%s").splitlines()
    assert log[:2] == [f"Ticket {ident}: resolved", f"Ticket {ident}: Printer: offline #3"]
    assert repo.git("status", "--porcelain", "--", "tickets") == ""
