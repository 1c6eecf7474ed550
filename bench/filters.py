"""Filtered, combined and paged feeds that miss the render cache, at scale (issue 14).

    .venv/bin/python -m bench.filters [--count 100000] [--corpus DIR] [--queries 300]

One process loads the corpus (bench/corpus/<count>, written by bench.corpus when missing; a
snapshot kept beside it makes later runs start fast), takes the largest topic, and renders
RSS for many different queries, each with a fresh render cache (the entry caches stay as a
serving worker has them). Prints p50, p99 and max per kind of query, and overall.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import cached_corpus

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 20.0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="uncached filtered, combined and paged feeds")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--queries", type=int, default=300, help="different queries of each kind")
    args = parser.parse_args()
    corpus = cached_corpus(args.corpus, args.count)

    from feeds.catalog import Catalog
    from feeds.outputs import Outputs, RenderCache
    from feeds.query import FeedQuery, select

    snapshot = args.corpus / f".snapshot-filters-{args.count}"
    t = time.perf_counter()
    catalog = Catalog(corpus, max_bytes=1 << 20, snapshot_dir=snapshot, jobs=os.cpu_count() or 1)
    index = catalog.index
    print(f"loaded {len(index.site.articles)} articles in {time.perf_counter() - t:.1f} s", flush=True)
    now = time.time()
    topics = sorted(index.topics.values(), key=lambda g: -len(g.articles))
    largest = topics[0]
    visible = largest.visible(now)
    print(f"largest topic: {largest.slug}, {len(visible)} visible articles", flush=True)
    rng = random.Random(14)
    words = sorted({w for a in rng.sample(visible, 200) for w in a.title.casefold().split() if len(w) > 3})
    providers = sorted({a.provider.domain for a in visible if a.provider is not None})
    oldest, newest = visible[-1].published_us, visible[0].published_us

    def query(**fields: object) -> FeedQuery:
        return FeedQuery(50, **fields)  # type: ignore[arg-type]

    def cursor_at(groups: list, heat: bool = False) -> FeedQuery:
        base = query(heat=heat)
        shown, _ = select(groups, base._replace(limit=rng.randrange(50, 2000)), now)
        return base._replace(cursor=base.after(shown[-1]))

    kinds: dict[str, Callable[[int], tuple[list, FeedQuery]]] = {
        "q (a word from titles)": lambda i: ([largest], query(q=(rng.choice(words),))),
        "q matching nothing": lambda i: ([largest], query(q=(f"zq{i}xnomatch",))),
        "q two words + sort=heat": lambda i: ([largest], query(q=tuple(sorted(rng.sample(words, 2))), heat=True)),
        "since (random date)": lambda i: ([largest], query(since_us=rng.randrange(oldest, newest))),
        "min_quality": lambda i: ([largest], query(min_quality=rng.randrange(1, 100))),
        "sort=heat": lambda i: ([largest], query(heat=True, min_quality=rng.randrange(0, 50))),
        "provider": lambda i: ([largest], query(provider=rng.choice(providers))),
        "combined (2-8 topics)": lambda i: ([largest, *rng.sample(topics[1:40], rng.randrange(1, 8))], query()),
        "combined + q": lambda i: ([largest, *rng.sample(topics[1:40], 2)], query(q=(rng.choice(words),))),
        "paged (cursor)": lambda i: ([largest], cursor_at([largest])),
        "paged + sort=heat": lambda i: ([largest], cursor_at([largest], heat=True)),
    }
    from feeds import query as query_module

    for name, first in (("q", query(q=("zqwarmupnomatch",))), ("sort=heat", query(heat=True))):
        t = time.perf_counter()
        Outputs("feeds", RenderCache()).feed(index, [largest], "rss", "https://b.example", now, first)
        print(
            f"first {name} on the largest topic after a change (builds its kept order or text): "
            f"{(time.perf_counter() - t) * 1000:.0f} ms",
            flush=True,
        )
    kept = sum(len(t.blob) + t.ends.itemsize * len(t.ends) for t in query_module._TEXTS.values())
    print(
        f"kept search text of the largest topic: {kept / 1e6:.1f} MB, "
        f"{kept / len(largest.articles):.0f} B per article of the topic",
        flush=True,
    )
    everything: list[float] = []
    rows = []
    for name, make in kinds.items():
        times: list[float] = []
        for i in range(args.queries):
            groups, feed_query = make(i)
            groups = sorted(groups, key=lambda g: g.slug)
            outputs = Outputs("feeds", RenderCache())
            t = time.perf_counter()
            outputs.feed(index, groups, "rss", "https://b.example", now, feed_query)
            times.append((time.perf_counter() - t) * 1000)
        everything.extend(times)
        rows.append((name, statistics.median(times), _pct(times, 99), max(times)))
        print(f"{name:28s} p50 {rows[-1][1]:7.2f} ms  p99 {rows[-1][2]:7.2f} ms  max {rows[-1][3]:7.2f} ms", flush=True)
    p99 = _pct(everything, 99)
    print(
        f"{'all':28s} p50 {statistics.median(everything):7.2f} ms  p99 {p99:7.2f} ms  max {max(everything):7.2f} ms"
        f"  (target p99 <= {TARGET_MS:.0f} ms: {'met' if p99 <= TARGET_MS else 'NOT met'})"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
