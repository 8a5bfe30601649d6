"""No input produces a traceback: fuzzed bytes, fuzzed YAML, fuzzed values."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import TICKET
from gitdesk.errors import Problem
from gitdesk.loader import read_record
from gitdesk.yamlsrc import YamlProblem, load

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
