"""Every process's /proc/<pid>/stat fields, for the tests of `feeds serve` (which processes are
its workers) and bench/http (how much CPU a server's processes used). Linux only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields after the command name) of each process: fields[0] is the state, [1] the
    parent pid, [2] the process group, [11] and [12] user and system time in clock ticks. The
    name is cut off at its last ")", as it may hold spaces and parentheses."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield int(entry), Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone since the listing
                continue
