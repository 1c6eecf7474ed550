"""The HTML body of an article, shared by every format: lead image, excerpt, body, related."""

from __future__ import annotations

from html import escape

from ..model import Article, Image


def _text(value: str) -> str:
    """Escape for an HTML text node (quotes need no escaping there)."""
    return escape(value, quote=False)


def image_html(image: Image, alt: str) -> str:
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    return f'<img src="{escape(image.url)}"{size} alt="{escape(alt)}">'


def article_html(article: Article) -> str:
    """Escaped HTML; every text from the data goes through html.escape."""
    parts: list[str] = []
    if article.image is not None:
        parts.append(f"<p>{image_html(article.image, article.title)}</p>")
    if article.excerpt:
        parts.append(f"<p>{_text(article.excerpt)}</p>")
    for paragraph in article.body.split("\n\n") if article.body else ():
        if paragraph.strip():
            parts.append(f"<p>{_text(paragraph.strip())}</p>")
    if article.provider is not None:
        parts.append(f'<p>Source: <a href="{escape(article.provider.url)}">{_text(article.provider.name)}</a></p>')
    if article.related:
        parts.append("<h3>Related</h3>")
        parts.append("<ul>")
        for related in article.related:
            source = f" ({_text(related.provider.name)})" if related.provider else ""
            parts.append(f'<li><a href="{escape(related.url)}">{_text(related.title)}</a>{source}</li>')
        parts.append("</ul>")
    return "\n".join(parts)
