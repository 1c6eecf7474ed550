"""The views: map URLs onto the index and the cached outputs; no feed logic lives here."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request

from ..outputs import Rendered, visible_groups
from ..rendering.urls import FORMAT_NAMES, FORMATS, MEDIA_TYPES, Urls, feed_path, page_path
from . import FeedsState, policy
from .assets import asset
from .http import respond
from .lookup import FeedRoute, HttpProblem, MovedTo, base_url, feed_route, find_feed, find_group, find_opml

bp = Blueprint("feeds", __name__)


def _state() -> FeedsState:
    state: FeedsState = current_app.extensions["feeds"]
    return state


def _base_url(state: FeedsState) -> str:
    return base_url(state, request.environ)


def _send(rendered: Rendered) -> Response:
    state = _state()
    head = request.method == "HEAD"
    status, headers, body = respond(
        rendered,
        accept_encoding=request.headers.get("Accept-Encoding"),
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        head=head,
        max_age=state.settings.CACHE_MAX_AGE,
    )
    response = Response(body, status=status)
    response.headers.clear()
    for name, value in headers:
        response.headers[name] = value
    if head and status == 200:
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


def _moved(path: str) -> Response:
    """A 301 to the canonical spelling of the same URL, query kept."""
    query = request.query_string.decode("latin-1")
    response = _plain(301, f"moved permanently to {path}")
    response.headers["Location"] = path + ("?" + query if query else "")
    response.headers["Cache-Control"] = f"public, max-age={_state().settings.CACHE_MAX_AGE}"
    return response


def _feed(route: FeedRoute) -> Response:
    state = _state()
    try:
        return _send(find_feed(state, route, request.args.get("limit"), _base_url(state)))
    except MovedTo as moved:
        kind, _slug, ext = route
        folder = "/feeds/providers/" if kind == "provider" else "/feeds/"
        return _moved(f"{folder}{quote(moved.slug)}.{ext}")


@bp.get("/feed.<ext>")
def site_feed(ext: str) -> Response:
    return _feed(("site", "", ext))


@bp.get("/feeds/<path:name>")
def feed(name: str) -> Response:
    return _feed(feed_route(name))


@bp.get("/feeds.opml")
def opml() -> Response:
    state = _state()
    return _send(find_opml(state, _base_url(state)))


# --- pages -------------------------------------------------------------------------------


def _page(
    state: FeedsState,
    key: tuple[Any, ...],
    template: str,
    base: str,
    headers: policy.Headers = policy.PAGE,
    **context: Any,
) -> Rendered:
    def make() -> Rendered:
        html = render_template(
            template,
            site_title=state.settings.SITE_TITLE,
            urls=Urls(base),
            feed_path=feed_path,
            formats=FORMATS,
            format_names=FORMAT_NAMES,
            media_types=MEDIA_TYPES,
            **context,
        )
        newest = context.get("articles") or ()
        published = newest[0].published if newest else None
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8", published, headers)

    return state.outputs.cache.get(("page", base, *key), make)


def home_page(state: FeedsState, base: str) -> Rendered:
    """The home page's bytes (needs an app context for the templates)."""
    now = state.clock()
    index = state.catalog.index
    start = index.site.first_visible(now)
    return _page(
        state,
        ("home", index.version, start),
        "home.html",
        base,
        group=index.site,
        index=index,
        topics=visible_groups(index.topics, now),
        providers=visible_groups(index.providers, now),
        articles=index.site.visible(now, 20),
    )


def group_page(state: FeedsState, kind: str, slug: str, base: str) -> Rendered:
    """The page of one topic or provider (needs an app context); HttpProblem when there is none."""
    now = state.clock()
    index = state.catalog.index
    group = find_group(index, kind, slug, now)
    return _page(
        state,
        (kind, group.slug, group.digest, group.first_visible(now)),
        "group.html",
        base,
        group=group,
        index=index,
        articles=group.visible(now, state.settings.FEED_SIZE),
        count=group.count(now),
    )


@bp.get("/")
def home() -> Response:
    state = _state()
    return _send(home_page(state, _base_url(state)))


def _group_page(kind: str, slug: str) -> Response:
    state = _state()
    try:
        return _send(group_page(state, kind, slug, _base_url(state)))
    except MovedTo as moved:
        return _moved(page_path(kind, moved.slug))


# --- our scripts and stylesheets ----------------------------------------------------------


@bp.get("/static/<name>")
def static_file(name: str) -> Response:
    found = asset(name)
    if found is None:
        raise HttpProblem(404, "not found: no such file.")
    return _send(found)


@bp.get("/embed.js")
def embed_js() -> Response:
    """The widget's script, at the URL the embed snippet names."""
    found = asset("embed.js")
    assert found is not None  # shipped with the package
    return _send(found)


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
            "following": state.catalog.following,
            "websub": state.websub.stats() if state.websub else None,
            "worker": os.getpid(),
            "now": datetime.fromtimestamp(now, UTC).isoformat(),
        }
    )


@bp.get("/-/problems.json")
def problems() -> Response:
    return _json([p.as_dict() for p in _state().catalog.index.problems])
