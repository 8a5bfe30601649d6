"""Reading YAML text into plain data, and finding positions again."""

from __future__ import annotations

import pytest

from gitdesk.load.yamlsrc import POS, YamlProblem, load, locate, strip_positions


def test_scalars_stay_text():
    data = strip_positions(load(b"a: 12.30\nb: true\nc: 2026-11-03\nd: ~\ne: ''\nf:\n"))
    assert data == {"a": "12.30", "b": "true", "c": "2026-11-03", "d": None, "e": "", "f": None}


def test_mapping_positions():
    data = load(b"a: 1\nlist:\n  - {x: 1}\n  - y: 2\n")
    assert data[POS] == (1, 1)
    assert data["list"][0][POS] == (3, 5) and data["list"][1][POS] == (4, 5)


def test_duplicate_key_is_located():
    with pytest.raises(YamlProblem) as exc:
        load(b"a: 1\nb: 2\na: 3\n")
    assert (exc.value.line, exc.value.column) == (3, 1) and "duplicate key" in exc.value.message


def test_invalid_utf8_is_located():
    with pytest.raises(YamlProblem) as exc:
        load(b"a: 1\nb: caf\xe9\n")
    assert exc.value.line == 2 and "UTF-8" in exc.value.message


def test_alias_bomb_is_refused():
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n".encode()
    with pytest.raises(YamlProblem, match="too large"):
        load(bomb)


def test_deep_nesting_is_refused():
    with pytest.raises(YamlProblem):
        load(b"a: " + b"[" * 500 + b"]" * 500)


def test_empty_and_multi_document():
    with pytest.raises(YamlProblem, match="empty"):
        load(b"# only a comment\n")
    with pytest.raises(YamlProblem):
        load(b"a: 1\n---\nb: 2\n")


def test_locate_paths():
    text = "a: 1\nlist:\n  - x: 1\n    y: [1, 2]\n"
    assert locate(text, ("list", 0, "y", 1)) == (4, 12)
    assert locate(text, ("list", 0, "y"), key=True) == (4, 5)
    assert locate(text, ("list", 0, "missing")) == (3, 5)  # the record a missing field belongs to
    assert locate("not: [valid", ("a",)) == (1, 1)
