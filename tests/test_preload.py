"""`feeds serve` loads the catalog once, in the supervisor, then forks its workers: no worker
answers before the whole catalog is loaded, a change reaches every worker after such a start,
and a worker that dies is replaced by one that serves the folder as it is now, not as it was
at the start. Each worker is told apart by /-/health's `worker` (its pid), asked on a kept-alive
connection, which one worker serves to the end."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest

from .conftest import WriteArticle
from .test_serve import children_of, launch, require_bjoern, stop_server, wait_answering


@contextmanager
def serving(seeds_dir: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`feeds serve` with bjoern and two workers, following the folder; yields once it answers."""
    proc, port = launch(seeds_dir, "bjoern", 2, RELOAD_INTERVAL="0.2", **settings)
    try:
        wait_answering(proc, port, within=60)
        yield proc, port
    finally:
        stop_server(proc)


OPEN: list[http.client.HTTPConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


class Worker:
    """One kept-alive connection, and so one worker."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        OPEN.append(self.conn)

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def health(self) -> dict[str, object]:
        status, body = self.get("/-/health")
        assert status == 200
        answer: dict[str, object] = json.loads(body)
        return answer

    def ids(self, path: str = "/feeds/ai.xml?limit=500") -> set[str]:
        status, body = self.get(path)
        assert status == 200, status
        feed = feedparser.parse(body)
        assert feed.bozo == 0, feed.get("bozo_exception")
        return {entry.id for entry in feed.entries}


def one_connection_each(port: int, pids: set[int], tries: int = 200) -> dict[int, Worker]:
    """A kept-alive connection to each of `pids`: new connections until every one took one."""
    found: dict[int, Worker] = {}
    for _ in range(tries):
        worker = Worker(port)
        pid = int(worker.health()["worker"])  # type: ignore[call-overload]
        if pid in pids and pid not in found:
            found[pid] = worker
        else:
            worker.conn.close()
        if found.keys() == pids:
            return found
    raise AssertionError(f"no connection reached {pids - found.keys()} in {tries} tries")


def wait_for(worker: Worker, article: str, within: float = 10.0) -> float:
    """Seconds until the worker's topic feed shows `article`."""
    started = time.monotonic()
    while article not in worker.ids():
        assert time.monotonic() - started < within, f"{article} not served after {within}s"
        time.sleep(0.02)
    return time.monotonic() - started


def titles(worker: Worker) -> dict[str, str]:
    status, body = worker.get("/feeds/ai.json")
    assert status == 200
    return {item["id"]: item["title"] for item in json.loads(body)["items"]}


def url(n: int) -> str:
    return f"https://news.example/a/{n}"


def test_no_worker_answers_before_the_whole_catalog_is_loaded(seeds_dir: Path, write_article: WriteArticle) -> None:
    """From the moment the command starts, every answer (to many connections, so to both
    workers) holds all 400 articles: before the load ends the port refuses, it never answers
    with part of the folder."""
    require_bjoern()
    for n in range(1, 401):
        write_article(n, topics=["AI"])
    everything = {url(n) for n in range(1, 401)}
    # every file parsed (no snapshot, one job): the longest load
    proc, port = launch(seeds_dir, "bjoern", 2, RELOAD_INTERVAL="1.0", SNAPSHOT_DIR="off", PARSE_JOBS="1")
    try:
        refused = 0
        answered: dict[int, int] = {}
        deadline = time.monotonic() + 60
        while len(answered) < 2 or sum(answered.values()) < 40:
            assert proc.poll() is None and time.monotonic() < deadline
            try:
                worker = Worker(port)
                health = worker.health()
                assert health["articles"] == 400
                pid = int(health["worker"])  # type: ignore[call-overload]
                if pid not in answered:  # and the feed itself, once a worker
                    assert worker.ids("/feeds/ai.xml?limit=500") == everything
                answered[pid] = answered.get(pid, 0) + 1
                worker.conn.close()
            except ConnectionRefusedError:
                OPEN.pop().close()
                refused += 1
                time.sleep(0.005)
        assert refused > 0  # the test did ask during the load
        assert answered.keys() == children_of(proc.pid)
    finally:
        stop_server(proc)


def test_a_change_reaches_every_worker_after_a_preloaded_start(seeds_dir: Path, write_article: WriteArticle) -> None:
    require_bjoern()
    for n in range(1, 6):
        write_article(n, topics=["AI"])
    with serving(seeds_dir) as (proc, port):
        workers = one_connection_each(port, children_of(proc.pid))
        assert len(workers) == 2
        for worker in workers.values():
            assert worker.ids() == {url(n) for n in range(1, 6)}
        write_article(6, topics=["AI"])  # a new file
        write_article(2, topics=["AI"], title="Edited")  # an edited one
        (seeds_dir / "003.txt").unlink()  # a removed one
        for worker in workers.values():  # (the three changes may reach it in more than one reload)
            started = time.monotonic()
            while titles(worker) != {url(n): "Edited" if n == 2 else f"Article number {n}" for n in (1, 2, 4, 5, 6)}:
                assert time.monotonic() - started < 10, titles(worker)
                time.sleep(0.02)


def test_a_change_made_during_the_load_is_caught_up(seeds_dir: Path, write_article: WriteArticle) -> None:
    """A file written after the supervisor's scan and before the workers watch the folder sent
    no event a worker saw: each worker scans the folder once its watch is in place."""
    require_bjoern()
    for n in range(1, 1201):  # a load of a second or more (one parse job)
        write_article(n, topics=["AI"])
    proc, port = launch(seeds_dir, "bjoern", 2, RELOAD_INTERVAL="0.2", SNAPSHOT_DIR="off", PARSE_JOBS="1")
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "reading ... ": the load has begun; its scan is done
        assert b"reading" in line, line
        time.sleep(0.2)
        write_article(1201, topics=["AI"])
        wait_answering(proc, port, within=60)
        for worker in one_connection_each(port, children_of(proc.pid)).values():
            started = time.monotonic()
            while worker.health()["articles"] != 1201:
                assert time.monotonic() - started < 10, "the file written during the load is not served"
                time.sleep(0.02)
    finally:
        stop_server(proc)


def test_a_worker_that_dies_is_replaced_with_the_current_data(seeds_dir: Path, write_article: WriteArticle) -> None:
    """The supervisor's catalog is the one loaded at the start; a worker forked from it later
    brings it up to date before it answers: its very first answer has today's files."""
    require_bjoern()
    for n in range(1, 6):
        write_article(n, topics=["AI"])
    with serving(seeds_dir) as (proc, port):
        workers = one_connection_each(port, children_of(proc.pid))
        write_article(6, topics=["AI"])
        (seeds_dir / "001.txt").unlink()
        for worker in workers.values():
            wait_for(worker, url(6))
        victim = min(workers)
        workers[victim].conn.close()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(children_of(proc.pid) - {victim}) < 2:
            assert time.monotonic() < deadline, "no worker replaced the one that died"
            time.sleep(0.02)
        new = (children_of(proc.pid) - set(workers)).pop()
        replacement = one_connection_each(port, {new})[new]
        assert replacement.ids() == {url(n) for n in range(2, 7)}
        write_article(7, topics=["AI"])  # and it follows the folder from there
        wait_for(replacement, url(7))


def test_granian_workers_start_from_the_supervisors_catalog(seeds_dir: Path, write_article: WriteArticle) -> None:
    """granian forks its workers (multiprocessing's fork, Linux), so they take the catalog the
    command loaded: both report the same load time to the microsecond, which two loads of
    their own would not."""
    for n in range(1, 4):
        write_article(n, topics=["AI"])
    with serving(seeds_dir, SERVER="granian") as (_, port):
        loaded: dict[int, object] = {}
        for _ in range(200):
            worker = Worker(port)
            health = worker.health()
            loaded[int(health["worker"])] = health["last_reload"]  # type: ignore[call-overload]
            worker.conn.close()
            if len(loaded) == 2:
                break
        assert len(loaded) == 2 and len(set(loaded.values())) == 1, loaded


def test_a_preloaded_catalog_that_has_aged_is_refreshed_before_a_worker_uses_it(
    seeds_dir: Path, write_article: WriteArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """granian forks a replacement worker from its main process, whose catalog is the one
    loaded at the start: when that is older than FRESH_SECONDS, the worker refreshes it first."""
    from feeds import web
    from feeds.catalog import Catalog

    write_article(1)
    catalog = Catalog(seeds_dir, max_bytes=1 << 20)
    monkeypatch.setattr(web, "_preloaded", [])  # (this process's own is left alone)
    web.preload(catalog)
    write_article(2)
    assert web.preloaded_catalog() is catalog and len(catalog.index.site.articles) == 1  # just loaded: as it is
    monkeypatch.setattr(web, "FRESH_SECONDS", -1.0)
    assert web.preloaded_catalog() is catalog and len(catalog.index.site.articles) == 2  # aged: refreshed
    monkeypatch.setattr(web, "_preloaded", [])
    assert web.preloaded_catalog() is None
