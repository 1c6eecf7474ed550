"""The quick YAML path (yaml_rs) against the libyaml path: wherever the quick path answers, it
must answer exactly what libyaml's path would: the same values of the same types, and never a
value for a text libyaml refuses or reads with a warning (duplicate keys, control characters).

The quick path may decline anything (then libyaml reads the text); these tests only hold what
it does answer to libyaml's answer. They also check that it answers for real files at all.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import loading
from feeds.loading import _parse_with_libyaml, _plainly_shallow, _quick_parse, _split_front_matter

from .fuzz.strategies import NASTY_CHARS, YAML_TOKENS, broken_fields, dump, good_articles, mutated

ROOT = Path(__file__).resolve().parent.parent


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (True is not 1, 1 is not 1.0; nan is nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):  # keys compared by `same` too: a `.nan` key is equal to no key
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def libyaml_reading(front: str) -> tuple[str, Any]:
    """("ok", value) when the libyaml path reads the text cleanly, else ("refused"/"warned", why)."""
    try:
        value, duplicates = _parse_with_libyaml(front)
    except Exception as exc:
        return "refused", repr(exc)
    if duplicates:
        return "warned", duplicates
    return "ok", value


def check_agrees(front: str) -> bool:
    """The property; True when the quick path answered (so callers can count how often)."""
    if not _plainly_shallow(front):
        return False
    quick = _quick_parse(front)
    if quick is None:
        return False
    if loading._NOT_YAML.search(front):
        pytest.fail(f"the quick path read text libyaml refuses (control characters): {front!r}")
    verdict, value = libyaml_reading(front)
    assert verdict == "ok", f"the quick path read {front!r} as {quick!r}; libyaml's path: {verdict} {value}"
    assert same(quick, value), f"{front!r}: quick {quick!r} != libyaml {value!r}"
    return True


# Scalars in the forms YAML 1.1 and 1.2 disagree on, and in the forms seed files use.
SCALARS = [
    "22", "+22", "-3", "0", "00", "-0", "017", "0o17", "0x1F", "0xff", "0b101", "1_000", "_1", "1__2", "09",
    "12e3", "1e3", "1E3", "1.5", "1.", ".5", "-.5", "1.5e+3", "1.5e3", "1.5E-3", "6.02e23", "1_0.5", "0.0",
    ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "NaN", "inf", "1:30", "12:30:00", "190:20:30", "1.2.3", "=",
    "99999999999999999999", "9223372036854775808", "1" * 40, "-", "+", ".", "0x", "0o", "0b2", "0xG",
    "true", "True", "TRUE", "tRUE", "false", "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "NULL",
    "nULL", "", "2024-01-02", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-1-2", "2001-12-14t21:59:43.10-05:00",
    "'22'", '"true"', "'it''s'", '"a\\tb\\u00e9\\x41\\n"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\/"', '"\\N\\_\\L\\P"',
    "a: b", "a #c", "a#c", "x:y", "https://a.example/x?y=1&z=2#f", "<<", "*a", "&a x", "!!str 1", "? x", "%x",
    "@x", "`x", "[]", "{}", "[1, 017, 1e3]", "{a: 1, b: 0o7}", "[a, [b, [c]]]", '{"a":017}', "{'a':1e3}",
    "AT&T", "Wow!", "50% off", "C*", "a=b", "x<<y", "ñandú", "例え", "\U0001f600", "café",
]  # fmt: skip
CONTEXTS = [
    "key: {}\n",
    "key:\n  - {}\n",
    "key: [{}]\n",
    "key: {{inner: {}}}\n",
    "key: a\nother: {}\n",
    "key:\n  {}\n",
    "list:\n- {}\n- x\n",
]


@pytest.mark.parametrize("context", CONTEXTS)
def test_scalar_forms_agree(context: str) -> None:
    for scalar in SCALARS:
        check_agrees(context.format(scalar))


BLOCKS = [
    "text: |\n  one\n  two\n\n  three\n",
    "text: |-\n  one\n  two\n",
    "text: |+\n  one\n\n",
    "text: >\n  one\n  two\n\n  three\n",
    "text: >-\n  folded\n  lines\n",
    "text: >2\n    indented\n  less\n",
    "text: plain\n  continued\n\n  paragraph\n",
    "text: 'single\n  quoted\n\n  lines'\n",
    'text: "double\n  quoted \\\n  escaped"\n',
    "text: trailing spaces   \nnext: x\n",
    "text:\ttab after colon\n",
    "text: a\t# comment\n",
    "# only a comment\nkey: value # comment\n",
    "key: value\n\n\n",
    "key:\n",
    "key: ~\nother:\n",
    "a:\n  b:\n    c:\n      - d\n      - e: f\n        g: h\n",
    "- a\n- b\n",
    "just text\n",
    "",
    "key: value\nkey: again\n",
    "key: 1\n Key: 2\n",
    "title: x\n  bad: indent\n",
    "a: b: c\n",
    "a:\n- b\n  - c\n",
    "key: [a, b\n",
    "key: 'unterminated\n",
    "key: \"bad \\q escape\"\n",
    "\tkey: tab indent\n",
    "key:\n\t- tab\n",
    "key: x\n...\n",
    "key: x\n---\nother: y\n",
    "? complex\n: value\n",
    "[a]: b\n",
    "{a: b}: c\n",
    "key: x\x07y\n",
    "key: x\x7fy\n",
    "key: x\x9fy\n",
    "key: x\ufffey\n",
    "key: \x85x\n",
    "key: a\u2028b\n",
    "key: a\ufeffb\n",
    "\ufeffkey: x\n",
    "key: \"\\0\"\n",
    "key: \"\\x00\"\n",
    "key: \"\\e\\a\\b\\v\\f\"\n",
    "secured: \"abc/+==\"\ntitle: x\n",
    "1: one\n",
    "true: yes\n",
    "null: x\n",
    "~: x\n",
    "1.5: x\n",
    "'': x\n",
    "key: -x\n",
    "key: - x\n",
    "key: ,x\n",
    "key: x,\n",
    "key: :x\n",
    "key: x:\n",
    "key: |\n",
    "key: >\n\n",
]  # fmt: skip


@pytest.mark.parametrize("front", BLOCKS)
def test_block_forms_agree(front: str) -> None:
    check_agrees(front)


def test_real_files_take_the_quick_path(tmp_path: Path) -> None:
    """Both seed files and a generated corpus: read quickly, and the same as libyaml reads them."""
    subprocess.run([sys.executable, "-m", "bench.corpus", str(tmp_path), "--count", "300"], cwd=ROOT, check=True)
    paths = [*sorted(tmp_path.glob("*.txt")), *sorted((ROOT / "seeds").glob("*.txt"))]
    assert len(paths) >= 300
    for path in paths:
        front, _ = _split_front_matter(path.read_text(encoding="utf-8"))
        assert check_agrees(front), f"{path.name} did not take the quick path"


PIECES = [
    *YAML_TOKENS,
    *NASTY_CHARS,
    *SCALARS,
    "key", "title", "a", "b", " ", "  ", "\n", "\n  ", "\n- ", ": ", ", ", "word", "1", "0", "e", "_", ".",
]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_token_soup_agrees(front: str) -> None:
    check_agrees(front)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(broken_fields(1).map(dump), good_articles(1).map(lambda pair: pair[0])))
def test_generated_files_agree(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        front, _ = _split_front_matter(text)
    except Exception:
        return
    check_agrees(front)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_files_agree(data: st.DataObject) -> None:
    source = dump(data.draw(broken_fields(1)))
    text = data.draw(mutated(source)).decode("utf-8", "replace")
    try:
        front, _ = _split_front_matter(text.replace("\r\n", "\n"))
    except Exception:
        return
    check_agrees(front)


def test_yaml_dump_of_any_value_agrees() -> None:
    """What a YAML writer (PyYAML's safe_dump, in its default and flow styles) makes of awkward values."""
    values: list[Any] = [
        {"title": s, "n": [1, -2, 3.5, None, True], "nested": {"k": s, "list": [s, s]}} for s in SCALARS
    ]
    for value in values:
        for flow in (False, True, None):
            check_agrees(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))
            check_agrees(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=False, width=20))
