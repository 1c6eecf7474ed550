"""Maps the index onto the writers and keeps the rendered bytes: one Rendered per
(feed, format, limit, base URL), reused until the data behind that one feed changes.

Used by the web layer and the static export alike, so both send the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from operator import attrgetter

from ._version import __version__
from .index import Group, Index
from .lru import ByteLRU
from .query import FeedQuery, select
from .rendering import FeedSpec, Format, Urls, render, render_opml
from .rendering.spec import EPOCH
from .rendering.urls import FORMAT_NAMES, MEDIA_TYPES

_PUBLISHED = attrgetter("published_us")
GENERATOR = f"feeds {__version__}"
CHARSET = "; charset=utf-8"
# A body from this size on is sent by the fast path under bjoern as two pieces, its first byte and
# the rest (Rendered.pieces): bjoern copies the first item of a response into the buffer of its
# headers and writes the others from their own bytes, so the body is not copied per response
# (about 6-10 us a 95 KB feed, and a malloc that grows past glibc's mmap threshold above 128 KB:
# a 388 KB feed took 340-520 us of CPU a request whole, 140-165 us in pieces; bench/http).
PIECES_FROM = 64 * 1024


class Pieces(tuple[bytes, bytes]):
    """A body as (first byte, the rest): what the fast path returns to bjoern for a large body.
    It has a close() because bjoern looks one up on every iterable once the response is out,
    and a missing one costs an AttributeError raised and cleared each time (perf: about 4 % of
    a worker's samples, more than calling a method that does nothing)."""

    __slots__ = ()

    def close(self) -> None:
        """Nothing to release: the bytes belong to the Rendered."""


@dataclass(frozen=True, slots=True)
class ResponseHeaders:
    """The headers of a 200 and of a 304 for one body in one encoding; never mutated."""

    ok: tuple[tuple[str, str], ...]
    not_modified: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, weakref_slot=True)  # weakly held by the fast path's memo
class Rendered:
    """One output's bytes with their validators; gzip is done once per body, never per request."""

    body: bytes
    media_type: str  # with charset
    last_modified: datetime | None
    extra_headers: tuple[tuple[str, str], ...] = ()  # sent with the 200 (a page's CSP, say)
    shared_headers: tuple[tuple[str, str], ...] = ()  # sent with the 200 and the 304 (WebSub's Link)
    etag: str = field(init=False)
    gzip_etag: str = field(init=False)
    _gzipped: bytes | None = field(init=False, repr=False, compare=False)
    _headers: dict[tuple[bool, int], ResponseHeaders] = field(init=False, repr=False, compare=False)
    _pieces: dict[bool, Pieces] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        digest = hashlib.blake2b(self.body, digest_size=16).hexdigest()
        object.__setattr__(self, "etag", f'"{digest}"')
        object.__setattr__(self, "gzip_etag", f'"{digest}-gz"')  # from the identity bytes: no gzip needed
        object.__setattr__(self, "_gzipped", None)
        object.__setattr__(self, "_headers", {})
        object.__setattr__(self, "_pieces", {})

    @property
    def gzipped(self) -> bytes:
        """The gzip body, compressed once, when first asked for (about 2 ms for a 100 kB feed,
        which a render for a client that takes identity need not pay). Two threads asking at
        once both compress and store the same bytes (level 6, mtime 0: deterministic)."""
        found = self._gzipped
        if found is None:
            found = gzip.compress(self.body, compresslevel=6, mtime=0)
            object.__setattr__(self, "_gzipped", found)
        return found

    def pieces(self, gzipped: bool) -> Pieces:
        """The body, or its gzip, as (first byte, the rest): what the fast path returns for a body
        of PIECES_FROM bytes or more under bjoern (see PIECES_FROM), made once per encoding.
        _rendered_bytes charges the second copy of the body up front."""
        found = self._pieces.get(gzipped)
        if found is None:
            body = self.gzipped if gzipped else self.body
            found = self._pieces[gzipped] = Pieces((body[:1], body[1:]))
        return found

    @property
    def http_date(self) -> str | None:
        return format_datetime(self.last_modified, usegmt=True) if self.last_modified else None

    def headers(self, gzipped: bool, max_age: int) -> ResponseHeaders:
        """Response headers for this body, worked out once per encoding, not per request."""
        found = self._headers.get((gzipped, max_age))
        if found is None:
            common = [
                ("Cache-Control", f"public, max-age={max_age}"),
                ("ETag", self.gzip_etag if gzipped else self.etag),
                ("Vary", "Accept-Encoding"),
                ("Access-Control-Allow-Origin", "*"),
                ("X-Content-Type-Options", "nosniff"),
                *self.shared_headers,
            ]
            ok = list(common)
            if self.http_date:
                ok.append(("Last-Modified", self.http_date))
            ok.extend(self.extra_headers)
            ok.append(("Content-Type", self.media_type))
            if gzipped:
                ok.append(("Content-Encoding", "gzip"))
            ok.append(("Content-Length", str(len(self.gzipped if gzipped else self.body))))
            found = self._headers[(gzipped, max_age)] = ResponseHeaders(tuple(ok), tuple(common))
        return found


