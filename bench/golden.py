#!/usr/bin/env python3
"""Golden outputs: every output of gitdesk on fixed data, captured to files and compared byte for byte.

    python3 bench/golden.py capture OUT --pythonpath DIR [--jobs 2] [--force]
    python3 bench/golden.py compare A B
    python3 bench/golden.py check --before DIR --after DIR [--keep FOLDER]

``capture`` runs ``python3 -m gitdesk`` with PYTHONPATH=DIR (a checkout's
``tools`` folder: the code under test) on three repositories, each a copy in
a temporary folder (the project's own files are never written):

- ``demo``: the project's demo data (contracts/, tickets/, mkdocs.yml, site_src/);
- ``generated``: bench/golden_data.py's seeded repository, on which the
  capture first issues statements, edits an issued month, records the
  correction and issues the month that carries it (each step's output and the
  issued files are captured too);
- ``broken``: the generated repository spoiled in many ways (every kind of
  problem ``validate`` and ``check`` report).

Every command runs with a fixed ``--now``, ``--no-cache`` and a fresh cache
folder and key, so nothing is shared between two captures. Each command line
gives one file OUT/<repository>/<name>.txt: the command, its exit status, its
standard output and its standard error. The built portal is copied whole into
OUT/<repository>/portal/. Only what is the build's own is normalised (see
bench/README.md): where the temporary folders are, the build's duration and
the signed build-state digests; the build date mkdocs writes (the gzip header
of sitemap.xml.gz) is fixed with SOURCE_DATE_EPOCH.

``compare`` lists the files that differ (a short diff of the first few) and
exits 1 if any does, 0 when the two captures are identical. ``check`` captures
both versions into a temporary folder and compares them. Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import golden_data  # noqa: E402  (next to this file)

#: The project's files that make the demo data repository.
DEMO_FILES = ("contracts", "tickets", "statements", "mkdocs.yml", "site_src")
#: Longest a single command may take before the capture records it as timed out.
TIMEOUT = 900
#: The build date mkdocs writes (the gzip header of sitemap.xml.gz, sitemap dates): 2026-01-01, whatever the clock says.
BUILD_DATE = "1767225600"
#: Environment variables that would change what gitdesk does: never inherited.
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONHASHSEED", "XDG_CACHE_HOME", "LANGUAGE", "LC_ALL",
               "LC_MESSAGES", "LANG", "TZ", "COLUMNS")


@dataclass(frozen=True)
class Input:
    """One data repository and the moments its commands are run at."""

    name: str
    prepare: Callable[["Capture", Path], None]
    customer: str        # for --customer
    month: str           # for sla --month
    mid: str             # a --now inside the data's period: tickets open, targets running
    after: str           # a --now after the period
    portal: Optional[str]  # the --now of the build and of check (None: no portal)
    full: bool = True    # every command, or only those that report problems


class Capture:
    """Runs gitdesk from one code folder and writes what it printed into OUT."""

    def __init__(self, pythonpath: Path, out: Path, work: Path, jobs: int):
        self.pythonpath = pythonpath.resolve()
        self.out = out
        self.work = work
        self.jobs = jobs
        self.count = 0
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV and not k.startswith("GITDESK_")}
        env.update(PYTHONPATH=str(self.pythonpath), PYTHONDONTWRITEBYTECODE="1", GITDESK_CACHE_DIR=str(work / "cache"),
                   XDG_CACHE_HOME=str(work / "user-cache"), LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC", NO_COLOR="1",
                   SOURCE_DATE_EPOCH=BUILD_DATE)
        self.env = env

    def check_code(self) -> str:
        """The gitdesk package the capture runs: refused unless it is the one in --pythonpath."""
        done = subprocess.run([sys.executable, "-c", "import gitdesk; print(gitdesk.__file__)"], env=self.env,
                              capture_output=True, text=True, cwd=self.work)
        found = done.stdout.strip()
        if done.returncode != 0 or not Path(found).resolve().is_relative_to(self.pythonpath):
            raise SystemExit(f"golden: gitdesk from {self.pythonpath} cannot be imported (found {found!r}): {done.stderr.strip()}")
        return found

    def run(self, input_name: str, name: str, repo: Path, *args: str) -> int:
        """Run ``gitdesk ARGS --no-cache`` in ``repo``; write OUT/<input>/<name>.txt; the exit status."""
        argv = [*args, "--no-cache"]
        try:
            done = subprocess.run([sys.executable, "-m", "gitdesk", *argv], cwd=repo, env=self.env, capture_output=True,
                                  timeout=TIMEOUT)
            status, stdout, stderr = str(done.returncode), done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            status, stdout, stderr = f"timed out after {TIMEOUT} s", exc.stdout or b"", exc.stderr or b""
        command = " ".join(shlex.quote(self.neutral_text(a, repo)) for a in argv)
        text = (f"$ gitdesk {command}\nexit {status}\n--- stdout\n".encode() + self.neutral(stdout, repo)
                + b"\n--- stderr\n" + self.neutral(stderr, repo))
        if args[0] == "build":  # the one line that says how long the build took
            text = re.sub(rb" in \d+(?:\.\d+)? s\b", b" in <T> s", text)
        path = self.out / input_name / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
        self.count += 1
        return done.returncode if status.isdigit() else -1

    def neutral(self, data: bytes, repo: Path) -> bytes:
        """``data`` with the capture's own temporary folders named by placeholders."""
        for folder, label in ((repo, b"<REPO>"), (self.work, b"<WORK>")):
            data = data.replace(str(folder).encode(), label)
        return data

    def neutral_text(self, text: str, repo: Path) -> str:
        return self.neutral(text.encode(), repo).decode()

    def parallel(self, calls: list[tuple]) -> None:
        """Run independent commands (input, name, repo, *args) a few at a time."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for future in [pool.submit(self.run, *call) for call in calls]:
                future.result()


# ---------------------------------------------------------------- the repositories


def prepare_demo(capture: Capture, repo: Path) -> None:
    """A copy of the project's demo data."""
    repo.mkdir(parents=True)
    for name in DEMO_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, symlinks=True)
        elif source.is_file():
            shutil.copy2(source, repo / name)


