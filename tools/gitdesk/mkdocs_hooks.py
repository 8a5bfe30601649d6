"""mkdocs hooks of the portal: pages arrive as finished HTML, not as Markdown.

gitdesk renders each page's body itself (Jinja, autoescaped) and gives mkdocs
a Markdown source that holds only the page's title and a marker. This hook
swaps the marker for the rendered body, so Python-Markdown never parses
anything a technician or customer wrote, and no time goes into parsing
thousands of lines of HTML as Markdown.

It also lends every site's Jinja environment one cache of compiled templates:
mkdocs makes a new environment for each site, and compiling the theme's
templates again each time took about a sixth of a site's build.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

MARKER = "GITDESK-PAGE-BODY"


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the life of the process.

    Jinja keys each entry by the template's name and file and checks the
    source's checksum when loading, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.entries.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.entries[bucket.key] = bucket.bytecode_to_string()


#: mkdocs loads this file once per process, so every site built in the process shares it.
TEMPLATES = CompiledTemplates()


def on_env(env, config, files):
    env.bytecode_cache = TEMPLATES
    return env


def on_page_content(html, page, config, files):
    folder = config.extra.get("gitdesk_bodies")
    if not folder or MARKER not in html:
        return html
    return (Path(folder) / f"{page.file.src_uri}.html").read_text(encoding="utf-8")
