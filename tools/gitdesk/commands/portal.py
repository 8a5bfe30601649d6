"""``gitdesk portal``: who may open each customer's private site, and the staff site.

``gitdesk portal passwd CUSTOMER USER`` writes a bcrypt hash of a password
into the customer's file (``--staff USER``: into the provider's file, under
``staff_logins``); ``gitdesk build`` turns the logins into the web
server's password files. The password itself is never written anywhere.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import click
import yaml

from gitdesk.core.errors import format_text
from gitdesk.load.files import DataFileError, read_data_file
from gitdesk.load.loader import CUSTOMERS, PROVIDER, read_record
from gitdesk.core.model import ID_PATTERN, LOGIN_USER_PATTERN
from gitdesk.write import writer
from gitdesk.write.yamlout import quote
from gitdesk.commands import repo_option, repo_root

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt reads no further: a longer password would only seem stronger
COST = 12

#: The list of logins: a customer's, or (in the provider's file) the staff's.
LOGINS, STAFF_LOGINS = "logins", "staff_logins"
_KEYS = {key: re.compile(rf"^{key}[ \t]*:(?P<rest>.*?)(?P<eol>\r?\n)?$") for key in (LOGINS, STAFF_LOGINS)}
_VALUE = re.compile(r"^\s*(?P<value>[^#]*?)\s*(?P<comment>#.*)?$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]|$)")
_TRAILING_COMMENT = re.compile(r"\}[ \t]*(?P<comment>#.*)$")


class Refused(click.ClickException):
    """A usage error: printed as one line, exit code 2, no traceback."""

    exit_code = 2


class CannotEdit(click.ClickException):
    """The file cannot be edited safely as it is: exit code 1."""

    exit_code = 1


@click.group("portal")
def command():
    """Access to the portal: the logins of each customer's private site and of the staff site.

    Each customer's site is served behind HTTP basic authentication with that
    customer's logins only, the staff site with the staff logins only (see
    'gitdesk build' and docs/portal.md).
    """


# ---------------------------------------------------------------- editing the file's text


@dataclass
class _Item:
    start: int  # index of the item's first line
    end: int  # index after its last line with content
    indent: str
    user: Optional[str]


def _content(line: str) -> bool:
    """A line that holds YAML content (not blank, not only a comment)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block(lines: list[str], key: int) -> tuple[int, list[_Item]]:
    """The ``logins:`` block after line ``key``: the index after its last content line, and its items."""
    end = _block_end(lines, key)
    starts = [i for i in range(key + 1, end) if _ITEM.match(lines[i])]
    if starts:
        indent = _ITEM.match(lines[starts[0]]).group("indent")
        starts = [i for i in starts if _ITEM.match(lines[i]).group("indent") == indent]
    items = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else end
        last = max(i for i in range(start, stop) if _content(lines[i]) or i == start) + 1
        items.append(_Item(start, last, _ITEM.match(lines[start]).group("indent"), _user_of(lines[start:last])))
    return end, items


def _block_end(lines: list[str], key: int) -> int:
    """The index after the block's last line with content: the block ends at the next key at column 0 or
    document marker (comments and blank lines after its last content are not its own)."""
    end = key + 1
    for i in range(key + 1, len(lines)):
        line = lines[i]
        at_column_0 = line[:1] not in (" ", "\t", "#", "\r", "\n", "") and not _ITEM.match(line)
        if at_column_0 or line.startswith(("---", "...")):
            break
        if _content(line):
            end = i + 1
    return end


def _user_of(lines: list[str]) -> Optional[str]:
    """The ``user`` of one list item's text, or None when it cannot be read."""
    indent = len(_ITEM.match(lines[0]).group("indent"))
    text = "".join(line[indent:] if line[:indent].strip() == "" else line for line in lines)
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as text, as gitdesk reads it
    except yaml.YAMLError:
        return None
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        user = data[0].get("user")
        return user if isinstance(user, str) else None
    return None


def _scalar(text: str) -> str:
    """A user name as written in YAML: plain when every reader takes it as that text, else quoted."""
    try:
        plain = yaml.safe_load(text) == text and not text.startswith(("-", "."))
    except yaml.YAMLError:
        plain = False
    return text if plain else quote(text)


def entry(user: str, digest: str) -> str:
    """One login as a one-line flow mapping (without indent or line end)."""
    return f"- {{user: {_scalar(user)}, hash: {quote(digest)}}}"


