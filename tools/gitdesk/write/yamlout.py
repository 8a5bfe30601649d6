"""Writing YAML text by hand, for files people read and review in git."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Optional


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: What YAML reads as a line break besides ``\n``: ``\r`` (alone or before ``\n``), NEL, LINE and PARAGRAPH SEPARATOR.
_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")
#: What a double-quoted scalar writes as an escape: the quote and the backslash, every control character
#: (C0, DEL, C1), the line and paragraph separators, the byte order mark, the non-characters U+FFFE and
#: U+FFFF and surrogates (which YAML may not hold as they are).
_ESCAPED = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}
#: What a block scalar cannot carry as it is (the line breaks besides \n are made \n first): a text holding one is quoted.
_NOT_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ud800-\udfff]")


def _escape(match: "re.Match[str]") -> str:
    char = match.group()
    known = _ESCAPES.get(char)
    if known is not None:
        return known
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def quote(text: str) -> str:
    """A string as a double-quoted YAML scalar on one line, read back as exactly that string.

    Every character YAML could read as a line break or may not hold as it is
    (control characters, U+2028, U+2029, ...) is written as an escape.
    """
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _written_aside(path: Path, data: bytes, mode: Optional[int], folder_mode: int) -> str:
    """A temporary file beside ``path`` holding ``data``, on disk (fsync), with its mode set before anyone can open it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=folder_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _bytes(text) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def write_atomic(path: Path, text, mode: Optional[int] = None, folder_mode: int = 0o777) -> None:
    """Write a file (text, or bytes) so that it is either the old one or the whole new one, never half.

    With ``mode`` the file has it before anyone can open it (a password file).
    """
    tmp = _written_aside(path, _bytes(text), mode, folder_mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def write_new(path: Path, text, mode: Optional[int] = None, folder_mode: int = 0o777) -> None:
    """Create a file that does not exist yet, whole or not at all; FileExistsError when it exists.

    The file is written aside and then linked under its name, which fails
    rather than replace a file of that name (on file systems without hard links
    it is created with O_EXCL and written in place).
    """
    data = _bytes(text)
    tmp = _written_aside(path, data, mode, folder_mode)
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # no hard links here
    finally:
        _unlink(tmp)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if mode is not None else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink(str(path))
        raise


def timestamp(moment, tz) -> str:
    """A moment as the provider's wall time, ``2026-11-03 09:10``; with its offset when the
    wall time happens twice (the autumn hour) or has seconds."""
    local = moment.astimezone(tz)
    naive = local.replace(tzinfo=None)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset() or local.second or local.microsecond:
        return local.replace(microsecond=0).isoformat()
    return local.strftime("%Y-%m-%d %H:%M")


def scalar(value) -> str:
    """A one-line value as YAML text: plain when every reader takes it as that text, else :func:`quote`."""
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9 ._+/@()-]*[A-Za-z0-9._+/@()-])?", text) and not re.fullmatch(
        r"(?i)(true|false|yes|no|on|off|null|~|[-+]?\d[\d_.:e+-]*|[-+]?0[xob][0-9a-f_]+)", text) and ": " not in text \
            and " #" not in text:
        return text
    return quote(text)


