"""One file -> an Article or Problems; a folder -> every file's result.

This is the one boundary where bad data becomes a value: everything wrong with a file raises
ArticleError inside `_parse_article`, and `load_file` alone turns it into a Problem.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from dateutil import parser as dateparser

from .errors import ArticleError
from .model import (
    Article,
    Image,
    Problem,
    Provider,
    Related,
    clean_line,
    clean_text,
    intern,
    is_http_url,
    normalize_domain,
)

try:  # libyaml is about 8x faster; the pure-Python parser is the fallback only
    from yaml import CSafeLoader as _SafeBase
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeBase  # type: ignore[assignment]

ARTICLE_SUFFIXES = (".txt", ".md", ".yaml", ".yml")
MAX_DEPTH = 32  # nesting the seed format never needs; deeper input is refused before parsing
MAX_ALIASES = 64
MAX_TOPICS = 32
MAX_IMAGES = 16
MAX_RELATED = 32
MAX_TEXT = 20_000  # characters kept of one text field
UTC = UTC
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(_SafeBase):
    """Safe loader with YAML 1.2 booleans (`yes` stays text) and dates left as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP_TAG, _BOOL_TAG)]
    for first, resolvers in _SafeBase.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one file gave: a published article or none, and its problems (errors, warnings)."""

    path: str
    article: Article | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(slots=True)
class _Context:
    path: str
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, field_name: str, message: str) -> None:
        self.warnings.append(Problem(self.path, field_name, message, "warning"))


def is_article_name(name: str) -> bool:
    """Article files by suffix; hidden files and editor leftovers are not articles."""
    if name.startswith((".", "#", "~")) or name.endswith(("~", "#")):
        return False
    return name.lower().endswith(ARTICLE_SUFFIXES)


def load_file(root: Path, relpath: str, *, max_bytes: int) -> LoadResult:
    """Read and parse one article file; every failure becomes a Problem, never an exception."""
    try:
        data = _read_inside(root, relpath, max_bytes)
        return parse_article(data, relpath)
    except ArticleError as exc:
        return LoadResult(relpath, None, (Problem(relpath, exc.field, exc.message),))


def parse_article(data: bytes, relpath: str) -> LoadResult:
    """Bytes of one file -> LoadResult; raises ArticleError for a file that is no article."""
    ctx = _Context(relpath)
    article = _parse_article(data, ctx)
    return LoadResult(relpath, article, tuple(ctx.warnings))


def _read_inside(root: Path, relpath: str, max_bytes: int) -> bytes:
    path = root / relpath
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(Path(os.path.realpath(root))):
                raise ArticleError("file", "symlink points outside the seeds folder; it is not read")
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError("file", "not a regular file")
        if info.st_size > max_bytes:
            raise ArticleError("file", f"expected at most {max_bytes} bytes (MAX_FILE_BYTES), got {info.st_size}")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ArticleError("file", f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ArticleError("file", f"expected at most {max_bytes} bytes (MAX_FILE_BYTES), got more")
    return data


# --- text and front matter ---------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            "file", f"expected UTF-8 text, got byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from exc
    if "\x00" in text:
        raise ArticleError("file", f"expected text, got a NUL byte at offset {text.index(chr(0))}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(text: str) -> tuple[str, str]:
    if not text.strip():
        raise ArticleError("file", "expected YAML front matter between two '---' lines, got an empty file")
    if not (text.startswith("---\n") or text.rstrip() == "---"):
        raise ArticleError("file", "expected the file to start with a '---' line, got no front matter")
    rest = text[4:]
    match = re.search(r"^(?:---|\.\.\.)[ \t]*$", rest, re.MULTILINE)
    if match is None:
        raise ArticleError("file", "expected a closing '---' line after the front matter")
    return rest[: match.start()], rest[match.end() :].strip()


def _check_shape(front: str) -> None:
    """Refuse nesting and alias counts that could blow a parser's stack, before parsing.

    A cheap upper bound clears ordinary files; only suspicious ones get the event scan, which
    walks libyaml's flat event stream and never recurses.
    """
    brackets = front.count("[") + front.count("{")
    indent = max((len(line) - len(line.lstrip(" -?:")) for line in front.split("\n")), default=0)
    if brackets + indent // 2 <= MAX_DEPTH and "*" not in front:
        return
    depth = aliases = 0
    try:
        for event in yaml.parse(front, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ArticleError("file", f"expected YAML nested at most {MAX_DEPTH} levels deep, got deeper")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise ArticleError("file", f"expected at most {MAX_ALIASES} YAML aliases, got more")
    except yaml.YAMLError as exc:
        raise ArticleError("file", f"expected valid YAML, got {_yaml_reason(exc)}") from exc


def _yaml_reason(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        return f"{exc.problem or exc.context}{where}"
    return str(exc).split("\n")[0]


def _load_yaml(front: str) -> dict[str, Any]:
    _check_shape(front)
    try:
        value = yaml.load(front, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ArticleError("file", f"expected valid YAML, got {_yaml_reason(exc)}") from exc
    except (RecursionError, ValueError, OverflowError) as exc:
        raise ArticleError("file", f"expected valid YAML, got {type(exc).__name__}") from exc
    if value is None:
        raise ArticleError("file", "expected YAML front matter with fields, got nothing between the '---' lines")
    if not isinstance(value, dict):
        raise ArticleError("file", f"expected a YAML mapping of fields, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: str, limit: int = 60) -> str:
    shown = clean_line(value)
    return repr(shown if len(shown) <= limit else shown[: limit - 1] + "…")


# --- fields ------------------------------------------------------------------------------


def _parse_article(data: bytes, ctx: _Context) -> Article | None:
    front, body = _split_front_matter(_decode(data))
    fm = _load_yaml(front)
    published = _published_flag(fm.get("published"), ctx)

    title = _text(fm.get("title"), "title", ctx, required=True, line=True)
    url = _article_url(fm, ctx)
    when = parse_date(fm.get("publishedDateTime"), "publishedDateTime")
    if not published:
        # Checked like any other file, but nothing of a draft is kept in memory.
        return None
    return Article(
        id=url,
        path=ctx.path,
        title=title,
        published=when,
        excerpt=_text(fm.get("excerpt"), "excerpt", ctx),
        body=clean_text(body[:MAX_TEXT]),
        provider=_provider(fm.get("provider"), "provider", ctx),
        topics=_topics(fm.get("topics"), ctx),
        images=_images(fm.get("images"), "images", ctx),
        related=_related(fm.get("related"), ctx),
        quality=_number(fm.get("quality"), "quality", ctx),
        heat=_number(fm.get("heat"), "heat", ctx),
        digest=hashlib.blake2b(data, digest_size=12).hexdigest(),
    )


def _published_flag(value: object, ctx: _Context) -> bool:
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "y", "1"):
        ctx.warn("published", f"expected the boolean true to publish, got the text {_show(value)}; not published")
    elif isinstance(value, int | float) and not isinstance(value, bool) and value == 1:
        ctx.warn("published", f"expected the boolean true to publish, got the number {value!r}; not published")
    return False


def _text(value: object, name: str, ctx: _Context, *, required: bool = False, line: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise ArticleError(name, "expected text, got nothing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        if required:
            raise ArticleError(name, f"expected text, got {_kind(value)}")
        ctx.warn(name, f"expected text, got {_kind(value)}; dropped")
        return ""
    raw = str(value)[:MAX_TEXT]
    text = clean_line(raw) if line else clean_text(raw).strip()
    if required and not text:
        raise ArticleError(name, f"expected text, got {_show(raw)}")
    return text


def _url(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(name, f"expected an http(s) URL, got {_kind(value)}")
    url = value.strip()
    if not is_http_url(url):
        raise ArticleError(name, f"expected an absolute http(s) URL, got {_show(url)}")
    return url


def _article_url(fm: Mapping[str, Any], ctx: _Context) -> str:
    web = fm.get("webUrl")
    try:
        return _url(web, "webUrl")
    except ArticleError as web_error:
        if fm.get("originalUrl") is None:
            raise
        try:
            url = _url(fm.get("originalUrl"), "originalUrl")
        except ArticleError:
            raise ArticleError("webUrl", f"{web_error.message}, and originalUrl is no better") from None
        if web is not None:
            ctx.warn("webUrl", f"{web_error.message}; originalUrl used instead")
        return url


def parse_date(value: object, name: str) -> datetime:
    """ISO 8601 (no zone means UTC) or RFC 822 -> an aware UTC datetime; ArticleError otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        parsed = _parse_date_text(value.strip(), name)
    else:
        raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_kind(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ArticleError(name, f"expected a date within years 1-9999, got {_show(str(value))}") from exc


def _parse_date_text(text: str, name: str) -> datetime:
    if len(text) > 64:
        raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_show(text)}")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dateparser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    raise ArticleError(name, f"expected an ISO 8601 or RFC 822 date, got {_show(text)}")


