"""Parsed articles on disk, so a restart with unchanged files does not reparse them.

JSON (never pickle: the file is data, and data cannot run code), keyed by each file's size,
mtime and inode, and stamped with a fingerprint of the code that parsed it. Anything unexpected
in a snapshot makes the whole snapshot be ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .loading import FileState, LoadResult
from .model import Article, Image, Problem, Provider, Related, intern

_SOURCES = ("model.py", "loading.py", "snapshot.py")


def code_fingerprint() -> str:
    """Changes whenever the code that turns files into articles changes."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def snapshot_path(folder: Path, root: Path) -> Path:
    """One snapshot per seeds folder, named by the folder's absolute path."""
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return folder / f"articles-{key}.jsonl.z"


# --- encoding ----------------------------------------------------------------------------

_PROVIDERS: dict[tuple[str, str], Provider] = {}


def _provider_out(p: Provider | None) -> list[str] | None:
    return [p.name, p.domain] if p else None


def _provider_in(value: Any) -> Provider | None:
    if value is None:
        return None
    name, domain = value
    key = (str(name), str(domain))
    found = _PROVIDERS.get(key)
    if found is None:
        found = _PROVIDERS[key] = Provider(intern(key[0]), intern(key[1]))
    return found


def _image_out(i: Image | None) -> list[Any] | None:
    return [i.url, i.width, i.height] if i else None


def _image_in(value: Any) -> Image | None:
    if value is None:
        return None
    url, width, height = value
    assert isinstance(url, str) and (width is None or isinstance(width, int))
    return Image(url, width, height)


def _date_out(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def _date_in(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


def encode_result(result: LoadResult, state: FileState | None) -> list[Any]:
    a = result.article
    article = None
    if a is not None:
        article = [
            a.id,
            a.title,
            _date_out(a.published),
            a.excerpt,
            a.body,
            _provider_out(a.provider),
            list(a.topics),
            [_image_out(i) for i in a.images],
            [
                [r.title, r.url, r.excerpt, _date_out(r.published), _provider_out(r.provider), _image_out(r.image)]
                for r in a.related
            ],
            a.quality,
            a.heat,
            a.digest,
        ]
    problems = [[p.field, p.message, p.severity] for p in result.problems]
    fixed = [state.size, state.mtime_ns, state.ino] if state else None
    return [result.path, fixed, article, problems]


def decode_result(row: Any, same_path: str | None = None) -> tuple[LoadResult, FileState | None]:
    """A row back to a LoadResult; `same_path`, when given, must equal the row's path and is
    used instead of it, so the catalog holds one copy of each path string."""
    path, state, article, problems = row
    assert isinstance(path, str)
    if same_path is not None:
        assert same_path == path
        path = same_path
    decoded: Article | None = None
    if article is not None:
        (uid, title, published, excerpt, body, provider, topics, images, related, quality, heat, digest) = article
        when = _date_in(published)
        assert when is not None and all(isinstance(t, str) for t in topics) and isinstance(digest, int)
        decoded = Article(
            id=uid,
            path=path,
            title=title,
            published=when,
            excerpt=excerpt,
            body=body,
            provider=_provider_in(provider),
            topics=tuple(intern(t) for t in topics),
            images=tuple(i for i in (_image_in(x) for x in images) if i is not None),
            related=tuple(Related(t, u, e, _date_in(d), _provider_in(p), _image_in(i)) for t, u, e, d, p, i in related),
            quality=quality,
            heat=heat,
            digest=digest,
        )
    result = LoadResult(path, decoded, tuple(Problem(path, f, m, s) for f, m, s in problems))
    return result, FileState(*state) if state else None


# --- files -------------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[bytes]:
    """The snapshot's lines, decompressed a chunk at a time: no whole copy in memory."""
    inflate = zlib.decompressobj()
    rest = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines = (rest + inflate.decompress(chunk)).split(b"\n")
            rest = lines.pop()
            yield from lines
    rest += inflate.flush()
    if not inflate.eof:
        raise ValueError("the snapshot is cut short")
    if rest:
        yield rest


def read_snapshot(path: Path, fingerprint: str) -> dict[str, tuple[FileState | None, LoadResult]]:
    """The snapshot's entries, or nothing when it is missing, stale or corrupt."""
    out: dict[str, tuple[FileState | None, LoadResult]] = {}
    try:
        lines = _lines(path)
        header = json.loads(next(lines))
        if header != {"code": fingerprint}:
            return {}
        for line in lines:
            result, state = decode_result(json.loads(line))
            out[result.path] = (state, result)
        return out
    except Exception:
        return {}


def write_snapshot(path: Path, fingerprint: str, rows: Iterable[list[Any]]) -> None:
    """One JSON line a file after a header line, deflated; written atomically (temp file +
    rename), so a reader never sees half a snapshot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
    try:
        with os.fdopen(fd, "wb") as handle:
            deflate = zlib.compressobj(1)
            handle.write(deflate.compress(json.dumps({"code": fingerprint}).encode() + b"\n"))
            for row in rows:
                handle.write(deflate.compress(json.dumps(row).encode() + b"\n"))
            handle.write(deflate.flush())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
