"""The technician's ticket commands: list, show, cancel, priority, assign, part, approve, edit; ids by their end or start.

The small repository of conftest.py: calendar "office" mon-fri 08:30-12:30 and
14:00-18:00 (sat 09:00-12:00); acme on plan "annual" (urgent: onsite 4h;
normal: confirm 8h; parts need approval), beta on the default "on-demand"
(urgent: onsite 8h). 2026-11-09 is a Monday.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

PSU = "tickets/2026/11/20261103-acme-psu1.yaml"


def ticket_text(customer: str, priority: str, reported: str, title: str = "Something is broken", extra: str = "") -> str:
    return f"customer: {customer}\ntitle: {title}\nreported: {reported}\npriority: {priority}\n" + textwrap.dedent(extra)


@pytest.fixture
def queue_repo(repo):
    """Four requests of 2026-11-10 besides the resolved psu1 (see the due times in each test)."""
    repo.ticket("20261110-acme-aaaa", ticket_text("acme", "urgent", "2026-11-10 09:00", "Server down", """\
        log:
          - {at: 2026-11-10 09:05, event: assigned, by: gbianchi, to: gbianchi}
        """))
    repo.ticket("20261110-acme-bbbb", ticket_text("acme", "normal", "2026-11-10 08:30", "Printer jam", """\
        log:
          - {at: 2026-11-10 08:40, event: assigned, by: gbianchi, to: mverdi}
        """))
    repo.ticket("20261109-beta-cccc", ticket_text("beta", "urgent", "2026-11-09 14:00", "No network"))
    repo.ticket("20261110-acme-dddd", ticket_text("acme", "normal", "2026-11-10 09:00", "Duplicate of aaaa", """\
        log:
          - {at: 2026-11-10 09:30, event: cancelled, by: gbianchi, reason: duplicate}
        """))
    return repo


def run(repo, *args, env=None, input=None):
    from gitdesk.main import cli

    environment = {"GITDESK_NO_CACHE": "1", "GITDESK_TECHNICIAN": None, **(env or {})}
    return CliRunner().invoke(cli, ["--repo", str(repo.root), *args], env=environment, input=input, catch_exceptions=False)


def listed(repo, *args, env=None) -> list[dict]:
    result = run(repo, "ticket", "list", "--format", "json", *args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------- ids


def test_an_id_by_its_end_or_its_start(queue_repo):
    shown = run(queue_repo, "ticket", "show", "cccc", "--now", "2026-11-10 11:00", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["id"] == "20261109-beta-cccc"
    assert json.loads(run(queue_repo, "ticket", "show", "20261109", "--format", "json").stdout)["id"] == "20261109-beta-cccc"
    assert json.loads(run(queue_repo, "ticket", "show", "psu1", "--format", "json").stdout)["id"] == "20261103-acme-psu1"


def test_an_ambiguous_id_lists_the_candidates(queue_repo):
    before = (queue_repo.root / "tickets/2026/11/20261110-acme-aaaa.yaml").read_bytes()
    result = run(queue_repo, "ticket", "assign", "20261110-acme", "mverdi", "--at", "2026-11-10 10:00")
    assert result.exit_code == 2
    assert "names 3 tickets" in result.stderr
    for ident in ("20261110-acme-aaaa", "20261110-acme-bbbb", "20261110-acme-dddd"):
        assert ident in result.stderr
    assert (queue_repo.root / "tickets/2026/11/20261110-acme-aaaa.yaml").read_bytes() == before


def test_an_unknown_id_gets_the_closest_ones(queue_repo):
    result = run(queue_repo, "ticket", "show", "20261103-acme-psu2")
    assert result.exit_code == 2 and "did you mean '20261103-acme-psu1'" in result.stderr
    result = run(queue_repo, "ticket", "event", "psu2", "resolved")
    assert result.exit_code == 2 and "'20261103-acme-psu1'" in result.stderr
    result = run(queue_repo, "ticket", "show", "zzzzzzzz")
    assert result.exit_code == 2 and "no ticket 'zzzzzzzz'" in result.stderr and "did you mean" not in result.stderr
    assert run(queue_repo, "ticket", "show", "bad id!").exit_code == 2


# ---------------------------------------------------------------- list


def test_the_queue_is_sorted_by_the_next_due_time(queue_repo):
    # at 2026-11-10 11:00 (Tuesday), working time left in calendar "office":
    # cccc beta urgent onsite 8h from Mon 14:00: Mon 14:00-18:00 (4h) + Tue 08:30-12:30 (4h) -> due Tue 12:30; left 11:00-12:30 = 1h30m
    # aaaa acme urgent onsite 4h from 09:00: 09:00-12:30 (3h30m) + 14:00-14:30 -> due 14:30; left 1h30m + 30m = 2h
    # bbbb acme normal confirm 8h from 08:30: 08:30-12:30 + 14:00-18:00 -> due 18:00; left 1h30m + 4h = 5h30m
    # dddd is cancelled, psu1 resolved: not in the queue
    items = listed(queue_repo, "--now", "2026-11-10 11:00")
    assert [(i["id"], i["next_target"], i["due"], i["left_minutes"], i["late"]) for i in items] == [
        ("20261109-beta-cccc", "onsite", "2026-11-10T12:30:00+01:00", 90, False),
        ("20261110-acme-aaaa", "onsite", "2026-11-10T14:30:00+01:00", 120, False),
        ("20261110-acme-bbbb", "confirm", "2026-11-10T18:00:00+01:00", 330, False),
    ]
    assert items[0] == {"id": "20261109-beta-cccc", "customer": "beta", "title": "No network", "state": "open",
                        "priority": "urgent", "assignee": None, "reported": "2026-11-09T14:00:00+01:00",
                        "next_target": "onsite", "due": "2026-11-10T12:30:00+01:00", "left_minutes": 90, "late": False}
    assert items[1]["assignee"] == "gbianchi" and items[2]["assignee"] == "mverdi"


def test_late_requests_and_the_text_table(queue_repo):
    # at 15:00: cccc due 12:30 -> late 12:30-15:00 less the break 12:30-14:00 = 1h; aaaa due 14:30 -> late 30m; bbbb 3h left
    items = listed(queue_repo, "--now", "2026-11-10 15:00")
    assert [(i["id"][-4:], i["left_minutes"], i["late"]) for i in items] == [("cccc", -60, True), ("aaaa", -30, True),
                                                                           ("bbbb", 180, False)]
    text = run(queue_repo, "ticket", "list", "--now", "2026-11-10 15:00").stdout
    lines = text.splitlines()
    assert lines[0] == "3 open requests at 2026-11-10 15:00 (Europe/Rome)"
    assert lines[2].split() == ["ID", "STATE", "CUSTOMER", "PRIORITY", "ASSIGNEE", "NEXT", "DUE", "LEFT", "TITLE"]
    assert lines[3].split() == ["20261109-beta-cccc", "open", "beta", "urgent", "-", "onsite", "2026-11-10", "12:30", "late",
                                "1h", "No", "network"]
    assert lines[5].split()[-4:] == ["18:00", "3h", "Printer", "jam"]


def test_every_request_with_all(queue_repo):
    items = listed(queue_repo, "--now", "2026-11-10 11:00", "--all")
    assert [(i["id"][-4:], i["state"]) for i in items] == [("cccc", "open"), ("aaaa", "open"), ("bbbb", "open"),
                                                           ("psu1", "resolved"), ("dddd", "cancelled")]
    assert items[3]["next_target"] is None and items[4]["left_minutes"] is None


def test_a_request_reported_after_the_moment_is_not_in_the_queue(queue_repo):
    # at 09:00 aaaa and dddd are just reported; bbbb (08:30) and cccc (the day before) are older
    assert sorted(i["id"][-4:] for i in listed(queue_repo, "--now", "2026-11-10 08:59", "--all")) == ["bbbb", "cccc", "psu1"]


def test_filters(queue_repo):
    now = ("--now", "2026-11-10 11:00")
    assert [i["id"] for i in listed(queue_repo, *now, "--customer", "beta")] == ["20261109-beta-cccc"]
    assert [i["id"] for i in listed(queue_repo, *now, "--technician", "gbianchi")] == ["20261110-acme-aaaa"]
    assert [i["id"] for i in listed(queue_repo, *now, "--mine", env={"GITDESK_TECHNICIAN": "mverdi"})] == ["20261110-acme-bbbb"]
    # at risk: due within 2h of working time (aaaa: exactly 2h) or late
    assert [i["id"][-4:] for i in listed(queue_repo, *now, "--at-risk")] == ["cccc", "aaaa"]
    assert [i["id"][-4:] for i in listed(queue_repo, *now, "--within", "1h30m")] == ["cccc"]
    assert [i["id"][-4:] for i in listed(queue_repo, *now, "--at-risk", "--within", "1h")] == []
    assert [i["id"][-4:] for i in listed(queue_repo, "--now", "2026-11-10 15:00", "--at-risk")] == ["cccc", "aaaa"]


def test_list_refusals(queue_repo):
    result = run(queue_repo, "ticket", "list", "--mine")
    assert result.exit_code == 2 and "GITDESK_TECHNICIAN" in result.stderr
    result = run(queue_repo, "ticket", "list", "--mine", env={"GITDESK_TECHNICIAN": "nobody"})
    assert result.exit_code == 2 and "not a team member" in result.stderr and "gbianchi, mverdi" in result.stderr
    assert run(queue_repo, "ticket", "list", "--technician", "nobody").exit_code == 2
    assert run(queue_repo, "ticket", "list", "--customer", "nobody").exit_code == 2
    assert run(queue_repo, "ticket", "list", "--within", "soon").exit_code == 2
    assert run(queue_repo, "ticket", "list", "--now", "yesterday").exit_code == 2


def test_an_escalation_shows_in_the_queue(queue_repo):
    result = run(queue_repo, "ticket", "priority", "bbbb", "urgent", "--reason", "Two more offices are down", "--by", "gbianchi",
                 "--at", "2026-11-10 09:00")
    assert result.exit_code == 0, result.output
    item = next(i for i in listed(queue_repo, "--now", "2026-11-10 11:00") if i["id"].endswith("bbbb"))
    assert item["priority"] == "urgent"


# ---------------------------------------------------------------- show


def test_show_text(repo):
    result = run(repo, "ticket", "show", "psu1", "--now", "2026-11-20 10:00")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("20261103-acme-psu1: Main server does not boot\n")
    assert "  customer:      ACME Meccanica S.p.A. (acme)" in text and "  state:         resolved" in text
    assert "  reported:      2026-11-03 09:10 by Mario Rossi via phone" in text
    assert "  2026-11-03 09:14  acknowledged gbianchi" in text
    assert "1. 2026-11-03 12:05-13:35  onsite by gbianchi, resolved" in text
    assert "part 1.1: Power supply 750 W (PSU-750), 1 x 89.00, approved 2026-11-03 12:20" in text
    # urgent onsite 4h from 09:10: 09:10-12:30 (3h20m) + 14:00-14:40 -> due 14:40, met at the arrival 12:05
    assert "  onsite       due 2026-11-03 14:40  met       met 2026-11-03 12:05" in text


def test_show_json_charges_are_the_statements(repo):
    data = json.loads(run(repo, "ticket", "show", "psu1", "--now", "2026-11-20 10:00", "--format", "json").stdout)
    assert data["state"] == "resolved" and data["priority"] == "urgent" and data["assignee"] is None
    assert [e["event"] for e in data["timeline"]] == ["acknowledged", "resolved"]
    (report,) = data["reports"]
    # 1h30m on site at acme's 45.00 = 67.50, call-out 35.00, the part 89.00; the 1.5 h drawn from the prepaid package: -67.50
    assert [(line["kind"], line["amount"]) for line in report["lines"]] == [
        ("labour", "67.50"), ("callout", "35.00"), ("part", "89.00"), ("discount", "-67.50")]
    assert report["total"] == "124.00" and report["month"] == "2026-11"
    assert data["targets"] == [{"kind": "onsite", "due": "2026-11-03T14:40:00+01:00", "met_at": "2026-11-03T12:05:00+01:00",
                                "status": "met", "late_minutes": 0, "paused_minutes": 0}]


# ---------------------------------------------------------------- cancel, priority, assign


def test_lifecycle_commands_commit(git_repo):
    repo = git_repo
    repo.ticket("20261110-acme-aaaa", ticket_text("acme", "normal", "2026-11-10 09:00"))
    repo.git("add", "-A")
    repo.git("commit", "-qm", "a request")
    path = repo.root / "tickets/2026/11/20261110-acme-aaaa.yaml"
    steps = [
        ("priority", "aaaa", "urgent", "--reason", "Two more offices are down", "--at", "2026-11-10 09:30"),
        ("assign", "aaaa", "mverdi", "--at", "2026-11-10 09:32"),
        ("cancel", "aaaa", "--reason", "duplicate", "--note", "Same fault as psu1", "--at", "2026-11-10 10:00"),
    ]
    for step in steps:
        result = run(repo, "ticket", *step, "--commit", env={"GITDESK_TECHNICIAN": "gbianchi"})
        assert result.exit_code == 0, result.output
    assert path.read_text().endswith(
        "log:\n"
        '  - {at: 2026-11-10 09:30, event: priority, by: gbianchi, to: urgent, note: "Two more offices are down"}\n'
        "  - {at: 2026-11-10 09:32, event: assigned, by: gbianchi, to: mverdi}\n"
        '  - {at: 2026-11-10 10:00, event: cancelled, by: gbianchi, reason: duplicate, note: "Same fault as psu1"}\n')
    assert repo.git("log", "--format=%s").splitlines()[:3] == [
        "Ticket 20261110-acme-aaaa: cancelled (duplicate)", "Ticket 20261110-acme-aaaa: assigned to mverdi",
        "Ticket 20261110-acme-aaaa: priority urgent (Two more offices are down)"]
    assert repo.git("status", "--porcelain") == ""
    assert run(repo, "validate").exit_code == 0


@pytest.mark.parametrize("args,code,message", [
    (["priority", "aaaa", "critical", "--reason", "x", "--at", "2026-11-10 09:30"], 1, "priority 'critical' is not in plan"),
    (["priority", "aaaa", "urgent"], 2, "--reason"),
    (["assign", "aaaa", "nobody", "--at", "2026-11-10 09:30"], 1, "nobody"),
    (["cancel", "aaaa"], 2, "--reason"),
    (["cancel", "aaaa", "--reason", "duplicate", "--at", "2026-11-09 09:30"], 1, "before the ticket was reported"),
    (["cancel", "aaaa", "--reason", "duplicate", "--by", "nobody", "--at", "2026-11-10 09:30"], 1, "nobody"),
    (["cancel", "aaaa", "--reason", "duplicate", "--at", "10 o'clock"], 2, "--at"),
])
def test_lifecycle_refusals_leave_the_file(repo, args, code, message):
    rel = repo.ticket("20261110-acme-aaaa", ticket_text("acme", "normal", "2026-11-10 09:00") + "# the technician's note\n")
    before = (repo.root / rel).read_bytes()
    result = run(repo, "ticket", *args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert (repo.root / rel).read_bytes() == before


def test_a_cancelled_request_is_not_cancelled_again(repo):
    rel = repo.ticket("20261110-acme-aaaa", ticket_text("acme", "normal", "2026-11-10 09:00"))
    assert run(repo, "ticket", "cancel", "aaaa", "--reason", "withdrawn", "--at", "2026-11-10 09:30").exit_code == 0
    before = (repo.root / rel).read_bytes()
    result = run(repo, "ticket", "cancel", "aaaa", "--reason", "withdrawn", "--at", "2026-11-10 09:40")
    assert result.exit_code == 1 and "only reopened may follow a cancellation" in result.stderr
    assert (repo.root / rel).read_bytes() == before


def test_event_takes_to_and_reason(repo):
    rel = repo.ticket("20261110-acme-aaaa", ticket_text("acme", "normal", "2026-11-10 09:00"))
    assert run(repo, "ticket", "event", "aaaa", "assigned", "--to", "gbianchi", "--at", "2026-11-10 09:10").exit_code == 0
    assert "  - {at: 2026-11-10 09:10, event: assigned, to: gbianchi}\n" in (repo.root / rel).read_text()


# ---------------------------------------------------------------- part, approve

WORK = """\
# written on site
customer: beta
title: Laptop does not charge
reported: 2026-11-10 09:00
priority: normal
interventions:
  - technician: gbianchi   # Giulia
    mode: onsite
    start: 2026-11-10 10:00
    end: 2026-11-10 11:00
    outcome: continues
    report: |
      Charger broken.

    # a part will follow
  - technician: gbianchi
    mode: onsite
    start: 2026-11-11 10:00
    end: 2026-11-11 11:00
    outcome: resolved
    report: Replaced the charger.
    parts:
      - {code: CH-65, name: "Charger 65 W", qty: 1, price: 39.00}
      - code: CBL-1
        name: USB-C cable
        price: 9.00   # the short one