def _number(value: object, name: str, ctx: _Context) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        ctx.warn(name, f"expected a number, got {_kind(value)}; dropped")
        return None
    return float(value)


def _dimension(value: object, name: str, ctx: _Context) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100_000:
        ctx.warn(name, f"expected a whole number of pixels from 1 to 100000, got {_kind(value)}; dropped")
        return None
    return value


def _provider(value: object, name: str, ctx: _Context) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        ctx.warn(name, f"expected a mapping with name and domain, got {_kind(value)}; dropped")
        return None
    raw_domain = value.get("domain")
    domain = normalize_domain(raw_domain) if isinstance(raw_domain, str) else None
    if domain is None:
        ctx.warn(f"{name}.domain", f"expected a domain like example.com, got {_kind(raw_domain)}; provider dropped")
        return None
    label = _text(value.get("name"), f"{name}.name", ctx, line=True) or domain
    return Provider(intern(label), intern(domain))


def _topics(value: object, ctx: _Context) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn("topics", f"expected a list of topic names, got {_kind(value)}; dropped")
        return ()
    names: list[str] = []
    for i, item in enumerate(value[:MAX_TOPICS]):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            ctx.warn(f"topics[{i}]", f"expected a topic name, got {_kind(item)}; dropped")
            continue
        name = clean_line(str(item))[:200]
        if not any(ch.isalnum() for ch in name):
            ctx.warn(f"topics[{i}]", f"expected a topic name with letters or digits, got {_show(str(item))}; dropped")
            continue
        if name not in names:
            names.append(intern(name))
    if len(value) > MAX_TOPICS:
        ctx.warn("topics", f"expected at most {MAX_TOPICS} topics, got {len(value)}; the rest dropped")
    return tuple(names)


