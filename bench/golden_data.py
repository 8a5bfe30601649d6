#!/usr/bin/env python3
"""A small, seeded data repository that exercises every rule, for bench/golden.py.

    python3 bench/golden_data.py OUT_DIR [--seed 18]

Six months of 2026 (January to June) for eight customers: annual, premium and
on-demand terms, negotiated rates, a change of contract mid-year, prepaid
packages (valid, running low, used up, expired with hours left), pauses,
resolutions and reopenings, appointments confirmed and rescheduled by either side, late arrivals under both kinds of
discount and under ``waive``, unresolved visits and their repeat visits,
warranty work, parts (approved where the contract asks), phone calls beyond
the included minutes. The same seed always gives the same files, and they
validate with no errors.

:func:`correct_issued` edits one ticket so that an issued month's figures
change (for ``gitdesk statement adjust``); :func:`break_repository` spoils a
copy in many ways, so that every kind of problem shows in ``validate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

START = dt.date(2026, 1, 1)
MONTHS = 6
DEMO_HASH = "$2b$12$L1FhFXAaNMiklGL9de.iOeL.R6SXCX5R1a7Te7p/RzxlZ8w/njkqW"

PROVIDER = """\
name: Golden Service S.r.l.
vat_id: IT00000000018
address: Via Roma 18, 23900 Lecco LC
phone: "+39 0341 180000"
email: help@golden.example
timezone: Europe/Rome
currency: EUR
language: en
vat_rate: 22%
default_plan: on-demand
calendars:
  office:
    hours:
      mon-fri: ["08:30-12:30", "14:00-18:00"]
      sat: ["09:00-12:00"]
    holidays: IT
    closed: [2026-01-02, 2026-04-24, 2026-06-01]
  extended:
    hours:
      mon-fri: ["07:00-21:00"]
      sat: ["08:00-13:00"]
    holidays: IT
