"""What a feed request asks for beyond its path: limit, filters, order and a paging cursor,
checked once (FeedQuery.from_args), written back in one canonical form, and applied to groups."""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import heapq
import math
import re
import sys
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import accumulate, chain, compress, count, islice, repeat
from operator import add, attrgetter, eq, getitem, gt, setitem
from types import MappingProxyType
from typing import Any, NamedTuple
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


_PACKED = attrgetter("packed")
_QUALITY = attrgetter("quality")
_PROVIDER = attrgetter("provider")


# Byte maps and bit maps -------------------------------------------------------------------------
#
# Filters are maps with a byte a position (1: kept), read by C loops (itertools.compress, map with
# operator.getitem), so testing an article costs no Python call. A token many articles hold keeps
# its map as bits (an eighth of the size); _spread and _packed turn one form into the other with
# big-int operations, also in C.

_SPREAD = tuple(bytes((byte >> bit) & 1 for bit in range(8)) for byte in range(256))


def _byte_map(positions: Iterable[int], size: int) -> bytearray:
    found = bytearray(size)
    deque(map(setitem, repeat(found), positions, repeat(1)), 0)
    return found


def _packed(byte_map: bytes | bytearray) -> bytes:
    """A byte map (0 or 1 a byte) as bits: bit k of byte j is position 8j + k."""
    bits = 0
    for k in range(8):  # no carry: each byte of a slice is 0 or 1, shifted by at most 7
        bits |= int.from_bytes(byte_map[k::8], "little") << k
    return bits.to_bytes((len(byte_map) + 7) // 8, "little")


def _spread(bits: int, size: int) -> bytearray:
    """Bits (an int, bit n for position n) as a byte map of `size` positions."""
    spread = b"".join(map(getitem, repeat(_SPREAD), bits.to_bytes((size + 7) // 8, "little")))
    return bytearray(spread[:size])


# The words index: what `q` looks in ---------------------------------------------------------------
#
# One index for every group (site, topic, provider, combined), built in each worker on the first `q`
# and added to as articles arrive. Each article indexed has an ordinal; each token (a run of
# characters between ASCII spaces in an article's case-folded title and excerpt, UTF-8) is kept
# once, with the ordinals of the articles holding it: an array, or bits when many do. A q word has
# no spaces, so it is in an article's text exactly when it is in one of its tokens: the articles
# holding it are those of the tokens that contain it (a bytes.find over the tokens, a C loop).

_RECENT = 2048  # articles indexed by their text alone (each q reads them) until a merge into the tokens
_TOKENS_MAX = 4096  # a word in more tokens than this is checked in each article's text instead
_BITS = 32  # a token held by at least 1/32 of the articles keeps bits (smaller than 4-byte ordinals)
_CHURN = 4  # start again once a quarter of what is indexed may be articles since changed or removed
_RARE = 128  # a q held by fewer than 1/128 of the articles: the group's are listed, not walked
_BYTES_PER_ARTICLE = 512  # past this (and _BYTES_FLOOR) the index is dropped: `q` reads each article's text
_BYTES_FLOOR = 8 << 20


class _Postings(NamedTuple):
    """The index at one moment, replaced whole (a reader never sees half of a merge)."""

    tokens: bytes = b""  # every token once, a NUL after each
    ends: array[int] = array("I")  # where each token's NUL is
    starts: array[int] = array("I", [0])  # token i's ordinals: ordinals[starts[i]:starts[i + 1]]
    ordinals: array[int] = array("I")
    bits: Mapping[int, bytes] = MappingProxyType({})  # token -> its articles as bits (none in ordinals)
    merged: int = 0  # articles in the tokens, ordinals 0 to merged - 1
    recent: tuple[bytes, ...] = ()  # the texts of the articles after those: ordinals merged, merged + 1, ...

    @property
    def nbytes(self) -> int:
        """Bytes held (an estimate of the objects' own: their contents, plus 80 a recent text)."""
        arrays = 4 * (len(self.ends) + len(self.starts) + len(self.ordinals))
        bits = sum(map(len, self.bits.values())) + 80 * len(self.bits)
        return len(self.tokens) + arrays + bits + sum(map(len, self.recent)) + 80 * len(self.recent)

    def tokens_with(self, needle: bytes) -> list[int] | None:
        """The tokens that contain `needle` (not across a NUL); None past _TOKENS_MAX of them."""
        tokens, ends = self.tokens, self.ends
        found: list[int] = []
        at = tokens.find(needle)
        while at >= 0:
            i = bisect_left(ends, at)
            if at + len(needle) <= ends[i]:
                found.append(i)
                if len(found) > _TOKENS_MAX:
                    return None
                at = tokens.find(needle, ends[i] + 1)
            else:
                at = tokens.find(needle, at + 1)
        return found

    def holding(self, word: str) -> bytearray | None:
        """A byte an ordinal, 1 for each article whose text holds the word; None when the word is
        in more than _TOKENS_MAX tokens."""
        needle = word.encode("utf-8", "surrogatepass")
        ids = self.tokens_with(needle)
        if ids is None:
            return None
        size = self.merged + len(self.recent)
        bits = 0
        for i in ids:
            if i in self.bits:
                bits |= int.from_bytes(self.bits[i], "little")
        found = _spread(bits, size) if bits else bytearray(size)
        starts = self.starts
        for i in ids:
            if starts[i] < starts[i + 1]:
                deque(map(setitem, repeat(found), self.ordinals[starts[i] : starts[i + 1]], repeat(1)), 0)
        for n, text in enumerate(self.recent, self.merged):
            if needle in text:
                found[n] = 1
        return found

    def matching(self, words: tuple[str, ...]) -> _Held:
        found: int | None = None
        unchecked: list[str] = []
        for word in words:
            holding = self.holding(word)
            if holding is None:
                unchecked.append(word)
                continue
            these = int.from_bytes(holding, "little")
            found = these if found is None else found & these
            if not found:
                break
        if found is None:
            return _Held(None, 0, tuple(unchecked))
        return _Held(found.to_bytes(self.merged + len(self.recent), "little"), found.bit_count(), tuple(unchecked))


class _Held(NamedTuple):
    """What the index tells of a q's words."""

    map: bytes | None  # a byte an ordinal: 1 where the article holds every word the index answers for
    held: int  # how many do
    unchecked: tuple[str, ...]  # words it does not answer for (each in too many tokens): read each text


def _merged(postings: _Postings, texts: Iterable[bytes]) -> _Postings:
    """The index with these texts in its tokens (ordinals from postings.merged on), recent included."""
    added: dict[bytes, array[int]] = {}
    total = postings.merged
    for text in chain(postings.recent, texts):
        for token in set(text.split()):
            found = added.get(token)
            if found is None:
                found = added[token] = array("I")
            found.append(total)
        total += 1
    tokens = postings.tokens.split(b"\0")[:-1]
    old, starts, old_bits = postings.ordinals, postings.starts, postings.bits
    ordinals = array("I")
    new_starts = array("I", [0])
    bits: dict[int, bytes] = {}
    size8 = (total + 7) // 8 * 8

    def keep(i: int, held: array[int], more: array[int] | None) -> None:
        if i in old_bits and more is None:
            bits[i] = old_bits[i]
        elif i in old_bits or (len(held) + len(more or ())) * _BITS >= total:
            map_ = int.from_bytes(old_bits.get(i, b""), "little")
            map_ |= int.from_bytes(_packed(_byte_map(chain(held, more or ()), size8)), "little")
            bits[i] = map_.to_bytes(size8 // 8, "little")
        else:
            ordinals.extend(held)
            if more is not None:
                ordinals.extend(more)
        new_starts.append(len(ordinals))

    for i, token in enumerate(tokens):
        keep(i, old[starts[i] : starts[i + 1]], added.pop(token, None))
    for token, more in added.items():
        keep(len(tokens), array("I"), more)
        tokens.append(token)
    ends = array("I", (end - 1 for end in accumulate(len(token) + 1 for token in tokens)))
    joined = b"\0".join(tokens) + b"\0" if tokens else b""
    return _Postings(joined, ends, new_starts, ordinals, MappingProxyType(bits), total)


_EPOCHS = count()


class _Words:
    """The words index of this process and what it holds (changed under _WORDS_LOCK only)."""

    def __init__(self) -> None:
        self.epoch = next(_EPOCHS)  # each index its own: ordinals of another epoch mean nothing here
        self.postings = _Postings()
        self.hashes = array("q")  # hash(packed) of the article of each ordinal (the same text, the same hash)
        self.seen: dict[tuple[str, str], str] = {}  # group -> the digest last indexed
        self.churn = 0  # articles indexed for groups seen before with other articles
        self.off = False  # past _BYTES_PER_ARTICLE: q reads each article's text

    def add(self, articles: list[Article]) -> None:
        """Index these articles (ordinals from len(hashes) on): their texts kept as they are while
        they are few, else merged into the tokens."""
        postings = self.postings
        texts = (search_text(a.packed).encode() for a in articles)
        if len(postings.recent) + len(articles) <= _RECENT:
            postings = postings._replace(recent=postings.recent + tuple(texts))
        else:
            postings = _merged(postings, texts)
        self.hashes.extend(hash(a.packed) for a in articles)
        held = postings.nbytes + self.hashes.itemsize * len(self.hashes)
        if held > _BYTES_FLOOR and held > _BYTES_PER_ARTICLE * len(self.hashes):
            self.postings, self.hashes, self.off = _Postings(), array("q"), True
        else:
            self.postings = postings


_WORDS = _Words()
_WORDS_LOCK = threading.Lock()


# Columns: what filtering a group takes beyond its articles -----------------------------------------


class _QualityByte(dict[float | None, int]):
    """An article's quality -> a byte, whole, 0 to 100 (none: 0): the same floats recur, so a
    dict lookup in C for nearly all; another value is worked out (and not kept)."""

    def __missing__(self, quality: float | None) -> int:
        return int(min(100.0, max(0.0, quality or 0.0)))


_QUALITY_BYTE = _QualityByte({float(v): v for v in range(101)})
_QUALITY_BYTE[None] = 0


class _Columns:
    """One group version's columns, each built on first need: where each article is in the words
    index, its quality, the positions of each provider's articles, the heat order."""

    __slots__ = ("articles", "domains", "hot", "indexed", "previous", "providers", "quality", "rank")

    def __init__(self, articles: tuple[Article, ...]) -> None:
        self.articles = articles
        self.indexed: tuple[int, array[int]] | None = None  # (words epoch, each article's ordinal)
        self.previous: tuple[tuple[Article, ...], tuple[int, array[int]]] | None = None  # the last indexed
        self.quality: bytes | None = None  # each article's quality, whole, 0 to 100 (none: 0)
        self.domains: tuple[str | None, ...] | None = None  # each article's provider's domain
        self.providers: dict[str, array[int]] = {}  # domain -> its positions, ascending (those asked)
        self.hot: tuple[int, array[int]] | None = None  # (first visible, their positions hottest first)
        self.rank: array[int] | None = None  # each position's rank in that order (when asked)

    @property
    def size(self) -> int:
        """Articles whose columns this holds (the previous version's too)."""
        return len(self.articles) + (len(self.previous[0]) if self.previous else 0)

    def quality_map(self, at_least: int) -> bytes:
        """A byte a position: 1 where the article's quality is at least `at_least` (1 to 100)."""
        if self.quality is None:
            self.quality = bytes(map(_QUALITY_BYTE.__getitem__, map(_QUALITY, self.articles)))
        return self.quality.translate(bytes(int(v >= at_least) for v in range(256)))

    def of_provider(self, domain: str) -> array[int]:
        """The positions of the provider's articles, ascending."""
        if self.domains is None:
            self.domains = tuple(map(getattr, map(_PROVIDER, self.articles), repeat("domain"), repeat(None)))
            self.providers = {}
        found = self.providers.get(domain)
        if found is None:
            if len(self.providers) >= 64:
                self.providers.clear()
            found = array("I", compress(count(), map(eq, repeat(domain), self.domains)))
            self.providers[domain] = found
        return found

    def hottest(self, start: int) -> array[int]:
        """Positions of the visible articles (from `start`) hottest first: sorted once per group
        version (35,000 articles: about 60 ms); a page then is a bisection and a slice."""
        if self.hot is None or self.hot[0] != start:
            keys = list(map(_heat_key, islice(self.articles, start, None)))
            order = sorted(range(len(keys)), key=keys.__getitem__)
            self.hot = (start, array("I", map(add, order, repeat(start))))
            self.rank = None
        return self.hot[1]

    def hotter(self, positions: Iterable[int], start: int) -> array[int]:
        """These positions (visible ones) in the heat order, by their rank in it."""
        order = self.hottest(start)
        if self.rank is None:
            rank = array("I", bytes(4 * len(self.articles)))
            deque(map(setitem, repeat(rank), order, range(len(order))), 0)
            self.rank = rank
        return array("I", sorted(positions, key=self.rank.__getitem__))


_COLUMNS: dict[tuple[str, str], _Columns] = {}  # (kind, slug) -> its latest version's
_COLUMNS_ARTICLES = 1 << 18  # the columns of groups of this many articles in all, at most


def _columns(group: Group) -> _Columns:
    key = (group.kind, group.slug)
    found = _COLUMNS.get(key)
    if found is None or found.articles is not group.articles:
        old = _COLUMNS.pop(key, None)
        if sum(c.size for c in _COLUMNS.values()) + len(group.articles) > _COLUMNS_ARTICLES:
            _COLUMNS.clear()
        found = _COLUMNS[key] = _Columns(group.articles)
        if old is not None:  # the last version indexed: where the new one's ordinals come from
            found.previous = old.previous if old.indexed is None else (old.articles, old.indexed)
    return found


def _indexed(groups: Sequence[tuple[Group, _Columns]]) -> tuple[_Postings, list[array[int]]] | None:
    """The words index with every article of these groups in it, and each group's ordinals; None
    when the index is off."""
    words = _WORDS
    found = [c.indexed for _, c in groups]
    if not words.off and all(f is not None and f[0] == words.epoch for f in found):
        return words.postings, [f[1] for f in found if f is not None]
    with _WORDS_LOCK:
        return _cover(groups)


def _cover(groups: Sequence[tuple[Group, _Columns]]) -> tuple[_Postings, list[array[int]]] | None:
    global _WORDS
    words = _WORDS
    todo = [(g, c) for g, c in groups if c.indexed is None or c.indexed[0] != words.epoch]
    if todo and not words.off:
        held, new = _ordinals(words, todo)
        if new and any(words.seen.get((g.kind, g.slug), g.digest) != g.digest for g, _ in todo):
            words.churn += len(new)  # (articles added count too: a bound on those replaced)
            if words.churn * _CHURN > len(words.hashes):
                words = _WORDS = _Words()
                held, new = _ordinals(words, todo)
        ordinal = {h: n for n, h in enumerate(new, len(words.hashes))}
        if new:
            words.add(list(new.values()))
        for (group, columns), these in zip(todo, held, strict=True):
            for n in compress(count(), map(eq, repeat(_MISSING), these)):
                these[n] = ordinal[hash(group.articles[n].packed)]
            columns.indexed, columns.previous = (words.epoch, these), None
            words.seen[(group.kind, group.slug)] = group.digest
        if len(new) > _RECENT:
            del held, new, ordinal
            _release_free_memory()  # what building took and freed (texts, tokens, ints): about 100 B an article
    if words.off:
        return None
    return words.postings, [c.indexed[1] for _, c in groups if c.indexed is not None]


_MISSING = 0xFFFFFFFF  # (in a column of ordinals being made: an article not indexed yet)


def _ordinals(words: _Words, groups: list[tuple[Group, _Columns]]) -> tuple[list[array[int]], dict[int, Article]]:
    """Each group's column of ordinals, _MISSING where the article is not indexed yet, and those
    articles (by hash(packed): each text once). A group's last version indexed tells most of its
    articles (the same objects) in a few ms; a group seen first, or much changed, looks each one
    up among the hashes of every article indexed (a dict of them all, 40 ms at 80,000)."""
    ordinal: dict[int, int] | None = None
    hashes: bytes | None = None
    made: list[array[int]] = []
    new: dict[int, Article] = {}
    for group, columns in groups:
        articles, previous = group.articles, columns.previous
        if previous is not None and previous[1][0] == words.epoch:
            these = _derived(previous[0], previous[1][1], articles)
            missing = list(compress(count(), map(eq, repeat(_MISSING), these)))
            if len(missing) <= 64:
                hashes = words.hashes.tobytes() if hashes is None else hashes
                for n in missing:  # an article new to the group may be indexed for another
                    these[n] = _find_hash(hashes, hash(articles[n].packed))
                made.append(these)
                continue
        if ordinal is None:
            ordinal = dict(zip(words.hashes, count()))
        made.append(array("I", map(ordinal.get, map(hash, map(_PACKED, articles)), repeat(_MISSING))))
    for (group, _), these in zip(groups, made, strict=True):
        for n in compress(count(), map(eq, repeat(_MISSING), these)):
            new.setdefault(hash(group.articles[n].packed), group.articles[n])
    return made, new


def _derived(was: tuple[Article, ...], ordinals: array[int], articles: tuple[Article, ...]) -> array[int]:
    """The ordinals of `articles` from those of the group's last version indexed (`was`): the
    same objects at the start and at the end (the longest runs whose ids' bytes are equal, found
    by bisection), a dict of ids for those between; _MISSING for an article `was` did not hold."""
    old, new = array("Q", map(id, was)).tobytes(), array("Q", map(id, articles)).tobytes()
    shorter = min(len(was), len(articles))
    lo, hi = 0, shorter
    while lo < hi:  # the longest run alike at the start
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if old[: 8 * mid] == new[: 8 * mid] else (lo, mid - 1)
    head = lo
    lo, hi = 0, shorter - head
    while lo < hi:  # and at the end
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if old[len(old) - 8 * mid :] == new[len(new) - 8 * mid :] else (lo, mid - 1)
    old_end, new_end = len(was) - lo, len(articles) - lo
    where = dict(zip(map(id, was[head:old_end]), ordinals[head:old_end], strict=True))
    made = ordinals[:head]
    made.extend(map(where.get, map(id, articles[head:new_end]), repeat(_MISSING)))
    made.extend(ordinals[old_end:])
    return made


def _find_hash(hashes: bytes, value: int) -> int:
    """The ordinal whose hash is `value` (hashes: the array's bytes), or _MISSING."""
    needle = value.to_bytes(8, sys.byteorder, signed=True)
    at = hashes.find(needle)
    while at >= 0 and at % 8:
        at = hashes.find(needle, at + 1)
    return _MISSING if at < 0 else at // 8


def _release_free_memory() -> None:
    """Hand freed heap back to the system (glibc keeps it otherwise), as catalog does after a start."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _holds(words: tuple[str, ...]) -> Callable[[Article], bool]:
    def holds(article: Article) -> bool:
        text = search_text(article.packed)
        return all(word in text for word in words)

    return holds


# Picking a page --------------------------------------------------------------------------------


def _stream(
    group: Group,
    columns: _Columns,
    query: FeedQuery,
    now: float,
    words: bytes | None,
    ordinals: array[int] | None,
    rare: bool = False,
) -> Iterator[Article]:
    """The group's articles the query keeps, in its order, from its cursor on. First the positions
    to look at: newest first a range (start:end), or under sort=heat the heat order; narrowed to
    a list when a filter keeps few (a provider's articles, those a rare q word is in, those since a
    recent date). Then each other filter is a column read at those positions, all in C loops, and
    an article is touched (a cache miss each) only once kept."""
    articles, cursor, since = group.articles, query.cursor, query.since_us
    start = group.first_visible(now)
    if cursor is not None and not query.heat:
        start = max(start, bisect_right(articles, (-cursor.published_us, cursor.id), key=_newest_key))
    end = len(articles) if since is None else bisect_left(articles, (1 - since, ""), key=_newest_key)
    few: Sequence[int] | None = None  # positions in start:end that the narrowing filters keep, ascending
    if query.provider is not None:
        ones = columns.of_provider(query.provider)
        few = ones[bisect_left(ones, start) : bisect_left(ones, end)]
    if words is not None and ordinals is not None and rare:
        if few is None:
            held = bytes(map(getitem, repeat(words), islice(ordinals, start, end)))
            few, hit = array("I"), held.find(1)
            while hit >= 0:
                few.append(start + hit)
                hit = held.find(1, hit + 1)
        else:
            few = array("I", compress(few, map(getitem, repeat(words), map(getitem, repeat(ordinals), few))))
        words = None  # (done)
    positions: Sequence[int] | None = few  # None: the range start:end
    if query.heat:
        order = columns.hottest(start)
        if few is None and (end - start) * 8 >= len(order):
            positions = order  # (and since, if any, tested below)
        else:  # few to look at: in the heat order, by rank
            positions, since = columns.hotter(range(start, end) if few is None else few, start), None
        if cursor is not None:
            after = (-(cursor.heat or 0.0), -cursor.published_us, cursor.id)
            positions = positions[bisect_right(positions, after, key=lambda n: _heat_key(articles[n])) :]

    def at(values: Sequence[int]) -> Iterator[int]:
        """values[n] for each position looked at, in order."""
        if positions is None:
            return islice(values, start, end)
        return map(getitem, repeat(values), positions)

    keep: list[Iterator[int]] = []
    if words is not None and ordinals is not None:
        keep.append(map(getitem, repeat(words), at(ordinals)))
    if query.min_quality:
        keep.append(at(columns.quality_map(query.min_quality)))
    if query.heat and since is not None:  # (newest first, `since` is where the range ends)
        assert positions is not None
        keep.append(map(gt, repeat(end), positions))
    if not keep:
        return islice(articles, start, end) if positions is None else map(getitem, repeat(articles), positions)
    looked_at: Iterable[int] = range(start, end) if positions is None else positions
    kept = compress(looked_at, keep[0] if len(keep) == 1 else map(all, zip(*keep, strict=True)))
    return map(getitem, repeat(articles), kept)


def _merge(streams: list[Iterator[Article]], key: Callable[[Article], Any]) -> Iterator[Article]:
    """Streams sorted by `key` as one, each article once (an article in two has one key: adjacent)."""
    last = None
    for article in heapq.merge(*streams, key=key):
        if article.id != last:
            last = article.id
            yield article


def select(groups: Sequence[Group], query: FeedQuery, now: float) -> tuple[tuple[Article, ...], Cursor | None]:
    """The articles one page of the feed shows and the cursor of the next page (None on the last)."""
    pairs = [(g, _columns(g)) for g in groups]
    held = _Held(None, 0, query.q)
    ordinals: list[array[int]] | list[None] = [None] * len(pairs)
    if query.q:
        indexed = _indexed(pairs)
        if indexed is not None:
            postings, ordinals = indexed
            held = postings.matching(query.q)
            if held.map is not None and not held.held:  # no article holds every word
                return (), None
    rare = held.map is not None and held.held * _RARE < len(held.map)
    streams = [_stream(g, c, query, now, held.map, o, rare) for (g, c), o in zip(pairs, ordinals, strict=True)]
    stream = streams[0] if len(streams) == 1 else _merge(streams, _heat_key if query.heat else _newest_key)
    if held.unchecked:  # words the index does not answer for (or no index): each article's text
        stream = filter(_holds(held.unchecked), stream)
    page = list(islice(stream, query.limit + 1))
    shown = tuple(page[: query.limit])
    more = len(page) > query.limit and bool(shown)
    return shown, (query.after(shown[-1]) if more else None)


__all__ = ["MAX_TOPICS", "PARAMETERS", "Cursor", "FeedQuery", "QueryError", "select"]
