"""The files of site_src/, and the theme overrides checked as data before any build.

``site_src/`` is read like the data: only regular files inside the repository,
at most 1 MiB each (:func:`gitdesk.load.files.read_data_file`), and no folder
through a link. What is read is all a build ever sees of it: the overrides are
written into a private folder of the build, and that folder is the theme's
``custom_dir``, so no template loader reads the repository.

Theme overrides (``site_src/overrides/``) change the portal's presentation,
never what it does. Their templates (``.html``, and ``.svg``, which material
includes as templates) are parsed with Jinja's parser and may hold only:

- ``{% extends "<name>" %}`` once, at the top level, naming a template of the
  theme (``"base.html"``, ``"main.html"``, ...) or another override;
- ``{% block NAME %}...{% endblock %}``, holding HTML and ``{{ super() }}``;
- HTML and text, ``{% raw %}``, comments and whitespace control.

Anything else (a variable, a filter, a call, ``include``, ``import``, ``set``,
``macro``, ``for``, ``if``, ...) is a problem at its line and column. Other
files are assets the theme copies into each site as they are: stylesheets,
scripts, images and fonts (:data:`ASSETS`).
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from gitdesk.load import files as files_mod
from gitdesk.core.errors import Problem

FOLDER = "site_src/overrides"
#: Files the theme's template loader may read: checked as templates.
TEMPLATES = (".html", ".svg")
#: Files the theme copies into each site as they are.
ASSETS = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2")
#: Files beside the overrides that are not part of them (not copied, not reported).
IGNORED = frozenset({".gitkeep", ".gitignore", "README.md"})

ONLY = "theme overrides may hold HTML inside blocks and {{ super() }} only: "
#: Problems reported of one template at most (the last one counts the rest).
MAX_SHOWN = 50


# ---------------------------------------------------------------- reading site_src/


def read_tree(root: Path | str, top: str) -> tuple[dict[str, bytes], list[Problem]]:
    """The files under the folder ``top`` of the repository (``site_src/public``), by path inside it.

    Folders are listed without following links: a link to a folder, the
    folder ``top`` or one on its way being a link included, is a problem; a
    file is read by :func:`gitdesk.load.files.read_data_file` (a link to a file of
    the repository is followed, any other file that is not a regular file of
    the repository is a problem, with none of its bytes).
    """
    root = str(root)
    problems: list[Problem] = []
    parts = top.split("/")
    for i in range(1, len(parts) + 1):
        rel = "/".join(parts[:i])
        try:
            mode = os.lstat(os.path.join(root, rel)).st_mode
        except FileNotFoundError:
            return {}, []
        except OSError as exc:
            return {}, [Problem(rel, 1, 1, f"cannot read it: {exc.strerror}", "io")]
        if stat.S_ISLNK(mode):
            return {}, [Problem(rel, 1, 1, "a link to a folder: folders under site_src/ are not followed through links",
                                "file-link")]
        if not stat.S_ISDIR(mode):
            return {}, [Problem(rel, 1, 1, f"{files_mod.kind_of(mode)} where the folder {rel}/ belongs", "file-kind")]
    found: dict[str, bytes] = {}
    root_real = files_mod.real_root(root)

    def walk(folder: str) -> None:
        try:
            with os.scandir(os.path.join(root, folder)) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem(folder, 1, 1, f"cannot read the folder: {exc.strerror}: the files in it are not read", "io"))
            return
        for entry in entries:
            rel = f"{folder}/{entry.name}"
            if not files_mod.printable(entry.name):
                problems.append(Problem(files_mod.shown(rel), 1, 1, "the name is not UTF-8 text or holds a control "
                                        "character: rename it to be read", "file-name"))
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk(rel)
                    continue
                if entry.is_symlink() and entry.is_dir():
                    problems.append(Problem(rel, 1, 1, "a link to a folder: folders under site_src/ are not followed "
                                            "through links", "file-link"))
                    continue
            except OSError as exc:
                problems.append(Problem(rel, 1, 1, f"cannot read it: {exc.strerror}", "io"))
                continue
            try:
                found[rel[len(top) + 1:]] = files_mod.read_data_file(root, rel, root_real=root_real)
            except files_mod.DataFileError as exc:
                problems.append(Problem(rel, 1, 1, exc.message, exc.code))

    walk(top)
    return found, problems


# ---------------------------------------------------------------- the overrides


def read(root: Path | str) -> tuple[dict[str, bytes], list[Problem]]:
    """The overrides' files (by path inside site_src/overrides) and what in them is refused."""
    found, problems = read_tree(root, FOLDER)
    kept: dict[str, bytes] = {}
    for name, data in found.items():
        path = f"{FOLDER}/{name}"
        base = name.rsplit("/", 1)[-1]
        kind = os.path.splitext(base)[1].lower()
        if base in IGNORED:
            continue
        if kind in TEMPLATES:
            problems += check_template(path, data, lambda other: other in found)
        elif kind not in ASSETS:
            problems.append(Problem(path, 1, 1, "not a file theme overrides may hold: templates (.html, .svg) and "
                                    f"assets ({', '.join(ASSETS)})", "theme-override"))
        kept[name] = data
    return kept, problems


