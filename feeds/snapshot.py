"""Parsed articles on disk, so a restart with unchanged files does not reparse them.

Columns of plain data (never pickle: the file is data, and data cannot run code), keyed by each
file's size, mtime and inode, and stamped with a fingerprint of the code that parsed it.
Anything unexpected in a snapshot makes the whole snapshot be ignored and rebuilt, never
trusted. The JSON rows here (encode_result, decode_result) are also what parse helpers send.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import logging
import operator
import os
import sys
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ._version import __version__
from .index import GroupKind, Index, IndexBuilder, date_keys
from .loading import LoadResult
from .model import MAX_US, MIN_US, Article, Problem, Provider, packed_bytes, shared_provider
from .paged import hold

_SOURCES = ("model.py", "loading.py", "folder.py", "index.py", "snapshot.py")
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
    return folder / f"articles-{key}.snapshot"


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


def encode_result(result: LoadResult | Article, key: int | None) -> list[Any]:
    if isinstance(result, Article):  # a file with no problems, as read_snapshot gives it
        result = LoadResult(result.path, result)
    a = result.article
    article = None
    if a is not None:
        article = [
            a.id,
            a.published_us,
            base64.b64encode(packed_bytes(a.packed)).decode("ascii"),
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
_PATH = operator.attrgetter("path")


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


def row_line(row: list[Any]) -> bytes:
    """One row as the JSON line the parse helpers' pipes carry."""
    return json.dumps(row, ensure_ascii=True, separators=(",", ":")).encode()


# --- files -------------------------------------------------------------------------------
#
# A snapshot is columns, not rows: a start reads each column with one C call (a split of a
# joined text, an array's frombytes, one json.loads) and then makes each kept article in one
# short loop, with no per-row parse, decode or check:
#
#   MAGIC, a JSON header line (the code's fingerprint, byte order, counts, section sizes, and
#   the CRC-32 of the body), then the body: its sections one after another, in SECTIONS order.
#
# Rows are the files with an article (problem-free or with warnings); the few files with an
# error and no article go in `extra` as JSON rows of encode_result's shape, with the problems
# of article rows. Everything is checked (sizes, counts, ranges, types, the CRC) before any of
# it is used: a snapshot that is not exactly what this code writes is ignored as a whole.

MAGIC = b"feeds-snapshot 3\n"
SECTIONS = (
    "paths",  # UTF-8, NUL between (no path or id holds a NUL: Linux names cannot, ids are checked)
    "keys",  # array('q'): each file's state_key
    "ids",  # UTF-8, NUL between
    "published",  # array('q')
    "packed",  # every article's packed text, one after another
    "ends",  # array('Q'): where each packed text ends
    "providers",  # array('i'): index into extra's provider table, -1 for none
    "topics",  # array('I'): index into the table of topic tuples
    "quality",  # array('I'): index into extra's table of numbers (one object a value, shared)
    "heat",  # array('I'): the same
    "digests",  # array('Q')
    "topic_names",  # the table of topic tuples: every tuple's names, UTF-8, NUL between
    "topic_sizes",  # array('I'): how many names each tuple has
    "members",  # array('I'): the rows of each group of the index, one group after another
    "extra",  # JSON: the small tables, problems, rows with no article, the index's state
)
_ARRAYS = {
    "keys": "q",
    "published": "q",
    "ends": "Q",
    "providers": "i",
    "topics": "I",
    "quality": "I",
    "heat": "I",
    "digests": "Q",
}


def _array(code: str, data: memoryview | bytes, count: int) -> array[int]:
    out: array[int] = array(code)
    if len(data) != count * out.itemsize:
        raise ValueError("a column of the wrong size")
    out.frombytes(data)
    return out


def _texts(data: memoryview | bytes, count: int) -> list[str]:
    out = bytes(data).decode("utf-8", "surrogatepass").split("\0") if count else []
    if len(out) != count or (count == 0 and len(data)):
        raise ValueError("a text column of the wrong count")
    return out


