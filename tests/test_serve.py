"""`feeds serve`: the real server (granian) answers through the fast path with the same headers
and bytes as the app, including non-ASCII paths and 304s."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.cli import granian_server
from feeds.config import load_settings

from .conftest import WriteArticle

BASE = "https://feeds.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def server(seeds_dir: Path, write_article: WriteArticle) -> Iterator[int]:
    write_article(1, topics=["AI Hardware", "Künstliche Intelligenz"])
    write_article(2)
    port = free_port()
    env = {
        **os.environ,
        "FEEDS_SEEDS_DIR": str(seeds_dir),
        "FEEDS_BASE_URL": BASE,
        "FEEDS_PORT": str(port),
        "FEEDS_WORKERS": "1",
        "FEEDS_RELOAD_INTERVAL": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(port, "/-/health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no output") from None
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        if proc.stderr:
            proc.stderr.close()


def test_serve_answers_feeds_with_validators_and_304s(server: int) -> None:
    status, headers, body = fetch(server, "/feeds/ai-hardware.xml")
    assert status == 200
    assert headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["access-control-allow-origin"] == "*"
    assert headers["vary"] == "Accept-Encoding"
    assert headers["cache-control"] == "public, max-age=300"
    assert b"<rss" in body
    status, zheaders, zipped = fetch(server, "/feeds/ai-hardware.xml", **{"Accept-Encoding": "gzip"})
    assert zheaders["content-encoding"] == "gzip"
    assert gzip.decompress(zipped) == body
    status, nheaders, empty = fetch(server, "/feeds/ai-hardware.xml", **{"If-None-Match": headers["etag"]})
    assert (status, empty) == (304, b"")
    for name in ("etag", "cache-control", "vary", "access-control-allow-origin"):
        assert nheaders[name] == headers[name]
    status, _, _ = fetch(server, "/feeds/ai-hardware.xml", **{"If-Modified-Since": headers["last-modified"]})
    assert status == 304
    assert fetch(server, "/feeds/k%C3%BCnstliche-intelligenz.json")[0] == 200
    assert fetch(server, "/feeds/nothing.xml")[0] == 404
    status, headers, body = fetch(server, "/")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")


def test_the_server_is_tuned_as_measured() -> None:
    server = granian_server(load_settings({"WORKERS": 3, "PORT": 9999}, {}))
    assert (server.workers, server.bind_port, server.blocking_threads) == (3, 9999, 4)
    assert (server.interface, server.http, server.websockets) == ("wsgi", "1", False)
