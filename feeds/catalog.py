"""Holds the current index of a seeds folder; refresh() reparses only the files that changed
and swaps the new index in with one assignment, so a reader sees the old data or the new."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import ConfigError
from .index import Index, build_index
from .loading import FileState, LoadResult, load_file, scan_folder
from .model import Problem

log = logging.getLogger("feeds")


@dataclass(frozen=True, slots=True)
class RefreshReport:
    changed: int  # files added, changed or removed
    reparsed: int
    index: Index


class Catalog:
    """The live set of articles of one seeds folder."""

    def __init__(self, root: Path, *, max_bytes: int, site_title: str = "feeds") -> None:
        if not root.is_dir():
            raise ConfigError(f"SEEDS_DIR: expected a folder of article files, got {str(root)!r}, which does not exist")
        self.root = root
        self.max_bytes = max_bytes
        self.site_title = site_title
        self._files: dict[str, tuple[FileState | None, LoadResult]] = {}
        self._lock = threading.Lock()
        self._logged: set[Problem] = set()
        self.loaded_at: datetime | None = None
        self.index: Index = build_index([], site_title)
        self.refresh()

    def refresh(self) -> RefreshReport:
        """Reparse added and changed files, forget removed ones, swap in a new index if needed."""
        with self._lock:
            seen: dict[str, tuple[FileState | None, LoadResult]] = {}
            reparsed = 0
            for rel, state, skipped in scan_folder(self.root):
                if state is None:
                    seen[rel] = (None, LoadResult(rel, None, (Problem(rel, "file", skipped or "skipped"),)))
                    continue
                old = self._files.get(rel)
                if old is not None and old[0] == state:
                    seen[rel] = old
                    continue
                seen[rel] = (state, load_file(self.root, rel, max_bytes=self.max_bytes))
                reparsed += 1
            changed = reparsed + len(self._files.keys() - seen.keys())
            if changed or self.loaded_at is None:
                self._files = seen
                index = build_index((result for _, result in seen.values()), self.site_title)
                self._log_new_problems(index.problems)
                self.index = index  # the one-step swap
                self.loaded_at = datetime.now(UTC)
            return RefreshReport(changed, reparsed, self.index)

    def _log_new_problems(self, problems: tuple[Problem, ...]) -> None:
        current = set(problems)
        for problem in problems:
            if problem not in self._logged:
                log.warning("%s", problem)
        self._logged = current

    def watch(self, interval: float, stop: threading.Event | None = None) -> threading.Thread:
        """Refresh every `interval` seconds in a daemon thread; requests never wait for it."""
        stop = stop or threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.refresh()
                except Exception:  # a reload must never take the service down
                    log.exception("reload failed; keeping the previous data")

        thread = threading.Thread(target=loop, name="feeds-reload", daemon=True)
        thread.start()
        return thread


Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()
