"""RSS 2.0 and Atom 1.0: feedgen writes the feed header (the only module that imports it), we write the entries.

feedgen's traps (../FEED-NOTES.md) are handled here: dates default to now() and go through the
locale, entry links lose their attributes, media come wrapped in a group. Our feed extension
writes lastBuildDate from the data; entries are written directly (feedgen was too slow for
them, see _rss_item), so every attribute and date comes from the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..model import Article, Image
from .content import article_html, html_text
from .spec import EntryCache, FeedSpec, isoformat_us, rfc822, rfc822_us
from .urls import MEDIA_TYPES, Format

MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
_NAMESPACES = {"media": MEDIA_NS, "dc": DC_NS}


class _FeedExtension(BaseExtension):  # type: ignore[misc]
    """Feed-level fixes: namespaces, lastBuildDate written without the locale, and what feedgen
    leaves out of RSS: the hub's atom:link (WebSub) and <ttl>."""

    updated: datetime
    hub: str | None = None
    ttl: int | None = None
    paging: tuple[tuple[str, str], ...] = ()  # (rel, href): RFC 5005's first and next

    def extend_ns(self) -> dict[str, str]:
        return dict(_NAMESPACES)

    def extend_rss(self, feed: Any) -> Any:
        channel = feed.find("channel")
        build = etree.SubElement(channel, "lastBuildDate")
        build.text = rfc822(self.updated)
        if self.ttl is not None:
            etree.SubElement(channel, "ttl").text = str(self.ttl)
        if self.hub is not None:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=self.hub, rel="hub")
        for rel, href in self.paging:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=href, rel=rel)
        return feed

    def extend_atom(self, feed: Any) -> Any:
        if self.hub is not None:
            etree.SubElement(feed, f"{{{ATOM_NS}}}link", href=self.hub, rel="hub")
        for rel, href in self.paging:
            etree.SubElement(feed, f"{{{ATOM_NS}}}link", href=href, rel=rel)
        return feed


def _generator(spec: FeedSpec, fmt: Format) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("feeds", _FeedExtension)
    fg.feeds.updated = spec.updated
    fg.feeds.hub = spec.hub
    fg.feeds.ttl = spec.ttl
    first, after = spec.first_url(fmt), spec.next_url(fmt)
    fg.feeds.paging = ((("first", first),) if first else ()) + ((("next", after),) if after else ())
    fg.id(spec.feed_id() if fmt == "atom" else spec.html_url)  # one id per feed
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


# Entries are written here, not by feedgen: a FeedEntry plus its lxml serialization cost about
# 0.3 ms an entry, 15 ms for a 50-item feed, against a budget of 3 ms for a whole uncached feed
# with no entry rendered before. feedgen still writes the header (rendered once per feed). The
# bytes are exactly those feedgen + lxml gave (tests/test_entries.py holds this writer to an
# oracle, the old code): the same elements in the same order, unprefixed Atom elements under the
# header's default namespace, the prefixes the header declares, and lxml's escaping choices.


def _text(value: str) -> str:
    """Escape character data as lxml does: &, <, > and the carriage return (as &#13;).
    (Most text has none of them: four `in` tests cost a quarter of four replaces.)"""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def _attr(value: str) -> str:
    """Escape a double-quoted attribute value as lxml does: also the quote, newline, return and tab."""
    if not (
        "&" in value or "<" in value or ">" in value or '"' in value or "\n" in value or "\r" in value or "\t" in value
    ):
        return value
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


def _image_attrs(image: Image | None) -> tuple[str, str]:
    """An image's URL and MIME type as attribute values, worked out once for the two places
    each entry shows them."""
    return (_attr(image.url), _attr(image.mime_type)) if image is not None else ("", "")


def _media(image: Image, url: str, mime_type: str) -> str:
    """media:content and media:thumbnail, direct children of the entry (no media:group)."""
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    return f'<media:content url="{url}" medium="image" type="{mime_type}"{size}/><media:thumbnail url="{url}"{size}/>'


_SOURCES: dict[tuple[str, str], str] = {}  # (base URL, domain) -> <source> element start


def _source(spec: FeedSpec, domain: str) -> str:
    """`<source url="...">` for a provider's feed: the same few thousand strings for every entry."""
    key = (spec.urls.base, domain)
    found = _SOURCES.get(key)
    if found is None:
        if len(_SOURCES) >= 20_000:
            _SOURCES.clear()
        found = _SOURCES[key] = f'<source url="{_attr(spec.urls.feed("provider", domain, "rss"))}">'
    return found


