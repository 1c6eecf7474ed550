"""What a feed request asks for beyond its path: limit, filters, order and a paging cursor,
checked once (FeedQuery.from_args), written back in one canonical form, and applied to groups."""

from __future__ import annotations

import base64
import binascii
import heapq
import math
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import accumulate, islice
from typing import NamedTuple
from urllib.parse import quote

from .index import Group
from .model import Article, micros, search_text

PARAMETERS = ("cursor", "limit", "min_quality", "provider", "q", "since", "sort")  # sorted: the canonical order
MAX_TOPICS = 8  # topics in one combined feed
MAX_Q_WORDS = 8
MAX_Q_CHARS = 200
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*")


class QueryError(ValueError):
    """One parameter with a value we cannot use: `param: expected ..., got ...`."""

    def __init__(self, param: str, expected: str, got: str) -> None:
        shown = got if len(got) <= 40 else got[:39] + "…"
        super().__init__(f"{param}: expected {expected}, got {shown!r}")
        self.param = param


class Cursor(NamedTuple):
    """Where a page starts: just after the article with this sort position."""

    published_us: int
    id: str
    heat: float | None = None  # only under sort=heat

    def encode(self) -> str:
        parts = [str(self.published_us), self.id]
        if self.heat is not None:
            parts.insert(0, repr(self.heat))
        raw = "\n".join(parts).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_cursor(raw: str, heat: bool) -> Cursor:
    expected = "a cursor from a next link of this feed"
    if not raw or len(raw) > 4096 or not re.fullmatch(r"[A-Za-z0-9_-]+", raw):
        raise QueryError("cursor", expected, raw)
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise QueryError("cursor", expected, raw) from None
    parts = text.split("\n")
    try:
        if heat and len(parts) == 3:
            value = float(parts[0])
            cursor = Cursor(int(parts[1]), parts[2], value if math.isfinite(value) else None)
        elif not heat and len(parts) == 2:
            cursor = Cursor(int(parts[0]), parts[1])
        else:
            raise ValueError(raw)
    except ValueError:
        raise QueryError("cursor", expected, raw) from None
    if (heat and cursor.heat is None) or not cursor.id.startswith(("http://", "https://")) or cursor.encode() != raw:
        raise QueryError("cursor", expected, raw)
    return cursor


def _parse_since(raw: str) -> int:
    expected = "an ISO 8601 date or date-time (2026-11-30, 2026-11-30T09:00:00Z)"
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        elif 16 <= len(raw) <= 40 and raw[10:11] in ("T", "t", " "):
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
        else:
            raise ValueError(raw)
        return micros(when.astimezone(UTC))
    except (ValueError, OverflowError):
        raise QueryError("since", expected, raw) from None


def _since_text(us: int) -> str:
    seconds, fraction = divmod(us, 1_000_000)
    when = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return when + (f".{fraction:06d}" if fraction else "") + "Z"


def _words(raw: str) -> tuple[str, ...]:
    if len(raw) > MAX_Q_CHARS:
        raise QueryError("q", f"at most {MAX_Q_CHARS} characters", raw)
    words = tuple(sorted(set(raw.casefold().split())))
    if len(words) > MAX_Q_WORDS:
        raise QueryError("q", f"at most {MAX_Q_WORDS} words", raw)
    return words