def edit_logins(text: str, user: str, digest: Optional[str], name: str = LOGINS) -> tuple[str, str]:
    """The file's text with ``user``'s login set to ``digest`` (removed when None), and what was done.

    Every other line is kept as it is, comments included: the user's entry is
    replaced in place, or a new one appended to the ``logins:`` list (``name``:
    ``staff_logins`` in the provider's file), or such a block appended at the
    end of the file.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    key = next((i for i, line in enumerate(lines) if _KEYS[name].match(line)), None)
    if key is None:
        return _new_block(text, user, digest, newline, name)
    empty = _open_block(lines, key, newline, name)
    end, items = _block(lines, key)
    mine = [item for item in items if item.user == user]
    if digest is None:
        return _remove(lines, key, items, mine, user, empty)
    if mine:
        return _replace(lines, mine[0], entry(user, digest), newline)
    indent = items[0].indent if items else "  "
    if not lines[end - 1].endswith(("\n", "\r")):
        lines[end - 1] += newline
    lines.insert(end, f"{indent}{entry(user, digest)}{newline}")
    return "".join(lines), "added"


def _new_block(text: str, user: str, digest: Optional[str], newline: str, name: str) -> tuple[str, str]:
    """A file without ``logins:``: a block with the one login appended at its end (nothing to remove)."""
    if digest is None:
        raise LookupError(user)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return f"{text}{name}:{newline}  {entry(user, digest)}{newline}", "added"


def _open_block(lines: list[str], key: int, newline: str, name: str) -> str:
    """Check that line ``key`` starts a block list (or an empty one), make an inline empty list a block, and
    return the line that stands for an emptied list (its comment kept); CannotEdit for any other form."""
    m = _KEYS[name].match(lines[key])
    value = _VALUE.match(m.group("rest"))
    eol = m.group("eol") or newline
    comment = f"  {value.group('comment')}" if value and value.group("comment") else ""
    if value is None or value.group("value") not in ("", "[]", "~", "null"):
        raise CannotEdit(
            f"the {name} are not written as a block list, one '- {{user: ..., hash: ...}}' per line: "
            "write them so (or edit the file by hand)"
        )
    if value.group("value"):  # an empty list written inline: the block starts here
        lines[key] = f"{name}:{comment}{eol}"
    return f"{name}: []{comment}{eol}"


def _remove(lines: list[str], key: int, items: list[_Item], mine: list[_Item], user: str,
            empty: str) -> tuple[str, str]:
    """The user's entries removed (LookupError when there is none); a list left empty is written ``[]``."""
    if not mine:
        raise LookupError(user)
    for item in reversed(mine):
        del lines[item.start:item.end]
    if len(mine) == len(items):
        lines[key] = empty
    return "".join(lines), "removed"


def _replace(lines: list[str], item: _Item, new: str, newline: str) -> tuple[str, str]:
    """The entry ``item`` replaced by ``new`` (a one-line entry's trailing comment kept)."""
    kept = _TRAILING_COMMENT.search(lines[item.start].rstrip("\r\n")) if item.end == item.start + 1 else None
    tail = f"  {kept.group('comment')}" if kept else ""
    lines[item.start:item.end] = [f"{item.indent}{new}{tail}{newline}"]
    return "".join(lines), "changed"


# ---------------------------------------------------------------- the command