def _images(value: object, name: str, ctx: _Context) -> tuple[Image, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn(name, f"expected a list of images, got {_kind(value)}; dropped")
        return ()
    images: list[Image] = []
    for i, item in enumerate(value[:MAX_IMAGES]):
        image = _image(item, f"{name}[{i}]", ctx)
        if image is not None:
            images.append(image)
    return tuple(images)


def _image(item: object, name: str, ctx: _Context) -> Image | None:
    if not isinstance(item, dict):
        ctx.warn(name, f"expected a mapping with url, width and height, got {_kind(item)}; dropped")
        return None
    try:
        url = _url(item.get("url"), f"{name}.url")
    except ArticleError as exc:
        ctx.warn(exc.field, f"{exc.message}; image dropped")
        return None
    width = _dimension(item.get("width"), f"{name}.width", ctx)
    height = _dimension(item.get("height"), f"{name}.height", ctx)
    if width is None or height is None:
        width = height = None
    return Image(url, width, height)


def _related(value: object, ctx: _Context) -> tuple[Related, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.warn("related", f"expected a list of articles, got {_kind(value)}; dropped")
        return ()
    out: list[Related] = []
    for i, item in enumerate(value[:MAX_RELATED]):
        name = f"related[{i}]"
        if not isinstance(item, dict):
            ctx.warn(name, f"expected a mapping with title and webUrl, got {_kind(item)}; dropped")
            continue
        try:
            url = _url(item.get("webUrl", item.get("originalUrl")), f"{name}.webUrl")
            title = _text(item.get("title"), f"{name}.title", ctx, required=True, line=True)
        except ArticleError as exc:
            ctx.warn(exc.field, f"{exc.message}; related article dropped")
            continue
        when: datetime | None = None
        if item.get("publishedDateTime") is not None:
            try:
                when = parse_date(item["publishedDateTime"], f"{name}.publishedDateTime")
            except ArticleError as exc:
                ctx.warn(exc.field, f"{exc.message}; date dropped")
        images = _images(item.get("images"), f"{name}.images", ctx)
        out.append(
            Related(
                title=title,
                url=url,
                excerpt=_text(item.get("excerpt"), f"{name}.excerpt", ctx),
                published=when,
                provider=_provider(item.get("provider"), f"{name}.provider", ctx),
                image=images[0] if images else None,
            )
        )
    return tuple(out)


# --- folders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileState:
    """What decides whether a file must be read again."""

    size: int
    mtime_ns: int
    ino: int


def scan_folder(root: Path) -> Iterator[tuple[str, FileState | None, str | None]]:
    """Every article file below root: (relative path, state, or None and why it is skipped).

    Subfolders are read (hidden ones are not); symlinked folders are never followed.
    """
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = sorted(os.scandir(root / rel_dir if rel_dir else root), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel)
                    continue
                if entry.is_symlink() and entry.is_dir(follow_symlinks=True):
                    yield rel, None, "symlinked folders are not followed"
                    continue
            except OSError:
                continue
            if not is_article_name(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            yield rel, FileState(info.st_size, info.st_mtime_ns, info.st_ino), None
