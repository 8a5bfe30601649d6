"""YAML text to plain data, with libyaml's C parser, and back to positions.

The happy path composes the document with ``CBaseLoader`` (no implicit typing:
every scalar stays text, so the model parses money and timestamps from what
was written) and turns the node tree into dicts, lists and strings. Positions
are only needed when something is wrong, so they are found afterwards by
walking the node tree along a path (:func:`locate`): the fast path pays
nothing for them but one line and column per mapping.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Optional, Sequence

import yaml
from yaml.events import MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitdesk.core.errors import Problem
from gitdesk.core.model import PATH, POS

try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Loader(_Parser):  # type: ignore[misc,valid-type]
    """libyaml's parser and composer with no tag resolution: every scalar stays text.

    The composer asks the resolver three things per node; we need none of
    the answers, so they are C builtins that cost next to nothing to call
    (a Python method would run for every node of every file): tags are left
    meaningless and never read.
    """

    resolve = slice  # (kind, value, implicit) -> an unused tag
    descend_resolver = slice  # (parent, index) -> ignored
    ascend_resolver = tuple  # () -> ignored

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
MAX_NODES = 200_000  # far beyond any real file; stops alias bombs


class YamlProblem(Exception):
    """The text is not a YAML document we can read; carries a position."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_NODES


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) to text, or a located problem."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, column) from None
    if "\x00" in text:
        idx = text.index("\x00")
        line = text.count("\n", 0, idx) + 1
        raise YamlProblem("the file contains a NUL character", line, idx - text.rfind("\n", 0, idx))
    return text


#: Deeper than this a document is refused (see :func:`_convert`); checked before composing too.
MAX_DEPTH = 60
#: A document with at most this many characters that can open a level is composed without a depth check.
_SHALLOW = 5000
_OPENERS = "[{-:?"


def _check_depth(text: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` before it is composed.

    libyaml's composer recurses on the C stack: tens of thousands of nested
    brackets, a few tens of kilobytes, would crash the process instead of
    raising. Every level needs a character of :data:`_OPENERS`, so a file with
    few of them (every real file) needs no more; the others are walked as
    parser events, which libyaml produces with a stack of its own.
    """
    if sum(map(text.count, _OPENERS)) <= _SHALLOW:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            cls = event.__class__
            if cls is SequenceStartEvent or cls is MappingStartEvent:
                depth += 1
                if depth > MAX_DEPTH + 1:  # the top level is depth 0 to _convert
                    mark = event.start_mark
                    raise YamlProblem("the document is nested too deeply", mark.line + 1, mark.column + 1)
            elif cls is SequenceEndEvent or cls is MappingEndEvent:
                depth -= 1
    except yaml.YAMLError:
        return  # a syntax error: compose reports it where it is


def compose(text: str) -> Optional[Node]:
    """The document's node tree (None for an empty document)."""
    _check_depth(text)
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if mark is not None:
            raise YamlProblem(f"YAML syntax: {message}", mark.line + 1, mark.column + 1) from None
        raise YamlProblem(f"YAML syntax: {message}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax: {exc}") from None
    except (RecursionError, MemoryError):
        raise YamlProblem("the document is nested too deeply") from None


def to_data(node: Node) -> Any:
    """Plain data from a node tree: dict (with :data:`POS`), list, str or None.

    Duplicate keys, non-text keys and alias loops become :class:`YamlProblem`.
    """
    return _convert(node, _Budget(), 0)


def _convert(node: Node, budget: _Budget, depth: int) -> Any:
    # Written for speed: every ticket's every value passes here once.
    cls = node.__class__
    if cls is ScalarNode:
        value = node.value
        return None if not node.style and value in _NULLS else value
    pairs = node.value
    budget.left -= len(pairs) + 1  # counts the nodes an alias repeats, to stop alias bombs
    if budget.left < 0:
        raise YamlProblem("the document is too large (too many aliases?)", node.start_mark.line + 1)
    if depth > MAX_DEPTH:
        raise YamlProblem("the document is nested too deeply", node.start_mark.line + 1)
    if cls is SequenceNode:
        return [_convert(item, budget, depth + 1) for item in pairs]
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key.__class__ is not ScalarNode:
            raise YamlProblem("a key must be plain text", key.start_mark.line + 1, key.start_mark.column + 1)
        if value.__class__ is ScalarNode:  # the common case, without a call
            text = value.value
            data[key.value] = None if not value.style and text in _NULLS else text
        else:
            data[key.value] = _convert(value, budget, depth + 1)
    if len(data) != len(pairs) or "<<" in data:
        _repeated_key(pairs)
    mark = node.start_mark
    data[POS] = (mark.line + 1, mark.column + 1)
    return data


def _repeated_key(pairs) -> None:
    """The first repeated (or merge) key of a mapping, as a problem."""
    seen = set()
    for key, _ in pairs:
        name = key.value
        if name in seen or name == "<<":
            what = "merge keys (<<) are not supported" if name == "<<" else f"duplicate key {name!r}"
            raise YamlProblem(what, key.start_mark.line + 1, key.start_mark.column + 1)
        seen.add(name)


def load(raw: bytes) -> Any:
    """Bytes of a file to plain data; raises :class:`YamlProblem`."""
    node = compose(decode(raw))
    if node is None:
        raise YamlProblem("the file is empty")
    return to_data(node)


def strip_positions(data: Any) -> Any:
    """The same data without :data:`POS` markers (for exports and tests)."""
    if isinstance(data, dict):
        return {k: strip_positions(v) for k, v in data.items() if k != POS}
    if isinstance(data, list):
        return [strip_positions(v) for v in data]
    return data


def locate(text: str, path: Sequence[Any], key: bool = False) -> tuple[int, int]:
    """Line and column (from 1) of the value at ``path`` in the document.

    With ``key`` the position of the mapping key itself (for an unknown field).
    A path that goes further than the document stops at the deepest node found,
    which is where a missing field belongs.
    """
    try:
        _check_depth(text)
        node = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, YamlProblem, RecursionError):
        return 1, 1
    if node is None:
        return 1, 1
    target: Node = node
    key_node: Optional[Node] = None
    for step in path:
        key_node = None
        if isinstance(target, MappingNode) and isinstance(step, str):
            for k, v in target.value:
                if isinstance(k, ScalarNode) and k.value == step:
                    key_node, target = k, v
                    break
            else:
                break
        elif isinstance(target, SequenceNode) and isinstance(step, int) and 0 <= step < len(target.value):
            target = target.value[step]
        else:
            break
    chosen = key_node if (key and key_node is not None) else target
    return chosen.start_mark.line + 1, chosen.start_mark.column + 1


def locate_all(problems: Iterable[Problem], read_text) -> list[Problem]:
    """Give every problem a line and column; ``read_text(path)`` returns a file's text or None."""
    out = []
    cache: dict[str, Optional[str]] = {}
    for p in problems:
        if not p.located:
            if p.path not in cache:
                cache[p.path] = read_text(p.path)
            text = cache[p.path]
            line, column = locate(text, p.where, p.at_key) if text is not None else (1, 1)
            p = replace(p, line=line, column=column)
        out.append(p)
    return sorted(set(out), key=lambda p: (p.path, p.line, p.column, p.message))
