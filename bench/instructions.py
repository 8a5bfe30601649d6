#!/usr/bin/env python3
"""Count the processor instructions gitdesk spends on one ticket, stage by stage. Not a test.

    python bench/instructions.py                   # every stage, 1,000 tickets
    python bench/instructions.py --stages evaluate,json --tickets 500

Wall and CPU times on a shared machine move by a third from hour to hour,
which hides a change of a few per cent. valgrind's callgrind counts the
instructions a piece of code executes: the same count for the same code and
data whatever else the machine does. Each stage runs in its own process under
callgrind on tickets of the 100,000-ticket bench repository, after a warm-up
on 200 others, and only the stage itself is counted (callgrind collects
inside one C function, ``functools.reduce``, which the stage is called through).

Stages (what a worker process does for each ticket of ``gitdesk sla``):

    compose   libyaml's parser and composer: text to YAML nodes
    todata    YAML nodes to plain dicts, lists and strings
    validate  plain data to the pydantic model
    read      the three above, and the rest of reading one file
    checks    the rules of a ticket that need the plans and customers
    evaluate  the SLA of a ticket (gitdesk.core.sla.evaluate)
    task      sla's rows per ticket: evaluate, its JSON text, its tally
    json      a worker batch of ``sla --format json``'s load: read, check, evaluate and its row, per ticket
    text      the same for the text tables

Needs valgrind (Debian: apt-get install valgrind). Data is generated once
under bench/data/ by bench/generate.py, as for bench/run.py.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

STAGES = ("compose", "todata", "validate", "read", "checks", "evaluate", "task", "json", "text")
NOW = "2026-12-31 12:00"
WARM = 200

#: Run in the measured process: sets up outside the count, then runs one stage through reduce().
STAGE = r'''
import datetime as dt, functools, gc, sys
gc.disable()
from gitdesk.core import checks
from gitdesk.load import loader
from gitdesk.load.discover import read_deferred
from gitdesk.load.request import Evaluate, Request
from gitdesk.load.tickets import TicketStage
from gitdesk.core import sla
from gitdesk.load import yamlsrc
from gitdesk.commands import sla as sla_command
from gitdesk.core.model import Ticket
from gitdesk.text.i18n import Locale

root, stage, count, now_text = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
found = loader.scan(root, defer_tickets=True)
context = loader.load(loader.Scan(found.root, [f for f in found.files if f.kind != "ticket"], found.problems, found.digest))
tz, zone_name = context.tz, context.provider.timezone
now = dt.datetime.fromisoformat(now_text).replace(tzinfo=tz)
files = [f for f in found.files if f.kind == "ticket"][: count + WARM]
read_deferred(files, found.root)
warm, measured = files[:WARM], files[WARM:]
row = functools.partial(sla_command._row, tz=tz, locale=Locale.of(context.provider), as_json=stage != "text")
task = lambda context, ticket: row(sla.evaluate(context, ticket, now))


def counted(work):
    functools.reduce(lambda _a, _b: work(), [0, 0])  # callgrind counts inside reduce only


if stage in ("json", "text"):
    ticket_stage = TicketStage(context, zone_name, Request(tickets=False, evaluate=Evaluate(now, shape=row)), None)
    batch = lambda part: [o.sla for o in ticket_stage(part)]
    batch(warm)
    counted(lambda: batch(measured))
elif stage == "compose":
    texts = [yamlsrc.decode(f.raw) for f in files]
    [yamlsrc.compose(t) for t in texts[:WARM]]
    counted(lambda: [yamlsrc.compose(t) for t in texts[WARM:]])
elif stage == "todata":
    nodes = [yamlsrc.compose(yamlsrc.decode(f.raw)) for f in files]
    [yamlsrc.to_data(n) for n in nodes[:WARM]]
    counted(lambda: [yamlsrc.to_data(n) for n in nodes[WARM:]])
elif stage == "validate":
    data = [yamlsrc.load(f.raw) for f in files]
    for d, f in zip(data, files):
        d["id"], d[yamlsrc.PATH] = f.stem, f.path
    ctx = {"tz": tz}
    [Ticket.model_validate(d, context=ctx) for d in data[:WARM]]
    counted(lambda: [Ticket.model_validate(d, context=ctx) for d in data[WARM:]])
elif stage == "read":
    [loader.read_record("ticket", f.path, f.raw, zone_name) for f in warm]
    counted(lambda: [loader.read_record("ticket", f.path, f.raw, zone_name) for f in measured])
else:
    tickets = [loader.read_record("ticket", f.path, f.raw, zone_name)[0] for f in files]
    work = {
        "checks": lambda t: checks.ticket_checks(context, t),
        "evaluate": lambda t: sla.evaluate(context, t, now),
        "task": lambda t: task(context, t),
    }[stage]
    [work(t) for t in tickets[:WARM]]
    counted(lambda: [work(t) for t in tickets[WARM:]])
'''.replace("WARM", str(WARM))


def count(root: Path, stage: str, tickets: int) -> int:
    """Instructions executed by ``stage`` on ``tickets`` tickets."""
    out = Path(shutil.os.devnull)
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
           f"--callgrind-out-file={out}", sys.executable, "-c", STAGE, str(root), stage, str(tickets), NOW]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{result.stderr[-3000:]}")
    found = re.search(r"Collected : (\d+)", result.stderr)
    if not found or int(found.group(1)) == 0:
        raise SystemExit(f"callgrind counted nothing for {stage}: does this Python have symbols for functools.reduce?")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stages", default=",".join(STAGES), help="which stages, comma-separated")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets counted per stage (after 200 to warm up)")
    args = parser.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown stage {', '.join(unknown)}; stages: {', '.join(STAGES)}")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    from run import data_for

    root = data_for(100_000, 200)
    print(f"instructions per ticket, {args.tickets:,} tickets of {root.name} (callgrind; the same on any load)", flush=True)
    for stage in stages:
        print(f"{stage:10s} {count(root, stage, args.tickets) // args.tickets:>12,}", flush=True)


if __name__ == "__main__":
    main()
