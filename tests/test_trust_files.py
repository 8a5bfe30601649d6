"""Only regular files inside the repository are read, none over 1 MiB, and nothing is skipped in silence.

End to end through ``gitdesk``: links out of the repository (to a secret, to
``/proc/self/environ``, to ``/dev/zero``, to a folder), FIFOs, huge files,
folders and files that cannot be read, files that are not data, and names that
are not UTF-8 text.
"""

from __future__ import annotations

import json
import re
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TICKET

TOOLS = str(ROOT / "tools")
#: A ticket without interventions: a second copy of it overlaps nothing.
QUIET = TICKET.split("interventions:")[0]


def gitdesk(root: Path, *args: str, timeout: float = 60, env: dict | None = None, prefix: tuple = (), memory: int = 0):
    """``gitdesk ARGS`` in a process of its own (a hang is a failure, not a stuck suite)."""
    full = dict(os.environ, PYTHONPATH=TOOLS, GITDESK_NO_CACHE="1", **(env or {}))

    def limit():  # pragma: no cover - runs in the child
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([*prefix, sys.executable, "-m", "gitdesk", "--repo", str(root), *args], env=full,
                          capture_output=True, timeout=timeout, preexec_fn=limit)


def output(result) -> str:
    return (result.stdout + result.stderr).decode("utf-8")


def test_a_link_out_of_the_repository_is_refused_and_never_quoted(repo, tmp_path):
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("SECRET=hunter2\n")
    link = "tickets/2026/11/20261104-acme-out1.yaml"
    (repo.root / link).symlink_to(secret)
    # A link to a file inside the repository is followed.
    repo.write("archive/20261105-acme-in01.yaml", QUIET.replace("2026-11-03", "2026-11-05").replace("2026-11-04", "2026-11-05"))
    (repo.root / "tickets/2026/11/20261105-acme-in01.yaml").symlink_to(repo.root / "archive/20261105-acme-in01.yaml")
    for fmt in ("text", "json", "github"):
        result = repo.run("validate", "--format", fmt)
        assert result.exit_code == 1
        assert "hunter2" not in result.stdout + result.stderr
    result = repo.run("validate")
    assert f"{link}:1:1: a link to a place outside the repository: it is not read" in result.stdout.splitlines()
    assert "20261105-acme-in01" not in result.stdout  # read, and valid
    problems = json.loads(repo.run("validate", "--format", "json").stdout)
    assert [p["path"] for p in problems] == [link]


def test_a_link_to_the_environment_is_never_quoted(repo):
    (repo.root / "tickets/2026/11/20261104-acme-env1.yaml").symlink_to("/proc/self/environ")
    result = gitdesk(repo.root, "validate", env={"GITDESK_TEST_TOKEN": "hunter3"})
    assert result.returncode == 1
    assert b"hunter3" not in result.stdout + result.stderr
    assert "tickets/2026/11/20261104-acme-env1.yaml:1:1: a link to a place outside the repository" in output(result)


def test_a_link_to_an_endless_device_is_not_read(repo):
    (repo.root / "tickets/2026/11/20261104-acme-zero.yaml").symlink_to("/dev/zero")
    result = gitdesk(repo.root, "validate", memory=2 << 30)
    assert result.returncode == 1, output(result)
    assert "tickets/2026/11/20261104-acme-zero.yaml:1:1: a link to a place outside the repository" in output(result)


