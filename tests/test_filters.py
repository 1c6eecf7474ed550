"""Filters, combined topics and paging (issue 14): each result set and order against the
expected articles worked out here from the fixture data, canonical self links and ETags,
the 400s, and every variant held to feedcheck's rules and feedparser."""

from __future__ import annotations

import base64
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import feedparser
import pytest
from flask.testing import FlaskClient

from feeds.index import Group, IndexBuilder
from feeds.model import Article, Detail, Image, Provider, Related, make_article, micros, pack_detail, search_text
from feeds.query import FeedQuery, select

from .conftest import WriteArticle, reload
from .feedcheck import CHECKS, A, parse_xml

BASE = "https://feeds.example"
START = datetime(2025, 6, 1, tzinfo=UTC)
EXT = {"rss": "xml", "atom": "atom", "json": "json"}
COUNT = 30


def _fields(n: int) -> dict[str, Any]:
    """The fixture article n: dates with a tie (n = 10, 20, 30 share the date of n - 1),
    three topics, two providers, some without quality or heat, some with 'zebra' in the text."""
    hours = n - 1 if n % 10 == 0 else n
    topics = [["AI Hardware"], ["Chips"], ["AI Hardware", "Chips"]][n % 3]
    if n % 5 == 0:
        topics = [*topics, "Robots"]
    provider = (
        {"name": "Example News", "domain": "news.example"} if n % 2 else {"name": "Other", "domain": "other.example"}
    )
    return {
        "publishedDateTime": (START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z"),
        "topics": topics,
        "provider": provider,
        "quality": ... if n % 11 == 0 else (n * 37) % 101,
        "heat": ... if n % 7 == 0 else (n * 53) % 97,
        "title": f"Zebra crossing {n}" if n % 4 == 0 else f"Article number {n}",
        "excerpt": f"A ZEBRA was seen ({n})." if n % 5 == 0 else f"Excerpt of article {n}.",
        "related": ...,
    }


def _expected(n: int) -> dict[str, Any]:
    f = _fields(n)
    slugs = {t.lower().replace(" ", "-") for t in f["topics"]}
    return {
        "id": f"https://news.example/a/{n}",
        "us": datetime.fromisoformat(f["publishedDateTime"]),
        "topics": slugs,
        "provider": f["provider"]["domain"],
        "quality": None if f["quality"] is ... else f["quality"],
        "heat": None if f["heat"] is ... else f["heat"],
        "text": (f["title"] + "\n" + f["excerpt"]).casefold(),
    }


ARTICLES = [_expected(n) for n in range(1, COUNT + 1)]


def _newest(a: dict[str, Any]) -> tuple[float, str]:
    return (-a["us"].timestamp(), a["id"])


def _hottest(a: dict[str, Any]) -> tuple[float, float, str]:
    return (-(a["heat"] or 0), -a["us"].timestamp(), a["id"])


def expected_ids(topics: set[str] | None, pick: Any = lambda a: True, heat: bool = False) -> list[str]:
    chosen = [a for a in ARTICLES if (topics is None or a["topics"] & topics) and pick(a)]
    return [a["id"] for a in sorted(chosen, key=_hottest if heat else _newest)]


@pytest.fixture
def corpus(write_article: WriteArticle) -> None:
    for n in range(1, COUNT + 1):
        write_article(n, **_fields(n))


def ids_of(body: bytes, fmt: str) -> list[str]:
    if fmt == "json":
        return [item["id"] for item in json.loads(body)["items"]]
    root = parse_xml(body)
    if fmt == "rss":
        return [item.findtext("guid") for item in root.iter("item")]
    return [entry.findtext(f"{A}id") for entry in root.iter(f"{A}entry")]


def links_of(body: bytes, fmt: str) -> dict[str, str]:
    """rel -> href of the feed-level links (JSON: self is feed_url, next is next_url)."""
    if fmt == "json":
        feed = json.loads(body)
        return {"self": feed["feed_url"], **({"next": feed["next_url"]} if "next_url" in feed else {})}
    root = parse_xml(body)
    parent = root.find("channel") if fmt == "rss" else root
    return {link.get("rel"): link.get("href") for link in parent.findall(f"{A}link")}


def fetch(client: FlaskClient, url: str, fmt: str) -> bytes:
    """GET a feed that must pass every check with its self link equal to `url` (absolute)."""
    response = client.get(url.removeprefix(BASE))
    assert response.status_code == 200, (url, response.data[:300])
    assert CHECKS[fmt](response.data, url) == [], url
    if fmt != "json":
        assert feedparser.parse(response.data).bozo == 0, url
    return response.data


FILTERS = [
    ("q=zebra", lambda a: "zebra" in a["text"], False),
    ("q=crossing%20zebra", lambda a: "zebra" in a["text"] and "crossing" in a["text"], False),
    ("since=2025-06-01T20:00:00Z", lambda a: a["us"] >= datetime(2025, 6, 1, 20, tzinfo=UTC), False),
    ("min_quality=50", lambda a: (a["quality"] or 0) >= 50, False),
    ("provider=other.example", lambda a: a["provider"] == "other.example", False),
    ("sort=heat", lambda a: True, True),
    (
        "min_quality=20&provider=news.example&q=zebra&sort=heat",
        lambda a: (a["quality"] or 0) >= 20 and a["provider"] == "news.example" and "zebra" in a["text"],
        True,
    ),
]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize(("query", "pick", "heat"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_picks_and_orders_the_expected_articles(
    corpus: None, client: FlaskClient, fmt: str, query: str, pick: Any, heat: bool
) -> None:
    url = f"{BASE}/feeds/ai-hardware.{EXT[fmt]}?limit=500&{query}"
    body = fetch(client, url, fmt)
    assert ids_of(body, fmt) == expected_ids({"ai-hardware"}, pick, heat)
    site = fetch(client, f"{BASE}/feed.{EXT[fmt]}?limit=500&{query}", fmt)
    assert ids_of(site, fmt) == expected_ids(None, pick, heat)


def test_a_filter_on_a_provider_feed(corpus: None, client: FlaskClient) -> None:
    body = fetch(client, f"{BASE}/feeds/providers/other.example.json?q=zebra", "json")
    assert ids_of(body, "json") == expected_ids(
        None, lambda a: a["provider"] == "other.example" and "zebra" in a["text"]
    )


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("?sort=heat&q=zebra", "?q=zebra&sort=heat"),
        ("?q=zebra&sort=heat&utm_source=x&fbclid=1", "?q=zebra&sort=heat"),
        ("?q=%20Zebra%20%20CROSSING%20zebra", "?q=crossing%20zebra"),
        ("?since=2025-06-02", "?since=2025-06-02T00:00:00Z"),
        ("?since=2025-06-02T02:00:00%2B02:00", "?since=2025-06-02T00:00:00Z"),
        ("?since=2025-06-02T00:00:00", "?since=2025-06-02T00:00:00Z"),  # naive: UTC
        ("?sort=newest&min_quality=0&q=", ""),  # defaults dropped
        ("?provider=Other.Example&min_quality=007", "?min_quality=7&provider=other.example"),
        ("?limit=5&sort=heat", "?limit=5&sort=heat"),
    ],
)
def test_the_self_link_is_the_canonical_query(corpus: None, client: FlaskClient, given: str, canonical: str) -> None:
    for fmt in ("rss", "atom", "json"):
        response = client.get(f"/feeds/ai-hardware.{EXT[fmt]}{given}")
        assert response.status_code == 200
        url = f"{BASE}/feeds/ai-hardware.{EXT[fmt]}{canonical}"
        assert links_of(response.data, fmt)["self"] == url
        same = client.get(url.removeprefix(BASE))
        assert same.data == response.data and same.headers["ETag"] == response.headers["ETag"]


def test_parameter_order_and_unknown_parameters_change_nothing(corpus: None, client: FlaskClient) -> None:
    one = client.get("/feeds/ai-hardware.xml?sort=heat&q=zebra")
    two = client.get("/feeds/ai-hardware.xml?q=zebra&sort=heat")
    three = client.get("/feeds/ai-hardware.xml?utm_campaign=a&q=zebra&sort=heat&_=123")
    assert one.data == two.data == three.data
    assert one.headers["ETag"] == two.headers["ETag"] == three.headers["ETag"]
    plain = client.get("/feeds/ai-hardware.xml?utm_source=rss")
    assert plain.data == client.get("/feeds/ai-hardware.xml").data
    cached = client.get("/feeds/ai-hardware.xml?q=zebra&sort=heat", headers={"If-None-Match": one.headers["ETag"]})
    assert cached.status_code == 304 and cached.headers["ETag"] == one.headers["ETag"]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("", "AI Hardware — feeds"),
        ("?sort=heat&q=zebra", "AI Hardware: zebra, hottest first — feeds"),
        ("?provider=news.example&min_quality=60", "AI Hardware: from news.example, quality 60+ — feeds"),
        ("?since=2025-06-02", "AI Hardware: since 2025-06-02T00:00:00Z — feeds"),
    ],
)
def test_the_title_says_the_filter(corpus: None, client: FlaskClient, query: str, title: str) -> None:
    rss = parse_xml(client.get(f"/feeds/ai-hardware.xml{query}").data)
    assert rss.find("channel").findtext("title") == title
    assert json.loads(client.get(f"/feeds/ai-hardware.json{query}").data)["title"] == title
    assert json.loads(client.get(f"/feed.json{query}").data)["title"].startswith("feeds")


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_a_filter_that_matches_nothing_is_an_empty_feed(corpus: None, client: FlaskClient, fmt: str) -> None:
    for query in (
        "q=nothing-matches-this",
        "since=2030-01-01T00:00:00Z",
        "provider=nowhere.example",
        "min_quality=100&q=crossing",
    ):
        body = fetch(client, f"{BASE}/feeds/ai-hardware.{EXT[fmt]}?{query}", fmt)
        assert ids_of(body, fmt) == []
        assert "next" not in links_of(body, fmt)


