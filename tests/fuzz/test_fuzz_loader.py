"""The loader fuzz target, a short run for CI plus every input an earlier run found."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from .fuzz_loader import INPUTS, Stats, fuzz_one, load

# Inputs that once crashed the interpreter, raised past the boundary or took seconds; each
# now loads quickly to a problem or an article.
FOUND = {
    "segfault: 100k block levels after a Unicode line separator": (
        "---\ntitle: x\na:\u2028" + "- " * 100_000 + "x\n---\n"
    ).encode(),
    "segfault: the same after NEL": ("---\ntitle: x\na:\x85" + "- " * 100_000 + "x\n---\n").encode(),
    "AttributeError: explicit timestamp tag": b"---\ntitle: !!timestamp garbage\n---\n",
    "KeyError: explicit bool tag": b"---\ntitle: !!bool maybe\n---\n",
    "IndexError: explicit empty int": b"---\ntitle: !!int ''\n---\n",
    "IndexError: explicit empty float": b"---\ntitle: !!float ''\n---\n",
    "ValueError at render: base-60 int of 60k digits": b"---\ntitle: 1" + b":00" * 20_000 + b"\n---\n",
    "ValueError at render: hex int past the digit limit": b"---\ntitle: 0x" + b"f" * 20_000 + b"\n---\n",
    "a topic cut at 200 characters kept a trailing space": (
        "---\ntitle: x\nwebUrl: https://a.example/\npublishedDateTime: 2025-01-01\npublished: true\n"
        "topics: [AI" + "- " * 150 + "x]\n---\n"
    ).encode(),
    "21 s, 327 MB: merge bomb with 56 aliases": (
        "---\nl0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
        + "".join(f"l{i}: &l{i}\n  !!merge <<: [{', '.join([f'*l{i - 1}'] * 8)}]\n" for i in range(1, 8))
        + "---\n"
    ).encode(),
}


@pytest.mark.parametrize("data", list(FOUND.values()), ids=list(FOUND))
def test_found_inputs_load_to_a_problem_or_an_article(data: bytes) -> None:
    fuzz_one(data, Stats())


@pytest.mark.parametrize("data", list(FOUND.values())[:2], ids=list(FOUND)[:2])
def test_deep_input_does_not_crash_the_interpreter(data: bytes) -> None:
    """In a child process, since the failure this guards against is a segfault, not an exception."""
    code = "import sys; from tests.fuzz.fuzz_loader import load; load(sys.stdin.buffer.read())"
    child = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr.decode(errors="replace")[-2000:]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(INPUTS)
def test_any_file_loads_to_an_article_or_a_problem(case: tuple[bytes, bool]) -> None:
    load(case[0], good=case[1])


def test_a_good_article_with_a_surrogate_escape_and_a_star_loads() -> None:
    """Found by the property tests: '*' sent the file to the event scan, which used libyaml,
    which refuses surrogate escapes, before the fallback to the pure parser could run."""
    text = "---\ntitle: a*b\nwebUrl: https://news.example/a\npublishedDateTime: 2025-01-01\npublished: true\n"
    result = load((text + 'excerpt: "x\\udfff"\n---\n').encode(), good=True)
    assert result.article is not None and result.article.excerpt == "x"
