"""The spec requirements we hold every feed to (RSS 2.0 board profile, RFC 4287, JSON Feed 1.1),
written down as checks the W3C Feed Validation Service also makes. Each returns a list of
findings; an empty list means the document passes."""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
A = f"{{{ATOM}}}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def absolute(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def parse_xml(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    return etree.fromstring(body, parser)


def check_rss(body: bytes, url: str) -> list[str]:
    out: list[str] = []
    root = parse_xml(body)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["root is not <rss version='2.0'>"]
    channel = root.find("channel")
    if channel is None:
        return ["no channel"]
    for name in ("title", "link", "description"):
        if not (channel.findtext(name) or "").strip():
            out.append(f"channel has no {name}")
    if not absolute(channel.findtext("link")):
        out.append("channel link not absolute")
    selfs = [link for link in channel.findall(f"{A}link") if link.get("rel") == "self"]
    if len(selfs) != 1 or selfs[0].get("href") != url:
        out.append(f"atom:link rel=self is not {url}")
    for name in ("lastBuildDate", "pubDate"):
        value = channel.findtext(name)
        if value is not None and not RFC822.match(value):
            out.append(f"channel {name} not RFC 822: {value}")
    guids: set[str] = set()
    for item in channel.findall("item"):
        if not (item.findtext("title") or item.findtext("description")):
            out.append("item without title or description")
        guid = item.findtext("guid")
        if not guid:
            out.append("item without guid")
        elif guid in guids:
            out.append(f"duplicate guid {guid}")
        else:
            guids.add(guid)
        if (
            item.find("guid") is not None
            and item.find("guid").get("isPermaLink", "true") == "true"
            and not absolute(guid)
        ):
            out.append("permalink guid not absolute")
        pub = item.findtext("pubDate")
        if pub is None or not RFC822.match(pub):
            out.append(f"item pubDate not RFC 822: {pub}")
        else:
            parsedate_to_datetime(pub)
        if not absolute(item.findtext("link")):
            out.append("item link not absolute")
        enclosures = item.findall("enclosure")
        if len(enclosures) > 1:
            out.append("more than one enclosure")
        for enc in enclosures:
            if (
                not absolute(enc.get("url"))
                or not (enc.get("length") or "").isdigit()
                or "/" not in (enc.get("type") or "")
            ):
                out.append(f"bad enclosure {dict(enc.attrib)}")
        for media in item.findall(f"{{{MEDIA}}}*"):
            if not absolute(media.get("url")):
                out.append("media url not absolute")
            for dim in ("width", "height"):
                if media.get(dim) is not None and not media.get(dim, "").isdigit():
                    out.append(f"media {dim} not a number")
        source = item.find("source")
        if source is not None and not absolute(source.get("url")):
            out.append("source url not absolute")
    return out


def check_atom(body: bytes, url: str) -> list[str]:
    out: list[str] = []
    root = parse_xml(body)
    if root.tag != f"{A}feed":
        return ["root is not an Atom feed"]
    for name in ("id", "title", "updated"):
        if not (root.findtext(f"{A}{name}") or "").strip():
            out.append(f"feed has no {name}")
    if not RFC3339.match(root.findtext(f"{A}updated") or ""):
        out.append("feed updated not RFC 3339")
    selfs = [link for link in root.findall(f"{A}link") if link.get("rel") == "self"]
    if len(selfs) != 1 or selfs[0].get("href") != url:
        out.append(f"link rel=self is not {url}")
    feed_author = root.find(f"{A}author") is not None
    ids: set[str] = set()
    for entry in root.findall(f"{A}entry"):
        entry_id = entry.findtext(f"{A}id") or ""
        if not absolute(entry_id):
            out.append(f"entry id not an absolute IRI: {entry_id}")
        if entry_id in ids:
            out.append(f"duplicate entry id {entry_id}")
        ids.add(entry_id)
        for name in ("title", "updated"):
            if not (entry.findtext(f"{A}{name}") or "").strip():
                out.append(f"entry has no {name}")
        for name in ("updated", "published"):
            value = entry.findtext(f"{A}{name}")
            if value is not None and not RFC3339.match(value):
                out.append(f"entry {name} not RFC 3339: {value}")
        if not feed_author and entry.find(f"{A}author") is None:
            out.append("entry without author and feed without author")
        links = entry.findall(f"{A}link")
        alternates = [
            (link.get("type"), link.get("hreflang")) for link in links if link.get("rel", "alternate") == "alternate"
        ]
        if len(alternates) != len(set(alternates)):
            out.append("two alternate links with the same type and hreflang")
        if not alternates and entry.find(f"{A}content") is None:
            out.append("entry without alternate link or content")
        for link in links:
            if not absolute(link.get("href")):
                out.append(f"link href not absolute: {link.get('href')}")
            if link.get("rel") == "enclosure" and (not link.get("type") or not (link.get("length") or "").isdigit()):
                out.append("enclosure link without type or length")
    return out


def check_json(body: bytes, url: str) -> list[str]:
    out: list[str] = []
    feed = json.loads(body)
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        out.append("version is not 1.1")
    if not feed.get("title"):
        out.append("no title")
    if feed.get("feed_url") != url:
        out.append(f"feed_url is not {url}")
    for key in ("home_page_url",):
        if not absolute(feed.get(key)):
            out.append(f"{key} not absolute")
    if not isinstance(feed.get("items"), list):
        return [*out, "items is not a list"]
    ids: set[str] = set()
    for item in feed["items"]:
        if not isinstance(item.get("id"), str) or not item["id"]:
            out.append("item without a string id")
        elif item["id"] in ids:
            out.append(f"duplicate id {item['id']}")
        ids.add(item.get("id"))
        if not isinstance(item.get("content_html"), str) and not isinstance(item.get("content_text"), str):
            out.append("item without content_html or content_text")
        for key in ("date_published", "date_modified"):
            if key in item:
                if not RFC3339.match(item[key]):
                    out.append(f"{key} not RFC 3339")
                datetime.fromisoformat(item[key])
        for key in ("url", "image"):
            if key in item and not absolute(item[key]):
                out.append(f"item {key} not absolute")
        for attachment in item.get("attachments", []):
            if not absolute(attachment.get("url")) or not attachment.get("mime_type"):
                out.append("attachment without absolute url and mime_type")
    return out


CHECKS = {"rss": check_rss, "atom": check_atom, "json": check_json}