# end of the file
"""


def test_a_part_added_keeps_every_other_line(repo):
    rel = repo.ticket("20261110-beta-work", WORK)
    result = run(repo, "ticket", "part", "work", "Cable tie", "10", "0.10", "--intervention", "1")
    assert result.exit_code == 0, result.output
    assert (repo.root / rel).read_text() == WORK.replace(
        "      Charger broken.\n", "      Charger broken.\n    parts:\n      - {name: \"Cable tie\", qty: 10, price: 0.10}\n")
    result = run(repo, "ticket", "part", "work", "Adapter", "1", "12.50", "--code", "AD-1", "--approved", "2026-11-11 10:30")
    assert result.exit_code == 0, result.output
    assert (repo.root / rel).read_text().endswith(
        "        price: 9.00   # the short one\n"
        "      - {code: AD-1, name: \"Adapter\", qty: 1, price: 12.50, approved: 2026-11-11 10:30}\n"
        "# end of the file\n")
    assert run(repo, "validate").exit_code == 0


def test_a_part_in_a_flow_list(repo):
    text = WORK[: WORK.index("    parts:\n")] + "    parts: []   # none yet\n"
    rel = repo.ticket("20261110-beta-work", text)
    result = run(repo, "ticket", "part", "work", "Fuse", "2", "1.5")
    assert result.exit_code == 0, result.output
    assert (repo.root / rel).read_text() == text.replace("[]", '[{name: "Fuse", qty: 2, price: 1.50}]')
    assert run(repo, "ticket", "part", "work", "Fuse", "1", "1.5").exit_code == 0
    assert (repo.root / rel).read_text() == text.replace("[]", '[{name: "Fuse", qty: 2, price: 1.50}, {name: "Fuse", qty: 1, '
                                                               'price: 1.50}]')


def test_a_part_on_a_committed_ticket(git_repo):
    repo = git_repo
    result = run(repo, "ticket", "part", "psu1", "Screws", "4", "0.25", "--approved", "2026-11-03 12:30", "--commit")
    assert result.exit_code == 0, result.output
    text = (repo.root / PSU).read_text()
    assert text.endswith('      - {code: PSU-750, name: Power supply 750 W, qty: 1, price: 89.00, approved: 2026-11-03 12:20}\n'
                         '      - {name: "Screws", qty: 4, price: 0.25, approved: 2026-11-03 12:30}\n')
    assert repo.git("log", "-1", "--format=%s").strip() == "Ticket 20261103-acme-psu1: part Screws x 4 added to work report 1"


@pytest.mark.parametrize("args,code,message", [
    (["psu1", "Screws", "4", "0.25"], 1, "no approved time"),  # acme's contract asks for an approval before parts
    (["psu1", "Screws", "4", "0.25", "--approved", "2026-11-03 14:00"], 1, "approved"),  # after the intervention's end
    (["psu1", "Screws", "4", "0.25", "--intervention", "2"], 2, "has 1 work report"),
    (["psu1", "Screws", "four", "0.25"], 2, "QTY"),
    (["psu1", "Screws", "4", "0.255"], 2, "PRICE"),
    (["psu1", " ", "4", "0.25"], 2, "NAME"),
])
def test_part_refusals_leave_the_file(repo, args, code, message):
    before = (repo.root / PSU).read_bytes()
    result = run(repo, "ticket", "part", *args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert (repo.root / PSU).read_bytes() == before


def test_a_part_needs_a_work_report(repo):
    rel = repo.ticket("20261110-beta-none", ticket_text("beta", "normal", "2026-11-10 09:00"))
    before = (repo.root / rel).read_bytes()
    result = run(repo, "ticket", "part", "none", "Fuse", "1", "1.00")
    assert result.exit_code == 1 and "no work report" in result.stderr
    assert (repo.root / rel).read_bytes() == before


def test_approve_by_code_name_and_number(repo):
    rel = repo.ticket("20261110-beta-work", WORK)
    assert run(repo, "ticket", "approve", "work", "ch-65", "--at", "2026-11-11 10:15").exit_code == 0
    assert run(repo, "ticket", "approve", "work", "2.2", "--at", "2026-11-11 10:20").exit_code == 0
    expected = WORK.replace('price: 39.00}', 'price: 39.00, approved: 2026-11-11 10:15}').replace(
        "        price: 9.00   # the short one\n", "        price: 9.00   # the short one\n        approved: 2026-11-11 10:20\n")
    assert (repo.root / rel).read_text() == expected
    # a new time replaces the old one, in place
    assert run(repo, "ticket", "approve", "work", "usb-c cable", "--at", "2026-11-11 10:25").exit_code == 0
    assert (repo.root / rel).read_text() == expected.replace("approved: 2026-11-11 10:20", "approved: 2026-11-11 10:25")
    assert run(repo, "validate").exit_code == 0


def test_approve_refusals(repo):
    rel = repo.ticket("20261110-beta-work", WORK)
    before = (repo.root / rel).read_bytes()
    result = run(repo, "ticket", "approve", "work", "c", "--at", "2026-11-11 10:15")  # in both names
    assert result.exit_code == 2 and "names 2 parts" in result.stderr
    assert "2.1 CH-65 'Charger 65 W'" in result.stderr and "2.2 CBL-1 'USB-C cable'" in result.stderr
    result = run(repo, "ticket", "approve", "work", "toner", "--at", "2026-11-11 10:15")
    assert result.exit_code == 2 and "no part 'toner'" in result.stderr and "2.1 CH-65" in result.stderr
    assert run(repo, "ticket", "approve", "work", "3.1", "--at", "2026-11-11 10:15").exit_code == 2
    assert run(repo, "ticket", "approve", "work", "2.1", "--at", "tomorrow").exit_code == 2
    assert (repo.root / rel).read_bytes() == before


def test_approval_after_the_end_is_refused_where_the_contract_asks(repo):
    before = (repo.root / PSU).read_bytes()
    result = run(repo, "ticket", "approve", "psu1", "PSU-750", "--at", "2026-11-03 14:00")
    assert result.exit_code == 1 and "left as it was" in result.stderr
    assert (repo.root / PSU).read_bytes() == before


# ---------------------------------------------------------------- edit

EDITOR = """\
import pathlib, sys
path = pathlib.Path(sys.argv[-1])
count = pathlib.Path(sys.argv[1])
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
steps = {steps!r}
old, new = steps[min(n, len(steps) - 1)]
path.write_text(path.read_text().replace(old, new))
"""


def editor(tmp_path, *steps) -> dict:
    """$EDITOR: a script that makes the n-th replacement (old, new) on its n-th run."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(steps=list(steps)))
    return {"EDITOR": f"{sys.executable} {script} {tmp_path / 'runs'}", "VISUAL": None}


