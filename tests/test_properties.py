"""Property tests: folders of generated article files, good, unpublished and broken, served.

Whatever the files hold, the service never answers 5xx, every feed is well-formed and reads
in feedparser without a bozo flag, every good article appears in the site feed, and no
unpublished text and no `secured` value appears in any byte of any response or log line.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import create_app

from .conftest import NOW, Clock
from .feedcheck import CHECKS
from .fuzz.strategies import SECRET, TEXT, broken_files, dump, good_articles, good_fields

BASE = "https://feeds.example"
DRAFT_MARK = "Zqdraftmark"


@st.composite
def drafts(draw: st.DrawFn, n: int) -> bytes:
    """A valid article that is not published: `published` anything but the boolean true."""
    fields = good_fields(n, "draft.example")
    fields["title"] = f"{DRAFT_MARK}{n} title " + draw(TEXT)
    fields["excerpt"] = f"{DRAFT_MARK}{n} excerpt"
    fields["topics"] = [f"{DRAFT_MARK}{n} topic"]
    fields["provider"] = {"name": f"{DRAFT_MARK}{n} provider", "domain": f"zqdraft{n}.example"}
    choice = draw(st.sampled_from([False, "true", "yes", 1, None, "True", ...]))
    if choice is ...:
        del fields["published"]
    else:
        fields["published"] = choice
    return dump(fields, f"{DRAFT_MARK}{n} body")


@st.composite
def folders(draw: st.DrawFn) -> tuple[dict[str, bytes], set[str]]:
    """File name -> bytes, and the ids of the good articles among them."""
    files: dict[str, bytes] = {}
    good: set[str] = set()
    for n in range(draw(st.integers(0, 3))):
        data, fields = draw(good_articles(n))
        files[f"good-{n}.txt"] = data
        good.add(fields["webUrl"])
    for n in range(draw(st.integers(0, 2))):
        files[f"draft-{n}.md"] = draw(drafts(100 + n))
    for n in range(draw(st.integers(1, 4))):
        files[f"sub/broken-{n}.yaml"] = draw(broken_files(200 + n))
    return files, good


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_log() -> Iterator[_Lines]:
    handler = _Lines()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def served_urls(client: FlaskClient) -> set[str]:
    urls = {"/", "/feeds.opml", "/-/health", "/-/problems.json", "/feed.xml", "/feed.atom", "/feed.json"}
    urls |= {"/feed.xml?limit=500", "/feed.json?limit=1", "/feed.xml?limit=x", "/feeds/nope.xml", "/feed.txt"}
    opml = etree.fromstring(client.get("/feeds.opml").data)
    for outline in opml.iter("outline"):
        for attr in ("xmlUrl", "htmlUrl"):
            if outline.get(attr):
                urls.add(outline.get(attr).removeprefix(BASE))
    for ext in ("atom", "json"):
        urls |= {u.rsplit(".", 1)[0] + "." + ext for u in list(urls) if u.endswith(".xml") and "?" not in u}
    return urls


def check_body(url: str, content_type: str, body: bytes) -> None:
    """Well-formed and spec-conforming by its type; XML feeds read in feedparser with bozo 0."""
    path = url.split("?")[0]
    if content_type.startswith(("application/rss+xml", "application/atom+xml")):
        etree.fromstring(body)
        fmt = "rss" if path.endswith(".xml") else "atom"
        assert CHECKS[fmt](body, BASE + url.split("?")[0] + ("?" + url.split("?")[1] if "?" in url else "")) == [] or (
            "?" in url
        ), url
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    elif content_type.startswith("application/feed+json"):
        json.loads(body)
        if "?" not in url:
            assert CHECKS["json"](body, BASE + url) == [], url
    elif content_type.startswith("application/json"):
        json.loads(body)
    elif content_type.startswith(("text/x-opml", "application/xml", "text/xml")):
        etree.fromstring(body)
    elif content_type.startswith("text/html"):
        lxml.html.document_fromstring(body)


def feed_ids(body: bytes) -> set[str]:
    return {item["id"] for item in json.loads(body)["items"]}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(folders())
def test_any_folder_is_served_safely(folder: tuple[dict[str, bytes], set[str]]) -> None:
    files, good = folder
    with tempfile.TemporaryDirectory() as tmp, captured_log() as log:
        seeds = Path(tmp) / "seeds"
        for name, data in files.items():
            path = seeds / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        config: dict[str, Any] = {
            "SEEDS_DIR": seeds,
            "RELOAD_INTERVAL": 0,
            "BASE_URL": BASE,
            "SNAPSHOT_DIR": Path(tmp) / "snapshots",
        }
        client = create_app(config, clock=Clock(NOW)).test_client()
        responses: dict[str, bytes] = {}
        for url in sorted(served_urls(client)):
            response = client.get(url)
            assert response.status_code < 500, (url, response.data[:500])
            if response.status_code == 200:
                check_body(url, response.headers["Content-Type"], response.data)
            responses[url] = response.data + str(response.headers).encode()
        assert good <= feed_ids(client.get("/feed.json?limit=500").data)
        problems = json.loads(client.get("/-/problems.json").data)
        assert all(p["path"] and p["message"] for p in problems if p["field"] != "topics")
        assert all("internal error" not in p["message"] for p in problems), problems
    logged = "\n".join(log.lines)
    for needle in (SECRET, DRAFT_MARK, "zqdraft"):
        assert needle not in logged
        for url, body in responses.items():
            assert needle.encode() not in body, (url, needle)
