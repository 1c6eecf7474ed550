"""The domain: articles, images, providers and problems, plus the text, slug and URL rules.

Articles and their parts are NamedTuples: immutable, compact, and about seven times cheaper to
build than frozen dataclasses, which matters when a start builds them by the hundred thousand.

Pure: no I/O, no clock (an article taken from a snapshot reads its packed text from the
page cache: see paged). Everything here is immutable and compact (slots, interned keys).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from .paged import fetch

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF) plus DEL and the C1 controls, which validators flag. (Classes here name
# their small side: `re` compiles a range of the Basic Multilingual Plane one code point at
# a time in Python, and the wide forms of these two took 28 ms of every start.)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^]")
# a DNS label: a-z, 0-9 and U+00A1-U+FFFF, with "-" inside, as the classes of what it is not
_LABEL_CHAR = r"[^\x00-/:-`{-\xa0\U00010000-\U0010ffff]"
_LABEL_INNER = r"[^\x00-,./:-`{-\xa0\U00010000-\U0010ffff]"
_LABEL = re.compile(rf"{_LABEL_CHAR}(?:{_LABEL_INNER}{{0,61}}{_LABEL_CHAR})?")


def clean_text(value: str) -> str:
    """Drop characters XML cannot carry; the result is safe for every output once escaped.

    Surrogate pairs (from YAML escapes like "\\ud83d\\ude00") are joined first; lone ones go.
    """
    if _NOT_XML.search(value) is None:
        return value
    if _SURROGATE.search(value) is not None:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\ufffd", "")
    return _NOT_XML.sub("", value)


def clean_line(value: str) -> str:
    """clean_text, then fold runs of whitespace into one space: for titles and names."""
    value = clean_text(value)
    # After clean_text, ASCII text can hold no whitespace but space, tab, newline and return:
    # with no run of them there is nothing to fold (most titles; the pattern costs more).
    if value.isascii() and not ("  " in value or "\t" in value or "\n" in value or "\r" in value):
        return value.strip()
    return _SPACES.sub(" ", value).strip()


@lru_cache(maxsize=8192)  # topic names repeat across articles by the thousand
def slugify(name: str) -> str:
    """The URL key of a topic: case, spaces and punctuation folded, non-ASCII letters kept."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    out: list[str] = []
    dash = False
    for ch in folded:
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif out and not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


