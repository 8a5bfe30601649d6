"""The data repository's ``mkdocs.yml``, read as untrusted data and checked against allow-lists.

mkdocs itself reads its configuration with PyYAML's full loader (which
builds any Python object a ``!!python/...`` tag names), expands ``!ENV``
from the environment, runs ``hooks:`` files, and imports any plugin or
Markdown extension named. A pull request can edit ``mkdocs.yml``, so gitdesk
never hands the file to mkdocs: it reads it here with a safe loader and
keeps only what a portal's look needs, from short allow-lists:

- top-level keys: :data:`KEYS` (the keys gitdesk sets per site, such as
  ``site_name``, ``nav`` or ``docs_dir``, are accepted and replaced);
- ``theme``: ``material`` (``theme: material`` or a mapping whose ``name``
  is ``material``) with the options in :data:`THEME_KEYS`;
- ``plugins``: :data:`PLUGINS`;
- ``markdown_extensions``: :data:`EXTENSIONS`;
- ``!!python/name:`` only for the functions in :data:`PYTHON_NAMES` (the
  emoji and superfences examples of material's documentation);
- ``extra``: only ``generator``; ``extra_css``: paths inside the site.

Anything else (``hooks:``, other plugins or extensions, ``extra_javascript``,
``!ENV``, ``!relative``, any other ``!!python`` tag) is a problem located at
its line and column; nothing named in the file is imported before it passed
these lists.

Options, too, are data that reaches files and pages, so they are checked:

- plugin options, per plugin, from :data:`PLUGIN_OPTIONS`. ``search``: the
  language, separator, pipeline and field boosts (not ``jieba_dict`` or
  ``jieba_dict_user``, which read a dictionary file by its path, nor
  mkdocs' ``prebuild_index``, which runs a program). ``tags`` (material
  9.x's ``TagsConfig``): the switches, separators, formats and tag lists;
  not ``export_file`` (written at any path, joined onto the site folder and
  normalised: ``/abs/path`` or ``../..`` leave it), ``listings_layout`` and
  ``listings_map`` (name a template file), ``tags_file`` and
  ``tags_extra_files`` (name pages), nor the Python callables
  ``tags_slugify``, ``tags_sort_by``, ``listings_sort_by`` and
  ``listings_tags_sort_by``;
- Markdown extension options (each allowed
  extension's options were reviewed in Python-Markdown 3.x, pymdownx 10-13
  and material 9.x; the others name no path): ``pymdownx.emoji``'s
  ``options`` may hold only ``classes`` (:data:`EMOJI_OPTIONS`):
  ``custom_icons`` makes material read every ``*.svg`` under any folder,
  links followed, into the pages (a link to ``/proc/self/environ`` publishes
  the environment, a link loop hangs the build, ``/dev/zero`` exhausts
  memory); ``attributes`` adds any attribute (an ``onload`` handler) to
  every emoji; ``image_path`` and ``non_standard_image_path`` load images
  from another host. ``wikilinks``' ``base_url`` and ``end_url`` may not
  hold ``:`` (a ``javascript:`` link). ``pymdownx.snippets`` and
  ``pymdownx.b64`` are not allowed at all (they read files named in a page);
- ``extra_css``, ``theme.logo``, ``theme.favicon`` and ``theme.icon``: a
  relative path of letters, digits and ``-_./`` (:data:`SAFE_PATH`), no
  ``..``, no scheme;
- every other text of the file may not hold ``<``, ``>``, ``"``, ``'`` or a
  backquote (:data:`MARKUP`): mkdocs and material write many options into a
  page as they are. Only ``site_name``, ``site_description``,
  ``site_author`` and ``copyright``, which are escaped, may hold them.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from gitdesk.core.errors import Problem
from gitdesk.load.files import DataFileError, read_data_file
from gitdesk.load.yamlsrc import YamlProblem, decode

NAME = "mkdocs.yml"
MAX_NODES = 20_000
MAX_DEPTH = 30

#: Top-level keys a portal's mkdocs.yml may hold.
KEYS = frozenset({
    "site_name", "site_description", "site_author", "copyright", "theme", "plugins", "markdown_extensions",
    "extra", "extra_css", "strict", "validation",
    # set by gitdesk for each site: accepted, and replaced
    "nav", "docs_dir", "site_dir", "site_url", "use_directory_urls", "not_in_nav", "repo_url", "repo_name", "edit_uri",
})
THEME_KEYS = frozenset({"name", "language", "font", "palette", "features", "icon", "logo", "favicon", "direction"})
PLUGINS = frozenset({"search", "tags", "offline"})  # offline is dropped: it loads a script from another host
#: The options each plugin may have (none of them reads or writes a file, or names Python code).
PLUGIN_OPTIONS = {
    "search": frozenset({"enabled", "lang", "separator", "pipeline", "fields", "min_search_length"}),
    "tags": frozenset({
        "enabled", "filters", "tags", "tags_slugify_separator", "tags_slugify_format", "tags_hierarchy",
        "tags_hierarchy_separator", "tags_sort_reverse", "tags_name_property", "tags_name_variable", "tags_allowed",
        "listings", "listings_sort_reverse", "listings_tags_sort_reverse", "listings_directive", "listings_toc",
        "shadow", "shadow_on_serve", "shadow_tags", "shadow_tags_prefix", "shadow_tags_suffix", "export", "export_only",
    }),
    "offline": frozenset({"enabled"}),
}
_MARKDOWN = ("abbr", "admonition", "attr_list", "def_list", "extra", "fenced_code", "footnotes", "legacy_attrs",
             "legacy_em", "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc", "wikilinks", "codehilite")
_PYMDOWNX = ("arithmatex", "betterem", "blocks.admonition", "blocks.caption", "blocks.definition", "blocks.details",
             "blocks.html", "blocks.tab", "caret", "critic", "details", "emoji", "escapeall", "extra", "fancylists",
             "highlight", "inlinehilite", "keys", "magiclink", "mark", "progressbar", "saneheaders", "smartsymbols",
             "striphtml", "superfences", "tabbed", "tasklist", "tilde")
#: Markdown extensions (not pymdownx.snippets or b64: they read files by a path written in a page).
EXTENSIONS = frozenset(
    list(_MARKDOWN) + [f"markdown.extensions.{n}" for n in _MARKDOWN] + [f"pymdownx.{n}" for n in _PYMDOWNX]
)
#: Why the emoji extension's generator options other than :data:`EMOJI_OPTIONS` are refused.
EMOJI_REFUSED = {
    "custom_icons": "it makes the build read every .svg file under the folders it names (links followed) into the pages",
    "attributes": "it adds attributes, such as an event handler, to every emoji",
    "image_path": "it loads the emoji images from another host",
    "non_standard_image_path": "it loads the emoji images from another host",
}
EMOJI_OPTIONS = frozenset({"classes"})
#: Link options of the wikilinks extension: paths inside the site, never a URL with a scheme.
WIKILINK_URLS = ("base_url", "end_url")
#: A path inside the site: letters, digits and ``-_./`` (checked for ``..`` and a leading ``/`` too).
SAFE_PATH = re.compile(r"[A-Za-z0-9_./-]+")
#: Top-level texts mkdocs and material write escaped: the only ones that may hold markup characters.
ESCAPED_TEXTS = frozenset({"site_name", "site_description", "site_author", "copyright"})
#: Top-level keys gitdesk replaces for each site: their values are never used.
REPLACED = frozenset({"nav", "docs_dir", "site_dir", "site_url", "use_directory_urls", "not_in_nav", "repo_url",
                      "repo_name", "edit_uri"})
#: The only Python objects a ``!!python/name:`` tag may name.
PYTHON_NAMES = frozenset({
    "material.extensions.emoji.twemoji", "material.extensions.emoji.to_svg",
    "pymdownx.emoji.twemoji", "pymdownx.emoji.gemoji", "pymdownx.emoji.emojione",
    "pymdownx.emoji.to_svg", "pymdownx.emoji.to_png", "pymdownx.emoji.to_alt",
    "pymdownx.superfences.fence_code_format", "pymdownx.superfences.fence_div_format",
})
_PYTHON_NAME = "tag:yaml.org,2002:python/name:"
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:timestamp",
}


class PythonName(str):
    """An allowed ``!!python/name:`` reference, kept as its dotted name until mkdocs needs the object."""

    def resolve(self) -> Any:
        module, _, attr = self.rpartition(".")
        return getattr(importlib.import_module(module), attr)


def resolve_names(value: Any) -> Any:
    """The configuration with each :class:`PythonName` replaced by its (allow-listed) object."""
    if isinstance(value, PythonName):
        return value.resolve()
    if isinstance(value, dict):
        return {k: resolve_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_names(v) for v in value]
    return value


class _Reader:
    """Node tree to plain data, with every tag checked and every position kept by path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.marks: dict[tuple, tuple[int, int]] = {}  # path in the document -> line, column of its key (or item)
        self.left = MAX_NODES
        self.scalars = yaml.SafeLoader("")

    def problem(self, node: Node, message: str, code: str = "mkdocs-config") -> None:
        self.problems.append(Problem(self.path, node.start_mark.line + 1, node.start_mark.column + 1, message, code))

    def convert(self, node: Node, where: tuple, depth: int = 0) -> Any:
        """The node as plain data; a refused tag becomes None and a problem."""
        self._count(node, depth)
        tag = node.tag or ""
        if tag.startswith(_PYTHON_NAME):
            return self._python_name(node, tag[len(_PYTHON_NAME):])
        if tag not in _PLAIN_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(node, f"the tag {shown} is not allowed in {NAME} (a configuration is plain data: "
                               "no !ENV, !relative or !!python tags except the allowed !!python/name functions)")
            return None
        if isinstance(node, ScalarNode):
            return self.scalars.construct_object(node)
        if isinstance(node, SequenceNode):
            return self._sequence(node, where, depth)
        return self._mapping(node, where, depth)

    def _count(self, node: Node, depth: int) -> None:
        """One node more: an alias bomb or a deep nesting stops the reading (YamlProblem)."""
        self.left -= 1
        if self.left < 0 or depth > MAX_DEPTH:
            raise YamlProblem("the document is too large or nested too deeply", node.start_mark.line + 1,
                              node.start_mark.column + 1)

    def _python_name(self, node: Node, name: str) -> Optional[PythonName]:
        """An allowed ``!!python/name:`` (with an empty value), kept by name; any other is a problem."""
        if name in PYTHON_NAMES and isinstance(node, ScalarNode) and not node.value:
            return PythonName(name)
        self.problem(node, f"!!python/name:{name} is not allowed in {NAME}; allowed: {', '.join(sorted(PYTHON_NAMES))}")
        return None

    def _sequence(self, node: SequenceNode, where: tuple, depth: int) -> list:
        out = []
        for index, item in enumerate(node.value):
            self.marks[where + (index,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            out.append(self.convert(item, where + (index,), depth + 1))
        return out

    def _mapping(self, node: Node, where: tuple, depth: int) -> dict:
        """A mapping whose keys are plain texts, each once (a key that is not is a problem, and left out)."""
        data: dict = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag != "tag:yaml.org,2002:str":
                self.problem(key, "a key must be plain text")
                continue
            if key.value in data:
                self.problem(key, f"duplicate key {key.value!r}")
                continue
            self.marks[where + (key.value,)] = (key.start_mark.line + 1, key.start_mark.column + 1)
            data[key.value] = self.convert(value, where + (key.value,), depth + 1)
        return data

    def at(self, where: tuple, message: str) -> None:
        while where and where not in self.marks:  # a value given in a shorter form: the nearest setting
            where = where[:-1]
        line, column = self.marks.get(where, (1, 1))
        self.problems.append(Problem(self.path, line, column, message, "mkdocs-config"))


def _read_bytes(root: Path) -> tuple[Optional[bytes], list[Problem]]:
    """The file's bytes, read as every data file is (see :mod:`gitdesk.load.files`); None when there is none."""
    if not os.path.lexists(root / NAME):
        return None, []
    try:
        return read_data_file(root, NAME), []
    except DataFileError as exc:
        return None, [Problem(NAME, 1, 1, f"{NAME}: {exc}", exc.code)]


def source_text(root: Path) -> Optional[str]:
    """The file's text for quoting under a problem (None unless it is a readable regular file of the repository)."""
    raw, _ = _read_bytes(Path(root))
    return raw.decode("utf-8-sig", errors="replace") if raw is not None else None


def read(root: Path) -> tuple[Optional[dict], list[Problem]]:
    """The repository's mkdocs.yml as checked plain data (None when there is none), and its problems."""
    raw, problems = _read_bytes(Path(root))
    if raw is None:
        return None, problems
    reader = _Reader(NAME)
    try:
        data = _parse(raw, reader)
    except _NotRead as exc:
        return None, [exc.problem]
    if not isinstance(data, dict):
        return None, [Problem(NAME, 1, 1, f"{NAME} must be a mapping of settings", "mkdocs-config")]
    _check(data, reader)
    problems = reader.problems
    return (None if problems else data), problems


class _NotRead(Exception):
    """The file is not YAML that can be read: the one problem said about it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _parse(raw: bytes, reader: _Reader) -> Any:
    """The document as plain data (an empty one is ``{}``), tags checked by ``reader``; :class:`_NotRead` if unreadable."""
    try:
        text = decode(raw)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = reader.convert(node, ()) if node is not None else {}
    except YamlProblem as exc:
        raise _NotRead(Problem(NAME, exc.line, exc.column, exc.message, "yaml")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _NotRead(Problem(NAME, line, column, f"YAML syntax: {message}", "yaml")) from None
    except (yaml.YAMLError, RecursionError, MemoryError) as exc:
        message = str(exc) if isinstance(exc, yaml.YAMLError) else "the document is nested too deeply"
        raise _NotRead(Problem(NAME, 1, 1, f"YAML syntax: {message}", "yaml")) from None
    return {} if data is None else data


def _check(data: dict, r: _Reader) -> None:
    """Every allow-list of the module docstring, one kind of setting after another (problems in that order)."""
    _check_keys(data, r)
    theme = _check_theme(data, r)
    for setting in _NAMED:
        if data.get(setting.key) is not None:
            _check_named(data[setting.key], setting, r)
    _check_extra(data.get("extra"), r)
    _check_extra_css(data.get("extra_css"), r)
    paths = _theme_paths(theme)  # options that name a file of the site: checked as paths, not as texts
    _check_paths(paths, r)
    paths.update(_search_separators(data.get("plugins")))
    _check_texts(data, paths, r)


def _check_texts(data: dict, skip: dict, r: _Reader) -> None:
    """No markup in the texts written into pages as they are; the escaped ones must be texts."""
    for key in data:
        if key not in ESCAPED_TEXTS and key not in REPLACED and key != "extra_css":
            _plain_texts(data[key], (key,), r, skip=skip)
    for key in ("site_name", "site_description", "site_author", "copyright"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            r.at((key,), f"{key} must be text")


def _check_keys(data: dict, r: _Reader) -> None:
    for key in list(data):
        if key not in KEYS:
            hint = " (it would run code from the repository)" if key == "hooks" else ""
            r.at((key,), f"{key!r} is not allowed in {NAME}{hint}; allowed: {', '.join(sorted(KEYS))}")


def _check_theme(data: dict, r: _Reader) -> Any:
    """The theme's name and options; ``theme: material`` is made the mapping it stands for (the theme is returned)."""
    theme = data.get("theme")
    if isinstance(theme, str):
        theme = data["theme"] = {"name": theme}
    if theme is None:
        return None
    if not isinstance(theme, dict):
        r.at(("theme",), "theme must be material, or a mapping with name: material")
        return theme
    if theme.get("name", "material") != "material":
        r.at(("theme", "name"), f"the portal's theme is material, not {theme.get('name')!r}")
    for key in theme:
        if key not in THEME_KEYS:
            r.at(("theme", key), f"theme option {key!r} is not allowed (site_src/overrides/ holds the portal's "
                                 f"template overrides); allowed: {', '.join(sorted(THEME_KEYS))}")
    return theme


class _Named(NamedTuple):
    """A setting that names things mkdocs loads: which names it allows, and how their options are checked."""

    key: str
    allowed: frozenset
    refusal: Callable[[str], str]
    check_options: Callable[[str, Any, tuple, _Reader], None]


def _check_named(setting: Any, kind: _Named, r: _Reader) -> None:
    for index, name in _named_items(setting, (kind.key,), r):
        if name not in kind.allowed:
            r.at((kind.key,) + index, kind.refusal(name))
        else:
            kind.check_options(name, *_options(setting, (kind.key,), index, name), r)


def _check_extra(extra: Any, r: _Reader) -> None:
    if extra is None:
        return
    if not isinstance(extra, dict):
        r.at(("extra",), "extra must be a mapping")
        return
    for key in extra:
        if key != "generator":
            r.at(("extra", key), f"extra.{key} is not allowed (only extra.generator)")


def _check_extra_css(css: Any, r: _Reader) -> None:
    if css is None:
        return
    if not isinstance(css, list) or not all(isinstance(c, str) for c in css):
        r.at(("extra_css",), "extra_css must be a list of paths")
        return
    for index, item in enumerate(css):
        if not safe_path(item):
            r.at(("extra_css", index), f"extra_css {item!r} must be a path inside the site: letters, digits "
                                       "and -_./, no '..', no URL")


def _theme_paths(theme: Any) -> dict:
    """The theme's options that name a file of the site (logo, favicon, every text of icon), by their place."""
    paths: dict = {}
    if isinstance(theme, dict):
        for path_key in ("logo", "favicon"):
            if isinstance(theme.get(path_key), str):
                paths[("theme", path_key)] = theme[path_key]
        _strings(theme.get("icon"), ("theme", "icon"), paths)
    return paths


def _check_paths(paths: dict, r: _Reader) -> None:
    for where, value in paths.items():
        if not safe_path(value):
            r.at(where, f"{'.'.join(map(str, where))} {value!r} must be a name or path inside the site: letters, "
                        "digits and -_./, no '..', no URL")


def _search_separators(plugins: Any) -> dict:
    """The search plugin's word separator by its place: material's documented one has " and `, and it is
    only ever written as JSON, so it is not held to the plain-text rule."""
    found = {}
    for index, item in enumerate(plugins if isinstance(plugins, list) else []):
        options = item.get("search") if isinstance(item, dict) else None
        if isinstance(options, dict) and isinstance(options.get("separator"), str):
            found[("plugins", index, "search", "separator")] = options["separator"]
    return found


def _named_items(value: Any, where: tuple, r: _Reader) -> list[tuple[tuple, str]]:
    """A plugins or markdown_extensions setting's names: a list of names or one-key mappings, or a mapping."""
    if isinstance(value, dict):
        return [((name,), name) for name in value]
    if not isinstance(value, list):
        r.at(where, f"{where[0]} must be a list")
        return []
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            out.append(((index,), item))
        elif isinstance(item, dict) and len(item) == 1:
            out.append(((index,), next(iter(item))))
        else:
            r.at(where + (index,), f"each item of {where[0]} is a name, or a name with its options")
    return out


def _options(setting: Any, where: tuple, index: tuple, name: str) -> tuple[Any, tuple]:
    """The options given to a plugin or extension (None when it is named alone), and their place."""
    if isinstance(setting, dict):  # {name: options}
        return setting[name], where + (name,)
    item = setting[index[0]]
    return (item.get(name), where + index + (name,)) if isinstance(item, dict) else (None, where + index)


def _plugin_options(name: str, options: Any, where: tuple, r: _Reader) -> None:
    if not isinstance(options, dict):
        return  # named alone, or options of the wrong type (mkdocs reports those)
    allowed = PLUGIN_OPTIONS[name]
    for key in options:
        if key not in allowed:
            r.at(where + (key,), f"option {key!r} of the {name} plugin is not allowed (it reads or writes a file, or "
                                 f"names Python code); allowed: {', '.join(sorted(allowed))}")


def _extension_options(name: str, options: Any, where: tuple, r: _Reader) -> None:
    if not isinstance(options, dict):
        return
    name = name.removeprefix("markdown.extensions.")
    if name == "pymdownx.emoji" and "options" in options:
        _emoji_options(options["options"], where + ("options",), r)
    if name == "wikilinks":
        for key in WIKILINK_URLS:
            value = options.get(key)
            if isinstance(value, str) and (":" in value or "\\" in value):
                r.at(where + (key,), f"wikilinks {key} {value!r} must be a path of the site, not a URL")


def _emoji_options(given: Any, where: tuple, r: _Reader) -> None:
    """The emoji extension's generator options: only :data:`EMOJI_OPTIONS`, each other one refused with its reason."""
    if not isinstance(given, dict):
        r.at(where, "the emoji extension's options must be a mapping")
        return
    for key in given:
        if key not in EMOJI_OPTIONS:
            why = EMOJI_REFUSED.get(key, "it is not one of the emoji options the portal allows")
            r.at(where + (key,), f"emoji option {key!r} is not allowed: {why}; allowed: "
                                 f"{', '.join(sorted(EMOJI_OPTIONS))}")


#: plugins and markdown_extensions: the names each allows, the refusal of another name, the check of options.
_NAMED = (
    _Named("plugins", PLUGINS, lambda name: f"plugin {name!r} is not allowed; allowed: {', '.join(sorted(PLUGINS))}",
           _plugin_options),
    _Named("markdown_extensions", EXTENSIONS,
           lambda name: f"Markdown extension {name!r} is not allowed; see the README for the list", _extension_options),
)


def safe_path(value: str) -> bool:
    """A relative path inside the site, of letters, digits and ``-_./``, without ``..``."""
    return bool(SAFE_PATH.fullmatch(value)) and not value.startswith("/") and ".." not in value.split("/")


def _strings(value: Any, where: tuple, into: dict, keys: bool = False) -> None:
    """Every text in a setting by its place (with ``keys``, the keys of its mappings too, at a place of their own)."""
    if isinstance(value, str):
        into[where] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            if keys:
                into[where + (key, None)] = key
            _strings(item, where + (key,), into, keys)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _strings(item, where + (index,), into, keys)


#: Characters that would end an attribute or start an element where a theme writes an option unescaped.
MARKUP = frozenset("<>\"'`")


def _plain_texts(value: Any, where: tuple, r: _Reader, skip: dict = {}) -> None:
    """Options that mkdocs' and material's templates may write as they are: no markup characters in them."""
    texts: dict = {}
    _strings(value, where, texts, keys=True)
    for place, text in texts.items():
        if place not in skip and MARKUP.intersection(text):
            r.at(place[:-1] if place[-1] is None else place, "this text may not contain <, >, \", ' or ` (mkdocs and material write options into the "
                        "page as they are; only site_name, site_description, site_author and copyright are escaped)")