def block_form(text: str) -> tuple[str, bool]:
    """What :func:`text_field` writes for ``text``, and whether it is a block scalar.

    Every line break (``\r\n``, ``\r``, U+0085, U+2028, U+2029) becomes
    ``\n``. A text that still holds another control character is kept as it
    is then (it is quoted). Otherwise it becomes a block scalar: lines of only
    spaces and tabs become empty, empty lines at its end are dropped, and it
    ends with one line break (an empty text stays empty, quoted).
    """
    text = _BREAKS.sub("\n", text)
    if _NOT_IN_BLOCK.search(text):
        return text, False
    lines = [line if line.strip(" \t") else "" for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return ("\n".join(lines) + "\n" if lines else ""), bool(lines)


def text_field(key: str, text: str, indent: int = 0) -> list[str]:
    """``key: text`` at ``indent`` spaces, for a free text that may run over several lines.

    A ``|`` block scalar (its lines two spaces deeper than ``key``) when the
    text can be one, else a double-quoted scalar on one line; either way YAML
    reads back exactly ``block_form(text)[0]``, and no line of the text can
    end the scalar early (see :func:`block_form`).
    """
    pad = " " * indent
    value, block = block_form(text)
    if not block:
        return [f"{pad}{key}: {quote(value)}"]
    lines = value[:-1].split("\n")
    first = next(line for line in lines if line)
    # a first line that starts with white space would set the indentation: say it instead
    head = "|2" if first[0] in " \t" else "|"
    return [f"{pad}{key}: {head}"] + [f"{pad}  {line}" if line else "" for line in lines]


def append_to_list(text: str, key: str, item: list[str]) -> str:
    """Add ``item`` (lines written for indentation 0, first line starting with "- ") to the
    top-level list ``key``, keeping every other line, comment and blank line as it is.

    The list may be in block style (any indentation) or an empty ``[]``; when the key is
    missing, it is added at the end of the file.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    head = re.compile(rf"^{re.escape(key)}:\s*(\[\s*\])?\s*(#.*)?$")
    at = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if at is None:
        if any(re.match(rf"^{re.escape(key)}:", line) for line in lines):
            raise ValueError(f"the {key} list is written in flow style ([...]); add the entry by hand")
        return "\n".join(lines + [f"{key}:"] + _indented(item, "  ")) + "\n"
    if head.match(lines[at]).group(1):  # "key: []" becomes a block list
        lines[at] = f"{key}:"
        indent, last = "  ", at
    else:
        indent, last = _block_list(lines, at)
    return "\n".join(lines[: last + 1] + _indented(item, indent) + lines[last + 1 :]) + "\n"


def _indented(item: list[str], indent: str) -> list[str]:
    """The item's lines under the list's indentation (blank lines left empty)."""
    return [indent + line if line else line for line in item]


def _block_list(lines: list[str], at: int) -> tuple[str, int]:
    """The indentation of the block list under line ``at`` (that of its first item; two spaces when it is
    empty) and the index of its last line with content (comments and blank lines after it are not its own)."""
    indent, last = "  ", at
    for j in range(at + 1, len(lines)):
        line = lines[j]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "-")):
            break
        if last == at:
            indent = line[: len(line) - len(line.lstrip())]
        last = j
    return indent, last


# ---------------------------------------------------------------- edits at a node's place
#
# A change to one value of a file is made in the file's text, at the place
# PyYAML's composer found the node: every other line, comment and blank line
# stays as it is, which a dump of the whole file would not keep.


def compose(text: str):
    """The node tree of a YAML text (marks give each node's place); ValueError when it is not YAML."""
    import yaml

    try:  # libyaml when there is one: the parser the loader reads the file with (the same marks, in characters)
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(f"the file is not valid YAML: {exc}") from None


def child(node, key):
    """The value under ``key`` of a mapping node, the item ``key`` (an int) of a sequence node, or None."""
    import yaml

    if isinstance(key, int):
        if isinstance(node, yaml.SequenceNode) and 0 <= key < len(node.value):
            return node.value[key]
        return None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def is_mapping(node) -> bool:
    import yaml

    return isinstance(node, yaml.MappingNode)


def is_sequence(node) -> bool:
    import yaml

    return isinstance(node, yaml.SequenceNode)


def _last_content(node) -> int:
    """The index just after the last character of ``node``'s own text.

    A block collection's end mark is where the next token starts (lines,
    comments and blank lines later): its last child's end is used instead.
    A block scalar's end includes its trailing line breaks: they are left out.
    """
    while getattr(node, "flow_style", True) is False and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.index


def _after_line(text: str, index: int) -> int:
    """Where a new line goes after the line holding the text just before ``index`` (its trailing comment too)."""
    while index > 0 and text[index - 1] in " \t\r\n":
        index -= 1
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _insert_lines(text: str, at: int, lines: list[str]) -> str:
    head = text[:at]
    if head and not head.endswith("\n"):
        head += "\n"
    return head + "".join(line + "\n" for line in lines) + text[at:]


def _before_closing(text: str, node, piece: str) -> str:
    """``piece`` added as the last entry of a flow collection (``[...]`` or ``{...}``)."""
    close = node.end_mark.index - 1
    if text[close] not in "]}":
        raise ValueError("the list is not written as expected; edit it by hand ('gitdesk ticket edit')")
    before = text[node.start_mark.index + 1:close].rstrip()
    sep = "" if not node.value or before.endswith(",") else ", "
    cut = node.start_mark.index + 1 + len(before)
    return text[:cut] + sep + piece + text[cut:close] + text[close:]


def append_item(text: str, sequence, item: str) -> str:
    """``item`` (one line of flow YAML) added at the end of the sequence node ``sequence`` of ``text``."""
    if sequence.flow_style:
        return _before_closing(text, sequence, item)
    dash = " " * sequence.start_mark.column
    return _insert_lines(text, _after_line(text, _last_content(sequence)), [f"{dash}- {item}"])


def add_entry(text: str, mapping, key: str, value: str, block: Optional[list[str]] = None) -> str:
    """``key: value`` added at the end of the mapping node ``mapping`` of ``text``.

    In a block mapping ``block`` (lines under the key, indented two more
    spaces) may stand for ``value``; in a flow mapping ``value`` is written.
    """
    if mapping.flow_style:
        return _before_closing(text, mapping, f"{key}: {value}")
    pad = " " * mapping.start_mark.column
    lines = [f"{pad}{key}:"] + [f"{pad}  {line}" for line in block] if block else [f"{pad}{key}: {value}"]
    return _insert_lines(text, _after_line(text, _last_content(mapping)), lines)


def replace_node(text: str, node, value: str) -> str:
    """The text of a scalar node replaced by ``value`` (one line of YAML)."""
    return text[:node.start_mark.index] + value + text[node.end_mark.index:]