class FeedQuery(NamedTuple):
    """A feed request's parameters, valid and normalised; its canonical query string is part of
    the feed's self link and of its render-cache key. Unknown parameters never get here."""

    limit: int
    explicit_limit: bool = False  # ?limit= given: kept in the self link, as before filters
    q: tuple[str, ...] = ()  # casefolded words, sorted, each must appear in the title or excerpt
    since_us: int | None = None  # articles published at or after
    min_quality: int = 0  # an article without quality counts as 0
    heat: bool = False  # sort=heat: hottest first, then newest
    provider: str | None = None  # a domain
    cursor: Cursor | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], default_limit: int, max_limit: int) -> FeedQuery:
        """Request arguments -> a FeedQuery; QueryError naming the first parameter that is wrong."""
        limit, explicit = default_limit, False
        raw = args.get("limit")
        if raw is not None:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= max_limit:
                raise QueryError("limit", f"a whole number from 1 to {max_limit}", raw)
            limit, explicit = int(raw), True
        raw = args.get("q")
        q = _words(raw) if raw is not None else ()
        raw = args.get("since")
        since = _parse_since(raw) if raw is not None else None
        min_quality = 0
        raw = args.get("min_quality")
        if raw is not None:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or int(raw) > 100:
                raise QueryError("min_quality", "a whole number from 0 to 100", raw)
            min_quality = int(raw)
        heat = False
        raw = args.get("sort")
        if raw is not None:
            if raw not in ("heat", "newest"):
                raise QueryError("sort", "'heat' (hottest first) or 'newest' (the default)", raw)
            heat = raw == "heat"
        provider = None
        raw = args.get("provider")
        if raw is not None:
            domain = raw.lower()
            if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
                raise QueryError("provider", "a domain such as digitimes.com", raw)
            provider = domain
        raw = args.get("cursor")
        cursor = _decode_cursor(raw, heat) if raw is not None else None
        return cls(limit, explicit, q, since, min_quality, heat, provider, cursor)

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.since_us is not None or self.min_quality or self.heat or self.provider)

    def pairs(self, *, cursor: bool = True, limit: bool = True) -> list[tuple[str, str]]:
        """(name, value) of each parameter that is not its default, in name order."""
        out: list[tuple[str, str]] = []
        if cursor and self.cursor is not None:
            out.append(("cursor", self.cursor.encode()))
        if limit and self.explicit_limit:
            out.append(("limit", str(self.limit)))
        if self.min_quality:
            out.append(("min_quality", str(self.min_quality)))
        if self.provider:
            out.append(("provider", self.provider))
        if self.q:
            out.append(("q", " ".join(self.q)))
        if self.since_us is not None:
            out.append(("since", _since_text(self.since_us)))
        if self.heat:
            out.append(("sort", "heat"))
        return out

    def canonical(self, *, cursor: bool = True, limit: bool = True) -> str:
        """The canonical query string, without its `?`: sorted, defaults dropped ("" when none)."""
        return "&".join(f"{name}={quote(value, safe=':')}" for name, value in self.pairs(cursor=cursor, limit=limit))

    def describe(self) -> str:
        """What the filter is, for the feed title: `zebra, hottest first`."""
        parts: list[str] = []
        if self.q:
            parts.append(" ".join(self.q))
        if self.provider:
            parts.append(f"from {self.provider}")
        if self.since_us is not None:
            parts.append(f"since {_since_text(self.since_us)}")
        if self.min_quality:
            parts.append(f"quality {self.min_quality}+")
        if self.heat:
            parts.append("hottest first")
        return ", ".join(parts)

    def after(self, article: Article) -> Cursor:
        """The cursor of the page that follows one ending with `article`."""
        return Cursor(article.published_us, article.id, float(article.heat or 0.0) if self.heat else None)


def _newest_key(article: Article) -> tuple[int, str]:
    return (-article.published_us, article.id)


def _heat_key(article: Article) -> tuple[float, int, str]:
    return (-(article.heat or 0.0), -article.published_us, article.id)


def _start(group: Group, now: float, after: tuple[int, str] | None) -> int:
    """Index of the first visible article of a group that sorts after `after` (newest first)."""
    start = group.first_visible(now)
    return start if after is None else max(start, bisect_right(group.articles, after, key=_newest_key))


def _union(groups: Sequence[Group], now: float, after: tuple[int, str] | None) -> Iterator[Article]:
    """The visible articles of several groups, newest first, each once; only those that sort
    after `after` (a page's start, found by bisection, not by a scan)."""
    starts = [_start(g, now, after) for g in groups]
    if len(groups) == 1:
        yield from islice(groups[0].articles, starts[0], None)
        return
    streams = [islice(g.articles, s, None) for s, g in zip(starts, groups, strict=True)]
    last = None
    for article in heapq.merge(*streams, key=_newest_key):
        if article.id != last:
            last = article.id
            yield article


class _Texts(NamedTuple):
    """A group's search text in one bytes: each article's search_text, UTF-8, then a NUL."""

    articles: tuple[Article, ...]  # the group's, whose id()s the matches are: the very objects
    blob: bytes
    ends: array[int]  # the offset just past each article's text (its NUL), in the group's order


_TEXTS: dict[tuple[str, str, str], _Texts] = {}
_TEXT_BYTES = 12 << 20  # all kept texts: 150 B an article at 80,000 (the 1.5 KB target); a bigger group is scanned


def _texts(group: Group) -> _Texts | None:
    """The search text of a group, built once per data version (an inflate per article), kept
    within _TEXT_BYTES; None for a group too big to keep."""
    key = (group.kind, group.slug, group.digest)
    found = _TEXTS.get(key)
    if found is None or found.articles is not group.articles:  # (another index with the same data)
        parts = [search_text(article.packed).encode() + b"\0" for article in group.articles]
        ends = array("q", accumulate(map(len, parts)))
        size = ends[-1] if ends else 0
        if size > _TEXT_BYTES:
            return None
        if size + sum(len(t.blob) for t in _TEXTS.values()) > _TEXT_BYTES:
            _TEXTS.clear()
        found = _TEXTS[key] = _Texts(group.articles, b"".join(parts), ends)
    return found


