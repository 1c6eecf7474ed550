"""The pages for people, read as a user would see them (the HTML parsed): the home page, /topics
and /providers, topic and provider pages with their subscribe tools and embed snippets.
(tests/browser/test_pages.py runs them in Chromium: the script, the layout, axe-core.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.etree
import lxml.html
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from feeds.cli import main

from .conftest import Clock, WriteArticle, reload

BASE = "https://feeds.example"
PAGES = ["/", "/topics", "/providers", "/topics/ai-hardware", "/providers/news.example"]
Doc = lxml.html.HtmlElement


def page(client: FlaskClient, url: str) -> Doc:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    return lxml.html.document_fromstring(response.data)


def text(element: Doc) -> str:
    return " ".join(element.text_content().split())


def listed(doc: Doc, list_id: str) -> list[tuple[str, str, int]]:
    """(name, href, count) of each item of a list of topics or providers."""
    return [
        (text(li.find("a")), li.find("a").get("href"), int(li.find_class("n")[0].text))
        for li in doc.get_element_by_id(list_id).iterchildren("li")
    ]


@pytest.fixture
def corpus(write_article: WriteArticle) -> None:
    """Topics of 3, 2, 2 and 1 articles (two of 2, told apart by name, case aside); three
    providers, two of them named Bulletin."""
    bulletin_a = {"name": "Bulletin", "domain": "bulletin-a.example"}
    bulletin_b = {"name": "Bulletin", "domain": "bulletin-b.example"}
    write_article(1, topics=["Beta", "gamma"], provider=bulletin_a)
    write_article(2, topics=["Beta", "Alpha"], provider=bulletin_b)
    write_article(3, topics=["Beta", "Alpha", "gamma", "Delta"])
    write_article(4, topics=["AI Hardware"], provider=bulletin_a)
    write_article(5, topics=["Future"], publishedDateTime="2999-01-01T00:00:00Z", webUrl="https://news.example/f")


# --- the home page and the index pages -------------------------------------------------------------


def test_home_lists_the_biggest_topics_and_providers_then_the_newest_articles(
    corpus: None, client: FlaskClient
) -> None:
    doc = page(client, "/")
    assert listed(doc, "topics") == [
        ("Beta", f"{BASE}/topics/beta", 3),
        ("Alpha", f"{BASE}/topics/alpha", 2),  # same size: by name, case aside
        ("gamma", f"{BASE}/topics/gamma", 2),
        ("AI Hardware", f"{BASE}/topics/ai-hardware", 1),
        ("Delta", f"{BASE}/topics/delta", 1),
    ]  # no "Future": its only article is held back
    assert listed(doc, "providers") == [
        ("Bulletin (bulletin-a.example)", f"{BASE}/providers/bulletin-a.example", 2),
        ("Bulletin (bulletin-b.example)", f"{BASE}/providers/bulletin-b.example", 1),
        ("Example News", f"{BASE}/providers/news.example", 1),
    ]
    assert [(text(a), a.get("href")) for a in doc.find_class("more")] == [
        ("All 5 topics", f"{BASE}/topics"),
        ("All 3 providers", f"{BASE}/providers"),
    ]
    articles = doc.xpath("//ol[@class='articles']/li//h3/a")
    assert [a.text for a in articles] == [f"Article number {n}" for n in (4, 3, 2, 1)]
    assert text(doc.find_class("lead")[0]) == "4 articles in 5 topics from 3 providers, each with its own feed."


def test_home_shows_how_to_combine_topics_with_a_working_example(corpus: None, client: FlaskClient) -> None:
    doc = page(client, "/")
    section = doc.xpath("//section[@aria-labelledby='combine']")[0]
    assert text(section.find("h2")) == "Several topics in one feed"
    assert "Join up to 8 topics with + in a feed's address" in text(section)
    assert "/feeds/<topic>+<topic>.xml" in text(section)
    example = [a for a in section.iter("a") if a.get("href", "").startswith(f"{BASE}/feeds/")]
    assert [(text(a), a.get("href")) for a in example] == [(f"{BASE}/feeds/alpha+beta.xml",) * 2]  # the two biggest
    response = client.get("/feeds/alpha+beta.xml")  # the canonical form: a feed, not a redirect
    assert response.status_code == 200 and response.mimetype == "application/rss+xml"
    items = lxml.etree.fromstring(response.data).iter("item")
    assert [item.findtext("title") for item in items] == [f"Article number {n}" for n in (3, 2, 1)]  # Beta ∪ Alpha


def test_home_shows_no_combined_example_with_one_topic(write_article: WriteArticle, client: FlaskClient) -> None:
    write_article(1, topics=["Only"])
    assert page(client, "/").xpath("//section[@aria-labelledby='combine']") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/topics",
            [
                ("Beta", "beta", 3),
                ("Alpha", "alpha", 2),
                ("gamma", "gamma", 2),
                ("AI Hardware", "ai-hardware", 1),
                ("Delta", "delta", 1),
            ],
        ),
        (
            "/providers",
            [
                ("Bulletin (bulletin-a.example)", "bulletin-a.example", 2),
                ("Bulletin (bulletin-b.example)", "bulletin-b.example", 1),
                ("Example News", "news.example", 1),
            ],
        ),
    ],
)
def test_index_pages_list_every_one_by_size_then_name(
    corpus: None, client: FlaskClient, url: str, expected: list[tuple[str, str, int]]
) -> None:
    doc = page(client, url)
    assert doc.findtext(".//h1") == url[1:].capitalize()
    assert listed(doc, "list") == [(name, f"{BASE}{url}/{slug}", n) for name, slug, n in expected]
    for _name, href, _n in listed(doc, "list"):
        assert page(client, href.removeprefix(BASE)) is not None  # each leads to its page
    assert doc.xpath("//head/title")[0].text == f"{url[1:].capitalize()} — feeds"


def test_home_lists_at_most_24_of_each_and_stays_small_with_thousands_of_providers(
    seeds_dir: Path, make_app: Callable[..., Flask]
) -> None:
    def write(count: int) -> tuple[int, Doc, int]:
        """`count` providers (names repeat from 500 on); provider n has n % 4 + 1 articles."""
        for n in range(count):
            for k in range(n % 4 + 1):
                path = seeds_dir / f"{n:05d}-{k}.txt"
                if not path.exists():
                    path.write_text(
                        f"---\ntitle: Article {n} {k}\nwebUrl: https://p{n}.example/{k}\n"
                        f"publishedDateTime: 2025-01-01T00:00:{k:02d}Z\npublished: true\n"
                        f"provider: {{name: Provider {n % 500}, domain: p{n}.example}}\ntopics: [Topic {n}]\n---\n"
                    )
        client = make_app(PARSE_JOBS=1).test_client()  # one process parses this many faster
        response = client.get("/")
        return len(response.data), lxml.html.document_fromstring(response.data), len(client.get("/providers").data)

    small, _doc, _ = write(100)
    size, doc, index_size = write(2000)
    providers = listed(doc, "providers")
    assert len(providers) == 24 and len(listed(doc, "topics")) == 24
    assert [n for _, _, n in providers] == [4] * 24  # the biggest
    # Same size, then by name: "Provider 103" is the first name of one with 4 articles (n % 4 == 3),
    # which p103, p603, p1103 and p1603 share.
    assert providers[0][:2] == ("Provider 103 (p103.example)", f"{BASE}/providers/p103.example")
    assert [name for name, _, _ in providers[:4]] == [f"Provider 103 (p{n}.example)" for n in (103, 1103, 1603, 603)]
    assert size < 40_000, size  # was 515 KB listing every provider
    assert size < small * 1.1  # and hardly grows with the number of providers (longer names, bigger counts)
    assert index_size > 150_000  # /providers lists all 2,000


def test_providers_that_share_a_name_show_their_domain_everywhere(corpus: None, client: FlaskClient) -> None:
    topic = page(client, "/topics/beta")
    shown = [text(a) for a in topic.xpath("//p[@class='meta']/a[contains(@href, '/providers/')]")]
    assert shown == ["Example News", "Bulletin (bulletin-b.example)", "Bulletin (bulletin-a.example)"]
    provider = page(client, "/providers/bulletin-b.example")
    assert provider.findtext(".//h1") == "Bulletin"
    assert "bulletin-b.example" in text(provider.find_class("lead")[0])


def test_a_name_that_becomes_shared_later_gets_its_domain_on_pages_already_rendered(
    client: FlaskClient, write_article: WriteArticle
) -> None:
    write_article(1, provider={"name": "Courier", "domain": "courier-a.example"})
    reload(client)
    assert [text(a) for a in page(client, "/topics/ai-hardware").xpath("//p[@class='meta']/a[1]")] == ["Courier"]
    write_article(2, provider={"name": "courier", "domain": "courier-b.example"}, topics=["AI"])
    reload(client)  # the topic's articles are the same; the names shown are not
    assert [text(a) for a in page(client, "/topics/ai-hardware").xpath("//p[@class='meta']/a[1]")] == [
        "Courier (courier-a.example)"
    ]


def test_index_pages_follow_held_back_articles(corpus: None, client: FlaskClient, clock: Clock) -> None:
    assert "Future" not in [name for name, _, _ in listed(page(client, "/topics"), "list")]
    clock.now = datetime(2999, 1, 1, tzinfo=UTC).timestamp()
    assert ("Future", f"{BASE}/topics/future", 1) in listed(page(client, "/topics"), "list")
    assert text(page(client, "/").find_class("more")[0]) == "All 6 topics"


def test_the_filter_is_hidden_until_its_script_runs(corpus: None, client: FlaskClient) -> None:
    for url, lists in (("/", "topics providers"), ("/topics", "list"), ("/providers", "list")):
        doc = page(client, url)
        [box] = doc.find_class("filter")
        assert box.get("hidden") is not None  # without JavaScript: the plain lists, no dead input
        [field] = box.xpath(".//input")
        assert field.get("type") == "search"
        assert field.get("data-filter") == lists
        assert all(doc.get_element_by_id(i) is not None for i in lists.split())
        assert box.xpath(f".//label[@for='{field.get('id')}']")


# --- topic and provider pages --------------------------------------------------------------------


def test_a_topic_page_shows_its_newest_articles_with_what_a_reader_needs(
    client: FlaskClient, write_article: WriteArticle
) -> None:
    write_article(1, publishedDateTime="2025-06-02T14:30:00+02:00")
    write_article(2, images=[{"url": "https://img.example/unsized.jpg"}], related=...)
    write_article(3, images=..., excerpt=...)
    reload(client)
    doc = page(client, "/topics/ai-hardware")
    assert doc.findtext(".//h1") == "AI Hardware"
    items = doc.xpath("//ol[@class='articles']/li")
    assert [text(li.find(".//h3")) for li in items] == [f"Article number {n}" for n in (3, 2, 1)]
    first, second, third = items[2], items[1], items[0]
    [img] = first.xpath(".//img")
    assert dict(img.attrib) == {
        "src": "https://img.example/1.jpg",
        "alt": "",  # the title beside it says what it shows
        "width": "1200",
        "height": "800",
        "loading": "lazy",
        "decoding": "async",
    }
    [img] = second.xpath(".//img")
    assert (img.get("width"), img.get("height")) == ("150", "100")  # unsized in the data: a 3:2 box
    assert third.xpath(".//img") == []
    assert first.xpath(".//h3/a/@href") == ["https://news.example/a/1"]
    [meta] = first.find_class("meta")
    assert meta.xpath("a/@href")[0] == f"{BASE}/providers/news.example"
    [when] = meta.xpath("time")
    assert when.get("datetime") == "2025-06-02T12:30:00Z"  # in UTC, which site.js shows locally
    assert when.text == "2025-06-02 12:30 UTC"
    assert meta.xpath("a/text()")[1:] == ["AI Hardware", "AI"]
    assert "Excerpt of article 1." in text(first)
    assert [(a.text, a.get("href")) for a in first.xpath(".//div[@class='related']//a")] == [
        ("Related to 1", "https://other.example/r/1")
    ]
    assert second.find_class("related") == []
    assert "Excerpt of article 3" not in text(third)


@pytest.mark.parametrize(
    ("url", "feed"),
    [
        ("/topics/ai-hardware", "/feeds/ai-hardware"),
        ("/providers/news.example", "/feeds/providers/news.example"),
        ("/", "/feed"),
    ],
)
def test_subscribe_links_copyable_addresses_and_open_in_links(
    write_article: WriteArticle, client: FlaskClient, url: str, feed: str
) -> None:
    write_article(1)
    reload(client)
    doc = page(client, url)
    [section] = doc.find_class("subscribe")
    rows = section.xpath(".//ul[@class='feeds']/li")
    assert [(text(r.find("a")), r.find("a").get("href")) for r in rows] == [
        ("RSS", f"{BASE}{feed}.xml"),
        ("Atom", f"{BASE}{feed}.atom"),
        ("JSON Feed", f"{BASE}{feed}.json"),
    ]
    for row in rows:
        [field] = row.xpath(".//input")
        assert field.get("readonly") is not None and field.get("value") == row.find("a").get("href")
        [button] = row.xpath(".//button")
        assert button.get("data-copy") == field.get("id") and button.get("type") == "button"
        assert button.get("hidden") is not None  # shown by site.js, which can copy
    readers = {a.text: a.get("href") for a in section.xpath(".//p[@class='open-in']/a")}
    rss = f"{BASE}{feed}.xml"
    assert list(readers) == ["Feedly", "Inoreader", "NewsBlur", "The Old Reader"]
    feedly = urlsplit(readers["Feedly"])
    assert (feedly.netloc, feedly.path.startswith("/i/subscription/feed/")) == ("feedly.com", True)
    assert unquote(feedly.path.removeprefix("/i/subscription/feed/")) == rss
    assert "/" not in feedly.path.removeprefix("/i/subscription/feed/")  # encoded whole
    for name, host, path, param in (
        ("Inoreader", "www.inoreader.com", "/", "add_feed"),
        ("NewsBlur", "www.newsblur.com", "/", "url"),
        ("The Old Reader", "theoldreader.com", "/feeds/subscribe", "url"),
    ):
        parts = urlsplit(readers[name])
        assert (parts.scheme, parts.netloc, parts.path) == ("https", host, path), name
        assert parse_qs(parts.query) == {param: [rss]}, name
    assert section.xpath(".//a[text()='OPML']/@href") == [f"{BASE}/feeds.opml"]


@pytest.mark.parametrize(
    ("url", "feed", "frame", "name"),
    [
        ("/topics/ai-hardware", "/feeds/ai-hardware", "/embed/topics/ai-hardware", "AI Hardware"),
        ("/providers/news.example", "/feeds/providers/news.example", "/embed/providers/news.example", "Example News"),
        ("/", "/feed", "/embed", "feeds"),
    ],
)
def test_pages_link_their_feeds_and_oembed_and_show_the_three_embed_snippets(
    write_article: WriteArticle, client: FlaskClient, url: str, feed: str, frame: str, name: str
) -> None:
    write_article(1)
    reload(client)
    doc = page(client, url)
    page_url = BASE + url
    head = {(link.get("type"), link.get("href")) for link in doc.xpath("//head/link[@rel='alternate']")}
    oembed = next(href for kind, href in head if kind == "application/json+oembed")
    assert head == {
        ("application/rss+xml", f"{BASE}{feed}.xml"),
        ("application/atom+xml", f"{BASE}{feed}.atom"),
        ("application/feed+json", f"{BASE}{feed}.json"),
        ("application/json+oembed", oembed),
    }
    parts = urlsplit(oembed)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/oembed"
    assert parse_qs(parts.query) == {"url": [page_url], "format": ["json"]}

    codes = {code.get("id"): code.text for code in doc.xpath("//section[@class='embed']//pre/code")}
    assert list(codes) == ["embed-widget", "embed-iframe", "embed-oembed"]
    for code_id in codes:  # each has its Copy button
        assert doc.xpath(f"//button[@data-copy='{code_id}']")
    widget = lxml.html.fragment_fromstring(codes["embed-widget"], create_parent="div")
    [script] = widget.xpath("script")
    assert script.get("src") == f"{BASE}/embed.js" and script.get("async") is not None
    assert script.text is None
    [element] = widget.xpath("feeds-headlines")
    assert element.get("src") == f"{BASE}{feed}.json"
    assert element.get("count") == "5" and element.get("thumbnails") is not None
    [fallback] = element.xpath("a")
    assert (fallback.get("href"), fallback.text) == (page_url, f"Headlines: {name}")
    [iframe] = lxml.html.fragment_fromstring(codes["embed-iframe"], create_parent="div").xpath("iframe")
    assert dict(iframe.attrib) == {
        "src": f"{BASE}{frame}?count=5",
        "title": f"Headlines: {name}",
        "width": "400",
        "height": "400",
        "loading": "lazy",
    }
    assert codes["embed-oembed"] == page_url
    [preview] = doc.xpath("//section[@class='embed']//iframe[@class='preview']")  # the iframe itself
    assert (preview.get("src"), preview.get("loading")) == (f"{BASE}{frame}?count=5", "lazy")
    assert preview.get("title") == f"Preview: Headlines: {name}"


def test_names_with_markup_are_text_in_the_page_and_in_the_snippets(
    write_article: WriteArticle, client: FlaskClient
) -> None:
    markup = '<script>alert(1)</script> "Bad" & <b>Co</b>'
    write_article(1, topics=[markup], provider={"name": markup, "domain": "bad.example"}, title=markup)
    write_article(2, provider={"name": markup, "domain": "worse.example"})
    reload(client)
    slug = next(href for _, href, _ in listed(page(client, "/topics"), "list") if "ai-hardware" not in href)
    for url in ["/", "/topics", "/providers", slug.removeprefix(BASE), "/providers/bad.example"]:
        doc = page(client, url)
        assert markup in text(doc), url
        assert doc.xpath("//b") == [], url
        assert all(s.get("src") for s in doc.iter("script")), url
    doc = page(client, "/providers/bad.example")
    codes = {code.get("id"): code.text for code in doc.xpath("//pre/code")}
    widget = lxml.html.fragment_fromstring(codes["embed-widget"], create_parent="div")
    assert len(widget.xpath("//script")) == 1  # the embed.js one; the name stays text
    assert widget.xpath("//feeds-headlines/a")[0].text == f"Headlines: {markup}"
    iframe = lxml.html.fragment_fromstring(codes["embed-iframe"], create_parent="div").xpath("iframe")[0]
    assert iframe.get("title") == f"Headlines: {markup}"
    head_title = doc.xpath("//head/link[@type='application/json+oembed']/@title")
    assert head_title == [f"Headlines: {markup}"]


# --- every page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_landmarks_a_skip_link_one_h1_and_no_inline_script_or_style(
    corpus: None, client: FlaskClient, url: str
) -> None:
    doc = page(client, url)
    assert doc.get("lang") == "en"
    assert len(doc.xpath("//h1")) == 1
    body = doc.find("body")
    skip = body[0]
    assert skip.tag == "a" and skip.get("href") == "#main"  # the first thing a keyboard reaches
    assert [child.tag for child in body if child.tag != "a"] == ["header", "main", "footer"]
    assert doc.xpath("//main/@id") == ["main"]
    assert doc.xpath("//header//nav//a/@href") == [f"{BASE}/topics", f"{BASE}/providers"]
    assert doc.xpath("//meta[@name='viewport']/@content") == ["width=device-width, initial-scale=1"]
    # The CSP allows scripts and styles from our origin only: every one is a file of ours.
    assert [s.get("src") for s in doc.iter("script")] == [f"{BASE}/static/site.js"]
    assert all(not s.text for s in doc.iter("script"))
    assert doc.xpath("//link[@rel='stylesheet']/@href") == [f"{BASE}/static/site.css"]
    assert doc.xpath("//link[@rel='icon']/@href") == [f"{BASE}/favicon.svg"]  # else browsers ask for /favicon.ico
    assert list(doc.iter("style")) == []
    assert all(k != "style" and not k.startswith("on") for e in doc.iter() for k in e.attrib), url
    assert all(img.get("alt") is not None for img in doc.iter("img"))
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), url
    for target in doc.xpath("//@data-copy | //label/@for"):
        assert target in ids, url


@pytest.mark.parametrize("url", ["/topics", "/providers"])
def test_index_pages_are_served_like_every_page(corpus: None, client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Last-Modified"] == "Thu, 05 Jun 2025 12:00:00 GMT"  # the newest article
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(url + "/").status_code == 404


def test_static_site_serves_the_index_pages_beside_their_folders(
    corpus: None, seeds_dir: Path, tmp_path: Path, runner: CliRunner, make_app: Callable[..., Flask]
) -> None:
    """deploy/nginx-static.conf with the export: /topics is topics.html, beside topics/."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is not installed")
    site = tmp_path / "site"
    result = runner.invoke(main, ["build", str(site), "--base-url", BASE, "--seeds-dir", str(seeds_dir)])
    assert result.exit_code == 0, result.output
    live = make_app().test_client()
    with nginx(site, tmp_path / "nginx") as port:
        for url in ["/topics", "/providers", "/topics/beta", "/providers/bulletin-a.example", "/"]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{url}") as answer:
                assert answer.read() == live.get(url).data, url
                assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
                assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        for url, media_type in (
            ("/static/site.js", "text/javascript; charset=utf-8"),
            ("/favicon.svg", "image/svg+xml"),
        ):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{url}") as answer:
                assert answer.headers["Content-Type"] == media_type
                assert answer.read() == live.get(url).data


class nginx:  # a context manager used like a function
    """nginx on a free loopback port with deploy/nginx-static.conf serving `site`."""

    def __init__(self, site: Path, work: Path) -> None:
        self.site, self.work = site, work

    def __enter__(self) -> int:
        self.work.mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        conf = (Path(__file__).resolve().parent.parent / "deploy" / "nginx-static.conf").read_text()
        conf = conf.replace("    listen 80;", f"    listen 127.0.0.1:{port};")
        conf = conf.replace("    root /srv/feeds/site;", f"    root {self.site};")
        temp = "".join(f"{k}_temp_path {self.work}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.work / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # workers read the test's own (0700) folders
            + f"worker_processes 1;\npid {self.work}/nginx.pid;\nerror_log {self.work}/error.log;\n"
            f"events {{ worker_connections 64; }}\nhttp {{ access_log off; {temp}\n{conf}\n}}\n"
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([binary, "-c", str(self.work / "nginx.conf"), "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds.opml").close()
                return port
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.05)

    def __exit__(self, *_exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def test_the_pages_icon_is_served_with_validators(client: FlaskClient) -> None:
    response = client.get("/favicon.svg")
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert lxml.etree.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"
    assert client.get("/favicon.svg", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
