"""RSS items and Atom entries are written without feedgen, byte for byte as feedgen + lxml wrote them.

The oracle (tests/entry_oracle.py) is the feedgen writer as it was; every article of the sample
seeds, of a generated corpus and of hostile made-up data must come out the same from both.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.corpus import write_corpus
from feeds.folder import is_article_name
from feeds.index import Index, build_index
from feeds.loading import load_file
from feeds.model import (
    EPOCH_UTC,
    MAX_US,
    MIN_US,
    Article,
    Image,
    Provider,
    Related,
    clean_line,
    clean_text,
    make_article,
)
from feeds.rendering import FeedSpec, Urls, render_atom, render_json, render_rss, syndication
from feeds.rendering.spec import isoformat_us, rfc822_us

from .conftest import SAMPLE_SEEDS
from .entry_oracle import oracle_fragment

FORMATS = ("rss", "atom")
# A base URL that needs escaping in an attribute: the RSS <source url> is built from it.
BASES = ("https://feeds.example", 'https://feeds.example/a&b"c')


def load_index(root: Path) -> Index:
    names = sorted(name for name in os.listdir(root) if is_article_name(name))
    index = build_index(load_file(root, name, max_bytes=1 << 20) for name in names)
    assert index.site.articles, f"no article loaded from {root}"
    return index


def site_spec(index: Index, base: str) -> FeedSpec:
    return FeedSpec("site", "", "t", "d", Urls(base), index.site.articles, index.topics_of, "feeds", "feeds 1")


def assert_same_entries(spec: FeedSpec) -> None:
    syndication._FRAGMENTS.clear()  # made-up articles share a digest: start from no fragment
    for fmt in FORMATS:
        for article in spec.articles:
            expected = oracle_fragment(spec, article, fmt)
            assert syndication._fragment(spec, article, fmt) == expected, (fmt, article.path)
            assert syndication._fragment(spec, article, fmt) == expected, (fmt, article.path)  # from the cache
    syndication._FRAGMENTS.clear()


@pytest.mark.parametrize("base", BASES)
def test_sample_seeds_entries_match_feedgen(base: str) -> None:
    assert_same_entries(site_spec(load_index(SAMPLE_SEEDS), base))


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    root = write_corpus(tmp_path_factory.mktemp("corpus"), 2000)
    yield load_index(root)


def test_generated_corpus_entries_match_feedgen(corpus_index: Index) -> None:
    spec = site_spec(corpus_index, BASES[1])
    assert len(spec.articles) > 1000
    # With and without a lead image, with several related articles (the hostile data covers the rest).
    assert {a.image is None for a in spec.articles} == {True, False}
    assert any(len(a.related) > 1 for a in spec.articles)
    assert_same_entries(spec)


def test_whole_documents_are_the_feedgen_header_around_the_entries() -> None:
    spec = site_spec(load_index(SAMPLE_SEEDS), BASES[0])
    for fmt, render in (("rss", render_rss), ("atom", render_atom)):
        body = render(spec)
        entries = b"".join(oracle_fragment(spec, article, fmt) for article in spec.articles)
        assert entries and entries in body
        closing = b"</channel>" if fmt == "rss" else b"</feed>"
        assert body.count(entries + closing) == 1


# Hostile text: markup, CDATA ends, quotes, line breaks and tabs, non-ASCII and astral characters,
# then cleaned as loading cleans it (XML cannot carry everything st.characters() draws).
HOSTILE = ["&", "<", ">", "]]>", '"', "'", "\n", "\r", "\t", "\r\n", "\n\n", "é", "😀", "&amp;", "\x85", "\u2028", " "]
RAW = st.lists(st.one_of(st.characters(), st.sampled_from(HOSTILE)), max_size=24).map("".join)
TEXT = RAW.map(clean_text)
LINE = RAW.map(clean_line)
NONEMPTY_LINE = LINE.filter(bool)
# Loading lets no whitespace into URLs and none but spaces into names; the writer must not rely on it.
URL = st.one_of(
    st.sampled_from(["https://news.example/a/1", "https://news.example/a?x=1&y=2", "https://img.example/p.PNG"]),
    TEXT.map(lambda s: "https://news.example/" + s),
)
SIZE = st.one_of(st.none(), st.integers(0, 100_000))
IMAGES = st.one_of(st.none(), st.builds(Image, URL, SIZE, SIZE))
PROVIDERS = st.one_of(st.none(), st.builds(Provider, LINE, st.sampled_from(["news.example", "例え.jp"])))
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])
DATES = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1), timezones=ZONES)
RELATED = st.builds(Related, TEXT, URL, TEXT, st.one_of(st.none(), DATES), PROVIDERS, IMAGES)
TOPICS = st.lists(st.tuples(TEXT, TEXT), max_size=8)


@st.composite
def hostile_articles(draw: st.DrawFn) -> tuple[Article, list[tuple[str, str]]]:
    article = make_article(
        id=draw(URL),
        path="x.txt",
        title=draw(NONEMPTY_LINE),
        published=draw(DATES),
        excerpt=draw(st.one_of(st.just(""), TEXT)),
        body=draw(st.lists(TEXT, max_size=4).map("\n\n".join)),
        provider=draw(PROVIDERS),
        images=draw(st.one_of(st.just(()), IMAGES.filter(bool).map(lambda i: (i,)))),
        related=tuple(draw(st.lists(RELATED, max_size=3))),
    )
    return article, draw(TOPICS)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=hostile_articles(), base=st.sampled_from(BASES))
def test_hostile_entries_match_feedgen(drawn: tuple[Article, list[tuple[str, str]]], base: str) -> None:
    article, topics = drawn
    spec = FeedSpec("site", "", "t", "d", Urls(base), (article,), lambda _: list(topics), "feeds", "feeds 1")
    assert_same_entries(spec)


@pytest.mark.parametrize(
    "article",
    [
        # Nothing but a title: an empty HTML body (an empty atom <content/>, rss <content:encoded>).
        make_article(id="https://n.example/1", path="a", title="T", published=datetime(2025, 1, 1, tzinfo=UTC)),
        # An image with one side only: no width or height anywhere.
        make_article(
            id="https://n.example/2",
            path="b",
            title="T & <b>",
            published=datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
            images=(Image("https://i.example/x", 10, None),),
            provider=Provider("", "n.example"),
        ),
    ],
)
def test_edge_entries_match_feedgen(article: Article) -> None:
    spec = FeedSpec("site", "", "t", "d", Urls(BASES[0]), (article,), lambda _: [], "feeds", "feeds 1")
    assert_same_entries(spec)


def test_rss_item_without_a_title_matches_feedgen() -> None:
    """Loading never lets one through, but feedgen's RSS branches for it are kept (Atom raised)."""
    article = make_article(id="https://n.example/3", path="c", title="", published=datetime(2025, 1, 1, tzinfo=UTC))
    spec = FeedSpec("site", "", "t", "d", Urls(BASES[0]), (article,), lambda _: [], "feeds", "feeds 1")
    syndication._FRAGMENTS.clear()
    assert syndication._fragment(spec, article, "rss") == oracle_fragment(spec, article, "rss")
    syndication._FRAGMENTS.clear()