#: Months issued before the correction (month, issue date), the correction's date, the month issued after it.
ISSUED = (("2026-01", "2026-02-04"), ("2026-02", "2026-03-04"), ("2026-03", "2026-04-02"))
CORRECTED = "2026-04-20"
ISSUED_AFTER = ("2026-04", "2026-05-05")


def prepare_generated(capture: Capture, repo: Path) -> None:
    """The seeded repository, with statements issued, an issued month edited and corrected, and one more issued."""
    golden_data.generate(repo)
    name = "generated"
    for month, date in ISSUED:
        capture.run(name, f"setup-1-statement-issue.{month}", repo, "statement", "issue", "--month", month, "--date", date)
    path, customer, month = golden_data.correct_issued(repo, tuple(m for m, _ in ISSUED))
    (capture.out / name).mkdir(parents=True, exist_ok=True)
    (capture.out / name / "setup-2-edited-ticket.txt").write_text(f"{path}\n{customer} {month}\n", encoding="utf-8")
    capture.parallel([(name, "setup-3-validate.after-edit.text", repo, "validate"),
                      (name, "setup-3-check.after-edit.text", repo, "check", "--now", "2026-04-20 12:00")])
    number = issued_number(repo, customer, month)
    capture.run(name, "setup-4-statement-adjust", repo, "statement", "adjust", "--number", number,
                "--reason", "Part quantity corrected after the stock count", "--date", CORRECTED)
    month, date = ISSUED_AFTER
    capture.run(name, f"setup-5-statement-issue.{month}", repo, "statement", "issue", "--month", month, "--date", date)
    copy_tree(repo / "statements", capture.out / name / "statements", lambda rel, data: data)


