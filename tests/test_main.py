"""The command group: every command listed, each imported only when it runs."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from conftest import ROOT
from gitdesk.main import COMMANDS, cli


def test_help_lists_every_command_with_its_summary():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1].split()
    assert all(name in listed for name in COMMANDS)
    assert "Check every ticket against the service terms of its plan." in result.output


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["statment"])
    assert result.exit_code == 2 and "No such command 'statment'" in result.output


def test_a_command_imports_only_what_it_needs():
    """validate runs on every commit (pre-commit): it does not load the portal, mkdocs or the charts.

    (It parses the theme overrides with Jinja's parser, to report what build would refuse.)"""
    code = (
        "import sys; from gitdesk.main import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, *(name in sys.modules for name in ('gitdesk.portal.build', 'mkdocs', 'matplotlib', 'material')))"
    )
    out = subprocess.run([sys.executable, "-c", code, "--repo", str(ROOT), "validate"], capture_output=True, text=True,
                         env={"GITDESK_NO_CACHE": "1", "PATH": ""}, check=True)
    assert out.stdout.split()[-5:] == ["0", "False", "False", "False", "False"]


def test_a_large_load_keeps_its_records_from_the_collector(monkeypatch):
    """From LARGE tickets on, the loaded records are frozen (gc.freeze) so that the
    collector does not walk them again; the figures are the same either way."""
    import gc

    from gitdesk.load import loader

    args = ["--repo", str(ROOT), "sla", "--format", "json", "--now", "2026-12-31 12:00", "--no-cache"]
    before = gc.get_freeze_count()
    small = CliRunner().invoke(cli, args)
    assert small.exit_code == 0 and gc.get_freeze_count() == before
    monkeypatch.setattr(loader, "LARGE", 1)
    try:
        large = CliRunner().invoke(cli, args)
        assert large.exit_code == 0 and gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    assert large.output == small.output and '"tickets": [' in large.output


def test_a_long_json_list_is_written_in_pieces_one_item_per_line():
    """sla's JSON of 100,000 tickets is written a thousand at a time, never joined
    whole; the text is the same as one dump, one ticket per line."""
    import json

    from gitdesk.commands.options import json_array, json_lines

    items = [json.dumps({"id": f"t{n}", "note": "città"}, ensure_ascii=False) for n in range(7)]
    text = "".join(json_lines({"now": "2026-12-31T12:00:00+01:00"}, "tickets", items, {"summary": {"met": 3}}))
    assert json.loads(text) == {"now": "2026-12-31T12:00:00+01:00", "tickets": [json.loads(i) for i in items], "summary": {"met": 3}}
    lines = text.splitlines()
    assert lines[1] == '"tickets": [' and lines[2:8] == [i + "," for i in items[:6]] and lines[8] == items[6]
    assert len(list(json_array(items, step=3))) == 2 + 3  # brackets and pieces of at most three items
    assert "".join(json_array(items, step=3)) == "".join(json_array(items)) == "[\n" + ",\n".join(items) + "\n]"
    assert json.loads("".join(json_array([]))) == []
