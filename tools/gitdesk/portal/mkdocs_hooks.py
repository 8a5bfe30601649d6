"""mkdocs hooks of the portal: finished HTML pages, escaped texts, a sandbox and one template cache.

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
escaped.

The theme's templates run in Jinja's sandbox, hardened for mkdocs
(:class:`ThemeSandbox`): no template reaches a module, a Jinja environment,
template or loader, mkdocs' plugins or ``Theme.get_env``, whatever it asks.
The data repository's overrides are checked before this (see
:mod:`gitdesk.portal.overrides`: HTML inside blocks only); the sandbox holds even
for a template that check let through.

It also lends every site's Jinja environment one cache of compiled templates:
mkdocs makes a new environment for each site, and the theme's templates are
the same for every site, so they are compiled once per build, not once per site.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from pathlib import Path

import jinja2
import jinja2.bccache
import jinja2.runtime
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from mkdocs.plugins import BasePlugin, PluginCollection, event_priority

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


#: What no template may touch: each is a way back to Python outside the sandbox (an unsandboxed
#: environment, a module's functions, a plugin's event methods).
FORBIDDEN = (types.ModuleType, jinja2.Environment, jinja2.Template, jinja2.BaseLoader, jinja2.runtime.Context,
             jinja2.bccache.BytecodeCache, BasePlugin, PluginCollection)
#: Attributes refused by name, on any object (``Theme.get_env`` makes an unsandboxed environment).
FORBIDDEN_NAMES = frozenset({"get_env"})


#: The only methods a template may call on mkdocs' and material's own objects (their configuration,
#: theme, pages, navigation): reading. ``Config.load_file`` alone would read YAML with mkdocs' loader,
#: which builds any Python object, and ``update`` would change the build's settings.
READING_METHODS = frozenset({"get", "keys", "items", "values"})


def _theirs(owner) -> bool:
    """Whether an object is one of mkdocs' or material's (or a class of theirs)."""
    module = (owner if isinstance(owner, type) else type(owner)).__module__ or ""
    return module.split(".", 1)[0] in ("mkdocs", "material")


def forbidden(value) -> bool:
    """Whether a value is one a template may not hold: an object or class of :data:`FORBIDDEN`, a method
    of one, or a method of mkdocs' or material's objects that does more than read (:data:`READING_METHODS`)."""
    if isinstance(value, FORBIDDEN):
        return True
    if isinstance(value, type):
        return issubclass(value, FORBIDDEN)
    if isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        owner = getattr(value, "__self__", None)
        if isinstance(owner, FORBIDDEN) or value.__name__ in FORBIDDEN_NAMES:
            return True
        return owner is not None and _theirs(owner) and value.__name__ not in READING_METHODS
    return False


class Plugin:
    """A plugin as templates see it: its options (``config``), nothing it can do."""

    __slots__ = ("config",)

    def __init__(self, plugin) -> None:
        self.config = plugin.config if isinstance(plugin, BasePlugin) else None


class Plugins(Mapping):
    """``config.plugins`` as templates see it: the names of the plugins and each one's options.

    material asks whether a plugin is there (``"material/search" in config.plugins``)
    and reads its options (``config.plugins["material/search"] | attr("config")``).
    """

    __slots__ = ("_plugins",)

    def __init__(self, plugins: PluginCollection) -> None:
        self._plugins = {name: Plugin(plugin) for name, plugin in plugins.items()}

    def __getitem__(self, name):
        return self._plugins[name]

    def __iter__(self):
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)


class ThemeSandbox(SandboxedEnvironment):
    """Jinja's sandbox, which also refuses what mkdocs puts within a template's reach (:data:`FORBIDDEN`).

    Jinja's own sandbox refuses private and internal attributes only; through
    ``config`` a template reaches mkdocs' theme (``get_env()``: an environment
    without sandbox) and its plugins (gitdesk's hooks are a module that
    imports jinja2). Every attribute and item a template reads, every call it
    makes and what the call returns pass through here.
    """

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if attr in FORBIDDEN_NAMES or isinstance(obj, FORBIDDEN):
            return False
        if forbidden(value) and not isinstance(value, PluginCollection):  # the plugins: shown as :class:`Plugins`
            return False
        return super().is_safe_attribute(obj, attr, value)

    def _guard(self, obj, name, value):
        if isinstance(value, jinja2.Undefined):
            return value
        if isinstance(value, PluginCollection) and not isinstance(obj, FORBIDDEN):
            return Plugins(value)
        if isinstance(obj, FORBIDDEN) or forbidden(value):
            return self.unsafe_undefined(obj, str(name))
        return value

    def getattr(self, obj, attribute):
        return self._guard(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj, argument):
        return self._guard(obj, argument, super().getitem(obj, argument))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        if forbidden(__obj):
            raise SecurityError(f"{type(__obj).__name__} may not be called from a template")
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, PluginCollection):
            return Plugins(result)
        if forbidden(result):
            raise SecurityError(f"a call returned a {type(result).__name__}, which templates may not hold")
        return result


#: What the theme's loader gives as a template: pages, icons and the sitemap. An asset of the overrides
#: (``.js``, ``.css``) is never a template, whatever a page's ``template:`` asks for.
TEMPLATE_SUFFIXES = (".html", ".svg", ".xml")


class TemplatesOnly(jinja2.BaseLoader):
    """A loader that gives only files named as templates (:data:`TEMPLATE_SUFFIXES`)."""

    def __init__(self, loader: jinja2.BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment, template):
        if not template.lower().endswith(TEMPLATE_SUFFIXES):
            raise jinja2.TemplateNotFound(template)
        return self.loader.get_source(environment, template)

    def list_templates(self):
        return [name for name in self.loader.list_templates() if name.lower().endswith(TEMPLATE_SUFFIXES)]


def sandboxed(env: jinja2.Environment) -> SandboxedEnvironment:
    """The same environment in the sandbox: templates read attributes of data, never Python's internals."""
    box = ThemeSandbox(loader=TemplatesOnly(env.loader), auto_reload=False, extensions=list(env.extensions),
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


@event_priority(-100)  # after the search plugin set its languages
def on_files(files, config):
    """Leave out what the site never uses (source maps, other languages' search files): never copied, only to be deleted."""
    from gitdesk.portal.sitetheme import search_languages, unused

    languages = search_languages(config.plugins)
    for file in [f for f in files if unused(f.src_uri, languages)]:
        files.remove(file)
    return files


def on_page_markdown(markdown, page, config, files):
    # A page never chooses its template (validate reports one that tries): the theme renders every page.
    page.meta.pop("template", None)
    title = _titles(config).get(page.file.src_uri)
    if title is not None:
        page.meta["title"] = text(title)
    return markdown


@event_priority(200)  # before every plugin (material's tags renders its listings in its own on_env): all get the sandbox
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


ROBOTS = '<meta name="robots" content="noindex, nofollow">'


def _private(html: str, config) -> str:
    """A private site's page (a customer's, the staff's) asks search engines to stay away; the public site's never.

    Done here, not in a template, so no override of the repository can leave it out.
    """
    if not (config.extra.get("gitdesk_theme") or {}).get("private") or ROBOTS in html:
        return html
    head = html.find("<head>")
    if head < 0:
        return html
    at = head + len("<head>")
    return html[:at] + "\n    " + ROBOTS + html[at:]


def _footer(html: str, config) -> str:
    """The site's footer (a customer's contact box) at the end of the page's content.

    Added to the finished page, after the search index was made: the same box
    on every page would otherwise make every page a hit for a name in it.
    """
    folder = config.extra.get("gitdesk_bodies")
    if not folder:
        return html
    footer = _FOOTERS.get(folder)
    if footer is None:
        path = Path(folder) / "footer.html"
        footer = _FOOTERS[folder] = path.read_text(encoding="utf-8") if path.exists() else ""
    end = html.rfind("</article>")
    if not footer or end < 0:
        return html
    return html[:end] + footer + html[end:]


_FOOTERS: dict[str, str] = {}


def on_post_page(output, page, config):
    return _private(_footer(output, config), config)


def on_post_template(output_content, template_name, config):
    if not template_name.endswith(".html"):
        return output_content
    root = (config.extra.get("gitdesk_theme") or {}).get("root")
    if template_name == "404.html" and root:  # shown at any depth: its links start from the site's root
        from gitdesk.portal.sitetheme import rooted

        output_content = _footer(rooted(output_content, root), config)
    return _private(output_content, config)


def on_post_build(config):
    _TITLES.pop(config.extra.get("gitdesk_bodies"), None)
    _FOOTERS.pop(config.extra.get("gitdesk_bodies"), None)