def test_edit_saves_a_right_text(git_repo, tmp_path):
    env = editor(tmp_path, ("title: Main server does not boot", "title: Main server boots in a loop"))
    result = run(git_repo, "ticket", "edit", "psu1", "--commit", env=env)
    assert result.exit_code == 0, result.output
    assert "title: Main server boots in a loop\n" in (git_repo.root / PSU).read_text()
    assert git_repo.git("log", "-1", "--format=%s").strip() == "Ticket 20261103-acme-psu1: edited"


def test_edit_unchanged_writes_nothing(repo, tmp_path):
    before = (repo.root / PSU).read_bytes()
    result = run(repo, "ticket", "edit", "psu1", env=editor(tmp_path, ("nothing like this", "")))
    assert result.exit_code == 0 and "nothing changed" in result.stderr
    assert (repo.root / PSU).read_bytes() == before


def test_edit_again_after_a_mistake(repo, tmp_path):
    env = editor(tmp_path, ("priority: urgent", "priority: critical"), ("priority: critical", "priority: normal"))
    result = run(repo, "ticket", "edit", "psu1", env=env, input="e\n")
    assert result.exit_code == 0, result.output
    assert f"{PSU}:6:11:" in result.stderr and "    priority: critical" in result.stderr
    assert "priority: normal\n" in (repo.root / PSU).read_text()


