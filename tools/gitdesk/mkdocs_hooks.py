"""mkdocs hooks of the portal: pages arrive as finished HTML, not as Markdown.

gitdesk renders each page's body itself (Jinja, autoescaped) and gives mkdocs
a Markdown source that holds only a marker. This hook swaps the marker for
the rendered body, so Python-Markdown never parses anything a technician or
customer wrote, and no time goes into parsing thousands of lines of HTML as
Markdown. Page titles come from a file next to the bodies, never through
YAML front matter.

Text from the data also reaches mkdocs' and material's own templates: the
site's name (a customer's or the provider's name), page titles, navigation,
the description and author. Those templates do not autoescape and escape
some uses but not others, so every such text is escaped here, once, before
any template runs: each becomes a :class:`markupsafe.Markup` holding the
escaped text, which ``|e`` leaves as it is and plain ``{{ }}`` writes as it
is. ``striptags`` (which unescapes) is replaced by one that keeps text
escaped. The templates run in Jinja's sandbox, so a template override in the
data repository cannot reach Python.

It also lends every site's Jinja environment one cache of compiled templates:
mkdocs makes a new environment for each site, and compiling the theme's
templates again each time took about a sixth of a site's build.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

MARKER = "GITDESK-PAGE-BODY"


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the life of the process.

    Jinja keys each entry by the template's name and file and checks the
    source's checksum when loading, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.entries.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.entries[bucket.key] = bucket.bytecode_to_string()


#: mkdocs loads this file once per process, so every site built in the process shares it.
TEMPLATES = CompiledTemplates()


#: Texts of the configuration that a template writes, and the page metadata that holds text.
CONFIG_TEXTS = ("site_name", "site_description", "site_author", "copyright")
META_TEXTS = ("title", "description", "author", "subtitle")


def text(value) -> Markup:
    """Text as escaped HTML (already escaped text is left as it is)."""
    return escape(value) if value is not None else value


def striptags(value) -> Markup:
    """Jinja's ``striptags``, whose result stays escaped (the original unescapes entities)."""
    return escape(Markup(str(value)).striptags())


def sandboxed(env: jinja2.Environment) -> SandboxedEnvironment:
    """The same environment in Jinja's sandbox: templates read attributes of data, never Python's internals."""
    box = SandboxedEnvironment(loader=env.loader, auto_reload=False, extensions=list(env.extensions),
                               bytecode_cache=TEMPLATES)
    box.filters.update(env.filters)
    box.tests.update(env.tests)
    box.globals.update(env.globals)
    box.policies.update(env.policies)
    box.filters["striptags"] = striptags
    return box


def _titles(config) -> dict:
    folder = config.extra.get("gitdesk_bodies")
    if not folder:
        return {}
    cached = _TITLES.get(folder)
    if cached is None:
        path = Path(folder) / "titles.json"
        cached = _TITLES[folder] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return cached


_TITLES: dict[str, dict] = {}


def on_page_markdown(markdown, page, config, files):
    title = _titles(config).get(page.file.src_uri)
    if title is not None:
        page.meta["title"] = text(title)
    return markdown


def on_env(env, config, files):
    for key in CONFIG_TEXTS:
        if config.get(key):
            config[key] = text(config[key])
    for file in files.documentation_pages():
        page = file.page
        if page is None:
            continue
        for key in META_TEXTS:
            if isinstance(page.meta.get(key), str):
                page.meta[key] = text(page.meta[key])
        if page.title is not None:
            page.title = text(page.title)
        parent = page.parent
        while parent is not None:
            parent.title = text(parent.title)
            parent = parent.parent
    return sandboxed(env)


def on_page_content(html, page, config, files):
    folder = config.extra.get("gitdesk_bodies")
    if not folder or MARKER not in html:
        return html
    return (Path(folder) / f"{page.file.src_uri}.html").read_text(encoding="utf-8")


def on_post_build(config):
    _TITLES.pop(config.extra.get("gitdesk_bodies"), None)
