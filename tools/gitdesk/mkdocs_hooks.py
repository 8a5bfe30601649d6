"""mkdocs hooks of the portal: pages arrive as finished HTML, not as Markdown.

gitdesk renders each page's body itself (Jinja, autoescaped) and gives mkdocs
a Markdown source that holds only the page's title and a marker. This hook
swaps the marker for the rendered body, so Python-Markdown never parses
anything a technician or customer wrote, and no time goes into parsing
thousands of lines of HTML as Markdown.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "GITDESK-PAGE-BODY"


def on_page_content(html, page, config, files):
    folder = config.extra.get("gitdesk_bodies")
    if not folder or MARKER not in html:
        return html
    return (Path(folder) / f"{page.file.src_uri}.html").read_text(encoding="utf-8")
