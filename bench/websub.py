"""WebSub: a file written to the hub notified, through the real `feeds serve`.

    .venv/bin/python -m bench.websub [--count 100000] [--edits 100] [--fresh-topics]

Issue 15's figure: "a file written to a hub notified, p99 at most 1 s at 100,000 articles". The
bench runs a recording hub on 127.0.0.1 in this process and `feeds serve --workers 2` on a copy of
the cached corpus (bench/corpus/<count>, written by bench.corpus the first time, as bench.live
does), with FEEDS_BASE_URL, FEEDS_HUB_URL and an empty snapshot folder in a temp folder. Once both
workers answer /-/health following the folder, it writes N new articles one at a time (whole,
then renamed into place), each the newest of the corpus's most popular topic and provider, with
a webUrl of its own; for each it takes the time from the rename to the hub's first ping whose
hub.topic is one of that article's feed URLs, and counts the pings that arrive for it (expected:
the site, topic and provider feeds in 3 formats, each once, none from the other worker).

`--fresh-topics` gives every new article a topic no article had: the topic names change, so every
group of the index is rebuilt and the notifier looks at every feed (the worst case).

Loopback only; each edit waits at most --timeout seconds, then --settle seconds for late or
duplicate pings; the server is stopped at the end (or on any error).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.corpus import Corpus, cached_corpus
from feeds.model import slugify
from feeds.rendering.urls import FORMATS, Urls

ROOT = Path(__file__).resolve().parent.parent


class Hub:
    """Records every publish ping with the moment it arrived (time.perf_counter, this process)."""

    def __init__(self) -> None:
        self.pings: list[tuple[float, dict[str, list[str]]]] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.perf_counter()
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                with hub.lock:
                    hub.pings.append((at, form))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def since(self, index: int) -> list[tuple[float, dict[str, list[str]]]]:
        with self.lock:
            return self.pings[index:]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health(base: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(base + "/-/health", timeout=2) as response:  # loopback only
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except (OSError, ValueError):
        return None


def workers_health(base: str, count: int, within: float, server: subprocess.Popen[bytes]) -> dict[int, dict[str, Any]]:
    """/-/health of `count` distinct workers that follow the folder (the kernel picks who answers)."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + within
    while len(seen) < count and time.monotonic() < deadline and server.poll() is None:
        answer = health(base)
        if answer is not None and answer["following"]:
            seen[answer["worker"]] = answer
            continue
        time.sleep(0.05)
    return seen


