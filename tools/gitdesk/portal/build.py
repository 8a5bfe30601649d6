"""The portal: a public site and one private mkdocs-material site per customer.

Three steps, as everywhere in gitdesk:

1. the figures: :mod:`gitdesk.portal.view` makes one view of each site (SLA
   results, work-report charges, statements, terms) from the same core
   functions the command line uses;
2. the pages: :mod:`gitdesk.portal.pages` formats a view through the Jinja
   templates into the Markdown sources of its site, in memory;
3. the sites (this module): each is built by mkdocs in its own folder, with its
   own search index and sitemap, in parallel; a site whose view and inputs did
   not change since the last build is neither rendered nor built again.

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
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import jinja2

from gitdesk.core.errors import Problem
from gitdesk.core.repository import PLANS, PROVIDER, Repository
from gitdesk.portal import mkdocs_config
from gitdesk.portal import output
from gitdesk.portal import overrides as overrides_mod
from gitdesk.portal import sitetheme
from gitdesk.portal import staff as staff_site
from gitdesk.portal import view as views
from gitdesk.portal.pages import Renderer, Site
from gitdesk.text.i18n import Locale
from gitdesk.write.yamlout import write_atomic
from gitdesk.load import executor

STATE = ".gitdesk-build"  # in the output folder: what each site was built from

#: The mkdocs configuration every site starts from when the data repository has no mkdocs.yml.
DEFAULT_CONFIG = {
    "theme": {"name": "material", "font": False, "features": ["navigation.prune", "search.highlight"]},
    "plugins": ["search"],
    "markdown_extensions": ["tables", "toc"],
}


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
    extra = config["extra"] = dict(config.get("extra") or {})
    extra["generator"] = False
    extra["gitdesk_theme"] = _theme_words(site)
    config["hooks"] = [str(Path(__file__).with_name("mkdocs_hooks.py"))]  # the only hooks: a repository's would run its code
    plugins = config.get("plugins") or []
    # the offline plugin would add a script from a CDN to every page: never used here
    plugins = [p for p in plugins if (p if isinstance(p, str) else next(iter(p), "")) != "offline"]
    config["plugins"] = sitetheme.search_plugins(plugins, site.language)
    return config


def _theme_words(site: Site) -> dict:
    """What the built-in theme's templates and hooks need to know of a site: private or not, its 404 page's words."""
    L = Locale(site.language)
    return {"private": sitetheme.private(site.name), "root": f"/{site_folder(site.name)}/",
            "not_found": L("not_found"), "not_found_text": L("not_found_text")}


def shared_digest(job: dict) -> bytes:
    """A fingerprint of the inputs every site shares, beside its view.

    The code and its libraries (templates included), the mkdocs configuration,
    site_src (stylesheets, theme overrides, public pages), and the provider's
    and plans' files (language, time zone, team, calendars, terms).
    """
    from gitdesk.load.cache import code_salt

    sources: dict[str, str] = job["sources"]
    h = hashlib.blake2b(digest_size=20)
    h.update(code_salt().encode())
    h.update(json.dumps(job["base"], sort_keys=True, default=str).encode())
    for files in (job["assets"], job["theme_overrides"], job["override_files"], job["public_pages"]):
        for path in sorted(files):
            h.update(path.encode() + b"\0" + files[path])
    for path in sorted(p for p in sources if p == PROVIDER or p.startswith(PLANS + "/")):
        h.update(f"{path}\0{sources[path]}".encode())
    return h.digest()


def site_digest(job: dict, name: str, view: tuple) -> str:
    """A fingerprint of everything a site is made of: the shared inputs and its view (see :func:`gitdesk.portal.view.digest`)."""
    h = hashlib.blake2b(job["shared"], digest_size=20)
    h.update(name.encode() + b"\0")
    views.digest(h, view, job["sources"])
    return h.hexdigest()


#: The theme's static files of the last theme listed in this process: (its folders and static templates, files).
_THEME_FILES: dict[tuple, list[tuple[str, str]]] = {}


def _theme_files_listed_once() -> None:
    """Make mkdocs list the theme's static files once per process and theme, not once per site.

    For every site, mkdocs walks the theme's folders (some 14,000 files with
    material's icons) and matches each name against its patterns, to find the
    few hundred files it copies. Every site of a build has the same theme
    folders, so the list is kept for the folders it was made from (the build's
    own override folder among them, so another build lists again).
    """
    from mkdocs.structure.files import File, Files

    if getattr(Files.add_files_from_theme, "gitdesk", False):
        return
    listing = Files.add_files_from_theme

    def add_files_from_theme(self, env, config) -> None:
        key = (tuple(config.theme.dirs), tuple(config.theme.static_templates))
        found = _THEME_FILES.get(key)
        if found is None:
            probe = Files([])
            listing(probe, env, config)
            found = [(f.src_uri, f.src_dir) for f in probe]
            _THEME_FILES.clear()
            _THEME_FILES[key] = found
        for path, folder in found:
            if self.get_file_from_path(path) is None:  # the theme's files never replace the site's own
                self.append(File(path, folder, config.site_dir, config.use_directory_urls))

    add_files_from_theme.gitdesk = True
    add_files_from_theme.original = listing
    Files.add_files_from_theme = add_files_from_theme


def build_site(job: dict) -> str:
    """Build one site with mkdocs into a fresh folder, then swap it in (never half a site)."""
    from mkdocs.commands.build import build

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    _theme_files_listed_once()
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
        (bodies / "footer.html").write_text(job.get("footer", ""), encoding="utf-8")
        built = Path(tmp) / "site"
        config = dict(job["config"], docs_dir=str(docs), site_dir=str(built))
        config["extra"] = dict(config.get("extra", {}), gitdesk_bodies=str(bodies))
        cfg, (errors, _warnings) = _mkdocs_config(config, Path(tmp) / "mkdocs.yml")
        if errors:  # checked before building (mkdocs_problems): only a change of mkdocs itself gets here
            raise RuntimeError(f"mkdocs refused the configuration: {errors}")
        build(cfg)
        sitetheme.trim(built, sitetheme.search_languages(cfg["plugins"]))
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        built.rename(target)
    if job["signed"] is not None:  # by rename: a link in its place is replaced, never followed
        write_atomic(Path(job["state"]), job["signed"] + "\n")
    return job["name"]


def site_folder(name: str) -> str:
    """Where site ``name`` goes in the output folder: public/, staff/ (the staff site) or customers/<id>/."""
    if name == "public":
        return "public"
    return staff_site.FOLDER if name == staff_site.NAME else f"customers/{name}"


def output_paths(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The folders and files under the output folder that building the sites ``names`` writes or trusts."""
    folders, files = [STATE, "public", "customers"], []
    for name in names:
        target = site_folder(name)
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
    """Worker: make one site's view; render and build the site unless it shows what it showed last time."""
    job = _JOB
    out: Path = job["out"]
    target = out / site_folder(name)
    state = out / STATE / f"{name}.digest"
    view = _view(job["views"], name)
    signed = output.state_text(job["key"], name, site_digest(job, name, view))
    if signed is not None and output.is_file(target / "index.html") and output.read_state(state) == signed:
        return name, False  # it would show the same (as this machine's last build recorded): not even rendered
    site = _pages(job, name, view)
    config = site_config(job["base"], site, Path("docs"), Path("site"), job["overrides"])
    try:
        build_site({"name": name, "files": site.files, "bodies": site.bodies, "titles": site.titles, "footer": site.footer,
                    "config": config,
                    "target": str(target), "state": str(state), "signed": signed})
    except (jinja2.TemplateError, RecursionError) as exc:
        raise SiteProblem([_template_problem(exc, job["overrides"])]) from None
    return name, True


