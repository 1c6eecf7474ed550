"""Fixtures for tests in a real browser: our app on a live loopback server, a host page on a
second origin with the policy the test gives, headless Chromium (Debian's) driven by Playwright,
pages that record console errors, page errors, CSP violations and every request, and axe-core.

scripts/_browser installs Chromium and axe-core; without them a developer's run skips these
tests with the reason, and CI (CI=true) fails them.
"""

from __future__ import annotations

import os
import struct
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from feeds import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Frame, Page, Playwright, Route

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("FEEDS_CHROMIUM", "/usr/bin/chromium"))
# Debian's chromium as root, with no network but loopback (see ../shared/FEED-NOTES.md)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 10_000  # a step that takes longer has failed; Playwright's 30 s default only slows the report


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


def unavailable(reason: str) -> NoReturn:
    """CI installs everything these tests need, so there a missing piece fails; elsewhere it skips."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: scripts/_browser installs it)", pytrace=False)
    pytest.skip(f"{reason}: run ./scripts/test, which installs it, or see scripts/_browser")


def origin(url: str) -> str:
    """scheme://host:port of a URL ('' for data:, blob: and about: URLs, which have none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https", "ws", "wss"} else ""


def strict_csp(ours: str, *, img_src: str = "*") -> str:
    """The policy of a careful host page that embeds us: nothing inline, and scripts, styles,
    connections and frames from our origin only."""
    return (
        f"default-src 'none'; script-src {ours}; style-src {ours}; connect-src {ours}; "
        f"frame-src {ours}; img-src {img_src}"
    )


# -- servers ---------------------------------------------------------------------------------


class _Threaded:
    """A server in a daemon thread, stopped at teardown."""

    def __init__(self, server: BaseWSGIServer | ThreadingHTTPServer) -> None:
        self.server = server
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class LiveServer(_Threaded):
    """Our app over real HTTP on 127.0.0.1. The app (and its catalog) is made at the first
    request, so a test writes its articles first and then browses; reload() picks up files
    written after that. str(live_server) is the base URL."""

    def __init__(self, seeds_dir: Path, config: dict[str, Any]) -> None:
        self._config = {"SEEDS_DIR": seeds_dir, "RELOAD_INTERVAL": 0, "PARSE_JOBS": 1, **config}
        self._app: Flask | None = None
        self._lock = threading.Lock()
        super().__init__(make_server("127.0.0.1", 0, self._wsgi, threaded=True))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.origin = self.url

    @property
    def app(self) -> Flask:
        with self._lock:
            if self._app is None:
                self._app = create_app(self._config)
            return self._app

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    def reload(self) -> None:
        """See the files written since the app started (reloading is off, as in tests/)."""
        self.app.extensions["feeds"].catalog.refresh()

    def __str__(self) -> str:
        return self.url


@dataclass
class Served:
    body: bytes
    headers: dict[str, str]


class HostServer(_Threaded):
    """Another site, on http://localhost:<port> (a different origin from the live server's
    127.0.0.1), serving the pages a test gives it, each with the headers it gives."""

    def __init__(self) -> None:
        self.pages: dict[str, Served] = {}
        self.hits: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits.append(self.path)
                served = host.pages.get(self.path.split("?")[0])
                if served is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                for name, value in {"Content-Length": str(len(served.body)), **served.headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        # the same pages on a third origin (and site), neither ours nor the host's: for a frame
        # from elsewhere, or a request that must never be made
        self.other_origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(
        self,
        html: str,
        *,
        csp: str | None = None,
        path: str = "/",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve `html` at `path` with Content-Security-Policy `csp`; returns its URL."""
        all_headers = {"Content-Type": content_type, "Cache-Control": "no-store", **(headers or {})}
        if csp is not None:
            all_headers["Content-Security-Policy"] = csp
        self.pages[path] = Served(html.encode(), all_headers)
        return self.origin + path


@pytest.fixture
def make_live_server(seeds_dir: Path) -> Iterator[Callable[..., LiveServer]]:
    """make_live_server(**config) -> a LiveServer of create_app({SEEDS_DIR: seeds_dir, **config})."""
    servers: list[LiveServer] = []

    def make(**config: Any) -> LiveServer:
        servers.append(LiveServer(seeds_dir, config))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    """Our app on the test's seeds_dir (write_article fills it), BASE_URL unset: links follow
    the request, so they are http://127.0.0.1:<port>/..."""
    return make_live_server()


@pytest.fixture
def host_server() -> Iterator[HostServer]:
    """A second site: host_server.serve(html, csp=strict_csp(live_server.url)) -> its URL."""
    server = HostServer()
    yield server
    server.stop()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one for every test in tests/browser/ (closed after them, so
    it does not idle through the rest of the suite)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (requirements/dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)")
    playwright: Playwright = sync_playwright().start()
    try:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"Chromium at {CHROMIUM} did not start: {error.message.splitlines()[0]}")
        yield launched
        launched.close()
    finally:
        playwright.stop()


# A 1x1 grey PNG: what every image from off this machine gets (there is no network; the
# page's width/height attributes give it its size).
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


PLACEHOLDER_PNG = _png((200, 200, 200))

# Runs first in every document and frame (CDP, so no page's CSP can refuse it): reports each
# securitypolicyviolation event (fired at the element or document, bubbling) to Python.
_VIOLATION_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__feedsCspViolation({
    directive: e.effectiveDirective, blocked: e.blockedURI, document: e.documentURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample, disposition: e.disposition,
  });
}, true);
"""


@dataclass
class PageLog:
    """What one browser context saw, in order; every frame and page of the context included."""

    javascript_enabled: bool = True
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    csp_violations: list[dict[str, Any]] = field(default_factory=list)  # securitypolicyviolation events
    requests: list[str] = field(default_factory=list)  # every URL asked for, answered or not

    @property
    def console_errors(self) -> list[str]:
        """Console errors: script errors, failed loads, and Chromium's own line for each CSP
        refusal (the only trace of one with JavaScript off, where no listener runs)."""
        return [text for kind, text in self.console if kind == "error"]

    def requests_outside(self, *origins: str) -> list[str]:
        """URLs asked for from any origin but these (each "scheme://host:port")."""
        allowed = {origin(o) for o in origins}
        return [url for url in self.requests if origin(url) and origin(url) not in allowed]


_LOGS: weakref.WeakKeyDictionary[BrowserContext, PageLog] = weakref.WeakKeyDictionary()


class BrowserPage(NamedTuple):
    page: Page
    log: PageLog


def _route(route: Route) -> None:
    """Loopback requests go through; nothing else leaves the machine: images from elsewhere
    (articles' own image URLs) get a grey placeholder, anything else fails at once."""
    request = route.request
    host = urlsplit(request.url).hostname or ""
    if host in LOOPBACK or not origin(request.url):
        route.continue_()
    elif request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=PLACEHOLDER_PNG)
    else:
        route.abort("internetdisconnected")