def test_edit_discarded(repo, tmp_path):
    before = (repo.root / PSU).read_bytes()
    env = editor(tmp_path, ("end: 2026-11-03 13:35", "end: 2026-11-03 11:35"))
    result = run(repo, "ticket", "edit", "psu1", env=env, input="d\n")
    assert result.exit_code == 1 and "is not after start" in result.stderr and "left as it was" in result.stderr
    assert (repo.root / PSU).read_bytes() == before
    # without an answer (no terminal), the edit is discarded too
    again = tmp_path / "again"
    again.mkdir()
    result = run(repo, "ticket", "edit", "psu1", env=editor(again, ("priority: urgent", "priority: critical")))
    assert result.exit_code == 1 and (repo.root / PSU).read_bytes() == before


# ---------------------------------------------------------------- help


@pytest.mark.parametrize("name,words", [
    ("list", ["--mine", "GITDESK_TECHNICIAN", "--at-risk", "--within", "working time"]),
    ("show", ["timeline", "statement"]),
    ("part", ["counted from 1", "--approved"]),
    ("approve", ["N.M", "code"]),
    ("cancel", ["--reason", "reopened"]),
    ("priority", ["NEW", "--reason"]),
    ("assign", ["TECH", "assignee"]),
    ("edit", ["EDITOR", "edit", "again", "discard"]),
])
def test_help_explains(repo, name, words):
    text = " ".join(run(repo, "ticket", name, "--help").stdout.split())
    for word in words:
        assert word in text


