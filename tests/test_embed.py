"""Embedding without a browser: the iframe pages, their options and headers, and oEmbed.
(tests/browser/test_embed.py runs the widget and the iframe in Chromium on another origin.)"""

from __future__ import annotations

import json
from urllib.parse import quote

import lxml.html
import pytest
from flask.testing import FlaskClient

from .conftest import WriteArticle

BASE = "https://feeds.example"


@pytest.fixture
def corpus(write_article: WriteArticle) -> None:
    for n in range(1, 26):
        write_article(n, topics=["AI Hardware"] if n % 2 else ["Chips"])
    write_article(
        30, title='<script>alert(1)</script> & "quotes"', topics=["Chips"], publishedDateTime="2025-07-01T00:00:00Z"
    )


def page(client: FlaskClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return lxml.html.fromstring(response.data)


def test_a_topic_embed_shows_its_newest_headlines(corpus: None, client: FlaskClient) -> None:
    doc = page(client, "/embed/topics/ai-hardware")
    links = [(a.text, a.get("href")) for a in doc.xpath("//ol//a")]
    expected = [n for n in range(25, 0, -1) if n % 2 and n % 28 + 1][:5]  # dates follow n: newest is 25
    assert links == [(f"Article number {n}", f"https://news.example/a/{n}") for n in expected]
    assert all(a.get("target") == "_blank" and a.get("rel") == "noopener" for a in doc.xpath("//a"))
    assert doc.xpath("//h1//a")[0].get("href") == f"{BASE}/topics/ai-hardware"
    assert not doc.xpath("//img")  # thumbnails only when asked for
    times = doc.xpath("//time")
    assert times[0].get("datetime") == "2025-06-26T12:00:00Z"
    assert times[0].text == "2025-06-26 12:00 UTC"  # readable without JavaScript
    assert doc.xpath("//script")[0].get("src") == f"{BASE}/static/embed-frame.js"
    assert doc.xpath("//link[@rel='stylesheet']")[0].get("href") == f"{BASE}/static/embed.css"


def test_options_count_thumbnails_and_theme(corpus: None, client: FlaskClient) -> None:
    doc = page(client, "/embed/topics/ai-hardware?count=12&thumbnails=1&theme=dark")
    assert len(doc.xpath("//li")) == 12
    images = doc.xpath("//li//img")
    assert len(images) == 12
    assert {(i.get("width"), i.get("height"), i.get("loading"), i.get("alt")) for i in images} == {
        ("80", "60", "lazy", "")
    }
    assert images[0].get("src") == "https://img.example/25.jpg"
    assert doc.get("data-theme") == "dark"
    assert len(page(client, "/embed?count=20").xpath("//li")) == 20
    assert len(page(client, "/embed/providers/news.example?count=1").xpath("//li")) == 1


def test_markup_in_a_title_is_text(corpus: None, client: FlaskClient) -> None:
    response = client.get("/embed/topics/chips?count=1")
    assert b"<script>alert" not in response.data
    doc = lxml.html.fromstring(response.data)
    assert doc.xpath("//ol//a")[0].text == '<script>alert(1)</script> & "quotes"'
    assert [s.get("src") for s in doc.iter("script")] == [f"{BASE}/static/embed-frame.js"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("count=0", "count: expected a whole number from 1 to 20, got '0'"),
        ("count=21", "count: expected a whole number from 1 to 20"),
        ("count=abc", "count: expected a whole number from 1 to 20, got 'abc'"),
        ("count=", "count: expected a whole number from 1 to 20, got ''"),
        ("thumbnails=maybe", "thumbnails: expected 1 or 0 (true or false), got 'maybe'"),
        ("theme=pink", "theme: expected auto, light or dark, got 'pink'"),
    ],
)
def test_a_wrong_option_is_a_400_saying_why(corpus: None, client: FlaskClient, query: str, reason: str) -> None:
    response = client.get(f"/embed/topics/ai-hardware?{query}")
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_embed_pages_may_be_framed_by_any_site_and_run_only_our_script(corpus: None, client: FlaskClient) -> None:
    response = client.get("/embed/topics/ai-hardware")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "*"
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "X-Frame-Options" not in response.headers
    assert b"style=" not in response.data and b"<style" not in response.data
    assert (
        client.get("/embed/topics/ai-hardware", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [("/embed/topics/nothing", 404), ("/embed/providers/none.example", 404), ("/embed/topics/AI-Hardware", 301)],
)
def test_unknown_embeds_are_404_and_other_spellings_301(
    corpus: None, client: FlaskClient, url: str, status: int
) -> None:
    assert client.get(url).status_code == status


def oembed(client: FlaskClient, url: str, **params: str) -> tuple[int, dict[str, object] | str]:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"url": url, **params}.items())
    response = client.get(f"/oembed?{query}")
    if response.status_code == 200:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return 200, json.loads(response.data)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "src", "title"),
    [
        (f"{BASE}/topics/ai-hardware", f"{BASE}/embed/topics/ai-hardware", "Headlines: AI Hardware — feeds"),
        (f"{BASE}/topics/AI-Hardware", f"{BASE}/embed/topics/ai-hardware", "Headlines: AI Hardware — feeds"),
        (f"{BASE}/providers/news.example", f"{BASE}/embed/providers/news.example", "Headlines: Example News — feeds"),
        (f"{BASE}/", f"{BASE}/embed", "Headlines: Newest on feeds"),
        (BASE, f"{BASE}/embed", "Headlines: Newest on feeds"),
        (f"{BASE}/topics/ai-hardware.html", f"{BASE}/embed/topics/ai-hardware", "Headlines: AI Hardware — feeds"),
    ],
)
def test_oembed_answers_rich_with_the_iframe(corpus: None, client: FlaskClient, url: str, src: str, title: str) -> None:
    status, answer = oembed(client, url)
    assert status == 200 and isinstance(answer, dict)
    assert (answer["version"], answer["type"], answer["title"]) == ("1.0", "rich", title)
    assert (answer["provider_name"], answer["provider_url"], answer["cache_age"]) == ("feeds", f"{BASE}/", 300)
    frame = lxml.html.fragment_fromstring(str(answer["html"]))
    assert frame.tag == "iframe"
    assert frame.get("src") == src
    assert frame.get("title") == title
    assert (frame.get("width"), frame.get("height")) == (str(answer["width"]), str(answer["height"]))
    assert answer["width"] == 400 and 100 < int(str(answer["height"])) < 1000


