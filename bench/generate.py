#!/usr/bin/env python3
"""Generate a large, valid data repository for benchmarks.

    python bench/generate.py OUT_DIR --tickets 100000 [--customers 200] [--seed 1]

The repository has one provider (Europe/Rome), the annual and on-demand plans,
``--customers`` customers (half of them under an annual contract with
``ask_before_parts``) and ``--tickets`` tickets spread over the twelve months
of 2026, with log events, on-site, remote and phone interventions and parts.
Technicians never overlap: every intervention takes a slot of its own
technician's timeline. The output validates clean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

PROVIDER = """\
name: Bench Service S.r.l.
vat_id: IT00000000000
address: Via Roma 1, 23900 Lecco LC
phone: "+39 0341 000000"
email: bench@example.it
timezone: Europe/Rome
currency: EUR
language: en
vat_rate: 22%
default_plan: on-demand
calendars:
  office:
    hours:
      mon-fri: ["08:30-12:30", "14:00-18:00"]
    holidays: IT
    closed: [2026-08-14, 2026-12-07]
team:
{team}"""

ANNUAL = """\
name: Annual service contract
summary: Top priority and lower rates, billed monthly.
calendar: office
remote_counts_as_onsite: true
priorities:
  urgent:
    targets: {onsite: 4h}
    late: waive
  normal:
    targets: {confirm: 8h}
    late: {discount_per_started_hour: 20%}
repeat_visit: free
rates: {onsite_hour: 48.00, remote_hour: 40.00, phone_hour: 40.00, callout: 35.00, increment: 15m, minimum: 30m}
phone: {included_minutes: 60, increment: 5m}
fee: {monthly: 120.00}
"""

ON_DEMAND = """\
name: On demand
summary: Pay per intervention.
calendar: office
remote_counts_as_onsite: true
priorities:
  urgent:
    targets: {onsite: 8h}
    late: waive
  normal:
    targets: {confirm: 16h}
    late: {discount_per_full_hour: 10%}
repeat_visit: free
rates: {onsite_hour: 65.00, remote_hour: 55.00, phone_hour: 55.00, callout: 40.00, increment: 30m, minimum: 1h}
phone: {included_minutes: 0, increment: 15m}
"""

WORDS = ("printer", "server", "NAS", "backup", "VPN", "firewall", "mailbox", "Wi-Fi", "switch", "UPS", "laptop", "scanner")
TECHS = 60  # enough technicians that 100,000 tickets fit in a year without overlaps
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def generate(out: Path, tickets: int, customers: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "contracts/plans").mkdir(parents=True)
    (out / "contracts/customers").mkdir(parents=True)
    team = "".join(
        f"  - {{id: tech{i:02d}, name: Technician {i:02d}, title: Field technician, phone: \"+39 0341 1{i:05d}\", email: tech{i:02d}@example.it}}\n"
        for i in range(TECHS)
    )
    (out / "contracts/provider.yaml").write_text(PROVIDER.format(team=team))
    (out / "contracts/plans/annual.yaml").write_text(ANNUAL)
    (out / "contracts/plans/on-demand.yaml").write_text(ON_DEMAND)
    ids = [f"cust{i:04d}" for i in range(customers)]
    for i, cid in enumerate(ids):
        text = f"name: Customer {i:04d} S.r.l.\nvat_id: IT{i:011d}\naddress: Via Milano {i + 1}, 23900 Lecco LC\n"
        text += f"contacts:\n  - {{name: Contact {i}, role: Office manager, phone: \"+39 0341 2{i:05d}\", email: office@{cid}.example}}\n"
        if i % 2 == 0:
            text += "contracts:\n  - plan: annual\n    from: 2026-01-01\n    to: 2026-12-31\n    ask_before_parts: true\n"
            text += "packages:\n  - {bought: 2026-01-10, hours: 20, price: 760.00, expires: 2027-01-09}\n"
        (out / f"contracts/customers/{cid}.yaml").write_text(text)

    # Each technician's day has eight one-hour slots from 08:00; ticket n takes
    # slot n // TECHS of technician n % TECHS, so no two interventions overlap.
    start_day = dt.date(2026, 1, 2)
    slots_per_day = 8
    days = [start_day + dt.timedelta(days=d) for d in range(363) if (start_day + dt.timedelta(days=d)).weekday() < 5]
    if tickets > len(days) * slots_per_day * TECHS:
        raise SystemExit(f"at most {len(days) * slots_per_day * TECHS} tickets fit in a year")
    counter = 0
    for n in range(tickets):
        cid = ids[n % customers]
        slot, tech = divmod(n, TECHS)
        tech = f"tech{tech:02d}"
        day = days[slot // slots_per_day]
        begin = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(hours=slot % slots_per_day)
        reported = begin - dt.timedelta(minutes=rnd.randint(20, 200))
        if reported.date() != day:
            reported = dt.datetime.combine(day, dt.time(0, rnd.randint(5, 59)))
        urgent = rnd.random() < 0.3
        mode = rnd.choice(("onsite", "onsite", "remote", "phone"))
        length = rnd.randint(5, 25) if mode == "phone" else rnd.randint(20, 55)
        end = begin + dt.timedelta(minutes=length)
        suffix = "".join(rnd.choice(ALPHABET) for _ in range(4))
        tid = f"{reported:%Y%m%d}-{cid}-{suffix}{counter % 10}"
        counter += 1
        lines = [
            f"customer: {cid}",
            f"title: {rnd.choice(WORDS).capitalize()} needs attention",
            f"reported: {_ts(reported)}",
            f"via: {rnd.choice(('phone', 'email', 'portal', 'monitoring'))}",
            "reported_by: Office manager",
            f"priority: {'urgent' if urgent else 'normal'}",
            "description: |",
            f"  The {rnd.choice(WORDS)} stopped working after an update; users cannot work normally.",
            "log:",
            f"  - {{at: {_ts(reported + dt.timedelta(minutes=5))}, event: acknowledged, by: {tech}}}",
        ]
        if not urgent:
            lines.append(
                f"  - {{at: {_ts(reported + dt.timedelta(minutes=10))}, event: confirmed, by: {tech}, "
                f"planned: {_ts(begin)}, mode: {mode}, expected: 1h}}"
            )
        lines.append(f"  - {{at: {_ts(end)}, event: resolved, by: {tech}}}")
        lines += [
            "interventions:",
            f"  - technician: {tech}",
            f"    mode: {mode}",
            f"    start: {_ts(begin)}",
            f"    end: {_ts(end)}",
            "    outcome: resolved",
            "    report: |",
            f"      Checked the {rnd.choice(WORDS)}, replaced what was faulty, tested with the users.",
        ]
        if mode == "onsite" and rnd.random() < 0.3:
            approved = _ts(begin + dt.timedelta(minutes=5))
            lines += ["    parts:", f"      - {{code: PRT-{n % 97}, name: Spare part {n % 97}, qty: 1, price: {rnd.randint(5, 120)}.{rnd.randint(0, 99):02d}, approved: {approved}}}"]
        folder = out / "tickets" / f"{reported:%Y}" / f"{reported:%m}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{tid}.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.tickets, args.customers, args.seed)
    print(f"wrote {args.tickets} tickets for {args.customers} customers to {args.out}")


if __name__ == "__main__":
    main()
