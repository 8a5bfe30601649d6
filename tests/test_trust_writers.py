"""Writers that lose nothing and overwrite nothing; arguments that are never options or patterns.

Two commands run at once keep both changes (a lock, and the file read again
under it); issued statements are only ever created; a commit that git refuses
leaves every file, and the index, as they were; a ticket id is an id, a
revision is a revision.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ACME, TICKET

BETA_TICKET = TICKET.replace("customer: acme", "customer: beta").replace("parts:\n", "").replace(
    "      - {code: PSU-750, name: Power supply 750 W, qty: 1, price: 89.00, approved: 2026-11-03 12:20}\n", "")
EVENT_ID = "20261103-acme-psu1"
EVENT_FILE = f"tickets/2026/11/{EVENT_ID}.yaml"


def _env(**extra) -> dict:
    env = dict(os.environ, GITDESK_NO_CACHE="1", GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid")
    env.update(extra)
    return env


def _start(root: Path, *args: str, stdin: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gitdesk", "--repo", str(root), *args], env=_env(), text=True,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _together(*runs: tuple[Path, tuple[str, ...], str | None]) -> list[tuple[int, str, str]]:
    """Start every command, then wait for all: they run at the same time."""
    procs = [_start(root, *args, stdin=stdin) for root, args, stdin in runs]
    results = []
    for proc, (_, _, stdin) in zip(procs, runs):
        out, err = proc.communicate(stdin, timeout=120)
        results.append((proc.returncode, out, err))
    return results


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _refusing_hook(repo) -> None:
    hook = repo.root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'pre-commit: refused by the team rules' >&2\nexit 1\n")
    hook.chmod(0o755)


# ---------------------------------------------------------------- two writers at once


def test_two_events_at_once_are_both_kept(repo):
    rounds = 12
    for n in range(rounds):
        results = _together(*[(repo.root, ("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi",
                                           "--at", "2026-11-03 09:20", "--note", f"round {n} {side}"), None)
                              for side in "ab"])
        for code, out, err in results:
            assert code == 0 and "Traceback" not in err, err
    text = (repo.root / EVENT_FILE).read_text()
    lost = [f"round {n} {side}" for n in range(rounds) for side in "ab" if f'"round {n} {side}"' not in text]
    assert lost == []
    assert repo.run("validate").exit_code == 0


def test_two_passwords_at_once_are_both_kept(repo):
    rounds = 4
    for n in range(rounds):
        results = _together(*[(repo.root, ("portal", "passwd", "acme", f"user{n}{side}", "--stdin"), "a long password here\n")
                              for side in "ab"])
        for code, out, err in results:
            assert code == 0 and "Traceback" not in err, err
    text = (repo.root / "contracts/customers/acme.yaml").read_text()
    lost = [f"user{n}{side}" for n in range(rounds) for side in "ab" if f"user: user{n}{side}," not in text]
    assert lost == []
    assert repo.run("validate").exit_code == 0


def test_two_issues_at_once_take_two_numbers(repo, tmp_path):
    repo.ticket("20261105-beta-desk", BETA_TICKET.replace("2026-11-03", "2026-11-05").replace("2026-11-04", "2026-11-06"))
    assert repo.run("validate").exit_code == 0
    for n in range(4):
        root = tmp_path / f"round{n}"
        shutil.copytree(repo.root, root)
        results = _together(*[(root, ("statement", "issue", "--month", "2026-11", "--date", "2026-12-01", "--customer", c), None)
                              for c in ("acme", "beta")])
        for code, out, err in results:
            assert code == 0 and "Traceback" not in err, err
        issued = sorted((root / "statements/2026").iterdir())
        assert [p.name for p in issued] == ["2026-0001.yaml", "2026-0002.yaml"]
        customers = sorted(next(line for line in p.read_text().splitlines() if line.startswith("customer:")) for p in issued)
        assert customers == ["customer: acme", "customer: beta"]
        assert subprocess.run([sys.executable, "-m", "gitdesk", "--repo", str(root), "validate"], env=_env(),
                              capture_output=True).returncode == 0


def test_a_writer_waits_for_the_lock_then_says_why_it_gives_up(repo, monkeypatch):
    from gitdesk.write import writer

    monkeypatch.setattr(writer, "LOCK_TIMEOUT", 0.3)
    before = _files(repo.root)
    with writer.locked(writer.lock_file(repo.root, None)):
        result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20")
    assert result.exit_code == 1
    assert "another gitdesk command is writing this repository" in result.stderr and "try again" in result.stderr
    after = _files(repo.root)
    after.pop(".gitdesk.lock")
    assert after == before
    # free again: the same command goes through
    assert repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20").exit_code == 0


def test_the_lock_lives_in_the_git_folder(git_repo):
    assert git_repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20").exit_code == 0
    assert (git_repo.root / ".git/gitdesk.lock").is_file()
    assert not (git_repo.root / ".gitdesk.lock").exists()


def test_a_new_file_never_replaces_one_of_the_same_name(tmp_path):
    from gitdesk.write.yamlout import write_new

    path = tmp_path / "statements/2026/2026-0001.yaml"
    write_new(path, "number: 2026-0001\ncustomer: acme\n")
    with pytest.raises(FileExistsError):
        write_new(path, "number: 2026-0001\ncustomer: beta\n")
    assert path.read_text() == "number: 2026-0001\ncustomer: acme\n"
    assert [p.name for p in path.parent.iterdir()] == ["2026-0001.yaml"]  # no temporary file left


# ---------------------------------------------------------------- a commit git refuses


def test_a_refused_commit_leaves_the_ticket_as_it_was(git_repo):
    repo = git_repo
    _refusing_hook(repo)
    before = _files(repo.root)
    result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20", "--commit")
    assert result.exit_code == 1
    assert "git did not commit" in result.stderr and "refused by the team rules" in result.stderr
    assert f"{EVENT_FILE} left as it was" in result.stderr
    assert _files(repo.root) == before
    assert repo.git("status", "--porcelain") == ""  # nothing staged either
    assert repo.git("log", "--format=%s") == "data\n"


def test_a_refused_commit_removes_a_new_ticket_and_its_folder(git_repo):
    repo = git_repo
    _refusing_hook(repo)
    before = _files(repo.root)
    result = repo.run("ticket", "new", "--customer", "acme", "--priority", "urgent", "--title", "Printer offline",
                      "--reported", "2026-12-10 09:00", "--commit")
    assert result.exit_code == 1 and "git did not commit" in result.stderr
    assert _files(repo.root) == before
    assert not (repo.root / "tickets/2026/12").exists()
    assert repo.git("status", "--porcelain") == ""


def test_a_refused_commit_issues_nothing(git_repo):
    repo = git_repo
    _refusing_hook(repo)
    result = repo.run("statement", "issue", "--month", "2026-11", "--date", "2026-12-01", "--commit")
    assert result.exit_code == 1 and "git did not commit" in result.stderr
    assert "issued 2026-0001" not in result.stdout
    assert not (repo.root / "statements").exists()
    assert repo.git("status", "--porcelain") == ""


def test_a_stale_index_lock_is_a_clear_error(git_repo):
    repo = git_repo
    (repo.root / ".git/index.lock").write_text("")
    before = _files(repo.root)
    result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20", "--commit")
    assert result.exit_code == 1
    assert "index.lock" in result.stderr and f"{EVENT_FILE} left as it was" in result.stderr
    assert _files(repo.root) == before
    (repo.root / ".git/index.lock").unlink()
    assert repo.git("status", "--porcelain") == ""


def test_a_commit_without_a_user_name_is_a_clear_error(git_repo, monkeypatch, tmp_path):
    repo = git_repo
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo.git("config", "user.useConfigOnly", "true")
    before = _files(repo.root)
    result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20", "--commit")
    assert result.exit_code == 1 and "git did not commit" in result.stderr
    assert _files(repo.root) == before
    assert repo.git("status", "--porcelain") == ""


def test_a_commit_takes_only_its_own_file(git_repo):
    """What the user staged before stays staged, and out of gitdesk's commit."""
    repo = git_repo
    repo.write("contracts/customers/beta.yaml", "name: Beta Studio S.r.l.\n")
    repo.git("add", "contracts/customers/beta.yaml")
    result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20", "--commit")
    assert result.exit_code == 0, result.output
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [EVENT_FILE]
    assert repo.git("status", "--porcelain") == "M  contracts/customers/beta.yaml\n"


