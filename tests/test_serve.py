"""`feeds serve`: the real servers (bjoern under our supervisor, and granian) answer through the
fast path with the same headers and bytes as the app, including non-ASCII paths and 304s; the
supervisor restarts a worker that dies, stops on a signal and gives up on one that cannot start."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.procstat import process_stats
from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.server import Dated, bind, granian_server, have_bjoern, pick_server
from feeds.web.http import http_date

from .conftest import WriteArticle

BASE = "https://feeds.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def require_bjoern() -> None:
    """bjoern is built against libev; CI installs both, so there a missing bjoern is a failure."""
    if not have_bjoern():
        if os.environ.get("CI"):
            pytest.fail("bjoern is not installed: scripts/_setup installs libev-dev and feeds[fast]")
        pytest.skip("bjoern is not installed (needs libev-dev)")


@pytest.fixture(params=["bjoern", "granian"])
def server_name(request: pytest.FixtureRequest) -> str:
    if request.param == "bjoern":
        require_bjoern()
    return str(request.param)


def launch(seeds_dir: Path, server_name: str, workers: int = 1, **settings: str) -> tuple[subprocess.Popen[bytes], int]:
    """`feeds serve` started on a free port, not waited for; `settings` override FEEDS_* (e.g.
    RELOAD_INTERVAL="0.2": reloading is off unless given)."""
    port = free_port()
    env = {
        **os.environ,
        "FEEDS_SEEDS_DIR": str(seeds_dir),
        "FEEDS_BASE_URL": BASE,
        "FEEDS_PORT": str(port),
        "FEEDS_WORKERS": str(workers),
        "FEEDS_RELOAD_INTERVAL": "0",
        "FEEDS_SERVER": server_name,
        **{f"FEEDS_{name}": value for name, value in settings.items()},
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return proc, port


def wait_answering(proc: subprocess.Popen[bytes], port: int, within: float = 30) -> None:
    """Until /-/health answers; the server stopped and its stderr raised if it never does."""
    deadline = time.monotonic() + within
    while True:
        try:
            fetch(port, "/-/health")
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no output") from None
            time.sleep(0.1)


def start_server(
    seeds_dir: Path, server_name: str, workers: int = 1, **settings: str
) -> tuple[subprocess.Popen[bytes], int]:
    proc, port = launch(seeds_dir, server_name, workers, **settings)
    wait_answering(proc, port)
    return proc, port


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        proc.wait(5)
    if proc.stderr:
        proc.stderr.close()


@pytest.fixture
def server(seeds_dir: Path, write_article: WriteArticle, server_name: str) -> Iterator[int]:
    write_article(1, topics=["AI Hardware", "Künstliche Intelligenz"])
    write_article(2)
    proc, port = start_server(seeds_dir, server_name)
    try:
        yield port
    finally:
        stop_server(proc)


def test_serve_answers_feeds_with_validators_and_304s(server: int) -> None:
    status, headers, body = fetch(server, "/feeds/ai-hardware.xml")
    assert status == 200
    assert headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["access-control-allow-origin"] == "*"
    assert headers["vary"] == "Accept-Encoding"
    assert headers["cache-control"] == "public, max-age=300"
    assert b"<rss" in body
    status, zheaders, zipped = fetch(server, "/feeds/ai-hardware.xml", **{"Accept-Encoding": "gzip"})
    assert zheaders["content-encoding"] == "gzip"
    assert gzip.decompress(zipped) == body
    status, nheaders, empty = fetch(server, "/feeds/ai-hardware.xml", **{"If-None-Match": headers["etag"]})
    assert (status, empty) == (304, b"")
    for name in ("etag", "cache-control", "vary", "access-control-allow-origin"):
        assert nheaders[name] == headers[name]
    for dated in (headers, nheaders):  # RFC 9110 6.6.1: an origin server with a clock sends Date
        sent = http_date(dated["date"])
        assert sent is not None and abs(sent.timestamp() - time.time()) < 60
        expires = http_date(dated["expires"])  # polling hints agree: Expires is Date + max-age
        assert expires is not None and (expires - sent).total_seconds() == 300
    status, _, _ = fetch(server, "/feeds/ai-hardware.xml", **{"If-Modified-Since": headers["last-modified"]})
    assert status == 304
    assert fetch(server, "/feeds/k%C3%BCnstliche-intelligenz.json")[0] == 200
    assert fetch(server, "/feeds/nothing.xml")[0] == 404
    status, headers, body = fetch(server, "/")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")


def test_the_server_is_tuned_as_measured() -> None:  # granian, when bjoern is not installed
    server = granian_server(load_settings({"WORKERS": 3, "PORT": 9999}, {}))
    assert (server.workers, server.bind_port, server.blocking_threads) == (3, 9999, 4)
    assert (server.interface, server.http, server.websockets) == ("wsgi", "1", False)


def test_one_connection_carries_many_answers(server: int) -> None:
    """Keep-alive: readers and proxies reuse connections; every answer on one must be whole."""
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        conn.request("GET", "/feeds/ai-hardware.atom")
        first = conn.getresponse()
        body = first.read()
        assert first.status == 200 and first.getheader("content-type") == "application/atom+xml; charset=utf-8"
        conn.request("HEAD", "/feeds/ai-hardware.atom")
        head = conn.getresponse()
        assert (head.status, head.read(), head.getheader("content-length")) == (200, b"", str(len(body)))
        conn.request("GET", "/feeds/ai-hardware.atom", headers={"If-None-Match": str(first.getheader("etag"))})
        not_modified = conn.getresponse()
        assert (not_modified.status, not_modified.read()) == (304, b"")
        conn.request("GET", "/feeds/ai-hardware.atom?limit=x")
        bad = conn.getresponse()
        assert bad.status == 400 and b"limit" in bad.read()
        conn.request("GET", "/feeds/ai-hardware.atom")
        again = conn.getresponse()
        assert (again.status, again.read()) == (200, body)
    finally:
        conn.close()


def children_of(pid: int) -> set[int]:
    return {child for child, fields in process_stats() if int(fields[1]) == pid and fields[0] != "Z"}


def test_bjoern_supervisor_restarts_a_worker_and_stops_on_sigterm(seeds_dir: Path, write_article: WriteArticle) -> None:
    require_bjoern()
    write_article(1, topics=["AI Hardware"])
    proc, port = start_server(seeds_dir, "bjoern", workers=2)
    try:
        workers = children_of(proc.pid)
        assert len(workers) == 2
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(children_of(proc.pid) - {victim}) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        replaced = children_of(proc.pid)
        assert victim not in replaced and len(replaced) == 2
        for _ in range(20):  # both workers (whichever takes the connection) answer whole feeds
            status, _, body = fetch(port, "/feeds/ai-hardware.xml")
            assert status == 200 and b"</rss>" in body
        proc.send_signal(signal.SIGTERM)  # the supervisor alone, as systemd's stop would
        assert proc.wait(15) == 0
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in replaced) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(Path(f"/proc/{pid}/stat").exists() for pid in replaced)
    finally:
        stop_server(proc)


def test_prefork_gives_up_on_workers_that_cannot_start(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from feeds.server import bind, serve_prefork\n"
        "def run(sock, restarted):\n"
        "    raise RuntimeError('cannot read the seeds folder')\n"
        "sys.exit(serve_prefork(bind('127.0.0.1', 0), 2, run))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    # 2 * workers exits counted, and at most one more worker started before the last of them
    assert 4 <= done.stderr.count("RuntimeError: cannot read the seeds folder") <= 5
    assert "workers cannot start (exit 1); stopping" in done.stderr


def test_dated_adds_one_date_header_formatted_once_a_second() -> None:
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x"]

    now = [784111777.9]
    dated = Dated(app, clock=lambda: now[0])
    assert dated({}, lambda status, headers, exc_info=None: seen.append((status, headers))) == [b"x"]
    now[0] = 784111778.2
    dated({}, lambda status, headers, exc_info=None: seen.append((status, headers)))
    assert seen[0] == ("200 OK", [("Content-Type", "text/plain"), ("Date", "Sun, 06 Nov 1994 08:49:37 GMT")])
    assert seen[1][1][-1] == ("Date", "Sun, 06 Nov 1994 08:49:38 GMT")


def test_server_setting_picks_and_checks() -> None:
    assert pick_server("granian") == "granian"
    assert pick_server("auto") == ("bjoern" if have_bjoern() else "granian")
    assert load_settings({"SERVER": " Granian "}, {}).SERVER == "granian"
    with pytest.raises(ConfigError, match="expected auto, bjoern or granian"):
        load_settings({"SERVER": "gunicorn"}, {})


def test_serve_refuses_a_missing_bjoern_and_a_busy_port_before_parsing(
    seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from feeds import cli, server

    monkeypatch.setattr(cli, "serve_prefork", lambda *a: pytest.fail("must not start"))
    monkeypatch.setattr(server, "have_bjoern", lambda: False)
    args = ["serve", "--seeds-dir", str(seeds_dir), "--server", "bjoern"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 2 and "bjoern is not installed" in result.output
    monkeypatch.setattr(server, "have_bjoern", lambda: True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli.main, [*args, "--port", str(port), "--snapshot-dir", "off"])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_accepted_connections_send_without_delay() -> None:
    with bind("127.0.0.1", 0) as sock:
        with pytest.raises(OSError):  # bound, not listening: refused until the server is ready
            socket.create_connection(sock.getsockname()[:2], timeout=5).close()
        sock.listen()
        client = socket.create_connection(sock.getsockname()[:2])
        sock.setblocking(True)
        accepted, _ = sock.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            accepted.sendall(b"x")
            assert client.recv(1) == b"x"
        client.close()


SLEEPING_WORKERS = (
    "import sys, time\n"
    "from feeds.server import bind, serve_prefork\n"
    "def run(sock, restarted):\n"
    "    time.sleep(3600)\n"
    "sys.exit(serve_prefork(bind('127.0.0.1', 0), 2, run))\n"
)


def start_supervisor() -> tuple[subprocess.Popen[bytes], set[int]]:
    proc = subprocess.Popen([sys.executable, "-c", SLEEPING_WORKERS], start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while len(children_of(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children_of(proc.pid)
    assert len(workers) == 2
    return proc, workers


def gone(pids: set[int], within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while any(Path(f"/proc/{pid}/stat").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(Path(f"/proc/{pid}/stat").exists() for pid in pids)


def test_prefork_stops_every_worker_on_two_signals_at_once() -> None:
    proc, workers = start_supervisor()
    try:
        os.kill(proc.pid, signal.SIGTERM)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(20) == 0
        assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
        assert gone(workers)
    finally:
        stop_server(proc)


def test_prefork_workers_end_with_a_killed_supervisor() -> None:
    proc, workers = start_supervisor()
    try:
        os.kill(proc.pid, signal.SIGKILL)  # no chance to stop them: the kernel tells them (Linux)
        proc.wait(10)
        assert gone(workers)
    finally:
        stop_server(proc)


def test_bjoern_sends_a_large_body_in_pieces_whole(seeds_dir: Path, write_article: WriteArticle) -> None:
    """A body past outputs.PIECES_FROM goes to bjoern as (first byte, the rest): on the wire it
    is the app's bytes, once, with its Content-Length, on a connection that carries on."""
    from feeds import create_app
    from feeds.outputs import PIECES_FROM

    require_bjoern()
    for n in range(1, 6):
        write_article(n, body=f"Article {n} is long. " * 2000)
    app = create_app({"SEEDS_DIR": seeds_dir, "BASE_URL": BASE, "RELOAD_INTERVAL": 0})
    want = app.test_client().get("/feed.xml").data
    assert len(want) >= PIECES_FROM
    proc, port = start_server(seeds_dir, "bjoern")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Accept-Encoding": "gzip"}), ("GET", {})):
            conn.request(method, "/feed.xml", headers=headers)
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200
            if headers:
                assert gzip.decompress(body) == want
            else:
                assert body == (b"" if method == "HEAD" else want)
                assert response.getheader("content-length") == str(len(want))
        conn.request("GET", "/feed.xml", headers={"If-None-Match": str(response.getheader("etag"))})
        response = conn.getresponse()
        assert (response.status, response.read()) == (304, b"")
    finally:
        conn.close()
        stop_server(proc)


def test_the_setup_leaves_bytecode_for_what_a_start_imports() -> None:
    """scripts/_setup installs with --compile-bytecode: uv writes no .pyc of its own (pip does),
    and where Python cannot write __pycache__ (PYTHONDONTWRITEBYTECODE, as on this project's
    machines and in many containers; a venv the service user cannot write to) every start of
    `feeds serve` compiled Flask, Jinja, Werkzeug and the rest again, 0.4-0.8 s of it."""
    import importlib.util

    import click
    import feedgen.feed
    import flask.app
    import jinja2.environment
    import werkzeug.routing
    import yaml

    for module in (click, feedgen.feed, flask.app, jinja2.environment, werkzeug.routing, yaml):
        assert module.__file__ is not None
        cached = importlib.util.cache_from_source(module.__file__)
        assert Path(cached).is_file(), f"{module.__name__}: no bytecode beside {module.__file__}"
