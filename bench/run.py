#!/usr/bin/env python3
"""Measure gitdesk on generated repositories. Not a test: it prints figures.

    python bench/run.py                         # everything below
    python bench/run.py --only validate --sizes 10000
    python bench/run.py --only build

validate: 10,000 and 100,000 tickets, cold (no cache: every file parsed),
          unchanged since the last run, and after one ticket changed.
sla, statement: 100,000 tickets, cold (no cache) and with the per-file cache
          that an earlier run (e.g. CI's validate) filled; sla as JSON and,
          cold, also as the text tables it writes by default.
build:    the portal for 200 customers and 20,000 tickets, from scratch and
          after one ticket changed.
ticket:   the technicians' commands on 20,000 tickets (copied to a new git
          repository in a temporary folder): ticket new and ticket event, each
          with and without --commit, with the cache warm; ticket list (all,
          and --mine) over 200 open requests added for it, and ticket show
          (when this version has them); the first ticket event after a fresh
          clone (no cache). Beside them their floors: python3 -c pass, gitdesk
          --version, and git commit of a one-line change in that repository;
          then each figure's ratio to its floor (gitdesk --version, and for
          --commit gitdesk --version plus that git commit).

With --drop-page-cache (root on Linux) the operating system's page cache is
emptied before every measurement without gitdesk's cache too, so that the
files themselves come from the disk, as after a reboot.

Each measurement prints its median wall time, its median CPU time (user and
system, of gitdesk and its worker processes: the steadier figure when the
machine's speed moves) and, with --repeat, the fastest and slowest wall time
and every run's, in order.

A reference load is timed before the first measurement and after the last:
the same fixed Python work (small dicts, lists and strings, as in reading
tickets) in one process per core at once. It moves with the machine's speed
(a shared machine can be half again as slow at one hour as at another, memory
and caches included), so figures of different runs are compared alongside it.

Data is generated once under bench/data/ (git-ignored; --data names another
folder) by bench/generate.py, and never written to. Python may write its
bytecode next to the code measured (as pip does on installing): a start-up
is measured as a user's is, not compiling every module anew.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

NOW = "2026-12-31 12:00"


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the command and its workers) in seconds.

    The CPU time is the steadier figure on a shared machine: it moves with the
    work done, the wall time also with whatever else the machine is doing.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _reference_work(_: int = 0) -> None:
    """A fixed amount of allocation-heavy Python work."""
    keep: list[dict] = []
    for i in range(600_000):
        keep.append({"id": f"t{i:06d}", "at": str(i % 1440), "events": [i, i + 1, (i, "x")]})
        if len(keep) == 2_000:  # a batch done: its records are dropped, as a worker's are
            keep = []


def reference() -> str:
    """The wall time of :func:`_reference_work` in one process per core at once (best of three)."""
    import multiprocessing

    cores = os.cpu_count() or 1
    best = float("inf")
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        pool.map(int, range(cores))  # the workers are up before the clock starts
        for _ in range(3):
            start = time.perf_counter()
            pool.map(_reference_work, range(cores), chunksize=1)
            best = min(best, time.perf_counter() - start)
    return f"reference load: {best:.3f} s (fixed Python work on each of {cores} cores at once; lower is a faster machine)"


DATA = HERE / "data"


def data_for(size: int, customers: int) -> Path:
    out = DATA / f"t{size}-c{customers}"
    marker = out / ".complete"
    if not marker.exists():
        print(f"generating {size} tickets for {customers} customers in {out} ...", flush=True)
        generate(out, size, customers)
        marker.write_text("ok\n")
    return out


class Touch:
    """Change one ticket (a word of its title) and put it back afterwards."""

    def __init__(self, repo: Path):
        self.path = next((repo / "tickets").rglob("*.yaml"))
        self.original = self.path.read_text()
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.path.write_text(self.original.replace("needs attention", f"needs attention ({self.count})"))

    def restore(self) -> None:
        self.path.write_text(self.original)


def _installed_script() -> str:
    """The gitdesk script that pip installed beside this Python.

    Not the first gitdesk on PATH, which may be a version manager's shim (pyenv's
    is a shell script that finds the interpreter anew on every call: 0.1 s of
    every run measured, none of it gitdesk's).
    """
    beside = Path(sys.executable).parent / "gitdesk"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("gitdesk") or "gitdesk"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="validate,sla,statement,build,ticket", help="which measurements, comma-separated")
    parser.add_argument("--sizes", default="10000,100000", help="ticket counts for validate, comma-separated")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the median is printed)")
    parser.add_argument("--gitdesk", default=_installed_script(),
                        help="the command to measure (default: the gitdesk script of the Python running this)")
    parser.add_argument("--drop-page-cache", action="store_true",
                        help="empty the system's page cache before each measurement without gitdesk's cache (root)")
    parser.add_argument("--data", type=Path, default=DATA, help="where the generated repositories are (read only)")
    args = parser.parse_args()
    globals()["DATA"] = args.data
    only = set(args.only.split(","))
    gd = shlex.split(args.gitdesk)  # e.g. "python3 -m gitdesk" for the code of a PYTHONPATH
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; measuring {shlex.join(gd)}", flush=True)
    print(f"before: {reference()}", flush=True)
    rows: list[tuple[str, str, float, float]] = []

    def measure(label: str, what: str, cmd, repo: Path, env: dict, prepare=None) -> float:
        """The median wall time of ``cmd`` (a list, or a function giving each run's list) run in ``repo``."""
        runs = []
        for n in range(args.repeat):
            if prepare:
                prepare()
            runs.append(timed(cmd(n) if callable(cmd) else cmd, repo, env))
        walls, cpus = zip(*runs)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        rows.append((label, what, wall, cpu))
        spread = f"  ({min(walls):.2f}-{max(walls):.2f}; in order {' '.join(f'{w:.2f}' for w in walls)})" if len(walls) > 1 else ""
        print(f"  {label:<34} {what:<28} {wall:8.2f} s {cpu:8.2f} s{spread}", flush=True)
        return wall

    with tempfile.TemporaryDirectory(prefix="gitdesk-bench-") as tmp:
        cache = Path(tmp) / "cache"
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = dict(base, GITDESK_CACHE_DIR=str(cache))
        nocache = dict(base, GITDESK_NO_CACHE="1")

        def drop_page_cache() -> None:
            if args.drop_page_cache:
                os.sync()
                try:
                    Path("/proc/sys/vm/drop_caches").write_text("1\n")
                except OSError as exc:
                    raise SystemExit(f"--drop-page-cache: {exc.strerror} (it needs root on Linux)")

        def clear() -> None:
            shutil.rmtree(cache, ignore_errors=True)
            drop_page_cache()

        if "validate" in only:
            for size in (int(s) for s in args.sizes.split(",")):
                repo = data_for(size, args.customers)
                touch = Touch(repo)
                label = f"validate, {size:,} tickets"
                try:
                    measure(label, "cold (cache filled)", [*gd, "validate"], repo, env, clear)
                    measure(label, "unchanged", [*gd, "validate"], repo, env)
                    measure(label, "one ticket changed", [*gd, "validate"], repo, env, touch)
                    measure(label, "no cache at all", [*gd, "validate"], repo, nocache, drop_page_cache)
                finally:
                    touch.restore()
        big = data_for(100_000, args.customers) if only & {"sla", "statement"} else None
        if "sla" in only:
            label = "sla --format json, 100,000 tickets"
            measure(label, "cold (no cache)", [*gd, "sla", "--format", "json", "--now", NOW], big, nocache, drop_page_cache)
            measure("sla as text, 100,000 tickets", "cold (no cache)", [*gd, "sla", "--now", NOW], big, nocache, drop_page_cache)
            clear()
            timed([*gd, "validate"], big, env)
            measure(label, "after validate (cached)", [*gd, "sla", "--format", "json", "--now", NOW], big, env)
        if "statement" in only:
            label = "statement, all customers, 100,000"
            cmd = [*gd, "statement", "--month", "2026-06", "--format", "json"]
            measure(label, "cold (no cache)", cmd, big, nocache, drop_page_cache)
            clear()
            timed([*gd, "validate"], big, env)
            measure(label, "after validate (cached)", cmd, big, env)
        if "build" in only:
            repo = data_for(20_000, 200)
            out = Path(tmp) / "site"
            touch = Touch(repo)
            label = "build, 200 customers, 20,000"
            cmd = [*gd, "build", "--out", str(out), "--now", NOW]
            try:
                measure(label, "from scratch", cmd, repo, env, lambda: (shutil.rmtree(out, ignore_errors=True), clear()))
                measure(label, "one ticket changed", cmd, repo, env, touch)
            finally:
                touch.restore()
        if "ticket" in only:
            ratios = tickets(measure, gd, env, Path(tmp), args.customers)
    print(f"after: {reference()}", flush=True)
    print()
    print(f"{'measurement':<36} {'case':<28} {'time':>9} {'CPU':>9}")
    for label, what, seconds, cpu in rows:
        print(f"{label:<36} {what:<28} {seconds:8.2f} s {cpu:8.2f} s")
    if "ticket" in only:
        print()
        print(f"{'ticket command, 20,000 tickets':<44} {'median':>8} {'floor':>8} {'ratio':>6}  floor")
        for label, seconds, floor, named in ratios:
            print(f"{label:<44} {seconds:6.3f} s {floor:6.3f} s {seconds / floor:6.2f}  {named}")


def tickets(measure, gd: list[str], env: dict, tmp: Path, customers: int) -> list[tuple[str, float, float, str]]:
    """The ticket commands and their floors (see the module's docstring); ``(what, median, floor, which floor)`` of each."""
    source = data_for(20_000, customers)
    repo = tmp / "tickets-repo"
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".complete"))
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    genv = dict(env, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
                GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "data"]):
        subprocess.run([*git, *cmd], cwd=repo, check=True, capture_output=True)
    ticket = sorted((repo / "tickets").rglob("*.yaml"))[-1]  # one with a work report: the overlap rule reads the others
    ident, rel = ticket.stem, ticket.relative_to(repo).as_posix()
    customer = ident.split("-")[1]
    label = "ticket, 20,000 tickets"

    turn = iter(range(1 << 30))

    def event(commit: bool):
        # waiting and resumed in turn (over both series): every run adds an event the rules accept
        return lambda n: [*gd, "ticket", "event", ident, ("waiting", "resumed")[next(turn) % 2], *(["--commit"] if commit else [])]

    def new(commit: bool):
        return [*gd, "ticket", "new", "--customer", customer, "--priority", "normal", "--title", "Printer offline",
                *(["--commit"] if commit else [])]

    def one_line() -> None:
        with open(ticket, "a", encoding="utf-8") as out:
            out.write("# checked\n")

    floors = {
        "python3 -c pass": measure("floor", "python3 -c pass", [sys.executable, "-c", "pass"], repo, genv),
        "gitdesk --version": measure("floor", "gitdesk --version", [*gd, "--version"], repo, genv),
        "git commit": measure("floor", "git commit, one line changed", ["git", "commit", "-q", "-m", "a line", "--", rel],
                              repo, genv, one_line),
    }
    subprocess.run([*gd, "validate"], cwd=repo, env=genv, check=True, capture_output=True)  # the cache filled, as CI or a first command does
    subprocess.run([*gd, "ticket", "event", ident, "acknowledged"], cwd=repo, env=genv, check=True, capture_output=True)
    figures = [
        ("ticket new", measure(label, "new, warm", lambda n: new(False), repo, genv), False),
        ("ticket new --commit", measure(label, "new --commit, warm", lambda n: new(True), repo, genv), True),
        ("ticket event", measure(label, "event, warm", event(False), repo, genv), False),
        ("ticket event --commit", measure(label, "event --commit, warm", event(True), repo, genv), True),
    ]
    if subprocess.run([*gd, "ticket", "list", "--help"], cwd=repo, env=genv, capture_output=True).returncode == 0:
        queue = open_requests(repo, customer, 200)
        for cmd in (["add", "-A"], ["commit", "-q", "-m", "open requests"]):
            subprocess.run([*git, *cmd], cwd=repo, check=True, capture_output=True)
        subprocess.run([*gd, "validate"], cwd=repo, env=genv, capture_output=True)  # their cache entries
        figures.append(("ticket list (200 open)", measure(label, "list, warm", [*gd, "ticket", "list"], repo, genv), False))
        figures.append(("ticket list --mine", measure(label, "list --mine, warm", [*gd, "ticket", "list", "--mine"], repo,
                                                     dict(genv, GITDESK_TECHNICIAN=queue)), False))
        figures.append(("ticket show", measure(label, "show, warm", [*gd, "ticket", "show", ident], repo, genv), False))
    clone, cold = tmp / "tickets-clone", tmp / "cache-of-the-clone"

    def fresh_clone() -> None:
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(cold, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, capture_output=True)

    first = measure(label, "event, first after a clone", lambda n: [*gd, "--repo", str(clone), "ticket", "event", ident, "waiting"],
                    tmp, dict(genv, GITDESK_CACHE_DIR=str(cold)), fresh_clone)
    figures.append(("ticket event, first after a clone", first, False))
    out = []
    for what, seconds, committed in figures:
        floor = floors["gitdesk --version"] + (floors["git commit"] if committed else 0.0)
        out.append((what, seconds, floor, "gitdesk --version" + (" + git commit" if committed else "")))
    out += [(f"floor: {name}", seconds, floors["python3 -c pass"], "python3 -c pass") for name, seconds in floors.items()]
    return out


def open_requests(repo: Path, customer: str, count: int) -> str:
    """``count`` open requests of the last month (a realistic queue: the generated history is all resolved),
    half of them assigned to one team member, whose id comes back."""
    provider = (repo / "contracts/provider.yaml").read_text(encoding="utf-8")
    member = re.search(r"^  - (?:\{)?id: ([a-z0-9-]+)", provider, re.M)
    who = member.group(1) if member else "nobody"
    folder = repo / "tickets/2026/12"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        day, minute = 1 + n % 20, 8 * 60 + 30 + (n * 7) % 480
        log = f"log:\n  - {{at: 2026-12-{day:02d} {minute // 60:02d}:{minute % 60:02d}, event: assigned, to: {who}}}\n" if n % 2 else ""
        (folder / f"202612{day:02d}-{customer}-q{n:03d}.yaml").write_text(
            f"customer: {customer}\ntitle: Open request {n}\nreported: 2026-12-{day:02d} {minute // 60:02d}:{minute % 60:02d}\n"
            f"priority: normal\n{log}", encoding="utf-8")
    return who


if __name__ == "__main__":
    main()
