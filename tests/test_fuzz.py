"""No input produces a traceback: fuzzed bytes, fuzzed YAML, fuzzed values, in every kind of file.

Every kind of data file (provider, plan, customer, ticket, issued statement,
correction) and the portal's ``mkdocs.yml`` is fuzzed: its bytes mutated and
its structure changed. Nothing may escape as an exception, and every problem
is located at a line and column inside the file it names.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ACME, ANNUAL, PROVIDER, TICKET
from gitdesk.core import errors
from gitdesk.core.errors import Problem
from gitdesk.load.loader import read_record
from gitdesk.load.yamlsrc import YamlProblem, load, locate_all

PATH = "tickets/2026/11/20261103-acme-psu1.yaml"


def _check(raw: bytes) -> None:
    record, problems = read_record("ticket", PATH, raw, "Europe/Rome")
    assert record is not None or problems
    for p in problems:
        assert isinstance(p, Problem) and p.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(raw):
    _check(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "éàü€{}[]:-&*!|>%@`'\"", max_size=300))
def test_random_text(text):
    _check(text.encode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_ticket(data):
    """A valid ticket with a slice replaced, inserted or removed."""
    raw = TICKET.encode()
    start = data.draw(st.integers(0, len(raw)))
    stop = data.draw(st.integers(start, min(len(raw), start + 40)))
    insert = data.draw(st.binary(max_size=20) | st.sampled_from([b": ", b"\n  - ", b"{", b"]", b"&a ", b"*a", b"!!python/object ", b"\t", b"\x00", b"12.345", b"2026-03-29 02:30"]))
    _check(raw[:start] + insert + raw[stop:])


_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["customer", "title", "reported", "via", "priority", "users_blocked", "log", "interventions", "description", "incident"]), _values)
def test_any_value_in_any_field(field, value):
    import json

    lines = [line for line in TICKET.splitlines() if not line.startswith(f"{field}:")]
    text = "\n".join(lines) + f"\n{field}: {json.dumps(value)}\n"
    _check(text.encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_yaml_reader_raises_only_its_own_error(raw):
    try:
        load(raw)
    except YamlProblem as exc:
        assert exc.line >= 1 and exc.column >= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_cli_never_tracebacks(repo, raw):
    (repo.root / "contracts/customers/beta.yaml").write_bytes(raw)
    (repo.root / "contracts/plans/annual.yaml").write_bytes(raw[::-1])
    result = repo.run("validate", "--format", "json")
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output


ISSUED = """\
# An issued statement: its figures may not change.
number: 2026-0001
customer: acme
month: 2026-11
issued: 2026-12-01
taxable: "244.00"
vat: "53.68"
total: "297.68"
lines:
  - {kind: fee, description: "Contract fee, Annual service contract, November 2026", amount: "120.00"}
  - {kind: labour, ticket: 20261103-acme-psu1, description: "On-site labour, 1h30m", amount: "67.50"}
  - {kind: part, ticket: 20261103-acme-psu1, description: "Power supply 750 W (PSU-750)", amount: "89.00"}