def issued_number(repo: Path, customer: str, month: str) -> str:
    """The number of the statement issued to ``customer`` for ``month``."""
    for path in sorted((repo / "statements").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if re.search(rf"^customer: {re.escape(customer)}$", text, re.M) and re.search(rf"^month: {month}$", text, re.M):
            return re.search(r"^number: (\S+)$", text, re.M).group(1)
    raise SystemExit(f"golden: no statement was issued to {customer} for {month}")


def prepare_broken(capture: Capture, repo: Path) -> None:
    """The seeded repository, spoiled (see golden_data.break_repository)."""
    golden_data.generate(repo)
    done = golden_data.break_repository(repo)
    (capture.out / "broken").mkdir(parents=True, exist_ok=True)
    (capture.out / "broken" / "spoiled-files.txt").write_text("\n".join(done) + "\n", encoding="utf-8")


INPUTS = (
    Input("demo", prepare_demo, customer="brivio", month="2026-10", mid="2026-10-15 11:00", after="2026-12-15 09:00",
          portal="2026-11-25 12:00"),
    Input("generated", prepare_generated, customer="alfa", month="2026-03", mid="2026-04-15 11:00",
          after="2026-07-15 09:00", portal="2026-06-30 17:00"),
    Input("broken", prepare_broken, customer="alfa", month="2026-03", mid="2026-04-15 11:00", after="2026-07-15 09:00",
          portal=None, full=False),
)


def months_of(repo: Path) -> list[str]:
    """Every month that has tickets, and the month after the last (interventions of late tickets, fees)."""
    months = sorted({f"{p.parent.parent.name}-{p.parent.name}" for p in (repo / "tickets").glob("*/*/*.yaml")})
    year, month = map(int, months[-1].split("-"))
    return months + [f"{year + month // 12}-{month % 12 + 1:02d}"]


def commands(spec: Input, repo: Path) -> list[tuple]:
    """Every command line run on one repository: (name, *args)."""
    stamp = lambda now: now.replace(" ", "T").replace(":", "")  # noqa: E731
    calls = [(f"validate.{fmt}", "validate", "--format", fmt) for fmt in ("text", "json", "github")]
    check_now = spec.portal or spec.after
    calls += [(f"check.{fmt}", "check", "--format", fmt, "--now", check_now) for fmt in ("text", "json", "github", "codeclimate")]
    calls.append(("check.fail-on-breach.text", "check", "--fail-on", "breach", "--within", "1h", "--now", check_now))
    for fmt in ("json", "text"):
        calls += [(f"sla.{fmt}.now-{stamp(now)}", "sla", "--format", fmt, "--now", now) for now in (spec.mid, spec.after)]
    months = months_of(repo)
    if not spec.full:
        calls.append(("sla.json.customer", "sla", "--format", "json", "--customer", spec.customer, "--now", spec.after))
        calls.append((f"statement.{spec.month}.json", "statement", "--month", spec.month, "--format", "json"))
        return calls
    for fmt in ("json", "text"):
        calls.append((f"sla.{fmt}.customer-{spec.customer}", "sla", "--format", fmt, "--customer", spec.customer, "--now", spec.after))
        calls.append((f"sla.{fmt}.month-{spec.month}", "sla", "--format", fmt, "--month", spec.month, "--now", spec.after))
    for month in months:
        calls += [(f"statement.{month}.{fmt}", "statement", "--month", month, "--format", fmt) for fmt in ("json", "text", "csv")]
    calls += [(f"statement.{spec.month}.customer-{spec.customer}.{fmt}", "statement", "--month", spec.month,
               "--customer", spec.customer, "--format", fmt) for fmt in ("json", "text", "csv")]
    return calls


def capture_input(capture: Capture, spec: Input) -> None:
    """Prepare one repository, run every command on it, build its portal and copy the portal."""
    base = capture.work / spec.name
    repo = base / "repo"
    spec.prepare(capture, repo)
    calls = [(spec.name, name, repo, *args) for name, *args in commands(spec, repo)]
    site = base / "site"
    if spec.portal:
        calls.insert(0, (spec.name, "build", repo, "build", "--now", spec.portal, "--out", str(site)))
    capture.parallel(calls)
    if spec.portal and site.is_dir():
        copy_tree(site, capture.out / spec.name / "portal", lambda rel, data: normalise_built(rel, data, site, capture.work))


# ---------------------------------------------------------------- the built portal


STATE_FOLDER = ".gitdesk-build"


def normalise_built(rel: str, data: bytes, site: Path, work: Path) -> bytes:
    """A built file with only the build's own parts made neutral.

    - where the sites were written (the web servers' configurations name it);
    - the signed state of each site (a digest of the code and an HMAC with the capture's own key).

    The build date mkdocs writes is fixed by SOURCE_DATE_EPOCH instead (see :data:`BUILD_DATE`).
    """
    data = data.replace(str(site).encode(), b"<OUT>").replace(str(work).encode(), b"<WORK>")
    if rel.startswith(STATE_FOLDER + "/") and rel.endswith(".digest"):
        return b"<signed build state>\n"
    return data


def copy_tree(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> int:
    """Copy every file under ``source`` (links named, not followed) through ``change``; the number copied."""
    count = 0
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            rel = path.relative_to(source).as_posix()
            if path.is_symlink():
                data = b"symbolic link to " + os.readlink(path).encode()
            else:
                data = change(rel, path.read_bytes())
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            count += 1
    return count


# ---------------------------------------------------------------- commands


def capture(out: Path, pythonpath: Path, jobs: int = 2, force: bool = False, only: Optional[list[str]] = None) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"golden: {out} is not empty (--force replaces it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gitdesk-golden-") as tmp:
        cap = Capture(pythonpath, out.resolve(), Path(tmp).resolve(), jobs)
        found = cap.check_code()
        for spec in INPUTS:
            if only and spec.name not in only:
                continue
            capture_input(cap, spec)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"captured {cap.count} commands, {files} files of {found} into {out} in {time.monotonic() - began:.0f} s")


