"""The pages for people in Chromium: the articles on a phone and a desktop, the filter as you
type, the Copy buttons, dates in the reader's time zone, the keyboard path, dark mode, the embed
preview, and the same pages with JavaScript off; no console error, no CSP violation, and no
serious or critical axe-core finding on any of them, light and dark."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from ..conftest import WriteArticle
from .conftest import BrowserPage, LiveServer, PageLog, RunAxe

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
BULLETIN_A = {"name": "Bulletin", "domain": "bulletin-a.example"}
BULLETIN_B = {"name": "Bulletin", "domain": "bulletin-b.example"}
PAGES = ["/", "/topics", "/providers", "/topics/ai-hardware", "/providers/bulletin-a.example"]
NewPage = Callable[..., BrowserPage]


@pytest.fixture
def site(write_article: WriteArticle) -> None:
    """Six articles (n is dated 2025-06-(n+1) 12:00 UTC), topics AI Hardware (every one), AI,
    Alpha, Beta and Énergie; two providers named Bulletin and Example News."""
    write_article(1, topics=["AI Hardware", "Alpha"], provider=BULLETIN_A)
    write_article(2, topics=["AI Hardware", "Alpha", "Beta"], provider=BULLETIN_B)
    write_article(3, topics=["AI Hardware", "Énergie"], images=[{"url": "https://img.example/unsized.png"}])
    write_article(4, related=..., images=...)
    write_article(5, title='<img src=x onerror="window.ran=1"> & <b>bold</b>', provider=BULLETIN_A)
    write_article(6)


def titles() -> list[str]:
    return ["Article number 6", '<img src=x onerror="window.ran=1"> & <b>bold</b>'] + [
        f"Article number {n}" for n in (4, 3, 2, 1)
    ]


def clean(log: PageLog) -> None:
    """Nothing went wrong in the page: no console error, exception or CSP violation."""
    assert log.console_errors == []
    assert log.page_errors == []
    assert log.csp_violations == []


def visible_names(page: Page, list_id: str) -> list[str]:
    return page.locator(f"#{list_id} > li:visible > a").all_inner_texts()


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("url", ["/", "/topics/ai-hardware"])
def test_the_articles_show_on_a_phone_and_a_desktop(
    live_server: LiveServer, new_page: NewPage, viewport: dict[str, int], url: str
) -> None:
    page, log = new_page(viewport=viewport)
    page.goto(f"{live_server}{url}")
    headings = page.locator(".articles h3 a")
    expect(headings).to_have_text(titles())  # markup in a title is text
    for link in headings.all():
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    images = page.locator(".articles img")
    expect(images).to_have_count(5)
    for image in images.all():
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        assert box is not None and 80 <= box["width"] <= 150 and box["height"] > 40  # sized, even unsized ones
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("window.ran") is None
    assert log.requests_outside(live_server.url, "https://img.example") == []
    clean(log)


@pytest.mark.usefixtures("site")
def test_the_filter_narrows_the_lists_as_you_type(live_server: LiveServer, page: Page, page_log: PageLog) -> None:
    page.goto(f"{live_server}/topics")
    field = page.get_by_label("Filter topics")
    expect(field).to_be_visible()
    every = ["AI Hardware", "AI", "Alpha", "Beta", "Énergie"]  # by size (6, 3, 2, 1, 1), then name
    assert visible_names(page, "list") == every
    field.press_sequentially("AL")
    assert visible_names(page, "list") == ["Alpha"]  # case aside
    expect(page.locator(".filter-status")).to_have_text("1 of 5 shown")
    field.fill("")
    field.press_sequentially("ener")
    assert visible_names(page, "list") == ["Énergie"]  # accents aside
    field.fill("")
    field.dispatch_event("input")
    assert visible_names(page, "list") == every

    page.goto(f"{live_server}/")
    field = page.get_by_label("Filter topics and providers")
    field.press_sequentially("bull")
    assert visible_names(page, "topics") == []
    assert visible_names(page, "providers") == ["Bulletin (bulletin-a.example)", "Bulletin (bulletin-b.example)"]
    # The home page has the biggest only; its links to the full lists carry the query along.
    page.get_by_role("link", name="All 3 providers").click()
    expect(page).to_have_url(f"{live_server}/providers?q=bull")
    expect(page.get_by_label("Filter providers")).to_have_value("bull")
    assert visible_names(page, "list") == ["Bulletin (bulletin-a.example)", "Bulletin (bulletin-b.example)"]
    assert page_log.requests_outside(live_server.url, "https://img.example") == []
    clean(page_log)


@pytest.mark.usefixtures("site")
def test_copy_buttons_copy_and_say_so(live_server: LiveServer, new_page: NewPage) -> None:
    page, log = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server}/topics/ai-hardware")
    button = page.locator("button[data-copy='feed-rss']")
    expect(button).to_have_accessible_name("Copy the RSS address")  # "Copy", and words for screen readers
    button.click()
    expect(button).to_have_text("Copied the RSS address")
    expect(page.get_by_role("status").filter(has_text="Copied to the clipboard")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server}/feeds/ai-hardware.xml"
    expect(button).to_have_text("Copy the RSS address", timeout=5_000)  # then back, ready for the next time

    expect(page.get_by_role("button", name="Copy this snippet")).to_have_count(3)
    widget = page.locator("button[data-copy='embed-widget']")
    widget.click()
    expect(widget).to_have_text("Copied this snippet")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#embed-widget").inner_text()
    assert copied.startswith(f'<script src="{live_server}/embed.js" async></script>\n<feeds-headlines ')
    clean(log)


@pytest.mark.usefixtures("site")
def test_dates_show_in_the_readers_time_zone(live_server: LiveServer, new_page: NewPage) -> None:
    page, log = new_page(timezone_id="Asia/Tokyo", locale="en-US")
    page.goto(f"{live_server}/topics/ai-hardware")
    first = page.locator(".articles time").first
    assert first.get_attribute("datetime") == "2025-06-07T12:00:00Z"
    expect(first).not_to_have_text("2025-06-07 12:00 UTC")  # what the page says without JavaScript
    assert re.sub(r"\s", " ", first.inner_text()) == "Jun 7, 2025, 9:00 PM"  # 12:00 UTC is 21:00 in Tokyo
    assert first.get_attribute("title") == "2025-06-07 12:00 UTC"
    clean(log)


@pytest.mark.usefixtures("site")
def test_the_keyboard_reaches_the_content_first_with_a_visible_focus(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server}/topics/ai-hardware")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to the content")
    expect(skip).to_be_in_viewport()  # off screen until focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("RSS")  # the first link of the content
    outline = focused.evaluate("e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]")
    assert outline[0] == "solid" and outline[1] >= 2


@pytest.mark.usefixtures("site")
def test_the_embed_preview_is_as_tall_as_its_headlines(live_server: LiveServer, page: Page, page_log: PageLog) -> None:
    page.goto(f"{live_server}/providers/bulletin-a.example")
    preview = page.locator("iframe.preview")
    preview.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe.preview")
    expect(frame.get_by_role("link", name="Article number 1")).to_be_visible()
    inner = page.frames[1].evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    expect(preview).to_have_attribute("height", str(inner))
    assert inner != 400  # the snippet's first guess, corrected
    clean(page_log)


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("url", PAGES)
def test_no_serious_accessibility_finding_and_nothing_refused(
    live_server: LiveServer, new_page: NewPage, run_axe: RunAxe, url: str, scheme: str
) -> None:
    page, log = new_page(color_scheme=scheme)
    page.goto(f"{live_server}{url}")
    expect(page.locator("h1")).to_have_count(1)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(18, 18, 18)" if scheme == "dark" else "rgb(255, 255, 255)")
    if page.locator("iframe.preview").count():  # the embed preview loads when scrolled to
        page.locator("iframe.preview").scroll_into_view_if_needed()
        expect(page.frame_locator("iframe.preview").locator("li").first).to_be_visible()
    assert run_axe(page) == []
    clean(log)


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("url", PAGES)
def test_without_javascript_the_pages_show_everything(
    live_server: LiveServer, new_page: NewPage, run_axe: RunAxe, url: str
) -> None:
    page, log = new_page(javascript_enabled=False, viewport=PHONE)
    page.goto(f"{live_server}{url}")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("input[type=search]")).to_be_hidden()  # no filter that cannot filter
    expect(page.locator("button")).to_have_count(page.locator("button[hidden]").count())  # nor Copy buttons
    if url in ("/topics", "/providers"):
        expect(page.locator("#list > li")).to_have_count(5 if url == "/topics" else 3)
        for item in page.locator("#list > li").all():
            expect(item).to_be_visible()
    else:
        expect(page.locator(".articles h3 a")).to_have_count(
            len(titles()) if url != "/providers/bulletin-a.example" else 2
        )
        expect(page.locator(".articles time").first).to_contain_text("UTC")
        for field in page.locator(".feeds input").all():  # the addresses, to select and copy by hand
            expect(field).to_be_visible()
            assert field.input_value().startswith(f"{live_server}/feed")
        expect(page.locator("#embed-widget")).to_contain_text("<feeds-headlines")
    assert f"{live_server}/static/site.js" not in log.requests
    assert run_axe(page) == []
    assert log.console_errors == []
