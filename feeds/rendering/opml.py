"""OPML 2.0: every feed in one outline, for subscribing to many at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from .spec import rfc822
from .urls import Urls


def render_opml(
    urls: Urls,
    site_title: str,
    groups: Sequence[tuple[str, str, str]],  # (kind, slug, display name) of each feed
    updated: datetime,
) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{site_title}: every feed"
    etree.SubElement(head, "dateModified").text = rfc822(updated)
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    sections: dict[str, etree._Element] = {}
    for kind, slug, name in groups:
        parent = body
        if kind != "site":
            if kind not in sections:
                sections[kind] = etree.SubElement(body, "outline", text="Topics" if kind == "topic" else "Providers")
            parent = sections[kind]
        etree.SubElement(
            parent,
            "outline",
            type="rss",
            text=name,
            title=name,
            xmlUrl=urls.feed(kind, slug, "rss"),
            htmlUrl=urls.page(kind, slug),
        )
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True))