Pick = Callable[[Mapping[str, str] | None, Mapping[str, int | None]], dict[str, LoadResult | Article]]
Restore = Callable[[IndexBuilder, Mapping[str, LoadResult | Article]], Index]
States = Callable[[], dict[str, int | None]]


def read_snapshot(
    path: Path, fingerprint: str, paths: Mapping[str, str], keys: Mapping[str, int | None]
) -> dict[str, LoadResult | Article]:
    """The snapshot's results for the files in `paths` (path -> the same path string) whose
    state_key in `keys` is unchanged; nothing at all when the snapshot is missing, stale or
    corrupt. Kept articles use `paths`' strings. A file with an article and no problems comes
    back as the Article alone (no LoadResult a file)."""
    return open_snapshot(path, fingerprint).pick(paths, keys)


class Snapshot:
    """A snapshot read and checked: pick() the rows still current, and then, when every file is
    as the snapshot has it, restore() the index it was written with. None of them ever raises: a
    part that is not right gives nothing, and the caller parses or builds instead."""

    def __init__(self, pick: Pick | None = None, restore: Restore | None = None, states: States | None = None) -> None:
        self._pick = pick
        self._restore = restore
        self._states = states

    def states(self) -> dict[str, int | None]:
        """Every file the snapshot holds, with the state_key it had: a start that takes all of
        them (take_all(), then restore()) before its scan is back keeps what it made when the
        scan finds exactly these files in exactly these states."""
        try:
            return self._states() if self._states else {}
        except Exception:
            return {}

    def pick(self, paths: Mapping[str, str], keys: Mapping[str, int | None]) -> dict[str, LoadResult | Article]:
        try:
            return self._pick(paths, keys) if self._pick else {}
        except Exception:
            self._restore = None
            return {}

    def take_all(self) -> dict[str, LoadResult | Article]:
        """pick() of every row, as if every file were as the snapshot has it (see states())."""
        try:
            return self._pick(None, {}) if self._pick else {}
        except Exception:
            self._restore = None
            return {}

    def restore(self, builder: IndexBuilder, picked: Mapping[str, LoadResult | Article]) -> Index | None:
        """The index, put into the empty `builder`, when `picked` (what pick() gave) is every row of
        the snapshot and it holds an index; else None, and the builder is to be thrown away."""
        try:
            return self._restore(builder, picked) if self._restore else None
        except Exception:
            return None


