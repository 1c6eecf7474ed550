"""Filtered, combined and paged feeds that miss the render cache, at scale (issue 14).

    .venv/bin/python -m bench.filters [--count 100000] [--corpus DIR] [--queries 300]

One process loads the corpus (bench/corpus/<count>, written by bench.corpus when missing; a
snapshot kept beside it makes later runs start fast), takes the largest topic, and renders
RSS for many different queries, each with a fresh render cache (the entry caches stay as a
serving worker has them). Prints p50, p99 and max per kind of query, and overall.

Before those it times the first query of each kind on the largest topic (what a worker builds
once per data version: the words index, the heat order, the columns), then has every other
article indexed (a q on each topic the combined kinds use, then on the site), printing what that
holds and the growth of resident memory; after them, the first query of each kind again once an
article of the largest topic changed (in memory: the corpus is left as it is).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpus import cached_corpus

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 20.0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _rss() -> int:
    """This process's resident memory in bytes (0 where /proc is not)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _sizes(query_module: Any, when: str, site: int, rss_before: int) -> None:
    """What the words index and the groups' columns hold (their arrays, bytes and tuples'
    pointers, in bytes), and how much the process's resident memory grew since `rss_before`."""
    words = query_module._WORDS
    index = words.postings.nbytes + words.hashes.itemsize * len(words.hashes)
    columns = 0
    for c in query_module._COLUMNS.values():
        columns += len(c.indexed[1]) * 4 if c.indexed else 0
        columns += len(c.quality or b"") + 8 * len(c.domains or ()) + 4 * sum(map(len, c.providers.values()))
        columns += 4 * (len(c.hot[1]) if c.hot else 0) + 4 * len(c.rank or ())
    grown = _rss() - rss_before
    print(
        f"{when}: words index {len(words.hashes)} articles, {len(words.postings.ends)} tokens, "
        f"{index / 1e6:.1f} MB ({index / site:.0f} B per article of the site); columns of "
        f"{len(query_module._COLUMNS)} groups {columns / 1e6:.1f} MB ({columns / site:.0f} B); "
        f"resident memory +{grown / 1e6:.1f} MB since the start ({grown / site:.0f} B per article)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="uncached filtered, combined and paged feeds")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--queries", type=int, default=300, help="different queries of each kind")
    args = parser.parse_args()
    corpus = cached_corpus(args.corpus, args.count)

    from feeds.catalog import Catalog
    from feeds.index import Index
    from feeds.model import pack_detail
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

    firsts = {
        "q": query(q=("zqwarmupnomatch",)),
        "sort=heat": query(heat=True),
        "min_quality": query(min_quality=99),
        "provider": query(provider="no-such-provider.example"),
    }

    def first_queries(when: str, on: Index) -> None:
        group = max(on.topics.values(), key=lambda g: len(g.articles))
        for name, first in firsts.items():
            t = time.perf_counter()
            Outputs("feeds", RenderCache()).feed(on, [group], "rss", "https://b.example", now, first)
            print(f"first {name} on the largest topic {when}: {(time.perf_counter() - t) * 1000:.0f} ms", flush=True)

    site = len(index.site.articles)
    gc.collect()
    rss = _rss()
    first_queries("after the start (builds its index, heat order or columns)", index)
    _sizes(query_module, "after them", site, rss)
    t = time.perf_counter()
    before = len(query_module._WORDS.hashes)
    for group in [*topics[1:40], index.site]:  # the combined kinds' topics, and then every article
        select([group], query(q=("zqwarmupnomatch",)), now)
    added = len(query_module._WORDS.hashes) - before
    took = time.perf_counter() - t
    print(
        f"first q on each of the next 39 topics, then on the site: {took * 1000:.0f} ms in all, {added} "
        f"articles indexed ({took / max(added, 1) * 1e6:.0f} us each)",
        flush=True,
    )
    gc.collect()
    _sizes(query_module, "every article indexed", site, rss)
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
    gc.collect()
    _sizes(query_module, "after every query", site, rss)
    edited = largest.articles[len(largest.articles) // 2]  # one article edited: a new text, a new index
    detail = edited.detail._replace(title=edited.title + " edited")
    changed = catalog._builder.apply(
        {edited.path: edited._replace(packed=pack_detail(detail), digest=edited.digest + 1)}
    )
    first_queries("after one of its articles changed", changed)
    p99 = _pct(everything, 99)
    print(
        f"{'all':28s} p50 {statistics.median(everything):7.2f} ms  p99 {p99:7.2f} ms  max {max(everything):7.2f} ms"
        f"  (target p99 <= {TARGET_MS:.0f} ms: {'met' if p99 <= TARGET_MS else 'NOT met'})"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
