"""The views: map URLs onto the index and the cached outputs; no feed logic lives here."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import escape

from ..index import Group, Index
from ..outputs import Rendered, visible_groups
from ..query import MAX_TOPICS
from ..rendering.urls import FORMAT_NAMES, FORMATS, MEDIA_TYPES, Urls, feed_path, page_path
from . import FeedsState, policy
from .assets import asset
from .http import SECOND, respond
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
        second=request.environ.get(SECOND) or int(state.clock()),
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
        return _send(find_feed(state, route, request.args, _base_url(state)))
    except MovedTo as moved:
        kind, _slug, ext = route
        folder = "/feeds/providers/" if kind == "provider" else "/feeds/"
        return _moved(f"{folder}{'+'.join(quote(part) for part in moved.slug.split('+'))}.{ext}")


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

NEWEST = 20  # articles on the home page
TOP = 24  # topics and providers on the home page; /topics and /providers list every one
READERS = (  # "open in" links: the feed URL, percent-encoded whole, goes where {} is
    ("Feedly", "https://feedly.com/i/subscription/feed/{}"),
    ("Inoreader", "https://www.inoreader.com/?add_feed={}"),
    ("NewsBlur", "https://www.newsblur.com/?url={}"),
    ("The Old Reader", "https://theoldreader.com/feeds/subscribe?url={}"),
)


def _page(
    state: FeedsState,
    key: tuple[Any, ...],
    template: str,
    base: str,
    headers: policy.Headers = policy.PAGE,
    *,
    modified: datetime | None = None,
    **context: Any,
) -> Rendered:
    """A page's bytes from the render cache; Last-Modified is `modified`, else the date of the
    newest of `articles`."""

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
        published = modified or (newest[0].published if newest else None)
        return Rendered(html.encode("utf-8"), "text/html; charset=utf-8", published, headers)

    return state.outputs.cache.get(("page", base, *key), make)


_shared: tuple[str, frozenset[str]] = ("", frozenset())  # (index version, names) of the last index asked


def _shared_names(index: Index) -> frozenset[str]:
    """Provider names (case-folded) that more than one provider has: those are shown with their
    domain ("Bulletin (bulletin.example)"). Every provider counts, held back or not, so the
    answer depends on the data only; kept for the index last asked about."""
    global _shared
    version, names = _shared
    if version != index.version:
        counts = Counter(group.name.casefold() for group in index.providers.values())
        names = frozenset(name for name, count in counts.items() if count > 1)
        _shared = (index.version, names)
    return names


def _provider_label(index: Index) -> Callable[[str], str]:
    """domain -> the provider's name as pages show it, with the domain where the name is shared."""
    shared = _shared_names(index)

    def label(domain: str) -> str:
        group = index.providers.get(domain)
        name = group.name if group else domain
        return f"{name} ({domain})" if name.casefold() in shared else name

    return label


def _by_size(groups: list[tuple[Group, int]]) -> list[tuple[Group, int]]:
    """Biggest first (visible articles), then by name, then slug: the order of every list."""
    return sorted(groups, key=lambda pair: (-pair[1], pair[0].name.casefold(), pair[0].slug))


@dataclass(frozen=True, slots=True)
class Snippet:
    """One way to embed a feed: what to paste, shown as text."""

    id: str
    title: str
    code: str


