"""The three ways to embed, in Chromium, on another site's page under a strict CSP with hostile
CSS: the widget (<feeds-headlines>), the iframe (which embed.js on the host sizes), and the
iframe as WordPress frames it; each also with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from ..conftest import WriteArticle
from .conftest import BrowserPage, HostServer, LiveServer, PageLog, RunAxe

HOSTILE_TITLES = [
    '<img src="x" onerror="window.pwned = 1">',
    '"><svg onload="window.pwned = 2">',
    "<script>window.pwned = 3</script>",
]
HOSTILE_CSS = """
a, li, ol, ul, img, span, time, div, p { display: none !important; color: red !important; }
* { font-size: 3px !important; background: yellow !important; }
"""


@pytest.fixture
def articles(write_article: WriteArticle) -> list[str]:
    """Five articles in AI Hardware, newest first in the returned titles (three hostile)."""
    titles = ["Plain headline one", *HOSTILE_TITLES, "Plain headline five"]
    for n, title in enumerate(titles, 1):
        write_article(n, title=title, topics=["AI Hardware"], publishedDateTime=f"2025-06-0{n}T12:00:00Z")
    return titles[::-1]


def host_policy(ours: str, host: str) -> str:
    """A careful host: nothing inline; scripts, styles, fetches and frames from our origin (and
    its own scripts and styles); images from anywhere (the articles' own)."""
    return (
        f"default-src 'none'; script-src {host} {ours}; style-src {host} {ours}; connect-src {ours}; "
        f"frame-src {ours}; img-src *"
    )


def host_page(host_server: HostServer, live_server: LiveServer, body: str, *, path: str = "/") -> str:
    host_server.serve(HOSTILE_CSS, path="/hostile.css", content_type="text/css")
    host_server.serve(
        "window.__messages = []; addEventListener('message', (e) => window.__messages.push(e.data));",
        path="/listen.js",
        content_type="text/javascript",
    )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A host page</title>'
        f'<link rel="stylesheet" href="{host_server.origin}/hostile.css">'
        f'<script src="{host_server.origin}/listen.js"></script>'
        f'<script src="{live_server}/embed.js" async></script></head>'
        f"<body><main><h1>Host</h1>{body}</main></body></html>"
    )
    return host_server.serve(html, csp=host_policy(live_server.url, host_server.origin), path=path)


def assert_clean(log: PageLog, *origins: str) -> None:
    assert log.page_errors == []
    assert log.csp_violations == []
    assert log.console_errors == []
    assert log.requests_outside(*origins, "https://img.example") == []


def widget(live_server: LiveServer, attrs: str = 'count="3" thumbnails', src: str = "") -> str:
    src = src or f"{live_server}/feeds/ai-hardware.json"
    return (
        f'<feeds-headlines src="{src}" {attrs}><a href="{live_server}/topics/ai-hardware">'
        "AI Hardware headlines</a></feeds-headlines>"
    )


def test_the_widget_shows_the_newest_headlines_as_text_whatever_the_host(
    live_server: LiveServer, host_server: HostServer, page: Page, page_log: PageLog, articles: list[str]
) -> None:
    page.goto(host_page(host_server, live_server, widget(live_server)))
    items = page.locator("feeds-headlines li")
    expect(items).to_have_count(3)
    links = page.locator("feeds-headlines li a")
    for n, title in enumerate(articles[:3]):
        expect(links.nth(n)).to_have_text(title)  # markup in a title is its text
        expect(links.nth(n)).to_be_visible()  # the host's `display: none !important` does not reach in
        box = links.nth(n).bounding_box()
        assert box is not None and box["height"] > 10  # nor its 3px font
    assert page.evaluate("window.pwned") is None  # nothing in a title ran
    assert page.evaluate("document.querySelector('feeds-headlines').shadowRoot.mode") == "open"
    first = links.first
    assert (first.get_attribute("target"), first.get_attribute("rel")) == ("_blank", "noopener")
    assert first.get_attribute("href") == "https://news.example/a/5"
    image = page.locator("feeds-headlines img").first
    attributes = ("width", "height", "loading", "alt", "src")
    assert [image.get_attribute(a) for a in attributes] == ["80", "60", "lazy", "", "https://img.example/5.jpg"]
    expect(page.locator("feeds-headlines time").first).to_have_attribute("datetime", "2025-06-05T12:00:00.000Z")
    expect(page.locator("feeds-headlines [part=provider]").first).to_have_text("Example News")
    assert_clean(page_log, live_server.url, host_server.origin)
    assert page_log.requests.count(f"{live_server}/feeds/ai-hardware.json") == 1  # one fetch, not one per attribute
    page.evaluate("document.querySelector('feeds-headlines').setAttribute('count', '4')")
    expect(items).to_have_count(4)  # an attribute changed later: shown again
    assert page_log.requests.count(f"{live_server}/feeds/ai-hardware.json") == 2


