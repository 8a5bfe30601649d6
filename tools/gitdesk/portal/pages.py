"""The pages of each site: a view (:mod:`gitdesk.portal.view`) formatted through the Jinja templates.

The templates are autoescaped (a title or a report is text, never markup) and
only format what the view holds; Babel formats it for the provider's language.
Each page is a Markdown source (a marker only) and its HTML body, in memory:
:mod:`gitdesk.portal.build` hands them to mkdocs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Optional, Sequence
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from gitdesk.core.model import Customer, Provider
from gitdesk.portal.mkdocs_hooks import MARKER
from gitdesk.portal.sitetheme import finished_body
from gitdesk.portal.webserver import CODE_MAX, CODE_PATTERN_HTML
from gitdesk.portal.view import CalendarView, CustomerView, Dashboard, PublicView, StatementView, TicketView
from gitdesk.text import exports
from gitdesk.text.i18n import Locale
from gitdesk.text.lines import describe, notice_text
from gitdesk.text.spreadsheet import statement_xlsx
from gitdesk.text.prose import paragraphs

TEMPLATES = Path(__file__).parent / "templates"


# ---------------------------------------------------------------- helpers for templates


def _paragraphs(text: Optional[str]) -> Markup:
    """Free text (a description, a report, a note) as HTML paragraphs, escaped, on one line (so Markdown never sees it).

    See :func:`gitdesk.text.prose.paragraphs`: a single line break is the
    YAML's wrapping and reads as a space, a blank line starts a paragraph.
    """
    out = []
    for para in paragraphs(text):
        out.append(Markup("<p>") + Markup("<br>").join(escape(line) for line in para) + Markup("</p>"))
    return Markup("").join(out)


def _cents(amount: Decimal) -> str:
    """An amount as the JSON writes it (``1234.50``): for ``data-amount`` attributes, read by programs and tests."""
    return f"{amount:.2f}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = _paragraphs
    env.filters.update(describe=describe, notice_text=notice_text)  # a statement line's and a notice's words
    env.filters["cents"] = _cents
    return env


def html_page(body: str, table_label: str = "Table") -> tuple[str, str]:
    """A page: its Markdown source (a marker only) and its HTML body.

    The body replaces the marker after Markdown ran, and the title is set from
    the site's titles (see :mod:`gitdesk.portal.mkdocs_hooks`): no text of the data
    goes through Markdown or YAML front matter. Its tables scroll in their own
    box on a narrow screen, and its words stay apart in the search index
    (:func:`gitdesk.portal.sitetheme.finished_body`; ``table_label`` names a
    table without a heading above it).
    """
    lines = [line.strip() for line in body.splitlines()]
    html = "\n".join(line for line in lines if line)
    return f"{MARKER}\n", finished_body(html, table_label) + "\n"


def _base(path: str) -> str:
    """The relative path from a page (``a/b.md`` is ``a/b.html``) to the site's root."""
    return "../" * path.count("/")


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def calendar_shown(cal: Optional[CalendarView]) -> Optional[dict]:
    """Working hours as the templates show them: each window as ``08:30–12:30``."""
    if cal is None:
        return None
    days = [(day, [f"{_clock(a)}–{_clock(b)}" for a, b in windows]) for day, windows in cal.days]
    return {"days": days, "holidays": cal.holidays, "closed": list(cal.closed)}


#: A telephone number as a ``tel:`` link takes: an optional + and digits (the rest of what was written dropped).
_TEL = re.compile(r"\+?[0-9]{3,20}")
#: An e-mail address a ``mailto:`` link is made for: one @, something on each side, no space or control character.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


