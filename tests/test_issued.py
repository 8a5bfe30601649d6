"""Issuing statements, the lock on issued figures, and corrections: end to end in git."""

from __future__ import annotations

import json

import pytest

from conftest import TICKET


@pytest.fixture
def issued_repo(repo):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "data")
    result = repo.run("statement", "issue", "--month", "2026-11", "--date", "2026-12-01", "--commit")
    assert result.exit_code == 0, result.output
    return repo


def test_issue_numbers_and_records(issued_repo):
    repo = issued_repo
    record = (repo.root / "statements/2026/2026-0001.yaml").read_text()
    assert "customer: acme" in record and "month: 2026-11" in record and "issued: 2026-12-01" in record
    statement = json.loads(repo.run("statement", "--month", "2026-11", "--customer", "acme", "--format", "json").stdout)
    assert f'total: "{statement["total"]}"' in record
    assert statement["issued"] == {"number": "2026-0001", "date": "2026-12-01"}
    # beta has nothing to bill: no statement issued for it
    assert not (repo.root / "statements/2026/2026-0002.yaml").exists()
    assert "Issue statements for 2026-11: 2026-0001" in repo.git("log", "-1", "--format=%s")
    assert repo.run("validate").exit_code == 0


def test_issuing_twice_is_refused_and_numbers_continue(issued_repo):
    repo = issued_repo
    again = repo.run("statement", "issue", "--month", "2026-11", "--date", "2026-12-02")
    assert "was issued already as 2026-0001" in again.stderr
    repo.ticket("20261203-acme-next", TICKET.replace("2026-11-0", "2026-12-0"), month="2026/12")
    result = repo.run("statement", "issue", "--month", "2026-12", "--date", "2027-01-02")
    assert "issued 2027-0001" in result.stdout  # numbers are sequential per year of issue


def test_an_unfinished_month_cannot_be_issued(repo):
    result = repo.run("statement", "issue", "--month", "2026-11", "--date", "2026-11-30")
    assert result.exit_code == 2 and "not over" in result.output


def test_edit_of_an_issued_month_fails_validation_then_a_correction_passes(issued_repo):
    repo = issued_repo
    rel = "tickets/2026/11/20261103-acme-psu1.yaml"
    repo.ticket("20261103-acme-psu1", TICKET.replace("price: 89.00", "price: 99.00"))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert f"{rel}:1:1: this changes issued statement 2026-0001 (acme, 2026-11): part 89.00 -> 99.00 for 20261103-acme-psu1" in result.stdout
    assert "gitdesk statement adjust --number 2026-0001" in result.stdout
    # the statement command refuses too: the figures are no longer the issued ones
    assert repo.run("statement", "--month", "2026-11").exit_code == 1

    adjust = repo.run("statement", "adjust", "--number", "2026-0001", "--reason", "Power supply price corrected",
                      "--date", "2026-12-03", "--commit")
    assert adjust.exit_code == 0, adjust.output
    assert "+10.00" in adjust.stdout
    assert repo.run("validate").exit_code == 0
    december = json.loads(repo.run("statement", "--month", "2026-12", "--customer", "acme", "--format", "json").stdout)
    line = next(l for l in december["lines"] if l["kind"] == "adjustment")
    assert line["amount"] == "10.00" and "Correction of statement 2026-0001 (2026-11): Power supply price corrected" == line["description"]
    assert "Correct statement 2026-0001" in repo.git("log", "-1", "--format=%s")


def test_a_new_intervention_in_an_issued_month_is_caught(issued_repo):
    repo = issued_repo
    late = TICKET.replace("12:05", "15:00").replace("13:35", "16:00").replace("12:20", "15:10")
    repo.ticket("20261103-acme-late", late)
    result = repo.run("validate", "--format", "json")
    found = json.loads(result.stdout)
    assert any(p["path"] == "tickets/2026/11/20261103-acme-late.yaml" and "issued statement 2026-0001" in p["message"] for p in found)


def test_editing_the_issued_record_itself_is_caught(issued_repo):
    repo = issued_repo
    path = repo.root / "statements/2026/2026-0001.yaml"
    text = path.read_text()
    taxable = text.split('taxable: "')[1].split('"')[0]
    path.write_text(text.replace(f'taxable: "{taxable}"', 'taxable: "1.00"'))
    result = repo.run("validate")
    assert result.exit_code == 1 and "statements/2026/2026-0001.yaml" in result.stdout


def test_correction_rules(issued_repo):
    repo = issued_repo
    repo.write("statements/adjustments/2026-0009-1.yaml",
               'corrects: 2026-0009\ncustomer: acme\nmonth: 2026-12\ndate: 2026-12-03\namount: "5.00"\nreason: x\n')
    result = repo.run("validate")
    assert result.exit_code == 1 and "no issued statement '2026-0009'" in result.stdout
    repo.write("statements/adjustments/2026-0009-1.yaml",
               'corrects: 2026-0001\ncustomer: acme\nmonth: 2026-10\ndate: 2026-12-03\namount: "5.00"\nreason: x\n')
    assert "goes into a later statement" in repo.run("validate").stdout


def test_adjust_with_nothing_to_correct(issued_repo):
    result = issued_repo.run("statement", "adjust", "--number", "2026-0001", "--reason", "none")
    assert result.exit_code == 0 and "nothing to correct" in result.stdout
    assert issued_repo.run("statement", "adjust", "--number", "2099-0001", "--reason", "x").exit_code == 2
