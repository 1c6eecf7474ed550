"""JSON Feed 1.1, written by hand (feedgen has none): a dict in a fixed order, dumped once."""

from __future__ import annotations

import json
from typing import Any

from ..model import Article, Image, Related
from .content import article_html
from .spec import EntryCache, FeedSpec, rfc3339

VERSION = "https://jsonfeed.org/version/1.1"


def _image(image: Image) -> dict[str, Any]:
    out: dict[str, Any] = {"url": image.url, "mime_type": image.mime_type}
    if image.width and image.height:
        out["width"], out["height"] = image.width, image.height
    return out


def _related(related: Related) -> dict[str, Any]:
    out: dict[str, Any] = {"url": related.url, "title": related.title}
    if related.excerpt:
        out["summary"] = related.excerpt
    if related.published is not None:
        out["date_published"] = rfc3339(related.published)
    if related.provider is not None:
        out["provider"] = {"name": related.provider.name, "url": related.provider.url}
    if related.image is not None:
        out["image"] = _image(related.image)
    return out


def _item(spec: FeedSpec, article: Article) -> dict[str, Any]:
    item: dict[str, Any] = {"id": article.id, "url": article.id, "title": article.title}
    if article.excerpt:
        item["summary"] = article.excerpt
    item["content_html"] = article_html(article)
    if article.image is not None:
        item["image"] = article.image.url
    item["date_published"] = rfc3339(article.published)
    item["date_modified"] = rfc3339(article.published)
    if article.provider is not None:
        item["authors"] = [{"name": article.provider.name, "url": article.provider.url}]
    tags = [name for _, name in spec.topics_of(article)]
    if tags:
        item["tags"] = tags
    if article.images:
        item["attachments"] = [
            {"url": image.url, "mime_type": image.mime_type, "title": article.title} for image in article.images[:1]
        ]
    if article.related:
        item["_related"] = [_related(r) for r in article.related]
    return item


def _dumps(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Safe to inline in HTML or a script too: no character can close a tag or start markup.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_ITEMS: EntryCache[str] = EntryCache(2 << 20)  # see rendering.set_entry_cache_bytes


def _item_json(spec: FeedSpec, article: Article) -> str:
    """An item's JSON, reused by every feed that shows the article (see EntryCache)."""
    key = (article.digest, article.id, spec.urls.base, tuple(spec.topics_of(article)))
    return _ITEMS.get(key, lambda: _dumps(_item(spec, article)))


def render_json(spec: FeedSpec) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": spec.html_url,
        "feed_url": spec.self_url("json"),
        "description": spec.description,
        **({"next_url": after} if (after := spec.next_url("json")) else {}),
        "authors": [{"name": spec.site_title, "url": spec.urls.page("site", "")}],
    }
    if spec.hub is not None:
        feed["hubs"] = [{"type": "WebSub", "url": spec.hub}]
    head = _dumps(feed)[:-1]  # without its closing brace: the items follow
    items = ",".join(_item_json(spec, article) for article in spec.articles)
    return f'{head},"items":[{items}]}}\n'.encode()
