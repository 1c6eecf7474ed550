"""Our static files (feeds/web/static/): read once, served with validators like every output,
and written by the static export byte for byte."""

from __future__ import annotations

import functools
from pathlib import Path

from ..outputs import Rendered
from . import policy

STATIC = Path(__file__).resolve().parent / "static"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@functools.cache
def asset_names() -> tuple[str, ...]:
    """Every file served under /static/ (plain names: no folder, nothing hidden)."""
    return tuple(
        sorted(p.name for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES and p.is_file() and p.name[0] != ".")
    )


@functools.cache
def asset(name: str) -> Rendered | None:
    """The file's bytes with their validators; None when there is no such asset."""
    if name not in asset_names():
        return None
    path = STATIC / name
    return Rendered(path.read_bytes(), MEDIA_TYPES[path.suffix], None, policy.ASSET)


__all__ = ["STATIC", "asset", "asset_names"]
