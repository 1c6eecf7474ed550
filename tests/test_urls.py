"""Where the links lead: every feed names its page, its own URL and the site as author, the pages
and the OPML name the feeds, and each of those URLs answers with what it promised."""

from __future__ import annotations

import json

import lxml.html
import pytest
from flask.testing import FlaskClient

from .conftest import WriteArticle
from .feedcheck import ATOM, parse_xml

A = f"{{{ATOM}}}"
BASE = "https://feeds.example"
SITE = {"name": "feeds", "url": BASE + "/"}
MEDIA_TYPES = {"xml": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
# feed path without its extension -> the page it belongs to
GROUPS = {
    "/feed": "/",
    "/feeds/ai-hardware": "/topics/ai-hardware",
    "/feeds/providers/news.example": "/providers/news.example",
    "/feeds/k%C3%BCnstliche-intelligenz": "/topics/k%C3%BCnstliche-intelligenz",
}


@pytest.fixture
def site(write_article: WriteArticle) -> None:
    write_article(1, topics=["AI Hardware", "Künstliche Intelligenz"])


def links(client: FlaskClient, feed: str, fmt: str) -> dict[str, object]:
    """What a reader takes from a feed: its page, its own URL and its author."""
    body = client.get(feed).data
    if fmt == "xml":
        channel = parse_xml(body).find("channel")
        self_link = channel.find(f"{A}link[@rel='self']")
        return {"page": channel.findtext("link"), "self": self_link.get("href")}
    if fmt == "atom":
        root = parse_xml(body)
        by_rel = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
        author = {"name": root.findtext(f"{A}author/{A}name"), "url": root.findtext(f"{A}author/{A}uri")}
        return {"page": by_rel["alternate"], "self": by_rel["self"], "author": author, "id": root.findtext(f"{A}id")}
    feed = json.loads(body)
    return {"page": feed["home_page_url"], "self": feed["feed_url"], "author": feed["authors"][0]}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_feed_links_its_page_and_its_own_url(site: None, client: FlaskClient, group: str) -> None:
    page = BASE + GROUPS[group]
    for fmt in MEDIA_TYPES:
        feed = f"{group}.{fmt}"
        found = links(client, feed, fmt)
        assert found["page"] == page, feed
        assert found["self"] == BASE + feed, feed
        if fmt != "xml":
            assert found["author"] == SITE, feed  # the site wrote the feed, whichever group it shows
        if fmt == "atom":
            assert found["id"] == BASE + feed
    answer = client.get(GROUPS[group])
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    page_links = lxml.html.document_fromstring(answer.data).xpath("//head/link[@rel='alternate']")
    alternates = {link.get("type"): link.get("href") for link in page_links}
    for fmt, media_type in MEDIA_TYPES.items():
        assert alternates[media_type] == f"{BASE}{group}.{fmt}"  # and back to the feeds


def test_the_feeds_author_link_leads_to_the_home_page(site: None, client: FlaskClient) -> None:
    answer = client.get(SITE["url"].removeprefix(BASE))
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert lxml.html.document_fromstring(answer.data).findtext(".//h1") == SITE["name"]  # the home page


def test_the_home_page_links_the_opml_and_it_lists_every_feed(site: None, client: FlaskClient) -> None:
    home = lxml.html.document_fromstring(client.get("/").data)
    assert home.xpath("//a[text()='OPML']/@href") == [BASE + "/feeds.opml"]
    opml = client.get("/feeds.opml")
    assert opml.headers["Content-Type"] == "text/x-opml; charset=utf-8"
    listed = {o.get("xmlUrl"): o.get("htmlUrl") for o in parse_xml(opml.data).iter("outline") if o.get("xmlUrl")}
    assert listed == {BASE + group + ".xml": BASE + page for group, page in GROUPS.items()}
