"""Holds the current index of a seeds folder.

Start: reuse the snapshot for unchanged files, parse the rest in parallel across the cores.
Then refresh(): reparse only the files that changed (told by inotify, or found by a scan) and
swap the new index in with one assignment, so a reader sees the old data or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import itertools
import json
import logging
import operator
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .folder import FolderScan, Row, is_article_name, rows_of, scan_folder, state_key
from .index import Index, IndexBuilder
from .loading import LoadResult, load_file
from .model import Article, Problem
from .snapshot import (
    Snapshot,
    code_fingerprint,
    decode_result,
    encode_result,
    open_snapshot,
    row_line,
    snapshot_path,
    write_snapshot,
)

log = logging.getLogger("feeds")
_ABSENT = object()
PARALLEL_MIN_FILES = 2000  # below this, starting worker processes costs more than it saves
PIPE_PIECE = 1 << 18  # bytes a parse helper writes at once (its pipe is made this big on Linux)


@dataclass(frozen=True, slots=True)
class RefreshReport:
    changed: int  # files added, changed or removed
    reparsed: int
    index: Index


def parse_files(root: Path, rels: list[str], max_bytes: int, jobs: int) -> list[LoadResult]:
    """Parse files, across `jobs` helper processes when there are enough files to pay off.

    Helpers are plain `python -c` processes (no fork of a threaded server, no re-import of
    anyone's __main__). They send one JSON line a file, which this process decodes as it
    arrives: parsing's garbage stays in the helpers, so this process keeps a compact heap.
    """
    if jobs <= 1 or len(rels) < PARALLEL_MIN_FILES:
        return [load_file(root, rel, max_bytes=max_bytes) for rel in rels]
    shares = [rels[i::jobs] for i in range(jobs)]
    results: list[LoadResult] = []
    selector = selectors.DefaultSelector()
    helpers: list[tuple[subprocess.Popen[bytes], list[str]]] = []
    for share in shares:
        proc = subprocess.Popen(
            [sys.executable, "-c", _HELPER, str(root), str(max_bytes), str(PIPE_PIECE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(BrokenPipeError):  # a helper that died: its files are parsed here, below
            proc.stdin.write(json.dumps(share).encode())  # JSON: a file name may hold a newline
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        os.set_blocking(proc.stdout.fileno(), False)
        with contextlib.suppress(OSError, AttributeError):  # Linux only; the default (64 KiB) works too
            fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, max(PIPE_PIECE, 1 << 16))
        selector.register(proc.stdout, selectors.EVENT_READ, [b"", iter(share)])  # unfinished line, paths
        helpers.append((proc, share))
    try:
        _read_rows(selector, len(helpers), results)
    except BaseException:
        for proc, _ in helpers:  # no helper outlives a failed start
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        selector.close()
        raise
    done = {r.path for r in results}
    for proc, share in helpers:
        assert proc.stdout is not None
        proc.stdout.close()
        if proc.wait() != 0 or any(rel not in done for rel in share):
            missing = [rel for rel in share if rel not in done]
            log.warning("a parse helper failed; parsing its %d missing files here", len(missing))
            results.extend(load_file(root, rel, max_bytes=max_bytes) for rel in missing)
    selector.close()
    return results


def _read_rows(selector: selectors.BaseSelector, open_pipes: int, results: list[LoadResult]) -> None:
    """The helpers' rows, decoded into results as they arrive, until every pipe is closed."""
    while open_pipes:
        for key, _ in selector.select():
            state = key.data
            chunk = os.read(key.fd, 1 << 21)
            if not chunk:
                selector.unregister(key.fileobj)
                open_pipes -= 1
                continue
            lines = (state[0] + chunk).split(b"\n")
            state[0] = lines.pop()
            if not lines:
                continue
            paths = state[1]  # rows come back in the order sent: reuse our path strings
            rows = json.loads(b"[" + b",".join(lines) + b"]")  # one call for many rows: most of its cost is per call
            if len(rows) != len(lines):
                raise ValueError("a parse helper sent rows that are not one a line")
            results.extend(decode_result(row, next(paths)) for row in rows)


_HELPER = "import sys; from feeds.catalog import _helper_main; _helper_main(*sys.argv[1:4])"


def _helper_main(root: str, max_bytes: str, piece_bytes: str) -> None:
    """A parse helper: a JSON list of relative paths on stdin, one JSON row per file out, written
    in pieces of about piece_bytes (PIPE_PIECE bytes). Written through the usual 8 KiB buffer,
    the reader woke and read about twice a row: half of its CPU time at a cold start."""
    gc.disable()  # short-lived: the rare cyclic garbage (recursive YAML aliases) dies with it
    out = sys.stdout.buffer
    folder, most, piece_size = Path(root), int(max_bytes), int(piece_bytes)
    piece: list[bytes] = []
    size = 0
    for rel in json.loads(sys.stdin.buffer.read()):
        line = row_line(encode_result(load_file(folder, rel, max_bytes=most), None)) + b"\n"
        piece.append(line)
        size += len(line)
        if size >= piece_size:
            out.write(b"".join(piece))
            out.flush()
            piece.clear()
            size = 0
    out.write(b"".join(piece))
    out.flush()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic collection while building hundreds of thousands of objects that all stay:
    each one would walk the whole growing heap for nothing (a quarter of a warm start)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _release_free_memory() -> None:
    """Hand the start's freed heap back to the system (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _summary(states: Iterable[tuple[str, int | None]]) -> tuple[int, int]:
    """(how many, the sum of the hash of each (path, state)): equal for the same files in the
    same states whatever their order; a different folder gives the same only by a 64-bit hash
    coincidence. (str hashes are salted per process: a summary is compared only within the
    processes forked from the one that made it.)"""
    if isinstance(states, Sized):  # (a dict's items: in C)
        return len(states), sum(map(hash, states))
    count = 0
    total = 0
    for pair in states:
        count += 1
        total += hash(pair)
    return count, total


def _current_key(root: Path, rel: str) -> int | None:
    """state_key of the file as it is now; None when it is gone or unreadable."""
    try:
        info = os.lstat(root / rel)
    except OSError:
        return None
    return state_key(info)


class Catalog:
    """The live set of articles of one seeds folder."""

    def __init__(
        self,
        root: Path,
        *,
        max_bytes: int,
        site_title: str = "feeds",
        snapshot_dir: Path | None = None,
        jobs: int | None = None,
        meanwhile: Callable[[], object] | None = None,
        scan: FolderScan | None = None,
    ) -> None:
        """`meanwhile`: called while a child process scans the folder (`feeds serve` imports
        its web modules then, rather than before or after the load). `scan`: that scan of
        `root`, begun earlier by the caller (`feeds serve` begins it before its imports)."""
        if not root.is_dir():
            raise ConfigError(f"SEEDS_DIR: expected a folder of article files, got {str(root)!r}, which does not exist")
        self.root = root
        self.max_bytes = max_bytes
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self._builder = IndexBuilder(site_title)
        self._states: dict[str, int | None] = {}  # path -> its state_key: one int a file
        # What the folder looked like when the start was done (_summary): a worker forked then
        # tells from it whether anything changed before its watch was placed (see _follow)
        self._loaded_summary: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._logged: set[Problem] = set()
        self._snapshot = snapshot_path(snapshot_dir, root) if snapshot_dir else None
        self.loaded_at: datetime | None = None
        self._following = threading.Event()
        # Called with (old index, new index) after each reload that changed something, on the
        # reloading thread: keep them short (WebSub's notifier only wakes its own thread).
        self.after_swap: list[Callable[[Index, Index], None]] = []
        self.index: Index = self._start(meanwhile, scan)

    # start ---------------------------------------------------------------------------------

    def _start(self, meanwhile: Callable[[], object] | None, scan: FolderScan | None) -> Index:
        with _gc_paused():
            index = self._load_everything(meanwhile, scan or FolderScan(self.root))
            gc.freeze()  # the articles live as long as the process: no collection walks them again
        return index

    def _load_everything(self, meanwhile: Callable[[], object] | None, scan: FolderScan) -> Index:
        if meanwhile is not None:
            meanwhile()
        fingerprint = code_fingerprint(self.max_bytes)
        snapshot = open_snapshot(self._snapshot, fingerprint) if self._snapshot else None
        # Most starts find every file as the snapshot has it: take all of it (articles and index)
        # while the scan is still running, and keep it if the scan agrees; if it does not, go on
        # from it as a reload would, by what changed.
        restored = self._restore_all(snapshot) if snapshot is not None else None
        summary = _summary(restored[1].items()) if restored is not None else None  # (the scan still runs)
        names, keys, skipped = scan.columns()
        if restored is not None:
            index, states = restored
            self._states = states  # (its path strings are the articles')
            self._log_new_problems(index.problems)
            self.index = index
            self.loaded_at = datetime.now(UTC)
            del restored, snapshot
            # the same files in the same states (the scan's paths are unique; a skipped file's
            # None is never a state, nor a file the snapshot lacks)
            now = map(states.get, names, itertools.repeat(_ABSENT))
            if len(names) != len(states) or not all(map(operator.eq, now, keys)):
                report = self.refresh(rows=rows_of(names, keys, skipped))
                if self._snapshot and report.reparsed:  # what was parsed is kept for the next start
                    write_snapshot(self._snapshot, fingerprint, self._builder.results(), states, self._builder.export())
                summary = _summary(states.items())
            self._loaded_summary = summary
            del names, keys
            _release_free_memory()
            return self.index
        self._states = scanned = dict(zip(names, keys, strict=True))
        # path -> the same string, so states and articles share the scan's copy. No per-file
        # object lives through the start but those that stay: short-lived ones (file states,
        # say) would leave holes between the articles that the allocator never gives back.
        paths: dict[str, str] = dict(zip(names, names, strict=True))
        changes: dict[str, LoadResult | Article | None] = {}
        for rel, why in skipped.items():
            changes[rel] = LoadResult(rel, None, (Problem(rel, "file", why or "skipped"),))
            del paths[rel]
        del names, keys
        if snapshot is not None:
            changes.update(snapshot.pick(paths, scanned))
        del snapshot  # and the snapshot's bytes with it
        to_parse = [rel for rel in paths if rel not in changes]
        for result in parse_files(self.root, to_parse, self.max_bytes, self.jobs):
            changes[result.path] = result
        paths.clear()
        index = self._swap(changes)
        del changes
        if self._snapshot and to_parse:  # what was parsed is kept for the next start
            write_snapshot(self._snapshot, fingerprint, self._builder.results(), self._states, self._builder.export())
        self._loaded_summary = _summary(self._states.items())
        _release_free_memory()
        return index

    def _restore_all(self, snapshot: Snapshot) -> tuple[Index, dict[str, int | None]] | None:
        """Every row of the snapshot and the index it holds, put into the builder, with the
        state of each file they are from; None when the snapshot has no index to give."""
        states = snapshot.states()
        if not states:
            return None
        index = snapshot.restore(self._builder, snapshot.take_all())
        if index is None:
            self._builder = IndexBuilder(self._builder.site_title)  # (restore may have begun)
            return None
        return index, states

    # refresh -------------------------------------------------------------------------------

    def refresh(self, paths: Iterable[str] | None = None, *, rows: list[Row] | None = None) -> RefreshReport:
        """Reparse added and changed files, forget removed ones, swap in a new index if needed.

        With `paths` (relative, e.g. from file-system events) only those are looked at;
        without, the whole folder is scanned, or taken from `rows` (a scan made already).
        """
        with self._lock:
            self._loaded_summary = None  # (states may change now)
            # What changed, as a delta to self._states, applied once swapped (a failed reload is
            # tried again next time). Never a new dict of every file: after a preloaded start
            # that would copy, in each worker, pages it shares with the supervisor.
            changes: dict[str, LoadResult | None] = {}
            updates: dict[str, int | None] = {}
            gone: set[str] = set()
            states = self._states
            if paths is None:
                # No set of the paths seen: counting the known ones tells whether any is gone (in
                # a worker, 100,000 new strings kept the length of a scan left ~10 MB behind).
                known = 0
                for rel, key, skipped in scan_folder(self.root) if rows is None else rows:
                    was = states.get(rel, _ABSENT)
                    known += was is not _ABSENT
                    if key is None:
                        if was is _ABSENT:
                            changes[rel] = LoadResult(rel, None, (Problem(rel, "file", skipped or "skipped"),))
                        if was is not None:
                            updates[rel] = None
                    elif was != key:
                        changes[rel] = None  # placeholder: parsed below
                        updates[rel] = key
                if known != len(states):  # some are gone: a second look says which
                    gone = states.keys() - {rel for rel, _, _ in (scan_folder(self.root) if rows is None else rows)}
            else:
                for rel in set(paths):
                    if not is_article_name(rel.rsplit("/", 1)[-1]) or any(
                        part.startswith(".") for part in rel.split("/")
                    ):
                        continue
                    key = _current_key(self.root, rel)
                    if key is None:
                        if rel in states:
                            gone.add(rel)
                    elif states.get(rel) != key:
                        updates[rel] = key
                        changes[rel] = None
            for rel in gone:
                changes[rel] = None
            to_parse = [rel for rel, result in changes.items() if result is None and rel not in gone]
            for result in parse_files(self.root, to_parse, self.max_bytes, self.jobs):
                changes[result.path] = result
            old = self.index
            if changes:
                self._swap(changes)
            for rel in gone:  # only once swapped
                del states[rel]
            states.update(updates)
        if changes:
            for hook in self.after_swap:
                try:
                    hook(old, self.index)
                except Exception:  # a hook must never fail a reload
                    log.exception("after_swap hook failed")
        return RefreshReport(len(changes), len(to_parse), self.index)

    def _swap(self, changes: Mapping[str, LoadResult | Article | None]) -> Index:
        index = self._builder.apply(changes)
        self._log_new_problems(index.problems)
        self.index = index  # the one-step swap: readers take self.index once per request
        self.loaded_at = datetime.now(UTC)
        return index

    def _log_new_problems(self, problems: tuple[Problem, ...]) -> None:
        current = set(problems)
        for problem in problems:
            if problem not in self._logged:
                log.warning("%s", problem)
        self._logged = current

    def _unchanged_since_start(self) -> bool:
        """Whether a scan finds the folder exactly as the start left it (same files, same states),
        told by its summary alone: a full refresh looks each file up among the states, and each
        lookup writes the reference count of a state's int, which in a worker forked after the
        start copies the pages of all 100,000 of them (with the scan's leftovers, 7-11 MB a
        worker). Once only: a later change makes the summary out of date. A scan that fails says
        changed (the full refresh then has its own go, and logs what fails)."""
        with self._lock:
            loaded, self._loaded_summary = self._loaded_summary, None
            if loaded is None:
                return False
            try:
                return _summary((rel, key) for rel, key, _ in scan_folder(self.root)) == loaded
            except Exception:
                return False

    # watching ------------------------------------------------------------------------------

    @property
    def following(self) -> bool:
        """True while a watch() thread follows the folder (by inotify or by scanning)."""
        return self._following.is_set()

    def watch(
        self, interval: float, stop: threading.Event | None = None, *, catch_up: bool = False
    ) -> threading.Thread:
        """Follow the folder in a daemon thread: inotify events when watchdog can, else a scan
        every `interval` seconds. Returns once the watch is in place (so a change made after it
        returns is seen); requests never wait for the thread.

        `catch_up`: the thread first scans the whole folder once the watch is in place, for a
        catalog loaded earlier (in `feeds serve`'s supervisor, before the fork): what changed
        between that load and this watch sent no event here. Then this returns at once: that
        scan sees whatever changes before the watch is in place, and a worker's first answer
        does not wait for watchdog to walk the folder (0.1 s at 100,000 files); `following`
        says when it is.

        With inotify and no `stop` (a server's watch, which lasts as long as its process), the
        thread sleeps until an event, where it woke twice a second to find nothing, taking the
        GIL from the worker's requests each time."""
        idle = interval if stop is not None else None  # how long the thread waits for an event
        stop = stop or threading.Event()
        thread = threading.Thread(
            target=self._follow, args=(interval, stop, catch_up, idle), name="feeds-reload", daemon=True
        )
        thread.start()
        if not catch_up:
            self._following.wait(timeout=10)
        return thread

    def _follow(
        self, interval: float, stop: threading.Event, catch_up: bool = False, idle: float | None = None
    ) -> None:
        events = _EventQueue(self.root)
        watching = events.start()
        self._following.set()
        try:
            if catch_up:
                try:
                    if not self._unchanged_since_start():
                        self.refresh()
                except Exception:
                    log.exception("reload failed; keeping the previous data")
            while not stop.is_set():
                try:
                    if watching:
                        paths = events.take(timeout=idle)
                        if paths is None:  # the queue overflowed or a folder moved: rescan
                            self.refresh()
                        elif paths:
                            self.refresh(paths)
                    else:
                        stop.wait(interval)
                        self.refresh()
                except Exception:  # a reload must never take the service down
                    log.exception("reload failed; keeping the previous data")
        finally:
            self._following.clear()
            events.stop()


def import_watcher() -> None:
    """Imports watchdog, which watch() imports when it runs (`feeds serve` does it before it
    forks, so its workers share the modules and do not each import them)."""
    with contextlib.suppress(ImportError):
        import watchdog.events
        import watchdog.observers  # noqa: F401


Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()


class _EventQueue:
    """File-system events from watchdog (inotify on Linux), gathered into sets of paths."""

    DEBOUNCE = 0.05  # let a burst of writes land before reparsing

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: set[str] = set()
        self._rescan = False
        self._ready = threading.Condition()
        self._observer: Any = None

    def start(self) -> bool:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency; scanning still works
            return False
        queue = self
        root = os.path.realpath(self.root)

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                paths = [event.src_path, getattr(event, "dest_path", "")]
                rels = []
                for path in paths:
                    if not path:
                        continue
                    path = os.fsdecode(path)
                    if event.is_directory and event.event_type in ("moved", "deleted", "created"):
                        queue.rescan()
                        return
                    rel = os.path.relpath(path, root)
                    if not rel.startswith(".."):
                        rels.append(rel.replace(os.sep, "/"))
                queue.add(rels)

        try:
            observer = Observer()
            observer.schedule(Handler(), root, recursive=True)
            observer.daemon = True
            observer.start()
        except OSError as exc:  # e.g. the inotify watch limit: fall back to scanning
            log.warning("cannot watch %s (%s); scanning it instead", self.root, exc)
            return False
        self._observer = observer
        return True

    def add(self, rels: list[str]) -> None:
        with self._ready:
            self._paths.update(rels)
            self._ready.notify()

    def rescan(self) -> None:
        with self._ready:
            self._rescan = True
            self._ready.notify()

    def take(self, timeout: float | None) -> set[str] | None:
        """Paths changed since the last call ({} after `timeout` with none; None: wait for one),
        or None: rescan."""
        with self._ready:
            if not self._paths and not self._rescan:
                self._ready.wait(timeout)
                if not self._paths and not self._rescan:
                    return set()  # nothing came: no debounce to sleep
        time.sleep(self.DEBOUNCE)
        with self._ready:
            paths, rescan = self._paths, self._rescan
            self._paths, self._rescan = set(), False
        return None if rescan else paths

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
