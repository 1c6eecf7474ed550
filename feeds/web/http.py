"""HTTP caching rules as pure functions: validators, conditional requests, encodings.

Plain values in, (status, headers, body) out, so the Flask views and any WSGI layer in front of
them answer the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from ..outputs import Rendered

Headers = list[tuple[str, str]]


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when the client lists gzip (or *) with a non-zero q; no header means identity."""
    if not accept_encoding:
        return False
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if name not in ("gzip", "x-gzip", "*"):
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
    if if_none_match.strip() == "*":
        return True
    ours = {rendered.etag, rendered.gzip_etag}
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in ours:
            return True
    return False


def not_modified_since(if_modified_since: str, rendered: Rendered) -> bool:
    """If-Modified-Since compared as a date: unchanged when our date is <= theirs."""
    if rendered.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:
        return False
    return rendered.last_modified.replace(microsecond=0) <= since


def is_fresh(request_headers: Mapping[str, str], rendered: Rendered) -> bool:
    """True when a 304 is the answer; If-None-Match wins over If-Modified-Since."""
    inm = request_headers.get("If-None-Match")
    if inm is not None:
        return etag_matches(inm, rendered)
    ims = request_headers.get("If-Modified-Since")
    return ims is not None and not_modified_since(ims, rendered)


def respond(
    rendered: Rendered, request_headers: Mapping[str, str], *, head: bool, max_age: int
) -> tuple[int, Headers, bytes]:
    """The whole answer for one rendered output: 200 or 304, with the same caching headers."""
    use_gzip = accepts_gzip(request_headers.get("Accept-Encoding"))
    etag = rendered.gzip_etag if use_gzip else rendered.etag
    headers: Headers = [
        ("Cache-Control", f"public, max-age={max_age}"),
        ("ETag", etag),
        ("Vary", "Accept-Encoding"),
        ("Access-Control-Allow-Origin", "*"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if rendered.last_modified is not None:
        headers.append(("Last-Modified", rendered.http_date or ""))
    if is_fresh(request_headers, rendered):
        return 304, headers, b""
    body = rendered.gzipped if use_gzip else rendered.body
    headers.append(("Content-Type", rendered.media_type))
    if use_gzip:
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return 200, headers, b"" if head else body
