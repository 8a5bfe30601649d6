"""The portal's own theme, shipped with gitdesk: stylesheets, template overrides, search words, lean sites.

What every site gets, whatever the data repository's ``site_src/`` holds:

- the scripts of ``theme/*.js`` (the menu's button reachable by keyboard) and
  the stylesheets of ``theme/*.css`` (the portal's layout, tables that scroll
  in their own box on a phone, print basics; each part of the portal adds its
  own file there), linked before site_src's, so a provider's stylesheet
  changes what they set;
- the template overrides of ``theme/overrides/`` (a named search dialog, the
  404 page in the site's language), under the repository's checked overrides;
- page bodies whose tables sit in a scrollable, named region, and whose blocks
  and line breaks are whitespace to the search index (:func:`finished_body`);
- a search separator that splits Italian elisions (:func:`search_plugins`);
- after mkdocs, only the files a site uses: no source maps, only the search
  language files its search loads (:func:`trim`).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Iterable, Optional

THEME = Path(__file__).with_name("theme")
OVERRIDES = THEME / "overrides"
#: Where the theme's stylesheets are in each site.
ASSET_FOLDER = "assets/gitdesk"


# ---------------------------------------------------------------- the theme's files


def stylesheets() -> dict[str, bytes]:
    """The theme's stylesheets by their path in a site, sorted by name."""
    return {f"{ASSET_FOLDER}/{p.name}": p.read_bytes() for p in sorted(THEME.glob("*.css")) if p.is_file()}


def scripts() -> dict[str, bytes]:
    """The theme's scripts (what material leaves to the mouse, made reachable by keyboard) by their path in a site."""
    return {f"{ASSET_FOLDER}/{p.name}": p.read_bytes() for p in sorted(THEME.glob("*.js")) if p.is_file()}