def test_oembed_keeps_within_maxwidth_and_maxheight(corpus: None, client: FlaskClient) -> None:
    _, answer = oembed(client, f"{BASE}/topics/chips", maxwidth="300", maxheight="200")
    assert isinstance(answer, dict) and (answer["width"], answer["height"]) == (300, 200)


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"url": "https://elsewhere.example/topics/chips"}, 404, "url must be a page of this site"),
        ({"url": f"{BASE}/feeds/chips.xml"}, 404, "url must be the home page, a topic page or a provider page"),
        ({"url": f"{BASE}/topics/nothing"}, 404, "no topic 'nothing'"),
        ({"url": f"{BASE}/topics/chips", "format": "xml"}, 501, "only json"),
        ({"url": f"{BASE}/topics/chips", "maxwidth": "wide"}, 400, "maxwidth: expected a whole number of pixels"),
    ],
)
def test_oembed_refusals(corpus: None, client: FlaskClient, params: dict[str, str], status: int, reason: str) -> None:
    got, text = oembed(client, params.pop("url"), **params)
    assert got == status and reason in str(text)


def test_oembed_without_url_is_a_400(client: FlaskClient) -> None:
    response = client.get("/oembed?format=json")
    assert response.status_code == 400
    assert "url: expected the URL of one of this site's pages" in response.get_data(as_text=True)
