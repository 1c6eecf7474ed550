"""Packed texts kept in the page cache instead of the heap.

A warm start used to make a `bytes` object an article for its packed text (about 430 B each, a
third of what an article costs in memory), in the supervisor and so in every worker. Here the
packed texts of a snapshot are written once into a file that no name leads to (nothing outside
can change or truncate it, and it is gone with the process), and an article holds a `Paged` int,
where its text is, instead of the bytes: the text is read back with `pread` when a render or a
search needs it (a render keeps the last details it unpacked; see model.unpack_detail). The
bytes are then the kernel's page cache, in no process's memory: written back to disk and dropped
when memory is short, read again when asked. (A mapping was tried first: ext4's large folios
put most of the file into a worker's RSS after fifty reads.)

A Paged value is `(where << LENGTH_BITS) | length`. `where` places the text in this process's
one space of texts (each hold takes the next range of it), so the ints of different snapshots
never collide; every value is under 2**60, 32 bytes in CPython. A text of 16 MiB or more, or
over 64 GiB held in one process, is not paged (the caller keeps its bytes).

One file a process: each hold appends to it. A process forked after a hold reads the ranges it
inherited from its parent's file (pread keeps no shared file position), and appends what it
holds itself to a file of its own. The texts are not checked again when read: the snapshot's
CRC-32 was, before they were written, and no one else can write to the file. On a tmpfs the
file is memory that no process is charged with: put the snapshot folder on a disk. Standard
library only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from bisect import bisect_right
from collections.abc import Sequence
from itertools import repeat
from operator import lshift, or_, sub
from pathlib import Path

LENGTH_BITS = 24
_LENGTH_MASK = (1 << LENGTH_BITS) - 1
_SPACE = 1 << (60 - LENGTH_BITS)  # where < this: every Paged int under 2**60


class _Range:
    """One hold's texts: in `fd` at `where - delta`, or in `memory` when they could not be
    written; `written` is set once they are in one of the two."""

    __slots__ = ("delta", "fd", "memory", "size", "start", "written")

    def __init__(self, start: int, size: int, fd: int, delta: int) -> None:
        self.start, self.size, self.fd, self.delta = start, size, fd, delta
        self.memory: bytes | None = None
        self.written = threading.Event()


_lock = threading.Lock()
_starts: list[int] = []  # where each range of the space begins, ascending
_ranges: list[_Range] = []  # appended before their start above
_end = 0  # where the next range begins
_file: tuple[int, int] | None = None  # (fd, size) of the file this process appends to


def hold(texts: bytes | memoryview, ends: Sequence[int], folder: Path) -> list[int] | None:
    """Puts `texts` (packed texts one after the other, text n ending at ends[n]) into this
    process's unnamed file (made in `folder` the first time): the Paged int of each text, or None
    when there is no such file (a folder that is read-only), or a text is too long: keep the
    bytes then.

    The write runs in a thread (`pwrite` lets go of the GIL: a start goes on making its articles
    meanwhile); reading a text of it, or forking, waits for it (settle()). If the write fails (a
    full disk), the texts are kept in memory instead, so a Paged int always finds its text."""
    global _end, _file
    size = len(texts)
    begins = [0, *ends[:-1]]
    lengths = list(map(sub, ends, begins))
    if not size or max(lengths, default=0) > _LENGTH_MASK or min(lengths, default=0) < 0:
        return None
    with _lock:
        if size > _SPACE - _end:
            return None
        try:
            fd, offset = _file or (_unnamed_file(folder), 0)
        except OSError:
            return None
        _file = (fd, offset + size)  # (a write that fails leaves its part of the file unused)
        start = _end
        _end += size
        where = _Range(start, size, fd, start - offset)
        _ranges.append(where)
        _starts.append(start)
    try:
        threading.Thread(target=_write, args=(where, texts, offset), name="feeds-paged", daemon=True).start()
    except RuntimeError:  # no thread to be had: written here and now
        _write(where, texts, offset)
    # ((start + begin) << LENGTH_BITS) | (end - begin), text by text, in C loops
    return list(map(or_, map(lshift, map(start.__add__, begins), repeat(LENGTH_BITS)), lengths))


def _write(where: _Range, texts: bytes | memoryview, offset: int) -> None:
    view = memoryview(texts)
    done = 0
    try:
        while done < where.size:
            done += os.pwrite(where.fd, view[done:], offset + done)
    except OSError:  # a full disk, say
        where.memory = bytes(view)
    finally:
        where.written.set()


def settle() -> None:
    """Waits until the texts of every hold so far are written (or kept in memory)."""
    for where in list(_ranges):
        where.written.wait()


def _forked() -> None:
    """In a child: a lock no thread of the child holds, and no file to append to (the parent's
    is still read, through the descriptor the child inherited)."""
    global _lock, _file
    _lock = threading.Lock()
    _file = None


os.register_at_fork(before=settle, after_in_child=_forked)  # no child is forked with texts half written


def _unnamed_file(folder: Path) -> int:
    """A file in `folder` that no name leads to: it is gone with its last descriptor."""
    flags = getattr(os, "O_TMPFILE", 0)
    if flags:
        with contextlib.suppress(OSError):  # (a file system without O_TMPFILE: named, then unlinked)
            return os.open(folder, flags | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".texts-")
    os.unlink(name)
    return fd


def fetch(value: int) -> bytes:
    """The text a Paged int stands for; ValueError for an int that is none, OSError when it
    cannot be read now (an I/O error)."""
    at, length = value >> LENGTH_BITS, value & _LENGTH_MASK
    n = bisect_right(_starts, at) - 1
    if value < 0 or n < 0:
        raise ValueError("not a paged text")
    where = _ranges[n]
    if at + length > where.start + where.size:
        raise ValueError("not a paged text")
    if not where.written.is_set():
        where.written.wait()
    if where.memory is not None:
        return where.memory[at - where.start : at - where.start + length]
    text = os.pread(where.fd, length, at - where.delta)
    if len(text) != length:
        raise ValueError("a paged text cut short")
    return text
