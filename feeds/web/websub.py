"""WebSub publishing: after a reload, or when a held-back article comes due, the hub hears of
exactly the feeds whose content changed, once per feed URL and format, from one process.

Every worker follows the folder and keeps track of what its feeds show; the one that holds an
exclusive lock on a file beside the snapshot (the first to ask, and the next one when it
dies) sends. Sending happens on a thread of its own, with a timeout and bounded retries, so a
hub that is down or slow costs a logged warning and nothing else.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..index import Group, Index
from ..rendering.urls import FORMATS, Urls

log = logging.getLogger("feeds")

# What a feed shows: each article's digest with the display names of its topics (a topic's name
# can change with no change to the article: the most common spelling wins)
Signature = tuple[tuple[int, tuple[str, ...]], ...]


def _groups(index: Index) -> Iterator[Group]:
    yield index.site
    yield from index.topics.values()
    yield from index.providers.values()


class Publisher:
    """Sends `hub.mode=publish` for feed URLs, in the background, with bounded retries."""

    def __init__(
        self,
        hub: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 1.0,
        post: Callable[[str, bytes, float], int] | None = None,
    ) -> None:
        self.hub = hub
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._post = post or _post
        self._queue: collections.deque[str] = collections.deque()
        self._queued: set[str] = set()  # a URL waits once, however often it changes meanwhile
        self._ready = threading.Condition()
        self.sent = self.failed = 0
        self._sending = 0
        self.last_sent: datetime | None = None
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="feeds-websub", daemon=True)
        self._thread.start()

    def publish(self, urls: list[str]) -> None:
        with self._ready:
            for url in urls:
                if url not in self._queued:
                    self._queued.add(url)
                    self._queue.append(url)
            self._ready.notify()

    @property
    def pending(self) -> int:
        """URLs waiting, and the one being sent."""
        return len(self._queue) + self._sending

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                url = self._queue.popleft()
                self._queued.discard(url)
                self._sending = 1
            try:
                self._send(url)
            finally:
                self._sending = 0

    def _send(self, url: str) -> None:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": url, "hub.topic": url}).encode()
        for attempt in range(self.attempts):
            try:
                status = self._post(self.hub, body, self.timeout)
                if 200 <= status < 300:
                    self.sent += 1
                    self.last_sent = datetime.now(UTC)
                    return
                reason = f"HTTP {status}"  # a redirect too: the ping is not followed to a GET
            except Exception as exc:  # refused, timed out, reset, not HTTP at all: never the thread's end
                reason = str(exc) or type(exc).__name__
            self.last_error = f"{url}: {reason}"
            if attempt + 1 < self.attempts:
                time.sleep(self.backoff * 2**attempt)
        self.failed += 1
        log.warning("websub: the hub %s did not take %s after %d tries (%s)", self.hub, url, self.attempts, reason)

    def stats(self) -> dict[str, Any]:
        return {
            "hub": self.hub,
            "sent": self.sent,
            "failed": self.failed,
            "pending": self.pending,
            "last_sent": self.last_sent.isoformat() if self.last_sent else None,
            "last_error": self.last_error,
        }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 301/302/303 to a POST with a GET without the form, and count that
    as published: a redirect is an answer of its own (a failure) instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(hub: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(
        hub, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # http(s) only: checked at start
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


class Notifier:
    """Watches what each feed shows and hands the URLs of the feeds that changed to a Publisher,
    when this process is the one that sends."""

    def __init__(
        self,
        publisher: Publisher,
        base_url: str,
        feed_size: int,
        clock: Callable[[], float],
        lock_path: Path,
    ) -> None:
        self.publisher = publisher
        self.urls = Urls(base_url)
        self.feed_size = feed_size
        self.clock = clock
        self.lock_path = lock_path
        self._lock_fd: int | None = None
        self._lock_failed = False
        self._shown: dict[tuple[str, str], Signature] = {}
        self._seen: dict[tuple[str, str], tuple[Group, int]] = {}  # the group object and its first visible
        self._wake = threading.Event()
        self._mutex = threading.Lock()
        self.notified = 0  # feed URLs handed to the publisher

    def start(self, index: Callable[[], Index], stop: threading.Event | None = None) -> threading.Thread:
        """Take stock of what every feed shows now, then follow changes on a daemon thread."""
        self.check(index(), send=False)
        thread = threading.Thread(target=self._follow, args=(index, stop or threading.Event()), daemon=True)
        thread.name = "feeds-websub-watch"
        thread.start()
        return thread

    def wake(self, _old: Index | None = None, _new: Index | None = None) -> None:
        """The catalog's after_swap hook: look again now."""
        self._wake.set()

    def _follow(self, index: Callable[[], Index], stop: threading.Event) -> None:
        while not stop.is_set():
            current = index()
            due = _next_due(current, self.clock())
            wait = 60.0 if due is None else min(60.0, max(0.0, due - self.clock()) + 0.01)
            self._wake.wait(wait)
            self._wake.clear()
            try:
                self.check(index())
            except Exception:  # never let a notification take the service down
                log.exception("websub: checking for changed feeds failed")

    def check(self, index: Index, send: bool = True) -> list[str]:
        """The URLs of the feeds whose content changed since the last check (sent when this
        process is the sender)."""
        now = self.clock()
        changed: list[str] = []
        with self._mutex:
            for group in _groups(index):
                key: tuple[str, str] = (group.kind, group.slug)
                start = group.first_visible(now)
                seen = self._seen.get(key)
                if seen is not None and seen[0] is group and seen[1] == start:
                    continue  # the same object at the same moment: nothing it shows can differ
                self._seen[key] = (group, start)
                shown = group.articles[start : start + self.feed_size]
                signature = tuple((a.digest, tuple(name for _, name in index.topics_of(a))) for a in shown)
                if self._shown.get(key, ()) != signature:  # a feed nobody could see shows ()
                    self._shown[key] = signature
                    changed.extend(self.urls.feed(group.kind, group.slug, fmt) for fmt in FORMATS)
            for kind, slug in self._seen.keys() - {(g.kind, g.slug) for g in _groups(index)}:
                del self._seen[(kind, slug)]  # a group that left: its feed is gone (a 404), said once
                if self._shown.pop((kind, slug), ()):
                    changed.extend(self.urls.feed(kind, slug, fmt) for fmt in FORMATS)
        if send and changed and self.is_sender():
            self.notified += len(changed)
            self.publisher.publish(changed)
        return changed if send else []

    def is_sender(self) -> bool:
        """True when this process holds the sender's lock (taken at the first chance, kept)."""
        if self._lock_fd is not None:
            return True
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # an unwritable folder, another user's file: say so, send anyway
            if not self._lock_failed:
                log.warning("websub: cannot open %s (%s); this worker sends without it", self.lock_path, exc)
                self._lock_failed = True
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def stats(self) -> dict[str, Any]:
        return {**self.publisher.stats(), "notified": self.notified, "sender": self._lock_fd is not None}


def _next_due(index: Index, now: float) -> float | None:
    """When the next held-back article appears (the soonest one sits just before the first visible)."""
    start = index.site.first_visible(now)
    return index.site.articles[start - 1].published.timestamp() if start else None


def lock_path(snapshot_dir: Path | None, seeds_dir: Path, hub: str) -> Path:
    """One lock per seeds folder and hub, shared by the workers of one machine."""
    folder = snapshot_dir or Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.blake2b(f"{os.path.realpath(seeds_dir)}\0{hub}".encode(), digest_size=8).hexdigest()
    return folder / f"websub-{key}.lock"


__all__ = ["Notifier", "Publisher", "lock_path"]
