"""``gitdesk schema``: the JSON Schemas of the data files, generated from the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gitdesk.core.model import Customer, Plan, Provider, Ticket

SCHEMAS = {"provider": Provider, "plan": Plan, "customer": Customer, "ticket": Ticket}


def schema_text(kind: str) -> str:
    """The JSON Schema of one kind of file, as committed under ``schema/``."""
    schema = SCHEMAS[kind].model_json_schema(mode="validation", by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{kind}.schema.json", **schema}
    schema["title"] = f"gitdesk {kind} file"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@click.command("schema")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("schema"), show_default=True, help="Folder to write the schemas to.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file in --out differs from the model.")
def command(out: Path, check: bool):
    """Write the JSON Schemas of provider, plan, customer and ticket files.

    Editors with a YAML language server use them to check a file while it is
    typed (see the README).
    """
    stale = []
    for kind in SCHEMAS:
        target = out / f"{kind}.schema.json"
        text = schema_text(kind)
        current = target.read_text() if target.exists() else None
        if current == text:
            continue
        if check:
            stale.append(str(target))
            continue
        out.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(text)
        tmp.replace(target)
        click.echo(f"wrote {target}")
    if stale:
        click.echo("out of date (run 'gitdesk schema'): " + ", ".join(stale), err=True)
        sys.exit(1)
