"""Every feed kind in every format, parsed element by element and read by feedparser."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from feeds import create_app

from .conftest import SECRET, Clock, WriteArticle, crawl, reload
from .feedcheck import ATOM, CHECKS, MEDIA, parse_xml

A = f"{{{ATOM}}}"
M = f"{{{MEDIA}}}"
BASE = "https://feeds.example"
FEED_URLS = {
    ("site", "rss"): "/feed.xml",
    ("site", "atom"): "/feed.atom",
    ("site", "json"): "/feed.json",
    ("topic", "rss"): "/feeds/ai-hardware.xml",
    ("topic", "atom"): "/feeds/ai-hardware.atom",
    ("topic", "json"): "/feeds/ai-hardware.json",
    ("provider", "rss"): "/feeds/providers/news.example.xml",
    ("provider", "atom"): "/feeds/providers/news.example.atom",
    ("provider", "json"): "/feeds/providers/news.example.json",
}
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}


@pytest.fixture
def three(write_article: WriteArticle) -> None:
    for n in (1, 2, 3):
        write_article(n)


def entries(body: bytes, fmt: str) -> list[dict[str, Any]]:
    """(id, title, link) of each entry, read with our own parser, not feedparser."""
    if fmt == "json":
        return [{"id": i["id"], "title": i["title"], "link": i["url"]} for i in json.loads(body)["items"]]
    root = parse_xml(body)
    if fmt == "rss":
        return [
            {"id": i.findtext("guid"), "title": i.findtext("title"), "link": i.findtext("link")}
            for i in root.iter("item")
        ]
    return [
        {
            "id": e.findtext(f"{A}id"),
            "title": e.findtext(f"{A}title"),
            "link": next(x.get("href") for x in e.findall(f"{A}link") if x.get("rel", "alternate") == "alternate"),
        }
        for e in root.iter(f"{A}entry")
    ]


@pytest.mark.parametrize(("kind", "fmt"), sorted(FEED_URLS))
def test_every_feed_meets_its_spec_and_reads_in_feedparser(
    three: None, client: FlaskClient, kind: str, fmt: str
) -> None:
    url = FEED_URLS[(kind, fmt)]
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{MEDIA_TYPES[fmt]}; charset=utf-8"
    assert CHECKS[fmt](response.data, BASE + url) == []
    got = entries(response.data, fmt)
    assert [e["id"] for e in got] == [f"https://news.example/a/{n}" for n in (3, 2, 1)]  # newest first
    assert [e["title"] for e in got] == [f"Article number {n}" for n in (3, 2, 1)]
    assert all(e["link"] == e["id"] for e in got)
    if fmt != "json":  # feedparser 6 reads RSS and Atom only; JSON is held to feedcheck above
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [e.id for e in parsed.entries] == [f"https://news.example/a/{n}" for n in (3, 2, 1)]
        assert [e.title for e in parsed.entries] == [f"Article number {n}" for n in (3, 2, 1)]
        assert parsed.entries[0].published_parsed[:6] == (2025, 6, 4, 12, 0, 0)


def test_an_article_has_one_id_in_every_feed(three: None, client: FlaskClient) -> None:
    ids = {url: [e["id"] for e in entries(client.get(url).data, fmt)] for (_, fmt), url in FEED_URLS.items()}
    assert len({tuple(v) for v in ids.values()}) == 1


def test_feed_metadata_comes_from_the_data(three: None, client: FlaskClient) -> None:
    rss = parse_xml(client.get("/feeds/ai-hardware.xml").data).find("channel")
    assert rss.findtext("link") == f"{BASE}/topics/ai-hardware"
    assert rss.findtext("lastBuildDate") == "Wed, 04 Jun 2025 12:00:00 GMT"
    assert rss.findtext("title") == "AI Hardware — feeds"
    assert rss.findtext("generator").startswith("feeds ")
    atom = parse_xml(client.get("/feeds/ai-hardware.atom").data)
    assert atom.findtext(f"{A}updated") == "2025-06-04T12:00:00+00:00"
    links = {link.get("rel"): link.get("href") for link in atom.findall(f"{A}link")}
    assert links == {
        "self": f"{BASE}/feeds/ai-hardware.atom",
        "alternate": f"{BASE}/topics/ai-hardware",
        "first": f"{BASE}/feeds/ai-hardware.atom",  # RFC 5005: the newest page; one page, so no next
    }
    assert atom.findtext(f"{A}generator").startswith("feeds ")
    feed = json.loads(client.get("/feeds/providers/news.example.json").data)
    assert feed["home_page_url"] == f"{BASE}/providers/news.example"
    assert feed["title"] == "Example News — feeds"


def test_rss_item_carries_image_provider_topics_and_related(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1, images=[{"url": "https://img.example/pic.png", "width": 640, "height": 360}])
    reload(client)
    item = parse_xml(client.get("/feeds/ai-hardware.xml").data).find("channel/item")
    enclosures = item.findall("enclosure")
    assert [dict(e.attrib) for e in enclosures] == [
        {"url": "https://img.example/pic.png", "length": "0", "type": "image/png"}
    ]
    content = item.find(f"{M}content")  # a direct child of <item>, no media:group
    assert dict(content.attrib) == {
        "url": "https://img.example/pic.png",
        "medium": "image",
        "type": "image/png",
        "width": "640",
        "height": "360",
    }
    thumb = item.find(f"{M}thumbnail")
    assert dict(thumb.attrib) == {"url": "https://img.example/pic.png", "width": "640", "height": "360"}
    assert item.find(f"{M}group") is None
    assert item.findtext("pubDate") == "Mon, 02 Jun 2025 12:00:00 GMT"
    assert [c.text for c in item.findall("category")] == ["AI Hardware", "AI"]
    source = item.find("source")
    assert source.text == "Example News"
    assert source.get("url") == f"{BASE}/feeds/providers/news.example.xml"
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Example News"
    html = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert html.startswith('<p><img src="https://img.example/pic.png" width="640" height="360"')
    assert "<h3>Related</h3>" in html and '<a href="https://other.example/r/1">Related to 1</a>' in html
    assert item.findtext("description") == "Excerpt of article 1."
    assert item.find("guid").get("isPermaLink") == "true"


def test_atom_entry_keeps_enclosure_and_related_link_attributes(
    client: FlaskClient, write_article: WriteArticle
) -> None:
    write_article(1)
    reload(client)
    entry = parse_xml(client.get("/feeds/ai-hardware.atom").data).find(f"{A}entry")
    links = [dict(link.attrib) for link in entry.findall(f"{A}link")]
    assert {"href": "https://news.example/a/1"} in links  # alternate by default
    assert {"rel": "enclosure", "href": "https://img.example/1.jpg", "type": "image/jpeg", "length": "0"} in links
    assert {"rel": "related", "href": "https://other.example/r/1", "title": "Related to 1"} in links
    assert len(links) == 3  # nothing else turned into a second alternate link
    assert entry.findtext(f"{A}published") == entry.findtext(f"{A}updated") == "2025-06-02T12:00:00+00:00"
    assert entry.findtext(f"{A}author/{A}name") == "Example News"
    assert entry.findtext(f"{A}author/{A}uri") == "https://news.example/"
    assert entry.find(f"{A}summary").get("type") is None and entry.findtext(f"{A}summary") == "Excerpt of article 1."
    assert entry.find(f"{A}content").get("type") == "html"
    assert [(c.get("term"), c.get("label")) for c in entry.findall(f"{A}category")] == [
        ("ai-hardware", "AI Hardware"),
        ("ai", "AI"),
    ]
    assert entry.find(f"{M}content").get("width") == "1200"
    assert entry.find(f"{M}thumbnail").get("height") == "800"
    parsed = feedparser.parse(client.get("/feeds/ai-hardware.atom").data)
    assert [e["href"] for e in parsed.entries[0].enclosures] == ["https://img.example/1.jpg"]
    assert parsed.entries[0].link == "https://news.example/a/1"


def test_json_item_carries_image_attachments_and_related(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1)
    reload(client)
    item = json.loads(client.get("/feeds/ai-hardware.json").data)["items"][0]
    assert item["image"] == "https://img.example/1.jpg"
    assert item["attachments"] == [
        {"url": "https://img.example/1.jpg", "mime_type": "image/jpeg", "title": "Article number 1"}
    ]
    assert item["authors"] == [{"name": "Example News", "url": "https://news.example/"}]
    assert item["tags"] == ["AI Hardware", "AI"]
    assert item["date_published"] == "2025-06-02T12:00:00Z"
    assert item["summary"] == "Excerpt of article 1."
    assert item["_related"][0]["url"] == "https://other.example/r/1"
    assert item["_related"][0]["provider"] == {"name": "Other", "url": "https://other.example/"}
    assert item["_related"][0]["image"]["width"] == 640
    assert '<img src="https://img.example/1.jpg" width="1200" height="800"' in item["content_html"]


@pytest.mark.parametrize(
    ("written", "rss", "atom"),
    [
        ("2025-03-01T10:00:00Z", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00+00:00"),
        ("2025-03-01T10:00:00", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00+00:00"),  # naive = UTC
        ("2025-03-01T12:00:00+02:00", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00+00:00"),
        ("2025-03-01T05:30:00-04:30", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00+00:00"),
        ("2025-03-01", "Sat, 01 Mar 2025 00:00:00 GMT", "2025-03-01T00:00:00+00:00"),
        ("Sat, 01 Mar 2025 11:00:00 +0100", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00+00:00"),
        ("2025-03-01T10:00:00.250Z", "Sat, 01 Mar 2025 10:00:00 GMT", "2025-03-01T10:00:00.250000+00:00"),
    ],
)
def test_dates_and_zones(client: FlaskClient, write_article: WriteArticle, written: str, rss: str, atom: str) -> None:
    write_article(1, publishedDateTime=written)
    reload(client)
    item = parse_xml(client.get("/feed.xml").data).find("channel/item")
    assert item.findtext("pubDate") == rss
    entry = parse_xml(client.get("/feed.atom").data).find(f"{A}entry")
    assert entry.findtext(f"{A}published") == atom
    item_json = json.loads(client.get("/feed.json").data)["items"][0]
    assert datetime.fromisoformat(item_json["date_published"]) == datetime.fromisoformat(atom)
    assert feedparser.parse(client.get("/feed.xml").data).bozo == 0


def test_same_data_gives_same_bytes(make_app: Callable[..., Flask], three: None) -> None:
    first, second = make_app().test_client(), make_app().test_client()
    for url in [*FEED_URLS.values(), "/feeds.opml", "/", "/topics/ai-hardware"]:
        a, b = first.get(url), second.get(url)
        assert a.status_code == 200
        assert a.data == b.data, url
        assert a.headers["ETag"] == b.headers["ETag"]


def test_unpublished_and_secured_appear_in_no_response(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1)
    write_article(
        2,
        published=False,
        title="Draft headline zzz",
        webUrl="https://news.example/draft",
        topics=["Secret Topic"],
        provider={"name": "Hidden Co", "domain": "hidden.example"},
    )
    write_article(3, published="true", title="Quoted true qqq", webUrl="https://news.example/quoted")
    reload(client)
    bodies = crawl(client, FEED_URLS.values())
    assert any(b"Article number 1" in body for body in bodies.values())
    for url, body in bodies.items():
        for needle in (
            SECRET.encode(),
            b"Draft headline zzz",
            b"news.example/draft",
            b"Secret Topic",
            b"hidden.example",
            b"Hidden Co",
            b"Quoted true qqq",
        ):
            assert needle not in body, (url, needle)
    assert client.get("/feeds/secret-topic.xml").status_code == 404
    assert client.get("/feeds/providers/hidden.example.xml").status_code == 404


def test_sample_seeds_serve_the_published_article(sample_seeds: Path, clock: Clock) -> None:
    client = create_app({"SEEDS_DIR": sample_seeds, "RELOAD_INTERVAL": 0}, clock=clock).test_client()
    response = client.get("/feeds/ai-hardware.xml")
    assert response.status_code == 200
    channel = parse_xml(response.data).find("channel")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["China homegrown AI chip development proceeding despite US ban"]
    item = items[0]
    assert item.find("enclosure").get("url") == "https://img.digitimes.com/newsshow/20231023pd228_files/1_2b.jpg"
    assert item.find(f"{M}thumbnail").get("width") == "1280"
    assert item.findtext("pubDate") == "Tue, 24 Oct 2023 01:41:00 GMT"
    assert "Chloe Wang of Yang Cheng Fund" in item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    for (_, fmt), url in FEED_URLS.items():
        if "news.example" in url:
            url = url.replace("news.example", "digitimes.com")
        body = client.get(url).data
        assert CHECKS[fmt](body, "http://localhost" + url) == []
        assert fmt == "json" or feedparser.parse(body).bozo == 0
    for body in crawl(client, FEED_URLS.values()).values():
        assert b"China AI chip market finds expansion" not in body
        assert b"D7RuWmaAWW8wPc5zjjPVLkAunJY3O3l07L6Rxafc44" not in body
        assert b"cointelegraph" not in body


def test_limit_and_its_errors(make_app: Callable[..., Flask], write_article: WriteArticle) -> None:
    for n in range(1, 8):
        write_article(n)
    client = make_app(FEED_SIZE=3, MAX_LIMIT=5).test_client()
    assert len(entries(client.get("/feed.xml").data, "rss")) == 3
    response = client.get("/feed.atom?limit=5")
    assert len(entries(response.data, "atom")) == 5
    assert CHECKS["atom"](response.data, BASE + "/feed.atom?limit=5") == []
    for bad in ("0", "6", "-1", "abc", "2.5", ""):
        response = client.get(f"/feed.xml?limit={bad}")
        assert response.status_code == 400
        assert b"limit: expected a whole number from 1 to 5" in response.data


def test_held_back_articles_appear_at_their_time(
    client: FlaskClient, clock: Clock, write_article: WriteArticle
) -> None:
    write_article(1)
    future = datetime(2026, 3, 1, tzinfo=UTC)
    write_article(2, publishedDateTime=future.isoformat(), topics=["Tomorrow"], webUrl="https://news.example/later")
    reload(client)
    assert [e["id"] for e in entries(client.get("/feed.xml").data, "rss")] == ["https://news.example/a/1"]
    assert client.get("/feeds/tomorrow.xml").status_code == 404
    assert b"news.example/later" not in client.get("/").data
    clock.now = future.timestamp()
    assert next(e["id"] for e in entries(client.get("/feed.xml").data, "rss")) == "https://news.example/later"
    assert client.get("/feeds/tomorrow.xml").status_code == 200


def test_unknown_feeds_are_404_with_a_reason(three: None, client: FlaskClient) -> None:
    cases = {
        "/feeds/nothing.xml": b"no topic 'nothing'",
        "/feeds/ai-hardware.rss": b"unknown feed format '.rss'",
        "/feeds/providers/nobody.example.json": b"no provider 'nobody.example'",
        "/feed.html": b"unknown feed format",
        "/feeds/ai-hardware": b"feeds live at",
        "/no/such/page": b"not found",
    }
    for url, reason in cases.items():
        response = client.get(url)
        assert response.status_code == 404, url
        assert reason in response.data, url
        assert response.headers["Content-Type"].startswith("text/plain")


def test_topic_spellings_are_one_topic_with_the_common_spelling(
    client: FlaskClient, write_article: WriteArticle
) -> None:
    write_article(1, topics=["AI Hardware"])
    write_article(2, topics=["ai hardware"])
    write_article(3, topics=["AI  Hardware!"])
    write_article(4, topics=["AI Hardware"])
    reload(client)
    response = client.get("/feeds/ai-hardware.xml")
    assert len(entries(response.data, "rss")) == 4
    assert parse_xml(response.data).findtext("channel/title") == "AI Hardware — feeds"


def test_non_ascii_topic_slugs_are_kept(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1, topics=["Künstliche Intelligenz", "中国"])
    reload(client)
    response = client.get("/feeds/künstliche-intelligenz.atom")
    assert response.status_code == 200
    self_link = next(x for x in parse_xml(response.data).findall(f"{A}link") if x.get("rel") == "self")
    assert self_link.get("href") == f"{BASE}/feeds/k%C3%BCnstliche-intelligenz.atom"
    assert client.get("/feeds/%E4%B8%AD%E5%9B%BD.json").status_code == 200


def test_entry_fragments_change_nothing_and_follow_topic_names(
    three: None, client: FlaskClient, write_article: WriteArticle
) -> None:
    from feeds.rendering import jsonfeed, syndication

    def bodies() -> dict[str, bytes]:
        client.application.extensions["feeds"].outputs.cache.clear()
        return {url: client.get(url).data for url in FEED_URLS.values()}

    warm = bodies()
    syndication._FRAGMENTS.clear()
    jsonfeed._ITEMS.clear()
    assert bodies() == warm
    # four more articles spell the topic "ai hardware": the display name of every item changes
    for n in (4, 5, 6, 7):
        write_article(n, topics=["ai hardware"], publishedDateTime="2020-01-01T00:00:00Z")
    reload(client)
    item = parse_xml(client.get("/feeds/providers/news.example.xml").data).find("channel/item")
    assert [c.text for c in item.findall("category")] == ["ai hardware", "AI"]


def test_validators_move_when_a_held_back_article_appears(
    client: FlaskClient, clock: Clock, write_article: WriteArticle
) -> None:
    write_article(1)
    future = datetime(2026, 3, 1, tzinfo=UTC)
    write_article(2, publishedDateTime=future.isoformat())
    reload(client)
    before = client.get("/feeds/ai-hardware.xml")
    assert client.get("/feeds/ai-hardware.xml", headers={"If-None-Match": before.headers["ETag"]}).status_code == 304
    clock.now = future.timestamp() - 1
    assert client.get("/feeds/ai-hardware.xml").headers["ETag"] == before.headers["ETag"]
    clock.now = future.timestamp()
    after = client.get("/feeds/ai-hardware.xml", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] == "Sun, 01 Mar 2026 00:00:00 GMT"
    assert entries(after.data, "rss")[0]["id"] == "https://news.example/a/2"


def test_rendering_never_touches_the_process_locale(
    three: None, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """locale.setlocale is process-wide and not thread-safe; feedgen calls it for RSS dates."""
    import locale

    def refuse(*args: object) -> str:
        raise AssertionError(f"locale.setlocale{args} called while rendering")

    monkeypatch.setattr(locale, "setlocale", refuse)
    client.application.extensions["feeds"].outputs.cache.clear()
    from feeds.rendering import syndication

    syndication._FRAGMENTS.clear()
    channel = parse_xml(client.get("/feeds/ai-hardware.xml?limit=2").data).find("channel")
    assert [e.text for e in channel.findall("lastBuildDate")] == ["Wed, 04 Jun 2025 12:00:00 GMT"]


def test_an_atom_feed_has_one_id_whatever_the_limit(three: None, client: FlaskClient) -> None:
    ids = {parse_xml(client.get(f"/feed.atom{q}").data).findtext(f"{A}id") for q in ("", "?limit=1", "?limit=2")}
    assert ids == {f"{BASE}/feed.atom"}
