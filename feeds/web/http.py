"""HTTP caching rules as pure functions: validators, conditional requests, encodings.

Plain values in, (status, headers, body) out, so the Flask views and the WSGI fast path in front
of them answer with the same bytes and the same headers.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache

from ..outputs import Rendered

Headers = list[tuple[str, str]]

_GZIP_NAMES = frozenset(("gzip", "x-gzip", "*"))
# The second a response is sent, put in the WSGI environ by the server wrapper that writes the
# Date header (server.Dated), so that Expires is exactly Date plus max-age.
SECOND = "feeds.second"
# True in the environ when the server writes each item of a response as it is (bjoern, told by
# server.Dated): a large cached body is then returned as its two pieces (outputs.PIECES_FROM).
PIECES = "feeds.pieces"


def _accepts_gzip(accept_encoding: str) -> bool:
    """True when an Accept-Encoding value lists gzip, x-gzip or * with a non-zero q."""
    for part in accept_encoding.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in _GZIP_NAMES and _q_is_not_zero(params):
            return True
    return False


def _q_is_not_zero(params: str) -> bool:
    """Whether a coding's parameters (`;q=0.5`, `;foo=1;q=0`, or none) leave it acceptable."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value) > 0
            except ValueError:
                return False  # a q that does not parse never turns gzip on
    return True


# Each distinct value is parsed once (a handful in practice; bounded, as clients choose them).
accepts_gzip = lru_cache(maxsize=256)(_accepts_gzip)


def etag_matches(if_none_match: str, rendered: Rendered) -> bool:
    """If-None-Match with weak comparison (RFC 9110 13.1.2): lists, W/ and * all count."""
    if if_none_match == rendered.etag or if_none_match == rendered.gzip_etag:
        return True  # what nearly every client sends back: one tag, as we gave it
    if if_none_match.strip() == "*":
        return True
    ours = (rendered.etag, rendered.gzip_etag)
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in ours:
            return True
    return False


def _http_date(value: str) -> datetime | None:
    """An HTTP date (RFC 9110 5.6.7, any of its three forms) with its zone, or None."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return None if parsed.tzinfo is None else parsed  # "-0000": the zone is unknown, the date says nothing


http_date = lru_cache(maxsize=256)(_http_date)  # clients send back the date they were given


def not_modified_since(if_modified_since: str, rendered: Rendered) -> bool:
    """If-Modified-Since compared as a date: unchanged when our date is <= theirs."""
    if rendered.last_modified is None:
        return False
    since = http_date(if_modified_since)
    return since is not None and rendered.last_modified.replace(microsecond=0) <= since


def is_fresh(rendered: Rendered, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """True when a 304 is the answer; If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    if if_none_match is not None:
        return etag_matches(if_none_match, rendered)
    return if_modified_since is not None and not_modified_since(if_modified_since, rendered)


class _ExpiresAt(dict[int, tuple[str, str]]):
    """The Expires header for one second, formatted once: the answers sent in the same second share it."""

    def __missing__(self, at: int) -> tuple[str, str]:
        self.clear()  # one entry: the next second takes the place of the last
        header = self[at] = ("Expires", formatdate(at, usegmt=True))
        return header


_EXPIRES = _ExpiresAt()


def respond(
    rendered: Rendered,
    *,
    accept_encoding: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    head: bool,
    max_age: int,
    second: int,
) -> tuple[int, Headers, bytes]:
    """The whole answer for one rendered output: 200 or 304.

    A 304 carries the caching and CORS headers of the 200 (Cache-Control, Expires, ETag, Vary,
    Access-Control-Allow-Origin); like RFC 9110 15.4.5 advises when there is an ETag, it leaves
    out Last-Modified and the content headers. HEAD gets the 200's headers and no body.
    `second` is when the answer is sent: Expires is that plus max-age.
    """
    use_gzip = accept_encoding is not None and accepts_gzip(accept_encoding)  # no header: identity
    headers = rendered.headers(use_gzip, max_age)
    expires = _EXPIRES[second + max_age]
    if is_fresh(rendered, if_none_match, if_modified_since):
        return 304, [*headers.not_modified, expires], b""
    return 200, [*headers.ok, expires], b"" if head else (rendered.gzipped if use_gzip else rendered.body)


def forget_memos() -> None:
    """Empty the memos of header values and Expires (each test starts without them, so that the
    tests that reach the code behind a memo are all seen reaching it)."""
    accepts_gzip.cache_clear()
    http_date.cache_clear()
    _EXPIRES.clear()


__all__ = [
    "PIECES",
    "SECOND",
    "Headers",
    "accepts_gzip",
    "etag_matches",
    "forget_memos",
    "http_date",
    "is_fresh",
    "not_modified_since",
    "respond",
]
