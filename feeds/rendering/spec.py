"""One model of a feed, from which every format is written."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from operator import attrgetter
from typing import TypeVar

from ..lru import ByteLRU
from ..model import EPOCH_UTC, Article
from .urls import Format, Urls

EPOCH = EPOCH_UTC  # `updated` of a feed with no items: from no clock

_Entry = TypeVar("_Entry")
_PUBLISHED = attrgetter("published_us")


class EntryCache(ByteLRU[_Entry]):
    """An article's entry as one writer serialized it, reused by every feed that shows the
    article (the site feed, its topics' and its provider's): a feed that misses the render
    cache then costs its header plus a join. Keys hold everything an entry depends on; the
    least recently used entries go past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, sys.getsizeof)


def rfc822(when: datetime) -> str:
    """RFC 822 date with English names and no locale: `Tue, 24 Oct 2023 01:41:00 GMT`."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(62))  # a lookup costs a tenth of formatting ":02d"


def _year(year: int) -> str:
    return str(year) if year >= 1000 else f"{year:04d}"


def rfc822_us(us: int) -> str:
    """rfc822() of a time given as microseconds since 1970 (Article.published_us), the same text
    at a fifth of the cost: time.gmtime in place of a datetime, its timetuple and email.utils."""
    try:
        t = time.gmtime(us // 1_000_000)
    except (OverflowError, OSError, ValueError):  # a platform whose gmtime stops short of year 1 or 9999
        return rfc822(EPOCH + timedelta(microseconds=us))
    year, month, day, hour, minute, second, weekday = t[:7]
    two = _TWO_DIGITS
    clock = f"{two[hour]}:{two[minute]}:{two[second]}"
    return f"{_DAYS[weekday]}, {two[day]} {_MONTHS[month - 1]} {_year(year)} {clock} GMT"


def isoformat_us(us: int) -> str:
    """(EPOCH + us).isoformat() (`2023-10-24T01:41:00+00:00`, microseconds only when not zero),
    the same text without building a datetime."""
    seconds, fraction = divmod(us, 1_000_000)
    try:
        t = time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        return (EPOCH + timedelta(microseconds=us)).isoformat()
    year, month, day, hour, minute, second = t[:6]
    two = _TWO_DIGITS
    micro = f".{fraction:06d}" if fraction else ""
    return f"{_year(year)}-{two[month]}-{two[day]}T{two[hour]}:{two[minute]}:{two[second]}{micro}+00:00"


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """Everything a format writer needs; writers know nothing of HTTP or the index."""

    kind: str  # site, topic or provider
    slug: str
    title: str
    description: str
    urls: Urls
    articles: tuple[Article, ...]  # newest first, already cut to the limit
    topics_of: Callable[[Article], list[tuple[str, str]]]  # -> [(slug, display name)]
    site_title: str
    generator: str
    query: str = ""  # the canonical query string of this page (FeedQuery.canonical), "" for none
    first_query: str | None = None  # that of the first page (no cursor)
    next_query: str | None = None  # that of the next page, when there is one
    id_query: str = ""  # the filters alone (no limit, no cursor): part of the feed's Atom id
    hub: str | None = None  # the WebSub hub every format names
    ttl: int | None = None  # RSS <ttl>, minutes: the same as Cache-Control's max-age

    @property
    def updated(self) -> datetime:
        # the newest shown (the first, but for sort=heat)
        return max(self.articles, key=_PUBLISHED).published if self.articles else EPOCH

    def _url(self, fmt: Format, query: str) -> str:
        url = self.urls.feed(self.kind, self.slug, fmt)
        return f"{url}?{query}" if query else url

    def self_url(self, fmt: Format) -> str:
        return self._url(fmt, self.query)

    def first_url(self, fmt: Format) -> str | None:
        """RFC 5005's rel="first": the feed with the same filters, from its newest article."""
        return None if self.first_query is None else self._url(fmt, self.first_query)

    def next_url(self, fmt: Format) -> str | None:
        """RFC 5005's rel="next": the page after this one, None on the last."""
        return None if self.next_query is None else self._url(fmt, self.next_query)

    def feed_id(self) -> str:
        """The Atom id: one per feed (its filters), the same on every page and for every limit."""
        return self._url("atom", self.id_query)

    @property
    def html_url(self) -> str:
        return self.urls.page(self.kind, self.slug)