@contextlib.contextmanager
def serving(seeds: Path, tmp: Path, hub: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    env |= {
        "FEEDS_BASE_URL": f"http://127.0.0.1:{port}",
        "FEEDS_HUB_URL": hub,
        "FEEDS_SNAPSHOT_DIR": str(tmp / "snapshot"),
    }
    command = [sys.executable, "-m", "feeds.cli", "serve", "--seeds-dir", str(seeds)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with open(tmp / "serve.log", "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def article(i: int, run: str, topic: str, provider: tuple[str, str]) -> str:
    name, domain = provider
    when = datetime.fromtimestamp(int(time.time()) - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "\n".join(
        [
            "---",
            f'title: "WebSub bench edit {i}"',
            f'excerpt: "A new article for the WebSub bench, number {i}."',
            f'webUrl: "https://{domain}/websub-bench/{run}/{i}.html"',
            f"publishedDateTime: {when}",
            "published: true",
            f"provider: {{name: {json.dumps(name)}, domain: {domain}}}",
            f"topics: [{json.dumps(topic)}]",
            "---",
            "",
        ]
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]  # as bench.live takes its p99


def main() -> None:
    parser = argparse.ArgumentParser(description="a file written to a WebSub hub notified, through feeds serve")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--fresh-topics", action="store_true", help="a new topic in every new article")
    parser.add_argument("--timeout", type=float, default=10.0, help="longest wait for one edit's pings, s")
    parser.add_argument("--settle", type=float, default=0.5, help="wait after an edit's pings for extras, s")
    parser.add_argument("--start-timeout", type=float, default=900.0, help="longest wait for the workers, s")
    args = parser.parse_args()
    corpus = cached_corpus(args.corpus, args.count)
    shape = Corpus(1)  # the generator's own popularity order: the first topic and provider are the biggest
    topic, provider = shape.topics[0], shape.providers[0]
    run = f"{os.getpid()}-{int(time.time())}"
    hub = Hub()
    with tempfile.TemporaryDirectory(prefix="bench-websub-") as name:
        tmp = Path(name)
        seeds = tmp / "seeds"
        try:  # new files only, never an edit in place: hard links are a safe, quick copy
            shutil.copytree(corpus, seeds, copy_function=os.link)
        except OSError:
            shutil.rmtree(seeds, ignore_errors=True)
            shutil.copytree(corpus, seeds)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        urls = Urls(base)
        started = time.perf_counter()
        with serving(seeds, tmp, hub.url, port) as server:
            workers = workers_health(base, 2, args.start_timeout, server)
            start = time.perf_counter() - started
            if len(workers) < 2:
                log = (tmp / "serve.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"feeds serve: {len(workers)} of 2 workers following after {start:.0f} s\n{log}")
            articles = next(iter(workers.values()))["articles"]
            print(f"feeds serve: both workers following after {start:.1f} s ({articles} articles)", flush=True)
            first: list[float] = []  # rename -> first ping for one of the article's feeds
            last: list[float] = []  # rename -> the last of its expected pings
            counts: list[int] = []
            duplicates = unexpected = missed = 0
            for i in range(args.edits):
                name_i = f"{topic} websub {run} {i}" if args.fresh_topics else topic
                groups = [("site", ""), ("topic", slugify(name_i)), ("provider", provider[1])]
                expected = {urls.feed(kind, slug, fmt) for kind, slug in groups for fmt in FORMATS}
                tmp_file = seeds / f".websub-{i}.tmp"
                tmp_file.write_text(article(i, run, name_i, provider), encoding="utf-8")
                before = len(hub.since(0))
                renamed = time.perf_counter()
                os.replace(tmp_file, seeds / f"websub-{run}-{i:04d}.txt")
                deadline = renamed + args.timeout
                while time.perf_counter() < deadline:
                    got = {form.get("hub.topic", [""])[0] for _, form in hub.since(before)}
                    if expected <= got:
                        break
                    time.sleep(0.002)
                time.sleep(args.settle)
                pings = hub.since(before)
                topics = [form.get("hub.topic", [""])[0] for _, form in pings]
                hits = [at for at, form in pings if form.get("hub.topic", [""])[0] in expected]
                if not hits or not expected <= set(topics):
                    missed += 1
                    print(f"edit {i}: {len(set(topics) & expected)} of {len(expected)} feeds pinged", flush=True)
                if hits:
                    first.append(min(hits) - renamed)
                    last.append(max(hits) - renamed)
                counts.append(len(pings))
                duplicates += len(topics) - len(set(topics))
                unexpected += len(set(topics) - expected)
            after = workers_health(base, 2, 30.0, server)
    hub.close()
    if not first:
        raise SystemExit("the hub heard nothing")
    per_edit = len(expected)
    senders = sum(bool(h["websub"] and h["websub"]["sender"]) for h in after.values())
    stats = [h["websub"] for h in after.values() if h["websub"]]
    print()
    print(
        f"{args.count} files ({articles} published), feeds serve --workers 2 ({os.cpu_count()} cores)"
        f", {args.edits} new articles one at a time into {'a new topic each' if args.fresh_topics else repr(topic)}"
        f" and {provider[1]}"
    )
    print("| figure | measured | target |\n|---|---|---|")
    rows = [
        ("start: `feeds serve` to both workers following, empty snapshot", f"{start:.1f} s", "-"),
        (
            "a file written to the hub's first ping for its feeds, p50 / p99 / max",
            f"{statistics.median(first):.3f} / {percentile(first, 0.99):.3f} / {max(first):.3f} s",
            "p99 <= 1 s",
        ),
        (
            "the same, to the last of its pings, p50 / p99 / max",
            f"{statistics.median(last):.3f} / {percentile(last, 0.99):.3f} / {max(last):.3f} s",
            "-",
        ),
        (
            f"pings per edit (3 feeds x 3 formats = {per_edit})",
            f"min {min(counts)}, max {max(counts)}; duplicates {duplicates}, other URLs {unexpected}, "
            f"edits missing a feed {missed}",
            f"{per_edit}, 0, 0, 0",
        ),
        (
            "/-/health websub of the 2 workers",
            f"senders {senders}; sent {sum(s['sent'] for s in stats)}, failed {sum(s['failed'] for s in stats)}, "
            f"notified {sum(s['notified'] for s in stats)}",
            f"1; {per_edit * args.edits}, 0, {per_edit * args.edits}",
        ),
    ]
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\ncommand: .venv/bin/python -m bench.websub " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