def feed_tools(base: str, group: Group, name: str) -> dict[str, Any]:
    """What the subscribe and embed sections of a group's page show: reader links for its RSS
    feed, the three embed snippets and the oEmbed discovery URL. Snippets are HTML to paste, so
    their parts are escaped here; the page escapes the whole again to show it as text."""
    urls = Urls(base)
    page_url = urls.page(group.kind, group.slug)
    rss = urls.feed(group.kind, group.slug, "rss")
    readers = [(reader, template.format(quote(rss, safe=""))) for reader, template in READERS]
    title = f"Headlines: {name}"
    frame = base + "/embed" + ("" if group.kind == "site" else page_path(group.kind, group.slug)) + "?count=5"
    json_feed = urls.feed(group.kind, group.slug, "json")
    widget = (
        f'<script src="{escape(base)}/embed.js" async></script>\n'
        f'<feeds-headlines src="{escape(json_feed)}" count="5" thumbnails>'
        f'<a href="{escape(page_url)}">{escape(title)}</a></feeds-headlines>'
    )
    iframe = f'<iframe src="{escape(frame)}" title="{escape(title)}" width="400" height="400" loading="lazy"></iframe>'
    return {
        "page_url": page_url,
        "readers": readers,
        "snippets": (
            Snippet("embed-widget", "A script and an element (styled, follows light and dark)", widget),
            Snippet("embed-iframe", "An iframe (works without JavaScript)", iframe),
            Snippet("embed-oembed", "The page's address (WordPress, Ghost, Discourse embed it as it is)", page_url),
        ),
        "preview": frame,
        "oembed": f"{base}/oembed?url={quote(page_url, safe='')}&format=json",
        "embed_title": title,
    }


def home_page(state: FeedsState, base: str) -> Rendered:
    """The home page's bytes (needs an app context for the templates): the newest articles and
    the biggest topics and providers, never all of them (those are on /topics and /providers)."""
    now = state.clock()
    index = state.catalog.index
    start = index.site.first_visible(now)
    topics = _by_size(visible_groups(index.topics, now))
    providers = _by_size(visible_groups(index.providers, now))
    return _page(
        state,
        ("home", index.version, start),
        "home.html",
        base,
        group=index.site,
        index=index,
        topics=topics[:TOP],
        providers=providers[:TOP],
        topic_count=len(topics),
        provider_count=len(providers),
        count=index.site.count(now),
        articles=index.site.visible(now, NEWEST),
        label=_provider_label(index),
        combined="+".join(sorted(topic.slug for topic, _ in topics[:2])) if len(topics) > 1 else None,
        max_topics=MAX_TOPICS,
        **feed_tools(base, index.site, state.settings.SITE_TITLE),
    )


def index_page(state: FeedsState, kind: str, base: str) -> Rendered:
    """/topics or /providers (needs an app context): every one with its count, biggest first."""
    now = state.clock()
    index = state.catalog.index
    start = index.site.first_visible(now)
    groups = _by_size(visible_groups(index.topics if kind == "topic" else index.providers, now))
    newest = index.site.visible(now, 1)
    return _page(
        state,
        ("index", kind, index.version, start),
        "groups.html",
        base,
        modified=newest[0].published if newest else None,
        kind=kind,
        group=index.site,
        groups=groups,
        label=_provider_label(index),
    )


def group_page(state: FeedsState, kind: str, slug: str, base: str) -> Rendered:
    """The page of one topic or provider (needs an app context); HttpProblem when there is none."""
    now = state.clock()
    index = state.catalog.index
    group = find_group(index, kind, slug, now)
    articles = group.visible(now, state.settings.FEED_SIZE)
    label = _provider_label(index)
    # The names shown depend on other providers too (a second "Bulletin" adds domains): key on them.
    shown = tuple(label(a.provider.domain) for a in articles if a.provider)
    return _page(
        state,
        (kind, group.slug, group.digest, group.first_visible(now), shown),
        "group.html",
        base,
        group=group,
        index=index,
        articles=articles,
        count=group.count(now),
        label=label,
        **feed_tools(base, group, group.name),
    )


@bp.get("/")
def home() -> Response:
    state = _state()
    return _send(home_page(state, _base_url(state)))


@bp.get("/topics")
def topics_index() -> Response:
    state = _state()
    return _send(index_page(state, "topic", _base_url(state)))


@bp.get("/providers")
def providers_index() -> Response:
    state = _state()
    return _send(index_page(state, "provider", _base_url(state)))


def favicon() -> Rendered:
    """The pages' icon (without one, browsers ask for /favicon.ico and log its 404)."""
    found = asset("favicon.svg")
    assert found is not None  # shipped with the package
    return found


@bp.get("/favicon.svg")
def favicon_svg() -> Response:
    return _send(favicon())


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