# ---------------------------------------------------------------- the facts behind the queue


def test_a_requests_state_from_its_log():
    import datetime as dt

    from gitdesk.core import desk
    from gitdesk.core.model import Ticket

    def at(hour: int) -> dt.datetime:
        return dt.datetime(2026, 11, 10, hour, tzinfo=dt.timezone.utc)

    def ticket(*events) -> Ticket:
        log = [dict(at=at(h), event=e, **extra) for h, e, extra in events]
        return Ticket(customer="acme", title="x", reported=at(8), priority="normal", log=log)

    cancelled = ticket((9, "cancelled", {"reason": "duplicate"}), (11, "reopened", {}))
    assert [desk.state_of(cancelled, at(h)) for h in (8, 10, 12)] == ["open", "cancelled", "open"]
    waited = ticket((9, "waiting", {}), (10, "resolved", {}), (11, "resumed", {}))
    assert [desk.state_of(waited, at(h)) for h in (9, 10, 11)] == ["waiting", "resolved", "resolved"]
    changed = ticket((9, "priority", {"to": "urgent"}), (10, "assigned", {"to": "gbianchi"}), (11, "assigned", {"to": "mverdi"}))
    assert desk.priority_of(changed, at(8)) == "normal" and desk.priority_of(changed, at(9)) == "urgent"
    assert [desk.assignee_of(changed, at(h)) for h in (9, 10, 12)] == [None, "gbianchi", "mverdi"]


