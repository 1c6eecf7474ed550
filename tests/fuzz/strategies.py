"""Hypothesis strategies for article files: good ones, drafts, and every way of being broken.

Shared by the fuzz target (tests/fuzz/fuzz_loader.py) and the property tests
(tests/test_properties.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from hypothesis import strategies as st

SECRET = "S3CR3T-PAYLOAD-never-leaves"  # the same value tests/conftest.py writes

# Characters that have broken feed code somewhere: markup, XML-illegal controls, YAML
# indicators and line breaks, BOMs, non-characters, lone surrogates, bidi overrides.
NASTY_CHARS = list("<>&\"'`\\\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f\u2028\u2029\ufeff\ufffe\uffff")
NASTY_CHARS += ["\ud800", "\udfff", "\u202e", "\U0001f600", "]]>", "</title>", "<script>", "&amp;", "\r\n", "\t"]
YAML_TOKENS = [
    "[", "]", "{", "}", ",", ": ", "- ", "? ", "&a ", "*a", "&b ", "*b", "!!python/object/apply:os.system ",
    "!!python/name:os.system ", "!!binary ", "!!set ", "!!omap ", "!!int ", "!!float ", "!!bool ", "!!str ",
    "!!timestamp ", "!!merge ", "<<: ", "!local ", "%YAML 1.1\n", "%TAG ! tag:yaml.org,2002:\n", "---\n",
    "...\n", "'", '"', "\\u", "\\x", "\\ud800", "\\U0001F600", "|\n", ">-\n", "#", "\n", "  ", "\t", "\x85",
    "\u2028", "\ufeff", "0x", "0b", "1:00", ".inf", ".nan", "~", "null", "true", "yes", "\r", "\x00",
]  # fmt: skip
SAFE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
NASTY_TEXT = st.lists(st.one_of(st.characters(), st.sampled_from(NASTY_CHARS)), max_size=30).map("".join)
TEXT = st.one_of(SAFE_TEXT, NASTY_TEXT)
HOSTS = st.sampled_from(["news.example", "img.example", "例え.jp", "x.example:8080", "a-b.example"])
GOOD_URLS = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    HOSTS,
    st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=12),
)
BAD_URLS = st.sampled_from(
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:image/png;base64,AAAA",
        "/relative/path",
        "//news.example/a",
        "https://",
        "http:///x",
        "https://news.example/a b",
        "https://news.example/<script>",
        "https://[::1",
        "ftp://news.example/a",
        "mailto:a@news.example",
        "",
    ]
)
URLS = st.one_of(GOOD_URLS, BAD_URLS, TEXT)
DATES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2025-02-30T12:00:00Z",
            "2025-06-01T25:00:00Z",
            "Tue, 24 Oct 2023 01:41:00 GMT",
            "Tue, 31 Feb 2023 01:41:00 +0000",
            "sometime last week",
            "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00+14:00",
            "2025",
            "2025-06",
            "20250601T120000Z",
            "+002025-06-01",
        ]
    ),
    TEXT,
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, URLS, DATES, st.binary(max_size=8))
ANY_VALUE = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(TEXT, st.sampled_from(["url", "title"])), inner, max_size=4),
    ),
    max_leaves=10,
)
IMAGE = st.fixed_dictionaries(
    {"url": URLS},
    optional={"width": st.one_of(st.integers(-5, 200_000), TEXT, st.floats()), "height": SCALARS, "isCached": SCALARS},
)
RELATED = st.fixed_dictionaries(
    {},
    optional={
        "title": TEXT,
        "webUrl": URLS,
        "excerpt": TEXT,
        "publishedDateTime": DATES,
        "provider": ANY_VALUE,
        "images": st.lists(IMAGE, max_size=2),
    },
)
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": st.one_of(TEXT, ANY_VALUE),
    "excerpt": st.one_of(TEXT, ANY_VALUE),
    "webUrl": st.one_of(URLS, ANY_VALUE),
    "originalUrl": st.one_of(URLS, ANY_VALUE),
    "publishedDateTime": st.one_of(DATES, ANY_VALUE),
    "published": st.one_of(st.sampled_from([True, False, "true", "yes", 1, "1", None]), ANY_VALUE),
    "provider": st.one_of(
        st.fixed_dictionaries({}, optional={"name": st.one_of(TEXT, ANY_VALUE), "domain": st.one_of(TEXT, HOSTS)}),
        ANY_VALUE,
    ),
    "topics": st.one_of(st.lists(st.one_of(TEXT, ANY_VALUE), max_size=5), ANY_VALUE),
    "images": st.one_of(st.lists(IMAGE, max_size=3), ANY_VALUE),
    "related": st.one_of(st.lists(RELATED, max_size=3), ANY_VALUE),
    "quality": SCALARS,
    "heat": SCALARS,
}


def good_fields(n: int, host: str = "news.example") -> dict[str, Any]:
    """A valid, published article numbered n, with a URL only it has."""
    return {
        "title": f"Article number {n}",
        "excerpt": f"Excerpt of article {n}.",
        "publishedDateTime": f"2025-06-{n % 28 + 1:02d}T12:00:00Z",
        "webUrl": f"https://{host}/a/{n}",
        "originalUrl": f"https://{host}/a/{n}",
        "published": True,
        "provider": {"name": "Example News", "domain": "news.example"},
        "topics": ["AI Hardware", "AI"],
        "images": [{"url": f"https://img.example/{n}.jpg", "width": 1200, "height": 800, "isCached": True}],
        "related": [{"title": f"Related to {n}", "webUrl": f"https://other.example/r/{n}"}],
        "quality": 50,
        "heat": 60,
        "secured": SECRET,
    }


def dump(fields: dict[str, Any], body: str = "", *, escaped: bool = False) -> bytes:
    """Fields as a seed file: YAML between '---' lines, then the body.

    `escaped` writes every non-ASCII character as a YAML escape, so even lone surrogates and
    NULs make a valid UTF-8 file (libyaml refuses surrogate escapes; the loader copes).
    """
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=not escaped, sort_keys=False) + "---\n" + body
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become bytes that are not UTF-8


@st.composite
def good_articles(draw: st.DrawFn, n: int) -> tuple[bytes, dict[str, Any]]:
    """A valid published article whose text fields carry arbitrary (cleanable) characters."""
    fields = good_fields(n)
    fields["title"] = f"Good {n} " + draw(TEXT)
    fields["excerpt"] = draw(TEXT)
    fields["topics"] = [draw(st.sampled_from(["AI Hardware", "ai hardware", "AI", "Straße", "Strasse"])), draw(TEXT)]
    fields["provider"] = {"name": draw(TEXT), "domain": draw(st.sampled_from(["news.example", "other.example"]))}
    fields["publishedDateTime"] = draw(
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2025, 12, 1)).map(lambda d: d.isoformat())
    )
    body = "".join(ch for ch in draw(TEXT) if ch != "\x00" and not "\ud800" <= ch <= "\udfff")
    return dump(fields, body, escaped=True), fields


@st.composite
def broken_fields(draw: st.DrawFn, n: int, host: str = "bad.example") -> dict[str, Any]:
    """A good article with a few fields removed or replaced by anything at all."""
    fields = good_fields(n, host)
    for key in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            fields.pop(key, None)
        else:
            fields[key] = draw(FIELD_VALUES[key])
    return fields


@st.composite
def mutated(draw: st.DrawFn, source: bytes) -> bytes:
    """A file with YAML tokens, random bytes and cuts spliced in at random places."""
    data = bytearray(source)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            data[at:at] = draw(st.sampled_from(YAML_TOKENS)).encode("utf-8", "surrogatepass")
        elif kind == 1:
            data[at:at] = draw(st.sampled_from(YAML_TOKENS)).encode("utf-8", "surrogatepass") * draw(
                st.integers(2, 3000)
            )
        elif kind == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == 3:
            del data[at : at + draw(st.integers(1, 40))]
        else:
            line_start = data.rfind(b"\n", 0, at) + 1
            data[line_start:line_start] = b" " * draw(st.integers(1, 80))
    return bytes(data)


@st.composite
def broken_files(draw: st.DrawFn, n: int, host: str = "bad.example") -> bytes:
    """Any article file at all: broken fields, mutated YAML, or raw bytes."""
    kind = draw(st.sampled_from(["fields", "mutated", "mutated-broken", "bytes", "text"]))
    if kind == "fields":
        return dump(draw(broken_fields(n, host)), draw(TEXT))
    if kind == "mutated":
        return draw(mutated(dump(good_fields(n, host))))
    if kind == "mutated-broken":
        return draw(mutated(dump(draw(broken_fields(n, host)))))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    return ("---\n" + draw(NASTY_TEXT) + "\n---\n").encode("utf-8", "surrogatepass")
