#!/usr/bin/env python3
"""A sweep of hostile data repositories through every command that reads one.

    python3 tests/hostile_sweep.py [--keep DIR] [--cases a,b] [--commands validate,sla] [--timeout 60]

For each case a small valid repository (the one of tests/conftest.py) is
built and made hostile in one way: binary, BOM, UTF-16, NUL, deep nesting, an
alias bomb, YAML tags, links inside and out of the repository (to a secret,
to /proc/self/environ, to /dev/zero, to a folder), a FIFO, an unreadable file
and folder, a huge file, odd file names, a hostile mkdocs.yml, theme overrides that escape the template sandbox or
include a file through a folder link. Then
``gitdesk validate``, ``sla``, ``statement``, ``check`` and ``build`` run on
it, each in a process of its own with a time limit and a memory limit, and a
table shows for each case and command the exit code, and

- ``ok``, ``traceback``, ``hang`` (past the time limit), ``leak`` (a secret
  from outside the repository in the output or in a built file) or ``ran code`` (a YAML tag
  executed something);
- ``L`` when the problem is located (``path:line:column:`` naming the
  hostile file), ``-`` when the command rightly found nothing to report, ``?``
  when it should have located a problem and did not.

Exits 0 when every cell is ``ok`` and nothing is unlocated. As root (CI),
the unreadable cases run the command without the capabilities that let root
read anything (``setpriv``), so permissions count.

Not collected by pytest (its name does not start with ``test_``);
tests/test_trust_files.py runs a part of it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from conftest import ACME, ANNUAL, BETA, ON_DEMAND, PROVIDER, TICKET  # noqa: E402

COMMANDS = {
    "validate": ("validate",),
    "sla": ("sla", "--now", "2026-12-01 12:00"),
    "statement": ("statement", "--month", "2026-11"),
    "check": ("check",),
    "build": ("build", "--out", "{out}"),
}
SECRET = "hunter2-sweep"
MEMORY = 4 << 30
MONTH = "tickets/2026/11"
QUIET = TICKET.split("interventions:")[0]  # a second ticket that overlaps nothing


@dataclass
class Case:
    name: str
    make: Callable[[Path, Path], None]  # (repository, a private folder outside it)
    #: The path a located problem must name (as printed); None: the repository is valid.
    where: Optional[str]
    #: Commands that read the hostile file (the others must find the repository valid).
    readers: tuple = ("validate", "sla", "statement", "check", "build")
    unprivileged: bool = False


def _write(root: Path, rel: str, data: bytes | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _ticket(root: Path, name: str, data: bytes | str) -> None:
    _write(root, f"{MONTH}/{name}.yaml", data)


def _include_through_link(root: Path, outside: Path) -> None:
    """A folder link in the overrides, and a template that includes a secret through it."""
    (outside / "secret.txt").write_text(f"TOKEN={SECRET}\n")
    _write(root, "site_src/overrides/main.html", '{% extends "base.html" %}\n{% block footer %}'
                                                 '{% include "up/secret.txt" %}{% endblock %}\n')
    os.symlink(outside, root / "site_src/overrides/up")


def _named(name: bytes) -> Callable[[Path, Path], None]:
    def make(root: Path, _outside: Path) -> None:
        with open(os.fsencode(root / MONTH) + b"/" + name, "wb") as f:
            f.write(QUIET.encode())

    return make


def _link(target: Callable[[Path, Path], str], name: str = "20261104-acme-lnk1.yaml") -> Callable[[Path, Path], None]:
    def make(root: Path, outside: Path) -> None:
        os.symlink(target(root, outside), root / MONTH / name)

    return make


def _secret_outside(root: Path, outside: Path) -> str:
    (outside / "secret.yaml").write_text(f"token: {SECRET}\n")
    return str(outside / "secret.yaml")


def _inside(root: Path, outside: Path) -> str:
    _write(root, "archive/20261104-acme-lnk1.yaml", QUIET.replace("2026-11-03", "2026-11-04"))
    return str(root / "archive/20261104-acme-lnk1.yaml")


def _folder_outside(root: Path, outside: Path) -> None:
    (outside / "month").mkdir()
    (outside / "month/20261201-acme-far1.yaml").write_text(QUIET.replace("2026-11-0", "2026-12-0"))
    os.symlink(outside / "month", root / "tickets/2026/12")


def _fifo(root: Path, _outside: Path) -> None:
    os.mkfifo(root / MONTH / "20261104-acme-fifo.yaml")


def _unreadable_file(root: Path, _outside: Path) -> None:
    (root / "contracts/customers/beta.yaml").chmod(0)


def _unreadable_folder(root: Path, _outside: Path) -> None:
    _write(root, "tickets/2026/10/20261001-acme-old1.yaml", QUIET.replace("2026-11-0", "2026-10-0"))
    (root / "tickets/2026/10").chmod(0)


def _tagged(root: Path, outside: Path) -> None:
    sentinel = outside / "ran"
    _ticket(root, "20261104-acme-tag1", QUIET.replace("title: Main server does not boot",
                                                      f"title: !!python/object/apply:os.system ['touch {sentinel}']"))


def _alias_bomb() -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 12):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 10) + "]")
    return QUIET + "description:\n" + textwrap.indent("\n".join(lines), "  ") + "\n"


CASES = [
    Case("binary file", lambda r, o: _ticket(r, "20261104-acme-bin1", bytes(range(256)) * 8), f"{MONTH}/20261104-acme-bin1.yaml"),
    Case("BOM", lambda r, o: _ticket(r, "20261104-acme-bom1", b"\xef\xbb\xbf" + QUIET.replace("2026-11-03", "2026-11-04").encode()), None),
    Case("UTF-16", lambda r, o: _ticket(r, "20261104-acme-u161", QUIET.encode("utf-16")), f"{MONTH}/20261104-acme-u161.yaml"),
    Case("NUL byte", lambda r, o: _ticket(r, "20261104-acme-nul1", QUIET.replace("via: phone", "via: ph\x00one")), f"{MONTH}/20261104-acme-nul1.yaml"),
    Case("deep nesting", lambda r, o: _ticket(r, "20261104-acme-deep", QUIET + "extra: " + "[" * 50000 + "]" * 50000 + "\n"),
         f"{MONTH}/20261104-acme-deep.yaml"),
    Case("alias bomb", lambda r, o: _ticket(r, "20261104-acme-bomb", _alias_bomb()), f"{MONTH}/20261104-acme-bomb.yaml"),
    Case("YAML tags", _tagged, f"{MONTH}/20261104-acme-tag1.yaml"),
    Case("link inside", _link(_inside), None),
    Case("link outside", _link(_secret_outside), f"{MONTH}/20261104-acme-lnk1.yaml"),
    Case("link to /proc/self/environ", _link(lambda r, o: "/proc/self/environ"), f"{MONTH}/20261104-acme-lnk1.yaml"),
    Case("link to /dev/zero", _link(lambda r, o: "/dev/zero"), f"{MONTH}/20261104-acme-lnk1.yaml"),
    Case("folder link outside", _folder_outside, "tickets/2026/12"),
    Case("FIFO", _fifo, f"{MONTH}/20261104-acme-fifo.yaml"),
    Case("unreadable file", _unreadable_file, "contracts/customers/beta.yaml", unprivileged=True),
    Case("unreadable folder", _unreadable_folder, "tickets/2026/10", unprivileged=True),
    Case("huge file (2 MiB)", lambda r, o: _ticket(r, "20261104-acme-huge", QUIET + "# " + "x" * (2 << 20) + "\n"),
         f"{MONTH}/20261104-acme-huge.yaml"),
    Case("name not UTF-8", _named(b"\xff\xfe.yaml"), f"{MONTH}/\ufffd\ufffd.yaml"),
    Case("name with spaces", _named(b"20261104 acme sp1.yaml"), f"{MONTH}/20261104 acme sp1.yaml"),
    Case("name with newline", _named(b"20261104-acme-a\nb.yaml"), f"{MONTH}/20261104-acme-a\\x0ab.yaml"),
    Case("name with leading dash", _named(b"-x.yaml"), f"{MONTH}/-x.yaml"),
    Case(".YAML suffix", _named(b"20261104-acme-caps.YAML"), f"{MONTH}/20261104-acme-caps.YAML"),
    Case("mkdocs.yml with tags", lambda r, o: _write(r, "mkdocs.yml", f"site_name: x\nhooks: !!python/name:os.system\nx: !!python/object/apply:os.system ['touch {o / 'ran'}']\n"),
         "mkdocs.yml", readers=("validate", "check", "build")),
    Case("mkdocs.yml link outside", lambda r, o: os.symlink("/proc/self/environ", r / "mkdocs.yml"), "mkdocs.yml", readers=("validate", "check", "build")),
    Case("mkdocs.yml FIFO", lambda r, o: os.mkfifo(r / "mkdocs.yml"), "mkdocs.yml", readers=("validate", "check", "build")),
    Case("theme override escaping the sandbox", lambda r, o: _write(
        r, "site_src/overrides/main.html", '{% extends "base.html" %}\n{% block footer %}{{ config.theme.get_env()'
        f'.from_string("{{{{ cycler.__init__.__globals__.os.popen(\'touch {o / "ran"}\').read() }}}}").render() }}}}'
        '{{ super() }}{% endblock %}\n'), "site_src/overrides/main.html", readers=("validate", "check", "build")),
    Case("public page using an asset as its template", lambda r, o: (
        _write(r, "site_src/overrides/theme.js", f'{{{{ config.load_file("x: !!python/object/apply:os.system '
                                                 f'[touch {o / "ran"}]") }}}}\n'),
        _write(r, "site_src/public/news.md", "---\ntemplate: theme.js\n---\n# News\n")),
         "site_src/public/news.md", readers=("validate", "check", "build")),
    Case("theme override including through a folder link", _include_through_link, "site_src/overrides/main.html",
         readers=("validate", "check", "build")),
]


def base_repository(root: Path) -> None:
    for rel, text in (("contracts/provider.yaml", PROVIDER), ("contracts/plans/annual.yaml", ANNUAL),
                      ("contracts/plans/on-demand.yaml", ON_DEMAND), ("contracts/customers/acme.yaml", ACME),
                      ("contracts/customers/beta.yaml", BETA), (f"{MONTH}/20261103-acme-psu1.yaml", TICKET)):
        _write(root, rel, text)


def _unprivileged() -> tuple:
    """As root: a prefix that takes away the power to read what permissions forbid."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return ()
    drop = "-dac_override,-dac_read_search"
    return ("setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}")


