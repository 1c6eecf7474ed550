"""HTTP caching on every feed kind and format, the OPML and the pages: validators, 304s, HEAD,
gzip, CORS, content types, and the fast path answering exactly as the Flask views do."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client, TestResponse

from feeds.web.fast import FastPath

from .conftest import Clock, WriteArticle, reload

FEEDS = {
    "/feed.xml": "application/rss+xml; charset=utf-8",
    "/feed.atom": "application/atom+xml; charset=utf-8",
    "/feed.json": "application/feed+json; charset=utf-8",
    "/feeds/ai-hardware.xml": "application/rss+xml; charset=utf-8",
    "/feeds/ai-hardware.atom": "application/atom+xml; charset=utf-8",
    "/feeds/ai-hardware.json": "application/feed+json; charset=utf-8",
    "/feeds/providers/news.example.xml": "application/rss+xml; charset=utf-8",
    "/feeds/providers/news.example.atom": "application/atom+xml; charset=utf-8",
    "/feeds/providers/news.example.json": "application/feed+json; charset=utf-8",
    "/feeds.opml": "text/x-opml; charset=utf-8",
}
PAGES = {
    "/": "text/html; charset=utf-8",
    "/topics/ai-hardware": "text/html; charset=utf-8",
    "/providers/news.example": "text/html; charset=utf-8",
}
OUTPUTS = {**FEEDS, **PAGES}
NEWEST = datetime(2025, 6, 28, 12, tzinfo=UTC)  # article 27's date in conftest.article_data
CACHING = ("Cache-Control", "ETag", "Vary", "Access-Control-Allow-Origin", "X-Content-Type-Options")


@pytest.fixture
def corpus(write_article: WriteArticle) -> None:
    for n in (25, 26, 27):
        write_article(n)


def get(client: FlaskClient, url: str, **headers: str) -> TestResponse:
    return client.get(url, headers=headers)


@pytest.mark.parametrize("url", sorted(OUTPUTS))
def test_a_200_carries_every_caching_header(corpus: None, client: FlaskClient, url: str) -> None:
    response = get(client, url)
    assert response.status_code == 200
    body = response.data
    headers = response.headers
    assert headers["Content-Type"] == OUTPUTS[url]
    assert headers["ETag"] == '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    assert headers["Last-Modified"] == format_datetime(NEWEST, usegmt=True)
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Length"] == str(len(body))
    assert "Content-Encoding" not in headers


@pytest.mark.parametrize("url", sorted(FEEDS))
def test_max_age_is_the_setting(make_app: Callable[..., Flask], corpus: None, url: str) -> None:
    client = make_app(CACHE_MAX_AGE=60).test_client()
    assert get(client, url).headers["Cache-Control"] == "public, max-age=60"
    etag = get(client, url).headers["ETag"]
    assert get(client, url, **{"If-None-Match": etag}).headers["Cache-Control"] == "public, max-age=60"


# A q that does not parse counts as 0, never as "not given"; other parameters are skipped, wherever they stand.
REFUSED_Q = ("gzip;q=abc", "gzip;q", "gzip;q=", "gzip;foo=1;q=0", "gzip; Q=0", "x-gzip;q=0=1", "*;q=-1")
ACCEPTED_Q = ("gzip;foo=1;q=0.5", "gzip;q=0.001;foo", "br;q=0, gzip;foo=bar")


@pytest.mark.parametrize("url", sorted(OUTPUTS))
def test_gzip_is_the_same_bytes_and_identity_is_the_default(corpus: None, client: FlaskClient, url: str) -> None:
    identity = get(client, url)
    zipped = get(client, url, **{"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == identity.data
    assert zipped.headers["Content-Length"] == str(len(zipped.data))
    assert zipped.headers["Content-Type"] == identity.headers["Content-Type"]
    assert zipped.headers["ETag"] != identity.headers["ETag"]  # a different representation
    assert zipped.headers["ETag"].startswith(identity.headers["ETag"][:-1])
    assert get(client, url, **{"Accept-Encoding": "gzip, deflate, br"}).data == zipped.data  # done once, same bytes
    for refused in ("identity", "gzip;q=0", "br", "deflate, x-gzip;q=0.0", "", *REFUSED_Q):
        response = get(client, url, **{"Accept-Encoding": refused})
        assert "Content-Encoding" not in response.headers, refused
        assert response.data == identity.data, refused
    for accepted in ("*", "x-gzip", "br;q=1.0, gzip;q=0.5", "GZIP", "deflate,gzip ; q=0.3", *ACCEPTED_Q):
        assert get(client, url, **{"Accept-Encoding": accepted}).headers.get("Content-Encoding") == "gzip", accepted


@pytest.mark.parametrize("url", sorted(OUTPUTS))
def test_if_none_match_gives_a_304_with_the_caching_headers(corpus: None, client: FlaskClient, url: str) -> None:
    ok = get(client, url)
    etag = ok.headers["ETag"]
    gz_etag = get(client, url, **{"Accept-Encoding": "gzip"}).headers["ETag"]
    for value in (etag, f"W/{etag}", f'"nope", {etag}', f'"a",W/{etag} , "b"', "*", gz_etag, f" {etag} "):
        response = get(client, url, **{"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.data == b""
        for name in CACHING:
            assert response.headers[name] == ok.headers[name], (value, name)
        assert "Content-Type" not in response.headers
        assert "Content-Encoding" not in response.headers
    for value in ('"nope"', etag[:-2] + '"', etag.strip('"'), '"*"', "W/" + '"x"'):
        assert get(client, url, **{"If-None-Match": value}).status_code == 200, value
    zipped = get(client, url, **{"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert zipped.status_code == 304
    assert zipped.headers["ETag"] == gz_etag  # the 304 names the representation it stands for
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert zipped.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", sorted(OUTPUTS))
def test_if_modified_since_is_compared_as_a_date(corpus: None, client: FlaskClient, url: str) -> None:
    ok = get(client, url)
    same = ok.headers["Last-Modified"]
    assert parsedate_to_datetime(same) == NEWEST
    later = format_datetime(NEWEST + timedelta(days=40), usegmt=True)  # "Mon" < "Sat" as strings
    earlier = format_datetime(NEWEST - timedelta(seconds=1), usegmt=True)
    for value in (same, later, "Sat, 28 Jun 2025 12:00:00 +0000", "Sat, 28 Jun 2025 14:00:00 +0200"):
        response = get(client, url, **{"If-Modified-Since": value})
        assert response.status_code == 304, value
        for name in CACHING:
            assert response.headers[name] == ok.headers[name]
    for value in (earlier, "yesterday", "", "Sat, 28 Jun 2025 12:00:00", "Sat, 28 Jun 2025 13:00:00 +0200"):
        assert get(client, url, **{"If-Modified-Since": value}).status_code == 200, value
    # If-None-Match wins: a stale tag is a 200 even when the date says unchanged
    assert get(client, url, **{"If-None-Match": '"old"', "If-Modified-Since": later}).status_code == 200
    assert get(client, url, **{"If-None-Match": ok.headers["ETag"], "If-Modified-Since": earlier}).status_code == 304


def test_if_modified_since_without_a_last_modified_is_a_200(make_app: Callable[..., Flask]) -> None:
    """An empty site's outputs have no date: no client date can make them "not modified"."""
    app = make_app()
    fast, slow = app.test_client(), flask_only(app)
    dates = ("Sat, 28 Jun 2025 12:00:00 GMT", format_datetime(datetime(2099, 1, 1, tzinfo=UTC), usegmt=True))
    for url in ("/", "/feeds.opml", "/feed.xml", "/feed.atom", "/feed.json"):
        ok = get(fast, url)
        assert ok.status_code == 200
        assert "Last-Modified" not in ok.headers
        for client in (fast, slow):
            for since in dates:
                response = client.get(url, headers={"If-Modified-Since": since})
                assert response.status_code == 200, (url, since)
                assert response.data == ok.data
                assert response.headers["ETag"] == ok.headers["ETag"]
    assert get(fast, "/feed.json", **{"If-None-Match": ok.headers["ETag"]}).status_code == 304  # the tag still works


