"""Screenshots of what a person sees, in Debian's Chromium: the home page and a topic page at
desktop and phone widths, and each host page of host_pages() (the widget on another site).

    .venv/bin/python -m bench.screenshots OUTDIR [--seeds-dir seeds] [--topic ai-hardware]

Serves the seeds (./seeds, the two sample articles) on 127.0.0.1 and the host pages on
localhost (another origin), as the browser tests do, and writes OUTDIR/<name>-desktop.png
(1280 px wide) and OUTDIR/<name>-phone.png (360 px), whole pages; exits 1 when a page logged
a console error. Needs /usr/bin/chromium (./scripts/test installs it) and .venv's Playwright.
Nothing leaves the machine: the articles' own images show as grey boxes of their size.
"""

from __future__ import annotations

import argparse
import logging
import struct
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from feeds import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WIDTHS = {"desktop": 1280, "phone": 360}
HEIGHT = 800  # the viewport's; the shots are of the whole page


@dataclass(frozen=True)
class HostPage:
    """A page of another site, shot like ours: `html` served at /<name> on the host origin,
    with `csp` as its Content-Security-Policy; `ready` (a JavaScript expression) is awaited
    before the shot, after the network is idle."""

    name: str
    html: str
    csp: str | None = None
    ready: str | None = None


def host_pages(ours: str, topic: str) -> list[HostPage]:
    """The host pages to shoot, given our base URL: extend this for each embed form."""
    policy = f"default-src 'none'; script-src {ours}; style-src {ours}; connect-src {ours}; frame-src {ours}; img-src *"
    widget = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>A host page</title>'
        f'<script src="{ours}/embed.js" async></script></head>'
        "<body><main><h1>A host page</h1><p>Another site, with our headlines:</p>"
        f'<feeds-headlines src="{ours}/feeds/{topic}.json" count="5" thumbnails>'
        f'<a href="{ours}/topics/{topic}">Headlines</a></feeds-headlines></main></body></html>'
    )
    ready = "[...document.querySelectorAll('feeds-headlines')].every((e) => e.shadowRoot?.childElementCount)"
    return [HostPage("widget", widget, policy, ready)]


def _png(rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
        + chunk(b"IEND", b"")
    )


PLACEHOLDER = _png((200, 200, 200))


def _route(route: Route) -> None:
    """Loopback goes through; images from elsewhere are grey; anything else fails at once."""
    request = route.request
    if (urlsplit(request.url).hostname or "") in {"127.0.0.1", "localhost"}:
        route.continue_()
    elif request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=PLACEHOLDER)
    else:
        route.abort("internetdisconnected")


@contextmanager
def _serving(server: Any) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _host_server(pages: dict[str, HostPage]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path.lstrip("/"))
            if page is None:
                self.send_error(404)
                return
            body = page.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if page.csp:
                self.send_header("Content-Security-Policy", page.csp)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def shoot(browser: Browser, url: str, path: Path, width: int, ready: str | None = None) -> list[str]:
    """One full-page PNG of `url` at `width`; returns the page's console errors."""
    context = browser.new_context(viewport={"width": width, "height": HEIGHT})
    try:
        context.set_default_timeout(15_000)
        context.route("**/*", _route)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="networkidle")
        if ready:
            page.wait_for_function(ready)
        page.screenshot(path=path, full_page=True)
        return errors
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seeds-dir", type=Path, default=ROOT / "seeds")
    parser.add_argument("--topic", default="ai-hardware", help="the topic page and the widget's feed")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.outdir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    app = create_app({"SEEDS_DIR": args.seeds_dir, "RELOAD_INTERVAL": 0, "SNAPSHOT_DIR": "off", "PARSE_JOBS": 1})
    ours_server = make_server("127.0.0.1", 0, app, threaded=True)
    ours = f"http://127.0.0.1:{ours_server.server_port}"
    pages = {page.name: page for page in host_pages(ours, args.topic)}
    host = _host_server(pages)
    host_origin = f"http://localhost:{host.server_address[1]}"
    shots: list[tuple[str, str, str | None]] = [
        ("home", f"{ours}/", None),
        (f"topic-{args.topic}", f"{ours}/topics/{args.topic}", None),
    ]
    shots += [(name, f"{host_origin}/{name}", page.ready) for name, page in pages.items()]
    failed = False
    with _serving(ours_server), _serving(host), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, url, ready in shots:
            for label, width in WIDTHS.items():
                path = args.outdir / f"{name}-{label}.png"
                errors = shoot(browser, url, path, width, ready)
                print(f"{path}  {url}" + "".join(f"\n  console error: {e}" for e in errors))
                failed |= bool(errors)
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
