"""The portal: a public site and one private mkdocs-material site per customer.

Three steps, as everywhere in gitdesk:

1. the figures: SLA results, work-report charges and statements come from
   :mod:`gitdesk.core.sla`, :mod:`gitdesk.core.charges` and :mod:`gitdesk.core.issued`, the
   same functions the command line uses;
2. the pages: Jinja templates (autoescaped: a title or report is text, never
   markup) turn those figures into the Markdown sources of each site, in
   memory; Babel formats them for the provider's language;
3. the sites: each is built by mkdocs in its own folder, with its own search
   index and sitemap, in parallel; a site whose sources did not change since
   the last build is not built again.

Isolation is the security model: a customer's site is generated from that
customer's records only, and nothing of it is shared with another site.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import jinja2
from markupsafe import Markup, escape

from gitdesk.core import charges
from gitdesk.core import issued
from gitdesk.portal import mkdocs_config
from gitdesk.portal import output
from gitdesk.core import sla
from gitdesk.portal import overrides as overrides_mod
from gitdesk.core.errors import Problem
from gitdesk.core.scalars import month_of
from gitdesk.text.i18n import Locale
from gitdesk.text import exports
from gitdesk.text.lines import describe, notice_text
from gitdesk.core.repository import Repository
from gitdesk.portal.mkdocs_hooks import MARKER
from gitdesk.core.model import Calendar, Customer, Ticket
from gitdesk.core.terms import terms_on
from gitdesk.write.yamlout import write_atomic
from gitdesk.load import executor

TEMPLATES = Path(__file__).parent / "templates"
STATE = ".gitdesk-build"  # in the output folder: what each site was built from

#: The mkdocs configuration every site starts from when the data repository has no mkdocs.yml.
DEFAULT_CONFIG = {
    "theme": {"name": "material", "font": False, "features": ["navigation.prune", "search.highlight"]},
    "plugins": ["search"],
    "markdown_extensions": ["tables", "toc"],
}


# ---------------------------------------------------------------- helpers for templates


def _paragraphs(text: Optional[str]) -> Markup:
    """Text as HTML: escaped, line breaks kept, on one line (so Markdown never sees it)."""
    if not text:
        return Markup("")
    escaped = escape(text.strip())
    return Markup("<br>".join(escaped.split("\n")))


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
    return env


def html_page(body: str) -> tuple[str, str]:
    """A page: its Markdown source (a marker only) and its HTML body.

    The body replaces the marker after Markdown ran, and the title is set from
    the site's titles (see :mod:`gitdesk.portal.mkdocs_hooks`): no text of the data
    goes through Markdown or YAML front matter.
    """
    lines = [line.strip() for line in body.splitlines()]
    html = "\n".join(line for line in lines if line)
    return f"{MARKER}\n", html + "\n"


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

    def add(self, path: str, text: str | bytes) -> None:
        self.files[path] = text.encode("utf-8") if isinstance(text, str) else text


def _base(path: str) -> str:
    """The relative path from a page (``a/b.md`` is ``a/b.html``) to the site's root."""
    return "../" * path.count("/")


