"""Packed texts kept in the page cache (feeds.paged): what goes in comes out, from this process
and from a child forked after, and nothing else does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds import paged


def texts_of(*texts: bytes) -> tuple[bytes, list[int]]:
    ends, at = [], 0
    for text in texts:
        at += len(text)
        ends.append(at)
    return b"".join(texts), ends


def test_each_text_comes_back_as_it_went_in_and_no_file_is_left_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paged, "_file", None)  # its file is made here, in tmp_path
    words = [b"one", b"", b"\x00\xff" * 3000, "ünïcode".encode()]
    first = paged.hold(*texts_of(*words), tmp_path)
    again = paged.hold(*texts_of(b"second snapshot"), tmp_path)
    assert first is not None and again is not None
    assert [paged.fetch(v) for v in first] == words
    assert paged.fetch(again[0]) == b"second snapshot"
    assert len(set(first) | set(again)) == 5  # no two texts share an int
    assert all(0 <= v < 2**60 for v in first + again)  # (ints of 32 bytes)
    assert os.listdir(tmp_path) == []  # the file has no name: nothing to leave behind or tamper with


def test_an_int_that_is_no_text_is_refused(tmp_path: Path) -> None:
    values = paged.hold(*texts_of(b"abc", b"defg"), tmp_path)
    assert values is not None
    end = (values[-1] >> paged.LENGTH_BITS) + 4
    for wrong in (-1, values[-1] + 1, (end << paged.LENGTH_BITS) | 1, 2**61):
        with pytest.raises(ValueError):
            paged.fetch(wrong)


def test_where_it_cannot_hold_the_bytes_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paged, "_file", None)  # as a process that holds nothing yet
    assert paged.hold(*texts_of(b"x"), tmp_path / "missing") is None  # (or read-only)
    assert paged._file is None
    too_long = b"y" * (1 << paged.LENGTH_BITS)
    assert paged.hold(*texts_of(b"a", too_long), tmp_path) is None
    assert paged.hold(b"", [], tmp_path) is None


def test_a_forked_child_reads_what_it_inherited_and_holds_in_a_file_of_its_own(tmp_path: Path) -> None:
    inherited = paged.hold(*texts_of(b"from the parent"), tmp_path)
    assert inherited is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: exits without running pytest's teardown
        try:
            own = paged.hold(*texts_of(b"the child's own"), tmp_path)
            ok = own is not None and paged.fetch(inherited[0]) == b"from the parent"
            ok = ok and paged.fetch(own[0]) == b"the child's own" and paged.fetch(inherited[0]) == b"from the parent"
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 2) == b"ok"
    os.waitpid(pid, 0)
    assert paged.fetch(inherited[0]) == b"from the parent"  # the child's appends went elsewhere
    later = paged.hold(*texts_of(b"the parent again"), tmp_path)
    assert later is not None and paged.fetch(later[0]) == b"the parent again"


def test_texts_that_cannot_be_written_are_kept_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write runs after hold() has given its ints (a full disk tells only then): the ints
    still find their texts."""

    def full(*args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(paged.os, "pwrite", full)
    values = paged.hold(*texts_of(b"kept", b"in memory"), tmp_path)
    assert values is not None
    assert [paged.fetch(v) for v in values] == [b"kept", b"in memory"]
    monkeypatch.undo()
    later = paged.hold(*texts_of(b"written again"), tmp_path)
    assert later is not None and paged.fetch(later[0]) == b"written again"
    assert [paged.fetch(v) for v in values] == [b"kept", b"in memory"]


def test_a_text_is_read_only_once_written_and_a_read_error_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that comes while the write is still going waits for it; an I/O error gives an
    empty Detail that time only (the next read, the error gone, gives the article's)."""
    import threading

    from feeds.model import Detail, detail_of, forget_details, pack_detail, unpack_detail

    gate = threading.Event()
    real_pwrite = os.pwrite

    def slow(fd: int, data: memoryview, offset: int) -> int:
        gate.wait(5)
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(paged.os, "pwrite", slow)
    detail = Detail("A title", "An excerpt", "A body")
    values = paged.hold(*texts_of(pack_detail(detail)), tmp_path)
    assert values is not None
    got: list[Detail] = []
    reader = threading.Thread(target=lambda: got.append(unpack_detail(values[0])))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive() and got == []  # waiting for the write
    gate.set()
    reader.join(5)
    assert got == [detail]

    forget_details()

    def failing(fd: int, length: int, offset: int) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(paged.os, "pread", failing)
    assert unpack_detail(values[0]) == Detail("")
    monkeypatch.undo()
    assert unpack_detail(values[0]) == detail == detail_of(pack_detail(detail))


def test_with_no_thread_to_be_had_the_texts_are_written_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(paged.threading, "Thread", NoThread)
    values = paged.hold(*texts_of(b"written", b"here"), tmp_path)
    assert values is not None and [paged.fetch(v) for v in values] == [b"written", b"here"]
    paged.settle()  # (and a fork would not wait on a thread that never ran)


def test_a_text_that_cannot_be_read_costs_the_snapshot_not_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from feeds import snapshot
    from feeds.model import Article

    values = paged.hold(*texts_of(b"some text"), tmp_path)
    assert values is not None
    article = Article("https://news.example/a/1", "001.txt", 0, values[0])

    def failing(fd: int, length: int, offset: int) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(paged.os, "pread", failing)
    target = tmp_path / "snap" / "articles.snapshot"
    snapshot.write_snapshot(target, "code", [("001.txt", article, ())], {"001.txt": 1})
    assert not target.exists() and "cannot be read" in caplog.text