def test_a_probably_mistyped_end_is_written_with_a_warning(repo):
    # a wrong end date: 2026-11-11 10:10 instead of 2026-11-10 10:10, 25h10m over a night
    repo.ticket("20261110-beta-eeee", ticket_text("beta", "normal", "2026-11-10 08:30", "Printer jam"))
    result = run(repo, "ticket", "work", "eeee", "--technician", "mverdi", "--mode", "onsite", "--start", "2026-11-10 09:00",
                 "--end", "2026-11-11 10:10", "--outcome", "resolved", "--report", "Cleared the jam.")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "tickets/2026/11/20261110-beta-eeee.yaml"
    assert "warning: the intervention lasts 25h10m (more than 12 hours): check its end" in result.stderr
    assert "written with 1 warning" in result.stderr and "gitdesk ticket edit" in result.stderr
    assert "end: 2026-11-11 10:10" in (repo.root / "tickets/2026/11/20261110-beta-eeee.yaml").read_text()
    # said once: a later change of the file does not repeat it
    later = run(repo, "ticket", "event", "eeee", "resolved", "--by", "mverdi", "--at", "2026-11-11 10:15")
    assert later.exit_code == 0 and "warning" not in later.stderr, later.stderr


def test_edit_of_a_crlf_file_with_a_bom_left_unchanged_writes_nothing(repo, tmp_path):
    path = repo.root / PSU
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    result = run(repo, "ticket", "edit", "psu1", env=editor(tmp_path, ("nothing like this", "")))
    assert result.exit_code == 0 and "nothing changed" in result.stderr, (result.stdout, result.stderr)
    assert path.read_bytes() == before