def _cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\n".join(parts).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: expected a whole number from 1 to 500, got '0'"),
        ("limit=x", "limit: expected a whole number from 1 to 500, got 'x'"),
        ("min_quality=101", "min_quality: expected a whole number from 0 to 100, got '101'"),
        ("min_quality=-1", "min_quality: expected a whole number from 0 to 100, got '-1'"),
        ("min_quality=5.5", "min_quality: expected a whole number from 0 to 100, got '5.5'"),
        ("sort=hot", "sort: expected 'heat' (hottest first) or 'newest' (the default), got 'hot'"),
        ("since=yesterday", "since: expected an ISO 8601 date or date-time (2026-11-30, 2026-11-30T09:00:00Z), got"),
        ("since=2025-13-01", "since: expected an ISO 8601 date or date-time"),
        ("since=", "since: expected an ISO 8601 date or date-time"),
        ("provider=not%20a%20domain", "provider: expected a domain such as digitimes.com, got 'not a domain'"),
        ("provider=", "provider: expected a domain such as digitimes.com, got ''"),
        ("q=" + "%20".join("abcdefghi"), "q: expected at most 8 words"),
        ("q=" + "a" * 201, "q: expected at most 200 characters"),
        ("cursor=", "cursor: expected a cursor from a next link of this feed, got ''"),
        ("cursor=!!!", "cursor: expected a cursor from a next link of this feed, got '!!!'"),
        ("cursor=abc", "cursor: expected a cursor from a next link of this feed, got 'abc'"),
        (f"cursor={_cursor('12', 'not-a-url')}", "cursor: expected a cursor from a next link"),
        (f"cursor={_cursor('x', 'https://news.example/a/1')}", "cursor: expected a cursor from a next link"),
        (f"cursor={_cursor('1', 'https://news.example/a/1')}&sort=heat", "cursor: expected a cursor"),  # not heat's
        (f"cursor={_cursor('5.0', '1', 'https://news.example/a/1')}", "cursor: expected a cursor"),  # heat's
    ],
)
def test_every_invalid_value_is_a_400_naming_the_parameter(
    corpus: None, client: FlaskClient, query: str, message: str
) -> None:
    for path in ("/feeds/ai-hardware.xml", "/feeds/ai-hardware+chips.json", "/feed.atom"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.get_data(as_text=True).startswith(message), response.get_data(as_text=True)


# combined topics ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_combined_topics_are_the_union_newest_first_each_once(corpus: None, client: FlaskClient, fmt: str) -> None:
    ext = EXT[fmt]
    body = fetch(client, f"{BASE}/feeds/ai-hardware+robots.{ext}?limit=500", fmt)
    assert ids_of(body, fmt) == expected_ids({"ai-hardware", "robots"})
    body = fetch(client, f"{BASE}/feeds/ai-hardware+chips+robots.{ext}?limit=500", fmt)
    assert ids_of(body, fmt) == expected_ids({"ai-hardware", "chips", "robots"})
    assert len(ids_of(body, fmt)) == COUNT
    body = fetch(client, f"{BASE}/feeds/chips+robots.{ext}?limit=500&q=zebra&sort=heat", fmt)
    assert ids_of(body, fmt) == expected_ids({"chips", "robots"}, lambda a: "zebra" in a["text"], heat=True)


def test_combined_titles_name_every_topic(corpus: None, client: FlaskClient) -> None:
    feed = json.loads(client.get("/feeds/ai-hardware+chips.json?sort=heat").data)
    assert feed["title"] == "AI Hardware + Chips: hottest first — feeds"
    assert feed["home_page_url"] == f"{BASE}/"


def test_combined_slugs_in_another_order_or_spelling_move_to_the_sorted_form(corpus: None, client: FlaskClient) -> None:
    for path in ("/feeds/robots+chips.xml", "/feeds/Robots+chips.xml", "/feeds/chips+robots+chips.xml"):
        response = client.get(path + "?q=zebra")
        assert response.status_code == 301, path
        assert response.headers["Location"].endswith("/feeds/chips+robots.xml?q=zebra")
    assert client.get("/feeds/chips+chips.xml").headers["Location"].endswith("/feeds/chips.xml")


def test_combined_feed_errors(corpus: None, client: FlaskClient) -> None:
    response = client.get("/feeds/chips+unicorns.xml")
    assert response.status_code == 404 and "'unicorns'" in response.get_data(as_text=True)
    assert client.get("/feeds/chips++robots.xml").status_code == 404
    many = "+".join(["chips"] * 9)
    response = client.get(f"/feeds/{many}.xml")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("topics: expected at most 8 topics joined with '+', got 9")
    assert client.get("/feeds/providers/news.example+other.example.xml").status_code == 404


# paging ------------------------------------------------------------------------------------


def walk(client: FlaskClient, url: str, fmt: str) -> tuple[list[str], list[str]]:
    """Follow next links from `url` to the last page: (every id shown, every page URL)."""
    seen: list[str] = []
    pages: list[str] = []
    first = url
    while url:
        pages.append(url)
        assert len(pages) <= COUNT + 2, "next links loop"
        body = fetch(client, url, fmt)
        seen.extend(ids_of(body, fmt))
        links = links_of(body, fmt)
        if fmt != "json":
            assert links["first"] == first
        url = links.get("next", "")
        if url:
            assert dict(parse_qsl(urlsplit(url).query)).keys() >= {"cursor"}
    return seen, pages


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize(
    ("path", "query", "topics", "pick", "heat"),
    [
        ("/feeds/ai-hardware", "limit=4", {"ai-hardware"}, lambda a: True, False),
        ("/feed", "limit=7", None, lambda a: True, False),  # pages end on the tied dates too
        ("/feeds/ai-hardware", "limit=3&sort=heat", {"ai-hardware"}, lambda a: True, True),
        ("/feeds/chips+robots", "limit=2&q=zebra", {"chips", "robots"}, lambda a: "zebra" in a["text"], False),
        ("/feeds/ai-hardware", "limit=2&q=zebra", {"ai-hardware"}, lambda a: "zebra" in a["text"], False),
        (
            "/feed",
            "limit=3&min_quality=10&q=e%20zebra&since=2025-06-01T08:00:00Z",
            None,
            lambda a: (
                (a["quality"] or 0) >= 10
                and "zebra" in a["text"]
                and "e" in a["text"]
                and a["us"] >= datetime(2025, 6, 1, 8, tzinfo=UTC)
            ),
            False,
        ),
        ("/feed", "limit=4&min_quality=30&sort=heat", None, lambda a: (a["quality"] or 0) >= 30, True),
    ],
)
def test_following_next_shows_every_article_exactly_once(
    corpus: None, client: FlaskClient, fmt: str, path: str, query: str, topics: Any, pick: Any, heat: bool
) -> None:
    seen, pages = walk(client, f"{BASE}{path}.{EXT[fmt]}?{query}", fmt)
    assert seen == expected_ids(topics, pick, heat)
    assert len(pages) > 1


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_a_page_keeps_its_articles_when_new_ones_arrive(
    corpus: None, client: FlaskClient, write_article: WriteArticle, fmt: str
) -> None:
    ext = EXT[fmt]
    first = fetch(client, f"{BASE}/feeds/ai-hardware.{ext}?limit=4", fmt)
    second_url = links_of(first, fmt)["next"]
    second = fetch(client, second_url, fmt)
    write_article(100, **{**_fields(3), "publishedDateTime": "2025-06-05T00:00:00Z", "title": "Newest"})
    write_article(101, **{**_fields(3), "publishedDateTime": "2025-06-01T00:30:00Z", "title": "Old one"})
    reload(client)
    again = fetch(client, second_url, fmt)
    assert ids_of(again, fmt) == ids_of(second, fmt)
    assert ids_of(fetch(client, f"{BASE}/feeds/ai-hardware.{ext}?limit=4", fmt), fmt)[0] == "https://news.example/a/100"
    seen, _ = walk(client, f"{BASE}/feeds/ai-hardware.{ext}?limit=4", fmt)
    assert sorted(seen) == sorted(
        {*expected_ids({"ai-hardware"}), "https://news.example/a/100", "https://news.example/a/101"}
    )
    assert len(seen) == len(set(seen))


def test_pages_are_cached_and_validated(corpus: None, client: FlaskClient) -> None:
    first = client.get("/feeds/ai-hardware.atom?limit=4")
    second_url = links_of(first.data, "atom")["next"].removeprefix(BASE)
    second = client.get(second_url)
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    again = client.get(second_url, headers={"If-None-Match": second.headers["ETag"]})
    assert again.status_code == 304
    assert "Last-Modified" in second.headers


def test_the_last_page_has_no_next_and_plain_feeds_link_first(corpus: None, client: FlaskClient) -> None:
    body = client.get("/feeds/ai-hardware.xml").data  # 20 articles, 50 a page
    assert links_of(body, "rss") == {
        "self": f"{BASE}/feeds/ai-hardware.xml",
        "first": f"{BASE}/feeds/ai-hardware.xml",
    }
    assert "next_url" not in json.loads(client.get("/feeds/ai-hardware.json").data)


def test_the_static_export_links_no_next_page(corpus: None, client: FlaskClient) -> None:
    from feeds.web.lookup import find_feed

    state = client.application.extensions["feeds"]
    live = client.get("/feeds/ai-hardware.xml?limit=4").data
    assert "next" in links_of(live, "rss")
    exported = find_feed(state, ("topic", "ai-hardware", "xml"), {"limit": "4"}, BASE, paging=False).body
    assert set(links_of(exported, "rss")) == {"self", "first"}


@pytest.mark.parametrize(
    "detail",
    [
        Detail("Zebra Crossing", "A ZEBRA was seen.", "body " * 1000, Image("https://img.example/a.jpg", 10, 20)),
        Detail("Straße ÆØÅ " * 300, "Éxcerpt " * 400, "body"),  # past the first 2 KB inflated
        Detail("", "", ""),
        Detail("t", "e", "", None, (Related("r", ""),)),  # a related item without a URL: the JSON form
        Detail("Title", "", "", Image("")),  # a lead image without a URL: the JSON form
    ],
)
def test_search_text_is_the_casefolded_title_and_excerpt(detail: Detail) -> None:
    assert search_text(pack_detail(detail)) == f"{detail.title}\n{detail.excerpt}".casefold()


def test_search_text_of_packed_text_that_does_not_unpack() -> None:
    assert search_text(b"not deflate at all \xff") == "\n"


# how q is answered: the words index and the columns, against a computation of the expected --------

# Each setting steers select() down other paths at this small size: texts kept as they are or
# merged into tokens, tokens as bits or as ordinals, rare words listed or walked, words checked
# in each article's text, the index dropped for its size (every text read).
SETTINGS = {
    "default": {},
    "merged, bits": {"_RECENT": 0, "_BITS": 10**9},
    "merged, ordinals, listed": {"_RECENT": 0, "_BITS": 0, "_RARE": 10**9},
    "recent texts, walked": {"_RECENT": 10**9, "_RARE": 0},
    "words checked in each text": {"_TOKENS_MAX": 0},
    "index dropped for its size": {"_BYTES_PER_ARTICLE": 0, "_BYTES_FLOOR": 0},
}


@pytest.fixture
def fresh_index(monkeypatch: pytest.MonkeyPatch) -> Any:
    """feeds.query with an empty words index and no columns (restored after the test)."""
    from feeds import query

    monkeypatch.setattr(query, "_WORDS", query._Words())
    monkeypatch.setattr(query, "_COLUMNS", {})
    return query


@pytest.mark.parametrize("setting", SETTINGS)
def test_q_finds_the_same_articles_on_every_path(
    corpus: None, client: FlaskClient, fresh_index: Any, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    for name, value in SETTINGS[setting].items():
        monkeypatch.setattr(fresh_index, name, value)
    for q, pick in [
        ("zebra", lambda a: "zebra" in a["text"]),
        ("ZEBRA%20seen", lambda a: "zebra" in a["text"] and "seen" in a["text"]),
        ("number%201", lambda a: "number" in a["text"] and "1" in a["text"]),  # words, not a phrase; 1 in 10
        ("ebr", lambda a: "ebr" in a["text"]),  # part of a word
        ("(5).", lambda a: "(5)." in a["text"]),  # punctuation is part of a token
        ("%00", lambda a: False),  # the separator of the tokens matches nothing
        ("1.%00excerpt", lambda a: False),  # nor does a word across two tokens
        ("zebra%20unicorn", lambda a: False),  # a word in no article
    ]:
        for path, topics in (("/feeds/ai-hardware", {"ai-hardware"}), ("/feeds/chips+robots", {"chips", "robots"})):
            for sort, heat in (("", False), ("&sort=heat", True)):
                body = client.get(f"{path}.json?limit=500&q={q}{sort}").data
                assert ids_of(body, "json") == expected_ids(topics, pick, heat), (path, q, sort)
    assert fresh_index._WORDS.off == (setting == "index dropped for its size")


def test_q_sees_an_edited_article_and_forgets_a_removed_one(
    corpus: None, client: FlaskClient, write_article: WriteArticle, seeds_dir: Any, fresh_index: Any
) -> None:
    assert ids_of(client.get("/feeds/ai-hardware.json?q=zebra&limit=500").data, "json") == expected_ids(
        {"ai-hardware"}, lambda a: "zebra" in a["text"]
    )
    write_article(3, **{**_fields(3), "title": "Unicorn sighted"})  # 3 had no zebra, in ai-hardware
    (seeds_dir / "005.txt").unlink()  # 5 had a zebra (in ai-hardware)
    reload(client)
    for sort in ("", "&sort=heat"):
        assert ids_of(client.get(f"/feeds/ai-hardware.json?q=unicorn{sort}").data, "json") == [
            "https://news.example/a/3"
        ]
        found = ids_of(client.get(f"/feeds/ai-hardware.json?q=zebra&limit=500{sort}").data, "json")
        assert found == [
            i for i in expected_ids({"ai-hardware"}, lambda a: "zebra" in a["text"], sort != "") if not i.endswith("/5")
        ]


def test_the_index_starts_again_when_much_of_it_is_of_articles_since_changed(
    corpus: None, client: FlaskClient, write_article: WriteArticle, fresh_index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fresh_index, "_CHURN", 10**6)  # any change of a group seen before: start again
    client.get("/feeds/ai-hardware.json?q=zebra")
    first = fresh_index._WORDS
    write_article(6, **{**_fields(6), "title": "Article number 6, again"})  # (in ai-hardware)
    reload(client)
    body = client.get("/feeds/ai-hardware.json?q=again").data
    assert ids_of(body, "json") == ["https://news.example/a/6"]
    assert fresh_index._WORDS is not first and len(fresh_index._WORDS.hashes) == len(expected_ids({"ai-hardware"}))


def test_an_article_new_to_a_group_but_indexed_for_another_is_not_indexed_again(
    corpus: None, client: FlaskClient, write_article: WriteArticle, fresh_index: Any
) -> None:
    client.get("/feeds/ai-hardware.json?q=zebra")
    client.get("/feeds/chips.json?q=zebra")  # 4 (Chips only) is indexed now
    indexed = len(fresh_index._WORDS.hashes)
    write_article(4, **{**_fields(4), "topics": ["Chips", "AI Hardware"]})  # the same text, one more topic
    reload(client)
    body = client.get("/feeds/ai-hardware.json?q=zebra&limit=500").data  # (from its last version, and 4)
    assert ids_of(body, "json") == expected_ids(
        None, lambda a: "zebra" in a["text"] and ("ai-hardware" in a["topics"] or a["id"].endswith("/4"))
    )
    assert len(fresh_index._WORDS.hashes) == indexed


def test_a_hash_is_found_where_its_bytes_start_an_entry() -> None:
    from array import array

    from feeds.query import _MISSING, _find_hash

    wanted = int.from_bytes(bytes(range(1, 9)), sys.byteorder, signed=True)
    low, high = wanted.to_bytes(8, sys.byteorder, signed=True)[:4], wanted.to_bytes(8, sys.byteorder, signed=True)[4:]
    before = int.from_bytes(b"\0" * 4 + low, sys.byteorder, signed=True)  # its bytes across two entries first
    after = int.from_bytes(high + b"\0" * 4, sys.byteorder, signed=True)
    hashes = array("q", [7, before, after, wanted, 9]).tobytes()
    assert _find_hash(hashes, wanted) == 3
    assert _find_hash(hashes, 8) == _MISSING


@pytest.mark.parametrize(
    ("bits", "size"), [(0, 0), (0b1, 1), (0b1011, 5), (1 << 17 | 1, 18), (1 << 63, 64), (1 << 64 | 0b101, 65)]
)
def test_bits_and_byte_maps_turn_into_each_other(bits: int, size: int) -> None:
    from feeds.query import _packed, _spread

    spread = _spread(bits, size)
    assert list(spread) == [(bits >> n) & 1 for n in range(size)]
    assert int.from_bytes(_packed(spread), "little") == bits


# select() against a computation, on a random corpus ------------------------------------------------

WORDS = ["zebra", "Crossing", "nvidia", "chip", "straße", "ÆØÅ", "e", "ai", "x1", "a.b", "(12)", "über", "ﬁne"]


def _random_articles(rng: random.Random, count: int, start: int = 0) -> dict[str, Article]:
    """Articles with words from WORDS (common and rare ones), tied dates, some in the future, three
    topics, three providers and none, qualities with fractions, heat or none."""
    made = {}
    for n in range(start, start + count):
        title = " ".join(rng.choices(WORDS, weights=range(len(WORDS), 0, -1), k=rng.randrange(0, 5)))
        excerpt = " ".join(rng.choices(WORDS, k=rng.randrange(0, 4))) + rng.choice(["", ".", " (n)"])
        domain = rng.choice([None, "one.example", "two.example", "three.example"])
        made[f"{n}.txt"] = make_article(
            id=f"https://news.example/r/{n}",
            path=f"{n}.txt",
            title=title,
            excerpt=excerpt,
            published=START + timedelta(hours=rng.randrange(0, 60)),  # some after NOW
            provider=None if domain is None else Provider(domain.split(".")[0], domain),
            topics=tuple(rng.sample(["Alpha", "Beta", "Gamma"], rng.randrange(0, 3))),
            quality=rng.choice([None, float(rng.randrange(0, 101)), rng.uniform(0, 100)]),
            heat=rng.choice([None, float(rng.randrange(0, 20))]),
            digest=n,
        )
    return made


NOW = (START + timedelta(hours=48)).timestamp()  # some articles are held back
LATER = (START + timedelta(hours=100)).timestamp()  # none is


def _expected(groups: list[Group], query: FeedQuery, now: float) -> list[str]:
    union = {a.id: a for g in groups for a in g.articles if a.published_us <= now * 1_000_000}
    chosen = [
        a
        for a in union.values()
        if all(w in search_text(a.packed) for w in query.q)
        and (query.since_us is None or a.published_us >= query.since_us)
        and (a.quality or 0) >= query.min_quality
        and (query.provider is None or (a.provider is not None and a.provider.domain == query.provider))
    ]
    if query.heat:
        chosen.sort(key=lambda a: (-(a.heat or 0), -a.published_us, a.id))
    else:
        chosen.sort(key=lambda a: (-a.published_us, a.id))
    return [a.id for a in chosen]


def _pages(groups: list[Group], query: FeedQuery, now: float) -> list[str]:
    """Every article of the feed, following cursors from the first page to the last."""
    seen: list[str] = []
    while True:
        shown, after = select(groups, query, now)
        assert len(shown) <= query.limit
        seen.extend(a.id for a in shown)
        if after is None:
            return seen
        assert len(seen) < 1000, "cursors loop"
        query = query._replace(cursor=after)


def _random_query(rng: random.Random) -> FeedQuery:
    pieces = [*(w.casefold() for w in WORDS), "ebr", "zq", "\0", "hip", "(n)", "ss", "b.", "fine"]
    return FeedQuery(
        rng.choice([1, 3, 7, 50]),
        q=tuple(sorted(set(rng.sample(pieces, rng.choice([0, 1, 1, 2, 3]))))),
        since_us=rng.choice([None, micros(START + timedelta(hours=rng.randrange(0, 50)))]),
        min_quality=rng.choice([0, 0, rng.randrange(1, 101)]),
        heat=rng.random() < 0.4,
        provider=rng.choice([None, None, "one.example", "three.example", "nowhere.example"]),
    )


@pytest.mark.parametrize("setting", SETTINGS)
def test_select_agrees_with_a_computation_on_a_random_corpus(
    fresh_index: Any, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    for name, value in SETTINGS[setting].items():
        monkeypatch.setattr(fresh_index, name, value)
    rng = random.Random(setting)
    builder = IndexBuilder()
    articles = _random_articles(rng, 300)
    index = builder.apply(articles)
    for round_ in range(3):
        groups_of = [
            [index.site],
            *([t] for t in index.topics.values()),
            *([p] for p in index.providers.values()),
            list(index.topics.values()),
            [index.topics["alpha"], index.topics["gamma"]],
        ]
        for _ in range(60):
            groups, query, now = rng.choice(groups_of), _random_query(rng), rng.choice([NOW, LATER])
            assert _pages(groups, query, now) == _expected(groups, query, now), (
                round_,
                [g.slug for g in groups],
                query,
            )
        # then some articles change, go and come, and the same again
        changes: dict[str, Article | None] = dict.fromkeys(rng.sample(sorted(articles), 20))
        changes.update(_random_articles(rng, 20, start=1000 * (round_ + 1)))
        edited = _random_articles(rng, 15, start=0)
        changes.update({path: edited[path] for path in rng.sample(sorted(edited), 15) if path not in changes})
        for path, article in changes.items():
            if article is None:
                articles.pop(path, None)
            else:
                articles[path] = article
        index = builder.apply(changes)
