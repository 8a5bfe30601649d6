"""The JSON Schemas under schema/ are generated from the model and check real files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import ACME, ANNUAL, PROVIDER, ROOT, TICKET
from gitdesk.commands.schema import SCHEMAS, schema_text


class Yaml12Loader(yaml.SafeLoader):
    """Typed roughly as an editor's YAML language server types (no YAML 1.1 timestamps)."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema(kind: str) -> dict:
    return json.loads((ROOT / "schema" / f"{kind}.schema.json").read_text())


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_committed_schema_is_generated_from_the_model(kind):
    assert (ROOT / "schema" / f"{kind}.schema.json").read_text() == schema_text(kind), "run: gitdesk schema"


@pytest.mark.parametrize("kind,text", [("provider", PROVIDER), ("plan", ANNUAL), ("customer", ACME), ("ticket", TICKET)])
def test_valid_files_pass_the_schema(kind, text):
    jsonschema.validate(yaml.load(text, Loader=Yaml12Loader), schema(kind))


def test_demo_files_pass_the_schema():
    kinds = {"contracts/plans": "plan", "contracts/customers": "customer", "tickets": "ticket"}
    jsonschema.validate(yaml.load((ROOT / "contracts/provider.yaml").read_text(), Loader=Yaml12Loader), schema("provider"))
    checked = 0
    for folder, kind in kinds.items():
        for path in sorted((ROOT / folder).rglob("*.yaml"))[:60]:
            jsonschema.validate(yaml.load(path.read_text(), Loader=Yaml12Loader), schema(kind))
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("change", [("reported_by:", "reported_bi:"), ("duration", "duration"), ("mode: onsite", "mode: ufo"), ("price: 89.00", "price: -1")])
def test_schema_catches_mistakes_while_typing(change):
    data = yaml.load(TICKET.replace(*change), Loader=Yaml12Loader)
    if change[0] == "duration":
        data["log"][0]["at"] = "tomorrow"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema("ticket"))
