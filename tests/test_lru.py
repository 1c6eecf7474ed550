"""The caches of rendered feeds, pages and entries stay inside their budget in bytes, drop the
least recently used first, and never change what is served."""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Callable

import pytest
from flask import Flask

from feeds.errors import ConfigError
from feeds.lru import ENTRY_OVERHEAD, ByteLRU
from feeds.rendering import jsonfeed, set_entry_cache_bytes, syndication
from feeds.web.fast import FastPath

from .conftest import WriteArticle


def sized(n: int) -> Callable[[], bytes]:
    return lambda: b"x" * n


def test_the_least_recently_used_go_first_once_past_the_budget() -> None:
    cache: ByteLRU[bytes] = ByteLRU(3 * (100 + ENTRY_OVERHEAD), len)
    for key in "abc":
        cache.get(key, sized(100))
    assert cache.get("a", sized(999)) == b"x" * 100  # a hit: made once, now the most recent
    cache.get("d", sized(100))  # one too many: b is the least recently used
    made: list[str] = []

    def track(key: str) -> Callable[[], bytes]:
        return lambda: made.append(key) or b"x" * 100

    for key in "acd":
        cache.get(key, track(key))
    assert made == []
    cache.get("b", track("b"))
    assert made == ["b"]
    assert len(cache) == 3 and cache.bytes == 3 * (100 + ENTRY_OVERHEAD)
    assert (cache.hits, cache.misses) == (4, 5)


def test_a_value_larger_than_the_budget_is_kept_alone() -> None:
    cache: ByteLRU[bytes] = ByteLRU(1000, len)
    cache.get("small", sized(10))
    assert cache.get("big", sized(5000)) == b"x" * 5000
    assert len(cache) == 1 and cache.get("big", sized(1)) == b"x" * 5000
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0


def test_threads_keep_the_count_of_bytes_exact() -> None:
    budget = 40 * (500 + ENTRY_OVERHEAD)
    cache: ByteLRU[bytes] = ByteLRU(budget, len)
    errors: list[BaseException] = []

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(3000):
                key = rng.randrange(200)
                value = bytes([key]) * (key * 5)
                assert cache.get(key, lambda v=value: v) == value  # type: ignore[misc]
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    held = [value for value, _ in cache._items.values()]
    assert cache.bytes == sum(len(v) + ENTRY_OVERHEAD for v in held) <= budget


@pytest.fixture
def many(write_article: WriteArticle) -> None:
    """Sixty articles with long bodies over six topics and three providers."""
    for n in range(60):
        domain = f"p{n % 3}.example"
        write_article(
            n,
            body=f"Paragraph {n}. " * 100,
            topics=[f"Topic {n % 6}", "All"],
            provider={"name": f"Provider {n % 3}", "domain": domain},
            publishedDateTime=f"2025-0{n % 9 + 1}-{n % 28 + 1:02d}T12:00:00Z",
        )


def urls() -> list[str]:
    out = []
    for ext in ("xml", "atom", "json"):
        out.append(f"/feed.{ext}")
        out += [f"/feeds/topic-{t}.{ext}" for t in range(6)]
        out += [f"/feeds/providers/p{p}.example.{ext}?limit=40" for p in range(3)]
    return [*out, "/", "/topics/all", "/feeds.opml"]


def test_a_small_cache_budget_bounds_every_cache_and_serves_the_same_bytes(
    make_app: Callable[..., Flask], many: None
) -> None:
    try:
        roomy = make_app().test_client()
        expected = {url: roomy.get(url).data for url in urls()}
        small = make_app(CACHE_MB=1)
        client = small.test_client()
        cache = small.extensions["feeds"].outputs.cache
        for _ in range(2):
            for url in urls():
                response = client.get(url)
                assert response.status_code == 200 and response.data == expected[url], url
                assert cache.bytes <= 768 << 10
                assert syndication._FRAGMENTS.bytes <= 192 << 10 and jsonfeed._ITEMS.bytes <= 64 << 10
        assert len(cache) < len(urls())  # the bound did drop some: the test exercised it
        assert syndication._FRAGMENTS.max_bytes == 192 << 10
    finally:
        set_entry_cache_bytes(8 << 20)  # the default (a quarter of CACHE_MB=32), for the tests that follow


def test_the_cache_budget_is_at_least_one_mib(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="CACHE_MB"):
        make_app(CACHE_MB=0)


def test_the_fast_path_keeps_no_body_the_render_cache_dropped(make_app: Callable[..., Flask], many: None) -> None:
    app = make_app()
    client = app.test_client()
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    feed_urls = [url for url in urls() if "/feed" in url and not url.endswith(".opml")]
    before = {url: client.get(url).data for url in feed_urls}
    assert len(fast._memo) == len(feed_urls)  # every feed went through the fast path and is remembered
    app.extensions["feeds"].outputs.cache.clear()
    gc.collect()
    assert all(memo.rendered() is None for memo in fast._memo.values())  # nothing else held the bodies
    for url in feed_urls:
        assert client.get(url).data == before[url], url  # rendered again, through the cache


def test_a_feed_the_fast_path_keeps_answering_stays_in_the_render_cache(
    make_app: Callable[..., Flask], many: None
) -> None:
    """Memo hits count as uses of the cache: the busiest feed must not age out first."""
    try:
        app = make_app(CACHE_MB=1)
        client = app.test_client()
        cache = app.extensions["feeds"].outputs.cache
        others = [url for url in urls() if url != "/feed.xml" and not url.startswith(("/topics", "/feeds.opml"))]
        others.remove("/")
        client.get("/feed.xml")
        renders = 0
        for url in others * 3:
            before = cache.misses
            assert client.get("/feed.xml").status_code == 200  # between every other request: the most recent
            renders += cache.misses - before
            client.get(url)
        assert len(cache) < len(others)  # the others did not all fit: some were dropped
        assert renders == 0
    finally:
        set_entry_cache_bytes(8 << 20)
