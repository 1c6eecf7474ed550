"""Where everything lives: one place builds every URL the outputs and the web layer use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

Format = Literal["rss", "atom", "json"]
FORMATS: tuple[Format, ...] = ("rss", "atom", "json")
EXTENSIONS: dict[Format, str] = {"rss": "xml", "atom": "atom", "json": "json"}
FORMAT_OF_EXTENSION: dict[str, Format] = {ext: fmt for fmt, ext in EXTENSIONS.items()}
MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
FORMAT_NAMES: dict[Format, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


def feed_path(kind: str, slug: str, fmt: Format) -> str:
    """Path of a feed, percent-encoded: /feed.xml, /feeds/<topic>.xml, /feeds/providers/<domain>.xml."""
    ext = EXTENSIONS[fmt]
    if kind == "site":
        return f"/feed.{ext}"
    if kind == "topic":  # several topics joined with "+": a combined feed (no topic slug has a "+")
        return f"/feeds/{'+'.join(quote(part) for part in slug.split('+'))}.{ext}"
    return f"/feeds/providers/{quote(slug)}.{ext}"


def page_path(kind: str, slug: str) -> str:
    """Path of the HTML page that matches a feed."""
    if kind == "site" or (kind == "topic" and "+" in slug):  # a combined feed has no page: the home
        return "/"
    return f"/{'topics' if kind == 'topic' else 'providers'}/{quote(slug)}"


@dataclass(frozen=True, slots=True)
class Urls:
    """Absolute URLs under one base (`https://news.example`, no trailing slash)."""

    base: str

    def feed(self, kind: str, slug: str, fmt: Format) -> str:
        return self.base + feed_path(kind, slug, fmt)

    def page(self, kind: str, slug: str) -> str:
        return self.base + page_path(kind, slug)

    def opml(self) -> str:
        return self.base + "/feeds.opml"
