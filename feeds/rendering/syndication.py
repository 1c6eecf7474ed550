"""RSS 2.0 and Atom 1.0 through feedgen: the only module that imports it.

feedgen's traps (../FEED-NOTES.md) are handled here: entry links lose their attributes, dates
default to now() and go through the locale, media come wrapped in a group. Our own extension
writes those parts directly, so every attribute and date comes from the data.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..model import Article, Image
from .content import article_html
from .spec import FeedSpec, rfc822
from .urls import MEDIA_TYPES, Format

MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_NAMESPACES = {"media": MEDIA_NS, "dc": DC_NS}


class _FeedExtension(BaseExtension):  # type: ignore[misc]
    """Feed-level fixes: namespaces, and lastBuildDate written without the locale."""

    updated: datetime

    def extend_ns(self) -> dict[str, str]:
        return dict(_NAMESPACES)

    def extend_rss(self, feed: Any) -> Any:
        build = etree.SubElement(feed.find("channel"), "lastBuildDate")
        build.text = rfc822(self.updated)
        return feed

    def extend_atom(self, feed: Any) -> Any:
        return feed


class _EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Per-entry parts feedgen loses or gets wrong: media, enclosure and related links, dates.

    feedgen writes Atom elements unqualified under a default namespace, so ours are too.
    """

    article: Article

    def extend_ns(self) -> dict[str, str]:
        return dict(_NAMESPACES)

    def _media(self, entry: Any, image: Image) -> None:
        size = {"width": str(image.width), "height": str(image.height)} if image.width and image.height else {}
        content = {"url": image.url, "medium": "image", "type": image.mime_type, **size}
        etree.SubElement(entry, f"{{{MEDIA_NS}}}content", content)
        etree.SubElement(entry, f"{{{MEDIA_NS}}}thumbnail", {"url": image.url, **size})

    def extend_rss(self, entry: Any) -> Any:
        article = self.article
        pub = etree.SubElement(entry, "pubDate")
        pub.text = rfc822(article.published)
        if article.provider is not None:
            creator = etree.SubElement(entry, f"{{{DC_NS}}}creator")
            creator.text = article.provider.name
        if article.image is not None:
            self._media(entry, article.image)
        return entry

    def extend_atom(self, entry: Any) -> Any:
        article = self.article
        if article.image is not None:
            image = article.image
            etree.SubElement(entry, "link", rel="enclosure", href=image.url, type=image.mime_type, length="0")
        for related in article.related:
            etree.SubElement(entry, "link", rel="related", href=related.url, title=related.title)
        if article.image is not None:
            self._media(entry, article.image)
        return entry


def _generator(spec: FeedSpec, fmt: Format) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("feeds", _FeedExtension, _EntryExtension)
    fg.feeds.updated = spec.updated
    fg.id(spec.urls.feed(spec.kind, spec.slug, "atom") if fmt == "atom" else spec.html_url)  # one id per feed
    fg.title(spec.title)
    fg.description(spec.description) if fmt == "rss" else fg.subtitle(spec.description)
    fg.updated(spec.updated)
    # feedgen formats lastBuildDate through locale.setlocale, which is process-wide and not
    # thread-safe; it has no public way to leave it out, so the private field is emptied and
    # _FeedExtension writes the element (from the same date, without the locale).
    fg._FeedGenerator__rss_lastBuildDate = None
    fg.generator(spec.generator)
    fg.author({"name": spec.site_title, "uri": spec.urls.page("site", "")})
    fg.link(href=spec.self_url(fmt), rel="self", type=MEDIA_TYPES[fmt])
    fg.link(href=spec.html_url, rel="alternate", type="text/html")  # last: it is RSS's channel link
    return fg


