"""The seeds folder as rows: which files are articles, and each one's state (size, mtime and
inode as one int) that says whether it must be read again.

Only the standard library: `feeds serve` starts its scan in a child process before it imports
the rest (the parser, the index, Flask), so the scan runs while those imports do.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import operator
import os
import stat
import threading
from array import array
from collections.abc import Iterator
from functools import partial
from operator import attrgetter, itemgetter, methodcaller
from pathlib import Path

ARTICLE_SUFFIXES = (".txt", ".md", ".yaml", ".yml")
log = logging.getLogger("feeds")
Row = tuple[str, int | None, str | None]  # (relative path, state_key or None, why it is skipped)


def is_article_name(name: str) -> bool:
    """Article files by suffix; hidden files and editor leftovers are not articles."""
    if name.startswith((".", "#", "~")) or name.endswith(("~", "#")):
        return False
    return name.lower().endswith(ARTICLE_SUFFIXES)


def article_names(names: list[str]) -> list[bool]:
    """is_article_name of each name, in C loops (a scan asks it of 100,000 names)."""
    suffixed = map(str.endswith, map(str.lower, names), itertools.repeat(ARTICLE_SUFFIXES))
    marked = map(str.startswith, names, itertools.repeat((".", "#", "~")))
    return list(map(operator.gt, suffixed, marked))  # suffixed and not marked (a suffix never ends in ~ or #)


_STATE = attrgetter("st_size", "st_mtime_ns", "st_ino")
_MODE = attrgetter("st_mode")
_HIDDEN = methodcaller("startswith", ".")
_PATH, _KEY = itemgetter(0), itemgetter(1)


def state_key(info: os.stat_result) -> int:
    """What decides whether a file must be read again: its size, mtime and inode (from its
    lstat) as one int, what the catalog keeps a file and a snapshot row carries (a tuple of ints
    hashes the same in every process of one Python version)."""
    return hash(_STATE(info))


def scan_folder(root: Path) -> Iterator[Row]:
    """Every article file below root: (relative path, its state_key, None), or (path, None,
    why it is skipped). Subfolders are read (hidden ones are not); symlinked folders are never
    followed. The rows are made with C loops, a run of names at a time (their lstats by `map` in
    the open folder, their keys by `map`): about a third of the time of a row at a time, which
    matters at 100,000 files. A run with anything but regular files in it, or a name gone
    before its lstat, is taken a name at a time."""
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        folder = os.path.join(root, rel_dir) if rel_dir else os.fspath(root)
        try:
            names = sorted(itertools.filterfalse(_HIDDEN, os.listdir(folder)))
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            for at in range(0, len(names), _RUN):
                yield from _rows(folder, f"{rel_dir}/" if rel_dir else "", names[at : at + _RUN], handle, stack)
        finally:
            os.close(handle)


_RUN = 1024  # names whose lstat results are alive at once (100,000 of them would be 50 MB)


def _rows(folder: str, prefix: str, names: list[str], handle: int, stack: list[str]) -> Iterator[Row]:
    try:
        infos: list[os.stat_result | None] = list(map(partial(os.lstat, dir_fd=handle), names))
    except OSError:
        infos = [_lstat(name, handle) for name in names]
    if None not in infos and all(map(stat.S_ISREG, map(_MODE, infos))):  # the common case
        kept = article_names(names)
        rels = itertools.compress(names, kept)
        yield from zip(
            map(prefix.__add__, rels) if prefix else rels,
            map(hash, map(_STATE, itertools.compress(infos, kept))),
            itertools.repeat(None),
        )
        return
    for name, info in zip(names, infos, strict=True):
        if info is None:
            continue
        rel = prefix + name
        if stat.S_ISDIR(info.st_mode):
            stack.append(rel)
        elif stat.S_ISLNK(info.st_mode) and os.path.isdir(os.path.join(folder, name)):
            yield rel, None, "symlinked folders are not followed"
        elif is_article_name(name):
            yield rel, state_key(info), None


def _lstat(name: str, folder: int) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=folder)
    except OSError:
        return None


class FolderScan:
    """scan_folder(root), done by a forked child while this process goes on (`feeds serve`
    imports its modules and reads the snapshot meanwhile: at 100,000 files each takes about
    half a second). The child sends the paths joined by NUL (no Linux name holds one) and the
    keys as an array. Scanned here instead when this process runs threads (a fork copies none
    of them, but locks they hold would stay held in the child) or when the child fails."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pid = 0
        self.fd = -1
        if threading.active_count() > 1 or not hasattr(os, "fork"):
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(read_end)
                with open(write_end, "wb") as out:
                    out.write(_encode(root))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.fd = pid, read_end

    def rows(self) -> list[Row]:
        """The scan's rows (waiting for the child if it has not finished)."""
        return rows_of(*self.columns())

    def columns(self) -> tuple[list[str], list[int | None], dict[str, str]]:
        """The scan's rows as columns: the paths, their keys (None for a skipped one), and why
        each skipped one is."""
        if self.pid:
            pid, self.pid = self.pid, 0
            with open(self.fd, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            if status == 0:
                with contextlib.suppress(ValueError, KeyError, TypeError, UnicodeDecodeError):
                    return _decode(data)
            log.warning("the folder scan in a child process failed; scanning here")
        rows = list(scan_folder(self.root))
        return list(map(_PATH, rows)), list(map(_KEY, rows)), {row[0]: row[2] or "" for row in rows if row[1] is None}


def rows_of(names: list[str], keys: list[int | None], skipped: dict[str, str]) -> list[Row]:
    """FolderScan.columns() back as scan_folder's rows."""
    return list(zip(names, keys, map(skipped.get, names), strict=True))


def _encode(root: Path) -> bytes:
    rows = list(scan_folder(root))
    names = list(map(_PATH, rows))
    skipped = [[at, row[2]] for at, row in enumerate(rows) if row[1] is None]
    keys = array("q", [0 if key is None else key for key in map(_KEY, rows)] if skipped else map(_KEY, rows))
    text = "\0".join(names).encode("utf-8", "surrogatepass")
    head = json.dumps({"rows": len(names), "text": len(text), "skipped": skipped}).encode()
    return head + b"\n" + text + keys.tobytes()


def _decode(data: bytes) -> tuple[list[str], list[int | None], dict[str, str]]:
    end = data.index(b"\n")
    head = json.loads(data[:end])
    rows, size = head["rows"], head["text"]
    text = data[end + 1 : end + 1 + size]
    names = text.decode("utf-8", "surrogatepass").split("\0") if rows else []
    packed = array("q")
    packed.frombytes(data[end + 1 + size :])
    if len(names) != rows or len(packed) != rows:
        raise ValueError("a scan of the wrong size")
    keys: list[int | None] = packed.tolist()  # type: ignore[assignment]
    skipped = {}
    for at, why in head["skipped"]:
        keys[at] = None
        skipped[names[at]] = str(why)
    return names, keys, skipped


__all__ = [
    "ARTICLE_SUFFIXES",
    "FolderScan",
    "Row",
    "article_names",
    "is_article_name",
    "rows_of",
    "scan_folder",
    "state_key",
]
