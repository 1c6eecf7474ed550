"""Parsed articles on disk, so a restart with unchanged files does not reparse them.

JSON (never pickle: the file is data, and data cannot run code), keyed by each file's size,
mtime and inode, and stamped with a fingerprint of the code that parsed it. Anything unexpected
in a snapshot makes the whole snapshot be ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._version import __version__
from .loading import FileState, LoadResult
from .model import MAX_US, MIN_US, Article, Problem, Provider, shared_provider

_SOURCES = ("model.py", "loading.py", "snapshot.py")
log = logging.getLogger("feeds")


def code_fingerprint(max_bytes: int) -> str:
    """Changes whenever the code or the setting that turns files into articles changes (and
    with Python's version, whose tuple hash makes state_key)."""
    python = ".".join(map(str, sys.version_info[:2]))
    digest = hashlib.blake2b(f"{__version__}\0{max_bytes}\0{python}".encode(), digest_size=12)
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def snapshot_path(folder: Path, root: Path) -> Path:
    """One snapshot per seeds folder, named by the folder's absolute path."""
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return folder / f"articles-{key}.jsonl"


# --- encoding ----------------------------------------------------------------------------


def _provider_in(value: Any) -> Provider | None:
    if value is None:
        return None
    if type(value) is not list or len(value) != 2:  # (a two-letter string would unpack too)
        raise ValueError("provider")
    name, domain = value
    if type(name) is not str or type(domain) is not str or not domain:
        raise ValueError("provider")
    return shared_provider(name, domain)


def state_key(state: FileState | None) -> int | None:
    """A file's size, mtime and inode as one int (ints and tuples of ints hash the same in every
    process of one Python version): what the catalog keeps a file and a snapshot row carries."""
    return None if state is None else hash((state.size, state.mtime_ns, state.ino))


def encode_result(result: LoadResult | Article, key: int | None) -> list[Any]:
    if isinstance(result, Article):  # a file with no problems, as read_snapshot gives it
        result = LoadResult(result.path, result)
    a = result.article
    article = None
    if a is not None:
        article = [
            a.id,
            a.published_us,
            base64.b64encode(a.packed).decode("ascii"),
            [a.provider.name, a.provider.domain] if a.provider else None,
            list(a.topics),
            a.quality,
            a.heat,
            a.digest,
        ]
    problems = [[p.field, p.message, p.severity] for p in result.problems]
    return [result.path, key, article, problems]


def decode_result(row: Any, same_path: str | None = None) -> LoadResult:
    """A row back to a LoadResult; `same_path`, when given, must equal the row's path and is
    used instead of it, so the catalog holds one copy of each path string. Raises on any
    value of the wrong shape."""
    path, _state, article, problems = row
    if not isinstance(path, str) or (same_path is not None and same_path != path):
        raise ValueError("path")
    path = same_path or path
    decoded = None if article is None else _decode_article(article, path)
    if type(problems) is not list:
        raise ValueError("problems")
    out = []
    for problem in problems:
        field, message, severity = problem
        if type(field) is not str or type(message) is not str or severity not in ("error", "warning"):
            raise ValueError("problem")
        out.append(Problem(path, field, message, severity))
    return LoadResult(path, decoded, tuple(out))


_NUMBER_OR_NONE = {int, float, type(None)}


def _decode_article(article: Any, path: str) -> Article:
    uid, published, packed, provider, topics, quality, heat, digest = article
    if (
        type(uid) is not str
        or type(published) is not int
        or not MIN_US <= published <= MAX_US
        or type(topics) is not list
        or not set(map(type, topics)) <= {str}
        or type(quality) not in _NUMBER_OR_NONE
        or type(heat) not in _NUMBER_OR_NONE
        or type(digest) is not int
    ):
        raise ValueError("article")
    return Article(
        uid,
        path,
        published,
        binascii.a2b_base64(packed, strict_mode=True),  # base64.b64decode(validate=True), without its regex
        _provider_in(provider),
        tuple(map(sys.intern, topics)),  # (model.intern, without its call)
        quality,
        heat,
        digest,
    )


# --- files -------------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[bytes]:
    """The snapshot's header and rows, read a chunk at a time (no whole copy in memory); then
    ValueError unless the file ends with the trailer that counts them and holds the CRC-32 of
    everything before it (a file cut short, or changed on disk)."""
    rest = b""
    count = 0
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            data = rest + chunk
            lines = data.split(b"\n")
            rest = lines.pop()
            crc = zlib.crc32(memoryview(data)[: len(data) - len(rest)], crc)
            count += len(lines)
            yield from lines
    if rest != _trailer(count - 1, crc):
        raise ValueError("the snapshot is cut short or damaged")


def _trailer(rows: int, crc: int) -> bytes:
    return b'{"rows":%d,"crc32":%d}' % (rows, crc)


def _batches(lines: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_snapshot(
    path: Path, fingerprint: str, paths: Mapping[str, str], keys: Mapping[str, int | None]
) -> dict[str, LoadResult | Article]:
    """The snapshot's results for the files in `paths` (path -> the same path string) whose
    state_key in `keys` is unchanged; nothing at all when the snapshot is missing, stale or
    corrupt. Other rows are skipped undecoded; kept ones use `paths`' strings. A file with an
    article and no problems comes back as the Article alone (no LoadResult a file, whose
    memory would be freed between the articles' at the end of a start)."""
    out: dict[str, LoadResult | Article] = {}
    try:
        lines = _lines(path)
        header = json.loads(next(lines))
        if header != {"code": fingerprint}:
            return {}
        for batch in _batches(lines, 512):  # one json.loads per batch: most of its cost is per call
            for row in json.loads(b"[" + b",".join(batch) + b"]"):
                same = paths.get(row[0])
                if same is not None and type(row[1]) is int and row[1] == keys.get(same):
                    if len(row) == 4 and row[2] is not None and row[3] == []:
                        out[same] = _decode_article(row[2], same)
                    else:
                        out[same] = decode_result(row, same)
        return out
    except Exception:
        return {}


def row_line(row: list[Any]) -> bytes:
    """One row as the JSON line the snapshot and the parse helpers' pipes carry."""
    return json.dumps(row, ensure_ascii=True, separators=(",", ":")).encode()


class SnapshotWriter:
    """Writes a snapshot as rows arrive: one JSON line a file after a header line, and a last
    line with the count of rows and the CRC-32 of all before it (20 ms for 64 MB); atomically
    (temp file, then rename on close), so a reader never sees half a snapshot. Not compressed:
    the packed text in the rows is deflated already, and deflating the rest took a start about
    1.5 s of CPU at 100,000 files to save a third of the bytes (64 MB against 42 MB).

    A write that fails (disk full, read-only folder) is logged once and the rest are dropped:
    the snapshot only saves time, it must never stop a start.
    """

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self._rows = 0
        self._crc = 0
        self._handle: Any = None
        self._tmp: str | None = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
            self._handle = os.fdopen(fd, "wb")
            self._write(json.dumps({"code": fingerprint}).encode() + b"\n")
        except OSError as exc:
            self._fail(exc)

    def add(self, row: list[Any]) -> None:
        self._rows += 1
        self._write(row_line(row) + b"\n")

    def add_line(self, line: bytes, path: str, key: int | None) -> None:
        """A row as a parse helper encoded it (with no state), stamped with the file's state:
        the row is not decoded and encoded again."""
        if self._handle is None:
            return
        name = json.dumps(path)
        prefix = f"[{name},null,".encode()
        if not line.startswith(prefix):  # a bug of ours: no snapshot rather than a wrong one
            log.warning("not writing the snapshot %s: a row for %r is not as expected", self.path, path)
            self.discard()
            return
        fixed = f"[{name},{json.dumps(key)},".encode()
        self._rows += 1
        self._write(fixed + line[len(prefix) :] + b"\n")

    def stamped(self, keys: Mapping[str, int | None]) -> Callable[[str, bytes], None]:
        """add_line for parse_files' on_line: the state_key is looked up in `keys` by path."""

        def add(path: str, line: bytes) -> None:
            self.add_line(line, path, keys.get(path))

        return add

    def _write(self, data: bytes) -> None:
        if self._handle is None:
            return
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= 1 << 18:  # write in big pieces: each call costs
            self._flush()

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            self._handle.write(data)
            self._crc = zlib.crc32(data, self._crc)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        log.warning("cannot write the snapshot %s: %s; the next start parses every file", self.path, exc)
        self.discard()

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def close(self) -> None:
        """Finish the file and put it in place (or nothing, after a failed write)."""
        if self._handle is None or self._tmp is None:
            return
        self._flush()
        if self._handle is None:
            return
        try:
            self._handle.write(_trailer(self._rows, self._crc))
            self._handle.close()
            self._handle = None
            os.replace(self._tmp, self.path)
            self._tmp = None
        except OSError as exc:
            self._fail(exc)

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()
