"""One file's bytes to its record and the problems that concern that file alone: the cacheable unit.

A file's result depends on nothing but its path, its bytes and the provider's
time zone, so it is computed once per content and kept in the cache
(:mod:`gitdesk.load.cache`) under a key made of exactly those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Optional

from pydantic import ValidationError

from gitdesk.core import errors, scalars
from gitdesk.core.errors import Problem
from gitdesk.core.model import Adjustment, Customer, IssuedStatement, Plan, Provider, Record, Ticket
from gitdesk.load.discover import MONTH_DIR, SourceFile
from gitdesk.load.yamlsrc import PATH, YamlProblem, load as load_yaml

if TYPE_CHECKING:
    from gitdesk.load.cache import Cache

_MODELS: dict[str, type[Record]] = {
    "provider": Provider, "plan": Plan, "customer": Customer, "ticket": Ticket,
    "issued": IssuedStatement, "adjustment": Adjustment,
}

#: Stands in a file's problems when its record was salvaged: it is not to be computed on.
PARTIAL = Problem("", 0, 0, "partial record", "partial", "internal")

#: Fields of a record that may be dropped to salvage the rest (the optional ones).
_LISTS = ("log", "interventions", "contracts", "packages", "contacts", "team", "parts")


def read_record(kind: str, path: str, raw: bytes, tz_name: str) -> tuple[Optional[Record], list[Problem]]:
    """A file's bytes to its record and the problems that concern this file alone.

    A record that failed validation in part comes back salvaged (see
    :func:`_salvage`) with :data:`PARTIAL` among its problems.
    """
    try:
        data = load_yaml(raw)
    except YamlProblem as exc:
        return None, [Problem(path, exc.line, exc.column, exc.message, "yaml")]
    if not isinstance(data, dict):
        return None, [Problem(path, 1, 1, f"a {kind} file must be a mapping of fields", "not-a-mapping")]
    problems = _named_by_file(kind, path, data)
    tz = scalars.zone(tz_name) if tz_name else None
    data[PATH] = path
    record = _validate(_MODELS[kind], path, data, {"tz": tz}, problems)
    if kind == "ticket" and record is not None:
        problems += _month_folder(path, record, tz)
    return record, problems


def _named_by_file(kind: str, path: str, data: dict) -> list[Problem]:
    """A record's id is its file's name: set it, and report an ``id`` that says otherwise."""
    if kind == "provider":
        return []
    stem = path.rsplit("/", 1)[-1][: -len(".yaml")]
    declared = data.get("id")
    data["id"] = stem
    if declared is not None and declared != stem:
        return [errors.at(path, ("id",), f"id {declared!r} disagrees with the file name {stem!r}", "id-mismatch")]
    return []


def _validate(model, path: str, data: dict, context: dict, problems: list[Problem]) -> Optional[Record]:
    """The record of the plain data; its problems added to ``problems``."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems += errors.from_validation(path, exc, model)
        record = _salvage(model, data, exc, context)
        if record is not None:
            problems.append(PARTIAL)  # marks the record as checked for references only
        return record
    except (RecursionError, MemoryError):  # pragma: no cover - bounded by the YAML reader
        problems.append(Problem(path, 1, 1, "the file is too deeply nested", "invalid"))
        return None


def _month_folder(path: str, ticket: Ticket, tz) -> list[Problem]:
    """A ticket lives in the folder of the month it was reported in."""
    m = MONTH_DIR.fullmatch(path.rsplit("/", 1)[0])
    local = ticket.reported.astimezone(tz or dt.timezone.utc)
    if m and (int(m.group(1)), int(m.group(2))) != (local.year, local.month):
        month = scalars.month_of(local)
        return [errors.at(path, ("reported",), f"reported in {month}: the file belongs in tickets/{month.replace('-', '/')}/", "file-place")]
    return []


def _copy(data):
    """A copy of the plain data (validation pops the position markers)."""
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _salvage(model, data: dict, exc: ValidationError, context: dict) -> Optional[Record]:
    """The record without the parts that failed, so that rules across files still see the rest.

    A failing item of a list (an event, an intervention) is dropped whole; a
    failing optional field is dropped; a failing required field cannot be
    salvaged. The result is only used for cross-file checks, never computed on.
    """
    drops = _what_to_drop(model, exc)
    if drops is None:
        return None
    drop_fields, drop_items = drops
    salvaged = {k: v for k, v in _copy(data).items() if k not in drop_fields}
    for name, indexes in drop_items.items():
        salvaged[name] = [v for i, v in enumerate(salvaged.get(name) or []) if i not in indexes]
    try:
        return model.model_validate(salvaged, context=context)
    except ValidationError:
        return None


def _what_to_drop(model, exc: ValidationError) -> Optional[tuple[set[str], dict[str, set[int]]]]:
    """The fields, and the items of lists, that failed; None when a required field failed."""
    drop_items: dict[str, set[int]] = {}
    drop_fields: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if not loc or not isinstance(loc[0], str):
            return None
        name = loc[0]
        if name in _LISTS and len(loc) >= 2 and isinstance(loc[1], int):
            drop_items.setdefault(name, set()).add(loc[1])
            continue
        field = model.model_fields.get(name)
        if field is not None and field.is_required() and err["type"] != "extra_forbidden":
            return None
        drop_fields.add(name)
    return drop_fields, drop_items


# ---------------------------------------------------------------- through the cache


def cache_key(f: SourceFile, tz_name: str) -> bytes:
    """What a file's result depends on: its path, its bytes and the time zone it is read in."""
    return hashlib.blake2b(f"{tz_name}\0{f.path}\0".encode() + f.raw, digest_size=20).digest()  # type: ignore[operator]


def cached_read(f: SourceFile, tz_name: str, cache: Optional["Cache"]) -> tuple[Optional[Record], list[Problem]]:
    """One file's record and own problems, from the cache when its bytes are known."""
    if cache is None:
        return read_record(f.kind, f.path, f.raw, tz_name)  # type: ignore[arg-type]
    key = cache_key(f, tz_name)
    result = cache.unpack(key, cache.get_many([key]).get(key))
    if result is not None:
        return result
    result = read_record(f.kind, f.path, f.raw, tz_name)  # type: ignore[arg-type]  # absent, or not verified: read again
    cache.put_many({key: cache.pack(key, result)})
    return result