def _containing(group: Group, words: tuple[str, ...]) -> set[int] | None:
    """id() of each article of the group whose search text holds every word (found with
    bytes.find over the group's text, a C loop, so a word in no article costs one pass);
    None when the group's text is not kept."""
    texts = _texts(group)
    if texts is None:
        return None
    blob, ends = texts.blob, texts.ends
    hits: set[int] | None = None
    for word in words:
        needle = word.encode()
        found: set[int] = set()
        at = blob.find(needle)
        while at >= 0:
            n = bisect_right(ends, at)
            if at + len(needle) < ends[n]:  # inside the article's text, not across its NUL
                found.add(n)
                at = blob.find(needle, ends[n])
            else:
                at = blob.find(needle, at + 1)
        hits = found if hits is None else hits & found
        if not hits:
            break
    articles = group.articles
    return {id(articles[n]) for n in hits or ()}


def _walk(texts: _Texts, words: tuple[str, ...], start: int) -> Iterator[Article]:
    """The articles from index `start` on, in the group's order, whose kept text holds every
    word: for each word its next occurrence (bytes.find), and a jump to the furthest one's
    article until all are in one. A word in no article ends it at once; a page stops it early."""
    blob, ends, articles = texts.blob, texts.ends, texts.articles
    needles = [word.encode() for word in words]
    n, count = start, len(ends)
    while n < count:
        lo = ends[n - 1] if n else 0
        far = n
        for needle in needles:
            at = blob.find(needle, lo)
            while at >= 0:
                m = bisect_right(ends, at, n)
                if at + len(needle) < ends[m]:  # inside article m's text, not across its NUL
                    break
                at = blob.find(needle, at + 1)
            if at < 0:
                return
            far = max(far, m)
        if far == n:
            yield articles[n]
            n += 1
        else:
            n = far


def _matcher(query: FeedQuery, groups: Sequence[Group], words_done: bool = False) -> Callable[[Article], bool] | None:
    """A test of one article against the filters, None when there are none to apply."""
    words, quality, provider = () if words_done else query.q, query.min_quality, query.provider
    if not (words or quality or provider):
        return None
    allowed: set[int] | None = None
    if words:
        for group in groups:
            found = _containing(group, words)
            if found is None:
                allowed = None
                break
            allowed = found if allowed is None else allowed | found
    scan = bool(words) and allowed is None

    def matches(article: Article) -> bool:
        if allowed is not None and id(article) not in allowed:
            return False
        if provider is not None and (article.provider is None or article.provider.domain != provider):
            return False
        if quality and (article.quality or 0) < quality:
            return False
        if scan:
            text = search_text(article.packed)
            return all(word in text for word in words)
        return True

    return matches


_RANKED: dict[tuple[str, str, str, int], tuple[tuple[Article, ...], tuple[Article, ...]]] = {}
_RANKED_GROUPS = 8  # bounded: each holds a pointer per article of its group (280 KB for 35,000)


def _hottest(group: Group, now: float) -> tuple[Article, ...]:
    """A group's visible articles hottest first, sorted once per group and data version (a sort of
    35,000 articles costs about 100 ms; a page of them, with the order kept, well under 1 ms)."""
    start = group.first_visible(now)
    key = (group.kind, group.slug, group.digest, start)
    found = _RANKED.get(key)
    if found is None or found[0] is not group.articles:  # (another index with the same data)
        if len(_RANKED) >= _RANKED_GROUPS:
            _RANKED.clear()
        found = _RANKED[key] = (group.articles, tuple(sorted(group.articles[start:], key=_heat_key)))
    return found[1]


def select(groups: Sequence[Group], query: FeedQuery, now: float) -> tuple[tuple[Article, ...], Cursor | None]:
    """The articles one page of the feed shows and the cursor of the next page (None on the last)."""
    cursor, since, limit = query.cursor, query.since_us, query.limit
    stream: Iterable[Article]
    texts = None
    if query.heat:
        ranked = _hottest(groups[0], now) if len(groups) == 1 else sorted(_union(groups, now, None), key=_heat_key)
        start = 0
        if cursor is not None:
            start = bisect_right(ranked, (-(cursor.heat or 0.0), -cursor.published_us, cursor.id), key=_heat_key)
        stream = islice(ranked, start, None)
        if since is not None:
            stream = (article for article in stream if article.published_us >= since)
    else:
        after = None if cursor is None else (-cursor.published_us, cursor.id)
        texts = _texts(groups[0]) if query.q and len(groups) == 1 else None
        if texts is not None:  # one group in its own order: walk its kept text, page by page
            stream = _walk(texts, query.q, _start(groups[0], now, after))
        else:
            stream = _union(groups, now, after)
        if since is not None:  # newest first: everything after the first older one is older too
            stream = _until_older(stream, since)
    matches = _matcher(query, groups, words_done=texts is not None)
    if matches is not None:
        stream = filter(matches, stream)
    page = list(islice(stream, limit + 1))
    shown = tuple(page[:limit])
    more = len(page) > limit and bool(shown)
    return shown, (query.after(shown[-1]) if more else None)


def _until_older(stream: Iterable[Article], since: int) -> Iterator[Article]:
    for article in stream:
        if article.published_us < since:
            return
        yield article


__all__ = ["MAX_TOPICS", "PARAMETERS", "Cursor", "FeedQuery", "QueryError", "select"]
