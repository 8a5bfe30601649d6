"""The ``gitdesk`` command line: a thin group; each command lives in ``commands/``."""

from __future__ import annotations

import click

from .commands import build, check, portal, schema, sla, statement, ticket, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


cli.add_command(validate.command)
cli.add_command(ticket.command)
cli.add_command(check.command)
cli.add_command(sla.command)
cli.add_command(statement.command)
cli.add_command(build.command)
cli.add_command(schema.command)
cli.add_command(portal.command)


def main() -> None:
    cli(prog_name="gitdesk")


if __name__ == "__main__":  # pragma: no cover
    main()