def test_commit_outside_git_is_refused_before_writing(repo):
    before = _files(repo.root)
    result = repo.run("ticket", "event", EVENT_ID, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20", "--commit")
    assert result.exit_code == 1 and "not in a git work tree that can be committed to" in result.stderr and "nothing was written" in result.stderr
    after = _files(repo.root)
    after.pop(".gitdesk.lock", None)
    assert after == before


# ---------------------------------------------------------------- arguments are not patterns or options


@pytest.mark.parametrize("ident", ["*", "?", "[a-z]*", "2026*-acme-psu1", "../11/20261103-acme-psu1",
                                   "20261103-ACME-psu1", " 20261103-acme-psu1"])
def test_a_ticket_id_is_never_a_pattern(repo, ident):
    before = _files(repo.root)
    result = repo.run("ticket", "event", ident, "acknowledged", "--by", "gbianchi", "--at", "2026-11-03 09:20")
    assert result.exit_code == 2 and "invalid ticket id" in result.stderr
    after = _files(repo.root)
    after.pop(".gitdesk.lock", None)
    assert after == before


def test_an_id_written_wrong_suggests_the_ticket(repo):
    result = repo.run("ticket", "event", "20261103-ACME-psu1", "acknowledged")
    assert result.exit_code == 2 and "did you mean '20261103-acme-psu1'?" in result.stderr


def test_an_unknown_ticket_id_suggests_a_close_one(repo):
    result = repo.run("ticket", "work", "20261103-acme-psu2", "--technician", "gbianchi", "--mode", "remote",
                      "--start", "2026-11-04 10:00", "--end", "2026-11-04 10:30", "--outcome", "resolved", "--report", "x")
    assert result.exit_code == 2
    assert "no ticket '20261103-acme-psu2'" in result.stderr and "did you mean '20261103-acme-psu1'?" in result.stderr


@pytest.mark.parametrize("args", [["--base", "--output={out}"], ["--base=--output={out}"], ["--base", "-p"]])
def test_base_is_a_revision_never_an_option(git_repo, tmp_path, args):
    out = tmp_path / "written-by-git"
    result = git_repo.run("check", "--now", "2026-12-01 12:00", *[a.replace("{out}", str(out)) for a in args])
    assert result.exit_code == 2 and "is not a git revision" in result.stderr
    assert not out.exists()


def test_base_that_names_no_commit_is_a_usage_error(git_repo):
    blob = git_repo.git("rev-parse", f"HEAD:{EVENT_FILE}").strip()
    for base in ("no-such-ref", blob, "HEAD^{tree}"):
        result = git_repo.run("check", "--now", "2026-12-01 12:00", "--base", base)
        assert result.exit_code == 2 and "no such commit" in result.stderr, base


# ---- command-line text (round 2)
#
# Text given to the writing commands may come from an e-mail or a web form: an id option holds an id
# or is refused before anything is written; a free text is written so that it reads back as that text
# and nothing more; nothing is written through a link; and names printed in messages start no CI
# workflow command.

import datetime as dt
import re
import zoneinfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROME = zoneinfo.ZoneInfo("Europe/Rome")
WORK = ("--technician", "gbianchi", "--mode", "remote", "--start", "2026-11-04 10:00", "--end", "2026-11-04 10:30",
        "--outcome", "resolved")


def _only_new(repo, before: dict[str, bytes]) -> dict[str, bytes]:
    after = _files(repo.root)
    after.pop(".gitdesk.lock", None)
    return {k: v for k, v in after.items() if before.get(k) != v}


def _ticket_data(path: Path) -> dict:
    from gitdesk.load import yamlsrc

    return yamlsrc.strip_positions(yamlsrc.load(path.read_bytes()))


@pytest.mark.parametrize("args, option", [
    (["ticket", "new", "--customer", "acme", "--title", "t", "--reported", "2026-11-30 09:00",
      "--priority", "urgent\nusers_blocked: 7"], "--priority"),
    (["ticket", "new", "--customer", "acme", "--priority", "urgent", "--title", "t", "--reported", "2026-11-30 09:00",
      "--incident", 'inc1\nreported_by: "Injected"'], "--incident"),
    (["ticket", "new", "--priority", "urgent", "--title", "t", "--reported", "2026-11-30 09:00",
      "--customer", "acme\nincident: x"], "--customer"),
    (["ticket", "event", EVENT_ID, "acknowledged", "--at", "2026-11-03 09:20",
      "--by", "gbianchi}\n  - {at: 2026-11-04 11:00, event: resolved, by: gbianchi"], "--by"),
    (["ticket", "event", EVENT_ID, "acknowledged", "--at", "2026-11-03 09:20", "--by", "gbianchi, note: x"], "--by"),
    (["ticket", "work", EVENT_ID, "--mode", "remote", "--start", "2026-11-04 10:00", "--end", "2026-11-04 10:30",
      "--outcome", "resolved", "--report", "x", "--technician", "gbianchi\n  warranty: true"], "--technician"),
    (["statement", "issue", "--month", "2026-11", "--date", "2026-12-01", "--customer", "acme\nx: y"], "--customer"),
    (["statement", "adjust", "--reason", "r", "--number", "2026-0001\nx: y"], "--number"),
])
def test_an_id_option_that_is_no_id_is_a_usage_error_before_anything_is_written(repo, args, option):
    before = _files(repo.root)
    result = repo.run(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr and "is not an id" in result.stderr
    assert _only_new(repo, before) == {}


def test_a_carriage_return_in_the_description_adds_no_log(repo):
    text = "toner low\rlog:\r  - {at: 2026-11-30 09:05, event: resolved, by: gbianchi}"
    result = repo.run("ticket", "new", "--customer", "acme", "--priority", "normal", "--title", "t",
                      "--reported", "2026-11-30 09:00", "--description", text)
    assert result.exit_code == 0, result.output
    data = _ticket_data(repo.root / result.stdout.strip())
    assert "log" not in data
    assert data["description"] == "toner low\nlog:\n  - {at: 2026-11-30 09:05, event: resolved, by: gbianchi}\n"


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\r"])
def test_a_line_break_in_a_work_report_sets_no_warranty(repo, brk):
    result = repo.run("ticket", "work", EVENT_ID, *WORK, "--report", f"replaced toner{brk}    warranty: true")
    assert result.exit_code == 0, result.output
    work = _ticket_data(repo.root / EVENT_FILE)["interventions"][-1]
    assert "warranty" not in work
    assert work["report"] == "replaced toner\n    warranty: true\n"


def test_a_note_keeps_its_line_separator(repo):
    note = "waiting\u2028for the\u2029password\x85now"
    result = repo.run("ticket", "event", EVENT_ID, "waiting", "--at", "2026-11-03 09:20", "--note", note)
    assert result.exit_code == 0, result.output
    log = _ticket_data(repo.root / EVENT_FILE)["log"]
    assert log[-1]["note"] == note and len(log) == 3


def test_command_line_bytes_that_are_not_utf8_are_a_usage_error(repo):
    before = _files(repo.root)
    done = subprocess.run([sys.executable, "-m", "gitdesk", "--repo", str(repo.root), "ticket", "new", "--customer", "acme",
                           "--priority", "urgent", "--reported", "2026-11-30 09:00", "--title", b"caf\xe9"],
                          env=_env(), capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'--title'" in done.stderr and "not UTF-8" in done.stderr
    assert _only_new(repo, before) == {}


def test_a_text_too_long_for_a_data_file_is_refused(repo):
    before = _files(repo.root)
    result = repo.run("ticket", "event", EVENT_ID, "waiting", "--at", "2026-11-03 09:20", "--note", "x" * 300_000)
    assert result.exit_code == 2 and "'--note'" in result.stderr and "longer than" in result.stderr
    assert _only_new(repo, before) == {}


def test_a_title_makes_a_one_line_commit_subject(git_repo):
    result = git_repo.run("ticket", "new", "--customer", "acme", "--priority", "urgent", "--reported", "2026-11-30 09:00",
                          "--title", "Printer\n\nSigned-off-by: Someone Else <x@example.invalid>", "--commit")
    assert result.exit_code == 0, result.output
    message = git_repo.git("log", "-1", "--format=%B").strip()
    assert "\n" not in message and message.endswith("Printer Signed-off-by: Someone Else <x@example.invalid>")


def test_a_new_ticket_is_never_written_through_a_linked_month_folder(repo, tmp_path):
    outside = tmp_path / "outside-month"
    outside.mkdir()
    (repo.root / "tickets/2026/12").parent.mkdir(parents=True, exist_ok=True)
    (repo.root / "tickets/2026/12").symlink_to(outside)
    result = repo.run("ticket", "new", "--customer", "acme", "--priority", "urgent", "--title", "dec",
                      "--reported", "2026-12-01 09:00")
    assert result.exit_code == 1
    assert "tickets/2026/12 is a symbolic link" in result.stderr and "nothing was written" in result.stderr
    assert list(outside.iterdir()) == []


def test_an_event_is_never_written_through_a_linked_folder(repo, tmp_path):
    """A linked folder inside the repository: the loader does not follow it, nor does a writer."""
    repo.ticket("20261203-acme-link", TICKET.replace("2026-11-", "2026-12-"), month="archive/12")
    (repo.root / "tickets/2026/12").symlink_to(repo.root / "tickets/archive/12")
    before = _files(repo.root)
    result = repo.run("ticket", "event", "20261203-acme-link", "acknowledged", "--by", "gbianchi", "--at", "2026-12-03 09:20")
    assert result.exit_code == 1 and "tickets/2026/12 is a symbolic link" in result.stderr
    assert _only_new(repo, before) == {}


def test_a_writer_never_replaces_a_link_nor_reads_through_it(repo, tmp_path):
    from gitdesk.write import writer

    secret = tmp_path / "secret.txt"
    secret.write_text("outside the repository\n")
    link = repo.root / "contracts/customers/gamma.yaml"
    link.symlink_to(secret)
    with pytest.raises(writer.NotWritten, match="is a symbolic link"):
        with writer.transaction(repo.root) as tx:
            tx.write(link, "name: Gamma\n")
    assert link.is_symlink() and secret.read_text() == "outside the repository\n"
    with pytest.raises(writer.NotWritten, match="is a symbolic link"):
        with writer.transaction(repo.root) as tx:
            tx.create(link, "name: Gamma\n")
    assert link.is_symlink() and secret.read_text() == "outside the repository\n"


def test_a_writer_makes_no_folder_outside_the_repository(repo, tmp_path):
    from gitdesk.write import writer

    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.root / "statements").symlink_to(outside)
    with pytest.raises(writer.NotWritten, match="statements is a symbolic link"):
        with writer.transaction(repo.root) as tx:
            tx.create(repo.root / "statements/2026/2026-0001.yaml", "number: 2026-0001\n")
    assert list(outside.iterdir()) == []


def _workflow_commands(text: str) -> list[str]:
    """Lines that GitHub Actions would read as a workflow command, but for gitdesk's own annotations."""
    return [line for line in text.splitlines()
            if line.lstrip().startswith("::") and not re.match(r"::(error|warning) file=", line)]


def test_a_tracked_cache_file_name_starts_no_workflow_command(git_repo):
    repo = git_repo
    folder = repo.root / ".gitdesk-cache"
    folder.mkdir()
    (folder / "x\n::error title=Security::INJECTED\r::warning::AGAIN\u2028::notice::THIRD").write_text("")
    repo.git("add", "-f", ".gitdesk-cache")
    repo.git("commit", "-qm", "cache")
    result = repo.run("check", "--now", "2026-12-01 12:00", "--format", "github", "--cache")
    assert "a cache committed to the repository is never read" in result.stderr
    assert _workflow_commands(result.stdout) == [] and _workflow_commands(result.stderr) == []
    warning = next(line for line in result.stderr.splitlines() if "a cache committed" in line)
    assert "x\\x0a::error title=Security::INJECTED\\x0d::warning::AGAIN\\u2028::notice::THIRD" in warning


def test_a_statement_shows_each_text_of_the_data_on_one_line(repo):
    repo.ticket(EVENT_ID, TICKET.replace("name: Power supply 750 W", 'name: "Power supply\\n::error::INJECTED\\e[31m"'))
    result = repo.run("statement", "--month", "2026-11", "--customer", "acme")
    assert result.exit_code == 0, result.output
    assert _workflow_commands(result.stdout) == [] and "\x1b" not in result.stdout
    assert "Power supply ::error::INJECTED\\x1b[31m" in result.stdout


def test_sla_shows_a_customer_name_on_one_line(repo):
    repo.write("contracts/customers/acme.yaml", ACME.replace(
        "name: ACME Meccanica S.p.A.", 'name: "ACME\\n::error::INJECTED\\e[31m"', 1))
    result = repo.run("sla", "--now", "2026-11-30 18:00")
    assert "ACME ::error::INJECTED\\x1b[31m (acme)" in result.stdout, result.output
    assert _workflow_commands(result.stdout) == [] and "\x1b" not in result.stdout


# -- every writer, any text: exactly one new value, exactly that text

_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
_NOT_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
HOSTILE = st.text(st.one_of(st.characters(codec="utf-8"),
                            st.sampled_from(list("\r\n\x85\u2028\u2029\t \x0b\x0c\x1b\x7f\x9b\ufeff\"'\\:#-{}[],|>&*!%@`"))),
                  max_size=40)


def _block_read_back(text: str):
    """What a block-capable field (description, report) reads back as, as the README says."""
    text = _BREAKS.sub("\n", text)
    if _NOT_IN_BLOCK.search(text):
        return text
    lines = [line if line.strip(" \t") else "" for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _load_ticket(text: str) -> dict:
    from gitdesk.load import yamlsrc
    from gitdesk.load.loader import read_record

    record, problems = read_record("ticket", "tickets/2026/11/x.yaml", text.encode("utf-8"), "Europe/Rome")
    assert problems == [] and record is not None, (text, problems)
    return yamlsrc.strip_positions(yamlsrc.load(text.encode("utf-8")))


MOMENT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ROME)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=HOSTILE, reported_by=HOSTILE, description=HOSTILE)
def test_a_new_ticket_reads_back_its_texts(title, reported_by, description):
    from gitdesk.write import editing

    text = editing.new_ticket_text(customer="acme", title=title, reported=MOMENT, tz=ROME, priority="urgent",
                                   reported_by=reported_by, incident="inc-1", description=description)
    data = _load_ticket(text)
    expected = {"customer": "acme", "title": title, "reported": "2026-11-30 09:00", "priority": "urgent", "incident": "inc-1"}
    if reported_by:
        expected["reported_by"] = reported_by
    if description:
        expected["description"] = _block_read_back(description)
    assert data == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=HOSTILE)
