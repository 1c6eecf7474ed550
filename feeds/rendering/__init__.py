"""Pure writers: a FeedSpec in, bytes out; the same spec always gives the same bytes."""

from __future__ import annotations

from collections.abc import Callable

from . import jsonfeed, syndication
from .jsonfeed import render_json
from .opml import render_opml
from .spec import FeedSpec
from .syndication import render_atom, render_rss
from .urls import FORMATS, Format, Urls

WRITERS: dict[Format, Callable[[FeedSpec], bytes]] = {"rss": render_rss, "atom": render_atom, "json": render_json}


def render(spec: FeedSpec, fmt: Format) -> bytes:
    return WRITERS[fmt](spec)


def set_entry_cache_bytes(total: int) -> None:
    """Bound the process's caches of written entries: three quarters for RSS and Atom entries,
    a quarter for JSON Feed items (which are smaller). Process-wide, as the caches are."""
    syndication._FRAGMENTS.resize(total * 3 // 4)
    jsonfeed._ITEMS.resize(total // 4)


__all__ = [
    "FORMATS",
    "FeedSpec",
    "Format",
    "Urls",
    "render",
    "render_atom",
    "render_json",
    "render_opml",
    "render_rss",
    "set_entry_cache_bytes",
]
