"""Live data: reload of every kind of change, the one-step swap, snapshots, the watcher."""

from __future__ import annotations

import json
import operator
import os
import random
import subprocess
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feeds import catalog as catalog_module
from feeds import folder, snapshot
from feeds.catalog import Catalog
from feeds.folder import article_names, is_article_name, scan_folder
from feeds.index import Index, IndexBuilder, build_index
from feeds.loading import LoadResult, load_file
from feeds.model import Article, packed_bytes

from .conftest import WriteArticle, crawl, reload


def ids(index: Index, kind: str = "site", slug: str = "") -> list[str]:
    group = index.group(kind, slug)  # type: ignore[arg-type]
    return [a.id for a in group.articles] if group else []


def make(seeds_dir: Path, tmp_path: Path, **kw: object) -> Catalog:
    return Catalog(seeds_dir, max_bytes=1 << 20, snapshot_dir=tmp_path / "snap", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("scan", [True, False], ids=["scan", "paths"])
def test_reload_add_edit_delete_rename_and_bad_then_good(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, scan: bool
) -> None:
    write_article(1)
    write_article(2)
    cat = make(seeds_dir, tmp_path)

    def refresh(*paths: str) -> None:
        cat.refresh(None if scan else paths)

    assert ids(cat.index) == ["https://news.example/a/2", "https://news.example/a/1"]
    write_article(3, topics=["Robots"])
    refresh("003.txt")
    assert ids(cat.index, "topic", "robots") == ["https://news.example/a/3"]
    write_article(3, topics=["Drones"], title="Edited title")
    os.utime(seeds_dir / "003.txt", ns=(1, 10**18))  # a new mtime even on coarse clocks
    refresh("003.txt")
    assert cat.index.group("topic", "robots") is None
    assert [a.title for a in cat.index.topics["drones"].articles] == ["Edited title"]
    (seeds_dir / "002.txt").unlink()
    refresh("002.txt")
    assert ids(cat.index) == ["https://news.example/a/3", "https://news.example/a/1"]
    (seeds_dir / "001.txt").rename(seeds_dir / "renamed.txt")
    refresh("001.txt", "renamed.txt")
    assert [a.path for a in cat.index.site.articles] == ["003.txt", "renamed.txt"]
    write_article(3, raw="---\ntitle: [unclosed\n---\n")
    refresh("003.txt")
    assert ids(cat.index) == ["https://news.example/a/1"]
    assert [p.path for p in cat.index.problems] == ["003.txt"]
    write_article(3, topics=["Drones"])
    os.utime(seeds_dir / "003.txt", ns=(1, 2 * 10**18))
    refresh("003.txt")
    assert ids(cat.index, "topic", "drones") == ["https://news.example/a/3"]
    assert cat.index.problems == ()


def test_only_changed_files_are_reparsed(seeds_dir: Path, tmp_path: Path, write_article: WriteArticle) -> None:
    for n in range(1, 6):
        write_article(n)
    cat = make(seeds_dir, tmp_path)
    write_article(2, title="Changed")
    os.utime(seeds_dir / "002.txt", ns=(1, 10**18))
    report = cat.refresh()
    assert (report.changed, report.reparsed) == (1, 1)
    assert cat.refresh().changed == 0


def test_incremental_index_equals_a_full_rebuild(seeds_dir: Path, write_article: WriteArticle) -> None:
    rng = random.Random(7)
    topics = ["AI", "ai", "Robots", "Space", "Straße", "Strasse"]
    builder = IndexBuilder()
    files: dict[str, object] = {}
    for step in range(60):
        n = rng.randrange(1, 15)
        name = f"{n:03d}.txt"
        if rng.random() < 0.25 and name in files:
            (seeds_dir / name).unlink()
            del files[name]
            index = builder.apply({name: None})
        else:
            write_article(
                n,
                topics=rng.sample(topics, rng.randint(0, 3)),
                webUrl=f"https://news.example/a/{rng.randrange(1, 6)}",  # duplicates on purpose
                publishedDateTime=f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z",
                provider={"name": rng.choice(["P", "Q"]), "domain": rng.choice(["p.example", "q.example"])},
                published=rng.random() < 0.85,
            )
            result = load_file(seeds_dir, name, max_bytes=1 << 20)
            files[name] = result
            index = builder.apply({name: result})
        full = build_index([load_file(seeds_dir, f, max_bytes=1 << 20) for f in sorted(files)])
        assert ids(index) == ids(full), step
        assert index.version == full.version
        assert index.problems == full.problems
        assert index.topic_names == full.topic_names
        for kind, groups in (("topic", full.topics), ("provider", full.providers)):
            mine = index.topics if kind == "topic" else index.providers
            assert list(mine) == list(groups)
            for slug, group in groups.items():
                assert [a.id for a in mine[slug].articles] == [a.id for a in group.articles]
                assert (mine[slug].name, mine[slug].digest) == (group.name, group.digest)


def test_a_change_leaves_other_groups_untouched(seeds_dir: Path, tmp_path: Path, write_article: WriteArticle) -> None:
    write_article(1, topics=["Robots"], provider={"name": "R", "domain": "r.example"})
    write_article(2, topics=["Space"], provider={"name": "S", "domain": "s.example"})
    cat = make(seeds_dir, tmp_path)
    before = cat.index
    write_article(2, topics=["Space"], title="New", provider={"name": "S", "domain": "s.example"})
    os.utime(seeds_dir / "002.txt", ns=(1, 10**18))
    after = cat.refresh(["002.txt"]).index
    assert after.topics["robots"] is before.topics["robots"]
    assert after.providers["r.example"] is before.providers["r.example"]
    assert after.topics["space"].digest != before.topics["space"].digest
    assert after.version != before.version


def test_no_request_sees_half_a_reload(seeds_dir: Path, write_article: WriteArticle, client: FlaskClient) -> None:
    """Two files move between topics together; every response shows both moved or neither."""
    write_article(1, topics=["Left"])
    write_article(2, topics=["Left"])
    reload(client)
    cat = client.application.extensions["feeds"].catalog
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def flip() -> None:
        side = ["Right", "Left"]
        for i in range(40):
            topic = side[i % 2]
            write_article(1, topics=[topic])
            write_article(2, topics=[topic])
            os.utime(seeds_dir / "001.txt", ns=(1, (i + 1) * 10**15))
            os.utime(seeds_dir / "002.txt", ns=(1, (i + 1) * 10**15))
            cat.refresh(["001.txt", "002.txt"])
        stop.set()

    thread = threading.Thread(target=flip)
    thread.start()
    while not stop.is_set():
        index = cat.index
        seen.append(tuple(len(index.topics[t].articles) if t in index.topics else 0 for t in ("left", "right")))  # type: ignore[misc]
        home = client.get("/").data
        assert home.count(b'/topics/left"') + home.count(b'/topics/right"') >= 1
    thread.join()
    assert seen and set(seen) <= {(2, 0), (0, 2)}


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the catalog parses in this process from now on, in order."""
    calls: list[str] = []
    real = catalog_module.load_file

    def counting(root: Path, rel: str, *, max_bytes: int):  # type: ignore[no-untyped-def]
        calls.append(rel)
        return real(root, rel, max_bytes=max_bytes)

    monkeypatch.setattr(catalog_module, "load_file", counting)
    return calls


def test_snapshot_reused_and_invalidated(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 4):
        write_article(n)
    make(seeds_dir, tmp_path)
    calls = count_parses(monkeypatch)
    warm = make(seeds_dir, tmp_path)
    assert calls == []  # nothing reparsed
    fresh = [load_file(seeds_dir, f"{n:03d}.txt", max_bytes=1 << 20) for n in (1, 2, 3)]
    assert ids(warm.index) == ids(build_index(fresh))
    assert warm.index.site.articles[0].related[0].provider.name == "Other"

    write_article(2, title="Changed")
    os.utime(seeds_dir / "002.txt", ns=(1, 10**18))
    make(seeds_dir, tmp_path)
    assert calls == ["002.txt"]  # a changed file is reparsed, the rest are not

    calls.clear()
    path = snapshot.snapshot_path(tmp_path / "snap", seeds_dir)
    path.write_bytes(b"\x78\x9c garbage")
    corrupt = make(seeds_dir, tmp_path)
    assert sorted(calls) == ["001.txt", "002.txt", "003.txt"]
    assert [a.title for a in corrupt.index.site.articles if a.path == "002.txt"] == ["Changed"]

    calls.clear()  # a file refused as too big must be read again once the limit is raised
    Catalog(seeds_dir, max_bytes=2 << 20, snapshot_dir=tmp_path / "snap")
    assert sorted(calls) == ["001.txt", "002.txt", "003.txt"]

    calls.clear()
    monkeypatch.setattr(catalog_module, "code_fingerprint", lambda max_bytes: "another version of the code")
    make(seeds_dir, tmp_path)
    assert sorted(calls) == ["001.txt", "002.txt", "003.txt"]


def unpack(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A snapshot's header and sections, to change and pack again."""
    assert data.startswith(snapshot.MAGIC)
    end = data.index(b"\n", len(snapshot.MAGIC))
    header = json.loads(data[len(snapshot.MAGIC) : end])
    sections, at = {}, end + 1
    for name, size in zip(snapshot.SECTIONS, header["sections"], strict=True):
        sections[name] = data[at : at + size]
        at += size
    assert at == len(data)
    return header, sections


def pack(header: dict[str, Any], sections: dict[str, bytes], **changes: Any) -> bytes:
    """The snapshot again, its sizes and CRC made to fit (unless `changes` set them): a file
    only the checks of its contents can refuse."""
    body = [sections[name] for name in snapshot.SECTIONS]
    crc = 0
    for part in body:
        crc = zlib.crc32(part, crc)
    header = {**header, "sections": [len(part) for part in body], "crc32": crc, **changes}
    return snapshot.MAGIC + json.dumps(header).encode() + b"\n" + b"".join(body)


def test_snapshot_with_wrong_shapes_is_not_trusted(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle
) -> None:
    """Every part of a snapshot is checked before any of it is used; a snapshot that is not
    exactly what this code writes gives nothing (the files are parsed again), never a wrong
    article. Each case below is a file whose CRC and sizes fit, so only that check refuses it."""
    write_article(1, provider={"name": "Digitimes", "domain": "digitimes.com"}, quality=80, heat=1.5)
    write_article(2, raw="---\n- a list\n---\n")  # a file with an error and no article
    write_article(3, published=False)  # an unpublished one
    make(seeds_dir, tmp_path)
    path = snapshot.snapshot_path(tmp_path / "snap", seeds_dir)
    data = path.read_bytes()
    header, sections = unpack(data)
    code = header["code"]
    keys = {rel: key for rel, key, _ in scan_folder(seeds_dir) if key is not None}
    paths = {rel: rel for rel in keys}

    def read(data: bytes) -> dict[str, Any]:
        path.write_bytes(data)
        return snapshot.read_snapshot(path, code, paths, keys)

    whole = read(pack(header, sections))
    assert sorted(whole) == ["001.txt", "002.txt", "003.txt"]  # packed again as it was: all of it read
    for name in ("001.txt", "002.txt", "003.txt"):
        parsed = load_file(seeds_dir, name, max_bytes=1 << 20)
        assert plain_result(whole[name]) == (parsed.article if parsed.article and not parsed.problems else parsed)

    extra = json.loads(sections["extra"])
    for field, value in (
        ("numbers", ["50", None]),
        ("numbers", [True, None]),
        ("numbers", [[1], None]),
        ("numbers", [None]),  # an index out of its table
        ("providers", ["ab"]),  # a two-letter string unpacks as (name, domain)
        ("providers", [["Name", ""]]),
        ("problems", [[5, [["field", "message", "error"]]]]),  # a row that is not there
        ("problems", [[0, [["field", "message", "fatal"]]]]),
        ("problems", [[0, []]]),
        ("no_article", [["002.txt", keys["002.txt"], {"id": "x"}, []]]),
        ("no_article", [["002.txt", keys["002.txt"], None, [["field", 5, "error"]]]]),
        ("unpublished", [["003.txt"]]),
    ):
        bad = {**sections, "extra": json.dumps({**extra, field: value}).encode()}
        assert read(pack(header, bad)) == {}, (field, value)
    for name, part in (
        ("published", array("q", [10**18]).tobytes()),  # a date out of range
        ("published", b"\0" * 7),  # a column of the wrong size
        ("providers", array("i", [7]).tobytes()),  # an index out of its table
        ("providers", array("i", [-2]).tobytes()),
        ("topics", array("I", [5]).tobytes()),
        ("quality", array("I", [9]).tobytes()),
        ("heat", array("I", [9]).tobytes()),
        ("digests", b""),  # a column shorter than the rows
        ("topic_sizes", array("I", [9]).tobytes()),  # more names than the text holds
        ("topic_sizes", b"\1\0\0"),  # not whole numbers
        ("topic_names", b"\xff"),  # not UTF-8
        ("ends", array("Q", [1]).tobytes()),  # packed texts that do not end where the section does
        ("paths", b"001.txt\0extra.txt"),  # more paths than rows
        ("ids", b"\xff"),  # not UTF-8
    ):
        assert read(pack(header, {**sections, name: part})) == {}, name
    for changes in ({"code": "another version of the code"}, {"byteorder": "middle"}, {"rows": 2}, {"rows": -1}):
        assert read(pack(header, sections, **changes)) == {}, changes
    assert read(b"\x78\x9c garbage") == {}
    assert read(b"") == {}
    assert read(data[:-1]) == {} and read(data + b"\0") == {}  # cut short, or longer than it says
    at = data.index(b"Digitimes")  # a byte changed on disk: only the CRC tells
    assert read(data[:at] + b"Digitimez" + data[at + 9 :]) == {}
    for cut in range(0, len(data), max(1, len(data) // 50)):
        assert read(data[:cut]) == {}, cut

    # a file changed since (its state is not the row's): its row is skipped, the others are read
    os.utime(seeds_dir / "001.txt", ns=(1, 10**18))
    keys["001.txt"] = next(key for rel, key, _ in scan_folder(seeds_dir) if rel == "001.txt")
    assert sorted(read(data)) == ["002.txt", "003.txt"]
    assert ids(make(seeds_dir, tmp_path).index) == ["https://news.example/a/1"]


def plain(articles: tuple[Article, ...]) -> tuple[Article, ...]:
    """Each article with its packed text as bytes: one taken from a snapshot holds where its text
    is in the page cache (feeds.paged), one parsed holds the bytes; equal articles are equal so."""
    return tuple(a._replace(packed=packed_bytes(a.packed)) for a in articles)


def plain_result(result: LoadResult | Article) -> LoadResult | Article:
    if isinstance(result, Article):
        return plain((result,))[0]
    return LoadResult(result.path, plain((result.article,))[0] if result.article else None, result.problems)


def same_index(a: Index, b: Index) -> bool:
    def groups(index: Index) -> list[tuple[object, ...]]:
        every = [index.site, *index.topics.values(), *index.providers.values()]
        return [(g.kind, g.slug, g.name, plain(g.articles), g.keys.tolist(), g.total, g.names) for g in every]

    return (
        groups(a),
        list(a.topics),
        list(a.providers),
        a.problems,
        a.version,
        dict(a.topic_slugs),
        dict(a.topic_names),
    ) == (
        groups(b),
        list(b.topics),
        list(b.providers),
        b.problems,
        b.version,
        dict(b.topic_slugs),
        dict(b.topic_names),
    )


def test_a_warm_start_restores_the_index_the_snapshot_was_written_with(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file unchanged: the index comes back from the snapshot, group by group, not built
    again; it is the one a build gives, and the catalog goes on from it as from a built one."""
    for n in range(1, 31):
        write_article(
            n, topics=["AI", f"T{n % 4}", "ai"], provider={"name": f"P{n % 3}", "domain": f"p{n % 3}.example"}
        )
    write_article(40, raw="---\n- a list\n---\n")  # a problem
    write_article(41, published=False)
    write_article(42, topics=["Robots", "ROBOTS!"])  # spellings that share a slug
    cold = make(seeds_dir, tmp_path)
    built: list[int] = []
    real_apply = IndexBuilder.apply

    def apply(self: IndexBuilder, changes: Any) -> Index:
        built.append(len(changes))
        return real_apply(self, changes)

    monkeypatch.setattr(IndexBuilder, "apply", apply)
    warm = make(seeds_dir, tmp_path)
    assert built == []  # restored, not built
    assert same_index(warm.index, cold.index) and len(warm.index.problems) == 1
    for catalog in (warm, cold):  # and both go on the same way
        write_article(7, topics=["Drones"], title="Changed")
        os.utime(seeds_dir / "007.txt", ns=(1, 10**18))
        (seeds_dir / "009.txt").unlink()
        catalog.refresh()
        write_article(9, topics=["AI"])
    assert same_index(warm.index, cold.index)

    built.clear()  # files changed since the snapshot: the restored index goes on by those files
    write_article(3, title="Edited")
    os.utime(seeds_dir / "003.txt", ns=(2, 10**18))
    changed = make(seeds_dir, tmp_path)
    assert built == [3]  # 003, and 007 and 009 (changed above)
    assert "Edited" in [a.title for a in changed.index.site.articles]
    assert same_index(changed.index, Catalog(seeds_dir, max_bytes=1 << 20).index)

    # The start takes the snapshot's index before its scan is back; any other file, or one
    # gone, or one the scan skips, and it goes on from what it took as a reload would: one
    # apply() of what differs from the snapshot (which is written again only when a start
    # parsed something), never a build of every file, giving the index a build would give.
    fresh = make(seeds_dir, tmp_path)  # (a Catalog, for mypy)
    for change, differ in (
        (lambda: write_article(50), 1),
        (lambda: (seeds_dir / "050.txt").unlink(), 1),
        (lambda: (seeds_dir / "linked").symlink_to(seeds_dir, target_is_directory=True), 2),  # and 050 still
        # one file gone and one skipped entry: as many rows as the snapshot has
        (lambda: ((seeds_dir / "001.txt").unlink(), (seeds_dir / "linked2").symlink_to(seeds_dir)), 4),
    ):
        make(seeds_dir, tmp_path)
        change()
        built.clear()
        after = make(seeds_dir, tmp_path)
        assert built == [differ], change
        fresh = Catalog(seeds_dir, max_bytes=1 << 20)  # no snapshot at all
        assert same_index(after.index, fresh.index)
    assert "https://news.example/a/1" not in ids(fresh.index) and fresh.index.problems[-1].path == "linked2"


def test_an_index_in_the_snapshot_that_is_not_right_is_built_again(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 6):
        write_article(n, topics=["AI", f"T{n % 2}"])
    cold = make(seeds_dir, tmp_path)
    path = snapshot.snapshot_path(tmp_path / "snap", seeds_dir)
    header, sections = unpack(path.read_bytes())
    extra = json.loads(sections["extra"])
    rows = array("I")
    rows.frombytes(sections["members"])
    swapped = array("I", rows)
    swapped[0], swapped[1] = swapped[1], swapped[0]  # the site's first two articles the other way round
    odd_totals = [[*meta[:5], "1"] for meta in extra["index"]["groups"]]  # a group's total that is not a number
    wrong = [
        {"members": swapped.tobytes()},
        {"members": array("I", [7] * len(rows)).tobytes()},  # rows that are not there
        {"members": rows.tobytes()[:-4]},  # one row short
        {"members": array("I", [rows[1], *rows[1:]]).tobytes()},  # an article twice in the site, one missing
        {"extra": json.dumps({**extra, "index": {**extra["index"], "version": "another"}}).encode()},
        {"extra": json.dumps({**extra, "index": {**extra["index"], "topic_names": {"ai": 5}}}).encode()},
        {"extra": json.dumps({**extra, "index": {**extra["index"], "groups": extra["index"]["groups"][1:]}}).encode()},
        {"extra": json.dumps({**extra, "index": {**extra["index"], "groups": odd_totals}}).encode()},
    ]
    for change in wrong:
        path.write_bytes(pack(header, {**sections, **change}))
        calls = count_parses(monkeypatch)
        warm = make(seeds_dir, tmp_path)
        assert same_index(warm.index, cold.index), change
        assert len(calls) <= 5  # (a snapshot refused as a whole is parsed again: still right)
        monkeypatch.undo()


def test_snapshot_holds_no_code_and_keeps_names_that_are_not_utf8(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data only: reading a snapshot never unpickles (pickle is not even used), and a file name
    that is not UTF-8 (Linux allows any bytes) is kept as the scan spells it."""
    odd = os.fsdecode(b"caf\xe9.txt")
    write_article(1, name=odd)
    write_article(2, name="ünïcode.txt")
    cold = make(seeds_dir, tmp_path)
    import pickle

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("a snapshot must never be unpickled")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    calls = count_parses(monkeypatch)
    warm = make(seeds_dir, tmp_path)
    assert calls == [] and plain(warm.index.site.articles) == plain(cold.index.site.articles)
    assert {a.path for a in warm.index.site.articles} == {odd, "ünïcode.txt"}


def test_a_scan_gives_every_article_file_with_its_state(
    seeds_dir: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan_folder: every article file below the folder (sorted in each folder) with the key of
    its lstat; other names left out; a symlinked folder reported, not followed. A folder of
    regular files only is read with C loops, any other a name at a time: the same rows."""
    for n in (3, 1, 2):
        write_article(n)
    write_article(4, name="sub/inner.txt")
    write_article(5, name="sub/deeper/x.md")
    write_article(6, name="sub/deeper/Y.MD")
    for name in (
        "notes.pdf",
        "001.txt~",
        "#002.txt#",
        ".hidden.txt",
        "sub/README",
        "sub/deeper/~z.txt",
        "sub/deeper/w.txt~",
    ):
        (seeds_dir / name).write_text("not an article")
    (seeds_dir / "elsewhere").mkdir()
    (seeds_dir / "linked").symlink_to(seeds_dir / "elsewhere")

    def key(rel: str) -> int:
        info = os.lstat(seeds_dir / rel)
        return hash((info.st_size, info.st_mtime_ns, info.st_ino))

    expected = [
        *((rel, key(rel), None) for rel in ("001.txt", "002.txt", "003.txt")),
        ("linked", None, "symlinked folders are not followed"),
        ("sub/inner.txt", key("sub/inner.txt"), None),
        *((rel, key(rel), None) for rel in ("sub/deeper/Y.MD", "sub/deeper/x.md")),  # (regular files only)
    ]
    assert list(scan_folder(seeds_dir)) == expected
    monkeypatch.setattr(folder, "_RUN", 2)  # a folder read a few names at a time: the same rows
    assert list(scan_folder(seeds_dir)) == expected
    names = [
        "a.txt",
        "A.TXT",
        "b.yml",
        "c.yaml",
        "d.md",
        "#e.txt",
        "~f.md",
        "g.txt~",
        "h.txt#",
        "i.pdf",
        "txt",
        ".j.txt",
    ]
    assert article_names(names) == list(map(is_article_name, names)) == [True] * 5 + [False] * 7

    real = os.lstat

    def vanishing(name: str, *, dir_fd: int | None = None) -> os.stat_result:
        if name == "002.txt":  # deleted between the listing and its lstat
            raise FileNotFoundError(name)
        return real(name, dir_fd=dir_fd)

    monkeypatch.setattr(os, "lstat", vanishing)
    assert list(scan_folder(seeds_dir)) == [row for row in expected if row[0] != "002.txt"]


def test_the_scan_in_a_child_process_gives_the_folder_as_scanned_here(
    seeds_dir: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A start scans the folder in a forked child while it reads the snapshot; its rows are
    the ones a scan here gives, odd names, subfolders and skipped entries included."""
    write_article(1)
    write_article(2, name="sub/inner.txt")
    write_article(3, name="two\nlines.txt")
    write_article(4, name=os.fsdecode(b"caf\xe9.txt"))
    write_article(5, name=".hidden.txt")
    (seeds_dir / "elsewhere").mkdir()
    (seeds_dir / "linked").symlink_to(seeds_dir / "elsewhere")
    here = list(scan_folder(seeds_dir))
    assert ("linked", None, "symlinked folders are not followed") in here and len(here) == 5
    monkeypatch.setattr(folder.threading, "active_count", lambda: 1)  # (pytest may run threads)
    scan = folder.FolderScan(seeds_dir)
    assert scan.pid != 0  # it did fork
    assert list(scan.rows()) == here
    assert ids(Catalog(seeds_dir, max_bytes=1 << 20).index) == [f"https://news.example/a/{n}" for n in (4, 3, 2, 1)]

    def broken(root: Path) -> bytes:
        raise OSError("the child cannot scan")

    monkeypatch.setattr(folder, "_encode", broken)
    failed = folder.FolderScan(seeds_dir)
    assert failed.pid != 0 and list(failed.rows()) == here  # scanned here instead
    assert any("scanning here" in record.getMessage() for record in caplog.records)
    monkeypatch.setattr(folder.threading, "active_count", lambda: 2)
    assert folder.FolderScan(seeds_dir).pid == 0  # threads here: no fork


def test_parallel_parse_gives_the_same_results(
    seeds_dir: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 41):
        write_article(n)
    write_article(99, raw="---\n- a list\n---\n")
    write_article(98, name="two\nlines.txt")  # a name that would split a line-based protocol
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_FILES", 2)
    rels = sorted(p.name for p in seeds_dir.iterdir())
    serial = catalog_module.parse_files(seeds_dir, rels, 1 << 20, 1)
    parallel = catalog_module.parse_files(seeds_dir, rels, 1 << 20, 3)
    assert sorted(parallel, key=lambda r: r.path) == sorted(serial, key=lambda r: r.path)
    monkeypatch.setattr(catalog_module, "PIPE_PIECE", 700)  # rows arrive in many small pieces
    small_pieces = catalog_module.parse_files(seeds_dir, rels, 1 << 20, 2)
    assert sorted(small_pieces, key=lambda r: r.path) == sorted(serial, key=lambda r: r.path)


def test_a_failed_parallel_parse_leaves_no_helper_behind(
    seeds_dir: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 11):
        write_article(n)
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_FILES", 2)
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    def broken(row: Any, path: str | None = None) -> Any:
        raise RuntimeError("a bug while decoding")

    monkeypatch.setattr(catalog_module.subprocess, "Popen", popen)
    monkeypatch.setattr(catalog_module, "decode_result", broken)
    with pytest.raises(RuntimeError, match="a bug while decoding"):
        catalog_module.parse_files(seeds_dir, sorted(p.name for p in seeds_dir.iterdir()), 1 << 20, 2)
    assert len(started) == 2 and all(proc.returncode is not None for proc in started)


def test_snapshot_from_parallel_parse_reads_back_the_same(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot written after a parse across helpers: a warm start from it gives what the
    cold one gave, and a half-warm start keeps every row."""
    for n in range(1, 31):
        write_article(n, topics=["AI", f"T{n % 3}"])
    write_article(99, raw="---\n- a list\n---\n")  # a problem is kept too
    write_article(98, name='odd, "name",null,\n.txt')  # a name with a newline, quotes and commas
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_FILES", 2)
    cold = make(seeds_dir, tmp_path, jobs=2)
    calls = count_parses(monkeypatch)
    monkeypatch.setattr(catalog_module, "PARALLEL_MIN_FILES", 10**9)  # count parses: all in this process
    warm = make(seeds_dir, tmp_path, jobs=2)
    assert calls == []
    assert plain(warm.index.site.articles) == plain(cold.index.site.articles)
    assert warm.index.problems == cold.index.problems and len(cold.index.problems) == 1
    assert ids(warm.index) != [] and "https://news.example/a/98" in ids(warm.index)

    write_article(5, title="Changed")
    os.utime(seeds_dir / "005.txt", ns=(1, 10**18))
    half = make(seeds_dir, tmp_path, jobs=2)  # reuses 31 rows, parses one, writes all 32
    assert calls == ["005.txt"]
    calls.clear()
    again = make(seeds_dir, tmp_path, jobs=2)
    assert calls == [] and plain(again.index.site.articles) == plain(half.index.site.articles)


def test_an_unwritable_snapshot_folder_only_costs_the_snapshot(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(1)
    (tmp_path / "snap").write_text("a file where the folder should be")
    cat = make(seeds_dir, tmp_path)
    assert ids(cat.index) == ["https://news.example/a/1"]
    assert any("cannot write the snapshot" in record.getMessage() for record in caplog.records)


def test_an_event_queue_with_nothing_in_it_returns_at_once_after_its_timeout(tmp_path: Path) -> None:
    """take() sleeps the debounce only when something came: an idle watch wakes for nothing else."""
    events = catalog_module._EventQueue(tmp_path)
    started = time.monotonic()
    assert events.take(timeout=0.01) == set()
    assert time.monotonic() - started < catalog_module._EventQueue.DEBOUNCE
    events.add(["a.txt"])
    started = time.monotonic()
    assert events.take(timeout=None) == {"a.txt"}  # no wait for an event already there
    assert time.monotonic() - started >= catalog_module._EventQueue.DEBOUNCE


def test_watcher_follows_file_events(seeds_dir: Path, tmp_path: Path, write_article: WriteArticle) -> None:
    write_article(1)
    cat = make(seeds_dir, tmp_path)
    stop = threading.Event()
    assert not cat.following
    cat.watch(0.2, stop)
    try:
        assert cat.following  # watch() returns once the watch is in place: no sleep needed
        write_article(2, topics=["Fresh"])

        def wait_for(check) -> float:  # type: ignore[no-untyped-def]
            start = time.monotonic()
            while time.monotonic() - start < 10:
                if check():
                    return time.monotonic() - start
                time.sleep(0.02)
            raise AssertionError("change not seen within 10 s")

        assert wait_for(lambda: "fresh" in cat.index.topics) < 2
        (seeds_dir / "002.txt").unlink()
        assert wait_for(lambda: "fresh" not in cat.index.topics) < 2
        (seeds_dir / "sub").mkdir()
        write_article(3, name="sub/003.txt", topics=["Nested"])
        assert wait_for(lambda: "nested" in cat.index.topics) < 2
    finally:
        stop.set()
    assert wait_for(lambda: not cat.following) < 2


def test_a_warm_start_serves_from_texts_in_the_page_cache_what_a_cold_one_did(
    make_app: Callable[..., Flask], write_article: WriteArticle, tmp_path: Path
) -> None:
    """A warm start's articles hold where their packed texts are (feeds.paged), not the bytes:
    every page, feed and search gives the same bytes as after a cold start, and still does once
    the snapshot file is emptied (the texts are a copy of this process's own)."""
    from feeds.model import forget_details, search_text
    from feeds.rendering import jsonfeed, syndication

    for n in range(1, 7):
        write_article(n, title=f"Tïtle {n} ✓", topics=["AI", f"Topic {n % 2}"], body="Body <b>bold</b> " * n)

    def everything(app: Flask) -> dict[str, bytes]:
        app.extensions["feeds"].outputs.cache.clear()
        syndication._FRAGMENTS.clear()
        jsonfeed._ITEMS.clear()
        forget_details()
        client = app.test_client()
        out = crawl(client, ["/feed.xml"])
        out.pop("/-/health")  # (when it was loaded)
        for q in ("tïtle", "excerpt", "tïtle 3"):  # (title and excerpt are searched)
            out[q] = client.get(f"/feed.json?q={q}").data
        return out

    cold_app = make_app()
    cold = everything(cold_app)
    assert [len(json.loads(cold[q])["items"]) for q in ("tïtle", "excerpt", "tïtle 3")] == [6, 6, 1]
    cold_articles = cold_app.extensions["feeds"].catalog.index.site.articles
    assert len(cold_articles) == 6 and all(type(a.packed) is bytes for a in cold_articles)
    warm_app = make_app()
    articles = warm_app.extensions["feeds"].catalog.index.site.articles
    assert all(type(a.packed) is int for a in articles)
    assert everything(warm_app) == cold
    for snapshot_file in (tmp_path / "snapshots").iterdir():
        snapshot_file.write_bytes(b"")
    assert everything(warm_app) == cold
    assert [a.detail for a in articles] == [a.detail for a in cold_articles]
    assert list(map(search_text, map(_PACKED, articles))) == list(map(search_text, map(_PACKED, cold_articles)))


_PACKED = operator.attrgetter("packed")


def test_a_warm_start_keeps_the_bytes_where_it_cannot_page_them(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot folder that takes no more files (read-only, full): the texts stay bytes, and
    the start is as right as ever."""
    from feeds import paged

    for n in range(1, 4):
        write_article(n)
    cold = make(seeds_dir, tmp_path)

    def refuse(folder: Path) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(paged, "_file", None)
    monkeypatch.setattr(paged, "_unnamed_file", refuse)
    calls = count_parses(monkeypatch)
    warm = make(seeds_dir, tmp_path)
    assert calls == [] and all(type(a.packed) is bytes for a in warm.index.site.articles)
    assert warm.index.site.articles == cold.index.site.articles


def test_a_catch_up_tells_an_unchanged_folder_by_its_summary_once(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle
) -> None:
    """A worker's first scan (its catch-up) compares the folder with the start's summary instead
    of looking up each file: unchanged says so; an edit, a new file, a removed one or a refresh
    in between says changed, and the refresh after it finds the change."""
    for n in range(1, 5):
        write_article(n)
    for start in ("cold", "warm"):
        cat = make(seeds_dir, tmp_path)
        assert cat._unchanged_since_start(), start
        assert not cat._unchanged_since_start()  # once: later changes make the summary stale

    def edit() -> None:
        write_article(2, title="Edited")
        os.utime(seeds_dir / "002.txt", ns=(1, 10**18))

    def remove() -> None:
        (seeds_dir / "003.txt").unlink()

    for change in (edit, lambda: write_article(9), remove):
        cat = make(seeds_dir, tmp_path)
        before = ids(cat.index)
        change()
        assert not cat._unchanged_since_start()
        cat.refresh()
        assert ids(cat.index) != before or [a.title for a in cat.index.site.articles if a.path == "002.txt"] == [
            "Edited"
        ]
    cat = make(seeds_dir, tmp_path)
    cat.refresh()
    assert not cat._unchanged_since_start()


def test_a_catch_up_whose_summary_scan_fails_refreshes_in_full(
    seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_article(1)
    cat = make(seeds_dir, tmp_path)
    write_article(2)  # (written before the watch: only the catch-up can see it)
    real = catalog_module.scan_folder
    calls: list[Path] = []

    def once_broken(root: Path) -> Iterator[tuple[str, int | None, str | None]]:
        calls.append(root)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        return real(root)

    monkeypatch.setattr(catalog_module, "scan_folder", once_broken)
    stop = threading.Event()
    cat.watch(0.05, stop, catch_up=True)
    try:
        deadline = time.monotonic() + 10
        while len(cat.index.site.articles) != 2:
            assert time.monotonic() < deadline, "the file written before the watch is not caught up"
            time.sleep(0.02)
    finally:
        stop.set()
    assert len(calls) >= 2
