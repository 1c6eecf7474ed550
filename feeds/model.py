"""The domain: articles, images, providers and problems, plus the text, slug and URL rules.

Articles and their parts are NamedTuples: immutable, compact, and about seven times cheaper to
build than frozen dataclasses, which matters when a start builds them by the hundred thousand.

Pure: no I/O, no clock. Everything here is immutable and compact (slots, interned keys).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF) plus DEL and the C1 controls, which validators flag.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^]")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,62}\.?)*$")


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
    return _SPACES.sub(" ", clean_text(value)).strip()


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


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host and nothing a feed could choke on."""
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
    return domain if _HOSTNAME.match(domain) and "." in domain else None


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


class Related(NamedTuple):
    """A small record of an article elsewhere, shown under an article."""

    title: str
    url: str
    excerpt: str = ""
    published: datetime | None = None
    provider: Provider | None = None
    image: Image | None = None


class Article(NamedTuple):
    """One published article file, reduced to what the outputs need (never `secured`)."""

    id: str  # the permanent URL: GUID, Atom id and JSON Feed id everywhere
    path: str  # relative to the seeds folder, for problems and duplicate rules
    title: str
    published: datetime  # aware, UTC
    excerpt: str = ""
    body: str = ""
    provider: Provider | None = None
    topics: tuple[str, ...] = ()  # display spellings as written, cleaned
    images: tuple[Image, ...] = ()
    related: tuple[Related, ...] = ()
    quality: float | None = None
    heat: float | None = None
    digest: int = 0  # 64-bit fingerprint of the file's path and bytes: changes when the file does

    @property
    def image(self) -> Image | None:
        return self.images[0] if self.images else None

    @property
    def timestamp(self) -> float:
        return self.published.timestamp()


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
    path = urlsplit(url).path
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_TYPES.get(ext, "image/jpeg")