@pytest.mark.parametrize("url", sorted(OUTPUTS))
def test_head_has_the_get_headers_and_no_body(corpus: None, client: FlaskClient, url: str) -> None:
    for encoding in ("", "gzip"):
        got = get(client, url, **{"Accept-Encoding": encoding})
        head = client.head(url, headers={"Accept-Encoding": encoding})
        assert head.status_code == 200
        assert head.data == b""
        assert dict(head.headers) == dict(got.headers)
        assert head.headers["Content-Length"] == str(len(got.data))
    etag = get(client, url).headers["ETag"]
    not_modified = client.head(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == etag


def spelled_as_http_does(name: str) -> bool:
    """Cache-Control, ETag, X-Content-Type-Options: as RFC 9110 and HTTP/1.1 servers write them."""
    return name == "ETag" or name == "-".join(part.capitalize() for part in name.split("-"))


def test_header_names_are_spelled_as_http_spells_them(app: Flask, corpus: None) -> None:
    reload(app.test_client())
    for client in (app.test_client(), flask_only(app)):  # the fast path for feeds, and Flask
        for url in OUTPUTS:
            ok = client.get(url, headers={"Accept-Encoding": "gzip"})
            not_modified = client.get(url, headers={"If-None-Match": ok.headers["ETag"]})
            for response in (ok, not_modified):
                names = [name for name, _ in response.headers.to_wsgi_list()]
                assert {"Cache-Control", "Expires", "ETag"} <= set(names), (url, names)
                assert all(spelled_as_http_does(name) for name in names), (url, names)


def test_feeds_are_never_html_and_errors_are_plain(corpus: None, client: FlaskClient) -> None:
    for url in FEEDS:
        for accept in ("text/html", "*/*", "application/json"):
            assert "html" not in get(client, url, Accept=accept).headers["Content-Type"]
    for url in ("/feeds/nothing.xml", "/feed.html", "/feed.xml?limit=0"):
        response = get(client, url)
        assert response.status_code in (400, 404)
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cache-Control"] == "no-cache"
    assert client.post("/feed.xml").status_code == 405
    for url in ("/-/health", "/-/problems.json"):
        response = get(client, url)
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_limit_rejects_odd_digits_with_a_400(corpus: None, client: FlaskClient) -> None:
    for raw in ("%C2%B2", "%D9%A3", "9" * 5000, "00000000001x"):
        response = get(client, f"/feed.xml?limit={raw}")
        assert response.status_code == 400, raw
        assert b"limit: expected a whole number" in response.data
    assert get(client, "/feed.xml?limit=0002").status_code == 200


def etags(client: FlaskClient) -> dict[str, str]:
    urls = [
        *(f"/feeds/{t}.{e}" for t in ("alpha", "beta") for e in ("xml", "atom", "json")),
        *(f"/feeds/providers/{p}.{e}" for p in ("one.example", "two.example") for e in ("xml", "atom", "json")),
        *(f"/feed.{e}" for e in ("xml", "atom", "json")),
        "/feeds.opml",
        "/feed.xml?limit=1",
    ]
    out = {}
    for url in urls:
        response = get(client, url)
        assert response.status_code == 200, url
        out[url] = response.headers["ETag"]
    return out


def test_the_etag_changes_exactly_when_the_data_behind_the_feed_changes(
    client: FlaskClient, clock: Clock, write_article: WriteArticle
) -> None:
    one = {"name": "One", "domain": "one.example"}
    two = {"name": "Two", "domain": "two.example"}
    newest = "2025-07-01T00:00:00Z"
    write_article(1, topics=["Alpha"], provider=one, publishedDateTime=newest)
    write_article(2, topics=["Beta"], provider=two)
    write_article(3, topics=["Beta"], provider=two, publishedDateTime="2025-01-01T00:00:00Z")
    reload(client)
    before = etags(client)
    assert len(set(before.values())) == len(before)

    reload(client)  # nothing changed on disk: nothing changes
    assert etags(client) == before

    # a change to article 1 reaches alpha, one and the site, nothing else
    write_article(1, topics=["Alpha"], provider=one, publishedDateTime=newest, title="A new title")
    reload(client)
    after = etags(client)
    changed = {url for url in before if before[url] != after[url]}
    assert changed == {
        *(f"/feeds/alpha.{e}" for e in ("xml", "atom", "json")),
        *(f"/feeds/providers/one.example.{e}" for e in ("xml", "atom", "json")),
        *(f"/feed.{e}" for e in ("xml", "atom", "json")),
        "/feed.xml?limit=1",
    }  # the OPML lists feeds, not articles: its bytes did not change

    write_article(3, topics=["Beta"], provider=two, excerpt="Changed, but below the limit")
    reload(client)
    again = etags(client)
    assert again["/feed.xml?limit=1"] == after["/feed.xml?limit=1"]  # not in that feed's window
    assert again["/feeds/beta.xml"] != after["/feeds/beta.xml"]

    write_article(4, topics=["Beta"], provider=two, publishedDateTime="2026-02-01T00:00:00Z")  # held back
    reload(client)
    held = etags(client)
    assert held == again  # not visible yet: no feed changes
    clock.now = datetime(2026, 2, 1, tzinfo=UTC).timestamp()  # its time comes, no file changes
    due = etags(client)
    assert {url for url in held if held[url] != due[url]} == {
        *(f"/feeds/beta.{e}" for e in ("xml", "atom", "json")),
        *(f"/feeds/providers/two.example.{e}" for e in ("xml", "atom", "json")),
        *(f"/feed.{e}" for e in ("xml", "atom", "json")),
        "/feed.xml?limit=1",
        "/feeds.opml",  # its date is the newest article's
    }


def test_same_data_gives_the_same_validators_in_every_app(make_app: Callable[..., Flask], corpus: None) -> None:
    first, second = make_app().test_client(), make_app().test_client()
    for url in OUTPUTS:
        for encoding in ("", "gzip"):
            a, b = get(first, url, **{"Accept-Encoding": encoding}), get(second, url, **{"Accept-Encoding": encoding})
            assert a.data == b.data
            assert (a.headers["ETag"], a.headers["Last-Modified"]) == (b.headers["ETag"], b.headers["Last-Modified"])


# --- the fast path -------------------------------------------------------------------------


def flask_only(app: Flask) -> Client:
    """A client of the Flask views without the fast path in front."""
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    return Client(fast.app, TestResponse)


REQUESTS: list[dict[str, str]] = [
    {},
    {"Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip;q=0"},
    {"If-None-Match": "*"},
    {"If-None-Match": '"nope"'},
    {"If-Modified-Since": "Sat, 28 Jun 2025 12:00:00 GMT"},
    {"If-Modified-Since": "Fri, 27 Jun 2025 12:00:00 GMT"},
]
QUERIES = ["", "?limit=2", "?limit=0", "?limit=x", "?limit=2&limit=3", "?other=1", "?limit=%32"]


@pytest.mark.parametrize("url", [*sorted(FEEDS), "/feeds/nothing.json", "/feed.html", "/feeds/x", "/feeds/a/b.xml"])
def test_the_fast_path_answers_as_flask_does(app: Flask, corpus: None, url: str) -> None:
    reload(app.test_client())
    fast, slow = app.test_client(), flask_only(app)
    for query in QUERIES:
        for headers in REQUESTS:
            for method in ("GET", "HEAD"):
                a = fast.open(url + query, method=method, headers=headers)
                b = slow.open(url + query, method=method, headers=headers)
                assert (a.status_code, a.headers.to_wsgi_list(), a.data) == (
                    b.status_code,
                    b.headers.to_wsgi_list(),
                    b.data,
                ), (method, url + query, headers)
        etag = fast.get(url + query).headers.get("ETag")
        if etag:
            assert fast.get(url + query, headers={"If-None-Match": etag}).headers.to_wsgi_list() == (
                slow.get(url + query, headers={"If-None-Match": etag}).headers.to_wsgi_list()
            )


def reaching(app: Flask, step: str) -> list[str]:
    """From now on, the path of each request that reaches the fast path's `step` (an attribute
    called with the environ first: `app`, the Flask views; `find`; `_locate`)."""
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    passed: list[str] = []
    called = getattr(fast, step)

    def counting(environ: dict[str, Any], *args: Any) -> Any:
        passed.append(environ["PATH_INFO"])
        return called(environ, *args)

    setattr(fast, step, counting)
    return passed


def reaching_flask(app: Flask) -> list[str]:
    """From now on, the path of each request that the fast path hands to the Flask views."""
    return reaching(app, "app")


def test_cached_feeds_never_reach_flask(app: Flask, corpus: None) -> None:
    reload(app.test_client())
    passed = reaching_flask(app)
    client = app.test_client()
    for url in FEEDS:
        etag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert client.head(url if url.endswith(".opml") else url + "?limit=1").status_code == 200
    assert passed == []
    assert client.get("/feeds/nothing.xml").status_code == 404
    assert client.get("/").status_code == 200
    assert client.get("/feed.xml?limit=9999").status_code == 400
    assert passed == ["/feeds/nothing.xml", "/", "/feed.xml"]


def test_the_fast_path_hands_out_fresh_header_lists(app: Flask, corpus: None) -> None:
    reload(app.test_client())
    seen: list[list[tuple[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append(headers)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/feed.xml", "QUERY_STRING": "", "wsgi.url_scheme": "https"}
    app.wsgi_app(dict(environ), start_response)
    seen[0].append(("X-Added-By-A-Server", "1"))  # as wsgiref does with Date
    app.wsgi_app(dict(environ), start_response)
    assert ("X-Added-By-A-Server", "1") not in seen[1]


def test_base_url_from_the_host_when_unset(make_app: Callable[..., Flask], corpus: None) -> None:
    app = make_app(BASE_URL=None)
    fast, slow = app.test_client(), flask_only(app)
    for base in ("http://a.example", "https://b.example:8443", "http://c.example:80"):
        for url in ("/feed.atom", "/feeds.opml", "/feeds/ai-hardware.json"):
            a = fast.get(url, base_url=base)
            b = slow.get(url, base_url=base)
            assert a.data == b.data
            assert a.headers["ETag"] == b.headers["ETag"]
            assert base.removesuffix(":80").encode() + b"/feed" in a.data
    assert b"a.example" not in fast.get("/feed.atom", base_url="http://d.example").data


def test_non_ascii_paths_take_the_fast_path(app: Flask, write_article: WriteArticle) -> None:
    write_article(1, topics=["Künstliche Intelligenz", "中国"])
    reload(app.test_client())
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    assert fast.route("/feeds/künstliche-intelligenz.xml".encode().decode("latin-1")) == (
        "topic",
        "künstliche-intelligenz",
        "xml",
    )
    assert fast.route("/feeds/\xff.xml") is None  # not UTF-8: Flask answers
    client = app.test_client()
    assert client.get("/feeds/k%C3%BCnstliche-intelligenz.xml").status_code == 200
    assert client.get("/feeds/%E4%B8%AD%E5%9B%BD.json").status_code == 200
    assert client.get("/feeds/%FF.json").status_code == 404


def test_a_topic_name_changed_elsewhere_reaches_every_feed_that_shows_it(
    make_app: Callable[..., Flask], write_article: WriteArticle
) -> None:
    write_article(1, topics=["Beta", "AI"])
    write_article(2, topics=["AI"])
    write_article(3, topics=["ai"])
    client = make_app().test_client()
    before = get(client, "/feeds/beta.json")
    assert b'"AI"' in before.data or b">AI<" in before.data or b"AI" in before.data
    write_article(2, topics=["ai"])  # not in beta, but now "ai" is the common spelling
    reload(client)
    after = get(client, "/feeds/beta.json")
    fresh = get(make_app().test_client(), "/feeds/beta.json")
    assert json.loads(after.data)["items"][0]["tags"] == ["Beta", "ai"]
    assert after.data == fresh.data
    assert after.headers["ETag"] == fresh.headers["ETag"] != before.headers["ETag"]
    assert get(client, "/topics/beta").data == get(make_app().test_client(), "/topics/beta").data


def test_the_fast_path_answers_a_request_again_from_its_memo(
    app: Flask, clock: Clock, write_article: WriteArticle
) -> None:
    write_article(1)
    write_article(2, publishedDateTime="2026-02-01T00:00:00Z")  # held back
    client = app.test_client()
    reload(client)
    located = reaching(app, "_locate")
    first = client.get("/feed.json")
    assert b"Article number 1" in first.data and b"Article number 2" not in first.data
    assert client.get("/feed.json").data == first.data
    zipped = client.get("/feed.json", headers={"Accept-Encoding": "gzip"}).data
    assert gzip.decompress(zipped) == first.data
    assert located == ["/feed.json"]  # once: the other two were the memo's
    clock.now = datetime(2026, 2, 1, tzinfo=UTC).timestamp()  # article 2 comes due: looked up again
    assert b"Article number 2" in client.get("/feed.json").data
    assert located == ["/feed.json"] * 2


def test_the_fast_path_forgets_old_data(app: Flask, write_article: WriteArticle) -> None:
    write_article(1)
    client = app.test_client()
    reload(client)
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    first = client.get("/feed.json")
    assert client.get("/feed.json").data == first.data
    write_article(1, title="Changed")
    reload(client)
    second = client.get("/feed.json")
    assert b"Changed" in second.data
    assert second.headers["ETag"] != first.headers["ETag"]
    index = app.extensions["feeds"].catalog.index
    assert all(found.index is index for found in fast._memo.values())


def bjoern_like(app: Flask, path: str, **headers: str) -> tuple[str, list[tuple[str, str]], Any]:
    """What the app behind server.Dated returns to bjoern for one request: status, headers and
    the iterable itself (bjoern writes each of its items as it is)."""
    from feeds.server import Dated

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "wsgi.url_scheme": "https"}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "REQUEST_METHOD" else "HTTP_" + key] = value
    seen: list[Any] = []
    dated = Dated(app.wsgi_app, clock=app.extensions["feeds"].clock)  # the clock Flask answers by
    body = dated(environ, lambda *args: seen.extend(args[:2]))
    return seen[0], seen[1], body


def test_a_large_body_goes_to_bjoern_in_two_pieces_of_the_same_bytes(app: Flask, write_article: WriteArticle) -> None:
    from feeds.outputs import PIECES_FROM

    for n in range(1, 6):  # about 100 KB (an entry shows up to 20 KB of its article): past PIECES_FROM
        write_article(n, body=f"Article {n} is long. " * 2000)
    write_article(6, provider={"name": "Small", "domain": "small.example"})
    reload(app.test_client())
    slow = flask_only(app)
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        want = slow.get("/feed.xml", headers=headers)
        assert len(want.data) >= PIECES_FROM or headers
        status, sent, body = bjoern_like(app, "/feed.xml", **headers)
        assert status == "200 OK"
        assert b"".join(body) == want.data
        assert dict(sent) == {**dict(want.headers.to_wsgi_list()), "Date": dict(sent)["Date"]}
        if len(want.data) >= PIECES_FROM:
            assert isinstance(body, tuple) and len(body) == 2 and len(body[0]) == 1
            body.close()  # bjoern calls it after each response: there must be one, doing nothing
            assert b"".join(body) == want.data
            assert bjoern_like(app, "/feed.xml", **headers)[2] is body  # made once, not per request
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": "/feed.xml",
                "QUERY_STRING": "",
                "wsgi.url_scheme": "https",
            }
            environ["feeds.pieces"] = True  # a server that writes each item as it is, through the WSGI call
            assert app.wsgi_app(environ, lambda *args: None) is body
        else:  # the gzip of it: small, one item as before
            assert body == [want.data]
        etag = want.headers["ETag"]
        assert bjoern_like(app, "/feed.xml", **{**headers, "If-None-Match": etag})[::2] == ("304 Not Modified", [b""])
        status, sent, body = bjoern_like(app, "/feed.xml", **{**headers, "REQUEST_METHOD": "HEAD"})
        assert (status, body, dict(sent)["Content-Length"]) == ("200 OK", [b""], str(len(want.data)))
    small = slow.get("/feeds/providers/small.example.xml").data
    assert bjoern_like(app, "/feeds/providers/small.example.xml")[2] == [small]


def test_dated_answers_cached_feeds_as_the_wsgi_path_does(
    app: Flask, clock: Clock, write_article: WriteArticle
) -> None:
    """server.Dated hands a cached feed's answer straight to bjoern (FastPath.answer): the same
    status, headers and body as the WSGI call through the fast path, plus Date; anything else
    still goes through the app with its own Date."""
    from feeds.server import Dated

    write_article(1)
    write_article(2, topics=["Beta"])
    reload(app.test_client())
    fast = app.wsgi_app
    assert isinstance(fast, FastPath)
    lane = Dated(app, clock=clock)
    assert lane.fast == fast.answer  # found behind the Flask app, as bjoern_worker gives it
    called = reaching_flask(app)
    date = format_datetime(datetime.fromtimestamp(int(clock()), UTC), usegmt=True)
    etag = app.test_client().get("/feed.json").headers["ETag"]
    for method, path, extra in [
        ("GET", "/feed.json", {}),
        ("HEAD", "/feed.json", {}),
        ("GET", "/feed.json", {"HTTP_ACCEPT_ENCODING": "gzip"}),
        ("GET", "/feed.json", {"HTTP_IF_NONE_MATCH": etag}),
        ("GET", "/feeds/beta.xml", {"QUERY_STRING": "limit=1"}),
        ("GET", "/feed.json", {"HTTP_IF_MODIFIED_SINCE": "Sat, 28 Jun 2025 12:00:00 GMT"}),
        ("GET", "/feeds.opml", {}),
        ("GET", "/topics/beta", {}),  # a page: Flask
        ("GET", "/feeds/nothing.xml", {}),  # a 404: Flask
    ]:
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "wsgi.url_scheme": "https"}
        environ.update(extra)
        got: list[Any] = []
        want: list[Any] = []
        body = b"".join(
            lane(dict(environ), lambda status, headers, exc_info=None, seen=got: seen.extend((status, headers)))
        )
        plain = dict(environ, **{"feeds.second": int(clock()), "feeds.pieces": True})
        want_body = b"".join(
            app(plain, lambda status, headers, exc_info=None, seen=want: seen.extend((status, headers)))
        )
        assert (got[0], got[1], body) == (want[0], [*want[1], ("Date", date)], want_body), (method, path, extra)
        assert [name for name, _ in got[1]].count("Date") == 1
    assert called == ["/topics/beta"] * 2 + ["/feeds/nothing.xml"] * 2  # the lane, then the WSGI call


