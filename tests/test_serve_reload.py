"""Under the production server (granian, two worker processes), every worker follows the folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import WriteArticle


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_every_worker_serves_a_new_file_within_two_seconds(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle
) -> None:
    write_article(1)
    port = _free_port()
    env = {**os.environ, "FEEDS_SNAPSHOT_DIR": str(tmp_path / "snap")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "feeds.cli",
            "serve",
            "--seeds-dir",
            str(seeds_dir),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        following: set[int] = set()  # workers that answered, each already following the folder
        deadline = time.monotonic() + 30
        while len(following) < 2:
            assert time.monotonic() < deadline, f"2 workers did not answer in 30 s ({len(following)} did)"
            try:
                status, body = _get(base + "/-/health")
            except OSError:
                status, body = 0, b""
            if status == 200 and json.loads(body)["following"]:
                following.add(json.loads(body)["worker"])
            else:
                time.sleep(0.05)
        write_article(2, topics=["Brand New"])
        written = time.monotonic()
        streak = 0
        while streak < 20:  # twenty answers in a row, from whichever worker, all see it
            assert time.monotonic() - written < 5, "a worker still misses the new file after 5 s"
            status, body = _get(base + "/feeds/brand-new.json")
            if status == 200 and json.loads(body)["items"][0]["id"] == "https://news.example/a/2":
                streak += 1
            else:
                streak = 0
                time.sleep(0.02)
        seen_after = time.monotonic() - written
        assert seen_after < 2.5, seen_after
    finally:
        server.terminate()
        server.wait(timeout=10)
