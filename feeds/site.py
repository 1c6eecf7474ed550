"""The static export: every feed, page and the OPML as files, the same bytes the web layer sends
(it renders them with the same code and cache), each with a precompressed `.gz` beside it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask

from .outputs import Rendered, visible_groups
from .rendering.urls import EXTENSIONS, FORMATS
from .web import FeedsState
from .web.assets import asset, asset_names
from .web.embed import EmbedOptions, embed_page
from .web.lookup import find_feed, find_opml
from .web.views import favicon, group_page, home_page, index_page

MANIFEST = ".feeds-build"  # what the last build wrote, so the next one removes only its own files


@dataclass(frozen=True, slots=True)
class BuildReport:
    outputs: int  # feeds, pages and the OPML
    written: int  # files whose bytes changed (the .gz included)
    unchanged: int
    removed: int  # files of the previous build that are gone from the site
    next_due: datetime | None  # when the next held-back article appears: build again then


def site_outputs(state: FeedsState, base: str) -> list[tuple[str, Callable[[], Rendered]]]:
    """(file path, how to render it) of every output; file paths are the URL paths, decoded, with
    `index.html` for / and `.html` added to the pages (serve them with try_files $uri.html)."""
    now = state.clock()
    index = state.catalog.index
    out: list[tuple[str, Callable[[], Rendered]]] = [
        ("index.html", lambda: home_page(state, base)),
        ("topics.html", lambda: index_page(state, "topic", base)),  # beside topics/: try_files $uri.html
        ("providers.html", lambda: index_page(state, "provider", base)),
        ("feeds.opml", lambda: find_opml(state, base)),
        ("favicon.svg", favicon),
    ]
    out.extend((f"feed.{EXTENSIONS[f]}", _feed(state, ("site", "", EXTENSIONS[f]), base)) for f in FORMATS)
    out.extend((f"static/{name}", _asset(name)) for name in asset_names())
    out.append(("embed.js", _asset("embed.js")))
    out.append(("embed.html", _embed(state, "site", "", base)))
    for kind, mapping, feeds_dir, pages_dir in (
        ("topic", index.topics, "feeds", "topics"),
        ("provider", index.providers, "feeds/providers", "providers"),
    ):
        for group, _count in visible_groups(mapping, now):
            if not _safe_name(group.slug):
                continue  # slugs are letters, digits, dashes and dots; never a path
            for fmt in FORMATS:
                ext = EXTENSIONS[fmt]
                out.append((f"{feeds_dir}/{group.slug}.{ext}", _feed(state, (kind, group.slug, ext), base)))
            out.append((f"{pages_dir}/{group.slug}.html", _page(state, kind, group.slug, base)))
            out.append((f"embed/{pages_dir}/{group.slug}.html", _embed(state, kind, group.slug, base)))
    return out


def _embed(state: FeedsState, kind: str, slug: str, base: str) -> Callable[[], Rendered]:
    return lambda: embed_page(state, kind, slug, base, EmbedOptions())


def _asset(name: str) -> Callable[[], Rendered]:
    def make() -> Rendered:
        found = asset(name)
        assert found is not None
        return found

    return make


def _feed(state: FeedsState, route: tuple[str, str, str], base: str) -> Callable[[], Rendered]:
    return lambda: find_feed(state, route, {}, base, paging=False)  # no queries on a static host: no pages


def _page(state: FeedsState, kind: str, slug: str, base: str) -> Callable[[], Rendered]:
    return lambda: group_page(state, kind, slug, base)


def _safe_name(slug: str) -> bool:
    return bool(slug) and slug not in (".", "..") and "/" not in slug and "\\" not in slug and "\0" not in slug


def write_site(
    app: Flask,
    outdir: Path,
    outputs: list[tuple[str, Callable[[], Rendered]]],
    progress: Callable[[int], None] | None = None,
) -> BuildReport:
    """Write `outputs` (from site_outputs) under `outdir`, each with its `.gz`.

    Files are replaced atomically (a static server never sees half a file), keep their bytes and
    inode when unchanged, and get the newest article's date as their mtime, so a static server's
    Last-Modified is the live service's. Files of a previous build that are gone are removed;
    nothing else in `outdir` is touched.
    """
    state: FeedsState = app.extensions["feeds"]
    outdir.mkdir(parents=True, exist_ok=True)
    written = unchanged = 0
    paths: list[str] = []
    with app.app_context():  # the pages' templates
        for path, make in outputs:
            rendered = make()
            for name, data in ((path, rendered.body), (path + ".gz", rendered.gzipped)):
                if _write(outdir / name, data, rendered.last_modified):
                    written += 1
                else:
                    unchanged += 1
                paths.append(name)
            if progress is not None:
                progress(1)
    removed = _remove_stale(outdir, paths)
    (outdir / MANIFEST).write_text("".join(p + "\n" for p in sorted(paths)), encoding="utf-8")
    return BuildReport(len(outputs), written, unchanged, removed, _next_due(state))


def _write(target: Path, data: bytes, modified: datetime | None) -> bool:
    """Write `data` to `target` unless it already holds exactly that; True when written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    changed = not target.is_file() or target.read_bytes() != data
    if changed:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    if modified is not None:
        stamp = modified.timestamp()
        os.utime(target, (stamp, stamp))
    return changed


def _remove_stale(outdir: Path, paths: list[str]) -> int:
    manifest = outdir / MANIFEST
    if not manifest.is_file():
        return 0
    keep = set(paths)
    removed = 0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line and line not in keep and ".." not in Path(line).parts and not Path(line).is_absolute():
            target = outdir / line
            if target.is_file():
                target.unlink()
                removed += 1
    return removed


def _next_due(state: FeedsState) -> datetime | None:
    site = state.catalog.index.site
    start = site.first_visible(state.clock())
    return site.articles[start - 1].published if start else None


__all__ = ["MANIFEST", "BuildReport", "site_outputs", "write_site"]