def test_the_fast_path_remembers_an_answer_exactly_while_the_same_articles_are_shown(
    app: Flask, clock: Clock, write_article: WriteArticle
) -> None:
    from array import array

    from feeds.index import Group

    stamps = [300.0, 200.0, 200.0, 100.0]  # newest first, one tie
    group = Group("topic", "t", "T", (), array("d", (-t for t in stamps)), 0, "")
    nows = sorted({t + d for t in stamps for d in (-1.0, -1e-6, 0.0, 1e-6, 1.0)} | {-1e9, 1e9})
    for start in range(len(stamps) + 1):
        shown_from, until = group.window(start)
        for now in nows:
            assert (shown_from <= now < until) == (group.first_visible(now) == start), (start, now)

    # through the app: an article that comes due, and the clock set back before it
    at = datetime(2026, 2, 1, tzinfo=UTC).timestamp()
    write_article(1)
    write_article(2, publishedDateTime="2026-02-01T00:00:00Z")
    client, slow = app.test_client(), flask_only(app)
    reload(client)
    for now in (at - 1, at, at + 1, at - 1, at):
        clock.now = now
        assert client.get("/feed.json").data == slow.get("/feed.json").data, now
        assert (b"Article number 2" in client.get("/feed.json").data) == (now >= at), now


