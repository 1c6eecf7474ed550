"""The widget's weight and speed: embed.js gzipped, and the time from the host page starting to
load embed.js to the headlines shown, on loopback, in headless Chromium.

    .venv/bin/python -m bench.embed [--runs 30] [--count 5]

It serves the sample seeds/ with the app (a threaded server on 127.0.0.1) and a host page on a
second origin (localhost) under a strict CSP; each run is a fresh browser context (no cache),
and the time is the element's `feeds:load` event minus the start of embed.js's fetch (resource
timing), so it holds the script's download and run, the feed's fetch and the rendering.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import socket
import statistics
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from werkzeug.serving import make_server

from feeds import create_app
from feeds.web.assets import STATIC

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _app_server(seeds: Path) -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app = create_app({"SEEDS_DIR": seeds, "RELOAD_INTERVAL": 0, "SNAPSHOT_DIR": "off"})
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextmanager
def _host(ours: str, count: int) -> Iterator[str]:
    """The host page on another origin (localhost), allowing scripts and fetches from ours only;
    its own script (from its own origin) logs the timing to the console."""
    page = (
        f'<!doctype html><html><head><title>host</title><script src="/timing.js"></script>'
        f'<script src="{ours}/embed.js" async></script></head><body>'
        f'<feeds-headlines src="{ours}/feeds/ai-hardware.json" count="{count}">'
        f'<a href="{ours}/topics/ai-hardware">headlines</a></feeds-headlines></body></html>'
    ).encode()
    timing = (
        "addEventListener('feeds:load', () => {"
        f"  const entry = performance.getEntriesByName('{ours}/embed.js')[0];"
        "  console.log('ms=' + (performance.now() - entry.startTime));"
        "}, true);"
    ).encode()
    policy = f"default-src 'none'; script-src 'self' {ours}; connect-src {ours}; img-src *; style-src 'self'"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (timing, "text/javascript") if self.path == "/timing.js" else (page, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    script = (STATIC / "embed.js").read_bytes()
    sizes = f"embed.js: {len(script)} bytes, {len(gzip.compress(script, 6, mtime=0))} gzipped (level 6, as served)"
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        with _app_server(seeds) as ours, _host(ours, args.count) as host, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(args.runs + 1):
                context = browser.new_context()
                page = context.new_page()
                with page.expect_console_message(lambda m: m.text.startswith("ms="), timeout=10_000) as message:
                    page.goto(host)
                times.append(float(message.value.text[3:]))
                context.close()
            browser.close()
    times = times[1:]  # the first run warms the server and the browser
    times.sort()
    p90 = times[max(0, round(len(times) * 0.9) - 1)]
    print(sizes)
    print(
        f"script load to headlines shown ({args.runs} runs, {args.count} headlines, no cache): "
        f"median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