def _entry(spec: FeedSpec, article: Article, fmt: Format, topics: tuple[tuple[str, str], ...]) -> FeedEntry:
    fe = FeedEntry()
    fe.register_extension("feeds", _EntryExtension)
    fe.feeds.article = article
    fe.id(article.id)
    fe.guid(article.id, permalink=True)
    fe.title(article.title)
    fe.link(href=article.id, rel="alternate")
    fe.updated(article.published)
    for slug, name in topics:
        fe.category(term=slug if fmt == "atom" else name, label=name)
    if fmt == "rss":
        fe.description(escape(article.excerpt or article.title, quote=False))
        fe.content(article_html(article))
        if article.image is not None:
            fe.enclosure(article.image.url, "0", article.image.mime_type)
        if article.provider is not None:
            fe.source(url=spec.urls.feed("provider", article.provider.domain, "rss"), title=article.provider.name)
    else:
        fe.published(article.published)
        if article.excerpt:
            fe.summary(article.excerpt)
        fe.content(article_html(article), type="html")
        if article.provider is not None:
            fe.author({"name": article.provider.name, "uri": article.provider.url})
    return fe


# Entries are serialized once and reused by every feed that shows them (an article is in the
# site feed, its topics' and its provider's): a feed that misses the render cache then costs
# its header plus a join. The key holds everything an entry's bytes depend on.
_FRAGMENTS: dict[tuple[object, ...], bytes] = {}
FRAGMENT_LIMIT = 30_000
# What an entry's root element carries when serialized alone: the document root's namespaces,
# which the document already declares. Computed, not written down, so lxml's order is used.
_RSS_NS = {"media": MEDIA_NS, "dc": DC_NS, "atom": "http://www.w3.org/2005/Atom", "content": CONTENT_NS}
_ATOM_NS = {"media": MEDIA_NS, "dc": DC_NS}


def _opening(tag: str, nsmap: dict[str, str]) -> bytes:
    holder = etree.Element("holder", nsmap=nsmap)
    return bytes(etree.tostring(etree.SubElement(holder, tag))).removesuffix(b"/>")


_OPENINGS = {
    "rss": (_opening("item", _RSS_NS), b"<item", _RSS_NS),
    "atom": (_opening("entry", _ATOM_NS), b"<entry", _ATOM_NS),
}


def _fragment(spec: FeedSpec, article: Article, fmt: Format) -> bytes:
    topics = tuple(spec.topics_of(article))
    key = (fmt, article.digest, article.id, spec.urls.base, topics)
    found = _FRAGMENTS.get(key)
    if found is not None:
        return found
    fe = _entry(spec, article, fmt, topics)
    element = fe.rss_entry() if fmt == "rss" else fe.atom_entry()
    opening, tag, nsmap = _OPENINGS[fmt]
    holder = etree.Element("holder", nsmap=nsmap)
    holder.append(element)  # lxml moves the entry's namespaces onto the holder's prefixes
    raw = bytes(etree.tostring(element, encoding="UTF-8"))
    if not raw.startswith(opening):
        raise AssertionError(f"unexpected entry serialization: {raw[:120]!r}")
    found = tag + raw[len(opening) :]
    if len(_FRAGMENTS) >= FRAGMENT_LIMIT:
        _FRAGMENTS.clear()
    _FRAGMENTS[key] = found
    return found


def _document(spec: FeedSpec, fmt: Format) -> bytes:
    fg = _generator(spec, fmt)
    head = bytes(fg.rss_str(pretty=False) if fmt == "rss" else fg.atom_str(pretty=False))
    closing = b"</channel>" if fmt == "rss" else b"</feed>"
    before, found, after = head.rpartition(closing)
    if not found:
        raise AssertionError(f"no {closing!r} in the feed header")
    entries = b"".join(_fragment(spec, article, fmt) for article in spec.articles)
    return before + entries + closing + after + b"\n"


def render_rss(spec: FeedSpec) -> bytes:
    return _document(spec, "rss")


def render_atom(spec: FeedSpec) -> bytes:
    return _document(spec, "atom")