"""

ADJUSTMENT = """\
corrects: 2026-0001
customer: acme
month: 2026-12
date: 2026-12-03
amount: "10.00"
reason: "Power supply price corrected"
tickets: [20261103-acme-psu1]
"""

#: Every kind of data file: its place in a repository and a valid example.
KINDS = {
    "provider": ("contracts/provider.yaml", PROVIDER),
    "plan": ("contracts/plans/annual.yaml", ANNUAL),
    "customer": ("contracts/customers/acme.yaml", ACME),
    "ticket": (PATH, TICKET),
    "issued": ("statements/2026/2026-0001.yaml", ISSUED),
    "adjustment": ("statements/adjustments/2026-0001-1.yaml", ADJUSTMENT),
}

#: Pieces that change a document's structure, or are hostile to a reader.
PIECES = [b": ", b"\n  - ", b"\n", b"{", b"}", b"[", b"]", b"&a ", b"*a", b"<<: *a\n", b"!!python/object/apply:os.system ['true'] ",
          b"!!binary ", b"? ", b"- ", b"|\n", b">-\n", b"\t", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"#", b"'", b'"', b"%YAML 1.1\n---\n",
          b"12.345", b"-1", b"1e400", b"2026-03-29 02:30", b"9999-12-31", b"0x1e", b"\xe2\x80\xa8", b"~", b"null"]


def _mutate(data, raw: bytes) -> bytes:
    """A valid file with a slice replaced, inserted or removed, or its lines shuffled, repeated or indented."""
    how = data.draw(st.sampled_from(["splice", "splice", "lines", "indent", "repeat"]))
    if how == "splice":
        start = data.draw(st.integers(0, len(raw)))
        stop = data.draw(st.integers(start, min(len(raw), start + 40)))
        insert = data.draw(st.binary(max_size=20) | st.sampled_from(PIECES))
        return raw[:start] + insert + raw[stop:]
    lines = raw.split(b"\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    if how == "lines":
        j = data.draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "indent":
        lines[i] = data.draw(st.sampled_from([b" ", b"  ", b"\t", b"- "])) + lines[i]
    else:
        lines[i:i] = [lines[i]] * data.draw(st.integers(1, 3))
    return b"\n".join(lines)


def _assert_located(kind: str, path: str, raw: bytes) -> None:
    """read_record never raises, and each problem is located inside the file it names."""
    record, problems = read_record(kind, path, raw, "Europe/Rome" if kind != "provider" else "")
    problems = [p for p in problems if p.code != "partial"]
    assert record is not None or problems
    text = raw.decode("utf-8-sig", errors="replace")
    located = locate_all(problems, lambda _p: text)
    last_line = text.count("\n") + 2  # the end of the document, after its last line
    for p in located:
        assert isinstance(p, Problem) and p.message
        assert p.path == path
        assert 1 <= p.line <= last_line and p.column >= 1, (str(p), raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(KINDS)), st.data())
def test_every_kind_of_file_mutated_is_read_or_located(kind, data):
    path, valid = KINDS[kind]
    _assert_located(kind, path, _mutate(data, valid.encode()))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(KINDS)), st.binary(max_size=300))
def test_every_kind_of_file_from_random_bytes_is_located(kind, raw):
    _assert_located(kind, KINDS[kind][0], raw)


def _run(root, *args):
    from click.testing import CliRunner

    from gitdesk.main import cli

    return CliRunner().invoke(cli, ["--repo", str(root), *args], env={"GITDESK_NO_CACHE": "1"})


def _assert_no_traceback(result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
def test_validate_on_every_kind_of_file_mutated(repo, kind, data):
    """End to end: the mutated file in a repository, every problem located in a file of it."""
    import json

    path, valid = KINDS[kind]
    target = repo.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.read_bytes() if target.exists() else None
    target.write_bytes(_mutate(data, valid.encode()))
    try:
        result = _run(repo.root, "validate", "--format", "json")
        _assert_no_traceback(result)
        for p in json.loads(result.stdout):
            assert p["line"] >= 1 and p["column"] >= 1 and (repo.root / p["path"]).exists(), p
    finally:  # the next example starts from the valid repository
        if before is None:
            target.unlink()
        else:
            target.write_bytes(before)


MKDOCS = """\
site_name: Helpdesk
theme:
  name: material
  palette: {primary: indigo}
markdown_extensions:
  - admonition
  - toc: {permalink: true}
extra:
  generator: false
"""


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_build_with_a_mutated_mkdocs_yml_never_tracebacks(repo, data):
    """The portal's mkdocs.yml, fuzzed: a built site or located problems, never a traceback."""
    raw = _mutate(data, MKDOCS.encode()) if data.draw(st.booleans()) else data.draw(st.sampled_from(
        [b"\xff\xfe", b"a: !!python/name:os.system\n", b"- [\n", b"theme: material\n", b"&a [*a]\n", b"site_name: [1, 2]\n"]))
    (repo.root / "mkdocs.yml").write_bytes(raw)
    result = _run(repo.root, "build", "--out", str(repo.root.parent / "site"))
    _assert_no_traceback(result)
    if result.exit_code == 1:
        assert any(line.split(":")[0] in ("mkdocs.yml",) or ".yaml:" in line for line in result.output.splitlines()), result.output