team:
  - {id: anna, name: Anna Arosio, title: Senior technician, phone: "+39 0341 180001", email: anna@golden.example}
  - {id: bruno, name: Bruno Bonfanti, title: Field technician, phone: "+39 0341 180002", email: bruno@golden.example}
  - {id: carla, name: Carla Cereda, title: Field technician, email: carla@golden.example}
  - {id: dario, name: Dario Dell'Oro, title: Network technician}
  - {id: elsa, name: Elsa Erba, title: Help desk, phone: "+39 0341 180005"}
  - {id: fede, name: Federico Fumagalli, title: Help desk and planning, email: fede@golden.example}
"""

ANNUAL = """\
name: Annual service contract
summary: Top priority and lower rates, billed monthly.
calendar: office
remote_counts_as_onsite: true
priorities:
  urgent:
    targets: {acknowledge: 30m, onsite: 4h}
    late: waive
  normal:
    targets: {confirm: 8h}
    late: {discount_per_started_hour: 20%}
repeat_visit: free
rates:
  onsite_hour: 48.00
  remote_hour: 40.00
  phone_hour: 40.00
  callout: 35.00
  increment: 15m
  minimum: 30m
phone:
  included_minutes: 60
  increment: 5m
fee:
  monthly: 120.00
"""

PREMIUM = """\
name: Premium contract
summary: "For those who cannot stop: acknowledged in 15 minutes, on site within 2 hours, resolved the same day."
calendar: extended
remote_counts_as_onsite: true
priorities:
  urgent:
    targets: {acknowledge: 15m, onsite: 2h, resolve: 8h}
    late: waive
  normal:
    targets: {acknowledge: 1h, confirm: 4h}
    late: {discount_per_started_hour: 25%}
  low:
    targets: {confirm: 16h}
    late: {discount_per_full_hour: 10%}
repeat_visit: free
rates:
  onsite_hour: 45.00
  remote_hour: 38.00
  phone_hour: 38.00
  callout: 30.00
  increment: 15m
  minimum: 30m
phone:
  included_minutes: 120
  increment: 1m
fee:
  monthly: 290.00
"""

ON_DEMAND = """\
name: On demand
summary: No contract; every intervention is paid at the on-demand rates.
calendar: office
remote_counts_as_onsite: false
priorities:
  urgent:
    targets: {onsite: 8h}
    late: waive
  normal:
    targets: {confirm: 16h}
    late: {discount_per_full_hour: 10%}
repeat_visit: charged
rates:
  onsite_hour: 65.00
  remote_hour: 55.00
  phone_hour: 55.00
  callout: 45.00
  increment: 30m
  minimum: 1h
phone:
  included_minutes: 0
  increment: 15m
"""

# id -> (customer file, weight in the draw of tickets)
CUSTOMERS = {
    "alfa": ("""\
name: Alfa Meccanica S.p.A.
vat_id: IT01000000001
address: Via Garibaldi 1, 23900 Lecco LC
contacts:
  - {name: Mario Rossi, role: Office manager, phone: "+39 0341 100001", email: m.rossi@alfa.example}
  - {name: Lucia Neri, role: Accounts, email: accounts@alfa.example}
contracts:
  - plan: annual
    from: 2026-01-01
    to: 2026-12-31
    ask_before_parts: true
packages:
  - {bought: 2026-01-05, hours: 6, price: 240.00, expires: 2026-12-31}
  - {bought: 2026-04-01, hours: 20, price: 760.00, expires: 2027-03-31}
logins:
  - {user: demo, hash: "%s"}
""" % DEMO_HASH, 6),
    "beta": ("""\
name: Beta Studio Associato
vat_id: IT01000000002
address: Piazza Cermenati 2, 23900 Lecco LC
contacts:
  - {name: Paola Bianchi, role: Partner, phone: "+39 0341 100002"}
contracts:
  - plan: annual
    from: 2026-01-01
    to: 2026-12-31
    rates: {onsite_hour: 45.00, remote_hour: 36.00, callout: 30.00}   # negotiated
""", 5),
    "gamma": ("""\
name: Gamma Logistica S.r.l.
vat_id: IT01000000003
address: Via per Dolzago 3, 23848 Oggiono LC
contacts:
  - {name: Fabio Galli, role: Administrator, phone: "+39 0341 100003", email: f.galli@gamma.example}
contracts:
  - plan: premium                  # on demand in January
    from: 2026-02-01
    to: 2027-01-31
logins:
  - {user: demo, hash: "%s"}
""" % DEMO_HASH, 5),
    "delta": ("""\
name: Delta Dental Studio
vat_id: IT01000000004
address: Via Bergamo 4, 23807 Merate LC
contacts:
  - {name: Chiara Sala, role: Owner, phone: "+39 039 100004", email: info@delta.example}
packages:                          # no contract: on-demand rates, prepaid hours
  - {bought: 2026-02-10, hours: 12, price: 700.00, expires: 2026-05-31}
""", 3),
    "epsilon": ("""\
name: Epsilon Hardware s.n.c.
vat_id: IT01000000005
address: Via Lecco 5, 23851 Galbiate LC
contacts:
  - {name: Luigi Panzeri, role: Owner, phone: "+39 0341 100005"}
""", 3),
    "zeta": ("""\
name: Zeta Hotel sul Lago S.r.l.
vat_id: IT01000000006
address: Via Valassina 6, 22021 Bellagio CO
contacts:
  - {name: Valentina Ricci, role: Front office, phone: "+39 031 100006", email: desk@zeta.example}
contracts:
  - plan: annual
    from: 2026-01-01
    to: 2026-03-31
  - plan: premium
    from: 2026-04-01
    to: 2027-03-31
    ask_before_parts: true
    rates: {phone_hour: 30.00}
packages:
  - {bought: 2026-01-20, hours: 4, price: 150.00, expires: 2026-03-31}
""", 4),
    "eta": ("""\
name: Eta Farmacia Dott. Crippa
vat_id: IT01000000007
address: Via Roma 7, 23868 Valmadrera LC
contacts:
  - {name: Paolo Crippa, role: Owner, phone: "+39 0341 100007", email: farmacia@eta.example}
contracts:
  - plan: annual
    from: 2026-03-15
    to: 2027-03-14
packages:
  - {bought: 2026-03-15, hours: 5, price: 200.00, expires: 2027-03-14}
""", 3),
    "theta": ("""\
name: Theta Onlus
contacts:
  - {name: Giovanni Villa, role: Volunteer}
packages:                          # expires with hours left
  - {bought: 2026-01-15, hours: 30, price: 1500.00, expires: 2026-04-30}
""", 1),
}

# (customer, from, to inclusive, plan): the contracts above, to pick a ticket's priority
TERMS = [
    ("alfa", "2026-01-01", "2026-12-31", "annual"),
    ("beta", "2026-01-01", "2026-12-31", "annual"),
    ("gamma", "2026-02-01", "2027-01-31", "premium"),
    ("zeta", "2026-01-01", "2026-03-31", "annual"),
    ("zeta", "2026-04-01", "2027-03-31", "premium"),
    ("eta", "2026-03-15", "2027-03-14", "annual"),
]
PRIORITIES = {"annual": ["urgent", "normal"], "premium": ["urgent", "normal", "low"], "on-demand": ["urgent", "normal"]}
ASK_BEFORE_PARTS = {("alfa", "annual"), ("zeta", "premium")}
TEAM = ["anna", "bruno", "carla", "dario", "elsa", "fede"]
WORDS = ("printer", "server", "NAS", "backup", "VPN", "firewall", "mailbox", "Wi-Fi", "switch", "UPS", "laptop",
         "scanner", "till", "phone system")
PARTS = [("PSU-500", "ATX power supply 500 W", "54.00"), ("SSD-1T", "SSD 1 TB", "89.90"), ("CAT6-2M", "Patch cord cat.6 2 m", "3.50"),
         ("UPS-1500", "UPS 1500 VA", "689.00"), ("DOCK-C", "USB-C docking station", "139.00"), ("RAM-16", "RAM 16 GB DDR4", "45.25")]
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
#: Europe/Rome's spring-forward gap in the data's period: no wall time in it exists
GAP = (dt.datetime(2026, 3, 29, 2, 0), dt.datetime(2026, 3, 29, 3, 0))


def plan_on(customer: str, day: dt.date) -> str:
    """The plan in force for ``customer`` on ``day``."""
    for cid, start, end, plan in TERMS:
        if cid == customer and start <= day.isoformat() <= end:
            return plan
    return "on-demand"


@dataclass
class Ticket:
    """One ticket being written: its lines and the moment its story has reached."""

    tid: str
    customer: str
    reported: dt.datetime
    priority: str
    plan: str
    now: dt.datetime
    log: list = field(default_factory=list)
    work: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    call_only: bool = False


class Generator:
    """Writes the tickets; books each technician's time so that no two interventions of one technician overlap."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {t: [] for t in TEAM}
        self.ids: set[str] = set()

    # ------------------------------------------------------------ time

    def stamp(self, moment: dt.datetime) -> str:
        """A timestamp in one of the forms the format accepts (mostly the plain one)."""
        if GAP[0] <= moment < GAP[1]:
            raise ValueError("a wall time in the spring-forward gap")
        r = self.rnd.random()
        if r < 0.04:
            return moment.strftime("%Y-%m-%dT%H:%M")
        if r < 0.07:
            offset = "+02:00" if dt.datetime(2026, 3, 29, 3) <= moment < dt.datetime(2026, 10, 25, 2) else "+01:00"
            return moment.strftime("%Y-%m-%dT%H:%M:00") + offset
        return moment.strftime("%Y-%m-%d %H:%M")

    def working(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if it is within a weekday's working hours, else the next weekday at 08:30 or so."""
        if moment.weekday() < 5 and dt.time(8, 30) <= moment.time() <= dt.time(17, 0):
            return moment
        day = moment.date() if moment.time() < dt.time(8, 30) else moment.date() + dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(minutes=self.rnd.randrange(0, 60, 5))

    def book(self, start: dt.datetime, minutes: int) -> tuple[str, dt.datetime, dt.datetime]:
        """A technician and a slot at ``start`` or soon after it, free in that technician's timeline."""
        order = TEAM[:]
        self.rnd.shuffle(order)
        best = None
        for tech in order:
            begin = start
            while any(b < begin + dt.timedelta(minutes=minutes) and begin < e for b, e in self.busy[tech]):
                begin += dt.timedelta(minutes=30)
            if GAP[0] - dt.timedelta(minutes=minutes) < begin < GAP[1]:
                begin = GAP[1] + dt.timedelta(minutes=30)
            if best is None or begin < best[1]:
                best = (tech, begin)
            if begin == start:
                break
        tech, begin = best
        end = begin + dt.timedelta(minutes=minutes)
        self.busy[tech].append((begin, end))
        return tech, begin, end

    def later(self, ticket: Ticket, low: int, high: int, step: int = 1) -> dt.datetime:
        """A moment ``low`` to ``high`` minutes after where the ticket's story stands; the story moves there."""
        moment = ticket.now + dt.timedelta(minutes=self.rnd.randrange(low, high + 1, step))
        if GAP[0] <= moment < GAP[1]:
            moment = GAP[1] + dt.timedelta(minutes=5)
        ticket.now = moment
        return moment

    # ------------------------------------------------------------ the story of one ticket

    def event(self, ticket: Ticket, at: dt.datetime, kind: str, by: str | None = None, **more: str) -> None:
        by = by or self.rnd.choice(TEAM)
        fields = [f"at: {self.stamp(at)}", f"event: {kind}", f"by: {by}"] + [f"{k}: {v}" for k, v in more.items()]
        ticket.log.append("  - {" + ", ".join(fields) + "}")

    def intervention(self, ticket: Ticket, start: dt.datetime, *, mode: str | None = None,
                     outcome: str = "resolved") -> dt.datetime:
        """Book and write one work report starting at ``start`` (or as soon after as a technician is free)."""
        rnd = self.rnd
        mode = mode or rnd.choice(("onsite", "onsite", "onsite", "remote", "remote", "phone"))
        minutes = rnd.randint(3, 28) if mode == "phone" else rnd.choice((10, 25, 40, 55, 75, 100, 150, 250))
        tech, begin, end = self.book(start, minutes)
        lines = [f"  - technician: {tech}", f"    mode: {mode}", f"    start: {self.stamp(begin)}", f"    end: {self.stamp(end)}",
                 f"    outcome: {outcome}"]
        if rnd.random() < 0.07:
            lines.append(f"    warranty: {rnd.choice(('true', 'false'))}")
        lines += ["    report: |", f"      Checked the {rnd.choice(WORDS)}; {self._what(outcome)}"]
        if mode == "onsite" and rnd.random() < 0.35:
            lines.append("    parts:")
            ask = (ticket.customer, ticket.plan) in ASK_BEFORE_PARTS
            for _ in range(rnd.choice((1, 1, 2))):
                code, name, price = rnd.choice(PARTS)
                part = f"      - {{code: {code}, name: {name}, qty: {rnd.choice((1, 1, 2, 3))}, price: {price}"
                if ask or rnd.random() < 0.3:
                    approved = begin + dt.timedelta(minutes=rnd.randint(0, minutes))
                    part += f", approved: {self.stamp(approved)}"
                lines.append(part + "}")
        ticket.work.append("\n".join(lines))
        ticket.now = max(ticket.now, end)
        return end

    def _what(self, outcome: str) -> str:
        return {"resolved": "fixed and tested with the users.",
                "unresolved": "a spare part is needed: another visit follows.",
                "continues": "work goes on in another session."}[outcome]

    def story(self, ticket: Ticket) -> None:
        """Events and interventions: every path the terms know, drawn at random."""
        rnd = self.rnd
        if rnd.random() < 0.65:
            self.event(ticket, self.later(ticket, 2, 45), "acknowledged")
        if rnd.random() < 0.2:
            self.event(ticket, self.later(ticket, 1, 20), "assigned", to=rnd.choice(TEAM))
        if ticket.priority != "urgent" and rnd.random() < 0.08:  # an escalation: a new on-site target from here
            self.event(ticket, self.later(ticket, 5, 300), "priority", to="urgent", note="Two more offices are down")
        if rnd.random() < 0.05:  # a duplicate, cancelled; now and then reopened after all
            self.event(ticket, self.later(ticket, 5, 600), "cancelled", reason="duplicate")
            if rnd.random() < 0.7:
                return
            self.event(ticket, self.later(ticket, 60, 3000), "reopened", note="Not the same fault after all")
        deadline = None
        if ticket.priority != "urgent" and rnd.random() < 0.75:
            at = self.later(ticket, 5, 240)
            planned = self.working(at + dt.timedelta(hours=rnd.choice((1, 2, 4, 20, 26))))
            self.event(ticket, at, "confirmed", planned=self.stamp(planned), mode=rnd.choice(("onsite", "remote")),
                       expected=rnd.choice(("30m", "1h", "1h30m")))
            deadline = planned
            if rnd.random() < 0.18:
                ticket.now = min(ticket.now + dt.timedelta(minutes=rnd.randint(10, 120)), planned - dt.timedelta(minutes=5))
                planned = self.working(planned + dt.timedelta(hours=rnd.choice((2, 24, 48))))
                side = rnd.choice(("provider", "customer"))
                self.event(ticket, ticket.now, "rescheduled", side=side, planned=self.stamp(planned),
                           note=f"Moved at the {side}'s request" if side == "customer" else "Urgent work elsewhere")
                deadline = planned
        if rnd.random() < 0.1:
            self.event(ticket, self.later(ticket, 5, 60), "waiting", note="Waiting for the customer's admin password")
            self.event(ticket, self.later(ticket, 60, 3000), "resumed")
        if deadline is not None:
            start = deadline + dt.timedelta(minutes=rnd.choice((-10, 0, 0, 5, 20, 45, 70, 130, 200)))
        elif ticket.priority == "urgent":
            start = ticket.now + dt.timedelta(minutes=rnd.choice((20, 60, 120, 200, 300, 600, 1500)))
        else:
            start = self.working(ticket.now + dt.timedelta(minutes=rnd.randint(30, 1800)))
        start = max(start, ticket.now + dt.timedelta(minutes=1))
        self.visits(ticket, start)

    def visits(self, ticket: Ticket, start: dt.datetime) -> None:
        """The interventions, an unresolved one followed by its repeat visit, and how the ticket ends."""
        rnd = self.rnd
        r = rnd.random()
        outcome = "unresolved" if r < 0.14 else "continues" if r < 0.2 else "resolved"
        mode = "onsite" if outcome == "unresolved" and rnd.random() < 0.7 else None
        end = self.intervention(ticket, start, mode=mode, outcome=outcome)
        if outcome != "resolved":
            gap = rnd.choice((30, 120, 900, 1500, 3000)) if outcome == "unresolved" else rnd.choice((10, 60))
            self.intervention(ticket, end + dt.timedelta(minutes=gap), mode="onsite" if rnd.random() < 0.8 else "remote")
        if ticket.reported >= dt.datetime(2026, 6, 24) and rnd.random() < 0.6 or rnd.random() < 0.04:
            return  # still open
        self.event(ticket, self.later(ticket, 0, 30), "resolved")
        if rnd.random() < 0.08:
            self.event(ticket, self.later(ticket, 60, 4000), "reopened", note="The fault came back")
            if rnd.random() < 0.8:
                self.intervention(ticket, self.working(ticket.now + dt.timedelta(minutes=30)))
                self.event(ticket, self.later(ticket, 0, 30), "resolved")

    # ------------------------------------------------------------ files

    def reported_at(self, month: int) -> dt.datetime:
        day = dt.date(2026, month, self.rnd.randint(1, 28))
        if self.rnd.random() < 0.8:
            while day.weekday() >= 5:
                day -= dt.timedelta(days=1)
            minutes = self.rnd.randrange(8 * 60 + 20, 17 * 60 + 50, 5)
        else:
            minutes = self.rnd.choice((7 * 60 + 5, 19 * 60 + 40, 21 * 60 + 15, 13 * 60, 12 * 60 + 45, 18 * 60 + 10))
        return dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)

    def new_ticket(self, customer: str, reported: dt.datetime, priority: str | None = None) -> Ticket:
        plan = plan_on(customer, reported.date())
        priority = priority or self.rnd.choice(PRIORITIES[plan] + ["normal"] * 2)
        while True:
            suffix = "".join(self.rnd.choice(ALPHABET) for _ in range(4))
            tid = f"{reported:%Y%m%d}-{customer}-{suffix}"
            if tid not in self.ids:
                self.ids.add(tid)
                return Ticket(tid, customer, reported, priority, plan, reported)

    def text(self, ticket: Ticket) -> str:
        rnd = self.rnd
        lines = []
        if rnd.random() < 0.1:
            lines.append(f"id: {ticket.tid}")
        lines += [f"customer: {ticket.customer}", f"title: {rnd.choice(WORDS).capitalize()} needs attention",
                  f"reported: {self.stamp(ticket.reported)}",
                  f"via: {rnd.choice(('phone', 'email', 'portal', 'monitoring', 'visit'))}"]
        if rnd.random() < 0.8:
            lines.append("reported_by: Office manager")
        lines.append(f"priority: {ticket.priority}")
        if rnd.random() < 0.2:
            lines.append(f"users_blocked: {rnd.randint(1, 40)}")
        lines += ticket.extra
        lines += ["description: |", f"  The {rnd.choice(WORDS)} stopped working after an update; users cannot work normally."]
        if ticket.log:
            lines += ["log:"] + ticket.log
        if ticket.work:
            lines += ["interventions:"] + ticket.work
        return "\n".join(lines) + "\n"

    def write(self, root: Path, ticket: Ticket) -> None:
        folder = root / "tickets" / f"{ticket.reported:%Y}" / f"{ticket.reported:%m}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{ticket.tid}.yaml").write_text(self.text(ticket), encoding="utf-8")