def _view(made: views.Views, name: str) -> tuple:
    """Site ``name``'s view (the staff site's with the ticket files' git history, read here in its worker)."""
    if name == "public":
        return made.public()
    if name == staff_site.NAME:
        from gitdesk.load.history import ticket_history

        return staff_site.view(made, ticket_history(Path(made.repo.root)))
    return made.customer(name)


def _pages(job: dict, name: str, view: tuple) -> Site:
    """A site's pages from its view, with site_src's stylesheets (and, on the public site, its pages)."""
    renderer: Renderer = job["renderer"]
    if name == "public":
        site = renderer.public(view, job["extra_pages"])
        for page, content in job["public_pages"].items():
            site.add(f"about/{page}", content)
    elif name == staff_site.NAME:
        site = staff_site.pages(renderer, view)
    else:
        site = renderer.customer(view)
    for path, content in job["assets"].items():
        site.add(path, content)
    return site


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
    staff: bool = True,
    config: Optional[dict] = None,
    sources: Optional[dict[str, str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> BuildReport:
    """Build the public site, the staff site (``staff``) and the customers' sites into ``out``.

    ``sources`` maps each data file's path to a digest of its bytes (from the
    scan); a site whose view and shared inputs did not change is neither
    rendered nor built.

    Each site is made, rendered and built by a worker process of its own
    (view, pages, chart and mkdocs run there), so the work spreads over every core.
    """
    found, config = _checked_sources(repo.root, public, config)
    names = (["public"] if public else []) + ([staff_site.NAME] if staff else []) + shard_of(sorted(repo.customers if customers is None else customers), shard)
    # The theme reads the built-in overrides and the checked bytes of the repository's from a folder of this
    # build, never the repository's.
    private = tempfile.TemporaryDirectory(prefix="gitdesk-theme-")
    report = BuildReport()
    try:
        _prepare(repo, now, sla_results, out, config, found, Path(private.name), sources or {})
        for name, built in _each_site(names, jobs):
            (report.built if built else report.unchanged).append(name)
            if progress:
                progress(name)
    finally:
        _JOB.clear()
        private.cleanup()
    return report


def _checked_sources(root: Path, public: bool, config: Optional[dict]) -> tuple[overrides_mod.SiteSources, dict]:
    """site_src/ and the mkdocs configuration, all read and checked: nothing is built from them otherwise."""
    found = overrides_mod.site_sources(root, public)
    if found.problems:
        raise SiteProblem(found.problems)
    if config is None:
        config, problems = base_config(root)
        if problems:
            raise ValueError("; ".join(map(str, problems)))
    return found, config


def _prepare(repo: Repository, now: dt.datetime, sla_results: dict, out: Path, config: dict,
             found: overrides_mod.SiteSources, overrides: Optional[Path], sources: dict[str, str]) -> None:
    """Set up what the workers share (:data:`_JOB`): views, pages, configuration, site_src, the inputs' digest."""
    theme_overrides = sitetheme.override_files()
    if overrides is not None:  # the built-in overrides first, the repository's over them
        overrides_mod.write(theme_overrides, overrides)
        overrides_mod.write(found.overrides, overrides)
    renderer = Renderer(repo.provider, Locale.of(repo.provider))
    renderer.warm()
    theme, scripts = sitetheme.stylesheets(), sitetheme.scripts()
    own = {f"stylesheets/{k}": v for k, v in found.stylesheets.items()}
    _JOB.clear()
    _JOB.update(
        views=views.Views(repo, now, sla_results), renderer=renderer, base=_with_theme(config, list(theme), own, list(scripts)),
        overrides=overrides, assets={**theme, **scripts, **own}, theme_overrides=theme_overrides, override_files=found.overrides,
        out=out, public_pages=found.public_pages,
        extra_pages=_extra_pages(found.public_pages), sources=sources, key=output.build_key(),
    )
    _JOB["shared"] = shared_digest(_JOB)


def _with_theme(config: dict, theme: list[str], own: dict[str, bytes], scripts: list[str]) -> dict:
    """The configuration with the theme's stylesheets first in its extra_css, then its own and site_src's
    (linked after the theme's, a provider's stylesheet changes what the theme sets), and the theme's scripts
    (the only ones: a repository's configuration may not name any)."""
    given = [c for c in config.get("extra_css", []) if c not in theme]
    return dict(config, extra_css=list(theme) + sorted(set(given) | set(own)), extra_javascript=list(scripts))


def _extra_pages(public_pages: dict[str, bytes]) -> list[tuple[str, str]]:
    """The public site's own pages from site_src, as (title, path): titled by their first heading."""
    pages = []
    for name, content in public_pages.items():
        if name.endswith(".md"):
            title = next((l[2:].strip() for l in content.decode("utf-8", "replace").splitlines() if l.startswith("# ")), name)
            pages.append((title, f"about/{name}"))
    return pages


def _each_site(names: Sequence[str], jobs: Optional[int]) -> Iterable[tuple[str, bool]]:
    """Each site's (name, built), in order: a site per worker at a time (pages, charts and mkdocs spread over every core)."""
    return executor.run(lambda batch: [_render_and_build(n) for n in batch], names, jobs=jobs)
