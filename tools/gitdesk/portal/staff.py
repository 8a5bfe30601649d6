"""The staff site: what the provider's people see across every customer, behind the staff logins.

Its view (:class:`StaffView`) holds facts, made from the same core functions
as the rest of the portal and the command line: the service levels of the
month (:func:`gitdesk.core.sla.summarize`, as ``gitdesk sla --month``), the
statements (:func:`gitdesk.core.charges.statements`, as ``gitdesk
statement``), the work queue (:func:`gitdesk.core.desk.queue`, as ``gitdesk
ticket list --at-risk``), and the git history of the ticket files
(:func:`gitdesk.load.history.ticket_history`, one ``git log`` per build). Its
pages (:func:`pages`) format the view through the ``staff_*.md.j2`` templates.

The site holds every customer's figures: it is served only to staff logins
(see :mod:`gitdesk.portal.webserver`), and never linked from another site.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Optional, Sequence

from gitdesk.core import charges, desk, sla
from gitdesk.core.charges import LOW_PACKAGE, Statement
from gitdesk.core.model import Customer, Package, Ticket
from gitdesk.load.history import History

if TYPE_CHECKING:
    from gitdesk.portal.pages import Renderer, Site
    from gitdesk.portal.view import Views

#: The site's name among the sites of a build (not a customer id: those have no '_').
NAME = "_staff"
#: Its folder in the output folder.
FOLDER = "staff"
#: "At risk": an unmet target due within this much working time, or late (``gitdesk ticket list --at-risk``'s default).
AT_RISK = dt.timedelta(hours=2)
#: A package "expiring" expires within this many days.
EXPIRING_DAYS = 31
HUNDRED = Decimal(100)
#: Front matter of the history pages (no text of the data): left out of the search index, which would
#: otherwise carry every commit of every request (megabytes for a large repository) into every visit.
NOT_SEARCHED = "---\nsearch:\n  exclude: true\n---\n"


# ---------------------------------------------------------------- the view
#
# VIEW = True: gitdesk.portal.view.digest walks these like its own views
# (records by their file's digest, figures by value).


class CustomerMonth(NamedTuple):
    """A customer this month: its targets (as ``gitdesk sla --month``), its statement so far, its open requests."""

    id: str
    customer: Customer
    summary: sla.Summary
    statement: Statement  # this month's, as ``gitdesk statement --month`` gives it now
    open: int
    VIEW = True


class Request(NamedTuple):
    """An open request of the queue (see :class:`gitdesk.core.desk.Entry`)."""

    ticket: Ticket
    state: str
    priority: str
    assignee: Optional[str]
    next: Optional[str]  # the kind of the unmet target due first
    due: Optional[dt.datetime]
    left: Optional[dt.timedelta]  # working time left, or (late) how late
    late: bool
    VIEW = True


class Technician(NamedTuple):
    """A team member's open requests (``id`` None: nobody's yet)."""

    id: Optional[str]
    name: str
    requests: tuple[Request, ...]
    VIEW = True


class ToIssue(NamedTuple):
    """A closed month's statement that is not issued yet."""

    id: str
    name: str
    statement: Statement
    VIEW = True


class PackageAlert(NamedTuple):
    """A prepaid package valid today that runs low (under 20% left) or expires within a month."""

    id: str
    name: str
    package: Package
    left: Decimal  # hours
    percent_left: Decimal
    low: bool
    expiring: bool
    VIEW = True


class TicketHistory(NamedTuple):
    id: str
    title: str
    commits: tuple[tuple[str, str, dt.datetime, str], ...]  # (sha, author, when, subject), newest first
    VIEW = True


class CustomerHistory(NamedTuple):
    id: str
    name: str
    tickets: tuple[TicketHistory, ...]
    VIEW = True


class StaffView(NamedTuple):
    """Everything the staff site shows."""

    today: dt.date  # the day of the build (not its moment: a later build of the same day with nothing moved is not rebuilt)
    month: str
    customers: tuple[CustomerMonth, ...]
    at_risk: tuple[Request, ...]
    due_today: tuple[Request, ...]
    technicians: tuple[Technician, ...]  # the team in its order, then the unassigned
    to_issue: tuple[ToIssue, ...]
    packages: tuple[PackageAlert, ...]
    without_logins: tuple[tuple[str, str], ...]  # (id, name)
    history: tuple[CustomerHistory, ...]
    history_missing: Optional[str]  # see gitdesk.load.history
    VIEW = True


def view(views: "Views", history: History) -> StaffView:
    """The staff site's view at the moment of ``views``."""
    repo, now = views.repo, views.now
    tz = repo.tz
    today = now.astimezone(tz).date()
    month_rows, to_issue, packages = [], [], []
    for cid in sorted(repo.customers):
        customer = repo.customers[cid]
        every = charges.statements(repo, cid, views.months, repo.works.get(cid, ()))
        month_rows.append(_customer_month(views, cid, customer, every[-1]))
        to_issue += [ToIssue(cid, customer.name, s) for s in every[:-1] if s.lines and s.issued is None]
        packages += _package_alerts(cid, customer, every[-1], today)
    queue = [_request(item) for item in desk.queue(repo, now)]
    at_risk = [_request(item) for item in desk.queue(repo, now, within=AT_RISK)]
    return StaffView(
        today=today, month=views.now_month, customers=tuple(month_rows), at_risk=tuple(at_risk),
        due_today=tuple(r for r in queue if r.due is not None and r.due.astimezone(tz).date() == today),
        technicians=_technicians(repo, queue), to_issue=tuple(to_issue), packages=tuple(packages),
        without_logins=tuple((cid, repo.customers[cid].name) for cid in sorted(repo.customers) if not repo.customers[cid].logins),
        history=_history(views, history), history_missing=history.missing,
    )


