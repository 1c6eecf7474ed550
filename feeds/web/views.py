"""The views: map URLs onto the index and the cached outputs; no feed logic lives here."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from ..index import Group, Index
from ..outputs import Rendered, visible_groups
from ..rendering.urls import EXTENSIONS, FORMAT_NAMES, FORMAT_OF_EXTENSION, FORMATS, Format, Urls, feed_path
from . import FeedsState
from .http import respond

bp = Blueprint("feeds", __name__)


class HttpProblem(Exception):
    """A 4xx with a short reason for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _state() -> FeedsState:
    state: FeedsState = current_app.extensions["feeds"]
    return state


def _base_url(state: FeedsState) -> str:
    return state.settings.BASE_URL or request.host_url.rstrip("/")


def _send(rendered: Rendered) -> Response:
    state = _state()
    status, headers, body = respond(
        rendered, dict(request.headers), head=request.method == "HEAD", max_age=state.settings.CACHE_MAX_AGE
    )
    response = Response(body, status=status)
    response.headers.clear()
    for name, value in headers:
        response.headers[name] = value
    if request.method == "HEAD" and status == 200:
        response.automatically_set_content_length = False
    return response


@bp.errorhandler(HttpProblem)
def _problem(exc: HttpProblem) -> Response:
    return _plain(exc.status, exc.reason)


@bp.app_errorhandler(404)
def _not_found(_exc: Exception) -> Response:
    return _plain(404, "not found: no such page. Every feed is listed on / and in /feeds.opml.")


@bp.app_errorhandler(405)
def _not_allowed(_exc: Exception) -> Response:
    return _plain(405, "method not allowed: use GET or HEAD.")


def _plain(status: int, text: str) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _limit(state: FeedsState) -> tuple[int, bool]:
    raw = request.args.get("limit")
    if raw is None:
        return state.settings.FEED_SIZE, False
    most = state.settings.MAX_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        shown = raw if len(raw) <= 40 else raw[:39] + "…"
        raise HttpProblem(400, f"limit: expected a whole number from 1 to {most}, got {shown!r}")
    return int(raw), True


def _format(ext: str) -> Format:
    fmt = FORMAT_OF_EXTENSION.get(ext)
    if fmt is None:
        known = ", ".join(f".{EXTENSIONS[f]} ({FORMAT_NAMES[f]})" for f in FORMATS)
        raise HttpProblem(404, f"not found: unknown feed format {'.' + ext!r}; use {known}.")
    return fmt


def _group(index: Index, kind: str, slug: str, now: float) -> Group:
    slug = unicodedata.normalize("NFKC", slug)
    group = index.topics.get(slug) if kind == "topic" else index.providers.get(slug.lower())
    if group is None or not group.count(now):
        raise HttpProblem(404, f"not found: no {kind} {slug!r} with published articles. Every feed is listed on /.")
    return group


def _feed(kind: str, slug: str, ext: str) -> Response:
    state = _state()
    fmt = _format(ext)
    now = state.clock()
    index = state.catalog.index
    group = index.site if kind == "site" else _group(index, kind, slug, now)
    limit, explicit = _limit(state)
    return _send(state.outputs.feed(index, group, fmt, _base_url(state), now, limit, explicit))


@bp.get("/feed.<ext>")
def site_feed(ext: str) -> Response:
    return _feed("site", "", ext)


@bp.get("/feeds/<path:name>")
def feed(name: str) -> Response:
    kind = "topic"
    if name.startswith("providers/"):
        kind, name = "provider", name[len("providers/") :]
    slug, dot, ext = name.rpartition(".")
    if not dot or not slug or "/" in slug:
        raise HttpProblem(404, "not found: feeds live at /feeds/<topic>.xml and /feeds/providers/<domain>.xml.")
    return _feed(kind, slug, ext)


@bp.get("/feeds.opml")
def opml() -> Response:
    state = _state()
    return _send(state.outputs.opml(state.catalog.index, _base_url(state), state.clock()))


# --- pages -------------------------------------------------------------------------------


def _page(key: tuple[Any, ...], template: str, **context: Any) -> Response:
    state = _state()
    base = _base_url(state)

    def make() -> Rendered:
        html = render_template(
            template,
            site_title=state.settings.SITE_TITLE,
            urls=Urls(base),
            feed_path=feed_path,
            formats=FORMATS,
            format_names=FORMAT_NAMES,
            media_types={"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"},
            **context,
        )
        newest = context.get("articles") or ()
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8", newest[0].published if newest else None)

    return _send(state.outputs.cache.get(("page", base, *key), make))


@bp.get("/")
def home() -> Response:
    state = _state()
    now = state.clock()
    index = state.catalog.index
    start = index.site.first_visible(now)
    return _page(
        ("home", index.version, start),
        "home.html",
        group=index.site,
        index=index,
        topics=visible_groups(index.topics, now),
        providers=visible_groups(index.providers, now),
        articles=index.site.visible(now, 20),
    )


def _group_page(kind: str, slug: str) -> Response:
    state = _state()
    now = state.clock()
    index = state.catalog.index
    group = _group(index, kind, slug, now)
    return _page(
        (kind, group.slug, group.digest, group.first_visible(now)),
        "group.html",
        group=group,
        index=index,
        articles=group.visible(now, state.settings.FEED_SIZE),
        count=group.count(now),
    )


@bp.get("/topics/<slug>")
def topic_page(slug: str) -> Response:
    return _group_page("topic", slug)


@bp.get("/providers/<slug>")
def provider_page(slug: str) -> Response:
    return _group_page("provider", slug)


# --- introspection -----------------------------------------------------------------------


def _json(data: Any) -> Response:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    response = Response(text + "\n", mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/-/health")
def health() -> Response:
    state = _state()
    now = state.clock()
    index = state.catalog.index
    loaded = state.catalog.loaded_at
    visible = index.site.count(now)
    return _json(
        {
            "status": "ok",
            "articles": visible,
            "held_back": len(index.site.articles) - visible,
            "topics": len(visible_groups(index.topics, now)),
            "providers": len(visible_groups(index.providers, now)),
            "problems": len(index.problems),
            "errors": sum(p.severity == "error" for p in index.problems),
            "warnings": sum(p.severity == "warning" for p in index.problems),
            "version": index.version,
            "last_reload": loaded.isoformat() if loaded else None,
            "now": datetime.fromtimestamp(now, UTC).isoformat(),
        }
    )


@bp.get("/-/problems.json")
def problems() -> Response:
    return _json([p.as_dict() for p in _state().catalog.index.problems])
