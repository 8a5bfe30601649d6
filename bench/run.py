#!/usr/bin/env python3
"""Measure gitdesk on generated repositories. Not a test: it prints figures.

    python bench/run.py                      # 10,000 and 100,000 tickets
    python bench/run.py --sizes 10000 --repeat 3

For each size: ``gitdesk validate`` cold (no cache: every file parsed), warm
(nothing changed since the last run) and after one ticket changed. Data is
generated once under bench/data/ (git-ignored) by bench/generate.py.
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def data_for(size: int, customers: int) -> Path:
    out = HERE / "data" / f"t{size}-c{customers}"
    marker = out / ".complete"
    if not marker.exists():
        print(f"generating {size} tickets for {customers} customers in {out} ...", flush=True)
        generate(out, size, customers)
        marker.write_text("ok\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="ticket counts, comma-separated")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (the median is printed)")
    parser.add_argument("--gitdesk", default=shutil.which("gitdesk") or "gitdesk")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        repo = data_for(size, args.customers)
        with tempfile.TemporaryDirectory(prefix="gitdesk-bench-") as tmp:
            env = dict(os.environ, GITDESK_CACHE_DIR=tmp)
            validate = [args.gitdesk, "validate"]

            def median(prepare=None) -> float:
                times = []
                for _ in range(args.repeat):
                    if prepare:
                        prepare()
                    times.append(timed(validate, repo, env))
                return statistics.median(times)

            def clear_cache() -> None:
                shutil.rmtree(tmp, ignore_errors=True)
                os.makedirs(tmp, exist_ok=True)

            cold = median(clear_cache)
            warm = median()
            victim = next((repo / "tickets").rglob("*.yaml"))
            original = victim.read_text()
            counter = [0]

            def touch_one() -> None:
                counter[0] += 1
                victim.write_text(original.replace("needs attention", f"needs attention ({counter[0]})"))

            try:
                one = median(touch_one)
            finally:
                victim.write_text(original)
            rows.append((size, cold, warm, one))
    print()
    print(f"{'tickets':>9}  {'validate cold':>14}  {'unchanged':>10}  {'one changed':>12}")
    for size, cold, warm, one in rows:
        print(f"{size:>9,}  {cold:>12.2f} s  {warm:>8.2f} s  {one:>10.2f} s")


if __name__ == "__main__":
    main()