def test_the_fast_path_replays_an_answer_within_its_second_only_while_it_holds(
    app: Flask, clock: Clock, write_article: WriteArticle
) -> None:
    """The same request in the same second gets the answer made for it again, with no lookup;
    an article that comes due within that second, the next second (Date, Expires) and new data
    each make a new answer, equal to Flask's."""
    at = datetime(2026, 2, 1, tzinfo=UTC).timestamp()
    write_article(1)
    write_article(2, publishedDateTime="2026-02-01T00:00:00.500Z")  # due half-way through a second
    client, slow = app.test_client(), flask_only(app)
    reload(client)
    looked_up = reaching(app, "find")
    clock.now = at + 0.25
    etag = slow.get("/feed.json").headers["ETag"]
    requests: list[tuple[str, dict[str, str]]] = [
        ("GET", {}),
        ("GET", {"Accept-Encoding": "gzip"}),
        ("GET", {"If-None-Match": etag}),
        ("HEAD", {}),
    ]

    def answers() -> list[tuple[int, list[tuple[str, str]], bytes]]:
        got = []
        for method, headers in requests:
            fast_answer = client.open("/feed.json", method=method, headers=headers)
            slow_answer = slow.open("/feed.json", method=method, headers=headers)
            assert fast_answer.status_code == slow_answer.status_code, (method, headers)
            assert fast_answer.headers.to_wsgi_list() == slow_answer.headers.to_wsgi_list(), (method, headers)
            assert fast_answer.data == slow_answer.data, (method, headers)
            got.append((fast_answer.status_code, fast_answer.headers.to_wsgi_list(), fast_answer.data))
        return got

    first = answers()
    assert answers() == first
    assert looked_up == ["/feed.json"] * len(requests)  # once each: the second time, replays
    assert b"Article number 2" not in first[0][2] and first[2][0] == 304

    clock.now = at + 0.75  # the same second: article 2 has come due
    due = answers()
    assert b"Article number 2" in due[0][2]
    assert looked_up == ["/feed.json"] * 2 * len(requests)

    clock.now = at + 1.25  # the next second: Expires moves with it
    later = answers()
    assert dict(later[0][1])["Expires"] != dict(due[0][1])["Expires"]
    assert looked_up == ["/feed.json"] * 3 * len(requests)

    write_article(1, title="Changed")  # new data in the same second
    reload(client)
    assert b"Changed" in client.get("/feed.json").data