def test_an_event_reads_back_its_note(note):
    from gitdesk.write import editing
    from gitdesk.write.yamlout import append_to_list

    base = _load_ticket(TICKET)
    item = editing.event_item(at=MOMENT, tz=ROME, event="waiting", by="gbianchi", note=note)
    data = _load_ticket(append_to_list(TICKET, "log", item))
    added = {"at": "2026-11-30 09:00", "event": "waiting", "by": "gbianchi"} | ({"note": note} if note else {})
    assert data == base | {"log": base["log"] + [added]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=HOSTILE, name=HOSTILE.filter(str.strip), code=HOSTILE)
def test_a_work_report_reads_back_its_texts(report, name, code):
    from gitdesk.write import editing
    from gitdesk.write.yamlout import append_to_list

    base = _load_ticket(TICKET)
    item = editing.work_item(technician="mverdi", mode="remote", start=MOMENT, end=MOMENT + dt.timedelta(hours=1), tz=ROME,
                             outcome="continues", report=report,
                             parts=[{"name": name, "code": code, "qty": 1, "price": "10.00"}])
    data = _load_ticket(append_to_list(TICKET, "interventions", item))
    part = {"name": name, "qty": "1", "price": "10.00"} | ({"code": code} if code else {})
    added = {"technician": "mverdi", "mode": "remote", "start": "2026-11-30 09:00", "end": "2026-11-30 10:00",
             "outcome": "continues", "report": _block_read_back(report), "parts": [part]}
    assert data == base | {"interventions": base["interventions"] + [added]}
    # and a second one after it leaves the first exactly as it was
    again = _load_ticket(append_to_list(append_to_list(TICKET, "interventions", item), "interventions", item))
    assert again["interventions"] == base["interventions"] + [added, added]


@settings(max_examples=200, deadline=None)
@given(reason=HOSTILE)
def test_a_correction_reads_back_its_reason(reason):
    from decimal import Decimal

    from gitdesk.write import issuing
    from gitdesk.load import yamlsrc

    text = issuing.adjustment_text("2026-0001", "acme", "2026-12", dt.date(2026, 12, 5), Decimal("-12.50"), reason, ["t-1"])
    data = yamlsrc.strip_positions(yamlsrc.load(text.encode("utf-8")))
    assert data == {"corrects": "2026-0001", "customer": "acme", "month": "2026-12", "date": "2026-12-05",
                    "amount": "-12.50", "reason": reason, "tickets": ["t-1"]}