@pytest.mark.parametrize("command", [("validate",), ("sla", "--now", "2026-12-01 12:00"), ("statement", "--month", "2026-11"), ("check",)])
def test_a_fifo_does_not_hang_any_command(repo, command):
    os.mkfifo(repo.root / "tickets/2026/11/20261104-acme-fifo.yaml")
    os.mkfifo(repo.root / "contracts/customers/gamma.yaml")
    try:
        result = gitdesk(repo.root, *command, timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this test is about
        pytest.fail(f"gitdesk {' '.join(command)} waited on a FIFO")
    assert result.returncode == 1
    text = output(result)
    assert "tickets/2026/11/20261104-acme-fifo.yaml:1:1: a named pipe (FIFO), not a data file: it is not read" in text
    assert "contracts/customers/gamma.yaml:1:1: a named pipe (FIFO)" in text
    assert "Traceback" not in text


def test_a_file_over_the_size_limit_is_refused_with_a_clear_error(repo):
    big = TICKET + "# " + "x" * (2 << 20) + "\n"
    repo.ticket("20261104-acme-huge", big)
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "tickets/2026/11/20261104-acme-huge.yaml:1:1: the file is larger than 1 MiB: it is not read" in result.stdout.splitlines()


def test_an_unreadable_month_folder_is_an_error(repo, monkeypatch):
    """Simulated (the suite runs as root, whom permissions do not stop): listing the folder fails."""
    for n in range(3):
        repo.ticket(f"2026100{n + 1}-acme-old{n}", QUIET.replace("2026-11-0", f"2026-10-0{n + 1}"), month="2026/10")
    real = os.scandir
    hidden = str(repo.root / "tickets/2026/10")

    def scandir(path="."):
        if os.fspath(path).rstrip("/") == hidden:
            raise PermissionError(13, "Permission denied", hidden)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = repo.run("validate")
    assert result.exit_code == 1
    assert "tickets/2026/10:1:1: cannot read the folder: Permission denied: the files in it are not read" in result.stdout


def _without_permission_checks_bypass() -> tuple:
    """A prefix that runs a command without the power to read what permissions forbid (root has it)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # pragma: no cover - util-linux is on every machine this runs on
        pytest.skip("running as root without setpriv: permissions cannot be made to count")
    drop = "-dac_override,-dac_read_search"
    return (setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}")


def test_unreadable_folders_and_files_are_errors_for_real(repo):
    repo.ticket("20261001-acme-old1", QUIET.replace("2026-11-0", "2026-10-0"), month="2026/10")
    month = repo.root / "tickets/2026/10"
    customer = repo.root / "contracts/customers/beta.yaml"
    month.chmod(0)
    customer.chmod(0)
    try:
        result = gitdesk(repo.root, "validate", prefix=_without_permission_checks_bypass())
    finally:
        month.chmod(0o755)
        customer.chmod(0o644)
    text = output(result)
    assert result.returncode == 1, text
    assert "tickets/2026/10:1:1: cannot read the folder: Permission denied" in text
    assert "contracts/customers/beta.yaml:1:1: cannot read the file: Permission denied" in text


def test_files_that_are_not_data_are_reported_and_notes_ignored(repo):
    repo.write("tickets/2026/11/20261104-acme-caps.YAML", QUIET)
    repo.write("tickets/2026/11/notes.txt", "call back on Monday\n")
    repo.write("tickets/2026/11/.hidden/20261104-acme-hid1.yaml", QUIET)
    repo.write("contracts/plans/extra/gold.yaml", "name: Gold\n")
    repo.write("contracts/prices.csv", "a,b\n")
    repo.write("statements/2026/summary.pdf", "%PDF\n")
    for ignored in ("tickets/README.md", "tickets/2026/11/.gitkeep", "contracts/.gitignore", "contracts/plans/README.md"):
        repo.write(ignored, "anything\n")
    result = repo.run("validate", "--format", "json")
    assert result.exit_code == 1
    found = {(p["path"], p["line"], p["code"]) for p in json.loads(result.stdout)}
    assert found == {
        ("tickets/2026/11/20261104-acme-caps.YAML", 1, "file-name"),
        ("tickets/2026/11/notes.txt", 1, "not-data"),
        ("tickets/2026/11/.hidden", 1, "not-data"),
        ("contracts/plans/extra/gold.yaml", 1, "file-place"),
        ("contracts/prices.csv", 1, "not-data"),
        ("statements/2026/summary.pdf", 1, "not-data"),
    }


def test_a_linked_folder_is_not_followed_out_of_the_repository(repo, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "20261201-acme-far1.yaml").write_text(QUIET.replace("2026-11-0", "2026-12-0"))
    (repo.root / "tickets/2026/12").symlink_to(outside)
    (repo.root / "tickets/2026/09").symlink_to(repo.root / "tickets/2026/11")
    result = repo.run("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "tickets/2026/12:1:1: a link to a place outside the repository: it is not read" in lines
    assert any(line.startswith("tickets/2026/09:1:1: a link to a folder") for line in lines)


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_file_name_that_is_not_utf8_is_a_located_error(repo, fmt):
    folder = os.fsencode(repo.root / "tickets/2026/11")
    with open(folder + b"/\xff\xfe.yaml", "wb") as f:
        f.write(QUIET.encode())
    with open(folder + b"/20261105-acme-a\nb.yaml", "wb") as f:
        f.write(QUIET.encode())
    result = gitdesk(repo.root, "validate", "--format", fmt, env={"PYTHONIOENCODING": "utf-8"})
    text = output(result)
    assert result.returncode == 1, text
    assert "Traceback" not in text
    if fmt == "json":
        found = {(p["path"], p["line"], p["code"]) for p in json.loads(result.stdout)}
        assert found == {("tickets/2026/11/\ufffd\ufffd.yaml", 1, "file-name"), ("tickets/2026/11/20261105-acme-a\\x0ab.yaml", 1, "file-name")}
    elif fmt == "text":
        assert "tickets/2026/11/\ufffd\ufffd.yaml:1:1: the name is not UTF-8 text or holds a control character: rename it to be read" in text
        assert "tickets/2026/11/20261105-acme-a\\x0ab.yaml:1:1: the name is not UTF-8" in text
    else:
        assert text.count("::error file=tickets/2026/11/") == 2


def test_editing_a_ticket_that_links_out_of_the_repository_copies_nothing_in(repo, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text(QUIET + "# hunter4\n")
    link = repo.root / "tickets/2026/11/20261106-acme-lnk1.yaml"
    link.symlink_to(secret)
    result = gitdesk(repo.root, "ticket", "event", "20261106-acme-lnk1", "acknowledged", "--at", "2026-11-06 10:00", "--by", "gbianchi")
    assert result.returncode != 0
    assert link.is_symlink()
    assert b"hunter4" not in result.stdout + result.stderr
    assert "Traceback" not in output(result)


@pytest.mark.parametrize("nesting", ["[" * 100_000 + "]" * 100_000, "{a: " * 50_000 + "}" * 50_000, "- " * 100_000 + "x"],
                         ids=["brackets", "braces", "dashes"])
def test_deep_nesting_is_a_located_error_not_a_crash(repo, nesting):
    """libyaml composes on the C stack: a few tens of kilobytes of brackets would kill the process."""
    repo.ticket("20261104-acme-deep", QUIET + "extra:\n  " + nesting + "\n")
    result = gitdesk(repo.root, "validate")
    assert result.returncode == 1, (result.returncode, output(result)[-500:])
    assert any(re.match(r"tickets/2026/11/20261104-acme-deep.yaml:14:\d+: ", line) and line.endswith("the document is nested too deeply")
               for line in output(result).splitlines()), output(result)[-500:]


def test_the_hostile_sweep_finds_no_traceback_hang_or_leak():
    """tests/hostile_sweep.py on every case through validate and statement (the whole sweep: run the script)."""
    cases = [c.name for c in __import__("hostile_sweep").CASES]  # mkdocs.yml and theme overrides: validate reads them
    result = subprocess.run([sys.executable, str(ROOT / "tests/hostile_sweep.py"), "--commands", "validate,statement",
                             "--cases", ",".join(cases), "--timeout", "60"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("| 1 ok L |") >= len(cases) - 3


def test_lines_are_quoted_only_from_data_files_of_the_repository(repo, tmp_path):
    """What quotes lines under a problem (files.read_data_text) reads nothing out of the repository, however it is asked."""
    from gitdesk.load.files import read_data_text

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.yaml").write_text("SECRET=hunter5\n")
    (repo.root / "linked").symlink_to(outside)
    (repo.root / "direct.yaml").symlink_to(outside / "secret.yaml")
    os.mkfifo(repo.root / "pipe.yaml")
    for rel in ("linked/secret.yaml", "direct.yaml", "pipe.yaml", "../elsewhere/secret.yaml"):
        assert read_data_text(repo.root, rel) is None, rel
    assert read_data_text(repo.root, "contracts/customers/beta.yaml") == "name: Beta Studio\n"
