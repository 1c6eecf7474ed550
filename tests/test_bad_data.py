"""Issue 3, "bad data never hurts": every way a file can be wrong, written beside good ones.

Each case checks that the good articles are still served in every format (parsed, and read by
feedparser) and that the bad file is reported with its path, field and message, or, where only
an optional part is wrong, that the article is served without that part and a warning recorded.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from .conftest import SECRET, WriteArticle, article_data, crawl, front_matter, reload
from .feedcheck import ATOM, CHECKS, parse_xml

A = f"{{{ATOM}}}"
BASE = "https://feeds.example"
SITE_FEEDS = {"rss": "/feed.xml", "atom": "/feed.atom", "json": "/feed.json"}
GOOD = (1, 2)


def url_of(n: int) -> str:
    return f"https://news.example/a/{n}"


def good_text(n: int = 3, **overrides: Any) -> str:
    return front_matter(article_data(n, **overrides))


def site_items(client: FlaskClient) -> dict[str, list[dict[str, Any]]]:
    """Every entry of the site feed in each format, after checking the feed against its spec."""
    out: dict[str, list[dict[str, Any]]] = {}
    for fmt, url in SITE_FEEDS.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:300])
        assert CHECKS[fmt](response.data, BASE + url) == [], url
        if fmt == "json":
            out[fmt] = json.loads(response.data)["items"]
            continue
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        root = parse_xml(response.data)
        if fmt == "rss":
            out[fmt] = [
                {"id": i.findtext("guid"), "title": i.findtext("title"), "element": i} for i in root.iter("item")
            ]
        else:
            out[fmt] = [
                {"id": e.findtext(f"{A}id"), "title": e.findtext(f"{A}title"), "element": e}
                for e in root.iter(f"{A}entry")
            ]
    return out


def served_ids(client: FlaskClient) -> set[str]:
    """The ids the site feed serves, the same in every format."""
    items = site_items(client)
    ids = {fmt: sorted(i["id"] for i in entries) for fmt, entries in items.items()}
    assert ids["rss"] == ids["atom"] == ids["json"], ids
    return set(ids["rss"])


def problems(client: FlaskClient) -> list[dict[str, str]]:
    response = client.get("/-/problems.json")
    assert response.status_code == 200
    listed: list[dict[str, str]] = json.loads(response.data)
    return listed


def problems_of(client: FlaskClient, path: str) -> list[dict[str, str]]:
    return [p for p in problems(client) if p["path"] == path]


def json_item(client: FlaskClient, n: int) -> dict[str, Any]:
    items = json.loads(client.get("/feed.json").data)["items"]
    return next(i for i in items if i["id"] == url_of(n))


@pytest.fixture
def two_good(write_article: WriteArticle) -> None:
    for n in GOOD:
        write_article(n)


# --- files that are no article at all ------------------------------------------------------

BILLION_LAUGHS = (
    "---\n"
    + "\n".join(
        ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    )
    + "\ntitle: laughs\n---\n"
)

FILE_ERRORS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "expected YAML front matter between two '---' lines, got an empty file"),
    ("only blank lines", b"\n  \n\n", "got an empty file"),
    ("only the opening line", b"---\n", "expected a closing '---' line"),
    ("nothing between the lines", b"---\n---\nbody\n", "got nothing between the '---' lines"),
    (
        "no front matter",
        b"title: x\nwebUrl: https://news.example/a/3\n",
        "expected the file to start with a '---' line",
    ),
    ("no closing line", good_text().rsplit("---", 1)[0].encode(), "expected a closing '---' line"),
    ("YAML syntax error", b"---\ntitle: [unclosed\nwebUrl: x\n---\n", "expected valid YAML, got"),
    ("tab indentation", b"---\nprovider:\n\tname: x\n---\n", "expected valid YAML, got"),
    ("a YAML list", b"---\n- title\n- webUrl\n---\n", "expected a YAML mapping of fields, got a list"),
    (
        "a YAML scalar",
        b"---\njust a sentence\n---\n",
        "expected a YAML mapping of fields, got the text 'just a sentence'",
    ),
    ("a YAML number", b"---\n42\n---\n", "got the number 42"),
    ("two YAML documents", b"---\ntitle: a\n---\n", ""),  # replaced below: one document only
    ("non-UTF-8 bytes", good_text().replace("Article number 3", "Caf\xe9").encode("latin-1"), "expected UTF-8 text"),
    ("UTF-16", good_text().encode("utf-16"), "expected UTF-8 text, got UTF-16"),
    ("NUL byte", good_text().replace("Article", "Art\x00icle").encode(), "expected UTF-8 text, got a NUL byte"),
    ("deep flow nesting", b"---\ntitle: x\na: " + b"[" * 100_000 + b"\n---\n", "nested at most 32 levels"),
    ("deep flow mappings", b"---\na: " + b"{a: " * 50_000 + b"\n---\n", "nested at most 32 levels"),
    ("deep block sequence", b"---\ntitle: x\na:\n" + b"- " * 100_000 + b"x\n---\n", "nested at most 32 levels"),
    (
        "deep nesting after a Unicode line separator",
        ("---\ntitle: x\na:\u2028" + "- " * 100_000 + "x\n---\n").encode(),
        "nested at most 32 levels",
    ),
    (
        "deep nesting after NEL",
        ("---\ntitle: x\na:\x85" + "- " * 100_000 + "x\n---\n").encode(),
        "nested at most 32 levels",
    ),
    (
        "deep indentation",
        ("---\n" + "".join(" " * i + f"k{i}:\n" for i in range(40)) + "---\n").encode(),
        "nested at most 32 levels",
    ),
    ("alias bomb", BILLION_LAUGHS.encode(), "expected at most 64 YAML aliases, got more"),
    ("python object tag", b"---\ntitle: !!python/object:os.system {}\n---\n", "could not determine a constructor"),
    ("python name tag", b"---\ntitle: !!python/name:os.system\n---\n", "could not determine a constructor"),
    ("unknown local tag", b"---\ntitle: !secret x\n---\n", "could not determine a constructor for the tag '!secret'"),
    ("explicit bool that is not one", b"---\ntitle: x\npublished: !!bool maybe\n---\n", "its tag cannot hold"),
    ("explicit timestamp that is not one", b"---\ntitle: x\nwhen: !!timestamp soon\n---\n", "its tag cannot hold"),
    ("explicit empty int", b"---\ntitle: x\nquality: !!int ''\n---\n", "expected valid YAML, got a number of 0"),
    ("huge number", b"---\ntitle: x\nheat: 1" + b"0" * 5000 + b"\n---\n", "a number of 5001 characters"),
    (
        "explicit merge key",
        b"---\nbase: &b {title: x}\n!!merge <<: *b\n---\n",
        "merge key '<<', which is not supported",
    ),
]
FILE_ERRORS[11] = ("two YAML documents", b"---\ntitle: a\n--- \ntitle: b\n---\n", "")


@pytest.mark.parametrize(("raw", "message"), [c[1:] for c in FILE_ERRORS], ids=[c[0] for c in FILE_ERRORS])
def test_a_file_that_is_no_article_is_a_problem_and_the_good_ones_stay(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle, raw: bytes, message: str
) -> None:
    write_article(name="bad.txt", raw=raw)
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    listed = problems(client)
    assert all(p["path"] == "bad.txt" for p in listed), listed
    if not message:  # "two YAML documents" is a valid head followed by a body that looks like YAML
        return
    assert len(listed) == 1, listed
    assert listed[0]["field"] == "file"
    assert listed[0]["severity"] == "error"
    assert message in listed[0]["message"]


def test_an_article_split_at_a_second_dashes_line_keeps_the_rest_as_body(
    client: FlaskClient, write_article: WriteArticle
) -> None:
    # The head ends at the first '---' line; what follows is body text, not a second document.
    write_article(3, body="--- \ntitle: other\n")
    reload(client)
    assert served_ids(client) == {url_of(3)}


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
    ],
)
def test_python_tags_are_never_executed(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle, tmp_path: Path, tag: str
) -> None:
    marker = tmp_path / "executed"
    text = good_text().replace("title: Article number 3", "title: " + tag.format(marker=marker))
    write_article(name="evil.txt", raw=text)
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    [problem] = problems_of(client, "evil.txt")
    assert "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object" in problem["message"]
    assert not marker.exists()


def test_pathological_files_stay_cheap(make_app: Callable[..., Flask], write_article: WriteArticle) -> None:
    """Alias and merge bombs, deep nesting and 1 MiB of brackets load in well under a second."""
    merge_levels = ["l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"] + [
        f"l{i}: &l{i}\n  <<: [{', '.join([f'*l{i - 1}'] * 8)}]" for i in range(1, 8)
    ]
    write_article(name="laughs.txt", raw=BILLION_LAUGHS)
    write_article(name="merge.txt", raw=good_text(4).replace("---\n", "---\n" + "\n".join(merge_levels) + "\n", 1))
    write_article(name="brackets.txt", raw=b"---\na: " + b"[" * 1_000_000 + b"\n---\n")
    write_article(name="braces.txt", raw=b"---\na: " + b"{" * 1_000_000 + b"\n---\n")
    start = time.perf_counter()
    client = make_app().test_client()
    assert time.perf_counter() - start < 5  # generous: each of these takes milliseconds
    # `<<` is a plain key (merge keys are not read), so the merge bomb is an article with extra keys.
    assert served_ids(client) == {url_of(4)}
    assert problems_of(client, "merge.txt") == []


def test_a_top_level_merge_key_is_ignored_with_a_warning(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(3, raw="---\nbase: &b {quality: 1}\n<<: *b\n" + good_text(3).removeprefix("---\n"))
    reload(client)
    assert served_ids(client) == {url_of(3)}
    [merge] = problems(client)
    assert (merge["field"], merge["severity"]) == ("<<", "warning")


def test_files_over_the_size_cap_are_problems(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle
) -> None:
    write_article(3, body="x" * 5000)
    write_article(name="huge.txt", raw=b"---\ntitle: x\n---\n" + b"y" * 3_000_000)
    client = make_app(MAX_FILE_BYTES=4096).test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    listed = {p["path"]: p for p in problems(client)}
    assert set(listed) == {"003.txt", "huge.txt"}
    assert listed["003.txt"]["message"].startswith("expected at most 4096 bytes (MAX_FILE_BYTES), got 5")
    assert listed["huge.txt"]["message"] == "expected at most 4096 bytes (MAX_FILE_BYTES), got 3000017"


# --- required fields ----------------------------------------------------------------------

FIELD_ERRORS: list[tuple[str, dict[str, Any], str, str]] = [
    ("missing title", {"title": ...}, "title", "expected text, got nothing"),
    ("empty title", {"title": ""}, "title", "expected text, got nothing"),
    ("title of controls and spaces", {"title": " \x07\x1b "}, "title", "expected text, got"),
    ("title a mapping", {"title": {"text": "x"}}, "title", "expected text, got a mapping"),
    ("title a list", {"title": ["x"]}, "title", "expected text, got a list"),
    ("no URL", {"webUrl": ..., "originalUrl": ...}, "webUrl", "expected an http(s) URL, got nothing"),
    ("javascript: URL", {"webUrl": "javascript:alert(1)", "originalUrl": ...}, "webUrl", "got 'javascript:alert(1)'"),
    ("data: URL", {"webUrl": "data:text/html,hi", "originalUrl": ...}, "webUrl", "expected an absolute http(s) URL"),
    ("relative URL", {"webUrl": "/a/3", "originalUrl": ...}, "webUrl", "expected an absolute http(s) URL, got '/a/3'"),
    ("URL without host", {"webUrl": "https:///a/3", "originalUrl": ...}, "webUrl", "expected an absolute http(s)"),
    ("URL with spaces", {"webUrl": "https://news.example/a 3", "originalUrl": ...}, "webUrl", "absolute http(s)"),
    ("URL a number", {"webUrl": 3, "originalUrl": ...}, "webUrl", "expected an http(s) URL, got the number 3"),
    ("both URLs bad", {"webUrl": "ftp://x.example/", "originalUrl": "javascript:x"}, "webUrl", "is no better"),
    ("missing date", {"publishedDateTime": ...}, "publishedDateTime", "expected an ISO 8601 or RFC 822 date, got"),
    ("impossible date", {"publishedDateTime": "2025-02-30T12:00:00Z"}, "publishedDateTime", "got '2025-02-30"),
    ("impossible time", {"publishedDateTime": "2025-02-03T25:61:00Z"}, "publishedDateTime", "expected an ISO 8601"),
    ("unparseable date", {"publishedDateTime": "sometime last week"}, "publishedDateTime", "got 'sometime last week'"),
    ("date a number", {"publishedDateTime": 20250601}, "publishedDateTime", "got the number 20250601"),
    ("date out of range", {"publishedDateTime": "9999-12-31T23:00:00-14:00"}, "publishedDateTime", "years 1-9999"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"), [c[1:] for c in FIELD_ERRORS], ids=[c[0] for c in FIELD_ERRORS]
)
def test_a_missing_or_broken_required_field_is_a_problem(
    two_good: None,
    make_app: Callable[..., Flask],
    write_article: WriteArticle,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    write_article(3, **overrides)
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    [problem] = problems(client)
    assert (problem["path"], problem["field"], problem["severity"]) == ("003.txt", field, "error")
    assert message in problem["message"]


def test_a_draft_is_checked_too(two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle) -> None:
    write_article(3, published=False, title="")
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    assert [(p["path"], p["field"]) for p in problems(client)] == [("003.txt", "title")]


# --- optional parts: dropped with a warning, the article stays ------------------------------

IMAGE = {"url": "https://img.example/3.jpg", "width": 1200, "height": 800}
RELATED = {"title": "Related", "webUrl": "https://other.example/r/3"}

FIELD_WARNINGS: list[tuple[str, dict[str, Any], str, Callable[[dict[str, Any]], bool]]] = [
    ("webUrl bad, originalUrl used", {"webUrl": "javascript:x"}, "webUrl", lambda i: i["url"] == url_of(3)),
    (
        "javascript: image",
        {"images": [{**IMAGE, "url": "javascript:alert(1)"}]},
        "images[0].url",
        lambda i: "image" not in i,
    ),
    (
        "data: image",
        {"images": [{**IMAGE, "url": "data:image/png;base64,AAAA"}]},
        "images[0].url",
        lambda i: "image" not in i,
    ),
    ("relative image", {"images": [{**IMAGE, "url": "/img/3.jpg"}]}, "images[0].url", lambda i: "image" not in i),
    ("image without URL", {"images": [{"width": 10, "height": 10}]}, "images[0].url", lambda i: "image" not in i),
    ("image a string", {"images": ["https://img.example/3.jpg"]}, "images[0]", lambda i: "image" not in i),
    ("images a string", {"images": "https://img.example/3.jpg"}, "images", lambda i: "image" not in i),
    (
        "width as text",
        {"images": [{**IMAGE, "width": "wide"}]},
        "images[0].width",
        lambda i: i["image"] == IMAGE["url"],
    ),
    (
        "height negative",
        {"images": [{**IMAGE, "height": -5}]},
        "images[0].height",
        lambda i: i["image"] == IMAGE["url"],
    ),
    ("width a float", {"images": [{**IMAGE, "width": 12.5}]}, "images[0].width", lambda i: i["image"] == IMAGE["url"]),
    ("related without URL", {"related": [{"title": "x"}]}, "related[0].webUrl", lambda i: "_related" not in i),
    (
        "javascript: related",
        {"related": [{**RELATED, "webUrl": "javascript:x"}]},
        "related[0].webUrl",
        lambda i: "_related" not in i,
    ),
    (
        "related without title",
        {"related": [{"webUrl": RELATED["webUrl"]}]},
        "related[0].title",
        lambda i: "_related" not in i,
    ),
    ("related a string", {"related": ["https://other.example/"]}, "related[0]", lambda i: "_related" not in i),
    (
        "related bad date",
        {"related": [{**RELATED, "publishedDateTime": "soon"}]},
        "related[0].publishedDateTime",
        lambda i: len(i["_related"]) == 1,
    ),
    (
        "related image javascript:",
        {"related": [{**RELATED, "images": [{"url": "javascript:x"}]}]},
        "related[0].images[0].url",
        lambda i: len(i["_related"]) == 1,
    ),
    ("topics a number", {"topics": 42}, "topics", lambda i: "tags" not in i),
    ("topics a string", {"topics": "AI"}, "topics", lambda i: "tags" not in i),
    ("topic a mapping", {"topics": [{"name": "AI"}, "AI"]}, "topics[0]", lambda i: i["tags"] == ["AI"]),
    ("topic that slugs to nothing", {"topics": ["AI", "!!!", "—"]}, "topics[1]", lambda i: i["tags"] == ["AI"]),
    ("provider a string", {"provider": "Example News"}, "provider", lambda i: "authors" not in i),
    (
        "provider bad domain",
        {"provider": {"name": "X", "domain": "not a domain"}},
        "provider.domain",
        lambda i: "authors" not in i,
    ),
    (
        "provider name a list",
        {"provider": {"name": ["X"], "domain": "news.example"}},
        "provider.name",
        lambda i: i["authors"][0]["name"] == "news.example",
    ),
    ("quality as text", {"quality": "high"}, "quality", lambda i: True),
    ("excerpt a mapping", {"excerpt": {"a": 1}}, "excerpt", lambda i: "summary" not in i),
]


@pytest.mark.parametrize(
    ("overrides", "field", "check"), [c[1:] for c in FIELD_WARNINGS], ids=[c[0] for c in FIELD_WARNINGS]
)
def test_a_broken_optional_part_is_dropped_with_a_warning(
    two_good: None,
    make_app: Callable[..., Flask],
    write_article: WriteArticle,
    overrides: dict[str, Any],
    field: str,
    check: Callable[[dict[str, Any]], bool],
) -> None:
    write_article(3, **overrides)
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in (*GOOD, 3)}
    warnings = problems_of(client, "003.txt")
    assert [(w["field"], w["severity"]) for w in warnings][:1] == [(field, "warning")], warnings
    assert all(w["severity"] == "warning" for w in warnings)
    item = json_item(client, 3)
    assert check(item), item
    for fmt, url in SITE_FEEDS.items():  # the dropped value is in no output
        body = client.get(url).data
        for value in ("javascript:", "data:image", "data:text", "/img/3.jpg", "not a domain"):
            assert value.encode() not in body, (fmt, value)


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        (True, None),
        (False, None),
        (..., None),
        (None, None),
        ("true", "got the text 'true'"),
        ("True", "got the text 'True'"),
        ("yes", "got the text 'yes'"),
        ("on", "got the text 'on'"),
        ("1", "got the text '1'"),
        (1, "got the number 1"),
        ("no", None),
    ],
)
def test_only_the_boolean_true_publishes(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle, value: object, warned: str | None
) -> None:
    write_article(3, published=value, title="Maybe published zzz")
    client = make_app().test_client()
    expected = {url_of(n) for n in GOOD} | ({url_of(3)} if value is True else set())
    assert served_ids(client) == expected
    listed = problems(client)
    if warned is None:
        assert listed == []
    else:
        [problem] = listed
        assert problem["field"] == "published" and problem["severity"] == "warning"
        assert problem["message"].startswith("expected the boolean true to publish, " + warned)
        assert problem["message"].endswith("; not published")


def test_yaml_yes_and_on_are_text_not_booleans(write_article: WriteArticle, client: FlaskClient) -> None:
    write_article(3, raw=good_text().replace("published: true", "published: yes"))
    write_article(4, raw=good_text(4).replace("published: true", "published: True"))
    reload(client)
    assert served_ids(client) == {url_of(4)}
    assert [(p["path"], p["field"]) for p in problems(client)] == [("003.txt", "published")]


# --- text: controls, surrogates, encodings, markup ------------------------------------------


def test_bom_and_crlf_are_read(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(3, raw=b"\xef\xbb\xbf" + good_text(3).replace("\n", "\r\n").encode())
    write_article(4, raw=good_text(4).replace("\n", "\r").encode())  # old Mac line ends
    reload(client)
    assert served_ids(client) == {url_of(3), url_of(4)}
    assert problems(client) == []
    assert json_item(client, 3)["title"] == "Article number 3"


def test_raw_control_bytes_are_removed_with_a_warning(client: FlaskClient, write_article: WriteArticle) -> None:
    text = good_text(3).replace("Article number 3", "Article\x07 number\x1b 3\x7f\u0085\u009f")
    write_article(3, raw=text.encode())
    reload(client)
    assert served_ids(client) == {url_of(3)}
    [problem] = problems(client)
    assert (problem["field"], problem["severity"]) == ("file", "warning")
    assert problem["message"].startswith("expected printable text, got 4 control character(s), first on line 3")
    for items in site_items(client).values():
        assert [i["title"] for i in items] == ["Article number 3"]


def test_escaped_controls_and_lone_surrogates_are_cleaned(client: FlaskClient, write_article: WriteArticle) -> None:
    title = r'"Chip\ud800 news\x07 \ud83d\ude00 \udfff\u0000end"'
    write_article(3, raw=good_text(3).replace("title: Article number 3", f"title: {title}"))
    reload(client)
    assert problems(client) == []
    for fmt, items in site_items(client).items():
        assert [i["title"] for i in items] == ["Chip news 😀 end"], fmt
    for url in ("/", "/topics/ai-hardware"):
        assert "Chip news 😀 end" in client.get(url).get_data(as_text=True)


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)> & ]]> </title></item>'


def test_markup_in_any_text_field_is_text_in_every_output(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(
        3,
        title=MARKUP,
        excerpt=MARKUP,
        provider={"name": MARKUP, "domain": "news.example"},
        topics=[MARKUP, "AI Hardware"],
        related=[{"title": MARKUP, "webUrl": "https://other.example/r?a=1&b=2", "excerpt": MARKUP}],
        body=MARKUP + "\n\n" + MARKUP,
    )
    reload(client)
    assert problems(client) == []
    items = site_items(client)
    for fmt in ("rss", "atom", "json"):
        assert [i["title"] for i in items[fmt]] == [MARKUP], fmt
    # The HTML inside each format is escaped: parsed, it holds text, never an element from the data.
    rss_item = items["rss"][0]["element"]
    atom_entry = items["atom"][0]["element"]
    json_one = items["json"][0]
    htmls = {
        "rss description": rss_item.findtext("description"),
        "rss content": rss_item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"),
        "atom content": atom_entry.findtext(f"{A}content"),
        "json content_html": json_one["content_html"],
    }
    for where, html in htmls.items():
        if not html:
            continue
        tree = lxml.html.fragment_fromstring(html, create_parent="div")
        assert tree.findall(".//script") == [], where
        assert [img.get("src") for img in tree.iter("img")] in ([], ["https://img.example/3.jpg"]), where
        assert all(not k.startswith("on") for e in tree.iter() for k in e.attrib), where
        assert MARKUP in tree.text_content(), where
    topic_slug = next(t for t in json.loads(client.get("/feed.json").data)["items"][0]["tags"] if t != "AI Hardware")
    assert topic_slug == MARKUP
    for url in ("/", "/topics/ai-hardware", "/providers/news.example"):
        response = client.get(url)
        assert response.status_code == 200
        page = lxml.html.document_fromstring(response.data)
        assert all(MARKUP not in (s.text or "") and "alert" not in (s.text or "") for s in page.iter("script")), url
        assert all(not k.startswith("on") for e in page.iter() for k in e.attrib), url
        assert MARKUP in page.text_content(), url


def test_non_utf8_and_control_file_names_are_reported_printably(
    two_good: None, seeds_dir: Path, make_app: Callable[..., Flask], runner: Any
) -> None:
    (seeds_dir / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"")
    (seeds_dir / "new\nline.txt").write_bytes(b"")
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in GOOD}
    paths = sorted(p["path"] for p in problems(client))
    assert paths == ["caf\\xe9.txt", "new\\nline.txt"]
    from feeds.cli import main

    result = runner.invoke(main, ["check", "--seeds-dir", str(seeds_dir)])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2


# --- duplicates and topics (rules in index.build_index) -------------------------------------


def test_same_web_url_newer_wins_and_the_other_is_a_problem(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1, name="a-old.txt", title="Old", publishedDateTime="2025-06-01T00:00:00Z")
    write_article(1, name="b-new.txt", title="New", publishedDateTime="2025-06-02T00:00:00Z")
    write_article(2)
    reload(client)
    items = site_items(client)
    for fmt in items:
        assert sorted(i["title"] for i in items[fmt]) == ["Article number 2", "New"], fmt
    [problem] = problems(client)
    assert (problem["path"], problem["field"], problem["severity"]) == ("a-old.txt", "webUrl", "error")
    assert "b-new.txt" in problem["message"]


def test_same_web_url_same_date_the_path_sorting_first_wins(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1, name="b.txt", title="From b")
    write_article(1, name="a.txt", title="From a")
    reload(client)
    assert [i["title"] for i in site_items(client)["json"]] == ["From a"]
    [problem] = problems(client)
    assert problem["path"] == "b.txt" and "a.txt" in problem["message"]


def test_topic_spellings_and_slug_collisions(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1, topics=["AI Hardware"])
    write_article(2, topics=["ai hardware"])
    write_article(3, topics=["AI-Hardware"])
    write_article(4, topics=["Straße"])
    write_article(5, topics=["STRASSE"])
    write_article(6, topics=["???", "ok"])
    reload(client)
    opml = parse_xml(client.get("/feeds.opml").data)
    titles = {o.get("text") for o in opml.iter("outline") if o.get("xmlUrl", "").startswith(BASE + "/feeds/")}
    assert "AI Hardware" in titles
    hardware = json.loads(client.get("/feeds/ai-hardware.json").data)
    assert sorted(i["id"] for i in hardware["items"]) == [url_of(n) for n in (1, 2, 3)]
    listed = problems(client)
    assert [(p["path"], p["field"], p["severity"]) for p in listed if p["path"] == "006.txt"] == [
        ("006.txt", "topics[0]", "warning")
    ]
    collision = [p for p in listed if p["field"] == "topics" and p["path"] == ""]
    assert len(collision) == 1 and "'STRASSE'" in collision[0]["message"] and "'Straße'" in collision[0]["message"]
    assert client.get("/feeds/strasse.json").status_code == 200


# --- the folder: symlinks, hidden files, leftovers, subfolders -------------------------------


def test_folder_rules(
    two_good: None,
    seeds_dir: Path,
    tmp_path: Path,
    make_app: Callable[..., Flask],
    write_article: WriteArticle,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.txt").write_text(good_text(90, title="Leaked from outside"))
    (seeds_dir / "out-link.txt").symlink_to(outside / "leak.txt")
    (seeds_dir / "out-folder").symlink_to(outside, target_is_directory=True)
    (seeds_dir / "dangling.txt").symlink_to(seeds_dir / "missing.txt")
    write_article(3, name="sub/deeper/003.txt")  # subfolders are read
    (seeds_dir / "in-link.txt").symlink_to(seeds_dir / "sub" / "deeper" / "003.txt")  # inside: read
    write_article(4, name="real/004.txt")
    (seeds_dir / "folder-link").symlink_to(seeds_dir / "real", target_is_directory=True)  # never followed
    for name in (".hidden.txt", ".003.txt.swp", "005.txt~", "#005.txt#", "005.txt.swp", "notes.rst", ".git/x.txt"):
        write_article(5, name=name)
    (seeds_dir / "fifo.txt").unlink(missing_ok=True)
    os.mkfifo(seeds_dir / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(seeds_dir / "sock.txt"))
        client = make_app().test_client()
    finally:
        sock.close()
    assert served_ids(client) == {url_of(n) for n in (1, 2, 3, 4)}
    listed = {p["path"]: p["message"] for p in problems(client)}
    assert listed["out-link.txt"] == "expected a file inside the seeds folder, got a symlink that points out of it"
    assert listed["out-folder"] == "symlinked folders are not followed"
    assert listed["folder-link"] == "symlinked folders are not followed"
    assert listed["dangling.txt"].startswith("expected a readable file, got no such file")
    assert listed["fifo.txt"] == "expected a regular file, got a named pipe"
    assert listed["sock.txt"] in (
        "expected a readable file, got no such device or address",
        "expected a regular file, got a socket",
    )
    # the symlink inside is read: its article is the same webUrl as the file it points to
    assert listed["sub/deeper/003.txt"].startswith("duplicate of in-link.txt") or listed["in-link.txt"].startswith(
        "duplicate of sub/deeper/003.txt"
    )
    assert not any("5" in path for path in listed)  # hidden files and leftovers are not looked at
    for body in crawl(client, SITE_FEEDS.values()).values():
        assert b"Leaked from outside" not in body


# --- held back ------------------------------------------------------------------------------


def test_far_future_dates_are_held_back(client: FlaskClient, write_article: WriteArticle) -> None:
    write_article(1)
    write_article(3, publishedDateTime="9999-12-31T23:59:59Z", title="From the far future")
    reload(client)
    assert served_ids(client) == {url_of(1)}
    health = json.loads(client.get("/-/health").data)
    assert (health["articles"], health["held_back"]) == (1, 1)
    assert problems(client) == []


# --- nothing leaks, logged once -------------------------------------------------------------


def every_bad_file(write_article: WriteArticle) -> None:
    """One of each kind of broken file, each carrying the secret and draft text."""
    for i, (_, raw, _) in enumerate(FILE_ERRORS):
        secret = f"secured: {SECRET}\n".encode()
        with_secret = raw.replace(b"---\n", b"---\n" + secret, 1) if raw.startswith(b"---\n") else secret + raw
        write_article(name=f"broken/file-{i:02d}.txt", raw=with_secret)
    for i, (_, overrides, _, _) in enumerate(FIELD_ERRORS):
        write_article(100 + i, name=f"broken/field-{i:02d}.txt", excerpt="Draft text zzq", **overrides)
    for i, (_, overrides, _, _) in enumerate(FIELD_WARNINGS):
        write_article(200 + i, name=f"warned/{i:02d}.txt", **overrides)
    write_article(300, name="drafts/unpublished.txt", published=False, title="Unpublished zzq", excerpt="Draft zzq")
    write_article(301, name="drafts/quoted.txt", published="true", title="Quoted zzq", body="Draft body zzq")
    write_article(302, name="drafts/secret-in-yaml-error.txt", raw=f"---\ntitle: x\nsecured: {SECRET}\n  bad: [\n---\n")


def test_no_secret_and_no_draft_text_in_any_response_or_log_line(
    make_app: Callable[..., Flask], write_article: WriteArticle, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(1)
    every_bad_file(write_article)
    caplog.set_level(logging.DEBUG)
    client = make_app().test_client()
    bodies = crawl(client, SITE_FEEDS.values())
    assert any(b"Article number 1" in b for b in bodies.values())
    assert len(problems(client)) > len(FILE_ERRORS) + len(FIELD_ERRORS)
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for needle in (SECRET, "zzq"):
        for url, body in bodies.items():
            assert needle.encode() not in body, (url, needle)
        assert needle not in logged


def test_each_problem_is_logged_once_not_per_request_or_reload(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(name="bad.txt", raw=b"")
    write_article(3, title="")
    caplog.set_level(logging.WARNING, logger="feeds")
    client = make_app().test_client()
    for _ in range(3):
        client.get("/feed.xml")
        client.get("/-/problems.json")
        reload(client)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert sorted(line for line in lines if "bad.txt" in line or "003.txt" in line) == [
        "003.txt: title: expected text, got nothing",
        "bad.txt: file: expected YAML front matter between two '---' lines, got an empty file",
    ]
    write_article(4, title="")  # a new problem is logged when it appears
    reload(client)
    assert sum("004.txt" in r.getMessage() for r in caplog.records) == 1


def test_dump_is_yaml_the_loader_reads() -> None:
    """The fixtures write YAML with safe_dump; the loader's own rules must read it back."""
    data = article_data(1)
    assert yaml.safe_load(front_matter(data).split("---")[1]) == data


