"""WebSub: the hub hears of exactly the feeds that changed, once, in the background; a hub that
fails or hangs blocks nothing. A recording hub runs on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feeds.web.websub import Publisher

from .conftest import Clock, WriteArticle

BASE = "https://feeds.example"


class Hub:
    """A hub on loopback that records every publish ping; `status` and `delay` make it fail or hang."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.status = 204
        self.delay = 0.0
        self.holding = 0  # pings received and not yet answered
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                if hub.delay:
                    hub.holding += 1
                    time.sleep(hub.delay)
                    hub.holding -= 1
                hub.pings.append(form)
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def server_busy(self) -> bool:
        return self.holding > 0

    def topics(self) -> list[str]:
        return [ping["hub.topic"][0] for ping in self.pings]

    def wait_for(self, count: int, within: float = 5.0) -> list[str]:
        deadline = time.monotonic() + within
        while len(self.pings) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.topics()


@pytest.fixture
def hub() -> Iterator[Hub]:
    recorder = Hub()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


def feed_urls(*groups: str) -> set[str]:
    return {f"{BASE}{group}.{ext}" for group in groups for ext in ("xml", "atom", "json")}


@pytest.fixture
def live_app(make_app: Callable[..., Flask], hub: Hub, write_article: WriteArticle) -> Flask:
    """An app that follows the folder (so it notifies), with one article already there."""
    write_article(1, topics=["Old Topic"])
    return make_app(HUB_URL=hub.url, RELOAD_INTERVAL=0.1)


def test_a_new_article_notifies_exactly_its_feeds_once(live_app: Flask, hub: Hub, write_article: WriteArticle) -> None:
    time.sleep(0.3)  # nothing is sent for the data the app started with
    assert hub.pings == []
    write_article(2, topics=["AI Hardware", "Chips"], provider={"name": "P", "domain": "p.example"})
    expected = feed_urls("/feed", "/feeds/ai-hardware", "/feeds/chips", "/feeds/providers/p.example")
    topics = hub.wait_for(len(expected))
    time.sleep(0.3)  # and nothing more after that
    assert sorted(hub.topics()) == sorted(expected)  # each once; the old topic's feeds untouched
    for ping in hub.pings:
        assert ping["hub.mode"] == ["publish"]
        assert ping["hub.url"] == ping["hub.topic"]
    assert len(topics) == len(set(topics))
    health = json.loads(live_app.test_client().get("/-/health").data)["websub"]
    assert (health["hub"], health["sent"], health["failed"], health["sender"]) == (hub.url, 12, 0, True)


def test_a_draft_changes_no_feed_and_notifies_nothing(live_app: Flask, hub: Hub, write_article: WriteArticle) -> None:
    write_article(3, published=False, topics=["Secret"])
    time.sleep(0.6)
    assert hub.pings == []


def test_an_edit_and_a_removal_notify_the_feeds_that_showed_the_article(
    live_app: Flask, hub: Hub, write_article: WriteArticle, seeds_dir: Path
) -> None:
    write_article(1, topics=["Old Topic"], title="Edited")
    expected = feed_urls("/feed", "/feeds/old-topic", "/feeds/providers/news.example")
    assert sorted(hub.wait_for(len(expected))) == sorted(expected)
    hub.pings.clear()
    (seeds_dir / "001.txt").unlink()
    assert sorted(hub.wait_for(len(expected))) == sorted(expected)  # the feeds are gone: said once


def test_a_held_back_article_notifies_when_it_comes_due(
    live_app: Flask, hub: Hub, clock: Clock, write_article: WriteArticle
) -> None:
    due = "2026-01-01T00:10:00Z"  # ten minutes after the test clock's now
    write_article(2, topics=["Later"], publishedDateTime=due)
    time.sleep(0.6)
    assert hub.pings == []  # held back: no feed shows it yet
    clock.now += 600
    notifier = live_app.extensions["feeds"].websub
    notifier.wake()
    expected = feed_urls("/feed", "/feeds/later", "/feeds/providers/news.example")
    assert sorted(hub.wait_for(len(expected))) == sorted(expected)


def test_a_failing_hub_is_tried_a_bounded_number_of_times(hub: Hub) -> None:
    hub.status = 500
    publisher = Publisher(hub.url, attempts=3, backoff=0.01)
    publisher.publish([f"{BASE}/feed.xml"])
    assert hub.wait_for(3) == [f"{BASE}/feed.xml"] * 3
    time.sleep(0.2)
    assert len(hub.pings) == 3
    assert (publisher.sent, publisher.failed) == (0, 1)
    assert publisher.last_error == f"{BASE}/feed.xml: HTTP 500"