def _calendar_view(cal: Calendar, L: Locale) -> dict:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    week = cal.week
    rows = [(days[i], [f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}" for a, b in week[i]]) for i in range(7) if week[i]]
    return {"days": rows, "holidays": cal.holidays, "closed": sorted(cal.closed)}


class Renderer:
    """Renders the pages of the public site and of each customer's site from one repository."""

    def __init__(self, repo: Repository, now: dt.datetime, sla_results: dict[str, "sla.TicketSla"], locale: Locale):
        self.repo = repo
        self.now = now
        self.results = sla_results
        self.provider = repo.provider
        assert self.provider is not None
        self.L = locale
        self.env = environment()
        self.team = {m.id: m.name for m in self.provider.team}
        self.tickets_by_customer: dict[str, list[Ticket]] = {}
        for ticket in repo.tickets.values():
            self.tickets_by_customer.setdefault(ticket.customer, []).append(ticket)
        months = [month_of(t.reported.astimezone(repo.tz)) for t in repo.tickets.values()]
        self.now_month = month_of(now.astimezone(repo.tz))
        self.first_month = min(months + [self.now_month])

    def warm(self) -> None:
        """Compile the templates and load the locale's data once, before worker processes fork."""
        for name in self.env.list_templates(extensions=["j2"]):
            self.env.get_template(name)
        self.L.month(self.now_month), self.L.money(Decimal("1.00")), self.L.date(self.now.date()), self.L.number(1)

    def render(self, template: str, **values) -> str:
        return self.env.get_template(template).render(L=self.L, provider=self.provider, **values)

    def page(self, site: Site, path: str, title: str, template: str, **values) -> None:
        source, body = html_page(self.render(template, base=_base(path), **values))
        site.add(path, source)
        site.bodies[path] = body
        site.titles[path] = title

    # ------------------------------------------------------------ public

    def public(self, extra_pages: Sequence[tuple[str, str]] = ()) -> Site:
        L = self.L
        site = Site("public", self.provider.name, language=L.language)
        plans = sorted(self.repo.plans.items())
        self.page(site, "index.md", self.provider.name, "public_index.md.j2", plans=plans)
        terms_nav = []
        for pid, plan in plans:
            cal = self.provider.calendars.get(plan.calendar)
            self.page(site, f"terms/{pid}.md", plan.name, "public_plan.md.j2", plan=plan,
                      calendar=_calendar_view(cal, L) if cal else None)
            terms_nav.append({plan.name: f"terms/{pid}.md"})
        self.page(site, "team.md", L("team"), "public_team.md.j2")
        office = next(iter(self.provider.calendars.values()), None)
        self.page(site, "contacts.md", L("contacts"), "public_contacts.md.j2", calendar=_calendar_view(office, L) if office else None)
        site.nav = [{L("home"): "index.md"}, {L("terms"): terms_nav}, {L("team"): "team.md"}, {L("contacts"): "contacts.md"}]
        for title, path in extra_pages:
            site.nav.append({title: path})
        return site

    # ------------------------------------------------------------ customers

    def months(self) -> list[str]:
        out, month = [], self.first_month
        while month <= self.now_month:
            out.append(month)
            month = issued.next_month(month)
        return out

    def statements(self, cid: str) -> list[charges.Statement]:
        """The customer's statements: every month with something on it, up to this one."""
        works = self.repo.works.get(cid, ())
        found = []
        for month in self.months():
            s = charges.statement(self.repo, cid, month, works)
            if s.lines or s.issued:
                found.append(s)
        return found

    def customer(self, cid: str) -> Site:
        repo, L = self.repo, self.L
        customer: Customer = repo.customers[cid]
        site = Site(cid, customer.name, language=L.language)
        tickets = sorted(self.tickets_by_customer.get(cid, []), key=lambda t: (t.reported, t.id))
        results = {t.id: self.results[t.id] for t in tickets if t.id in self.results}
        statements = self.statements(cid)
        by_month_statement = {s.month: s for s in statements}

        # tickets by month
        months: dict[str, list] = {}
        for t in tickets:
            months.setdefault(month_of(t.reported.astimezone(repo.tz)), []).append((t, results[t.id]))
        month_views = []
        for month in sorted(months, reverse=True):
            rows = months[month]
            month_views.append({"month": month, "rows": rows, "open": sum(1 for _, r in rows if r.open),
                                "summary": sla.summarize([r for _, r in rows])})
        for view in month_views:
            self.page(site, f"tickets/{view['month']}.md", L.month(view["month"]), "customer_month.md.j2", month=view)
        self.page(site, "tickets/index.md", L("tickets"), "customer_tickets.md.j2", months=month_views)

        # one page per ticket
        for t in tickets:
            self.ticket_page(site, t, results[t.id], by_month_statement)

        # statements
        for s in statements:
            self.page(site, f"statements/{s.month}.md", f"{L('statement')} {L.month(s.month)}", "customer_statement.md.j2",
                      s=s, customer=customer)
            site.add(f"statements/{s.month}.json", json.dumps(exports.statement_json(s, L.language), indent=1, ensure_ascii=False) + "\n")
            site.add(f"statements/{s.month}.csv", exports.csv_text([s], L.language))
        self.page(site, "statements/index.md", L("statements"), "customer_statements.md.j2", statements=list(reversed(statements)))

        # terms of its own contracts (and the on-demand terms where it has none in force)
        term_items, seen = [], set()
        for contract in customer.contracts:
            plan = repo.plans.get(contract.plan)
            if plan is not None:
                term_items.append(self._terms(plan, contract))
                seen.add(contract.plan)
        today = self.now.astimezone(repo.tz).date()
        current = terms_on(repo, customer, today)
        if current.contract is None and current.plan is not None and current.plan_id not in seen:
            term_items.append(self._terms(current.plan, None))
        self.page(site, "terms.md", L("terms"), "customer_terms.md.j2", terms=term_items)

        # dashboard
        this_month = [r for (t, r) in months.get(self.now_month, [])]
        recent = self.months()[-12:]
        points = []
        for month in recent:
            s = sla.summarize([r for _, r in months.get(month, [])])
            points.append((L.month(month)[:3].capitalize() if L.language == "en" else L.month(month)[:3], s.compliance))
        from gitdesk.portal.charts import compliance_chart

        chart_title = L("compliance_chart")
        site.add("assets/compliance.svg", compliance_chart(points, chart_title))
        chart_text = chart_title + ": " + "; ".join(
            f"{L.month(m)} {L.percent(v)}" for m, (_, v) in zip(recent, points))
        last = statements[-1] if statements else None
        hours_left = charges.statement(repo, cid, self.now_month, repo.works.get(cid, ())).package_hours_left
        open_tickets = [(t, results[t.id]) for t in tickets if results[t.id].open]
        self.page(
            site, "index.md", customer.name, "customer_index.md.j2",
            customer=customer, contract=current.contract, plan=current.plan, this_month=self.now_month,
            month_summary=sla.summarize(this_month), year_summary=sla.summarize([r for m in recent for _, r in months.get(m, [])]),
            hours_left=hours_left, last_statement=last, open_tickets=open_tickets,
            chart_text=chart_text,
        )
        site.nav = [
            {L("dashboard"): "index.md"},
            {L("tickets"): ["tickets/index.md"] + [{L.month(v["month"]): f"tickets/{v['month']}.md"} for v in month_views]},
            {L("statements"): ["statements/index.md"] + [{L.month(s.month): f"statements/{s.month}.md"} for s in reversed(statements)]},
            {L("terms"): "terms.md"},
        ]
        return site

    def _terms(self, plan, contract) -> dict:
        cal = self.provider.calendars.get(plan.calendar)
        rates = plan.rates
        if contract is not None:
            changes = contract.rates.model_dump(exclude_none=True)
            rates = plan.rates.model_copy(update=changes) if changes else plan.rates
        return {"plan": plan, "contract": contract, "rates": rates, "calendar": _calendar_view(cal, self.L) if cal else None}

    def ticket_page(self, site: Site, ticket: Ticket, result, statements_by_month) -> None:
        L, repo = self.L, self.repo
        timeline = [(e.at, "event", e) for e in ticket.log]
        reports = []
        for index, work in sorted(enumerate(ticket.interventions), key=lambda iw: iw[1].start):
            timeline.append((work.start, "work", {"index": index, "work": work}))
            month = month_of(work.start.astimezone(repo.tz))
            s = statements_by_month.get(month)
            lines = [l for l in (s.lines if s else ()) if l.ticket == ticket.id and l.intervention == index]
            if s is None:  # a month not shown (later than now): price the work from its charges
                lines = [l for w in repo.works.get(ticket.customer, ()) if w.ticket == ticket.id and w.index == index for l in w.lines]
            gross = sum((l.amount for l in lines if l.amount > 0), Decimal(0))
            net = sum((l.amount for l in lines), Decimal(0))
            reports.append({"index": index, "work": work, "lines": lines, "gross": gross, "net": net})
        timeline.sort(key=lambda item: item[0])
        self.page(site, f"tickets/{ticket.id}.md", f"{L('ticket')} {ticket.id}", "customer_ticket.md.j2",
                  ticket=ticket, result=result, timeline=timeline, reports=reports, team=self.team,
                  plan_name=repo.plans[result.plan].name if result.plan in repo.plans else result.plan)


# ---------------------------------------------------------------- building


def base_config(root: Path) -> tuple[dict, list[Problem]]:
    """The data repository's mkdocs.yml (read as data, see :mod:`gitdesk.portal.mkdocs_config`), or the built-in defaults.

    With problems, the configuration is the defaults and the problems say what
    in the file was refused, at its line.
    """
    config, problems = mkdocs_config.read(root)
    if config is None:
        return json.loads(json.dumps(DEFAULT_CONFIG)), problems
    if not problems:
        problems = mkdocs_problems(root, config)
    return config, problems


def _mkdocs_config(config: dict, config_file: Path):
    """mkdocs' own configuration object from a dict, without going through YAML (and mkdocs' unsafe loader)."""
    from mkdocs.config.defaults import MkDocsConfig

    cfg = MkDocsConfig(config_file_path=str(config_file))
    cfg.load_dict(mkdocs_config.resolve_names(config))
    return cfg, cfg.validate()


def mkdocs_problems(root: Path, config: dict) -> list[Problem]:
    """What mkdocs itself refuses in the configuration (a wrong type, an extension's bad option), located."""
    from gitdesk.load.yamlsrc import locate

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix=".gitdesk-config-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        probe = site_config(config, Site("check", "check"), docs, Path(tmp) / "site", None)
        try:
            _, (errors, _warnings) = _mkdocs_config(probe, Path(tmp) / "mkdocs.yml")
        except Exception as exc:  # an extension or plugin refusing its options while loading
            errors = [("mkdocs.yml", exc)]
    if not errors:
        return []
    text = mkdocs_config.source_text(root) or ""
    problems = []
    for name, error in errors:
        line, column = locate(text, [name], key=True) if name in config else (1, 1)
        problems.append(Problem(mkdocs_config.NAME, line, column, f"{name}: {error}", "mkdocs-config"))
    return problems


def site_config(base: dict, site: Site, docs_dir: Path, site_dir: Path, overrides: Optional[Path]) -> dict:
    config = copy.deepcopy(base)
    for key in ("nav", "docs_dir", "site_dir", "site_url", "repo_url", "repo_name", "edit_uri", "hooks", "INHERIT"):
        config.pop(key, None)
    theme = config.get("theme")
    theme = config["theme"] = {"name": theme} if isinstance(theme, str) else dict(theme or {"name": "material"})
    theme["language"] = site.language
    theme["font"] = False  # no web fonts: a page viewed requests nothing from another host
    if overrides is not None:
        theme["custom_dir"] = str(overrides)
    else:
        theme.pop("custom_dir", None)
    config["site_name"] = site.title
    config["docs_dir"] = str(docs_dir)
    config["site_dir"] = str(site_dir)
    config["use_directory_urls"] = False  # page.html: the same links served or opened from disk
    config["nav"] = site.nav
    config["not_in_nav"] = "tickets/*-*.md\n"
    extra = config.setdefault("extra", {})
    extra["generator"] = False
    config["hooks"] = [str(Path(__file__).with_name("mkdocs_hooks.py"))]  # the only hooks: a repository's would run its code
    plugins = config.get("plugins") or []
    # the offline plugin would add a script from a CDN to every page: never used here
    config["plugins"] = [p for p in plugins if (p if isinstance(p, str) else next(iter(p), "")) != "offline"]
    return config


def input_digest(job: dict, name: str) -> str:
    """A fingerprint of everything a site is made of, computed before rendering it.

    The code and its libraries, the mkdocs configuration and site_src, the
    provider's, plans' and statements' files, and for a customer its own file,
    its tickets' files. The moment of the build counts by
    its month (this month's figures, the chart), and to the minute for a
    customer with open requests, whose running targets change with it.
    """
    from gitdesk.load.cache import code_salt

    renderer: Renderer = job["renderer"]
    sources: dict[str, str] = job["sources"]
    h = hashlib.blake2b(digest_size=20)
    h.update(code_salt().encode())
    h.update(json.dumps(job["base"], sort_keys=True, default=str).encode())
    for files in (job["assets"], job["override_files"], job["public_pages"]):
        for path in sorted(files):
            h.update(path.encode() + b"\0" + files[path])
    for path in sorted(p for p in sources if not p.startswith(("tickets/", "contracts/customers/"))):
        h.update(f"{path}\0{sources[path]}".encode())
    h.update(renderer.now_month.encode())
    if name != "public":
        h.update(f"contracts/customers/{name}.yaml\0{sources.get(f'contracts/customers/{name}.yaml', '')}".encode())
        tickets = renderer.tickets_by_customer.get(name, [])
        for ticket in tickets:
            h.update(f"{ticket.path}\0{sources.get(ticket.path or '', '')}".encode())
        if any(renderer.results[t.id].open for t in tickets if t.id in renderer.results):
            h.update(renderer.now.isoformat(timespec="minutes").encode())
    return h.hexdigest()


def build_site(job: dict) -> str:
    """Build one site with mkdocs into a fresh folder, then swap it in (never half a site)."""
    from mkdocs.commands.build import build

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    target = Path(job["target"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as tmp:
        docs = Path(tmp) / "docs"
        for name, content in job["files"].items():
            path = docs / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        bodies = Path(tmp) / "bodies"
        for name, body in job["bodies"].items():
            path = bodies / f"{name}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
        bodies.mkdir(exist_ok=True)
        (bodies / "titles.json").write_text(json.dumps(job["titles"], ensure_ascii=False), encoding="utf-8")
        built = Path(tmp) / "site"
        config = dict(job["config"], docs_dir=str(docs), site_dir=str(built))
        config["extra"] = dict(config.get("extra", {}), gitdesk_bodies=str(bodies))
        cfg, (errors, _warnings) = _mkdocs_config(config, Path(tmp) / "mkdocs.yml")
        if errors:  # checked before building (mkdocs_problems): only a change of mkdocs itself gets here
            raise RuntimeError(f"mkdocs refused the configuration: {errors}")
        build(cfg)
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        built.rename(target)
    if job["signed"] is not None:  # by rename: a link in its place is replaced, never followed
        write_atomic(Path(job["state"]), job["signed"] + "\n")
    return job["name"]


def output_paths(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The folders and files under the output folder that building the sites ``names`` writes or trusts."""
    folders, files = [STATE, "public", "customers"], []
    for name in names:
        target = "public" if name == "public" else f"customers/{name}"
        folders.append(target)
        files += [f"{target}/index.html", f"{STATE}/{name}.digest"]
    return folders, files


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def shard_of(ids: Sequence[str], shard: Optional[tuple[int, int]]) -> list[str]:
    """Customers of shard K of N (1-based), by position in the sorted list."""
    if shard is None:
        return list(ids)
    k, n = shard
    return [cid for i, cid in enumerate(sorted(ids)) if i % n == k - 1]


#: What forked workers need to render and build a site (inherited, never pickled).
_JOB: dict = {}


def _render_and_build(name: str) -> tuple[str, bool]:
    """Worker: render one site's sources, and build it unless they are unchanged."""
    job = _JOB
    renderer: Renderer = job["renderer"]
    out: Path = job["out"]
    target = out / ("public" if name == "public" else f"customers/{name}")
    state = out / STATE / f"{name}.digest"
    digest = input_digest(job, name)
    signed = output.state_text(job["key"], name, digest)
    if signed is not None and output.is_file(target / "index.html") and output.read_state(state) == signed:
        return name, False  # nothing it is made of changed (as this machine's last build recorded): not even rendered
    site = renderer.public(job["extra_pages"]) if name == "public" else renderer.customer(name)
    if name == "public":
        for page, content in job["public_pages"].items():
            site.add(f"about/{page}", content)
    for path, content in job["assets"].items():
        site.add(path, content)
    config = site_config(job["base"], site, Path("docs"), Path("site"), job["overrides"])
    try:
        build_site({"name": name, "files": site.files, "bodies": site.bodies, "titles": site.titles, "config": config,
                    "target": str(target), "state": str(state), "signed": signed})
    except (jinja2.TemplateError, RecursionError) as exc:
        raise SiteProblem([_template_problem(exc, job["overrides"])]) from None
    return name, True


class SiteProblem(Exception):
    """A site could not be built because of the data repository's files (its template overrides)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


def _template_problem(exc: BaseException, overrides: Optional[Path]) -> Problem:
    """A template's error at the line of the override it happened in (or the override folder).

    ``overrides`` is the build's copy of the checked overrides (the theme's
    ``custom_dir``): a file there is named by its place in site_src/overrides.
    """
    import traceback

    where = overrides_mod.FOLDER
    line = 1
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        frames = [(exc.filename, exc.lineno)]
    else:
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
    for filename, lineno in reversed(frames):
        if overrides is not None and filename and Path(filename).resolve().is_relative_to(overrides.resolve()):
            inside = Path(filename).resolve().relative_to(overrides.resolve()).as_posix()
            where, line = f"{overrides_mod.FOLDER}/{inside}", lineno or 1
            break
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return Problem(where, line, 1, f"the portal's templates failed: {message}", "template")


def build(
    repo: Repository,
    out: Path,
    *,
    now: dt.datetime,
    sla_results: dict,
    customers: Optional[Iterable[str]] = None,
    shard: Optional[tuple[int, int]] = None,
    jobs: Optional[int] = None,
    public: bool = True,
    config: Optional[dict] = None,
    sources: Optional[dict[str, str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> BuildReport:
    """Build the public site and the customers' sites into ``out``.

    ``sources`` maps each data file's path to a digest of its bytes (from the
    scan); a site none of whose inputs changed is neither rendered nor built.

    Each site is rendered and built by a worker process of its own (pages,
    chart and mkdocs run there), so the work spreads over every core.
    """
    root = repo.root
    sources_of_site = overrides_mod.site_sources(root, public)
    if sources_of_site.problems:  # nothing is built from site_src/ that is not all read and checked
        raise SiteProblem(sources_of_site.problems)
    assets = {f"stylesheets/{k}": v for k, v in sources_of_site.stylesheets.items()}
    public_pages, override_files = sources_of_site.public_pages, sources_of_site.overrides
    if config is None:
        config, problems = base_config(root)
        if problems:
            raise ValueError("; ".join(map(str, problems)))
    base = config
    if assets:
        base = dict(base)
        base["extra_css"] = sorted(set(base.get("extra_css", [])) | set(assets))
    extra_pages = []
    for name, content in public_pages.items():
        if name.endswith(".md"):
            title = next((l[2:].strip() for l in content.decode("utf-8", "replace").splitlines() if l.startswith("# ")), name)
            extra_pages.append((title, f"about/{name}"))
    names = (["public"] if public else []) + shard_of(sorted(customers) if customers is not None else sorted(repo.customers), shard)
    renderer = Renderer(repo, now, sla_results, Locale.of(repo.provider))
    renderer.warm()
    # The theme reads the checked bytes of the overrides from a folder of this build, never the repository's.
    private = tempfile.TemporaryDirectory(prefix="gitdesk-theme-") if override_files else None
    overrides = Path(private.name) if private else None
    if overrides is not None:
        overrides_mod.write(override_files, overrides)
    _JOB.clear()
    _JOB.update(
        renderer=renderer, root=root, base=base, overrides=overrides, assets=assets,
        override_files=override_files, out=out, public_pages=public_pages,
        extra_pages=extra_pages, sources=sources or {}, key=output.build_key(),
    )
    report = BuildReport()

    def record(name: str, built: bool) -> None:
        (report.built if built else report.unchanged).append(name)
        if progress:
            progress(name)

    try:  # a site per worker at a time: pages, charts and mkdocs spread over every core
        for name, built in executor.run(lambda batch: [_render_and_build(n) for n in batch], names, jobs=jobs):
            record(name, built)
    finally:
        _JOB.clear()
        if private is not None:
            private.cleanup()
    return report