class SiteSources(NamedTuple):
    """Everything a build takes from site_src/, read and checked, and the problems found."""

    stylesheets: dict[str, bytes]  # by path inside site_src/stylesheets
    public_pages: dict[str, bytes]  # by path inside site_src/public
    overrides: dict[str, bytes]  # by path inside site_src/overrides
    problems: list[Problem]


def site_sources(root: Path | str, public: bool = True) -> SiteSources:
    """site_src/ as a build uses it; ``gitdesk validate`` and ``check`` report its problems, ``build`` stops on them."""
    from gitdesk.portal.mkdocs_config import safe_path  # a stylesheet's name is written into every page, as extra_css

    stylesheets, problems = read_tree(root, "site_src/stylesheets")
    problems += [Problem(f"site_src/stylesheets/{name}", 1, 1, "a stylesheet's name may hold only letters, digits "
                         "and -_./ (it is written into every page as it is)", "file-name")
                 for name in stylesheets if not safe_path(f"stylesheets/{name}")]
    public_pages, more = read_tree(root, "site_src/public") if public else ({}, [])
    for name, data in public_pages.items():
        if name.lower().endswith(".md"):
            more += _page_template(f"site_src/public/{name}", data)
    override_files, theme = read(root)
    return SiteSources(stylesheets, public_pages, override_files, problems + more + theme)


#: A page's meta-data as mkdocs reads it: a YAML block between '---' lines, or 'Key: value' lines at the top.
_YAML_META = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.S)
_META_LINE = re.compile(r"^[ ]{0,3}([A-Za-z0-9_-]+):")
_META_MORE = re.compile(r"^(?:[ ]{4}|\t)")  # a value's next line
_TEMPLATE_KEY = re.compile(r"^[ ]{0,3}template[ \t]*:", re.I | re.M)


def _page_template(path: str, data: bytes) -> list[Problem]:
    """A public page may not choose its template (``template:``): mkdocs would render any file of the theme with it."""
    import yaml

    text = data.decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n")  # as mkdocs reads it
    match = _YAML_META.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            return []  # mkdocs reads no meta-data from it either
        names = [str(k).lower() for k in meta] if isinstance(meta, dict) else []
        head = match.group(1)
        offset = 1
    else:
        head = ""
        for line in text.split("\n"):
            if not (_META_LINE.match(line) or (head and _META_MORE.match(line))):
                break
            head += line + "\n"
        names = [m.group(1).lower() for m in map(_META_LINE.match, head.splitlines()) if m]
        offset = 0
    if "template" not in names:
        return []
    at = _TEMPLATE_KEY.search(head)
    line = head.count("\n", 0, at.start()) + 1 + offset if at else 1
    return [Problem(path, line, 1, "a page of the portal may not choose its template ('template:'): the theme "
                    "renders every page", "page-template")]


def write(files: dict[str, bytes], folder: Path) -> None:
    """The checked overrides, written into a folder of the build (the theme's ``custom_dir``)."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@lru_cache(maxsize=1)
def _parser():
    import jinja2

    return jinja2.Environment(extensions=["jinja2.ext.i18n"])  # as mkdocs' theme environment parses


@lru_cache(maxsize=1)
def _theme_folder() -> Optional[str]:
    import importlib.util

    spec = importlib.util.find_spec("material")
    locations = spec.submodule_search_locations if spec is not None else None
    return os.path.join(list(locations)[0], "templates") if locations else None


def theme_has(name: str) -> bool:
    """Whether material has a template of that name (``base.html``, ``partials/footer.html``)."""
    pieces = name.split("/")
    folder = _theme_folder()
    if folder is None or any(p in ("", ".", "..") for p in pieces):
        return False
    return os.path.isfile(os.path.join(folder, *pieces))


def check_template(path: str, data: bytes, is_override: Callable[[str], bool]) -> list[Problem]:
    """What the template at ``path`` holds beyond HTML in blocks and ``{{ super() }}``, located."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [Problem(path, line, 1, "a template must be UTF-8 text", "encoding")]
    if "{" not in text:
        return []  # HTML only: nothing to parse
    try:
        return _Check(path, text, is_override).run()
    except RecursionError:
        return [Problem(path, 1, 1, "the template is nested too deeply to be checked", "theme-override")]


