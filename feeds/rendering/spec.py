"""One model of a feed, from which every format is written."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Generic, TypeVar

from ..model import EPOCH_UTC, Article
from .urls import Format, Urls

EPOCH = EPOCH_UTC  # `updated` of a feed with no items: from no clock

_Entry = TypeVar("_Entry")


class EntryCache(Generic[_Entry]):
    """An article's entry as one writer serialized it, reused by every feed that shows the
    article (the site feed, its topics' and its provider's): a feed that misses the render
    cache then costs its header plus a join. Keys hold everything an entry depends on; at
    `limit` entries the cache starts again empty (no order to keep, nothing to evict one by one)."""

    def __init__(self, limit: int = 30_000) -> None:
        self.limit = limit
        self._entries: dict[Hashable, _Entry] = {}

    def get(self, key: Hashable, make: Callable[[], _Entry]) -> _Entry:
        found = self._entries.get(key)
        if found is None:
            found = make()
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = found
        return found

    def clear(self) -> None:
        self._entries.clear()


def rfc822(when: datetime) -> str:
    """RFC 822 date with English names and no locale: `Tue, 24 Oct 2023 01:41:00 GMT`."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
    limit: int | None = None  # set when the request chose a limit: part of the self URL

    @property
    def updated(self) -> datetime:
        return self.articles[0].published if self.articles else EPOCH

    def self_url(self, fmt: Format) -> str:
        url = self.urls.feed(self.kind, self.slug, fmt)
        return f"{url}?limit={self.limit}" if self.limit is not None else url

    @property
    def html_url(self) -> str:
        return self.urls.page(self.kind, self.slug)