@pytest.mark.parametrize("action,message", [
    ("import os, sys; os.remove(sys.argv[-1])", "could not be read back"),
    ("import sys; open(sys.argv[-1], 'ab').write(b'title: \\xff\\xfe\\n')", "not UTF-8"),
])
def test_an_editor_that_spoils_its_file_gets_a_clear_error(repo, tmp_path, action, message):
    script = tmp_path / "spoil.py"
    script.write_text(action + "\n")
    before = (repo.root / PSU).read_bytes()
    result = run(repo, "ticket", "edit", "psu1", env={"EDITOR": f"{sys.executable} {script}", "VISUAL": None})
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output
    assert (repo.root / PSU).read_bytes() == before


def test_texts_that_other_yaml_readers_take_as_numbers_are_quoted(repo):
    result = run(repo, "ticket", "cancel", "psu1", "--reason", "0x1F", "--by", "gbianchi", "--at", "2026-11-04 11:00")
    assert result.exit_code == 0, result.output
    assert 'reason: "0x1F"' in (repo.root / PSU).read_text()


def test_a_part_name_with_terminal_escapes_is_shown_escaped(repo):
    name = "Evil\x1b[31mRED\x1b]0;pwn\x07"
    result = run(repo, "ticket", "part", "psu1", name, "1", "2.00", "--approved", "2026-11-03 12:30")
    assert result.exit_code == 0, result.output
    shown = run(repo, "ticket", "show", "psu1", "--now", "2026-11-30 18:00")
    assert shown.exit_code == 0 and "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "Evil\\x1b[31mRED\\x1b]0;pwn\\x07" in shown.stdout