def test_bad_files_written_while_running_never_stop_a_reload(
    two_good: None, client: FlaskClient, write_article: WriteArticle
) -> None:
    assert served_ids(client) == {url_of(n) for n in GOOD}
    for i, (_, raw, _) in enumerate(FILE_ERRORS):
        write_article(name=f"late/{i:02d}.txt", raw=raw)
    write_article(3)
    reload(client)
    assert served_ids(client) == {url_of(n) for n in (*GOOD, 3)}
    assert {p["path"] for p in problems(client)} >= {f"late/{i:02d}.txt" for i, c in enumerate(FILE_ERRORS) if c[2]}
    for i, (_, raw, _) in enumerate(FILE_ERRORS):  # and changed again, to something worse
        write_article(name=f"late/{i:02d}.txt", raw=raw + b"\n" + b"- " * 50_000)
    reload(client)
    assert served_ids(client) == {url_of(n) for n in (*GOOD, 3)}


def test_a_stray_dashes_line_never_turns_secured_into_body_text(
    two_good: None, make_app: Callable[..., Flask], write_article: WriteArticle
) -> None:
    """Found by the property tests: a '---' line inside the front matter made the rest,
    `secured` included, the body of a valid article."""
    text = good_text(3).replace("secured:", "---\nsecured:")
    write_article(name="cut.txt", raw=text)
    write_article(4, body="Prose may say the data is secured: that is fine.\n\nsecured as a word too.")
    client = make_app().test_client()
    assert served_ids(client) == {url_of(n) for n in (*GOOD, 4)}
    [problem] = problems(client)
    assert (problem["path"], problem["field"], problem["severity"]) == ("cut.txt", "secured", "error")
    for body in crawl(client, SITE_FEEDS.values()).values():
        assert SECRET.encode() not in body


def test_a_drafts_broken_optional_parts_are_reported_too(write_article: WriteArticle, client: FlaskClient) -> None:
    write_article(1)
    write_article(
        2,
        published=False,
        title="Draft zz",
        images=[{"url": "javascript:alert(1)", "width": 10, "height": 10}],
        related=[{"title": "no url"}],
    )
    reload(client)
    problems = {(p["path"], p["field"], p["severity"]) for p in client.get("/-/problems.json").get_json()}
    assert ("002.txt", "images[0].url", "warning") in problems
    assert ("002.txt", "related[0].webUrl", "warning") in problems
    assert b"Draft zz" not in client.get("/feed.xml").data


def test_a_crafted_domain_cannot_stall_loading(write_article: WriteArticle, client: FlaskClient) -> None:
    """A name that made one regular expression backtrack exponentially (seconds at 30 chars)."""
    write_article(1)
    write_article(2, provider={"name": "x", "domain": "a" * 60 + "_.com"})
    started = time.monotonic()
    reload(client)
    assert time.monotonic() - started < 5
    problems = client.get("/-/problems.json").get_json()
    assert [(p["path"], p["field"]) for p in problems] == [("002.txt", "provider.domain")]
