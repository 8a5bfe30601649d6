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

from conftest import TICKET

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
    from gitdesk import writer

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
    from gitdesk.yamlout import write_new

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