def open_snapshot(path: Path, fingerprint: str) -> Snapshot:
    """read_snapshot in steps: this reads and checks the whole file (while the folder is
    scanned elsewhere, say); its pick() keeps the rows still current."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        return Snapshot(*_read(data, fingerprint, path.parent))
    except Exception:  # anything at all: the snapshot is not trusted, the files are parsed
        return Snapshot()


def _read(data: bytes, fingerprint: str, folder: Path | None = None) -> tuple[Pick, Restore, States]:
    """The snapshot `data` checked, and what reads it; `folder` (the snapshot's) is where its
    packed texts are put in the page cache (see paged.hold): None keeps them as bytes."""
    if not data.startswith(MAGIC):
        raise ValueError("not a snapshot of this format")
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    if header.get("code") != fingerprint or header.get("byteorder") != sys.byteorder:
        raise ValueError("another version")
    rows, sizes, crc = header["rows"], header["sections"], header["crc32"]
    if type(rows) is not int or rows < 0 or type(sizes) is not list or len(sizes) != len(SECTIONS):
        raise ValueError("header")
    if not all(type(size) is int and size >= 0 for size in sizes) or end + 1 + sum(sizes) != len(data):
        raise ValueError("the snapshot is cut short or too long")
    body = memoryview(data)[end + 1 :]
    if zlib.crc32(body) != crc:
        raise ValueError("the snapshot was changed or damaged")
    section: dict[str, memoryview] = {}
    at = 0
    for name, size in zip(SECTIONS, sizes, strict=True):
        section[name] = body[at : at + size]
        at += size
    col_paths = _texts(section["paths"], rows)
    col_ids = _texts(section["ids"], rows)
    col = {name: _array(code, section[name], rows) for name, code in _ARRAYS.items()}
    published, ends = col["published"], col["ends"]
    if rows and (min(published) < MIN_US or max(published) > MAX_US):
        raise ValueError("a date out of range")
    if any(a > b for a, b in itertools.pairwise(ends)) or (rows and ends[-1] != sizes[SECTIONS.index("packed")]):
        raise ValueError("packed texts")
    first = end + 1 + sum(sizes[: SECTIONS.index("packed")])  # where the packed texts start in data
    extra = json.loads(bytes(section["extra"]))
    provider_table = [_provider_in(p) for p in extra["providers"]]
    sizes_of_topics = section["topic_sizes"]
    topic_table = _topic_table(section["topic_names"], _array("I", sizes_of_topics, len(sizes_of_topics) // 4))
    numbers = extra["numbers"]  # every quality and heat value, once
    if type(numbers) is not list or not set(map(type, numbers)) <= _NUMBER_OR_NONE:
        raise ValueError("numbers")
    providers, topics, quality, heat = col["providers"], col["topics"], col["quality"], col["heat"]
    if rows and (
        min(providers) < -1
        or max(providers) >= len(provider_table)
        or max(topics) >= len(topic_table)
        or max(max(quality), max(heat)) >= len(numbers)
    ):
        raise ValueError("a table index out of range")
    provider_table.append(None)  # index -1
    problems = {}
    for row, listed in extra["problems"]:
        if type(row) is not int or not 0 <= row < rows:
            raise ValueError("problems")
        problems[row] = listed
    dates = published.tolist()
    made: list[Article] = []  # every row's article, in row order, for restore()
    paged: list[list[int] | None] = []  # the packed texts as paged ints, once a pick has asked
    found: dict[str, tuple[Problem, ...]] = {}  # the problems of the kept files that have some

    def pick(paths: Mapping[str, str] | None, keys: Mapping[str, int | None]) -> dict[str, LoadResult | Article]:
        # Which rows are still their file's (its state unchanged), and then every kept article made
        # by C loops (map, zip, compress): tuple.__new__ over zipped columns is Article(...) without
        # a Python call a row. About 4 times faster than a loop over rows.
        made.clear()
        found.clear()
        if paths is None:  # take_all(): every row, with the snapshot's own strings
            sames: list[Any] = col_paths
            keep = [True] * rows
        else:
            sames = list(map(paths.get, col_paths))
            keep = list(map(operator.eq, map(keys.get, col_paths), col["keys"].tolist()))

        def current(name: Any, key: Any) -> str | None:
            """The catalog's string for a row of extra's, when it is current."""
            if paths is None:
                return name if type(name) is str else None
            same = paths.get(name)
            return same if same is not None and type(key) is int and key == keys.get(same) else None

        if not paged:  # (once: the texts go to the page cache at the first pick)
            paged.append(hold(section["packed"], ends, folder) if folder is not None and rows else None)
        texts: Iterable[bytes | int] | None = paged[0]
        if texts is None:  # each text a bytes object, as a cold start has them
            offsets = [first, *(stop + first for stop in ends)]
            texts = map(data.__getitem__, map(slice, offsets, offsets[1:]))
        columns = (
            col_ids,
            sames,
            dates,
            texts,
            map(provider_table.__getitem__, providers),
            map(topic_table.__getitem__, topics),
            map(numbers.__getitem__, quality),
            map(numbers.__getitem__, heat),
            col["digests"].tolist(),
        )
        kept_all = all(keep)
        if not kept_all:
            columns = tuple(itertools.compress(column, keep) for column in columns)  # type: ignore[assignment]
            sames = list(itertools.compress(sames, keep))
        articles = list(map(tuple.__new__, itertools.repeat(Article), zip(*columns, strict=True)))
        out: dict[str, LoadResult | Article] = dict(zip(sames, articles, strict=True))
        for row, listed in problems.items():
            if keep[row]:
                name = sames[row] if paths is None else paths[col_paths[row]]
                article = out[name]
                assert isinstance(article, Article)
                out[name] = LoadResult(name, article, _problems_in(listed, name))
                found[name] = out[name].problems  # type: ignore[union-attr]
        for name, key in extra["unpublished"]:
            same = current(name, key)
            if same is not None:
                out[same] = LoadResult(same, None, ())
        for row in extra["no_article"]:
            same = current(row[0], row[1])
            if same is not None:
                result = decode_result(row, same)
                if result.article is not None:
                    raise ValueError("a row with no article has one")
                out[same] = result
                if result.problems:
                    found[same] = result.problems
        if kept_all and len(out) == rows + len(extra["unpublished"]) + len(extra["no_article"]):
            made[:] = articles
        return out

    saved = extra["index"]
    if saved is not None:
        metas = saved["groups"]
        counts = [meta[4] for meta in metas]
        if not all(type(n) is int and n >= 0 for n in counts):
            raise ValueError("index")
        member_rows = _array("I", section["members"], sum(counts))
        if member_rows and max(member_rows) >= rows:
            raise ValueError("index")

    def restore(builder: IndexBuilder, picked: Mapping[str, LoadResult | Article]) -> Index:
        # picked is what pick() gave: made holds its articles when it kept every row
        if not made or len(made) != rows or saved is None:
            raise ValueError("no index to restore")
        row_keys = date_keys(made)  # each row's key once, then each group's keys by its rows
        groups: list[tuple[GroupKind, str, str, tuple[Article, ...], array[float], int, str]] = []
        at = 0
        for kind, slug, name, names, count, total in metas:
            if kind not in ("site", "topic", "provider") or not all(type(x) is str for x in (slug, name, names)):
                raise ValueError("a group")
            these = member_rows[at : at + count]
            if kind == "site" and len(set(these)) != rows:
                raise ValueError("the site group is not every article once")
            members = tuple(map(made.__getitem__, these))
            groups.append((kind, slug, name, members, array("d", map(row_keys.__getitem__, these)), total, names))
            at += count
        by_path = dict(zip(map(_PATH, made), made, strict=True))
        return builder.restore(by_path, found, saved, groups)

    def states() -> dict[str, int | None]:
        out: dict[str, int | None] = dict(zip(col_paths, col["keys"].tolist(), strict=True))
        for name, key, *_ in (*extra["unpublished"], *extra["no_article"]):
            if type(name) is not str or type(key) is not int:
                raise ValueError("a row")
            out[name] = key
        return out

    return pick, restore, states


def _topic_table(names: memoryview, sizes: array[int]) -> list[tuple[str, ...]]:
    """The table of topic tuples: the names (interned, as model.intern does) cut by sizes."""
    if len(names) and not sizes:
        raise ValueError("topic names with no table")
    table = list(map(sys.intern, _texts(names, sum(sizes))))
    starts = list(itertools.accumulate(sizes, initial=0))
    return list(map(tuple, map(table.__getitem__, map(slice, starts, starts[1:]))))


def _problems_in(listed: Any, path: str) -> tuple[Problem, ...]:
    result = decode_result([path, None, None, listed], path)
    if not result.problems:
        raise ValueError("an empty list of problems")
    return result.problems


def write_snapshot(
    path: Path,
    fingerprint: str,
    results: Iterable[tuple[str, Article | None, tuple[Problem, ...]]],
    keys: Mapping[str, int | None],
    index: dict[str, Any] | None = None,
) -> None:
    """Writes the snapshot of `results` (each file's path, article and problems), each with its
    state_key from `keys`, and of every other file in `keys` as one with no article and no
    problem (an unpublished one), atomically (a temp file, then a rename): a reader never sees half of
    one. A file whose state is unknown is left out. A write that fails (disk full, read-only
    folder) is logged: the snapshot only saves time, it must never stop a start."""
    col_paths: list[str] = []
    col_keys = array("q")
    col_ids: list[str] = []
    published = array("q")
    packed: list[bytes] = []
    ends = array("Q")
    providers = array("i")
    topics = array("I")
    quality = array("I")
    heat = array("I")
    digests = array("Q")
    provider_at: dict[Provider | None, int] = {None: -1}
    topic_at: dict[tuple[str, ...], int] = {}
    numbers: list[float | None] = []  # every quality and heat value once
    number_at: dict[str, int] = {}  # its repr -> where in numbers: 1 and 1.0, 0.0 and -0.0 stay apart
    problems: list[list[Any]] = []
    no_article: list[list[Any]] = []
    size = 0
    for name, article, found in results:
        key = keys.get(name)
        if key is None:
            continue
        if article is None:
            no_article.append(encode_result(LoadResult(name, None, found), key))
            continue
        if "\0" in article.id or any("\0" in topic for topic in article.topics):
            log.warning("not writing the snapshot %s: an id or a topic holds a NUL", path)
            return
        if found:
            problems.append([len(col_paths), [[p.field, p.message, p.severity] for p in found]])
        col_paths.append(name)
        col_keys.append(key)
        col_ids.append(article.id)
        published.append(article.published_us)
        try:
            blob = packed_bytes(article.packed)
        except (OSError, ValueError) as exc:  # (a text of the page cache that cannot be read now)
            log.warning("not writing the snapshot %s: the text of %s cannot be read: %s", path, name, exc)
            return
        packed.append(blob)
        size += len(blob)
        ends.append(size)
        at = provider_at.get(article.provider)
        if at is None:
            at = provider_at[article.provider] = len(provider_at) - 1
        providers.append(at)
        at = topic_at.get(article.topics)
        if at is None:
            at = topic_at[article.topics] = len(topic_at)
        topics.append(at)
        for value, column in ((article.quality, quality), (article.heat, heat)):
            at = number_at.get(text := repr(value))
            if at is None:
                at = number_at[text] = len(numbers)
                numbers.append(value)
            column.append(at)
        digests.append(article.digest)
    members = array("I")
    saved_index = None
    if index is not None:  # IndexBuilder.export(): its groups as rows, the rest as it is
        row_of = {name: row for row, name in enumerate(col_paths)}
        metas = []
        for group in index["groups"]:
            members.extend(map(row_of.__getitem__, map(_PATH, group.articles)))
            metas.append([group.kind, group.slug, group.name, group.names, len(group.articles), group.total])
        saved_index = {**index, "groups": metas}
    written = set(col_paths).union(row[0] for row in no_article)
    unpublished = [[name, key] for name, key in keys.items() if key is not None and name not in written]
    extra = {
        "unpublished": unpublished,  # files with no article and no problem: unpublished ones
        "providers": [[p.name, p.domain] for p in provider_at if p is not None],
        "numbers": numbers,
        "problems": problems,
        "no_article": no_article,
        "index": saved_index,
    }
    sections = {
        "paths": "\0".join(col_paths).encode("utf-8", "surrogatepass"),  # (names that are not UTF-8)
        "keys": col_keys.tobytes(),
        "ids": "\0".join(col_ids).encode("utf-8", "surrogatepass"),
        "published": published.tobytes(),
        "packed": b"".join(packed),
        "ends": ends.tobytes(),
        "providers": providers.tobytes(),
        "topics": topics.tobytes(),
        "quality": quality.tobytes(),
        "heat": heat.tobytes(),
        "digests": digests.tobytes(),
        "topic_names": "\0".join(itertools.chain.from_iterable(topic_at)).encode("utf-8", "surrogatepass"),
        "topic_sizes": array("I", map(len, topic_at)).tobytes(),
        "members": members.tobytes(),
        "extra": json.dumps(extra, separators=(",", ":")).encode(),
    }
    body = [sections[name] for name in SECTIONS]
    crc = 0
    for part in body:
        crc = zlib.crc32(part, crc)
    header = {
        "code": fingerprint,
        "byteorder": sys.byteorder,
        "rows": len(col_paths),
        "sections": [len(part) for part in body],
        "crc32": crc,
    }
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + json.dumps(header).encode() + b"\n")
            for part in body:
                handle.write(part)
        os.replace(tmp, path)
        tmp = None
        path.with_suffix(".jsonl").unlink(missing_ok=True)  # a snapshot of the first format, if any
    except OSError as exc:
        log.warning("cannot write the snapshot %s: %s; the next start parses every file", path, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