def override_files() -> dict[str, bytes]:
    """The theme's template overrides by their path inside the theme's ``custom_dir``."""
    return {p.relative_to(OVERRIDES).as_posix(): p.read_bytes()
            for p in sorted(OVERRIDES.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def private(site_name: str) -> bool:
    """Whether a site is for its readers only (a customer's, the staff's): every site but the public one."""
    return site_name != "public"


#: Links from the server's root: attributes, and the base and search worker of material's page configuration.
_ROOTED = re.compile(r'((?:href|src)="|"(?:base|search)": ")/(?!/)')


def rooted(page: str, root: str) -> str:
    """A page's links from the server's root (``/assets/...``: mkdocs' 404 page without a site_url) made
    links from the site's root (``/customers/<id>/assets/...``)."""
    return _ROOTED.sub(lambda m: m.group(1) + root, page)


# ---------------------------------------------------------------- search


#: The search plugin's word separator per language, where material's default (blanks and hyphens) is not
#: enough: Italian elides articles and prepositions with an apostrophe ("nell'ufficio" holds "ufficio").
SEPARATORS = {"it": r"[\s\-'’]+"}


def _name(item) -> str:
    return item if isinstance(item, str) else next(iter(item), "")


def search_plugins(plugins: list, language: str) -> list:
    """The plugins with the search plugin's separator for the language, unless the configuration gives one."""
    separator = SEPARATORS.get(language)
    if separator is None:
        return plugins
    out = []
    for item in plugins:
        if _name(item) in ("search", "material/search"):
            name = _name(item)
            options = dict(item.get(name) or {}) if isinstance(item, dict) else {}
            options.setdefault("separator", separator)
            item = {name: options}
        out.append(item)
    return out


# ---------------------------------------------------------------- page bodies

_TABLE = re.compile(r"<table\b|</table\s*>|<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
#: Ends of blocks and cells, and line breaks, with no whitespace before them: the search index joins the text
#: on either side into one word unless there is some. The space goes inside the element, at the end of the text
#: it ends, so that it adds no piece of text of its own for the search index to walk through.
_BLOCK_END = r"(?:br\b|/(?:p|li|td|th|dt|dd|div|h[1-6]|caption)\s*>)"
#: After text: the space goes before the tag. After an inline element's end (``</a></td>``): after that end.
_BREAKS = re.compile(rf"(?<=[^\s>])<(?={_BLOCK_END})", re.IGNORECASE)
_BREAKS_AFTER_INLINE = re.compile(rf"(</(?:a|b|i|em|strong|span|small|code|time|abbr)>)(?=<{_BLOCK_END})", re.IGNORECASE)
#: Block and table elements: whitespace beside their tags shows nothing (no word is joined or split by it).
_BLOCK = r"(?:p|li|td|th|tr|table|thead|tbody|tfoot|div|ul|ol|dl|dt|dd|h[1-6]|section|aside|figure|figcaption|form|caption)"
#: Whitespace between a block's tag and the next tag, and between a tag and a block's tag.
_AFTER_BLOCK = re.compile(rf"(</?{_BLOCK}\b[^<>]*>)\s+(?=<)", re.IGNORECASE)
_BEFORE_BLOCK = re.compile(rf">\s+(?=</?{_BLOCK}\b)", re.IGNORECASE)


def _without_gaps_at_blocks(body: str) -> str:
    """The body without the whitespace between a block's tag and another tag: the search index would walk
    through each as a piece of text of its own, and a browser shows none of it."""
    return _BEFORE_BLOCK.sub(">", _AFTER_BLOCK.sub(r"\1", body))


#: A cell that holds a figure only (an amount, a quantity, hours, a percentage): no word to search for.
_FIGURE_CELL = re.compile(r"<td(\s[^>]*)?>([^<]*)</td>", re.IGNORECASE)
_FIGURE = re.compile(r"[\s\d.,:%€$£+\-−–()]*\d[\s\d.,:%€$£+\-−–()]*(?:h|min|€)?\s*", re.IGNORECASE)


def finished_body(body: str, label: str) -> str:
    """A page's HTML body as every site shows it.

    Each top-level table sits in a region of its own that scrolls sideways
    when the table is wider than the screen (focusable and named after the
    heading above it, or ``label``, so a keyboard can scroll it and a screen
    reader names it); cells that hold only a figure are left out of the
    search index; a line break or the end of a block or cell comes after
    whitespace, so the search index never joins two words into one.
    """
    body = _without_gaps_at_blocks(_framed_tables(body, label))
    return _BREAKS_AFTER_INLINE.sub(r"\1 ", _BREAKS.sub(" <", _figures_unindexed(body)))


def _framed_tables(body: str, label: str) -> str:
    out, depth, heading, last = [], 0, label, 0
    for match in _TABLE.finditer(body):
        token = match.group(0)
        if match.group(1):  # a heading: the name of the tables below it
            text = html.unescape(_TAG.sub("", match.group(2))).strip()
            heading = text or label
            continue
        if token.lower().startswith("<table"):
            if depth == 0:
                out.append(body[last:match.start()])
                out.append(f'<div class="gd-scroll" role="region" tabindex="0" '
                           f'aria-label="{html.escape(heading, quote=True)}">')
                last = match.start()
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                out.append(body[last:match.end()])
                out.append("</div>")
                last = match.end()
    if depth:  # an unclosed table: left as it was
        return body
    out.append(body[last:])
    return "".join(out)


def _figures_unindexed(body: str) -> str:
    def cell(match: re.Match) -> str:
        attrs, text = match.group(1) or "", match.group(2)
        if not text.strip() or not _FIGURE.fullmatch(html.unescape(text)) or "data-search-exclude" in attrs:
            return match.group(0)
        return f"<td{attrs} data-search-exclude>{text}</td>"

    return _FIGURE_CELL.sub(cell, body)


# ---------------------------------------------------------------- after mkdocs: only what a site uses

LUNR = "assets/javascripts/lunr"


def lunr_files(languages: Iterable[str]) -> set[str]:
    """The files under ``assets/javascripts/lunr`` that material's search worker loads for these languages.

    As its worker does: nothing for English alone; for any other language its
    ``min/lunr.<lang>.min.js`` and the stemmer support; ``tinyseg.js`` for
    Japanese, ``wordcut.js`` for Hindi and Thai; ``min/lunr.multi.min.js``
    with more than one language.
    """
    languages = list(languages)
    needed: set[str] = set()
    for lang in languages:
        if lang == "ja":
            needed.add("tinyseg.js")
        elif lang in ("hi", "th"):
            needed.add("wordcut.js")
        if lang != "en":
            needed.add(f"min/lunr.{lang}.min.js")
    if len(languages) > 1:
        needed.add("min/lunr.multi.min.js")
    if needed:
        needed.add("min/lunr.stemmer.support.min.js")
    return needed


def search_languages(plugins) -> Optional[list[str]]:
    """The languages a site's search loads, from mkdocs' plugins (None without a search plugin)."""
    for name in ("material/search", "search"):
        plugin = plugins.get(name)
        if plugin is not None:
            return list(plugin.config.lang or [])
    return None


def unused(uri: str, languages: Optional[Iterable[str]]) -> bool:
    """Whether a file of the theme, at ``uri`` in the site, is one the site never uses (see :func:`trim`)."""
    if uri.endswith(".map"):
        return True
    if languages is None or not uri.startswith(LUNR + "/"):
        return False
    return uri[len(LUNR) + 1:] not in lunr_files(languages)


_SOURCE_MAP = re.compile(rb"\n?/[/*]# sourceMappingURL=[^\s*]+(?: \*/)?\s*$")


def trim(site: Path, languages: Optional[Iterable[str]]) -> None:
    """Delete what a built site never uses: source maps (and the comments naming them), and the search
    language files its search does not load.

    Only regular files inside ``site`` are touched (links are never followed).
    ``languages`` None (no search plugin) keeps every search file.
    """
    site = Path(site)
    doomed = [p for p in _files(site) if p.suffix == ".map"]
    if languages is not None and (site / LUNR).is_dir():
        keep = lunr_files(languages)
        doomed += [p for p in _files(site / LUNR) if p.relative_to(site / LUNR).as_posix() not in keep]
    for path in doomed:
        path.unlink()
    for path in _files(site / "assets"):
        if path.suffix in (".js", ".css"):
            _drop_source_map_comment(path)
    _remove_empty_folders(site / LUNR)


def _regular(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _files(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, without going through a link."""
    found = []
    for top, dirs, names in os.walk(folder, followlinks=False):
        found += [Path(top) / n for n in names if _regular(Path(top) / n)]
    return found


def _drop_source_map_comment(path: Path) -> None:
    data = path.read_bytes()
    tail = data[-300:]
    match = _SOURCE_MAP.search(tail)
    if match:
        path.write_bytes(data[: len(data) - len(tail) + match.start()] + b"\n")


def _remove_empty_folders(folder: Path) -> None:
    for top, dirs, names in os.walk(folder, topdown=False, followlinks=False):
        if not os.listdir(top) and not os.path.islink(top):
            os.rmdir(top)
