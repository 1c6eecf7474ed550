"""Slugs in another case are a 301 to the canonical URL; our static files are served like every
output; pages carry their security headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import WriteArticle


@pytest.fixture
def two(write_article: WriteArticle) -> None:
    write_article(1, topics=["AI Hardware", "Straße"])
    write_article(2, provider={"name": "Other", "domain": "other.example"})


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/feeds/AI-Hardware.xml", "/feeds/ai-hardware.xml"),
        ("/feeds/AI-HARDWARE.json?limit=3", "/feeds/ai-hardware.json?limit=3"),
        ("/feeds/providers/Other.Example.atom", "/feeds/providers/other.example.atom"),
        ("/topics/AI-Hardware", "/topics/ai-hardware"),
        ("/topics/AI%20Hardware", "/topics/ai-hardware"),
        ("/topics/STRASSE", "/topics/strasse"),
        ("/topics/Stra%C3%9Fe", "/topics/strasse"),
        ("/providers/OTHER.example", "/providers/other.example"),
    ],
)
def test_another_spelling_of_a_slug_is_a_301_to_the_canonical_url(
    two: None, client: FlaskClient, url: str, location: str
) -> None:
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["Location"] == location
    assert client.get(location).status_code == 200


@pytest.mark.parametrize("url", ["/feeds/ai-hardwares.xml", "/topics/nothing", "/providers/none.example"])
def test_an_unknown_slug_is_still_a_404(two: None, client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "media_type"),
    [("/embed.js", "text/javascript"), ("/static/embed.js", "text/javascript"), ("/static/site.css", "text/css")],
)
def test_our_files_are_served_with_validators(client: FlaskClient, url: str, media_type: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(url, headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("url", ["/static/nothing.js", "/static/..%2Fviews.py", "/static/.hidden.css"])
def test_anything_else_under_static_is_a_404(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/", "/topics/ai-hardware", "/providers/other.example"])
def test_pages_forbid_inline_script_and_framing(two: None, client: FlaskClient, url: str) -> None:
    response = client.get(url)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<style" not in html and "style=" not in html
    assert "<script>" not in html  # every script has a src
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
