"""Fuzz target for the loader: any bytes -> an Article or a Problem, never anything else.

A short run is part of the tests (tests/fuzz/test_fuzz_loader.py); the long run is

    .venv/bin/python -m tests.fuzz.fuzz_loader --examples 300000 --seed 1

which prints how many inputs it tried and what it found (see tests/fuzz/README.md). It runs
in-process, so a crash of the interpreter (a C parser segfault) ends it: the input being
parsed is always in --last (default /tmp/feeds-fuzz-last.bin) so that case can be replayed.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.loading import LoadResult, parse_article
from feeds.model import Article, Image, Problem, Provider, clean_line, clean_text, is_http_url, slugify

from .strategies import SECRET, broken_files, good_articles

SLOW_SECONDS = 2.0  # CPU seconds no single file may take to load (CPU time: a busy machine is no finding)
# (file bytes, whether it must become an article): good articles with arbitrary text, or anything
INPUTS = st.one_of(broken_files(7).map(lambda data: (data, False)), good_articles(7).map(lambda pair: (pair[0], True)))


def check_clean(text: str, what: str, *, line: bool = False) -> None:
    assert clean_text(text) == text, f"{what} has characters XML cannot carry: {text!r}"
    if line:
        assert clean_line(text) == text, f"{what} is not one clean line: {text!r}"


def check_image(image: Image | None, what: str) -> None:
    if image is None:
        return
    assert is_http_url(image.url), (what, image.url)
    assert (image.width is None) == (image.height is None), (what, image)
    assert image.width is None or (type(image.width) is int and 0 < image.width <= 100_000), (what, image)
    assert image.height is None or (type(image.height) is int and 0 < image.height <= 100_000), (what, image)


def check_provider(provider: Provider | None, what: str) -> None:
    if provider is None:
        return
    assert provider.name, what
    check_clean(provider.name, f"{what}.name", line=True)
    assert "." in provider.domain and provider.domain == provider.domain.lower().strip(), (what, provider)


def check_article(article: Article) -> None:
    """Everything the outputs rely on, held for any article the loader lets through."""
    assert article.title, "empty title"
    check_clean(article.title, "title", line=True)
    check_clean(article.excerpt, "excerpt")
    check_clean(article.body, "body")
    assert is_http_url(article.id), article.id
    assert article.published.tzinfo is UTC, article.published
    check_provider(article.provider, "provider")
    for topic in article.topics:
        check_clean(topic, "topic", line=True)
        assert slugify(topic), f"topic {topic!r} slugs to nothing"
    assert len(set(article.topics)) == len(article.topics)
    for i, image in enumerate(article.images):
        check_image(image, f"images[{i}]")
    for related in article.related:
        assert related.title
        check_clean(related.title, "related.title", line=True)
        check_clean(related.excerpt, "related.excerpt")
        assert is_http_url(related.url), related.url
        assert related.published is None or related.published.tzinfo is UTC
        check_provider(related.provider, "related.provider")
        check_image(related.image, "related.image")
    assert SECRET not in repr((article, article.detail)), "the secured value reached the article"
    for number in (article.quality, article.heat):
        assert number is None or (type(number) is float and math.isfinite(number)), number


def check_problem(problem: Problem) -> None:
    assert problem.field and problem.message, problem
    assert problem.message.isprintable() and problem.field.isprintable(), problem
    assert "internal error" not in problem.message, problem
    assert SECRET not in str(problem), problem
    assert clean_line(problem.message) == problem.message, problem


def load(data: bytes, *, good: bool = False) -> LoadResult:
    """What load_file does after reading; any exception but ArticleError is a finding, and so
    is a good article that does not load (with no error) as one."""
    try:
        result = parse_article(data, "fuzz.txt")
    except ArticleError as exc:
        result = LoadResult("fuzz.txt", None, (Problem("fuzz.txt", exc.field, exc.message),))
    for problem in result.problems:
        check_problem(problem)
    if result.article is not None:
        check_article(result.article)
    if good:
        assert result.article is not None, result.problems
    return result


@dataclass
class Stats:
    inputs: int = 0
    articles: int = 0
    total_bytes: int = 0
    slowest: float = 0.0
    slowest_input: bytes = b""
    outcomes: Counter[str] = field(default_factory=Counter)


def fuzz_one(data: bytes, stats: Stats, last: Path | None = None, progress: int = 0, *, good: bool = False) -> None:
    if last is not None:
        last.write_bytes(data)
    gc.disable()  # a collection of the fuzzer's own garbage is not the loader's time
    try:
        start = time.process_time()
        result = load(data, good=good)
        elapsed = time.process_time() - start
    finally:
        gc.enable()
    assert elapsed < SLOW_SECONDS, f"took {elapsed:.2f} CPU seconds"
    stats.inputs += 1
    if progress and stats.inputs % progress == 0:
        print(f"... {stats.inputs} inputs, slowest {stats.slowest * 1000:.0f} ms", flush=True)
    stats.total_bytes += len(data)
    if elapsed > stats.slowest:
        stats.slowest, stats.slowest_input = elapsed, data
    stats.articles += result.article is not None
    errors = [p for p in result.problems if p.severity == "error"]
    kind = f"{errors[0].field}: {_shape(errors[0].message)}" if errors else None
    key = kind or ("article" if result.article else "not published")
    stats.outcomes[key] += 1


def _shape(message: str) -> str:
    """What a message expected, without what it got (which varies with every input)."""
    return message.split(", got ")[0]


def run(examples: int, seed: int, last: Path | None) -> Stats:
    stats = Stats()

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(INPUTS)
    def target(case: tuple[bytes, bool]) -> None:
        fuzz_one(case[0], stats, last, progress=5000, good=case[1])

    from hypothesis import seed as hypothesis_seed

    hypothesis_seed(seed)(target)()
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--last", type=Path, default=Path("/tmp/feeds-fuzz-last.bin"))
    args = parser.parse_args(argv)
    faulthandler.enable()
    start = time.perf_counter()
    try:
        stats = run(args.examples, args.seed, args.last)
    except Exception as exc:  # a finding: hypothesis has shrunk it and printed the input
        print(f"FOUND: {type(exc).__name__}: {exc}", file=sys.stderr)
        for sub in getattr(exc, "exceptions", ()):
            print(f"  because: {type(sub).__name__}: {sub}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(
        f"{stats.inputs} inputs, {stats.total_bytes / 1e6:.1f} MB, {elapsed:.0f} s "
        f"({stats.inputs / elapsed:.0f}/s); {stats.articles} became articles; "
        f"slowest input {stats.slowest * 1000:.0f} ms; no findings"
    )
    for outcome, count in stats.outcomes.most_common(25):
        print(f"{count:8d}  {outcome}")
    if args.last is not None:
        slowest = args.last.with_name(args.last.stem + "-slowest.bin")
        slowest.write_bytes(stats.slowest_input)
        print(f"slowest input ({len(stats.slowest_input)} bytes) kept in {slowest}: {stats.slowest_input[:120]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
