"""The loader on its own: the shape guard's soundness, the YAML rules, dates, text and paths."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.folder import is_article_name
from feeds.loading import (
    MAX_ALIASES,
    MAX_DEPTH,
    _check_shape,
    _Loader,
    _plainly_shallow,
    _PyLoader,
    load_file,
    parse_article,
    parse_date,
)
from feeds.model import (
    _IMAGE_TYPES,
    _LABEL,
    _NOT_XML,
    _SIMPLE_HTTP_URL,
    Detail,
    Image,
    Problem,
    Provider,
    Related,
    _is_http_url_checked,
    clean_line,
    clean_text,
    detail_of,
    image_mime_type,
    is_http_url,
    pack_detail,
    printable_path,
    slugify,
)

from .fuzz.strategies import YAML_TOKENS, dump, good_fields

# --- the shape guard ---------------------------------------------------------------------


def event_shape(front: str) -> tuple[int, int]:
    """Deepest nesting and alias count libyaml's parser reaches, up to any syntax error."""
    depth = deepest = aliases = 0
    try:
        for event in yaml.parse(front, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
    except yaml.YAMLError:
        pass
    return deepest, aliases


@st.composite
def nested_documents(draw: st.DrawFn) -> str:
    """Valid YAML nested 1 to 60 deep, in block, flow and mixed styles, with any line break."""
    value: Any = draw(st.sampled_from(["x", 1, None]))
    for _ in range(draw(st.integers(1, 60))):
        siblings = draw(st.integers(0, 2))
        if draw(st.booleans()):
            value = [value] + ["s"] * siblings
        else:
            value = {"k": value, **{f"s{i}": i for i in range(siblings)}}
    text = yaml.safe_dump(
        {"title": "x", "a": value},
        default_flow_style=draw(st.sampled_from([False, True, None])),
        indent=draw(st.integers(2, 9)),
        width=draw(st.sampled_from([20, 80, 10_000])),
    )
    return text.replace("\n", draw(st.sampled_from(["\n", "\x85", "\u2028", "\u2029"])))


YAML_SOUP = st.lists(st.sampled_from([*YAML_TOKENS, "a", "b: c", "\n" + " " * 9, "\n" + "- " * 9]), max_size=80).map(
    "".join
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(nested_documents(), YAML_SOUP))
@example("a:\u2028" + "- " * 40 + "x")  # the break the first version of the check missed
@example("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 40)))  # one-space indentation
@example("a:\n" + "- " * 15 + "[" * 15 + "x")
@example("a:\n" + "- " * 40 + "x")  # compact sequences: indicators count as indentation
@example("? " * 40 + "x")
@example("a:\n" + "".join("  " * i + "? - k:\n" for i in range(20)))
def test_the_cheap_check_never_clears_a_deep_or_aliased_document(front: str) -> None:
    deepest, aliases = event_shape(front)
    if _plainly_shallow(front):
        assert deepest <= MAX_DEPTH and aliases == 0


@settings(max_examples=200, deadline=None)
@given(nested_documents())
def test_the_shape_check_refuses_exactly_what_is_too_deep(front: str) -> None:
    deepest, _ = event_shape(front)
    if deepest > MAX_DEPTH:
        with pytest.raises(ArticleError, match="nested at most"):
            _check_shape(front)
    else:
        _check_shape(front)


def test_ordinary_files_take_the_cheap_path(sample_seeds: Path) -> None:
    """The sample seeds and the fixtures' articles never need the event scan."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(sample_seeds.iterdir())]
    texts.append(dump(good_fields(1)).decode())
    for text in texts:
        front = text.split("---\n")[1]
        assert _plainly_shallow(front)


DEEP_SHAPES = {
    "flow sequences": lambda n: "a: " + "[" * n,
    "flow mappings": lambda n: "a: " + "{a: " * n,
    "block sequences on one line": lambda n: "a:\n" + "- " * n + "x",
    "block mappings": lambda n: "a:\n" + "".join(" " * i + "k:\n" for i in range(1, n)) + " " * n + "k: x\n",
    "after non-ASCII text": lambda n: "title: \u00e9t\u00e9 \u2014 \U0001f600\nb: " + "x" * 3000 + "\na: " + "[" * n,
}


@pytest.mark.parametrize("loader", [_Loader, _PyLoader], ids=["libyaml", "pure Python"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_001, 5_000])
@pytest.mark.parametrize("shape", DEEP_SHAPES.values(), ids=DEEP_SHAPES.keys())
def test_too_deep_gets_our_message_whatever_the_parser_refuses_itself(shape: Any, depth: int, loader: Any) -> None:
    """libyaml 0.2.6 refuses 1,000 levels on its own, scanning ahead of the events we count
    (0.2.5 and the pure-Python parser do not): our bound must still be what the user reads."""
    with pytest.raises(ArticleError, match=f"expected YAML nested at most {MAX_DEPTH} levels deep, got deeper"):
        _check_shape(shape(depth), loader)


@pytest.mark.parametrize("loader", [_Loader, _PyLoader], ids=["libyaml", "pure Python"])
def test_a_shallow_syntax_error_stays_a_syntax_error(loader: Any) -> None:
    front = "a: " + "[" * 20 + "b: c: d" + "]" * 20 + "\n" + "x: [" * 3
    with pytest.raises(yaml.YAMLError):
        _check_shape(front, loader)


def test_aliases_are_counted() -> None:
    front = "a: &x [1]\n" + "".join(f"b{i}: *x\n" for i in range(MAX_ALIASES + 1))
    with pytest.raises(ArticleError, match=f"at most {MAX_ALIASES} YAML aliases"):
        _check_shape(front)
    _check_shape("a: &x [1]\n" + "".join(f"b{i}: *x\n" for i in range(MAX_ALIASES)))


# --- YAML rules --------------------------------------------------------------------------


def article(front: str, body: str = "") -> Any:
    base = "webUrl: https://news.example/a\npublishedDateTime: 2025-06-01T00:00:00Z\npublished: true\n"
    return parse_article(f"---\n{base}{front}---\n{body}".encode(), "x.txt")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("no", "no"),
        ("1:30", "1:30"),  # no base-60 numbers
        ("2025-06-01", "2025-06-01"),  # dates stay text
        ("0x1F", "31"),
        ("1_000", "1000"),
        ("12.5", "12.5"),
        ("'<b>'", "<b>"),
        ('"a\\tb\\x07c"', "a bc"),
        ('"\\ud83d\\ude00 pair"', "😀 pair"),
        ('"lone \\ud800 gone"', "lone gone"),
        ('"\\U0010FFFF ok \\uFFFE gone"', "\U0010ffff ok gone"),
    ],
)
def test_scalars_read_as_the_seed_format_says(text: str, title: str) -> None:
    result = article(f"title: {text}\n")
    assert result.article is not None and result.article.title == title
    assert result.problems == ()


def test_duplicate_keys_warn_and_the_last_wins() -> None:
    result = article("title: first\ntitle: second\n")
    assert result.article is not None and result.article.title == "second"
    [warning] = result.problems
    assert (warning.field, warning.severity) == ("file", "warning")
    assert warning.message == "expected each key once in a mapping, got 'title' at line 6 again; the last one is used"


def test_recursive_aliases_do_not_recurse() -> None:
    result = article("title: x\ntopics: &t [*t, AI]\nrelated: &r [*r]\nimages: &i [*i]\n")
    assert result.article is not None
    assert result.article.topics == ("AI",)
    assert {p.field for p in result.problems} == {"topics[0]", "related[0]", "images[0]"}


def test_secured_is_never_kept() -> None:
    result = article("title: x\nsecured: S3CR3T\n")
    assert result.article is not None
    assert "S3CR3T" not in repr((result, result.article.detail))


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T12:00:00Z", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01T12:00:00", datetime(2025, 6, 1, 12, tzinfo=UTC)),  # no zone means UTC
        ("2025-06-01T14:00:00+02:00", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=UTC)),
        ("20250601T120000Z", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("Sun, 01 Jun 2025 12:00:00 GMT", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("Sun, 01 Jun 2025 14:00:00 +0200", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("Sun, 01 Jun 2025 12:00:00 -0000", datetime(2025, 6, 1, 12, tzinfo=UTC)),
    ],
)
def test_dates_that_parse(text: str, expected: datetime) -> None:
    assert parse_date(text, "publishedDateTime") == expected


@pytest.mark.parametrize(
    "value",
    ["2025-02-30", "2025-13-01", "2025-06-01T24:30:00Z", "yesterday", "", " ", "x" * 100, 20250601, 1.5, True, [], {}],
)
def test_dates_that_do_not(value: object) -> None:
    with pytest.raises(ArticleError) as raised:
        parse_date(value, "publishedDateTime")
    assert raised.value.field == "publishedDateTime"
    assert raised.value.message.startswith("expected ")


# --- text, URLs, slugs, paths ------------------------------------------------------------


@given(st.text(st.characters(codec=None)))
def test_cleaned_text_is_xml_text(value: str) -> None:
    cleaned = clean_text(value)
    assert clean_text(cleaned) == cleaned
    cleaned.encode("utf-8")  # no lone surrogates left
    assert all(ch in "\t\n\r" or ch >= " " for ch in cleaned)
    assert "\x7f" not in cleaned and "\ufffe" not in cleaned
    assert "\n" not in clean_line(value) and clean_line(value) == clean_line(value).strip()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://news.example/a?b=1&c=2#d", True),
        ("http://例え.jp/", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("/relative", False),
        ("//news.example/a", False),
        ("https://", False),
        ("https://news.example/a b", False),
        ('https://news.example/"onmouseover="x', False),
        ("https://news.example/\x07", False),
        ("https://[::1", False),
        ("https://news.example/" + "a" * 3000, False),
    ],
)
def test_http_urls(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok
    assert _is_http_url_checked(url) is ok


URL_PIECES = st.sampled_from(
    ["http", "https", "HTTP", "ftp", "://", ":", "/", "//", "?", "#", "@", "[", "]", ":80", ":99999", ".", "-",
     "a", "Z", "0", "%20", "%", " ", "\t", "\n", "<", ">", '"', "'", "`", "\\", "{", "}", "|", "^", "~", "é",
     "\x7f", "\u2028", "例", "news.example", "x.y", "=", "&", ";", ",", "!", "$", "*", "+", "(", ")"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(URL_PIECES, max_size=14).map("".join))
@example("http://a")
@example("https://-/")
@example("http://news.example:80/a?b=c#d")
def test_the_quick_url_pattern_accepts_only_what_the_full_check_does(url: str) -> None:
    if _SIMPLE_HTTP_URL.fullmatch(url):
        assert _is_http_url_checked(url), url


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["https://", "http://", "a.example", "/", ".", "jpg", "PNG", "webp", "?", "#", "x",
                                 ":8080", "=", "&", "-", "_", "~"]), max_size=12).map("".join))  # fmt: skip
@example("https://img.example/a.png?x=.gif#y.webp")
@example("https://img.example")
@example("https://img.example?x=/a.png")
def test_image_types_match_what_urlsplit_gives(url: str) -> None:
    assert_image_type_as_urlsplit_gives(url)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(["https://", "http://", "HTTP://"]), st.lists(URL_PIECES, max_size=14).map("".join))
@example("https://", "img.example/a.png?x=.gif#y.webp")
@example("https://", "[::1]/a.png")
def test_image_types_of_any_url_an_article_can_hold_match_urlsplit(scheme: str, rest: str) -> None:
    url = scheme + rest
    if is_http_url(url):  # the only URLs an Image is made of
        assert_image_type_as_urlsplit_gives(url)


def assert_image_type_as_urlsplit_gives(url: str) -> None:
    path = urlsplit(url).path
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    assert image_mime_type(url) == _IMAGE_TYPES.get(ext, "image/jpeg"), url


def test_names_that_slug_to_nothing_are_not_topics() -> None:
    assert slugify("!!!") == slugify("—") == slugify("\u0301") == ""
    result = article('title: x\ntopics: ["!!!", "\\u0301", AI]\n')
    assert result.article is not None and result.article.topics == ("AI",)
    assert [p.field for p in result.problems] == ["topics[0]", "topics[1]"]


def test_problems_print_on_one_line() -> None:
    problem = Problem("a\udce9\n.txt", "f\x07", "line one\nline two")
    assert problem.path == "a\\xe9\\n.txt"
    assert str(problem) == "a\\xe9\\n.txt: f: line one line two"
    assert printable_path("sub/ok.txt") == "sub/ok.txt"


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("a.txt", True),
        ("a.MD", True),
        ("a.yaml", True),
        ("a.yml", True),
        (".a.txt", False),
        (".a.txt.swp", False),
        ("a.txt~", False),
        ("#a.txt#", False),
        ("~a.txt", False),
        ("a.txt.swp", False),
        ("a.rst", False),
    ],
)
def test_article_names(name: str, read: bool) -> None:
    assert is_article_name(name) is read


def test_load_file_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_bytes(dump(good_fields(1)))

    def broken(data: bytes, ctx: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("feeds.loading._parse_article", broken)
    result = load_file(tmp_path, "a.txt", max_bytes=10_000)
    assert result.article is None
    assert [(p.field, p.message) for p in result.problems] == [
        ("file", "could not be read because of an internal error (RuntimeError); please report it")
    ]


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"x" * 100)
    result = load_file(tmp_path, "a.txt", max_bytes=99)
    assert [p.message for p in result.problems] == ["expected at most 99 bytes (MAX_FILE_BYTES), got 100"]


def test_lone_surrogate_escapes_in_a_huge_front_matter_are_a_problem_not_a_slow_parse() -> None:
    """The pure-Python parser (the only one that reads such escapes) costs ~3 ms per KiB."""
    items = "".join(f"- item {i}\n" for i in range(10_000))
    with pytest.raises(ArticleError, match="invalid Unicode character escape code"):
        article(f'title: "x\\ud800"\na:\n{items}')
    assert article('title: "x\\ud800"\n').article.title == "x"


TEXTS = st.one_of(st.text(max_size=12), st.sampled_from(["", "[x]", "\x1d", "a\x1fb", "\x1e", "1", "None"]))
IMAGES = st.one_of(st.none(), st.builds(Image, TEXTS, st.one_of(st.none(), st.integers(0, 5000)), st.none()))
RELATED_ITEMS = st.builds(
    Related,
    TEXTS,
    TEXTS,
    TEXTS,
    st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    st.one_of(st.none(), st.builds(Provider, TEXTS, TEXTS)),
    IMAGES,
)


@settings(max_examples=500, deadline=None)
@given(st.builds(Detail, TEXTS, TEXTS, TEXTS, IMAGES, st.lists(RELATED_ITEMS, max_size=3).map(tuple)))
@example(Detail("[Update] a title", "", "", None, ()))
@example(Detail("t", related=(Related("r", "https://a.example/", provider=Provider("", "a.example")),)))
def test_packed_text_comes_back_the_same(detail: Detail) -> None:
    assert detail_of(pack_detail(detail)) == detail


ASCII_AND_SOME = st.text(st.one_of(st.characters(max_codepoint=0x7F), st.sampled_from(["\x85", "\xa0", "é", "\u2028"])))


@settings(max_examples=2000, deadline=None)
@given(ASCII_AND_SOME)
def test_the_quick_text_checks_agree_with_their_patterns(text: str) -> None:
    from feeds import loading, model

    if loading._NOT_YAML.search(text) is not None:  # characters libyaml refuses: never the quick path
        assert loading._risky(text)
    assert clean_line(text) == model._SPACES.sub(" ", clean_text(text)).strip()


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["---", "...", "\n", " ", "\t", "a", "-", ".", "--", "\n---", "\n..."]), max_size=16))
def test_the_closing_line_is_found_where_the_pattern_finds_it(pieces: list[str]) -> None:
    from feeds import loading

    rest = "".join(pieces)
    match = loading._CLOSING.search(rest)
    assert loading._closing_line(rest) == (None if match is None else (match.start(), match.end()))


def test_the_character_classes_are_the_ones_they_name() -> None:
    """_NOT_XML and _LABEL are written as the small side of their classes (a wide range of the
    BMP costs `re` 10 ms to compile): they match exactly what XML 1.0 cannot carry (and DEL and
    the C1 controls), and the characters of a DNS label ("-" only inside)."""

    def xml_ok(c: int) -> bool:
        return c in (9, 10, 13) or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000

    def label_ok(c: int) -> bool:
        return 0x61 <= c <= 0x7A or 0x30 <= c <= 0x39 or 0xA1 <= c <= 0xFFFF

    edges = [*range(0x300), *range(0xD700, 0xE100), *range(0xFFF0, 0x10010), 0x10FFFF]
    for c in [*edges, *range(0x300, 0x110000, 251)]:
        ch = chr(c)
        assert (_NOT_XML.match(ch) is None) == xml_ok(c), hex(c)
        assert (_LABEL.fullmatch(ch) is not None) == label_ok(c), hex(c)
        assert (_LABEL.fullmatch(f"a{ch}b") is not None) == (label_ok(c) or ch == "-"), hex(c)
