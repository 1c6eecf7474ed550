"""`feeds build`: the whole site as static files, byte for byte what the server sends."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from flask import Flask

from feeds.cli import main
from feeds.site import MANIFEST
from feeds.web.assets import asset_names

from .conftest import WriteArticle

BASE = "https://feeds.example"


def build(runner: CliRunner, seeds_dir: Path, out: Path, *extra: str) -> str:
    result = runner.invoke(
        main, ["build", str(out), "--base-url", BASE, "--seeds-dir", str(seeds_dir), *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def files(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}


def url_of(path: str) -> str:
    if path == "index.html":
        return "/"
    if path in ("topics.html", "providers.html"):  # /topics, beside the topics/ folder
        return "/" + path.removesuffix(".html")
    if path.startswith(("topics/", "providers/", "embed/")) or path == "embed.html":
        return "/" + path.removesuffix(".html")
    return "/" + path


def test_build_writes_every_output_as_the_server_sends_it(
    runner: CliRunner, seeds_dir: Path, tmp_path: Path, write_article: WriteArticle, make_app: Callable[..., Flask]
) -> None:
    write_article(1, topics=["AI Hardware", "Künstliche Intelligenz"])
    write_article(2, provider={"name": "Other", "domain": "other.example"}, topics=["Chips"])
    write_article(3, published=False, topics=["Draft Topic"])
    write_article(4, publishedDateTime="2999-01-01T00:00:00Z", topics=["Future"], webUrl="https://news.example/f")
    out = tmp_path / "site"
    output = build(runner, seeds_dir, out)
    assert "a held-back article appears at 2999-01-01T00:00:00+00:00" in output

    outputs = {p for p in files(out) if not p.endswith(".gz")}
    expected = {"index.html", "topics.html", "providers.html", "favicon.svg", "feeds.opml", "feed.xml", "feed.atom"}
    expected |= {"feed.json"}
    topics = ("ai-hardware", "künstliche-intelligenz", "chips")
    expected |= {f"feeds/{s}.{e}" for s in topics for e in ("xml", "atom", "json")}
    expected |= {f"feeds/providers/{d}.{e}" for d in ("news.example", "other.example") for e in ("xml", "atom", "json")}
    expected |= {f"topics/{s}.html" for s in topics} | {f"embed/topics/{s}.html" for s in topics}
    expected |= {"providers/news.example.html", "providers/other.example.html", "embed.html"}
    expected |= {"embed/providers/news.example.html", "embed/providers/other.example.html"}
    expected |= {"embed.js", "static/embed.js", "static/site.css"} | {f"static/{name}" for name in asset_names()}
    assert outputs == expected  # no draft, no held-back topic
    assert files(out) == outputs | {p + ".gz" for p in outputs}

    client = make_app().test_client()  # the live service, at the same moment (the test clock is earlier)
    for path in sorted(outputs):
        response = client.get(url_of(path))
        assert response.status_code == 200, path
        assert (out / path).read_bytes() == response.data, path
        zipped = client.get(url_of(path), headers={"Accept-Encoding": "gzip"})
        assert (out / (path + ".gz")).read_bytes() == zipped.data, path
        assert gzip.decompress(zipped.data) == response.data
        if path.endswith((".js", ".css", ".svg")):  # our files: no date of their own
            assert "Last-Modified" not in response.headers
            continue
        modified = datetime.fromtimestamp(os.stat(out / path).st_mtime, UTC)
        assert modified.strftime("%a, %d %b %Y %H:%M:%S GMT") == response.headers["Last-Modified"], path


def test_rebuild_keeps_unchanged_files_and_removes_gone_ones(
    runner: CliRunner, seeds_dir: Path, tmp_path: Path, write_article: WriteArticle
) -> None:
    write_article(1, topics=["Alpha"])
    gone = write_article(2, topics=["Beta"], provider={"name": "B", "domain": "b.example"})
    out = tmp_path / "site"
    out.mkdir()
    (out / "robots.txt").write_text("User-agent: *\n")  # not ours: never touched
    build(runner, seeds_dir, out)
    alpha = out / "feeds/alpha.xml"
    inode = alpha.stat().st_ino
    assert (out / "feeds/beta.json").is_file()

    gone.unlink()
    output = build(runner, seeds_dir, out)
    assert not (out / "feeds/beta.json").exists()
    assert not (out / "feeds/beta.json.gz").exists()
    assert not (out / "topics/beta.html").exists()
    assert not (out / "feeds/providers/b.example.xml").exists()
    assert alpha.stat().st_ino == inode  # same bytes: left alone
    assert (out / "robots.txt").read_text() == "User-agent: *\n"
    assert "removed" in output
    assert not list(out.rglob(".tmp-*"))


def test_build_needs_a_base_url(runner: CliRunner, seeds_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["build", str(tmp_path / "out"), "--seeds-dir", str(seeds_dir)], env={})
    assert result.exit_code == 2
    assert "--base-url is required" in result.output
    result = runner.invoke(main, ["build", str(tmp_path / "out"), "--base-url", "ftp://x", "--seeds-dir", "."])
    assert result.exit_code == 2
    assert "expected an http(s) URL" in result.output
    missing = runner.invoke(main, ["build", str(tmp_path / "o"), "--base-url", BASE, "--seeds-dir", "/nonexistent"])
    assert missing.exit_code == 2