def _rss_item(spec: FeedSpec, article: Article, topics: tuple[tuple[str, str], ...]) -> str:
    """An RSS <item>: feedgen's elements in its order, then those its extension added (pubDate on)."""
    detail = article.detail  # once: each Article property looks the packed text up again
    title, image, provider = detail.title, detail.image, article.provider
    url, mime_type = _image_attrs(image)
    guid = _text(article.id)
    parts = [f"<item><title>{_text(title)}</title><link>{guid}</link>" if title else f"<item><link>{guid}</link>"]
    html = _text(article_html(article, detail))
    # The description is HTML: the plain-text excerpt escaped as HTML, then as XML text.
    description = html_text(detail.excerpt or title)
    if description:
        parts.append(f"<description>{_text(description)}</description><content:encoded>{html}</content:encoded>")
    else:
        parts.append(f"<description>{html}</description>")
    parts.append(f'<guid isPermaLink="true">{guid}</guid>')
    for _, name in topics:
        parts.append(f"<category>{_text(name)}</category>")
    if image is not None:
        parts.append(f'<enclosure url="{url}" length="0" type="{mime_type}"/>')
    pub_date = rfc822_us(article.published_us)
    if provider is not None:
        name = _text(provider.name)
        parts.append(f"{_source(spec, provider.domain)}{name}</source><pubDate>{pub_date}</pubDate>")
        parts.append(f"<dc:creator>{name}</dc:creator>")
    else:
        parts.append(f"<pubDate>{pub_date}</pubDate>")
    if image is not None:
        parts.append(_media(image, url, mime_type))
    parts.append("</item>")
    return "".join(parts)


def _atom_entry(article: Article, topics: tuple[tuple[str, str], ...]) -> str:
    """An Atom <entry>: feedgen's elements (its alternate link bare: feedgen drops link attributes),
    then those its extension added, with every attribute: enclosure, related links and media."""
    detail = article.detail
    image, provider = detail.image, article.provider
    url, mime_type = _image_attrs(image)
    when = isoformat_us(article.published_us)
    parts = [f"<entry><id>{_text(article.id)}</id><title>{_text(detail.title)}</title><updated>{when}</updated>"]
    if provider is not None and provider.name:
        parts.append(f"<author><name>{_text(provider.name)}</name><uri>{_text(provider.url)}</uri></author>")
    html = article_html(article, detail)
    parts.append(f'<content type="html">{_text(html)}</content>' if html else '<content type="html"/>')
    parts.append(f'<link href="{_attr(article.id)}"/>')
    if detail.excerpt:
        parts.append(f"<summary>{_text(detail.excerpt)}</summary>")
    for slug, name in topics:
        label = f' label="{_attr(name)}"' if name else ""
        parts.append(f'<category term="{_attr(slug)}"{label}/>')
    parts.append(f"<published>{when}</published>")
    if image is not None:
        parts.append(f'<link rel="enclosure" href="{url}" type="{mime_type}" length="0"/>')
    for related in detail.related:
        parts.append(f'<link rel="related" href="{_attr(related.url)}" title="{_attr(related.title)}"/>')
    if image is not None:
        parts.append(_media(image, url, mime_type))
    parts.append("</entry>")
    return "".join(parts)


_FRAGMENTS: EntryCache[bytes] = EntryCache(6 << 20)  # see rendering.set_entry_cache_bytes
# The prefixes entries use, which only the header declares (feedgen always declares content:).
_DECLARATIONS = {
    "rss": (
        f'xmlns:media="{MEDIA_NS}"'.encode(),
        f'xmlns:dc="{DC_NS}"'.encode(),
        f'xmlns:content="{CONTENT_NS}"'.encode(),
    ),
    "atom": (
        b'xmlns="http://www.w3.org/2005/Atom"',
        f'xmlns:media="{MEDIA_NS}"'.encode(),
        f'xmlns:dc="{DC_NS}"'.encode(),
    ),
}


def _fragment(spec: FeedSpec, article: Article, fmt: Format) -> bytes:
    topics = tuple(spec.topics_of(article))

    def write() -> bytes:
        return (_rss_item(spec, article, topics) if fmt == "rss" else _atom_entry(article, topics)).encode()

    return _FRAGMENTS.get((fmt, article.digest, article.id, spec.urls.base, topics), write)


def _document(spec: FeedSpec, fmt: Format) -> bytes:
    fg = _generator(spec, fmt)
    head = bytes(fg.rss_str(pretty=False) if fmt == "rss" else fg.atom_str(pretty=False))
    closing = b"</channel>" if fmt == "rss" else b"</feed>"
    before, found, after = head.rpartition(closing)
    if not found or not all(declaration in before for declaration in _DECLARATIONS[fmt]):
        raise AssertionError(f"no {closing!r} or not every entry namespace in the feed header: {head[:300]!r}")
    entries = b"".join(_fragment(spec, article, fmt) for article in spec.articles)
    return before + entries + closing + after + b"\n"


def render_rss(spec: FeedSpec) -> bytes:
    return _document(spec, "rss")


def render_atom(spec: FeedSpec) -> bytes:
    return _document(spec, "atom")
