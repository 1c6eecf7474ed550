"""The quick YAML path (yaml_rs) against the libyaml path: wherever the quick path answers, it
must answer exactly what libyaml's path would: the same values of the same types, and never a
value for a text libyaml refuses or reads with a warning (duplicate keys, control characters).

The quick path may decline anything (then libyaml reads the text), so a comparison only
happens where it answers. Every test therefore also counts: it names the cases the quick path
must answer, or requires a share of the generated ones, so that a quick path that declined
everything (and so compared nothing) fails here.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
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


# The plain forms among them: the quick path must answer these in every context.
QUICK_SCALARS = [
    "22", "+22", "-3", "0", "-0", "1_000", "1.5", "1.", ".5", "0.0", ".inf", "-.Inf", ".nan", "NaN", "inf",
    "1:30", "12:30:00", "1.2.3", "true", "True", "false", "yes", "No", "on", "~", "null", "Null", "",
    "2024-01-02", "2024-01-02T03:04:05Z", "'22'", '"true"', "'it''s'", '"a\\tb\\u00e9\\x41\\n"', "a#c", "x:y",
    "https://a.example/x?y=1&z=2#f", "[]", "{}", "[a, [b, [c]]]", "AT&T", "Wow!", "50% off", "ñandú", "例え",
    "\U0001f600", "café",
]  # fmt: skip


@pytest.mark.parametrize("context", CONTEXTS)
def test_scalar_forms_agree(context: str) -> None:
    answered = {scalar for scalar in SCALARS if check_agrees(context.format(scalar))}
    assert set(QUICK_SCALARS) <= answered, sorted(set(QUICK_SCALARS) - answered)


# Plain block forms the quick path must answer (and agree on)...
QUICK_BLOCKS = [
    "text: plain\n  continued\n\n  paragraph\n",
    "text: 'single\n  quoted\n\n  lines'\n",
    'text: "double\n  quoted \\\n  escaped"\n',
    "text: trailing spaces   \nnext: x\n",
    "text: a\t# comment\n",
    "# only a comment\nkey: value # comment\n",
    "key: value\n\n\n",
    "key:\n",
    "key: ~\nother:\n",
    "a:\n  b:\n    c:\n      - d\n      - e: f\n        g: h\n",
    "a:\n- b\n  - c\n",
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
    "key: x,\n",
    "key: :x\n",
]  # fmt: skip
# ...and forms it may leave to libyaml: block scalars, tabs, duplicate keys, complex keys,
# document markers, characters YAML refuses, and errors (compared wherever it does answer).
OTHER_BLOCKS = [
    "text: |\n  one\n  two\n\n  three\n",
    "text: |-\n  one\n  two\n",
    "text: |+\n  one\n\n",
    "text: >\n  one\n  two\n\n  three\n",
    "text: >-\n  folded\n  lines\n",
    "text: >2\n    indented\n  less\n",
    "text:\ttab after colon\n",
    "- a\n- b\n",
    "just text\n",
    "",
    "key: value\nkey: again\n",
    "key: 1\n Key: 2\n",
    "title: x\n  bad: indent\n",
    "a: b: c\n",
    "key: [a, b\n",
    "key: 'unterminated\n",
    "key: \"bad \\q escape\"\n",
    "\tkey: tab indent\n",
    "key:\n  - \t\n",  # libyaml refuses a tab after a block indicator; yaml_rs read it as null
    "key:\n  -\tx\n",
    "? \tx\n",
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
    "key: - x\n",
    "key: ,x\n",
    "key: x:\n",
    "key: |\n",
    "key: >\n\n",
]  # fmt: skip


@pytest.mark.parametrize("front", QUICK_BLOCKS)
def test_plain_block_forms_take_the_quick_path_and_agree(front: str) -> None:
    assert check_agrees(front), "the quick path declined a plain form"


@pytest.mark.parametrize("front", OTHER_BLOCKS)
def test_other_block_forms_agree_where_answered(front: str) -> None:
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


def count_answers(strategy: st.SearchStrategy[Any], front_of: Callable[[Any], str | None], examples: int) -> float:
    """Checks the property on `examples` drawn values; the share the quick path answered."""
    tally = {"drawn": 0, "answered": 0}

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )
    @given(strategy)
    def run(value: Any) -> None:
        front = front_of(value)
        tally["drawn"] += 1
        tally["answered"] += front is not None and check_agrees(front)

    run()
    return tally["answered"] / max(tally["drawn"], 1)


def front_of_file(data: bytes) -> str | None:
    try:
        return _split_front_matter(data.decode("utf-8", "replace").replace("\r\n", "\n"))[0]
    except Exception:
        return None


def test_token_soup_agrees() -> None:
    """Mostly forms the quick path declines; it still answers some (those that read as a
    mapping, the only thing it answers), and those agree."""
    plain = st.sampled_from(["key", "title", "a", "word", "1", " ", ": ", "\n", "\n  ", "\n- ", ", "])
    soup = st.lists(st.one_of(st.sampled_from(PIECES), plain, plain, plain), max_size=30).map("".join)
    assert count_answers(soup.map("k: ".__add__), lambda front: front, 400) >= 0.05


PLAIN_LINE = st.tuples(
    st.sampled_from([": ", ":\n  - ", ": [", ": {x: "]),
    st.lists(st.one_of(*[st.sampled_from(QUICK_SCALARS)] * 4, st.sampled_from(NASTY_CHARS)), min_size=1, max_size=2),
).map(lambda t: t[0] + " ".join(t[1]) + {": [": "]", ": {x: ": "}"}.get(t[0], "") + "\n")


def test_plain_soup_agrees() -> None:
    """Lines of the forms seed files use (each key once), with awkward scalars and characters."""
    lines = st.lists(PLAIN_LINE, min_size=1, max_size=8)
    soup = lines.map(lambda values: "".join(f"key{i}{line}" for i, line in enumerate(values)))
    assert count_answers(soup, lambda front: front, 400) >= 0.1


def test_generated_files_agree() -> None:
    files = st.one_of(broken_fields(1).map(dump), good_articles(1).map(lambda pair: pair[0]))
    assert count_answers(files, front_of_file, 150) >= 0.5


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    return draw(mutated(dump(draw(broken_fields(1)))))


def test_mutated_files_agree() -> None:
    files = mutated_files()
    assert count_answers(files, front_of_file, 300) > 0  # most mutants break the YAML; a few percent read


def test_yaml_dump_of_any_value_agrees() -> None:
    """What a YAML writer (PyYAML's safe_dump, in its default and flow styles) makes of awkward values."""
    values: list[Any] = [
        {"title": s, "n": [1, -2, 3.5, None, True], "nested": {"k": s, "list": [s, s]}} for s in SCALARS
    ]
    for value in values:
        for flow in (False, True, None):
            check_agrees(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))
            check_agrees(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=False, width=20))