def _customer_file(root: Path, customer: str) -> Path:
    if not re.fullmatch(ID_PATTERN, customer):
        raise Refused(f"invalid customer {customer!r}: a customer id is lower-case letters, digits and '-'")
    path = root / CUSTOMERS / f"{customer}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (root / CUSTOMERS).glob("*.yaml"))
        close = difflib.get_close_matches(customer, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise Refused(f"no customer {customer!r} in {root}: there is no {CUSTOMERS}/{customer}.yaml{hint}")
    return path


def _time_zone(root: Path) -> str:
    """The provider's time zone, for reading the customer's file as the loader does ('' if unknown)."""
    try:
        record, _ = read_record("provider", PROVIDER, read_data_file(root, PROVIDER), "")
    except OSError:
        return ""
    return getattr(record, "timezone", "") or ""


def _problems(relpath: str, text: str, tz_name: str, kind: str = "customer"):
    """The problems the loader finds in this text of the file (a customer's, or the provider's), and its record."""
    record, problems = read_record(kind, relpath, text.encode("utf-8"), tz_name)
    problems = [p for p in problems if p.severity == "error"]
    if problems:
        from gitdesk.load.yamlsrc import locate_all

        problems = locate_all(problems, lambda _path: text)
    return record, problems


@dataclass
class _Target:
    """Whose logins a command edits: a customer's (its file, ``logins``) or the staff's (the provider's file)."""

    kind: str  # the loader's kind of file: customer or provider
    relpath: str
    key: str  # logins or staff_logins
    owner: str  # as messages name it

    def path(self, root: Path) -> Path:
        return root / self.relpath


def _target(root: Path, names: tuple[str, ...], staff: bool) -> tuple[_Target, str]:
    """The file and list to edit, and the user, from the arguments (CUSTOMER USER, or USER with --staff)."""
    wanted = 1 if staff else 2
    if len(names) != wanted:
        usage = "give only USER with --staff" if staff else "give CUSTOMER and USER (or --staff USER)"
        raise click.UsageError(f"{usage}: got {len(names)} argument{'s' if len(names) != 1 else ''}")
    user = names[-1]
    if not re.fullmatch(LOGIN_USER_PATTERN, user):
        raise Refused(f"invalid user {user!r}: use 1 to 64 lower-case letters, digits, '.', '_' or '-'")
    if staff:
        if not (root / PROVIDER).is_file():
            raise Refused(f"no {PROVIDER} in {root}")
        return _Target("provider", PROVIDER, STAFF_LOGINS, "the staff"), user
    customer = names[0]
    _customer_file(root, customer)
    return _Target("customer", f"{CUSTOMERS}/{customer}.yaml", LOGINS, customer), user


def _check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise Refused(f"the password is too short: at least {MIN_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise Refused(f"the password is too long: at most {MAX_BYTES} bytes (bcrypt reads no further)")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise Refused("the password contains control characters")
    return password


def _ask_password(user: str, from_stdin: bool) -> str:
    if from_stdin:
        line = click.get_text_stream("stdin").readline()
        if not line:
            raise Refused("no password on standard input (give one line)")
        return _check_password(line.rstrip("\r\n"))

    def check(value: str) -> str:
        try:
            return _check_password(value)
        except Refused as exc:  # asked again, as click does for a bad value
            raise click.UsageError(exc.message) from None

    return click.prompt(f"New password for {user}", hide_input=True, confirmation_prompt=True, value_proc=check)


@command.command("passwd")
@click.argument("names", nargs=-1, metavar="CUSTOMER USER | --staff USER")
@repo_option
@click.option("--staff", is_flag=True, help="A login of the staff site instead (give USER only): written under "
              "'staff_logins:' in contracts/provider.yaml.")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from one line of standard input (for scripts).")
@click.option("--remove", is_flag=True, help="Remove the login instead.")
def passwd(names, repo, staff, from_stdin, remove):
    """Set (or remove) the password of USER for CUSTOMER's private site, or (--staff) for the staff site.

    Asks for the password twice without showing it (at least 10 characters),
    and writes only its bcrypt hash, as '- {user: USER, hash: "..."}' under
    'logins:' in contracts/customers/CUSTOMER.yaml (with --staff: under
    'staff_logins:' in contracts/provider.yaml); the rest of the file is
    kept as it is. Commit the file and run 'gitdesk build' to publish it.
    A customer's login opens only that customer's site; a staff login opens
    only the staff site.
    """
    if remove and from_stdin:
        raise click.UsageError("--remove takes no password: give either --remove or --stdin")
    root = repo_root(repo)
    target, user = _target(root, names, staff)
    tz_name = _time_zone(root)
    _read_valid(root, target, tz_name)  # before asking for a password that could not be written

    if remove:
        digest = None
    else:
        import bcrypt

        password = _ask_password(user, from_stdin)
        digest = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(COST)).decode("ascii")
    with writer.transaction(root) as tx:  # read again under the lock: a login added meanwhile is kept
        if target.kind == "customer":
            _customer_file(root, target.owner)
        text = _read_valid(root, target, tz_name)
        try:
            new_text, done = edit_logins(text, user, digest, target.key)
        except LookupError:
            raise Refused(f"{target.owner} has no login {user!r}: nothing to remove") from None

        record, problems = _problems(target.relpath, new_text, tz_name, target.kind)
        logins = {login.user: login.hash for login in getattr(record, target.key, ())} if record is not None else {}
        if problems or (digest is None and user in logins) or (digest is not None and logins.get(user) != digest):
            if problems:
                click.echo(format_text(problems, lambda _path: new_text), err=True)
            raise CannotEdit(f"could not write the login into {target.relpath} safely: nothing was changed; edit the file by hand")
        tx.write(target.path(root), new_text)  # the file keeps its mode
    what = {"added": "added the login", "changed": "changed the password of", "removed": "removed the login"}[done]
    click.echo(f"{what} {user!r} of {target.owner} in {target.relpath}")
    click.echo("commit the file, then run 'gitdesk build' to publish it", err=True)


def _read_valid(root: Path, target: _Target, tz_name: str) -> str:
    """The file's text; CannotEdit when it is not a regular UTF-8 file without errors."""
    path, relpath = target.path(root), target.relpath
    if path.is_symlink() or not path.is_file():
        raise CannotEdit(f"{relpath} is not a regular file: edit it by hand")
    try:
        text = read_data_file(root, relpath).decode("utf-8")
    except UnicodeDecodeError:
        raise CannotEdit(f"{relpath} is not UTF-8 text") from None
    except DataFileError as exc:
        raise CannotEdit(f"cannot read {relpath}: {exc}") from None
    except OSError as exc:
        raise CannotEdit(f"cannot read {relpath}: {exc.strerror}") from None
    _, problems = _problems(relpath, text, tz_name, target.kind)
    if problems:
        click.echo(format_text(problems, lambda _path: text), err=True)
        raise CannotEdit(f"{relpath} has errors: fix them first (gitdesk validate)")
    return text
