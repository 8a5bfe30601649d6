"""Writing YAML text by hand, for files people read and review in git."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def quote(text: str) -> str:
    """A string as a double-quoted YAML scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that it is either the old one or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
