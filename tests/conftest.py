"""Fixtures: a temp seeds folder, an article-file factory, the app, its client and CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from feeds import create_app
from feeds.web.http import forget_memos

SAMPLE_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NOW = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
SECRET = "S3CR3T-PAYLOAD-never-leaves"


def article_data(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A good article's fields; every test starts from here and changes one thing."""
    data: dict[str, Any] = {
        "category": "news",
        "title": f"Article number {n}",
        "excerpt": f"Excerpt of article {n}.",
        "publishedDateTime": f"2025-06-{n % 28 + 1:02d}T12:00:00Z",
        "webUrl": f"https://news.example/a/{n}",
        "originalUrl": f"https://news.example/a/{n}",
        "type": "article",
        "quality": 50,
        "heat": 60,
        "published": True,
        "provider": {"name": "Example News", "domain": "news.example"},
        "topics": ["AI Hardware", "AI"],
        "images": [{"url": f"https://img.example/{n}.jpg", "width": 1200, "height": 800, "isCached": True}],
        "related": [
            {
                "title": f"Related to {n}",
                "excerpt": "Something related.",
                "publishedDateTime": "2025-06-02T10:00:00Z",
                "webUrl": f"https://other.example/r/{n}",
                "provider": {"name": "Other", "domain": "other.example"},
                "images": [{"url": "https://img.other.example/r.png", "width": 640, "height": 480}],
            }
        ],
        "secured": SECRET,
    }
    for key, value in overrides.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def front_matter(data: dict[str, Any], body: str = "") -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body


@pytest.fixture(autouse=True)
def _snapshots_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app a test makes keeps its snapshot in the test's own folder."""
    monkeypatch.setenv("FEEDS_SNAPSHOT_DIR", str(tmp_path / "snapshots"))


@pytest.fixture(autouse=True)
def _fresh_header_memos() -> None:
    """Every test parses the header values it sends and formats its Expires, whichever test did
    so first (so mutmut, which records the tests that reach each function, sees all of them)."""
    forget_memos()


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


WriteArticle = Callable[..., Path]


@pytest.fixture
def write_article(seeds_dir: Path) -> WriteArticle:
    """write_article(n=1, name=None, body='', raw=None, **field_overrides) -> the file's path."""

    def write(
        n: int = 1, *, name: str | None = None, body: str = "", raw: str | bytes | None = None, **overrides: Any
    ) -> Path:
        path = seeds_dir / (name or f"{n:03d}.txt")
        path.parent.mkdir(parents=True, exist_ok=True)
        content = raw if raw is not None else front_matter(article_data(n, **overrides), body)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


class Clock:
    """An injected clock tests move by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(seeds_dir: Path, clock: Clock) -> Callable[..., Flask]:
    def make(**config: Any) -> Flask:
        settings = {"SEEDS_DIR": seeds_dir, "RELOAD_INTERVAL": 0, "BASE_URL": "https://feeds.example", **config}
        return create_app(settings, clock=clock)

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sample_seeds(tmp_path: Path) -> Iterator[Path]:
    """A copy of the project's sample seeds/ (the two real files)."""
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE_SEEDS, folder)
    yield folder


def reload(client: FlaskClient) -> None:
    """Make a client's app see files written after it started (tests run with reloading off)."""
    client.application.extensions["feeds"].catalog.refresh()


def crawl(client: FlaskClient, feeds: Iterable[str], base: str = "https://feeds.example") -> dict[str, bytes]:
    """Every page, feed and endpoint the site links to (from `feeds`, the OPML and the home
    page's neighbours), each as its body followed by its headers, in bytes; never a 5xx."""
    from .feedcheck import parse_xml

    urls = {"/", "/feeds.opml", "/-/health", "/-/problems.json", *feeds}
    for outline in parse_xml(client.get("/feeds.opml").data).iter("outline"):
        for attr in ("xmlUrl", "htmlUrl"):
            if outline.get(attr):
                urls.add(outline.get(attr).removeprefix(base))
    for ext in ("xml", "atom", "json"):
        urls |= {u.rsplit(".", 1)[0] + "." + ext for u in list(urls) if u.endswith(".xml")}
    out = {}
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code < 500, url
        out[url] = response.data + str(response.headers).encode()
    return out
