"""Every validation rule: the right file, the right line, a clear message, all in one run."""

from __future__ import annotations

import json

import pytest

from conftest import TICKET


def problems(repo):
    result = repo.run("validate", "--format", "json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def line_of(repo, relpath: str, needle: str) -> int:
    for n, line in enumerate((repo.root / relpath).read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {relpath}")


def assert_flagged(repo, relpath: str, needle: str, words: str):
    code, found = problems(repo)
    assert code == 1
    line = line_of(repo, relpath, needle)
    hits = [p for p in found if p["path"] == relpath and p["line"] == line]
    assert any(words.lower() in p["message"].lower() for p in hits), (relpath, line, found)


def test_valid_repository_passes(repo):
    result = repo.run("validate")
    assert result.exit_code == 0, result.output
    assert "no errors" in result.stderr


def test_unknown_field_suggests_the_right_one(repo):
    rel = repo.ticket("20261103-acme-typo", TICKET.replace("reported_by:", "reported_bi:"))
    assert_flagged(repo, rel, "reported_bi", "did you mean 'reported_by'")


def test_unknown_field_in_nested_record(repo):
    rel = repo.ticket("20261103-acme-typo", TICKET.replace("outcome: resolved", "outcome: resolved\n    warrenty: true"))
    assert_flagged(repo, rel, "warrenty", "did you mean 'warranty'")


def test_wrong_type(repo):
    rel = repo.ticket("20261103-acme-type", TICKET.replace("users_blocked: 12", "users_blocked: twelve"))
    assert_flagged(repo, rel, "users_blocked", "whole number")


def test_missing_required_field(repo):
    rel = repo.ticket("20261103-acme-miss", TICKET.replace("    report: |\n      Replaced the power supply.\n", ""))
    assert_flagged(repo, rel, "- technician: gbianchi", "missing required field 'report'")


def test_bad_duration(repo):
    repo.write("contracts/plans/annual.yaml", (repo.root / "contracts/plans/annual.yaml").read_text().replace("onsite: 4h", "onsite: 4"))
    assert_flagged(repo, "contracts/plans/annual.yaml", "onsite: 4}", "no unit")


def test_money_with_three_decimals(repo):
    rel = repo.ticket("20261103-acme-cent", TICKET.replace("price: 89.00", "price: 89.005"))
    assert_flagged(repo, rel, "price: 89.005", "more than two decimals")


def test_timestamp_in_the_gap(repo):
    text = TICKET.replace("2026-11-03 09:10", "2026-03-29 02:30")
    rel = repo.ticket("20260329-acme-gap1", text, month="2026/03")
    assert_flagged(repo, rel, "reported: 2026-03-29 02:30", "does not exist")


def test_ambiguous_timestamp_without_offset(repo):
    text = TICKET.replace("reported: 2026-11-03 09:10", "reported: 2026-10-25 02:30")
    rel = repo.ticket("20261025-acme-fold", text, month="2026/10")
    assert_flagged(repo, rel, "reported: 2026-10-25 02:30", "happens twice")


def test_ambiguous_timestamp_with_offset_is_fine(repo):
    text = TICKET.replace("reported: 2026-11-03 09:10", "reported: 2026-10-25T02:30:00+01:00")
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261025-acme-fold", text, month="2026/10")
    result = repo.run("validate")
    assert result.exit_code == 0, result.output


def test_unknown_customer(repo):
    rel = repo.ticket("20261103-acme-cust", TICKET.replace("customer: acme", "customer: acmee"))
    assert_flagged(repo, rel, "customer: acmee", "unknown customer 'acmee' (did you mean 'acme'?)")


def test_unknown_plan(repo):
    repo.write("contracts/customers/beta.yaml", "name: Beta\ncontracts:\n  - {plan: anual, from: 2026-01-01}\n")
    assert_flagged(repo, "contracts/customers/beta.yaml", "plan: anual", "unknown plan")


def test_unknown_default_plan(repo):
    text = (repo.root / "contracts/provider.yaml").read_text().replace("default_plan: on-demand", "default_plan: ondemand")
    repo.write("contracts/provider.yaml", text)
    assert_flagged(repo, "contracts/provider.yaml", "default_plan", "unknown plan")


def test_unknown_calendar(repo):
    repo.write("contracts/plans/annual.yaml", (repo.root / "contracts/plans/annual.yaml").read_text().replace("calendar: office", "calendar: ofice"))
    assert_flagged(repo, "contracts/plans/annual.yaml", "calendar: ofice", "unknown calendar")


def test_unknown_technician(repo):
    rel = repo.ticket("20261103-acme-tech", TICKET.replace("technician: gbianchi", "technician: gbianco"))
    assert_flagged(repo, rel, "technician: gbianco", "unknown technician")


def test_unknown_event_author(repo):
    rel = repo.ticket("20261103-acme-by01", TICKET.replace("event: acknowledged, by: gbianchi", "event: acknowledged, by: nobody"))
    assert_flagged(repo, rel, "by: nobody", "unknown team member")


def test_unknown_priority(repo):
    rel = repo.ticket("20261103-acme-prio", TICKET.replace("priority: urgent", "priority: critical"))
    assert_flagged(repo, rel, "priority: critical", "not in plan 'annual'")


def test_priority_of_the_plan_in_force_when_reported(repo):
    # beta has no contract: the on-demand plan applies, and it has no 'low' priority;
    # acme's annual plan has none either, but a plan with 'low' exists elsewhere.
    text = TICKET.replace("customer: acme", "customer: beta").replace("priority: urgent", "priority: low")
    text = text.split("    parts:")[0]
    rel = repo.ticket("20261103-beta-prio", text)
    assert_flagged(repo, rel, "priority: low", "not in plan 'on-demand'")


def test_contract_period_decides_the_plan(repo):
    repo.write("contracts/customers/beta.yaml", "name: Beta\ncontracts:\n  - {plan: annual, from: 2026-11-10, to: 2026-12-31}\n")
    text = TICKET.replace("customer: acme", "customer: beta").split("    parts:")[0]
    # reported on 2026-11-03, before the contract: on demand, where 'urgent' exists too
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261103-beta-ok01", text)
    result = repo.run("validate")
    assert result.exit_code == 0, result.output
    repo.ticket("20261103-beta-ok01", text.replace("priority: urgent", "priority: normal"))
    assert repo.run("validate").exit_code == 0


def test_overlapping_contracts(repo):
    repo.write(
        "contracts/customers/beta.yaml",
        "name: Beta\ncontracts:\n  - {plan: annual, from: 2026-01-01, to: 2026-06-30}\n  - {plan: on-demand, from: 2026-06-01, to: 2026-12-31}\n",
    )
    assert_flagged(repo, "contracts/customers/beta.yaml", "from: 2026-06-01", "overlaps the contract at line 3")


def test_open_ended_contract_overlaps_a_later_one(repo):
    repo.write(
        "contracts/customers/beta.yaml",
        "name: Beta\ncontracts:\n  - {plan: annual, from: 2026-01-01}\n  - {plan: annual, from: 2027-01-01}\n",
    )
    assert_flagged(repo, "contracts/customers/beta.yaml", "from: 2027-01-01", "overlaps")


def test_overlapping_interventions_name_both_places(repo):
    other = TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-03 13:00").replace("end: 2026-11-03 13:35", "end: 2026-11-03 14:00")
    rel = repo.ticket("20261103-acme-ovl1", other)
    code, found = problems(repo)
    assert code == 1
    first = "tickets/2026/11/20261103-acme-psu1.yaml"
    mine = [p for p in found if p["path"] == rel and "overlaps" in p["message"]]
    theirs = [p for p in found if p["path"] == first and "overlaps" in p["message"]]
    assert mine and theirs
    assert first in mine[0]["message"] and rel in theirs[0]["message"]
    assert mine[0]["line"] == line_of(repo, rel, "start: 2026-11-03 13:00")


def test_back_to_back_interventions_do_not_overlap(repo):
    other = TICKET.replace("start: 2026-11-03 12:05", "start: 2026-11-03 13:35").replace("end: 2026-11-03 13:35", "end: 2026-11-03 14:00")
    repo.ticket("20261103-acme-next", other)
    assert repo.run("validate").exit_code == 0


def test_end_not_after_start(repo):
    rel = repo.ticket("20261103-acme-end1", TICKET.replace("end: 2026-11-03 13:35", "end: 2026-11-03 12:05"))
    assert_flagged(repo, rel, "end: 2026-11-03 12:05", "not after start")


def test_part_without_approval(repo):
    rel = repo.ticket("20261103-acme-part", TICKET.replace(", approved: 2026-11-03 12:20", ""))
    assert_flagged(repo, rel, "code: PSU-750", "no approved time")


def test_part_approved_after_the_end(repo):
    rel = repo.ticket("20261103-acme-late", TICKET.replace("approved: 2026-11-03 12:20", "approved: 2026-11-03 14:00"))
    assert_flagged(repo, rel, "approved: 2026-11-03 14:00", "approved after")


def test_part_without_approval_is_fine_without_the_clause(repo):
    text = TICKET.replace("customer: acme", "customer: beta").replace(", approved: 2026-11-03 12:20", "")
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    repo.ticket("20261103-beta-part", text)
    assert repo.run("validate").exit_code == 0


def test_id_disagrees_with_file_name(repo):
    rel = repo.ticket("20261103-acme-idid", "id: 20261103-acme-other\n" + TICKET)
    assert_flagged(repo, rel, "id: 20261103-acme-other", "disagrees with the file name")


def test_duplicate_ticket_ids(repo):
    rel = repo.ticket("20261103-acme-psu1", TICKET, month="2026/10")
    code, found = problems(repo)
    assert code == 1
    assert any(p["path"] in (rel, "tickets/2026/11/20261103-acme-psu1.yaml") and "duplicate ticket id" in p["message"] for p in found)


def test_ticket_in_the_wrong_month_folder(repo):
    rel = repo.ticket("20261103-acme-fold", TICKET, month="2026/10")
    repo.remove("tickets/2026/11/20261103-acme-psu1.yaml")
    assert_flagged(repo, rel, "reported:", "belongs in tickets/2026/11/")


def test_event_before_the_report(repo):
    rel = repo.ticket("20261103-acme-time", TICKET.replace("at: 2026-11-03 09:14", "at: 2026-11-03 09:00"))
    assert_flagged(repo, rel, "at: 2026-11-03 09:00", "before the ticket was reported")


def test_resumed_without_waiting(repo):
    text = TICKET.replace("  - {at: 2026-11-04 10:00, event: resolved", "  - {at: 2026-11-03 15:00, event: resumed, by: gbianchi}\n  - {at: 2026-11-04 10:00, event: resolved")
    rel = repo.ticket("20261103-acme-wait", text)
    assert_flagged(repo, rel, "event: resumed", "without a waiting")


def test_event_fields(repo):
    text = TICKET.replace("event: acknowledged, by: gbianchi}", "event: confirmed, by: gbianchi}")
    rel = repo.ticket("20261103-acme-conf", text)
    assert_flagged(repo, rel, "event: confirmed", "needs planned")


def test_invalid_yaml_is_located(repo):
    rel = repo.ticket("20261103-acme-yaml", "customer: acme\ntitle: [unclosed\nreported: 2026-11-03 09:10\n")
    code, found = problems(repo)
    assert code == 1
    assert any(p["path"] == rel and "YAML" in p["message"] and p["line"] >= 2 for p in found)


def test_duplicate_key(repo):
    rel = repo.ticket("20261103-acme-dupk", TICKET.replace("via: phone", "via: phone\nvia: email"))
    assert_flagged(repo, rel, "via: email", "duplicate key")


def test_not_a_mapping(repo):
    rel = repo.ticket("20261103-acme-list", "- just\n- a list\n")
    assert_flagged(repo, rel, "- just", "must be a mapping")


def test_missing_provider(repo):
    repo.remove("contracts/provider.yaml")
    code, found = problems(repo)
    assert code == 1
    assert any(p["path"] == "contracts/provider.yaml" and "missing" in p["message"] for p in found)


def test_bad_file_names(repo):
    repo.write("tickets/2026/11/Ticket One.yaml", TICKET)
    repo.write("tickets/2026/stray.yaml", TICKET)
    repo.write("contracts/customers/gamma.yml", BETA := "name: Gamma\n")
    code, found = problems(repo)
    messages = {p["path"]: p["message"] for p in found}
    assert "invalid file name" in messages["tickets/2026/11/Ticket One.yaml"]
    assert "tickets/YYYY/MM" in messages["tickets/2026/stray.yaml"]
    assert ".yaml, not .yml" in messages["contracts/customers/gamma.yml"]


def test_calendar_rules(repo):
    text = (repo.root / "contracts/provider.yaml").read_text()
    repo.write("contracts/provider.yaml", text.replace('"08:30-12:30", "14:00-18:00"', '"08:30-12:30", "12:00-18:00"').replace("holidays: IT", "holidays: XX"))
    code, found = problems(repo)
    assert code == 1
    text = " ".join(p["message"] for p in found)
    assert "overlap" in text and "unknown holiday country" in text


def test_holiday_countries_are_the_packages():
    """The quick list of countries (from the package's registry) is the package's own list,
    aliases included (UK for GB), and a lower-case code is read as upper case."""
    import holidays

    from gitdesk.core.model import Calendar, _holiday_countries

    assert _holiday_countries() == set(holidays.list_supported_countries())
    assert {"IT", "UK", "GB", "DE"} <= _holiday_countries()
    assert Calendar.model_validate({"hours": {"mon-fri": ["08:30-12:30"]}, "holidays": " it "}).holidays == "IT"


def test_every_problem_in_one_run(repo):
    """One run names every problem of every file, each at its own line."""
    bad = {
        repo.ticket("20261103-acme-aaaa", TICKET.replace("customer: acme", "customer: nobody")): "customer: nobody",
        repo.ticket("20261103-acme-bbbb", TICKET.replace("price: 89.00", "price: 89.001")): "price: 89.001",
        repo.ticket("20261103-acme-cccc", TICKET.replace("technician: gbianchi", "technician: ghost")): "technician: ghost",
        repo.ticket("20261103-acme-dddd", TICKET.replace("priority: urgent", "priority: asap")): "priority: asap",
    }
    repo.write("contracts/customers/beta.yaml", "name: Beta\ncontracts:\n  - {plan: annual, from: 2026-01-01, to: 2026-12-31, colour: red}\n")
    bad["contracts/customers/beta.yaml"] = "colour: red"
    # the untouched ticket overlaps the three copies that keep its technician and times
    code, found = problems(repo)
    assert code == 1
    for rel, needle in bad.items():
        line = line_of(repo, rel, needle)
        assert any(p["path"] == rel and p["line"] == line for p in found), (rel, needle, found)


def test_salvaged_record_still_checked_across_files(repo):
    """A ticket with a schema error is still checked for its references."""
    text = TICKET.replace("customer: acme", "customer: acmx").replace("users_blocked: 12", "users_blocked: lots")
    rel = repo.ticket("20261103-acme-salv", text)
    code, found = problems(repo)
    msgs = [p["message"] for p in found if p["path"] == rel]
    assert any("whole number" in m for m in msgs) and any("unknown customer" in m for m in msgs)
