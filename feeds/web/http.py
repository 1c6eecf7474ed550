"""HTTP caching rules as pure functions: validators, conditional requests, encodings.

Plain values in, (status, headers, body) out, so the Flask views and the WSGI fast path in front
of them answer with the same bytes and the same headers.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from ..outputs import Rendered

Headers = list[tuple[str, str]]

_GZIP_NAMES = frozenset(("gzip", "x-gzip", "*"))
_accepts_cache: dict[str, bool] = {}


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when the client lists gzip (or *) with a non-zero q; no header means identity."""
    if not accept_encoding:
        return False
    known = _accepts_cache.get(accept_encoding)
    if known is not None:
        return known
    answer = _parse_accepts_gzip(accept_encoding)
    if len(_accepts_cache) >= 256:  # a handful of distinct values in practice; never unbounded
        _accepts_cache.clear()
    _accepts_cache[accept_encoding] = answer
    return answer


def _parse_accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if name not in _GZIP_NAMES:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


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


_dates_cache: dict[str, datetime | None] = {}


def http_date(value: str) -> datetime | None:
    """An HTTP date (RFC 9110 5.6.7, any of its three forms) with its zone, or None."""
    if value in _dates_cache:
        return _dates_cache[value]
    try:
        parsed: datetime | None = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = None  # "-0000": the zone is unknown, so the date says nothing
    if len(_dates_cache) >= 256:
        _dates_cache.clear()
    _dates_cache[value] = parsed
    return parsed


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


def respond(
    rendered: Rendered,
    *,
    accept_encoding: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    head: bool,
    max_age: int,
) -> tuple[int, Headers, bytes]:
    """The whole answer for one rendered output: 200 or 304.

    A 304 carries the caching and CORS headers of the 200 (Cache-Control, ETag, Vary,
    Access-Control-Allow-Origin); like RFC 9110 15.4.5 advises when there is an ETag, it leaves
    out Last-Modified and the content headers. HEAD gets the 200's headers and no body.
    """
    use_gzip = accepts_gzip(accept_encoding)
    headers = rendered.headers(use_gzip, max_age)
    if is_fresh(rendered, if_none_match, if_modified_since):
        return 304, list(headers.not_modified), b""
    return 200, list(headers.ok), b"" if head else (rendered.gzipped if use_gzip else rendered.body)


__all__ = ["Headers", "accepts_gzip", "etag_matches", "http_date", "is_fresh", "not_modified_since", "respond"]