def _recorded_context(
    browser: Browser, javascript_enabled: bool, options: dict[str, Any]
) -> tuple[BrowserContext, PageLog]:
    context = browser.new_context(java_script_enabled=javascript_enabled, **options)
    log = PageLog(javascript_enabled=javascript_enabled)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _route)
    context.on("request", lambda request: log.requests.append(request.url))
    context.on("console", lambda message: log.console.append((message.type, message.text)))
    context.on("weberror", lambda error: log.page_errors.append(str(error.error)))
    context.expose_binding("__feedsCspViolation", lambda _source, report: log.csp_violations.append(report))
    context.add_init_script(_VIOLATION_LISTENER)
    _LOGS[context] = log
    return context, log


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., BrowserPage]]:
    """new_page(javascript_enabled=True, **context_options) -> (page, log), each in a new
    context (viewport=, color_scheme=, ... as Browser.new_context takes them)."""
    contexts: list[BrowserContext] = []

    def make(*, javascript_enabled: bool = True, **options: Any) -> BrowserPage:
        context, log = _recorded_context(browser, javascript_enabled, options)
        contexts.append(context)
        return BrowserPage(context.new_page(), log)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def recorded_page(new_page: Callable[..., BrowserPage]) -> BrowserPage:
    return new_page()


@pytest.fixture
def page(recorded_page: BrowserPage) -> Page:
    """A page in a new context (1280x720, JavaScript on) whose log is `page_log`."""
    return recorded_page.page


@pytest.fixture
def page_log(recorded_page: BrowserPage) -> PageLog:
    """What `page` saw: console, page errors, CSP violations, requests."""
    return recorded_page.log


# -- axe-core --------------------------------------------------------------------------------

SERIOUS = ("serious", "critical")
_AXE_RUN = """async (impacts) => {
  const result = await axe.run(document, {iframes: false, resultTypes: ['violations']});
  return result.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: location.href,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary})),
  }));
}"""
# With JavaScript off no timer runs, so axe cannot finish there: run_axe reads the document as
# the no-script reader got it (noscript content included, scripts dropped) and checks that
# copy at the same URL, with the same stylesheets, in a page where axe can run.
_NO_SCRIPT_COPY = """(() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll('script').forEach((s) => s.remove());
  copy.querySelectorAll('noscript').forEach((n) => {
    const div = document.createElement('div');
    div.append(...n.childNodes);
    n.replaceWith(div);
  });
  return '<!doctype html>' + copy.outerHTML;
})()"""


def _axe_frame(frame: Frame, source: str, impacts: Sequence[str]) -> list[dict[str, Any]]:
    # evaluate goes through CDP, which no page's CSP can refuse; page.add_script_tag adds an
    # inline <script>, which a strict policy (ours, a host's) refuses, as a violation
    if not frame.evaluate("typeof window.axe === 'object'"):
        frame.evaluate(source)
    result: list[dict[str, Any]] = frame.evaluate(_AXE_RUN, list(impacts))
    return result


RunAxe = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def run_axe(browser: Browser) -> Iterator[RunAxe]:
    """run_axe(page, impacts=("serious", "critical")) -> axe-core's violations of those impacts
    in the page and each of its frames (each with id, impact, help, url, nodes)."""
    if not AXE_JS.is_file():
        unavailable(f"axe-core is not installed at {AXE_JS.relative_to(HERE.parent.parent)} (npm ci in tests/browser)")
    source = AXE_JS.read_text(encoding="utf-8")
    contexts: list[BrowserContext] = []

    def run(page: Page, impacts: Sequence[str] = SERIOUS) -> list[dict[str, Any]]:
        log = _LOGS.get(page.context)
        if log is not None and not log.javascript_enabled:
            copy_html: str = page.context.new_cdp_session(page).send(
                "Runtime.evaluate", {"expression": _NO_SCRIPT_COPY, "returnByValue": True}
            )["result"]["value"]
            context = browser.new_context(viewport=page.viewport_size)
            contexts.append(context)
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", _route)
            context.route(
                page.url, lambda route: route.fulfill(body=copy_html, content_type="text/html; charset=utf-8")
            )
            copy = context.new_page()
            copy.goto(page.url)
            # a lazy iframe far below the fold never loads, and axe would wait for it: load each
            for element in copy.locator("iframe").all():
                element.scroll_into_view_if_needed()
            page = copy
        violations: list[dict[str, Any]] = []
        for frame in page.frames:
            violations += _axe_frame(frame, source, impacts)
        return violations

    yield run
    for context in contexts:
        context.close()