def generate(out: Path, seed: int = 18, per_month: int = 45) -> None:
    """Write the repository into ``out`` (replaced if it exists)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "contracts/plans").mkdir(parents=True)
    (out / "contracts/customers").mkdir(parents=True)
    (out / "contracts/provider.yaml").write_text(PROVIDER, encoding="utf-8")
    for name, text in (("annual", ANNUAL), ("premium", PREMIUM), ("on-demand", ON_DEMAND)):
        (out / f"contracts/plans/{name}.yaml").write_text(text, encoding="utf-8")
    for cid, (text, _weight) in CUSTOMERS.items():
        (out / f"contracts/customers/{cid}.yaml").write_text(text, encoding="utf-8")
    gen = Generator(seed)
    ids = list(CUSTOMERS)
    weights = [CUSTOMERS[c][1] for c in ids]
    for month in range(1, MONTHS + 1):
        tickets = []
        for _ in range(per_month):
            reported = gen.reported_at(month)
            tickets.append(gen.new_ticket(gen.rnd.choices(ids, weights)[0], reported))
        # a month with many short calls: beyond the included phone minutes
        for _ in range(9 if month % 2 else 4):
            tickets.append(gen.new_ticket(gen.rnd.choice(("alfa", "beta", "gamma", "epsilon")), gen.reported_at(month), "normal"))
            tickets[-1].call_only = True
        # one fault, several customers: an incident
        day = gen.reported_at(month)
        for cid in ("alfa", "beta", "zeta"):
            tickets.append(gen.new_ticket(cid, day + dt.timedelta(minutes=gen.rnd.randint(0, 40)), "urgent"))
            tickets[-1].extra.append(f"incident: power-{day:%Y-%m-%d}")
        tickets.sort(key=lambda t: (t.reported, t.tid))
        for ticket in tickets:
            if ticket.call_only:
                gen.intervention(ticket, ticket.reported + dt.timedelta(minutes=1), mode="phone")
                gen.event(ticket, gen.later(ticket, 0, 10), "resolved")
            else:
                gen.story(ticket)
            gen.write(out, ticket)


def correct_issued(root: Path, months: tuple[str, ...]) -> tuple[str, str, str]:
    """Change one part's quantity in a ticket of an issued month: (ticket path, customer, month of the change).

    The ticket is the first (by path) whose first intervention starts in one
    of ``months``, is not warranty work and has a part: its charge changes,
    so the issued statement's figures no longer match the data.
    """
    for path in sorted((root / "tickets").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        first = text.split("  - technician:")[1] if "  - technician:" in text else ""
        first = first.split("\n  - technician:")[0]
        start = re.search(r"start: (\d{4}-\d{2})", first)
        if start is None or start.group(1) not in months or "warranty: true" in first or "parts:" not in first:
            continue
        part = re.search(r"(      - \{code: [^\n]*?qty: )(\d+)", text)
        if part is None:
            continue
        text = text[: part.start(2)] + str(int(part.group(2)) + 2) + text[part.end(2):]
        path.write_text(text, encoding="utf-8")
        customer = re.search(r"^customer: (\S+)", text, re.M).group(1)
        return path.relative_to(root).as_posix(), customer, start.group(1)
    raise LookupError("no ticket to correct")


def break_repository(root: Path) -> list[str]:
    """Spoil a valid generated repository in many ways (each a problem validate must report); returns what was done."""
    done = []
    tickets = sorted((root / "tickets").rglob("*.yaml"))
    used: set[Path] = set()

    def edit(needle: str, what: str, change) -> None:
        """Change the first ticket not changed yet whose text holds ``needle``."""
        path = next(p for p in tickets if p not in used and needle in p.read_text(encoding="utf-8"))
        used.add(path)
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        done.append(f"{path.relative_to(root).as_posix()}: {what}")

    def first(pattern: str, repl: str):
        return lambda text: re.sub(pattern, repl, text, count=1, flags=re.M)

    edit("", "an unknown field", lambda t: t + "colour: red\n")
    edit("", "no title", first(r"^title: .*\n", ""))
    edit("", "an unknown customer", first(r"^customer: .*$", "customer: nobody"))
    edit("", "a priority the plan does not have", first(r"^priority: .*$", "priority: critical"))
    edit("", "an id that disagrees with the file's name", lambda t: "id: another-id\n" + re.sub(r"^id: .*\n", "", t, flags=re.M))
    edit("", "a YAML syntax error", lambda t: t.replace("description: |", "description: [unclosed", 1))
    edit("", "a wall time in the spring-forward gap", first(r"^reported: .*$", "reported: 2026-03-29 02:30"))
    edit(", by: ", "an unknown technician", first(r", by: \w+", ", by: nobody"))
    edit("expected: ", "a bare number as a duration", first(r"expected: \w+", "expected: 90"))
    edit("    end: ", "an end before the start", first(r"^    end: .*$", "    end: 2026-01-01 00:01"))
    edit("price: ", "a price with three decimals", first(r"price: [\d.]+", "price: 12.345"))
    edit("event: ", "an unknown event", first(r"event: \w+", "event: exploded"))
    edit("    outcome: ", "an unknown outcome and mode", lambda t: re.sub(r"^    mode: \w+", "    mode: carrier-pigeon",
         re.sub(r"^    outcome: \w+", "    outcome: maybe", t, count=1, flags=re.M), count=1, flags=re.M))
    edit("interventions:", "a number where a list belongs, an unknown field", lambda t: t.replace("interventions:", "interventions: 3\nx:", 1))
    edit("\n  ", "tab indentation", lambda t: t.replace("\n  ", "\n\t", 1))
    edit("users_blocked: ", "a text where a number belongs", first(r"^users_blocked: .*$", "users_blocked: many"))
    edit("", "a duplicate key", lambda t: t + "priority: normal\n")
    # two interventions of one technician at once: the first intervention written again into the next ticket
    free = [p for p in tickets if p not in used]
    a, b = free[3], free[4]
    work = re.search(r"(  - technician: [\s\S]*?)(?=\n  - technician:|\Z)", a.read_text(encoding="utf-8").split("interventions:\n", 1)[-1])
    if work:
        text = b.read_text(encoding="utf-8")
        text = text.replace("interventions:\n", "interventions:\n" + work.group(1).rstrip("\n") + "\n", 1) if "interventions:\n" in text \
            else text + "interventions:\n" + work.group(1).rstrip("\n") + "\n"
        b.write_text(text, encoding="utf-8")
        done.append(f"{b.relative_to(root).as_posix()}: an intervention that overlaps another of its technician")
    # a part without approval where the contract asks for it
    for path in free[10:]:
        text = path.read_text(encoding="utf-8")
        if "approved: " in text and "customer: alfa" in text:
            path.write_text(re.sub(r", approved: [^}]*", "", text, count=1), encoding="utf-8")
            done.append(f"{path.relative_to(root).as_posix()}: a part without the customer's approval")
            break
    # a ticket filed under the wrong month, an empty file, a stray file, a customer file with problems
    wrong = free[20]
    wrong.rename(root / "tickets/2026/06" / wrong.name)
    done.append(f"tickets/2026/06/{wrong.name}: filed under another month")
    (root / "tickets/2026/05/20260505-beta-empt.yaml").write_text("", encoding="utf-8")
    done.append("tickets/2026/05/20260505-beta-empt.yaml: an empty file")
    (root / "tickets/2026/05/Bad Name.yaml").write_text("customer: beta\n", encoding="utf-8")
    done.append("tickets/2026/05/Bad Name.yaml: a name that is not an id")
    with (root / "contracts/customers/epsilon.yaml").open("a", encoding="utf-8") as out:
        out.write("contracts:\n  - {plan: annual, from: 2026-01-01, to: 2026-06-30}\n  - {plan: missing, from: 2026-06-01, to: 2026-12-31}\n")
    done.append("contracts/customers/epsilon.yaml: overlapping contracts, an unknown plan")
    with (root / "contracts/plans/premium.yaml").open("a", encoding="utf-8") as out:
        out.write("surprise: 1\n")
    done.append("contracts/plans/premium.yaml: an unknown field")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    generate(args.out, args.seed)
    count = sum(1 for _ in (args.out / "tickets").rglob("*.yaml"))
    print(f"wrote {count} tickets for {len(CUSTOMERS)} customers to {args.out}")


if __name__ == "__main__":
    main()
