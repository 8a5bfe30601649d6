"""The ``gitdesk`` command line: a thin group; each command lives in ``commands/``."""

from __future__ import annotations

import importlib

import click

#: The commands, each the module of the same name under ``commands/``, imported when
#: it runs (or when ``--help`` lists them): a run pays only for its own imports.
COMMANDS = ("validate", "ticket", "check", "sla", "statement", "build", "schema", "portal")


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (Click's lazy-loading recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return importlib.import_module(f"{__package__}.commands.{name}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gitdesk")
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    default=None,
    help="The data repository (default: the current folder). Also accepted after the command.",
)
@click.pass_context
def cli(ctx: click.Context, repo: str | None) -> None:
    """A helpdesk that lives in git: tickets, SLA and monthly statements as YAML.

    Every command reads the data repository in the current folder (or --repo)
    and exits 0 on success, 1 when the data has errors, 2 on a usage error.
    """
    ctx.obj = {"repo": repo}



def main() -> None:
    cli(prog_name="gitdesk")


if __name__ == "__main__":  # pragma: no cover
    main()