def test_a_crlf_file_keeps_its_line_breaks(repo):
    path = repo.root / PSU
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    for args in (["cancel", "psu1", "--reason", "duplicate", "--note", "Two\nlines", "--by", "gbianchi", "--at", "2026-11-04 11:00"],
                 ["part", "psu1", "Cable", "2", "3.50", "--code", "C-1", "--approved", "2026-11-03 12:30"],
                 ["approve", "psu1", "C-1", "--at", "2026-11-03 12:25"]):
        result = run(repo, "ticket", *args)
        assert result.exit_code == 0, result.output
        data = path.read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n"), args
    text = path.read_text()
    assert "approved: 2026-11-03 12:25" in text and 'reason: duplicate' in text


def test_a_tab_the_loader_accepts_does_not_stop_a_part(repo):
    path = repo.root / PSU
    path.write_text(path.read_text().replace("{code: PSU-750,", "{code:\tPSU-750,"))
    assert run(repo, "validate").exit_code == 0
    result = run(repo, "ticket", "approve", "psu1", "PSU-750", "--at", "2026-11-03 12:10")
    assert result.exit_code == 0, result.output
    assert "approved: 2026-11-03 12:10" in path.read_text()


@pytest.mark.parametrize("args", [["cancel", "psu1", "--reason", " "], ["priority", "psu1", "normal", "--reason", ""]])
def test_an_empty_reason_is_a_usage_error(repo, args):
    before = (repo.root / PSU).read_bytes()
    result = run(repo, "ticket", *args)
    assert result.exit_code == 2 and "give a reason" in result.stderr
    assert (repo.root / PSU).read_bytes() == before