# ---------------------------------------------------------------- where each tag is

_NEWLINE = re.compile(r"\r\n|\r|\n")
_STRING = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"", re.S)
_OPEN = re.compile(r"\{([{%#])")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_ENDRAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_WORD = re.compile(r"[-+]?\s*(\w+)")


class Tag:
    """A ``{% %}`` or ``{{ }}`` tag of a template: where it starts, its first word (``{{`` for an expression), its text."""

    __slots__ = ("line", "column", "word", "text", "claimed")

    def __init__(self, line: int, column: int, word: str, text: str) -> None:
        self.line, self.column, self.word, self.text, self.claimed = line, column, word, text, False


def tags(text: str) -> dict[int, list[Tag]]:
    """The tags of a template by line, as Jinja's lexer finds them (not in comments, raw blocks or strings)."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    found: dict[int, list[Tag]] = {}
    pos = 0
    while (m := _OPEN.search(text, pos)) is not None:
        start, kind = m.start(), m.group(1)
        skipped = _skipped(text, m)
        if skipped is not None:
            pos = skipped
            continue
        i = _tag_end(text, m.end(), "}}" if kind == "{" else "%}")
        word = "{{"
        if kind == "%":
            w = _WORD.match(text, m.end())
            word = w.group(1) if w else ""
        line = bisect.bisect_right(starts, start)
        found.setdefault(line, []).append(Tag(line, start - starts[line - 1] + 1, word, text[start:i]))
        pos = i
    return found


def _skipped(text: str, m: "re.Match[str]") -> Optional[int]:
    """Where the scan goes on after a comment or a raw block opened at ``m`` (the end of the text if it is
    never closed); None when ``m`` opens a tag."""
    if m.group(1) == "#":
        end = text.find("#}", m.end())
        return len(text) if end < 0 else end + 2
    if m.group(1) == "%" and (raw := _RAW.match(text, m.start())) is not None:
        end = _ENDRAW.search(text, raw.end())
        return len(text) if end is None else end.end()
    return None


def _tag_end(text: str, i: int, close: str) -> int:
    """The index after a tag's ``close``, from ``i`` inside it: strings are skipped, and a ``close`` inside
    brackets does not end the tag (the end of the text if it is never closed)."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            s = _STRING.match(text, i)
            i = s.end() if s else n
            continue
        if depth == 0 and text.startswith(close, i):
            return i + 2
        if c in "([{":
            depth += 1
        elif c in ")]}" and depth:
            depth -= 1
        i += 1
    return i


# ---------------------------------------------------------------- what a template holds