def _customer_month(views: "Views", cid: str, customer: Customer, statement: Statement) -> CustomerMonth:
    results = [views.results[t.id] for t in views.tickets_by_customer.get(cid, ()) if views.reported[t.id] == views.now_month]
    open_count = sum(1 for t in views.tickets_by_customer.get(cid, ()) if views.results[t.id].open)
    return CustomerMonth(cid, customer, sla.summarize(results), statement, open_count)


def _request(item: desk.Entry) -> Request:
    target = item.next
    left = -item.left if item.late else item.left
    return Request(item.ticket, item.state, item.priority, item.assignee, target.kind if target else None,
                   target.due if target else None, left, item.late)


def _technicians(repo, queue: Sequence[Request]) -> tuple[Technician, ...]:
    """Each team member with open requests, in the team's order; then the requests nobody has (or someone gone)."""
    team = repo.provider.team if repo.provider is not None else ()
    members = [(m.id, m.name) for m in team]
    known = {m for m, _ in members}
    rows = [Technician(mid, name, tuple(r for r in queue if r.assignee == mid)) for mid, name in members]
    rows = [row for row in rows if row.requests]
    nobody = tuple(r for r in queue if r.assignee not in known)
    if nobody:
        rows.append(Technician(None, "", nobody))
    return tuple(rows)


def _package_alerts(cid: str, customer: Customer, statement: Statement, today: dt.date) -> list[PackageAlert]:
    """The customer's packages valid today that run low or expire within :data:`EXPIRING_DAYS`."""
    alerts = []
    soon = today + dt.timedelta(days=EXPIRING_DAYS)
    for state in statement.packages:
        package = state.package
        if not package.valid_on(today) or not package.hours:
            continue
        percent = (state.left_minutes * HUNDRED / (Decimal(package.hours) * 60)).quantize(Decimal("0.1"))
        low = percent < LOW_PACKAGE * HUNDRED
        expiring = package.expires is not None and package.expires <= soon and state.left_minutes > 0
        if low or expiring:
            alerts.append(PackageAlert(cid, customer.name, package, state.hours_left, percent, low, expiring))
    return alerts


def _history(views: "Views", history: History) -> tuple[CustomerHistory, ...]:
    """Per customer, its tickets that have commits (as reported), each with its commits newest first."""
    if not history.commits:
        return ()
    repo = views.repo
    out = []
    for cid in sorted(repo.customers):
        tickets = sorted(views.tickets_by_customer.get(cid, ()), key=lambda t: (t.reported, t.id))
        rows = tuple(TicketHistory(t.id, t.title, tuple(tuple(c) for c in history.commits[t.path]))
                     for t in tickets if t.path in history.commits)
        if rows:
            out.append(CustomerHistory(cid, repo.customers[cid].name, rows))
    return tuple(out)


# ---------------------------------------------------------------- the pages


def pages(renderer: "Renderer", staff: StaffView) -> "Site":
    """The staff site's pages from its view, in the provider's language."""
    from gitdesk.portal.pages import Site

    L = renderer.L
    site = Site(NAME, f"{renderer.provider.name}: {L('staff_site')}", language=L.language)
    team = renderer.team
    linked = {h.id: {t.id for t in h.tickets} for h in staff.history}  # tickets with a history page to link to
    names = {row.id: row.customer.name for row in staff.customers}
    common = dict(view=staff, team=team, linked=linked, names=names)
    renderer.page(site, "index.md", L("staff_overview"), "staff_index.md.j2", **common)
    renderer.page(site, "today.md", L("staff_today"), "staff_today.md.j2", within=AT_RISK, **common)
    renderer.page(site, "technicians.md", L("staff_technicians"), "staff_technicians.md.j2", **common)
    renderer.page(site, "statements.md", L("staff_to_issue"), "staff_statements.md.j2", **common)
    renderer.page(site, "packages.md", L("staff_packages"), "staff_packages.md.j2", days=EXPIRING_DAYS, **common)
    renderer.page(site, "logins.md", L("staff_logins"), "staff_logins.md.j2", **common)
    renderer.page(site, "history/index.md", L("staff_history"), "staff_history_index.md.j2", **common)
    for customer in staff.history:
        path = f"history/{customer.id}.md"
        renderer.page(site, path, f"{L('staff_history')}: {customer.name}", "staff_history.md.j2", customer=customer, **common)
        site.add(path, NOT_SEARCHED + site.files[path].decode("utf-8"))
    site.nav = [
        {L("staff_overview"): "index.md"},
        {L("staff_today"): "today.md"},
        {L("staff_technicians"): "technicians.md"},
        {L("staff_to_issue"): "statements.md"},
        {L("staff_packages"): "packages.md"},
        {L("staff_logins"): "logins.md"},
        {L("staff_history"): "history/index.md"},  # each customer's page from there: not 200 links on every page
    ]
    return site