def test_the_widget_passes_axe(
    live_server: LiveServer, host_server: HostServer, page: Page, run_axe: RunAxe, articles: list[str]
) -> None:
    host_server.serve(
        '<!doctype html><html lang="en"><head><title>Plain host</title>'
        f'<script src="{live_server}/embed.js" async></script></head>'
        f"<body><main>{widget(live_server)}</main></body></html>",
        csp=host_policy(live_server.url, host_server.origin),
        path="/plain",
    )
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{host_server.origin}/plain")
        expect(page.locator("feeds-headlines li")).to_have_count(3)
        assert run_axe(page) == [], scheme


def test_the_host_themes_the_widget_with_custom_properties_and_parts(
    live_server: LiveServer, host_server: HostServer, page: Page, page_log: PageLog, articles: list[str]
) -> None:
    host_server.serve(
        "feeds-headlines { --feeds-link: rgb(1, 2, 3); } feeds-headlines::part(title) { text-transform: uppercase; }",
        path="/theme.css",
        content_type="text/css",
    )
    html = (
        '<!doctype html><html lang="en"><head><title>Themed host</title>'
        f'<link rel="stylesheet" href="{host_server.origin}/theme.css">'
        f'<script src="{live_server}/embed.js" async></script></head>'
        f"<body>{widget(live_server, 'count=2')}{widget(live_server, 'count=1 theme=dark')}</body></html>"
    )
    page.goto(host_server.serve(html, csp=host_policy(live_server.url, host_server.origin), path="/themed"))
    link = page.locator("feeds-headlines li a").first
    expect(link).to_have_css("color", "rgb(1, 2, 3)")
    expect(page.locator("feeds-headlines [part=title]").first).to_have_css("text-transform", "uppercase")
    boxes = page.locator("feeds-headlines [part=container]")
    expect(boxes.nth(0)).to_have_css("background-color", "rgb(255, 255, 255)")
    expect(boxes.nth(1)).to_have_css("background-color", "rgb(22, 24, 29)")  # theme="dark"
    assert_clean(page_log, live_server.url, host_server.origin)


def test_the_fallback_stays_when_the_feed_cannot_be_had(
    live_server: LiveServer, host_server: HostServer, page: Page, page_log: PageLog, articles: list[str]
) -> None:
    body = widget(live_server, src=f"{live_server}/feeds/no-such-topic.json") + widget(
        live_server, src="https://elsewhere.example/feed.json"
    )
    html = (
        f'<!doctype html><html lang="en"><head><title>Host</title><script src="{live_server}/embed.js" async>'
        f"</script></head><body>{body}</body></html>"
    )
    page.goto(host_server.serve(html, csp=host_policy(live_server.url, host_server.origin), path="/fallback"))
    page.wait_for_load_state("networkidle")
    fallbacks = page.get_by_role("link", name="AI Hardware headlines")
    expect(fallbacks).to_have_count(2)
    expect(fallbacks.nth(0)).to_be_visible()
    expect(fallbacks.nth(1)).to_be_visible()
    assert page.locator("feeds-headlines li").count() == 0  # no broken box
    assert not [url for url in page_log.requests if "elsewhere.example" in url]  # never asked
    assert f"{live_server}/feeds/no-such-topic.json" in page_log.requests
    assert page_log.page_errors == [] and page_log.csp_violations == []


