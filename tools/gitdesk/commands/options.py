"""What the commands share: options, the moment of evaluation, and JSON written a line at a time."""

from __future__ import annotations

import datetime as dt
import json
import json.encoder
import re
from typing import Iterable, Iterator, Optional

import click

from gitdesk.core import scalars
from gitdesk.core.repository import PROVIDER
from gitdesk.load.loader import Scan, read_record

MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z")


def month_option(required: bool = False):
    def check(ctx, param, value):
        if value is not None and not MONTH.match(value):
            raise click.BadParameter("write the month as YYYY-MM, e.g. 2026-11")
        return value

    return click.option("--month", metavar="YYYY-MM", required=required, callback=check, help="Only this calendar month.")


def customer_option(help_text: str = "Only this customer (its id).") -> callable:
    return click.option("--customer", metavar="ID", default=None, help=help_text)


def parse_now(value: Optional[str], tz) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        return scalars.parse_timestamp(value, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--now'") from None


def _compact_json():
    """``json.dumps(obj, ensure_ascii=False)`` with its C encoder made once.

    ``json.dumps`` and ``JSONEncoder.encode`` make a new C encoder on every
    call, which weighs on commands that write one small object per ticket;
    the json module's own C encoder (when Python has it) is made here once,
    with the same separators and checks except the one for circular
    references, which plain data cannot have.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - Python without the json accelerator
        return json.JSONEncoder(ensure_ascii=False).encode
    encode = make(None, json.JSONEncoder().default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


#: json.dumps(..., ensure_ascii=False), fast: for every command that writes JSON a line at a time.
to_json = _compact_json()


def json_lines(head: dict, name: str, items: list[str], tail: dict) -> Iterator[str]:
    """One JSON object with the list ``name`` (items already JSON text) one item per line.

    Readable and greppable, and written by the C encoder (an indented dump is
    written in Python, slower than computing the tickets). The text comes in
    pieces, for :func:`echo_pieces`.
    """
    dump = to_json
    fields = [f"{dump(k)}: {dump(v)}" for k, v in head.items()]
    yield "{" + "".join(f + ",\n" for f in fields) + f"{dump(name)}: "
    yield from json_array(items)
    yield "".join(f",\n{dump(k)}: {dump(v)}" for k, v in tail.items()) + "}"


def json_array(items: list[str], step: int = 1000) -> Iterator[str]:
    """A JSON list of items already written as JSON text, one per line, in pieces of ``step`` items."""
    yield "[\n"
    for start in range(0, len(items), step):
        yield (",\n" if start else "") + ",\n".join(items[start : start + step])
    yield "\n]"


def echo_pieces(pieces: Iterable[str]) -> None:
    """Standard output, a piece at a time, and a final newline.

    The JSON of a large repository runs to tens of megabytes: joined into one
    text it would be copied several times over before the first byte is out.
    """
    for piece in pieces:
        click.echo(piece, nl=False)
    click.echo("")


def provider_of(found: Scan):
    """The provider's record before the whole load (None while its file is broken or missing)."""
    for f in found.files:
        if f.kind == "provider":
            record, _ = read_record("provider", PROVIDER, f.raw, "")
            return record
    return None


def provider_zone(found: Scan) -> dt.tzinfo:
    """The provider's zone before the whole load, to read --now the way data is read."""
    provider = provider_of(found)
    return provider.tz if provider is not None else dt.timezone.utc