def test_a_hanging_hub_times_out_and_blocks_no_request(
    make_app: Callable[..., Flask], hub: Hub, write_article: WriteArticle
) -> None:
    write_article(1)
    hub.delay = 3.0
    app = make_app(HUB_URL=hub.url, RELOAD_INTERVAL=0.1)
    notifier = app.extensions["feeds"].websub
    notifier.publisher.timeout = 0.3
    notifier.publisher.backoff = 0.01
    write_article(2, topics=["Fresh"])
    client = app.test_client()
    deadline = time.monotonic() + 5
    while client.get("/feeds/fresh.json").status_code != 200:  # the reload is not held up by the hub
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    for _ in range(20):
        assert client.get("/feed.json").status_code == 200
    assert time.monotonic() - started < 1.0  # requests keep their speed while the hub hangs
    deadline = time.monotonic() + 10
    while notifier.publisher.failed == 0:
        assert time.monotonic() < deadline, "the timeout did not end the attempts"
        time.sleep(0.05)
    assert "timed out" in (notifier.publisher.last_error or "")


def test_without_a_base_url_the_hub_is_not_notified(
    make_app: Callable[..., Flask], hub: Hub, write_article: WriteArticle, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(1)
    app = make_app(HUB_URL=hub.url, BASE_URL=None, RELOAD_INTERVAL=0.1)
    assert app.extensions["feeds"].websub is None
    assert any("FEEDS_BASE_URL is not" in record.getMessage() for record in caplog.records)


def test_two_workers_notify_once(seeds_dir: Path, tmp_path: Path, hub: Hub, write_article: WriteArticle) -> None:
    """Under `feeds serve` with two workers that each follow the folder, the hub hears each URL once."""
    write_article(1)
    with serving_with(hub.url, seeds_dir, tmp_path / "snap") as (server, _):
        write_article(2, topics=["Brand New"])
        expected = feed_urls("/feed", "/feeds/brand-new", "/feeds/providers/news.example")
        hub.wait_for(len(expected))
        time.sleep(1.0)  # time for a second worker's pings, were it to send them
        assert sorted(hub.topics()) == sorted(expected)
        started = time.monotonic()
        server.terminate()
        server.wait(timeout=10)
        assert time.monotonic() - started < 5


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_with(
    hub_url: str, seeds_dir: Path, snapshots: Path, base_url: str | None = BASE
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`feeds serve --workers 2` notifying `hub_url`, once both workers answer while following
    the folder: (the process, its loopback URL). FEEDS_BASE_URL is `base_url`, or that URL when
    None. Stopped at the end if the test did not stop it."""
    port = free_port()
    served = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEEDS_SNAPSHOT_DIR": str(snapshots), "FEEDS_HUB_URL": hub_url}
    env["FEEDS_BASE_URL"] = base_url or served
    command = [sys.executable, "-m", "feeds.cli", "serve", "--seeds-dir", str(seeds_dir), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert len(wait_for_workers(served, 2)) == 2
        yield server, served
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for_workers(base: str, count: int, within: float = 30.0) -> set[int]:
    """The pids of `count` workers that answered /-/health while following the folder."""
    seen: set[int] = set()
    deadline = time.monotonic() + within
    while len(seen) < count and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/-/health", timeout=2) as response:  # loopback only
                health = json.loads(response.read())
            if health["following"]:
                seen.add(health["worker"])
                continue
        except OSError:
            pass
        time.sleep(0.05)
    return seen


# --- advertising the hub, and polling hints --------------------------------------------------

HUB = "https://hub.example/websub"


@pytest.mark.parametrize("fmt", ["xml", "atom", "json"])
@pytest.mark.parametrize("query", ["", "?limit=3"])
def test_every_feed_names_the_hub_and_itself(
    make_app: Callable[..., Flask], write_article: WriteArticle, fmt: str, query: str
) -> None:
    import feedparser

    from .feedcheck import ATOM, CHECKS, parse_xml

    write_article(1)
    client = make_app(HUB_URL=HUB).test_client()
    url = f"/feeds/ai-hardware.{fmt}{query}"
    self_url = BASE + url
    response = client.get(url)
    link = f'<{HUB}>; rel="hub", <{self_url}>; rel="self"'
    assert response.headers["Link"] == link
    not_modified = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.headers["Link"] == link
    check = {"xml": "rss", "atom": "atom", "json": "json"}[fmt]
    assert CHECKS[check](response.data, self_url) == []
    if fmt == "json":
        feed = json.loads(response.data)
        assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]
        assert feed["feed_url"] == self_url
        return
    root = parse_xml(response.data)
    links = root.iter(f"{{{ATOM}}}link")
    assert {(x.get("rel"), x.get("href")) for x in links} >= {("hub", HUB), ("self", self_url)}
    assert feedparser.parse(response.data).bozo == 0


def test_without_a_hub_no_feed_names_one(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1)
    for url in ("/feed.xml", "/feed.atom", "/feed.json"):
        response = client.get(url)
        assert "Link" not in response.headers
        assert b"hub" not in response.data


@pytest.mark.parametrize(("max_age", "ttl"), [(300, "5"), (3600, "60"), (90, "2"), (30, "1"), (0, None)])
def test_rss_ttl_says_what_cache_control_says(
    make_app: Callable[..., Flask], write_article: WriteArticle, max_age: int, ttl: str | None
) -> None:
    from .feedcheck import parse_xml

    write_article(1)
    response = make_app(CACHE_MAX_AGE=max_age).test_client().get("/feed.xml")
    assert response.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert parse_xml(response.data).findtext("channel/ttl") == ttl


@pytest.mark.parametrize("url", ["/feeds/ai-hardware.xml", "/feed.json", "/", "/topics/ai-hardware", "/feeds.opml"])
@pytest.mark.parametrize("max_age", [300, 0])
def test_expires_is_the_response_time_plus_max_age(
    make_app: Callable[..., Flask], write_article: WriteArticle, clock: Clock, url: str, max_age: int
) -> None:
    from email.utils import formatdate

    write_article(1)
    client = make_app(CACHE_MAX_AGE=max_age).test_client()
    expected = formatdate(int(clock.now) + max_age, usegmt=True)
    response = client.get(url)
    assert response.headers["Expires"] == expected
    assert response.headers["Cache-Control"] == f"public, max-age={max_age}"
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Expires"] == expected
    clock.now += 61
    assert client.get(url).headers["Expires"] == formatdate(int(clock.now) + max_age, usegmt=True)


def test_a_hub_that_does_not_speak_http_is_a_failure_and_the_sender_goes_on(hub: Hub) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def babble() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.sendall(b"this is not HTTP\r\n\r\n")
            conn.close()

    threading.Thread(target=babble, daemon=True).start()
    publisher = Publisher(f"http://127.0.0.1:{listener.getsockname()[1]}/", attempts=2, backoff=0.01)
    publisher.publish([f"{BASE}/feed.xml"])
    deadline = time.monotonic() + 5
    while publisher.failed == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    listener.close()
    publisher.hub = hub.url  # the thread still runs: the next ping goes out
    publisher.publish([f"{BASE}/feed.json"])
    assert hub.wait_for(1) == [f"{BASE}/feed.json"]


def test_a_redirect_is_not_taken_for_a_publish(hub: Hub) -> None:
    hub.status = 302
    publisher = Publisher(hub.url, attempts=1, backoff=0.01)
    publisher.publish([f"{BASE}/feed.xml"])
    hub.wait_for(1)
    deadline = time.monotonic() + 5
    while publisher.failed == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (publisher.sent, publisher.last_error) == (0, f"{BASE}/feed.xml: HTTP 302")


def test_a_lock_file_that_cannot_be_opened_does_not_lose_changes(
    live_app: Flask, hub: Hub, write_article: WriteArticle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = live_app.extensions["feeds"].websub
    notifier._lock_fd = None  # as a worker that never held the lock
    notifier.lock_path = tmp_path / "no-such-folder" / "websub.lock"
    write_article(2, topics=["Fresh"])
    assert len(hub.wait_for(9)) == 9
    assert any("cannot open" in record.getMessage() for record in caplog.records)


def test_a_hanging_hub_does_not_hold_up_a_stop(
    seeds_dir: Path, tmp_path: Path, hub: Hub, write_article: WriteArticle
) -> None:
    """`feeds serve` stops promptly while a ping waits on a hub that does not answer."""
    write_article(1)
    hub.delay = 30.0
    with serving_with(hub.url, seeds_dir, tmp_path / "snap") as (server, _):
        write_article(2, topics=["Brand New"])
        deadline = time.monotonic() + 10
        while not hub.server_busy():  # a ping is being held by the hub
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = time.monotonic()
        server.terminate()
        server.wait(timeout=10)
        assert time.monotonic() - started < 3