def tel_href(phone: Optional[str]) -> Optional[str]:
    """``tel:`` and the number's digits (and a leading +); None when what is written is not a telephone number."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9+]", "", phone)
    return f"tel:{digits}" if _TEL.fullmatch(digits) else None


def mailto_href(email: Optional[str]) -> Optional[str]:
    """``mailto:`` and the address, percent-encoded; None when what is written is not an e-mail address."""
    if not email or not _EMAIL.fullmatch(email.strip()):
        return None
    return "mailto:" + quote(email.strip(), safe="@")


def _phone(phone: Optional[str]) -> dict:
    return {"text": phone or "", "href": tel_href(phone)}


def _email(email: Optional[str]) -> dict:
    return {"text": email or "", "href": mailto_href(email)}


# ---------------------------------------------------------------- one site's sources


@dataclass
class Site:
    """The sources of one site: pages and files by path, its navigation, its title."""

    name: str  # "public" or the customer id
    title: str
    files: dict[str, bytes] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)  # page path -> its rendered HTML body
    titles: dict[str, str] = field(default_factory=dict)  # page path -> its title, as text
    nav: list = field(default_factory=list)
    language: str = "en"
    footer: str = ""  # HTML every page of the site ends with (a customer's site: the contact box), added by the hooks

    def add(self, path: str, text: str | bytes) -> None:
        self.files[path] = text.encode("utf-8") if isinstance(text, str) else text


class Renderer:
    """Writes the pages of the public site and of each customer's site from their views."""

    def __init__(self, provider: Provider, locale: Locale):
        self.provider = provider
        self.L = locale.for_pages()
        self.env = environment()
        self.team = {m.id: m.name for m in provider.team}
        self.plans: dict = {}  # the plans of the customer whose site is rendered (CustomerView.plans)

    def warm(self) -> None:
        """Compile the templates and load the locale's data once, before worker processes fork."""
        for name in self.env.list_templates(extensions=["j2"]):
            self.env.get_template(name)
        self.L.month("2026-01"), self.L.money(Decimal("1.00")), self.L.date(dt.date(2026, 1, 1)), self.L.number(1)

    def render(self, template: str, **values) -> str:
        return self.env.get_template(template).render(L=self.L, provider=self.provider, priority=self.priority, **values)

    def priority(self, result, name: Optional[str] = None) -> str:
        """A request's priority as its customer reads it: ``name`` (default: the priority in force) in the
        words of the request's plan (its ``label:``, or the usual word: see :func:`gitdesk.text.i18n.priority_label`)."""
        return self.L.priority(self.plans.get(result.plan), name or result.priority_now or result.priority)

    def page(self, site: Site, path: str, title: str, template: str, **values) -> None:
        source, body = html_page(self.render(template, base=_base(path), **values), self.L("table"))
        site.add(path, source)
        site.bodies[path] = body
        site.titles[path] = title

    # ------------------------------------------------------------ public

    def public(self, view: PublicView, extra_pages: Sequence[tuple[str, str]] = ()) -> Site:
        L = self.L
        site = Site("public", self.provider.name, language=L.language)
        plans = [(p.id, p.plan) for p in view.plans]
        self.page(site, "index.md", self.provider.name, "public_index.md.j2", plans=plans,
                  code_pattern=CODE_PATTERN_HTML, code_max=CODE_MAX)
        terms_nav = []
        for p in view.plans:
            self.page(site, f"terms/{p.id}.md", p.plan.name, "public_plan.md.j2", plan=p.plan,
                      calendar=calendar_shown(p.calendar))
            terms_nav.append({p.plan.name: f"terms/{p.id}.md"})
        self.page(site, "team.md", L("team"), "public_team.md.j2")
        self.page(site, "contacts.md", L("contacts"), "public_contacts.md.j2", calendar=calendar_shown(view.office))
        site.nav = [{L("home"): "index.md"}, {L("terms"): terms_nav}, {L("team"): "team.md"}, {L("contacts"): "contacts.md"}]
        for title, path in extra_pages:
            site.nav.append({title: path})
        return site

    # ------------------------------------------------------------ a customer

    def customer(self, view: CustomerView) -> Site:
        site = Site(view.id, view.customer.name, language=self.L.language)
        self.plans = dict(view.plans)
        site.footer = self.contact_box(view.customer)
        self.ticket_pages(site, view)
        self.statement_pages(site, view)
        self.terms_page(site, view)
        self.dashboard(site, view)
        site.nav = self.customer_nav(view)
        return site

    def ticket_pages(self, site: Site, view: CustomerView) -> None:
        L = self.L
        for month in view.months:
            self.page(site, f"tickets/{month.month}.md", L.month(month.month), "customer_month.md.j2", month=month)
        self.page(site, "tickets/index.md", L("tickets"), "customer_tickets.md.j2", months=view.months)
        for ticket in view.tickets:
            self.ticket_page(site, ticket)

    def ticket_page(self, site: Site, view: TicketView) -> None:
        self.page(site, f"tickets/{view.ticket.id}.md", f"{self.L('ticket')} {view.ticket.id}", "customer_ticket.md.j2",
                  ticket=view.ticket, result=view.result, timeline=view.timeline, reports=view.reports, team=self.team,
                  plan_name=view.plan_name)

    def statement_pages(self, site: Site, view: CustomerView) -> None:
        L = self.L
        titles = {t.ticket.id: t.ticket.title for t in view.tickets}
        for v in view.statement_pages:
            s = v.statement
            self.page(site, f"statements/{s.month}.md", f"{L('statement')} {L.month(s.month)}", "customer_statement.md.j2",
                      v=v, customer=view.customer)
            site.add(f"statements/{s.month}.json", json.dumps(exports.statement_json(s, L.language), indent=1, ensure_ascii=False) + "\n")
            site.add(f"statements/{s.month}.csv", exports.csv_text([s], L.language))
            site.add(f"statements/{s.month}.xlsx", statement_xlsx(s, L, customer=view.customer.name,
                                                                  state=self.statement_state(v), titles=titles))
        self.page(site, "statements/index.md", L("statements"), "customer_statements.md.j2",
                  statements=list(reversed(view.statement_pages)))

    def statement_state(self, v: StatementView) -> str:
        """Where a statement stands, as a line of text: "Emesso N. 7 del 5 ottobre 2026", "Da emettere"."""
        L = self.L
        text = L("state_" + v.state)
        if v.statement.issued:
            number, day = v.statement.issued
            text += " " + L("issued_number", n=number, d=L.date(day))
        return text

    def terms_page(self, site: Site, view: CustomerView) -> None:
        terms = [{"plan": t.plan, "contract": t.contract, "rates": t.rates, "calendar": calendar_shown(t.calendar)}
                 for t in view.terms]
        self.page(site, "terms.md", self.L("terms"), "customer_terms.md.j2", terms=terms)

    def dashboard(self, site: Site, view: CustomerView) -> None:
        board: Dashboard = view.dashboard
        chart_title, chart_text = self.chart(site, board)
        self.page(
            site, "index.md", view.customer.name, "customer_index.md.j2",
            customer=view.customer, contract=board.contract, plan=board.plan, this_month=board.this_month,
            year_summary=board.year_summary, promises=board.promises, owed=board.owed, packages=board.packages,
            open_requests=board.open_requests, chart_text=chart_text,
        )

    def chart(self, site: Site, board: Dashboard) -> tuple[str, str]:
        """The compliance chart as an SVG file of the site, and its title and text alternative."""
        from gitdesk.portal.charts import compliance_chart  # matplotlib: only where a chart is drawn

        L = self.L
        series = board.chart
        labels = [L.short_month(m) for m in series.months]
        title = L("compliance_chart")
        site.add("assets/compliance.svg", compliance_chart(list(zip(labels, series.compliance)), title, L("chart_axis"),
                                                           [L.percent(v) for v in series.compliance]))
        months = [L("chart_month", month=L.month(m), pct=L.percent(v), met=met, decided=decided) if v is not None
                  else L("chart_month_none", month=L.month(m))
                  for m, v, met, decided in zip(series.months, series.compliance, series.met, series.decided)]
        return title, title + ": " + "; ".join(months)

    def contact_box(self, customer: Customer) -> str:
        """The box every page of a customer's site ends with: the provider's phone and e-mail, and the
        members of its team who look after this customer (``team:`` in the customer's file)."""
        provider = self.provider
        members = {m.id: m for m in provider.team}
        team = [{"name": m.name, "title": m.title, "phone": _phone(m.phone), "email": _email(m.email)}
                for m in (members.get(mid) for mid in customer.team) if m is not None]
        phone, email = _phone(provider.phone), _email(provider.email)
        if not (phone["text"] or email["text"] or team):
            return ""
        return "\n" + self.render("_contact.j2", phone=phone, email=email, team=team)

    def customer_nav(self, view: CustomerView) -> list:
        L = self.L
        return [
            {L("dashboard"): "index.md"},
            {L("tickets"): ["tickets/index.md"] + [{L.month(m.month): f"tickets/{m.month}.md"} for m in view.months]},
            {L("statements"): ["statements/index.md"]
             + [{L.month(s.month): f"statements/{s.month}.md"} for s in reversed(view.statements)]},
            {L("terms"): "terms.md"},
        ]
