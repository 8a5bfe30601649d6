"""Free text as a reader reads it: a ticket's description, a work report, a note.

Technicians write these texts in YAML block scalars (``|``), wrapped at the
width of their editor: a single line break is that wrapping, not a break a
reader should see. A blank line starts a new paragraph; a line that starts
like a list item (``- ``, ``* ``, ``• ``, ``1. ``, ``2) ``) starts a line of
its own, so that a list stays a list.
"""

from __future__ import annotations

import re
from typing import Optional

_ITEM = re.compile(r"(?:[-*•–]\s|\d{1,3}[.)]\s)")


def paragraphs(text: Optional[str]) -> list[list[str]]:
    """The paragraphs of ``text``, each a list of its lines as shown (wrapped lines joined by a space)."""
    out: list[list[str]] = []
    para: list[str] = []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if not line:
            if para:
                out.append(para)
                para = []
        elif para and not _ITEM.match(line):
            para[-1] = f"{para[-1]} {line}"
        else:
            para.append(line)
    if para:
        out.append(para)
    return out


def flowed(text: Optional[str]) -> str:
    """``text`` on one line, each line break a space (for a title, a search entry or a table cell)."""
    return " ".join((text or "").split())