# Most URLs: plain ASCII host, printable ASCII path without the characters _URL_FORBIDDEN
# lists. They need no urlsplit (a third of a file's parse time went there); tests prove this
# pattern accepts nothing the full check refuses.
_SIMPLE_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][!#-&(-;=?-\[\]_a-z~]*)?")


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host and nothing a feed could choke on."""
    if len(value) <= 2048 and _SIMPLE_HTTP_URL.fullmatch(value) is not None:
        return True
    return _is_http_url_checked(value)


def _is_http_url_checked(value: str) -> bool:
    if not value or len(value) > 2048 or _URL_FORBIDDEN.search(value) or _NOT_XML.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def normalize_domain(value: str) -> str | None:
    """A provider's key: a lower-case host name, or None when it is not one."""
    domain = value.strip().lower().rstrip(".")
    if not 0 < len(domain) <= 253 or "." not in domain:
        return None
    # Label by label: one pattern over the whole name backtracks exponentially on crafted input.
    return domain if all(_LABEL.fullmatch(label) for label in domain.split(".")) else None


def intern(value: str) -> str:
    """Share one copy of strings that repeat across articles (topic names, domains)."""
    return sys.intern(value)


class Image(NamedTuple):
    url: str
    width: int | None = None
    height: int | None = None

    @property
    def mime_type(self) -> str:
        return image_mime_type(self.url)


class Provider(NamedTuple):
    """A publisher; `domain` is its key and the slug of its feed."""

    name: str
    domain: str

    @property
    def url(self) -> str:
        return f"https://{self.domain}/"


_PROVIDERS: dict[tuple[str, str], Provider] = {}


def shared_provider(name: str, domain: str) -> Provider:
    """One Provider object per (name, domain) in the process, with interned strings."""
    key = (name, domain)
    found = _PROVIDERS.get(key)
    if found is None:
        found = _PROVIDERS[key] = Provider(intern(name), intern(domain))
    return found


class Related(NamedTuple):
    """A small record of an article elsewhere, shown under an article."""

    title: str
    url: str
    excerpt: str = ""
    published: datetime | None = None
    provider: Provider | None = None
    image: Image | None = None


class Detail(NamedTuple):
    """The cold part of an article: read only when an entry or a page is rendered."""

    title: str
    excerpt: str = ""
    body: str = ""
    image: Image | None = None  # the lead image: the only one any output shows
    related: tuple[Related, ...] = ()


# Packed text is fields joined by US (\x1f), with the lead image's three and then one record a
# related item, records joined by RS (\x1e): unpacking is a split, about a third of json.loads.
# Text reaches here cleaned (clean_text drops every C0 control but tab and newlines, URLs are
# refused with them), so the separators cannot occur; a Detail that does not come back the
# same (a separator in a field, an empty URL or domain) is packed as JSON instead.
# Raw deflate: no zlib header or checksum to make and check per article (a third faster to
# unpack); a snapshot's last line carries a CRC-32 over everything in it.
_RAW_DEFLATE = -15
_FIELD, _RECORD, _MARK = "\x1f", "\x1e", "\x1d"  # _MARK starts the text: a title may start with '['.


def pack_detail(detail: Detail) -> bytes:
    """Detail -> deflated text: about a quarter of the memory of the objects."""

    def image(i: Image | None) -> list[str]:
        return [i.url, _num(i.width), _num(i.height)] if i else ["", "", ""]

    records = [_FIELD.join([detail.title, detail.excerpt, detail.body, *image(detail.image)])]
    for r in detail.related:
        provider = [r.provider.name, r.provider.domain] if r.provider else ["", ""]
        published = r.published.isoformat() if r.published else ""
        records.append(_FIELD.join([r.title, r.url, r.excerpt, published, *provider, *image(r.image)]))
    text = _MARK + _RECORD.join(records)
    try:
        same = _split_detail(text) == detail
    except ValueError:  # a separator inside a field: the wrong number of fields
        same = False
    if not same:  # (or an empty URL or domain, which would come back as None)
        text = _json_detail(detail)
    return zlib.compress(text.encode(), 6, wbits=_RAW_DEFLATE)


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _int(text: str) -> int | None:
    return int(text) if text else None


def _json_detail(detail: Detail) -> str:
    def image(i: Image | None) -> list[object] | None:
        return [i.url, i.width, i.height] if i else None

    related = [
        [
            r.title,
            r.url,
            r.excerpt,
            r.published.isoformat() if r.published else None,
            [r.provider.name, r.provider.domain] if r.provider else None,
            image(r.image),
        ]
        for r in detail.related
    ]
    return json.dumps([detail.title, detail.excerpt, detail.body, image(detail.image), related], ensure_ascii=False)


def packed_bytes(packed: bytes | int) -> bytes:
    """An article's packed text, read from the page cache when it is there (see paged)."""
    return fetch(packed) if type(packed) is int else packed  # type: ignore[return-value]


def unpack_detail(packed: bytes | int) -> Detail:
    """An article's Detail; recent ones are kept, as renders read several fields.

    A text in the page cache that cannot be read now (an I/O error: see paged) gives an empty
    Detail this time, and is read again the next (the empty one is not kept)."""
    try:
        return _kept_detail(packed)
    except OSError:
        return Detail("")


@lru_cache(maxsize=512)  # MAX_LIMIT's worth by default: a feed's details while it is rendered
def _kept_detail(packed: bytes | int) -> Detail:
    return detail_of(packed_bytes(packed))  # (an OSError of the read goes up: not kept)


def forget_details() -> None:
    """Empties the details kept (tests and benchmarks that time an unpack)."""
    _kept_detail.cache_clear()


def detail_of(packed: bytes) -> Detail:
    """The inverse of pack_detail.

    Packed text that does not unpack (only a snapshot written by hand with a good CRC-32 could
    hold it: the service never makes it) gives an empty Detail rather than a failed request."""
    try:
        text = zlib.decompress(packed, wbits=_RAW_DEFLATE).decode()
        return _split_detail(text) if text.startswith(_MARK) else _unjson_detail(text)
    except Exception:  # anything the inflate, the decode, the split or the JSON can raise on it
        return Detail("")


def search_text(packed: bytes | int) -> str:
    """An article's title and excerpt, case-folded, one line apart: what `?q=` looks in. Inflates
    only the start (they lead the packed text) and takes no turn in unpack_detail's cache, which
    a scan of a whole topic would empty of the details a render is using."""
    try:
        head = zlib.decompressobj(wbits=_RAW_DEFLATE).decompress(packed_bytes(packed), 2048)
    except (zlib.error, ValueError, OSError):
        head = b""  # unpack_detail gives its empty Detail
    if head[:1] == b"\x1d" and head.count(b"\x1f") >= 2:
        title, excerpt, _ = head[1:].split(b"\x1f", 2)
        try:
            return f"{title.decode()}\n{excerpt.decode()}".casefold()
        except UnicodeDecodeError:
            pass  # (never from pack_detail): the whole way, below
    detail = unpack_detail(packed)
    return f"{detail.title}\n{detail.excerpt}".casefold()


def _split_detail(text: str) -> Detail:
    records = text[1:].split(_RECORD)
    title, excerpt, body, url, width, height = records[0].split(_FIELD)
    related = []
    for record in records[1:]:
        r_title, r_url, r_excerpt, published, name, domain, i_url, i_width, i_height = record.split(_FIELD)
        related.append(
            Related(
                r_title,
                r_url,
                r_excerpt,
                datetime.fromisoformat(published) if published else None,
                Provider(name, domain) if domain else None,
                Image(i_url, _int(i_width), _int(i_height)) if i_url else None,
            )
        )
    lead = Image(url, _int(width), _int(height)) if url else None
    return Detail(title, excerpt, body, lead, tuple(related))


def _unjson_detail(text: str) -> Detail:
    def image(v: list[Any] | None) -> Image | None:
        return Image(v[0], v[1], v[2]) if v else None

    title, excerpt, body, lead, related = json.loads(text)
    return Detail(
        title,
        excerpt,
        body,
        image(lead),
        tuple(
            Related(t, u, e, datetime.fromisoformat(d) if d else None, Provider(*p) if p else None, image(i))
            for t, u, e, d, p, i in related
        ),
    )


class Article(NamedTuple):
    """One published article file, reduced to what the outputs need (never `secured`).

    Hot fields (those that sort, group and key) are plain; the text is packed (see Detail).
    Build one with make_article.
    """

    id: str  # the permanent URL: GUID, Atom id and JSON Feed id everywhere
    path: str  # relative to the seeds folder, for problems and duplicate rules
    published_us: int  # microseconds since 1970 UTC: sorts and keys with no datetime object
    # pack_detail(Detail): title, excerpt, body, lead image, related; or, for an article taken
    # from a snapshot, a paged.fetch() int: where that text is in the page cache (packed_bytes)
    packed: bytes | int
    provider: Provider | None = None
    topics: tuple[str, ...] = ()  # display spellings as written, cleaned
    quality: float | None = None
    heat: float | None = None
    digest: int = 0  # 64-bit fingerprint of the file's bytes: changes when the file does

    @property
    def detail(self) -> Detail:
        return unpack_detail(self.packed)

    @property
    def title(self) -> str:
        return self.detail.title

    @property
    def excerpt(self) -> str:
        return self.detail.excerpt

    @property
    def body(self) -> str:
        return self.detail.body

    @property
    def image(self) -> Image | None:
        return self.detail.image

    @property
    def images(self) -> tuple[Image, ...]:
        image = self.detail.image
        return (image,) if image else ()

    @property
    def related(self) -> tuple[Related, ...]:
        return self.detail.related

    @property
    def published(self) -> datetime:
        """The publication date, aware, UTC (made when asked: outputs read it, sorting does not)."""
        return EPOCH_UTC + timedelta(microseconds=self.published_us)

    @property
    def timestamp(self) -> float:
        """Seconds since 1970, the same float datetime.timestamp() gives."""
        return self.published_us / 1_000_000


EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


def micros(when: datetime) -> int:
    """An aware datetime as microseconds since 1970 UTC, exactly."""
    return (when - EPOCH_UTC) // timedelta(microseconds=1)


MIN_US = micros(datetime.min.replace(tzinfo=UTC))
MAX_US = micros(datetime.max.replace(tzinfo=UTC))


_NUMBERS: dict[float, float] = {}


def _small(value: float | None) -> float | None:
    """One shared float object per whole number up to 1000 (quality and heat repeat a lot)."""
    if value is None or not (value.is_integer() and -1000 <= value <= 1000):
        return value
    return _NUMBERS.setdefault(value, value)


def make_article(
    *,
    id: str,
    path: str,
    title: str,
    published: datetime,
    excerpt: str = "",
    body: str = "",
    provider: Provider | None = None,
    topics: tuple[str, ...] = (),
    images: tuple[Image, ...] = (),
    related: tuple[Related, ...] = (),
    quality: float | None = None,
    heat: float | None = None,
    digest: int = 0,
) -> Article:
    detail = Detail(title, excerpt, body, images[0] if images else None, related)
    return Article(
        id, path, micros(published), pack_detail(detail), provider, topics, _small(quality), _small(heat), digest
    )


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One recorded defect in the data: an error drops the file, a warning only a part."""

    path: str
    field: str
    message: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        # A problem is printed one per line and sent as JSON: no control characters, no lone
        # surrogates (from file names that are not UTF-8), however the data came in.
        object.__setattr__(self, "path", printable_path(self.path))
        object.__setattr__(self, "field", clean_line(self.field))
        object.__setattr__(self, "message", clean_line(self.message))

    def __str__(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{where}: {self.message}" + (" (warning)" if self.severity == "warning" else "")

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


def printable_path(path: str) -> str:
    """A relative path as text that prints on one line: undecodable bytes and controls escaped."""
    if path.isprintable():
        return path
    raw = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in raw)


_IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "svg": "image/svg+xml",
    "bmp": "image/bmp",
}


def image_mime_type(url: str) -> str:
    """MIME type from the URL's extension, from a fixed table so every machine agrees."""
    if url.startswith(("https://", "http://")):
        # urlsplit's path, cut out by hand at a sixth of its cost. A URL that reached an article
        # passed is_http_url: no whitespace or control character for urlsplit to strip, so its
        # path runs from the first "/" after "//" to the first "?" or "#", as sliced here.
        rest = url.partition("#")[0].partition("?")[0]
        slash = rest.find("/", rest.index("://") + 3)
        path = rest[slash:] if slash >= 0 else ""
    else:
        path = urlsplit(url).path
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_TYPES.get(ext, "image/jpeg")