def test_dated_replays_send_one_date_of_their_second(app: Flask, clock: Clock, write_article: WriteArticle) -> None:
    """A replayed header list is handed out again as it is: Date once, the one of its second."""
    write_article(1)
    reload(app.test_client())
    for now in (clock.now, clock.now, clock.now + 1, clock.now + 1):
        clock.now = now
        status, sent, _ = bjoern_like(app, "/feed.xml")
        dates = [value for name, value in sent if name == "Date"]
        assert (status, dates) == ("200 OK", [format_datetime(datetime.fromtimestamp(int(now), UTC), usegmt=True)])


def test_pieces_are_never_those_of_an_older_body(app: Flask, write_article: WriteArticle) -> None:
    for n in range(1, 6):
        write_article(n, body="The first version. " * 2000)
    reload(app.test_client())
    first = b"".join(bjoern_like(app, "/feed.xml")[2])
    assert b"The first version." in first
    for n in range(1, 6):
        write_article(n, body="The second version. " * 2000)
    reload(app.test_client())
    second = bjoern_like(app, "/feed.xml")[2]
    assert b"".join(second) == flask_only(app).get("/feed.xml").data
    assert b"The second version." in second[1] and b"The first version." not in second[1]


def test_the_render_cache_charges_the_pieces_of_a_large_body() -> None:
    from feeds.outputs import PIECES_FROM, RenderCache, Rendered

    cache = RenderCache(10 << 20)
    small, large = b"x" * (PIECES_FROM - 1), b"x" * (3 * PIECES_FROM)
    cache.get("small", lambda: Rendered(small, "text/plain", None))
    charged_small = cache.bytes
    cache.get("large", lambda: Rendered(large, "text/plain", None))
    charged_large = cache.bytes - charged_small
    assert charged_small < len(small) * 4 // 3 + 2000  # body and gzip: no pieces
    assert charged_large >= 2 * (len(large) + len(large) // 3)  # body and gzip, each twice


def test_pieces_of_a_large_gzip_are_the_gzip() -> None:
    import random

    from feeds.outputs import PIECES_FROM, Rendered

    noise = random.Random(1).randbytes(2 * PIECES_FROM)  # does not compress: a gzip past PIECES_FROM
    rendered = Rendered(noise, "application/octet-stream", None)
    assert len(rendered.gzipped) >= PIECES_FROM
    for gzipped, whole in ((False, noise), (True, rendered.gzipped)):
        head, rest = rendered.pieces(gzipped)
        assert (len(head), head + rest) == (1, whole)
        assert rendered.pieces(gzipped)[1] is rest
