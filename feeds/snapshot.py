"""Parsed articles on disk, so a restart with unchanged files does not reparse them.

JSON (never pickle: the file is data, and data cannot run code), keyed by each file's size,
mtime and inode, and stamped with a fingerprint of the code that parsed it. Anything unexpected
in a snapshot makes the whole snapshot be ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ._version import __version__
from .loading import FileState, LoadResult
from .model import Article, Problem, Provider, intern, shared_provider

_SOURCES = ("model.py", "loading.py", "snapshot.py")


def code_fingerprint(max_bytes: int) -> str:
    """Changes whenever the code or the setting that turns files into articles changes."""
    digest = hashlib.blake2b(f"{__version__}\0{max_bytes}".encode(), digest_size=12)
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def snapshot_path(folder: Path, root: Path) -> Path:
    """One snapshot per seeds folder, named by the folder's absolute path."""
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return folder / f"articles-{key}.jsonl.z"


# --- encoding ----------------------------------------------------------------------------


def _provider_in(value: Any) -> Provider | None:
    if value is None:
        return None
    name, domain = value
    if not (isinstance(name, str) and isinstance(domain, str)):
        raise ValueError("provider")
    return shared_provider(name, domain)


def encode_result(result: LoadResult, state: FileState | None) -> list[Any]:
    a = result.article
    article = None
    if a is not None:
        article = [
            a.id,
            a.published.isoformat(),
            base64.b64encode(a.packed).decode("ascii"),
            [a.provider.name, a.provider.domain] if a.provider else None,
            list(a.topics),
            a.quality,
            a.heat,
            a.digest,
        ]
    problems = [[p.field, p.message, p.severity] for p in result.problems]
    fixed = [state.size, state.mtime_ns, state.ino] if state else None
    return [result.path, fixed, article, problems]


def decode_result(row: Any, same_path: str | None = None) -> LoadResult:
    """A row back to a LoadResult; `same_path`, when given, must equal the row's path and is
    used instead of it, so the catalog holds one copy of each path string. Raises on any
    value of the wrong shape."""
    path, _state, article, problems = row
    if not isinstance(path, str) or (same_path is not None and same_path != path):
        raise ValueError("path")
    path = same_path or path
    decoded: Article | None = None
    if article is not None:
        uid, published, packed, provider, topics, quality, heat, digest = article
        when = datetime.fromisoformat(published)
        if (
            not isinstance(uid, str)
            or when.tzinfo is None
            or not isinstance(topics, list)
            or not all(isinstance(t, str) for t in topics)
            or not all(v is None or type(v) in (int, float) for v in (quality, heat))
            or type(digest) is not int
        ):
            raise ValueError("article")
        decoded = Article(
            uid,
            path,
            when,
            base64.b64decode(packed, validate=True),
            _provider_in(provider),
            tuple(intern(t) for t in topics),
            quality,
            heat,
            digest,
        )
    return LoadResult(path, decoded, tuple(Problem(path, f, m, s) for f, m, s in problems))


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


def _batches(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_snapshot(path: Path, fingerprint: str, wanted: Mapping[str, tuple[str, FileState]]) -> dict[str, LoadResult]:
    """The snapshot's results for the files in `wanted` (path -> the same path, its state)
    whose state is unchanged; nothing at all when the snapshot is missing, stale or corrupt.
    Other rows are skipped undecoded; kept ones use `wanted`'s path strings."""
    out: dict[str, LoadResult] = {}
    try:
        lines = _lines(path)
        header = json.loads(next(lines))
        if header != {"code": fingerprint}:
            return {}
        for batch in _batches(lines, 512):  # one json.loads per batch: most of its cost is per call
            for row in json.loads(b"[" + b",".join(batch) + b"]"):
                known = wanted.get(row[0])
                if known is not None and row[1] == [known[1].size, known[1].mtime_ns, known[1].ino]:
                    result = decode_result(row, known[0])
                    out[result.path] = result
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