def _limit() -> None:  # in the child, before gitdesk starts
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@dataclass
class Cell:
    code: Optional[int]
    status: str  # ok, traceback, hang, leak, ran code
    located: str  # L, -, ?

    @property
    def good(self) -> bool:
        return self.status == "ok" and self.located != "?"

    def __str__(self) -> str:
        return f"{'-' if self.code is None else self.code} {self.status} {self.located}"


def _in_files(folder: Path, text: str) -> bool:
    """Whether any file under ``folder`` (a built site) holds ``text``."""
    needle = text.encode()
    return folder.is_dir() and any(p.is_file() and not p.is_symlink() and needle in p.read_bytes() for p in folder.rglob("*"))


def run_one(case: Case, command: str, root: Path, outside: Path, timeout: float) -> Cell:
    args = [a.replace("{out}", str(outside / f"site-{command}")) for a in COMMANDS[command]]
    prefix = _unprivileged() if case.unprivileged else ()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tools"), GITDESK_NO_CACHE="1", GITDESK_SWEEP_TOKEN=SECRET,
               PYTHONIOENCODING="utf-8")
    try:
        proc = subprocess.run([*prefix, sys.executable, "-m", "gitdesk", "--repo", str(root), *args], env=env,
                              capture_output=True, timeout=timeout, preexec_fn=_limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Cell(None, "hang", "?")
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    if (outside / "ran").exists():
        status = "ran code"
    elif SECRET in out or _in_files(outside / f"site-{command}", SECRET):
        status = "leak"
    elif "Traceback" in out:
        status = "traceback"
    else:
        status = "ok"
    if case.where is None or command not in case.readers:
        located = "-" if proc.returncode == 0 else "?"
    else:
        pattern = re.compile(rf"^(::error file=)?{re.escape(case.where)}[:,](line=)?\d+[:,](col=)?\d+", re.M)
        located = "L" if proc.returncode == 1 and pattern.search(out) else "?"
    return Cell(proc.returncode, status, located)


def sweep(cases: list[Case], commands: list[str], keep: Optional[Path], timeout: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="gitdesk-sweep-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    jobs = []
    for n, case in enumerate(cases):
        place = work / f"{n:02d}"
        root, outside = place / "data", place / "outside"
        outside.mkdir(parents=True)
        base_repository(root)
        case.make(root, outside)
        for command in commands:
            jobs.append((case, command, root, outside))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            cells = list(pool.map(lambda job: run_one(*job, timeout), jobs))
    finally:
        if keep is None:
            for path in work.rglob("*"):
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o755)
            shutil.rmtree(work, ignore_errors=True)
    return {(job[0].name, job[1]): cell for job, cell in zip(jobs, cells)}


def table(cases: list[Case], commands: list[str], cells: dict) -> str:
    lines = ["| case | " + " | ".join(commands) + " |", "|---|" + "---|" * len(commands)]
    for case in cases:
        lines.append(f"| {case.name} | " + " | ".join(str(cells[case.name, c]) for c in commands) + " |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, default=None, help="build the repositories in DIR and leave them there")
    parser.add_argument("--cases", default=None, help="comma-separated case names (default: all)")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated commands (default: all)")
    parser.add_argument("--timeout", type=float, default=90, help="seconds a command may take before it counts as a hang")
    args = parser.parse_args(argv)
    cases = CASES if args.cases is None else [c for c in CASES if c.name in args.cases.split(",")]
    commands = [c for c in args.commands.split(",") if c]
    unknown = set(commands) - set(COMMANDS)
    if unknown:
        parser.error(f"unknown commands: {', '.join(sorted(unknown))}")
    cells = sweep(cases, commands, args.keep, args.timeout)
    print(table(cases, commands, cells))
    bad = [f"{case} / {command}: {cell}" for (case, command), cell in cells.items() if not cell.good]
    counts = {s: sum(1 for c in cells.values() if c.status == s) for s in ("traceback", "hang", "leak", "ran code")}
    print()
    print(f"{len(cells)} runs: " + ", ".join(f"{n} {s}" for s, n in counts.items())
          + f", {sum(1 for c in cells.values() if c.located == '?')} not located")
    for line in bad:
        print(f"  {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
