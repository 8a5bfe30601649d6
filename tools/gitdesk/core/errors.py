"""Problems found in a data repository, as data, and their text, JSON and GitHub forms.

A :class:`Problem` is what ``gitdesk validate`` prints: a repository-relative
path, a line and column from 1, and a message. Checks that know only *what*
is wrong (a field of a record) give a document path instead of a line
(``where``); the loader turns those into lines in one pass at the end, so the
fast path never pays for positions it does not print.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Optional, Sequence

from pydantic import ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int = 0
    column: int = 0
    message: str = ""
    code: str = field(default="invalid", compare=False)
    severity: str = field(default="error", compare=False)
    #: Where in the document, when the line is not known yet.
    where: tuple = field(default=(), compare=False, repr=False)
    #: Point at the key rather than its value (unknown fields).
    at_key: bool = field(default=False, compare=False, repr=False)

    @property
    def located(self) -> bool:
        return self.line > 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "code": self.code,
            "severity": self.severity,
        }


def at(path: str, where: Sequence[Any], message: str, code: str = "invalid", key: bool = False,
       severity: str = "error") -> Problem:
    """A problem at a place in a document, to be located later."""
    return Problem(path=path, message=message, code=code, severity=severity, where=tuple(where), at_key=key)


def suggest(name: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def from_validation(path: str, exc: ValidationError, model: Any, prefix: Sequence[Any] = ()) -> list[Problem]:
    """Pydantic's errors as problems, in words a person who writes YAML understands."""
    return [_problem_of(path, err, model, tuple(prefix) + tuple(err["loc"])) for err in exc.errors(include_url=False)]


def _problem_of(path: str, err: dict, model: Any, loc: tuple) -> Problem:
    kind = err["type"]
    field_name = str(err["loc"][-1]) if err["loc"] else ""
    if kind == "extra_forbidden":
        known = _fields_at(model, err["loc"][:-1])
        return at(path, loc, f"unknown field {field_name!r}{suggest(field_name, known)}", "unknown-field", key=True)
    if kind == "missing":
        return at(path, loc, f"missing required field {field_name!r}", "missing-field")
    reword = _REWORDED.get(kind) or (_union if kind.startswith("union") else None)
    msg = reword(err, field_name) if reword else err["msg"]
    if field_name and not field_name.isdigit() and field_name not in msg:
        msg = f"{field_name}: {msg}"
    return at(path, loc, msg, kind.replace("_", "-"))


def _without_prefix(err: dict, name: str) -> str:
    return err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _literal(err: dict, name: str) -> str:
    expected = err.get("ctx", {}).get("expected", "")
    return f"invalid value {err.get('input')!r} for {name}: expected {expected}"


def _mapping(err: dict, name: str) -> str:
    return f"{name or 'the file'} must be a mapping of fields"


def _whole_number(err: dict, name: str) -> str:
    return f"{name}: expected a whole number, not {err.get('input')!r}"


def _true_or_false(err: dict, name: str) -> str:
    return f"{name}: expected true or false, not {err.get('input')!r}"


def _bound(err: dict, name: str) -> str:
    msg = err["msg"]
    return f"{name}: {msg[0].lower()}{msg[1:]}"


def _union(err: dict, name: str) -> str:
    return f"invalid value for {name}"


#: Pydantic's error kinds said in a YAML writer's words: kind -> (error, field name) -> message.
_REWORDED: dict[str, Callable[[dict, str], str]] = {
    "value_error": _without_prefix,
    "assertion_error": _without_prefix,
    "literal_error": _literal,
    "model_type": _mapping,
    "dict_type": _mapping,
    "model_attributes_type": _mapping,
    "list_type": lambda err, name: f"{name} must be a list",
    "string_type": lambda err, name: f"{name} must be text",
    "int_parsing": _whole_number,
    "int_type": _whole_number,
    "int_from_float": _whole_number,
    "bool_parsing": _true_or_false,
    "bool_type": _true_or_false,
    "string_pattern_mismatch": lambda err, name: f"{name}: invalid id {err.get('input')!r}: use lower-case letters, "
                                                 "digits and '-'",
    "greater_than_equal": _bound,
    "less_than_equal": _bound,
    "string_too_long": _bound,
}


def _fields_at(model: Any, loc: Sequence[Any]) -> list[str]:
    """The field names a record at ``loc`` of ``model`` accepts (for 'did you mean')."""
    current = model
    for step in loc:
        if isinstance(step, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(step)
        if info is None:
            # a step through a named mapping (calendars, priorities)
            continue
        current = _record_type(info.annotation)
    if current is None or not hasattr(current, "model_fields"):
        return []
    names = []
    for name, info in current.model_fields.items():
        names.append(info.alias or name)
    return names


def _record_type(annotation: Any) -> Any:
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def strict(problems: Iterable[Problem]) -> list[Problem]:
    """Every warning made an error (``--strict``)."""
    return [p if p.severity == "error" else replace(p, severity="error") for p in problems]


def counted(n: int, word: str) -> str:
    """``1 warning``, ``2 warnings``."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


#: Problems about a file as a whole (its name, place or kind, or that it cannot be read): no line of it is quoted.
FILE_CODES = frozenset(("io", "file-kind", "file-link", "file-size", "file-name", "file-place", "not-data", "missing-file"))


def format_text(problems: Sequence[Problem], read_text=None) -> str:
    """``path:line:column: message`` with the offending line quoted under it.

    ``read_text(path)`` gives a file's text, or None for one that is not read
    as data (:func:`gitdesk.load.files.read_data_text`): only lines of data files are
    ever quoted, never a byte of a file outside the repository or not regular.
    """
    lines = []
    texts: dict[str, Optional[list[str]]] = {}
    for p in problems:
        label = "" if p.severity == "error" else f"{p.severity}: "
        lines.append(f"{p.path}:{p.line}:{p.column}: {label}{p.message}")
        if read_text is None or p.code in FILE_CODES:
            continue
        if p.path not in texts:
            text = read_text(p.path)
            texts[p.path] = text.splitlines() if text is not None else None
        src = texts[p.path]
        if src and 1 <= p.line <= len(src):
            quoted = src[p.line - 1].rstrip()
            if len(quoted) > 160:
                quoted = quoted[:157] + "..."
            lines.append(f"    {quoted}")
            if 1 <= p.column <= len(quoted) + 1:
                lines.append("    " + " " * (p.column - 1) + "^")
    return "\n".join(lines)


def format_github(problems: Sequence[Problem]) -> str:
    """GitHub Actions workflow commands: one annotation per problem."""
    out = []
    for p in problems:
        level = "error" if p.severity == "error" else "warning"
        out.append(
            f"::{level} file={_escape_property(p.path)},line={p.line},col={p.column},"
            f"title={_escape_property('gitdesk ' + p.code)}::{_escape_data(p.message)}"
        )
    return "\n".join(out)


def format_json(problems: Sequence[Problem]) -> str:
    return json.dumps([p.as_json() for p in problems], indent=2, ensure_ascii=False)
