"""From a URL to a rendered feed: the one set of rules the Flask views and the WSGI fast path
share, so both find the same output for the same request, or the same reason it is wrong."""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wsgi import get_current_url

from ..index import Group, Index
from ..model import slugify
from ..outputs import Rendered
from ..query import MAX_TOPICS, FeedQuery, QueryError
from ..rendering.urls import EXTENSIONS, FORMAT_NAMES, FORMAT_OF_EXTENSION, FORMATS, Format
from . import FeedsState

FeedRoute = tuple[str, str, str]  # (kind, slug, extension)


class HttpProblem(Exception):
    """A 4xx with a short reason for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class MovedTo(HttpProblem):
    """A slug in another case or spelling than its group's: a 301 to the canonical slug."""

    def __init__(self, slug: str) -> None:
        super().__init__(301, f"moved permanently: the canonical slug is {slug!r}")
        self.slug = slug


def base_url(state: FeedsState, environ: dict[str, Any]) -> str:
    """BASE_URL, else the scheme and host of the request (Werkzeug's rule, as Flask has it)."""
    return state.settings.BASE_URL or get_current_url(environ, host_only=True).rstrip("/")


def feed_route(name: str) -> FeedRoute:
    """What follows /feeds/ -> (kind, slug, extension); a 404 when it cannot be a feed."""
    kind = "topic"
    if name.startswith("providers/"):
        kind, name = "provider", name[len("providers/") :]
    slug, dot, ext = name.rpartition(".")
    if not dot or not slug or "/" in slug:
        raise HttpProblem(404, "not found: feeds live at /feeds/<topic>.xml and /feeds/providers/<domain>.xml.")
    return kind, slug, ext


def feed_format(ext: str) -> Format:
    fmt = FORMAT_OF_EXTENSION.get(ext)
    if fmt is None:
        known = ", ".join(f".{EXTENSIONS[f]} ({FORMAT_NAMES[f]})" for f in FORMATS)
        raise HttpProblem(404, f"not found: unknown feed format {'.' + ext!r}; use {known}.")
    return fmt


def find_group(index: Index, kind: str, slug: str, now: float) -> Group:
    """The topic or provider behind a slug, when it has a visible article; else a 404, or
    MovedTo when the slug is another spelling of one (`AI-Hardware` for `ai-hardware`)."""
    slug = unicodedata.normalize("NFKC", slug)
    group = index.topics.get(slug) if kind == "topic" else index.providers.get(slug)
    if group is None:
        canonical = slugify(slug) if kind == "topic" else slug.lower()
        moved = index.topics.get(canonical) if kind == "topic" else index.providers.get(canonical)
        if moved is not None and moved.count(now):
            raise MovedTo(moved.slug)
    if group is None or not group.count(now):
        raise HttpProblem(404, f"not found: no {kind} {slug!r} with published articles. Every feed is listed on /.")
    return group


def find_groups(index: Index, kind: str, slug: str, now: float) -> list[Group]:
    """The groups behind a slug: one, or for `a+b[+...]` (topics only) each of them, in slug
    order; a 404 naming an unknown one, a 400 past MAX_TOPICS, and MovedTo when the slugs are
    not in their canonical form (sorted, each once, each in its canonical spelling)."""
    if kind != "topic" or "+" not in slug:
        return [find_group(index, kind, slug, now)]
    parts = slug.split("+")
    if len(parts) > MAX_TOPICS:
        raise HttpProblem(400, f"topics: expected at most {MAX_TOPICS} topics joined with '+', got {len(parts)}")
    found: dict[str, Group] = {}
    moved = False
    for part in parts:
        try:
            group = find_group(index, kind, part, now)
        except MovedTo as to:
            group = index.topics[to.slug]
            moved = True
        found[group.slug] = group
    canonical = sorted(found)
    if moved or canonical != parts:
        raise MovedTo("+".join(canonical))
    return [found[s] for s in canonical]


def feed_query(state: FeedsState, args: Mapping[str, str]) -> FeedQuery:
    """The request's arguments -> a FeedQuery; a 400 naming the parameter when one is wrong."""
    try:
        return FeedQuery.from_args(args, state.settings.FEED_SIZE, state.settings.MAX_LIMIT)
    except QueryError as wrong:
        raise HttpProblem(400, str(wrong)) from None


def feed_limit(state: FeedsState, raw: str | None) -> tuple[int, bool]:
    """?limit=N -> (items, explicit); a 400 saying why when N is not allowed."""
    if raw is None:
        return state.settings.FEED_SIZE, False
    most = state.settings.MAX_LIMIT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= most:
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        raise HttpProblem(400, f"limit: expected a whole number from 1 to {most}, got {shown!r}")
    return int(raw), True


@dataclass(frozen=True, slots=True)
class Found:
    """A rendered output and what it was made from: it stays right while the catalog holds the
    same index and the group's first visible article is the same (no held-back one came due)."""

    rendered: Rendered
    index: Index
    group: Group
    start: int
    key: Hashable  # the render cache's key of `rendered`


def locate_feed(
    state: FeedsState, route: FeedRoute, args: Mapping[str, str], base: str, *, paging: bool = True
) -> Found:
    """The rendered feed for (kind, slug, extension) and the request's arguments (limit,
    filters, cursor; others ignored), from the cache when it is there. For a combined feed
    `group` is its first topic: only the Flask views serve those, never the fast path's memo."""
    kind, slug, ext = route
    fmt = feed_format(ext)
    now = state.clock()
    index = state.catalog.index
    groups = [index.site] if kind == "site" else find_groups(index, kind, slug, now)
    query = feed_query(state, args)
    rendered = state.outputs.feed(index, groups, fmt, base, now, query, paging)
    key = state.outputs.feed_key(groups, fmt, base, now, query, paging)
    return Found(rendered, index, groups[0], groups[0].first_visible(now), key)


def locate_opml(state: FeedsState, base: str) -> Found:
    now = state.clock()
    index = state.catalog.index
    rendered = state.outputs.opml(index, base, now)
    return Found(rendered, index, index.site, index.site.first_visible(now), state.outputs.opml_key(index, base, now))


def find_feed(
    state: FeedsState, route: FeedRoute, args: Mapping[str, str], base: str, *, paging: bool = True
) -> Rendered:
    return locate_feed(state, route, args, base, paging=paging).rendered


def find_opml(state: FeedsState, base: str) -> Rendered:
    return locate_opml(state, base).rendered


__all__ = [
    "FeedRoute",
    "Found",
    "HttpProblem",
    "MovedTo",
    "base_url",
    "feed_format",
    "feed_limit",
    "feed_query",
    "feed_route",
    "find_feed",
    "find_group",
    "find_groups",
    "find_opml",
    "locate_feed",
    "locate_opml",
]
