"""The WSGI fast path in front of Flask: GET and HEAD of a feed or the OPML are answered from
the rendered-output cache with `respond`, with no request object, routing or response object.

Anything else (pages, errors, odd paths or query strings) goes to the Flask app, so every message
is written in one place. Both paths use `lookup` and `respond`, so they send the same bytes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from ..index import Index
from ..outputs import PIECES_FROM, Rendered
from . import FeedsState
from .http import PIECES, SECOND, Headers, respond
from .lookup import FeedRoute, Found, HttpProblem, base_url, feed_route, locate_feed, locate_opml

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[str, Headers, Iterable[bytes]]  # status line, headers (shared: never change them), body
Header = tuple[str, str]
_Found = tuple[Rendered, float, float, Hashable]  # what answers, shown_from, until, its key in the render cache
_STATUS = {200: "200 OK", 304: "304 Not Modified"}
_OPML = ("opml", "", "")


@dataclass(frozen=True, slots=True)
class _Remembered:
    """What a memo entry needs to be trusted (see Found), and the answer by weak reference: the
    render cache alone decides which bodies stay in memory (FEEDS_CACHE_MB)."""

    rendered: weakref.ref[Rendered]
    index: Index
    shown_from: float  # the answer holds while shown_from <= now < until: exactly while the
    until: float  # group's first_visible(now) is the start it was made at (see Group.window)
    key: Hashable  # in the render cache: a memo hit counts as a use there, or busy feeds would age out first


@dataclass(frozen=True, slots=True)
class _Replay:
    """An answer as made, for the same request again within the same second on the same data
    (FastPath.answer), while its feed shows the same articles (the memo's window). It holds the
    body for at most that second, past the render cache's say."""

    answer: Answer
    shown_from: float
    until: float
    key: Hashable  # in the render cache: touched on every replay, as on every memo hit


class FastPath:
    """A WSGI middleware (in the manner of WhiteNoise) that serves cached feeds itself.

    A request it has answered before is one dict lookup and a few checks away from its answer:
    the memo maps (path, query, host) to what the answer was made from; it is emptied whenever
    the catalog swaps in a new index, and an entry is used only while its group shows the same
    articles (no held-back one has come due, the clock was not set back before the newest shown)
    and the render cache still holds its answer. Within a second, the replays skip even that for
    a request seen before, headers and all (see answer). `answer` is the whole of it for a server
    that calls it directly (server.Dated under bjoern).
    """

    def __init__(self, app: WSGIApp, state: FeedsState) -> None:
        self.app = app  # the Flask application's wsgi_app: everything the fast path passes on
        self.state = state
        self.max_age = state.settings.CACHE_MAX_AGE
        self._by_host = state.settings.BASE_URL is None
        self._routes: dict[str, FeedRoute | None] = {}
        self._memo: dict[tuple[str, str, str], _Remembered] = {}
        self._memo_index: object = None
        # The replays with the second they are sent in and the data they come from, in one
        # attribute: a thread that reads it (granian's, say) gets the three of one moment.
        self._replays: tuple[int, object, dict[tuple[object, ...], _Replay]] = (-1, None, {})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = self.answer(environ, environ.get(SECOND), PIECES in environ)
        if answer is None:
            return self.app(environ, start_response)
        status, headers, body = answer
        start_response(status, list(headers))
        return body

    def answer(
        self, environ: dict[str, Any], second: int | None, pieces: bool, date: Header | None = None
    ) -> Answer | None:
        """The whole answer to a GET or HEAD of a cached feed, or None to let Flask answer.

        `second`: when it is sent (None: now); `pieces`: whether the server writes each item of
        the body as it is (see web.http.PIECES); `date`: a header to end the list with (server.Dated's
        Date, of `second`). The header list may be handed out again: pass it on, never change it.

        The same request in the same second, on the same data, gets the same answer: the answer
        is kept (the replay) until the second or the data change, or the articles its feed shows
        (see _Replay), and a client polling a feed, or a crowd of them, costs one dict lookup.
        """
        state = self.state
        now = state.clock()
        if second is None:
            second = int(now)
        index = state.catalog.index
        replays_second, replays_index, replays = self._replays
        if second != replays_second or index is not replays_index:
            replays = {}  # Date and Expires change with the second, answers with the data
            self._replays = (second, index, replays)
        request = (
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO"),
            environ.get("QUERY_STRING"),
            environ.get("HTTP_HOST"),
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_ACCEPT_ENCODING"),
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"),
            pieces,
            date is None,
        )
        replay = replays.get(request)
        if replay is not None and replay.shown_from <= now < replay.until:
            state.outputs.cache.touch(replay.key)
            return replay.answer
        method = request[0]
        if method != "GET" and method != "HEAD":
            return None
        found = self.find(environ, index, now)
        if found is None:
            return None
        rendered, shown_from, until, key = found
        status, headers, body = respond(
            rendered,
            accept_encoding=request[5],
            if_none_match=request[6],
            if_modified_since=request[7],
            head=method == "HEAD",
            max_age=self.max_age,
            second=second,
        )
        if date is not None:
            headers.append(date)
        if pieces and len(body) >= PIECES_FROM:  # bjoern: sent with no copy
            answer: Answer = (_STATUS[status], headers, rendered.pieces(body is not rendered.body))
        else:
            answer = (_STATUS[status], headers, [body])
        if shown_from < until:  # remembered by find(), so from `index`: the data `replays` is for
            if len(replays) >= 4096:  # bounded: requests come from clients
                replays.clear()
            replays[request] = _Replay(answer, shown_from, until, key)
        return answer

    def find(self, environ: dict[str, Any], index: Index, now: float) -> _Found | None:
        """What answers this request from `index` at `now`, with the clock window in which that
        holds (empty when it is not remembered), or None to let Flask answer (every error too)."""
        host = ""
        if self._by_host:
            host = environ.get("HTTP_HOST") or ""
            if not host:
                found = self._locate(environ)  # the server's own name: rare, never remembered
                return None if found is None else (found.rendered, 0.0, 0.0, found.key)
            host = environ["wsgi.url_scheme"] + "://" + host
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), host)
        if index is not self._memo_index:  # new data: forget all, so no old index stays alive
            self._memo = {}
            self._memo_index = index
        memo = self._memo.get(key)
        if memo is not None and memo.index is index and memo.shown_from <= now < memo.until:
            # (the index check also covers a thread that stored an answer from before a swap)
            rendered = memo.rendered()
            if rendered is not None:
                self.state.outputs.cache.touch(memo.key)
                return rendered, memo.shown_from, memo.until, memo.key
        found = self._locate(environ)
        if found is None:
            return None
        if found.index is not index:  # the data changed since this request began: not remembered
            return found.rendered, 0.0, 0.0, found.key
        if len(self._memo) >= 4096:  # bounded: paths and hosts come from clients
            self._memo.clear()
        shown_from, until = found.group.window(found.start)
        self._memo[key] = _Remembered(weakref.ref(found.rendered), found.index, shown_from, until, found.key)
        return found.rendered, shown_from, until, found.key

    def _locate(self, environ: dict[str, Any]) -> Found | None:
        route = self.route(environ.get("PATH_INFO", ""))
        if route is None or "+" in route[1]:  # combined feeds: Flask (the memo checks one group)
            return None
        query = environ.get("QUERY_STRING", "")
        limit: str | None = None
        if query:
            limit = query[6:]
            if not query.startswith("limit=") or not limit.isdigit() or not limit.isascii():
                return None  # Flask parses anything beyond ?limit=N; we never guess
        try:
            base = base_url(self.state, environ)
            if route is _OPML:
                return None if limit is not None else locate_opml(self.state, base)
            return locate_feed(self.state, route, {} if limit is None else {"limit": limit}, base)
        except HttpProblem:
            return None

    def route(self, raw_path: str) -> FeedRoute | None:
        """PATH_INFO -> (kind, slug, extension) of a feed, _OPML, or None; remembered per path."""
        try:
            return self._routes[raw_path]
        except KeyError:
            pass
        route = _route(raw_path)
        if len(self._routes) >= 4096:  # bounded: paths come from clients
            self._routes.clear()
        self._routes[raw_path] = route
        return route


def _route(raw_path: str) -> FeedRoute | None:
    try:  # PEP 3333 gives the path's bytes as latin-1; URLs are UTF-8, as Werkzeug decodes them
        path = raw_path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    if "//" in path:
        return None
    if path == "/feeds.opml":
        return _OPML
    if path.startswith("/feed."):
        ext = path[len("/feed.") :]
        return ("site", "", ext) if ext and "/" not in ext else None
    if path.startswith("/feeds/") and len(path) > len("/feeds/"):
        try:
            return feed_route(path[len("/feeds/") :])
        except HttpProblem:
            return None
    return None


__all__ = ["Answer", "FastPath"]