def _rendered_bytes(rendered: Rendered) -> int:
    """What a Rendered holds: its body, and its gzip once a client asks for it, charged up front
    at a third of the body (feeds and pages compress to a fifth or a quarter), and its headers;
    and once more each of them that is PIECES_FROM or larger, for the pieces the fast path may
    keep of it (a page, which never goes that way, is charged for them all the same)."""
    size = len(rendered.body)
    held = size + size // 3 + 1000
    return held + sum(part for part in (size, size // 3) if part >= PIECES_FROM)


class RenderCache(ByteLRU[Rendered]):
    """Rendered outputs, least recently used first out past `max_bytes`; keys carry the digest
    of the data behind each one, so a change makes new keys and the old bytes age out."""

    def __init__(self, max_bytes: int = 24 << 20) -> None:
        super().__init__(max_bytes, _rendered_bytes)


class Outputs:
    """Feeds and the OPML for one site title; the caller passes the index and the time."""

    def __init__(
        self, site_title: str, cache: RenderCache | None = None, *, hub: str | None = None, max_age: int = 300
    ) -> None:
        self.site_title = site_title
        self.cache = cache if cache is not None else RenderCache()  # (an empty cache is falsy)
        self.hub = hub
        # RSS <ttl> in whole minutes, as near Cache-Control's max-age as minutes go (none for 0)
        self.ttl = max(1, round(max_age / 60)) if max_age > 0 else None

    def describe(self, groups: Sequence[Group], query: FeedQuery | None = None) -> tuple[str, str]:
        """Title and description of a feed of one group (or several topics), with its filter."""
        group = groups[0]
        what = query.describe() if query is not None else ""
        if group.kind == "site":
            title = f"{self.site_title}: {what}" if what else self.site_title
            return title, f"Every article on {self.site_title}, newest first"
        name = " + ".join(g.name for g in groups)
        kind = "about" if group.kind == "topic" else "from"
        title = f"{name}: {what} — {self.site_title}" if what else f"{name} — {self.site_title}"
        return title, f"Newest articles {kind} {', '.join(g.name for g in groups)} on {self.site_title}"

    @staticmethod
    def feed_key(
        groups: Sequence[Group], fmt: Format, base_url: str, now: float, query: FeedQuery, paging: bool = True
    ) -> Hashable:
        """The render cache's key of a feed: what feed() renders it from."""
        # group.digest also covers the topic names the entries show (see index.Group.digest)
        if len(groups) == 1:
            group = groups[0]
            return ("feed", group.kind, group.slug, fmt, query.canonical(), paging, base_url, group.digest,
                    group.first_visible(now))  # fmt: skip
        made = tuple((g.kind, g.slug, g.digest, g.first_visible(now)) for g in groups)
        return ("feed", made, fmt, query.canonical(), paging, base_url)

    def feed(
        self,
        index: Index,
        groups: Sequence[Group],
        fmt: Format,
        base_url: str,
        now: float,
        query: FeedQuery,
        paging: bool = True,
    ) -> Rendered:
        """One page of a feed of one group, or of several topics together (their union);
        `paging` links the next page (not in the static export: a static host ignores queries,
        so a next link there would show the first page again)."""
        key = self.feed_key(groups, fmt, base_url, now, query, paging)

        def make() -> Rendered:
            title, description = self.describe(groups, query)
            articles, after = select(groups, query, now)
            spec = FeedSpec(
                kind=groups[0].kind,
                slug="+".join(g.slug for g in groups),
                title=title,
                description=description,
                urls=Urls(base_url),
                articles=articles,
                topics_of=index.topics_of,
                site_title=self.site_title,
                generator=GENERATOR,
                query=query.canonical(),
                first_query=query.canonical(cursor=False),
                next_query=query._replace(cursor=after).canonical() if paging and after is not None else None,
                id_query=query.canonical(cursor=False, limit=False),
                hub=self.hub,
                ttl=self.ttl if fmt == "rss" else None,
            )
            newest = max(articles, key=_PUBLISHED).published if articles else None
            link = (("Link", f'<{self.hub}>; rel="hub", <{spec.self_url(fmt)}>; rel="self"'),) if self.hub else ()
            return Rendered(render(spec, fmt), MEDIA_TYPES[fmt] + CHARSET, newest, shared_headers=link)

        return self.cache.get(key, make)

    @staticmethod
    def opml_key(index: Index, base_url: str, now: float) -> Hashable:
        return ("opml", base_url, index.version, index.site.first_visible(now))

    def opml(self, index: Index, base_url: str, now: float) -> Rendered:
        key = self.opml_key(index, base_url, now)

        def make() -> Rendered:
            groups = [("site", "", self.site_title)]
            for kind, mapping in (("topic", index.topics), ("provider", index.providers)):
                groups.extend((kind, g.slug, g.name) for g in mapping.values() if g.count(now))
            newest = index.site.visible(now, 1)
            updated = newest[0].published if newest else EPOCH
            body = render_opml(Urls(base_url), self.site_title, groups, updated)
            return Rendered(body, "text/x-opml" + CHARSET, newest[0].published if newest else None)

        return self.cache.get(key, make)


def visible_groups(mapping: Mapping[str, Group], now: float) -> list[tuple[Group, int]]:
    """(group, visible count) of every group with at least one visible article, in slug order."""
    out = []
    for group in mapping.values():
        count = group.count(now)
        if count:
            out.append((group, count))
    return out


__all__ = [
    "FORMAT_NAMES",
    "GENERATOR",
    "PIECES_FROM",
    "Outputs",
    "Pieces",
    "RenderCache",
    "Rendered",
    "ResponseHeaders",
    "visible_groups",
]
