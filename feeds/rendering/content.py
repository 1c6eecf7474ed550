"""The HTML body of an article, shared by every format: lead image, excerpt, body, related."""

from __future__ import annotations

from html import escape

from ..model import Article, Image


def _text(value: str) -> str:
    """Escape for an HTML text node (quotes need no escaping there); most text needs nothing,
    which three `in` tests find faster than html.escape's replaces."""
    if "&" in value or "<" in value or ">" in value:
        return escape(value, quote=False)
    return value


def image_html(image: Image, alt: str) -> str:
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    return f'<img src="{escape(image.url)}"{size} alt="{escape(alt)}">'


def article_html(article: Article) -> str:
    """Escaped HTML; every text from the data goes through html.escape."""
    detail = article.detail  # once: each property would unpack (or look up) the packed text again
    parts: list[str] = []
    if detail.image is not None:
        parts.append(f"<p>{image_html(detail.image, detail.title)}</p>")
    if detail.excerpt:
        parts.append(f"<p>{_text(detail.excerpt)}</p>")
    for paragraph in detail.body.split("\n\n") if detail.body else ():
        if paragraph.strip():
            parts.append(f"<p>{_text(paragraph.strip())}</p>")
    if article.provider is not None:
        parts.append(f'<p>Source: <a href="{escape(article.provider.url)}">{_text(article.provider.name)}</a></p>')
    if detail.related:
        parts.append("<h3>Related</h3>")
        parts.append("<ul>")
        for related in detail.related:
            source = f" ({_text(related.provider.name)})" if related.provider else ""
            parts.append(f'<li><a href="{escape(related.url)}">{_text(related.title)}</a>{source}</li>')
        parts.append("</ul>")
    return "\n".join(parts)
