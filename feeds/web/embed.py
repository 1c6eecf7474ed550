"""Embedding in other sites: the iframe pages (/embed, /embed/topics/<slug>,
/embed/providers/<domain>) and /oembed, which hands a CMS that iframe for one of our page URLs.
The widget itself (<feeds-headlines>) is a static file, static/embed.js."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, Response, request
from markupsafe import escape

from ..index import Group
from ..outputs import Rendered
from ..rendering.urls import Urls
from . import FeedsState, policy
from .lookup import HttpProblem, MovedTo, find_group
from .views import _base_url, _moved, _page, _plain, _send, _state

bp = Blueprint("embed", __name__)

MAX_COUNT = 20
WIDTH = 400  # of the iframe the snippet and oEmbed give; the page itself fits any width
_SWITCH = {"": True, "1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False}
THEMES = ("auto", "light", "dark")


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """What an embed page shows: ?count= (1-20), ?thumbnails= and ?theme=, checked once."""

    count: int = 5
    thumbnails: bool = False
    theme: str = "auto"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> EmbedOptions:
        """The options of a query; a 400 naming the parameter and what it takes when one is wrong."""
        count = args.get("count", "5")
        if not (count.isascii() and count.isdigit() and len(count) <= 2 and 1 <= int(count) <= MAX_COUNT):
            raise HttpProblem(400, f"count: expected a whole number from 1 to {MAX_COUNT}, got {count[:40]!r}")
        thumbnails = args.get("thumbnails", "0").lower()
        if thumbnails not in _SWITCH:
            raise HttpProblem(400, f"thumbnails: expected 1 or 0 (true or false), got {thumbnails[:40]!r}")
        theme = args.get("theme", "auto").lower()
        if theme not in THEMES:
            raise HttpProblem(400, f"theme: expected auto, light or dark, got {theme[:40]!r}")
        return cls(int(count), _SWITCH[thumbnails], theme)

    def query(self) -> str:
        """The canonical query of these options: defaults left out."""
        parts = [f"count={self.count}"] if self.count != 5 else []
        parts += ["thumbnails=1"] if self.thumbnails else []
        parts += [f"theme={self.theme}"] if self.theme != "auto" else []
        return "?" + "&".join(parts) if parts else ""

    def height(self) -> int:
        """About the height the page will have, in CSS pixels: a first size for the iframe,
        which the page then corrects by message."""
        return 56 + self.count * (80 if self.thumbnails else 58)


def embed_path(kind: str, slug: str) -> str:
    if kind == "site":
        return "/embed"
    return f"/embed/{'topics' if kind == 'topic' else 'providers'}/{quote(slug)}"


def _names(state: FeedsState, group: Group) -> tuple[str, str]:
    """(heading, title) of a group's embed."""
    site = state.settings.SITE_TITLE
    heading = f"Newest on {site}" if group.kind == "site" else group.name
    return heading, f"Headlines: {heading}" if group.kind == "site" else f"Headlines: {heading} — {site}"


def embed_page(state: FeedsState, kind: str, slug: str, base: str, options: EmbedOptions) -> Rendered:
    """The embed page of the site, a topic or a provider (needs an app context)."""
    now = state.clock()
    index = state.catalog.index
    group = index.site if kind == "site" else find_group(index, kind, slug, now)
    heading, title = _names(state, group)
    urls = Urls(base)
    return _page(
        state,
        ("embed", group.kind, group.slug, group.digest, group.first_visible(now), options),
        "embed.html",
        base,
        policy.EMBED,
        articles=group.visible(now, options.count),
        thumbnails=options.thumbnails,
        theme=options.theme,
        heading=heading,
        title=title,
        page_url=urls.page(group.kind, group.slug),
    )


def iframe_html(base: str, kind: str, slug: str, title: str, options: EmbedOptions, width: int, height: int) -> str:
    src = base + embed_path(kind, slug) + options.query()
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" title="{escape(title)}" '
        'loading="lazy" frameborder="0"></iframe>'
    )


def _embed(kind: str, slug: str) -> Response:
    state = _state()
    options = EmbedOptions.from_args(request.args)
    try:
        return _send(embed_page(state, kind, slug, _base_url(state), options))
    except MovedTo as moved:
        return _moved(embed_path(kind, moved.slug))


@bp.errorhandler(HttpProblem)
def _problem(exc: HttpProblem) -> Response:
    return _plain(exc.status, exc.reason)


@bp.get("/embed")
def site_embed() -> Response:
    return _embed("site", "")


@bp.get("/embed/topics/<slug>")
def topic_embed(slug: str) -> Response:
    return _embed("topic", slug)


@bp.get("/embed/providers/<slug>")
def provider_embed(slug: str) -> Response:
    return _embed("provider", slug)


def _page_of(url: str, base: str) -> tuple[str, str]:
    """(kind, slug) of one of our page URLs: /, /topics/<slug> or /providers/<domain>; a 404
    for anything else."""
    ours, theirs = urlsplit(base), urlsplit(url)
    if (theirs.scheme, theirs.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
        raise HttpProblem(404, f"not found: url must be a page of this site, under {base}/")
    path = unquote(theirs.path).removeprefix(ours.path)
    path = path.removesuffix(".html").removesuffix("index").rstrip("/")
    if not path:
        return "site", ""
    folder, _, slug = path.lstrip("/").partition("/")
    if folder in ("topics", "providers") and slug and "/" not in slug:
        return ("topic" if folder == "topics" else "provider"), slug
    raise HttpProblem(404, "not found: url must be the home page, a topic page or a provider page of this site")


def _dimension(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5 and int(raw) > 0):
        raise HttpProblem(400, f"{name}: expected a whole number of pixels, got {raw[:40]!r}")
    return int(raw)


@bp.get("/oembed")
def oembed() -> Response:
    """oEmbed 1.0 (https://oembed.com): a `rich` answer whose html is the page's embed iframe."""
    state = _state()
    fmt = request.args.get("format", "json")
    if fmt != "json":
        raise HttpProblem(501, f"not implemented: format {fmt[:20]!r}; only json is served")
    url = request.args.get("url")
    if not url:
        raise HttpProblem(400, "url: expected the URL of one of this site's pages, got none")
    base = _base_url(state)
    kind, slug = _page_of(url, base)
    now = state.clock()
    index = state.catalog.index
    try:
        group = index.site if kind == "site" else find_group(index, kind, slug, now)
    except MovedTo as moved:
        group = index.topics[moved.slug] if kind == "topic" else index.providers[moved.slug]
    options = EmbedOptions()
    max_width, max_height = _dimension("maxwidth"), _dimension("maxheight")
    width = min(WIDTH, max_width or WIDTH)
    height = min(options.height(), max_height or options.height())
    _heading, title = _names(state, group)
    answer = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": state.settings.SITE_TITLE,
        "provider_url": Urls(base).page("site", ""),
        "cache_age": state.settings.CACHE_MAX_AGE,
        "html": iframe_html(base, group.kind, group.slug, title, options, width, height),
        "width": width,
        "height": height,
    }
    body = json.dumps(answer, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return _send(Rendered(body.encode() + b"\n", "application/json; charset=utf-8", None))


__all__ = ["EmbedOptions", "bp", "embed_page", "embed_path", "iframe_html"]