def tree_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


#: Diff lines are cut at this width (a statement in JSON is one long line per customer).
WIDTH = 200


def first_difference(x: bytes, y: bytes, around: int = 70) -> str:
    """Where two texts first differ (line and column), with a little of each around it."""
    at = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    line = x.count(b"\n", 0, at) + 1
    column = at - (x.rfind(b"\n", 0, at) + 1) + 1
    start = max(0, at - around)
    show = lambda data: data[start:at + around].decode("utf-8", "replace").replace("\n", "\\n")  # noqa: E731
    return f"first difference at line {line}, column {column}:\n  a: ...{show(x)}...\n  b: ...{show(y)}..."


def compare(a: Path, b: Path, shown: int = 5, lines: int = 40) -> int:
    """Print the files that differ between two captures (a diff of the first ``shown``); 1 if any, else 0."""
    for folder in (a, b):
        if not folder.is_dir():
            raise SystemExit(f"golden: {folder} is not a folder")
    left, right = tree_files(a), tree_files(b)
    only_a = sorted(set(left) - set(right))
    only_b = sorted(set(right) - set(left))
    differ = [rel for rel in sorted(set(left) & set(right)) if left[rel].read_bytes() != right[rel].read_bytes()]
    for rel in only_a:
        print(f"only in {a}: {rel}")
    for rel in only_b:
        print(f"only in {b}: {rel}")
    for rel in differ:
        print(f"differs: {rel}")
    for rel in differ[:shown]:
        print(f"\n=== {rel}")
        x, y = left[rel].read_bytes(), right[rel].read_bytes()
        if b"\0" in x or b"\0" in y:
            print(f"binary files differ ({len(x)} and {len(y)} bytes)")
            continue
        print(first_difference(x, y))
        diff = list(difflib.unified_diff(x.decode("utf-8", "replace").splitlines(), y.decode("utf-8", "replace").splitlines(),
                                         f"a/{rel}", f"b/{rel}", lineterm="", n=2))
        diff = [line if len(line) <= WIDTH else line[:WIDTH] + " [...]" for line in diff]
        print("\n".join(diff[:lines]) + (f"\n... {len(diff) - lines} more diff lines" if len(diff) > lines else ""))
    total = len(only_a) + len(only_b) + len(differ)
    if total:
        print(f"\n{total} of {len(set(left) | set(right))} files differ")
        return 1
    print(f"identical: {len(left)} files")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="run every command with the code in --pythonpath and write the outputs into OUT")
    cap.add_argument("out", type=Path)
    cap.add_argument("--pythonpath", type=Path, required=True, help="the folder that holds the gitdesk package (a checkout's tools/)")
    cap.add_argument("--jobs", type=int, default=2, help="commands run at once (default 2)")
    cap.add_argument("--force", action="store_true", help="replace OUT if it holds anything")
    cap.add_argument("--only", action="append", choices=[i.name for i in INPUTS], help="only this repository (repeatable)")
    cmp = sub.add_parser("compare", help="list the files that differ between two captures; exit 1 if any")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    chk = sub.add_parser("check", help="capture the code before and after into a temporary folder and compare")
    chk.add_argument("--before", type=Path, required=True, help="tools/ folder of the code before")
    chk.add_argument("--after", type=Path, required=True, help="tools/ folder of the code after")
    chk.add_argument("--jobs", type=int, default=2)
    chk.add_argument("--keep", type=Path, help="write the two captures into this folder (before/, after/) and keep them")
    chk.add_argument("--only", action="append", choices=[i.name for i in INPUTS])
    args = parser.parse_args(argv)
    if args.command == "capture":
        capture(args.out, args.pythonpath, args.jobs, args.force, args.only)
        return 0
    if args.command == "compare":
        return compare(args.a, args.b)
    with tempfile.TemporaryDirectory(prefix="gitdesk-golden-check-") as tmp:
        folder = args.keep or Path(tmp)
        capture(folder / "before", args.before, args.jobs, force=True, only=args.only)
        capture(folder / "after", args.after, args.jobs, force=True, only=args.only)
        return compare(folder / "before", folder / "after")


if __name__ == "__main__":
    sys.exit(main())