@settings(max_examples=3000, deadline=None)
@given(st.integers(MIN_US, MAX_US))
@example(MIN_US)
@example(MAX_US)
@example(-1)
@example(0)
@example(-1_000_001)
@example(1_700_000_000_000_001)
def test_dates_from_microseconds_match_datetime(us: int) -> None:
    """The entry writer formats dates from Article.published_us without a datetime: the same text."""
    when = EPOCH_UTC + timedelta(microseconds=us)
    assert rfc822_us(us) == format_datetime(when, usegmt=True)
    assert isoformat_us(us) == when.isoformat()


@pytest.mark.parametrize(
    "packed",
    [b"not deflate", zlib.compress(b"\xff\xfe", wbits=-15), zlib.compress(b'[1, {"a": 2}]', wbits=-15)],
)
def test_packed_text_that_does_not_unpack_gives_an_empty_entry_not_an_error(packed: bytes) -> None:
    """Only a snapshot written by hand with a good CRC could hold such text; it must not fail a request."""
    good = make_article(id="https://n.example/1", path="a", title="T", published=datetime(2025, 1, 1, tzinfo=UTC))
    broken = good._replace(packed=packed, digest=hash(packed))
    spec = FeedSpec("site", "", "t", "d", Urls(BASES[0]), (broken,), lambda _: [], "feeds", "feeds 1")
    syndication._FRAGMENTS.clear()
    for render in (render_rss, render_atom):
        parsed = feedparser.parse(render(spec))
        assert not parsed.bozo and [e.get("id") for e in parsed.entries] == ["https://n.example/1"], render
    assert [item["id"] for item in json.loads(render_json(spec))["items"]] == ["https://n.example/1"]