def test_without_javascript_the_widget_is_its_fallback_link(
    live_server: LiveServer, host_server: HostServer, new_page: Callable[..., BrowserPage], articles: list[str]
) -> None:
    page, log = new_page(javascript_enabled=False)
    html = f'<!doctype html><html lang="en"><head><title>Host</title></head><body>{widget(live_server)}</body></html>'
    page.goto(host_server.serve(html, csp=host_policy(live_server.url, host_server.origin), path="/nojs"))
    expect(page.get_by_role("link", name="AI Hardware headlines")).to_be_visible()
    assert log.csp_violations == [] and log.console_errors == []


def iframe(live_server: LiveServer, query: str = "?count=5", fragment: str = "") -> str:
    return (
        f'<iframe src="{live_server}/embed/topics/ai-hardware{query}{fragment}" title="AI Hardware headlines" '
        'width="400" height="120" loading="lazy"></iframe>'
    )


def test_the_iframe_shows_the_headlines_and_grows_to_fit(
    live_server: LiveServer,
    host_server: HostServer,
    page: Page,
    page_log: PageLog,
    run_axe: RunAxe,
    articles: list[str],
) -> None:
    page.goto(host_page(host_server, live_server, iframe(live_server, "?count=5&thumbnails=1")))
    frame = page.frame_locator("iframe")
    links = frame.locator("li a")
    expect(links).to_have_count(5)
    for n, title in enumerate(articles):
        expect(links.nth(n)).to_have_text(title)
    expect(links.first).to_have_attribute("target", "_blank")
    expect(links.first).to_have_attribute("rel", "noopener")
    content = frame.locator("html")
    element = page.locator("iframe")
    expect(element).not_to_have_attribute("height", "120")  # embed.js on the host resized it
    height = int(element.get_attribute("height") or 0)
    inner = content.evaluate("html => Math.ceil(html.getBoundingClientRect().height)")
    assert height == inner and height > 300
    assert page.evaluate("window.pwned") is None
    assert page.frames[1].evaluate("window.pwned") is None
    messages = page.evaluate("window.__messages")
    assert {"type": "feeds:height", "height": height} in messages
    assert all(set(m) == {"type", "height"} for m in messages)  # nothing else leaves the frame
    assert_clean(page_log, live_server.url, host_server.origin)
    assert run_axe(page) == []  # the frame's page, checked inside it


def test_the_iframe_speaks_wordpress_when_framed_with_a_secret(
    live_server: LiveServer, host_server: HostServer, page: Page, page_log: PageLog, articles: list[str]
) -> None:
    page.goto(host_page(host_server, live_server, iframe(live_server, fragment="#?secret=abc123")))
    expect(page.frame_locator("iframe").locator("li")).to_have_count(5)
    expect(page.locator("iframe")).not_to_have_attribute("height", "120")
    messages = page.evaluate("window.__messages")
    wordpress = [m for m in messages if m.get("message") == "height"]
    assert wordpress and wordpress[-1]["secret"] == "abc123" and wordpress[-1]["value"] > 300
    assert_clean(page_log, live_server.url, host_server.origin)


def test_the_iframe_reads_without_javascript(
    live_server: LiveServer, host_server: HostServer, new_page: Callable[..., BrowserPage], articles: list[str]
) -> None:
    page, log = new_page(javascript_enabled=False)
    page.goto(host_page(host_server, live_server, iframe(live_server)))
    links = page.frame_locator("iframe").locator("li a")
    expect(links).to_have_count(5)
    expect(links.first).to_have_text(articles[0])
    expect(page.frame_locator("iframe").locator("time").first).to_have_text("2025-06-05 12:00 UTC")
    assert log.csp_violations == []