class _Check:
    def __init__(self, path: str, text: str, is_override: Callable[[str], bool]) -> None:
        self.path, self.text, self.is_override = path, text, is_override
        self.tags = tags(text)
        self.free: dict[tuple, deque] = {}  # (line, first word or None for any): its tags not yet accounted for
        self.problems: list[Problem] = []
        self.extended = False
        self.blocks: set[str] = set()

    def run(self) -> list[Problem]:
        import jinja2

        try:
            tree = _parser().parse(self.text, name=self.path)
        except jinja2.TemplateSyntaxError as exc:
            line = exc.lineno or 1
            tag = self.claim(line, "")
            column = tag.column if tag else 1
            return [Problem(self.path, line, column, f"not a template Jinja can read: {exc.message}", "theme-override")]
        self.body(tree.body, in_block=False, top=True)
        if len(self.problems) > MAX_SHOWN:  # the first ones say what is wrong; a page of them would hide the rest
            more = self.problems[MAX_SHOWN]
            rest = len(self.problems) - MAX_SHOWN
            return self.problems[:MAX_SHOWN] + [Problem(self.path, more.line, more.column, f"{ONLY}{rest} more "
                                                        "constructs from here on are not allowed", "theme-override")]
        return self.problems

    def claim(self, line: int, word: str) -> Optional[Tag]:
        """The first tag of the line not yet accounted for, with that first word if there is one, else any."""
        tags = self.tags.get(line)
        if not tags:
            return None
        key = (line, word)
        queue = self.free.get(key)
        if queue is None:
            queue = self.free[key] = deque(t for t in tags if t.word == word)
        while queue and queue[0].claimed:
            queue.popleft()
        if not queue:
            queue = self.free.setdefault((line, None), deque(tags))
            while queue and queue[0].claimed:
                queue.popleft()
        if not queue:
            return None
        tag = queue.popleft()
        tag.claimed = True
        return tag

    def refuse(self, node, word: str, what: str, where: str = "") -> None:
        """A problem at the tag of ``node``, quoting it (``what`` says what it is when the tag is not found)."""
        tag = self.claim(node.lineno, word)
        if tag is not None:
            what = files_mod.shown(tag.text if len(tag.text) <= 60 else tag.text[:57] + "...")
        message = f"{ONLY}{what}{where} is not allowed"
        self.problems.append(Problem(self.path, node.lineno, tag.column if tag else 1, message, "theme-override"))

    def body(self, body, in_block: bool, top: bool = False) -> None:
        from jinja2 import nodes

        for node in body:
            if isinstance(node, nodes.Output):
                for item in node.nodes:
                    if isinstance(item, nodes.TemplateData):
                        continue
                    if in_block and _is_super(item):
                        self.claim(item.lineno, "{{")
                    else:
                        self.refuse(item, "{{", "an expression", " outside a block" if _is_super(item) else "")
            elif isinstance(node, nodes.Block):
                if node.name in self.blocks:
                    self.refuse(node, "block", "{% block %}", f" (a second block named {node.name!r})")
                else:
                    self.claim(node.lineno, "block")
                    self.blocks.add(node.name)
                self.body(node.body, in_block=True)
            elif isinstance(node, nodes.Extends):
                self.extends(node, top)
            else:
                word = _WORDS.get(type(node).__name__, "")
                self.refuse(node, word, f"{{% {word} %}}" if word else "a statement")
                self.account(node)

    def extends(self, node, top: bool) -> None:
        from jinja2 import nodes

        name = node.template.value if isinstance(node.template, nodes.Const) else None
        if not top or self.extended:
            self.refuse(node, "extends", "{% extends %}", " (once, outside blocks and statements)")
        elif not isinstance(name, str):
            self.refuse(node, "extends", "{% extends %}", " (name the template in quotes)")
        elif f"{FOLDER}/{name}" == self.path:
            self.refuse(node, "extends", "{% extends %}", " (a template extending itself)")
        elif not (theme_has(name) or (name.endswith(TEMPLATES) and self.is_override(name))):
            tag = self.claim(node.lineno, "extends")
            self.problems.append(Problem(self.path, node.lineno, tag.column if tag else 1,
                                         f"{{% extends {name!r} %}}: the theme has no such template "
                                         "(e.g. \"base.html\", \"main.html\")", "theme-override"))
        else:
            self.claim(node.lineno, "extends")
        self.extended = True

    def account(self, node) -> None:
        """Mark the tags inside a refused statement as seen, so later ones on its lines are located right."""
        from jinja2 import nodes

        for sub in node.find_all((nodes.Stmt, nodes.Output)):
            if isinstance(sub, nodes.Output):
                for item in sub.nodes:
                    if not isinstance(item, nodes.TemplateData):
                        self.claim(item.lineno, "{{")
            else:
                self.claim(sub.lineno, _WORDS.get(type(sub).__name__, ""))


#: The first word of the tag each kind of statement starts with.
_WORDS = {
    "For": "for", "If": "if", "Macro": "macro", "CallBlock": "call", "FilterBlock": "filter", "With": "with",
    "Include": "include", "Import": "import", "FromImport": "from", "Assign": "set", "AssignBlock": "set",
    "ExprStmt": "do", "ScopedEvalContextModifier": "autoescape", "EvalContextModifier": "autoescape",
    "Continue": "continue", "Break": "break", "Block": "block", "Extends": "extends",
}


def _is_super(expr) -> bool:
    from jinja2 import nodes

    return (isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Name) and expr.node.name == "super"
            and not expr.args and not expr.kwargs and expr.dyn_args is None and expr.dyn_kwargs is None)
