"""The HTML body of an article, shared by every format: lead image, excerpt, body, related."""

from __future__ import annotations

from html import escape

from ..model import Article, Detail, Image


def html_text(value: str) -> str:
    """Escape for an HTML text node (quotes need no escaping there); most text needs nothing,
    which three `in` tests find faster than html.escape's replaces."""
    if "&" in value or "<" in value or ">" in value:
        return escape(value, quote=False)
    return value


def _attr(value: str) -> str:
    """html.escape(value) for a quoted attribute, with the same fast path as html_text."""
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return escape(value)
    return value


def image_html(image: Image, alt: str) -> str:
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    return f'<img src="{_attr(image.url)}"{size} alt="{_attr(alt)}">'


def article_html(article: Article, detail: Detail | None = None) -> str:
    """Escaped HTML; every text from the data goes through html.escape (or is shown to need none).
    `detail` is article.detail when the caller has it: each lookup costs."""
    if detail is None:
        detail = article.detail
    parts: list[str] = []
    if detail.image is not None:
        parts.append(f"<p>{image_html(detail.image, detail.title)}</p>")
    if detail.excerpt:
        parts.append(f"<p>{html_text(detail.excerpt)}</p>")
    if detail.body:
        for paragraph in detail.body.split("\n\n"):
            paragraph = paragraph.strip()
            if paragraph:
                parts.append(f"<p>{html_text(paragraph)}</p>")
    provider = article.provider
    if provider is not None:
        parts.append(f'<p>Source: <a href="{_attr(provider.url)}">{html_text(provider.name)}</a></p>')
    if detail.related:
        parts.append("<h3>Related</h3>\n<ul>")
        for related in detail.related:
            source = f" ({html_text(related.provider.name)})" if related.provider else ""
            parts.append(f'<li><a href="{_attr(related.url)}">{html_text(related.title)}</a>{source}</li>')
        parts.append("</ul>")
    return "\n".join(parts)
