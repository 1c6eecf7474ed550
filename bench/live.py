"""Live data at scale, as a user waits for it: `feeds serve` from the command to the first 200,
its memory, how fast a change reaches every worker, and the render time of a feed, ours against
a reference.

    .venv/bin/python -m bench.live [--count 100000] [--corpus DIR] [--runs 3] [--edits 50]
                                   [--renders 200] [--cache-mb 32] [--settle 1.0]

- **Start**: `python -m feeds.cli serve` (bjoern, FEEDS_WORKERS=2, a free port, FEEDS_SNAPSHOT_DIR
  a temporary folder), timed from the Popen to the first 200 on /feed.xml (polled every 10 ms).
  Cold: an empty snapshot folder, every file parsed. Warm: the snapshot the cold run of the same
  round left (a restart). The reference is the straightforward implementation the targets are
  anchored on, one process parsing the same files with PyYAML's C loader (parsed dicts kept),
  timed from its Popen to the end of the parse. Each round runs reference, cold, warm and the
  one-article baseline in turn, so the machine's moods hit all alike; figures are medians with
  the rounds' min-max.
- **Memory**: once the first 200 is in, a kept-alive connection per worker (told apart by
  /-/health's `worker`), then the workers are left to settle: settled is when no worker used more
  than 30 ms of CPU in the last `--settle` seconds, which is when each worker's catch-up scan of
  the folder (run once its watch is in place) is done. Then /proc/<pid>/smaps_rollup of the
  supervisor and every process under it: the sum of Pss (shared pages counted once) and the
  largest Rss, per visible article (/-/health's `articles`); again after serving traffic (every
  topic feed and the site feed once in each format, from each worker: refcount writes dirty the
  pages the workers share with the supervisor, so that is the honest figure). The same for
  `feeds serve` on a folder of one article, the baseline of interpreter, imports and caches, so
  the net figures ((ours - baseline) / articles) come next to the raw ones (ours / articles).
  The targets are compared with the raw figures, the stricter.
- **Change latency**: a warm `feeds serve` on the same files; each edit either rewrites a
  published article with a new title or adds a copy of one under a new webUrl (whole files, by
  rename, as an aggregator should write), then polls /-/health's `version` on each worker's
  kept-alive connection every 10 ms until it moves; p50 and p99 over every (worker, edit).
- **Render**: one uncached 50-item RSS feed in one process, against the reference's scan, sort
  and feedgen, pick by pick (`--renders 0` skips it).

The corpus is bench/corpus/<count> (written once, seeded); the runs use a hard-linked copy of it
in a temporary folder (the edits replace files there, never writing into a shared inode).
About 8-10 minutes at 100,000 files with --runs 3 on the 2-core VM.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import cached_corpus
from bench.procstat import process_stats

ROOT = Path(__file__).resolve().parent.parent
KB = 1024
POLL = 0.01  # seconds between tries: for the first 200, and for a change on each worker
FORMATS = ("xml", "atom", "json")  # rss, atom and json feeds, by extension

REFERENCE = """
import sys, time, json, os, gc
import yaml
from feeds.loading import parse_date
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS'):
                return int(line.split()[1]) * 1024
base = rss()
root = sys.argv[1]
articles = []
for name in sorted(os.listdir(root)):
    with open(os.path.join(root, name), encoding='utf-8') as f:
        text = f.read()
    front = text.split('\\n---', 2)[0][4:] if text.startswith('---') else ''
    data = yaml.load(front, Loader=yaml.CSafeLoader)
    if isinstance(data, dict) and data.get('published') is True:
        data.pop('secured', None)
        articles.append(data)
done_at = time.monotonic()  # CLOCK_MONOTONIC is the system's: comparable with the bench's Popen time
gc.collect()
print(json.dumps({"done_at": done_at, "articles": len(articles), "bytes_per_article": (rss() - base) / len(articles)}))
"""

RENDER = """
import sys, time, json, random, statistics
from pathlib import Path
from feedgen.feed import FeedGenerator
from feeds.catalog import Catalog
from feeds.outputs import Outputs, RenderCache
from feeds.query import FeedQuery
from feeds.rendering import syndication
from feeds.rendering.content import article_html
from feeds import model
cat = Catalog(Path(sys.argv[1]), max_bytes=1 << 20, snapshot_dir=Path(sys.argv[2]), jobs=2)
index = cat.index
now = time.time()
slugs = [s for s, g in index.topics.items() if len(g.articles) >= 50]
everything = list(index.site.articles)
rng = random.Random(1)  # one seeded generator: a different topic each pick, the same list each run
picks = [rng.choice(slugs) for _ in range(int(sys.argv[3]))]

def ours(slug, when):  # a fresh RenderCache: the feed itself is never cached
    t = time.perf_counter()
    Outputs('feeds', RenderCache()).feed(index, [index.topics[slug]], 'rss', 'https://b.example', when, FeedQuery(50))
    return time.perf_counter() - t

def reference(slug):  # straightforward: scan and sort per request, feedgen for the whole feed
    t = time.perf_counter()
    picked = sorted((a for a in everything if any(index.topic_slugs.get(s) == slug for s in a.topics)
                     and a.timestamp <= now), key=lambda a: (-a.timestamp, a.id))[:50]
    fg = FeedGenerator()
    fg.title(index.topics[slug].name)
    fg.link(href='https://b.example/topics/' + slug, rel='alternate')
    fg.description('Newest articles about ' + index.topics[slug].name)
    for a in picked:
        fe = fg.add_entry(order='append')
        fe.id(a.id)
        fe.title(a.title)
        fe.link(href=a.id)
        fe.description(a.excerpt or a.title)
        fe.content(article_html(a))
        fe.published(a.published)
        if a.image is not None:
            fe.enclosure(a.image.url, '0', a.image.mime_type)
        for _, name in index.topics_of(a):
            fe.category(term=name)
    fg.rss_str()
    return time.perf_counter() - t

cold, ref, moved = [], [], []
for slug in picks:  # alternating with the reference, so that the machine's moods hit both alike
    syndication._FRAGMENTS.clear()  # nothing rendered or unpacked before: each entry is written for this feed
    model.forget_details()
    cold.append(ours(slug, now))
    ref.append(reference(slug))
# The render-cache miss a running server sees most: one new article in a feed (here the newest,
# held back until now) moves the feed's digest; its other 49 entries were written for the feed before.
for slug in picks:
    syndication._FRAGMENTS.clear()
    model.forget_details()
    group = index.topics[slug]
    newest = group.articles[group.first_visible(now)]
    ours(slug, newest.timestamp - 1e-3)
    moved.append(ours(slug, now))
print(json.dumps({"cold_ms": statistics.median(cold) * 1e3, "moved_ms": statistics.median(moved) * 1e3,
                  "ref_ms": statistics.median(ref) * 1e3}))
"""


def _run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def reference_start(seeds: Path) -> dict[str, float]:
    """The reference parse, timed from its Popen (interpreter start and imports included, as
    for `feeds serve`) to the end of its parse."""
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = _run(REFERENCE, str(seeds))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["start"] = result["done_at"] - started
    result["cpu"] = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return result


# feeds serve -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Conn:
    """One kept-alive connection, and so one worker (bjoern keeps it on the one that took it)."""

    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        self.http.request("GET", path)
        response = self.http.getresponse()
        return response.status, response.read()

    def health(self) -> dict[str, Any]:
        status, body = self.get("/-/health")
        if status != 200:
            raise RuntimeError(f"/-/health answered {status}")
        answer: dict[str, Any] = json.loads(body)
        return answer


def descendants(pid: int) -> list[int]:
    """pid and every live process under it."""
    children: dict[int, list[int]] = {}
    for child, fields in process_stats():
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], ()))
    return found


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User and system CPU of a process; with `reaped`, also of its children it waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11 : 15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def smaps(pid: int) -> tuple[int, int]:
    """(Rss, Pss) of a process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                values[name] = int(rest.split()[0]) * KB
    return values["Rss"], values["Pss"]


@dataclass
class Memory:
    pss: int  # all the processes' Pss, summed
    largest_rss: int
    processes: int
    paged: int = 0  # bytes of the files with no name they hold open: packed texts (feeds.paged)


def memory_of(pid: int) -> Memory:
    readings = []
    unnamed: dict[tuple[int, int], int] = {}
    for process in descendants(pid):
        try:
            readings.append(smaps(process))
            unnamed.update(unnamed_files(process))
        except (OSError, KeyError):  # gone since the listing
            continue
    return Memory(sum(p for _, p in readings), max(r for r, _ in readings), len(readings), sum(unnamed.values()))


def unnamed_files(pid: int) -> dict[tuple[int, int], int]:
    """(device, inode) -> size of each regular file with no name that a process holds open: where
    feeds.paged keeps packed texts, in the page cache and in no process's Rss or Pss."""
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            info = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.endswith(" (deleted)") and stat.S_ISREG(info.st_mode):
            out[(info.st_dev, info.st_ino)] = info.st_size
    return out


@dataclass
class Served:
    """One `feeds serve` run's figures."""

    first_200: float = 0.0  # seconds from the Popen
    cpu: float = 0.0  # CPU seconds of all its processes (parse helpers too) until the first 200
    cpu_supervisor: float = 0.0  # of it, the supervisor's and the children it reaped (helpers)
    imports: float = 0.0  # Popen to the supervisor's "reading ..." line
    loaded: float = 0.0  # Popen to its "N articles ... in Xs" line: the catalog is loaded
    settled: float = 0.0  # Popen to both workers idle (their catch-up scans done)
    articles: int = 0
    memory: Memory | None = None
    after_traffic: Memory | None = None
    requests: int = 0


@dataclass
class Server:
    """`feeds serve` as a user starts it, with its stderr read (and timed) in a thread."""

    seeds: Path
    snapshot: Path
    cache_mb: int
    port: int = field(default_factory=free_port)
    lines: list[tuple[float, str]] = field(default_factory=list)
    cpu: float = 0.0  # of its processes, at the first 200
    cpu_supervisor: float = 0.0  # of it, the supervisor's and the children it reaped (helpers)

    def __enter__(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
        env.update(
            FEEDS_SEEDS_DIR=str(self.seeds),
            FEEDS_PORT=str(self.port),
            FEEDS_WORKERS="2",
            FEEDS_SERVER="bjoern",
            FEEDS_SNAPSHOT_DIR=str(self.snapshot),
            FEEDS_CACHE_MB=str(self.cache_mb),
        )
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "feeds.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        return self

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append((time.monotonic() - self.started, raw.decode(errors="replace").rstrip()))

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            self.proc.wait(5)
        self.reader.join(5)

    def failed(self, what: str) -> SystemExit:
        tail = "\n".join(line for _, line in self.lines[-30:])
        return SystemExit(f"feeds serve on {self.seeds}: {what}\n{tail}")

    def line_at(self, start: str) -> float:
        return next((at for at, line in self.lines if line.startswith(start)), math.nan)

    def first_200(self, path: str = "/feed.xml", within: float = 1200) -> float:
        while True:
            conn = Conn(self.port)
            try:
                status, _ = conn.get(path)
                if status == 200:
                    at = time.monotonic() - self.started
                    self.cpu_supervisor = cpu_seconds(self.proc.pid, reaped=True)
                    self.cpu = sum(cpu_seconds(pid) for pid in descendants(self.proc.pid)[1:]) + self.cpu_supervisor
                    return at
            except OSError:  # refused: not listening yet (the catalog is still loading)
                pass
            finally:
                conn.http.close()
            if self.proc.poll() is not None or time.monotonic() - self.started > within:
                raise self.failed("no 200 on " + path)
            time.sleep(POLL)

    def workers(self, count: int = 2) -> dict[int, Conn]:
        """A kept-alive connection to each worker: new connections until every one took one."""
        deadline = time.monotonic() + 60
        found: dict[int, Conn] = {}
        while True:
            pids = set(descendants(self.proc.pid)) - {self.proc.pid}
            conn = Conn(self.port)
            pid = int(conn.health()["worker"])
            if pid in pids and pid not in found:
                found[pid] = conn
            else:
                conn.http.close()
            if len(found) == count:
                return found
            if time.monotonic() > deadline:
                raise self.failed(f"reached {len(found)} of {count} workers")

    def settle(self, pids: list[int], quiet: float, within: float = 120) -> float:
        """Wait until no worker used more than 30 ms of CPU in the last `quiet` seconds (each
        one's catch-up scan is done); returns the seconds from the Popen to the quiet's start."""
        history: list[tuple[float, list[float]]] = []
        deadline = time.monotonic() + within
        while True:
            now = time.monotonic()
            history.append((now, [cpu_seconds(pid) for pid in pids]))
            old = [h for h in history if now - h[0] >= quiet]
            if old and all(b - a < 0.03 for a, b in zip(old[-1][1], history[-1][1], strict=True)):
                return old[-1][0] - self.started
            if now > deadline:
                raise self.failed(f"workers not settled within {within} s")
            time.sleep(0.1)


def traffic(conns: dict[int, Conn]) -> int:
    """Every topic feed and the site feed, once in each format, from each worker."""
    first = next(iter(conns.values()))
    status, body = first.get("/feeds.opml")
    assert status == 200, status
    topics = next(o for o in ET.fromstring(body).iter("outline") if o.get("text") == "Topics")
    stems = ["/feed"] + ["/" + o.attrib["xmlUrl"].split("/", 3)[3].rsplit(".", 1)[0] for o in topics]
    count = 0
    for conn in conns.values():
        for stem in stems:
            for ext in FORMATS:
                status, _ = conn.get(f"{stem}.{ext}")
                assert status == 200, (stem, ext, status)
                count += 1
    return count


def serve_once(seeds: Path, snapshot: Path, cache_mb: int, quiet: float) -> Served:
    with Server(seeds, snapshot, cache_mb) as server:
        run = Served(first_200=server.first_200(), cpu=server.cpu, cpu_supervisor=server.cpu_supervisor)
        conns = server.workers()
        articles = {int(conn.health()["articles"]) for conn in conns.values()}
        if len(articles) != 1:
            raise server.failed(f"the workers show different counts: {articles}")
        run.articles = articles.pop()
        run.settled = server.settle(list(conns), quiet)
        run.memory = memory_of(server.proc.pid)
        run.requests = traffic(conns)
        run.after_traffic = memory_of(server.proc.pid)
        run.imports, run.loaded = server.line_at("reading "), server.line_at(f"{run.articles} articles")
        for conn in conns.values():
            conn.http.close()
    return run


# change latency ----------------------------------------------------------------------------


def _published(path: Path) -> str | None:
    text = path.read_text(encoding="utf-8")
    return text if "\npublished: true\n" in text else None


def change_latency(seeds: Path, snapshot: Path, cache_mb: int, edits: int, quiet: float) -> list[float]:
    """Seconds from each change's rename into the folder to its version on each worker."""
    rng = random.Random(2)
    names = sorted(os.listdir(seeds))
    latencies: list[float] = []
    with Server(seeds, snapshot, cache_mb) as server:
        server.first_200()
        conns = server.workers()
        server.settle(list(conns), quiet)
        versions = {pid: conn.health()["version"] for pid, conn in conns.items()}
        for i in range(edits):
            text = None
            while text is None:
                name = rng.choice(names)
                text = _published(seeds / name)
            lines = text.split("\n")
            if i % 2 == 0:  # a new title (top-level `title:`; related ones are indented)
                target = seeds / name
                lines = [f'title: "Edited {i}"' if line.startswith("title:") else line for line in lines]
            else:  # a new article: a copy under another webUrl (its id) and file name
                target = seeds / f"edit{i:04d}_{name}"
                lines = [
                    line.replace('.html"', f'-edit{i}.html"') if line.startswith(("webUrl:", "originalUrl:")) else line
                    for line in lines
                ]
            tmp = seeds / f".{target.name}.tmp"
            tmp.write_text("\n".join(lines), encoding="utf-8")
            changed = time.monotonic()
            os.replace(tmp, target)  # never in place: the folder is hard links to the shared corpus
            waiting = dict(conns)
            while waiting:
                for pid, conn in list(waiting.items()):
                    version = conn.health()["version"]
                    if version != versions[pid]:
                        latencies.append(time.monotonic() - changed)
                        versions[pid] = version
                        del waiting[pid]
                if time.monotonic() - changed > 30:
                    raise server.failed(f"edit {i} did not reach workers {sorted(waiting)} in 30 s")
                time.sleep(POLL)
            time.sleep(0.1)  # apart from the next edit by more than the watcher's 50 ms debounce
        for conn in conns.values():
            conn.http.close()
    return latencies


def machine_load() -> str:
    """The 5-minute load average and the share of time some task waited for a CPU."""
    text = f"load {os.getloadavg()[1]:.1f}"
    try:
        some = Path("/proc/pressure/cpu").read_text().split("\n")[0].split()
        text += f", CPU pressure {some[3].split('=')[1]}% (avg300)"
    except (OSError, IndexError):
        pass
    return text


def linked_copy(corpus: Path, out: Path) -> Path:
    """The corpus's files hard-linked into out (copied where links cannot be made)."""
    out.mkdir()
    for name in os.listdir(corpus):
        try:
            os.link(corpus / name, out / name)
        except OSError:
            shutil.copy2(corpus / name, out / name)
    return out


# report ------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Figure:
    name: str
    values: list[float]
    unit: str
    digits: int = 2
    target: str = ""
    met: bool | None = None

    def row(self) -> str:
        def fmt(value: float) -> str:
            return f"{value:.{self.digits}f}"

        med = statistics.median(self.values)
        spread = f"{fmt(min(self.values))}-{fmt(max(self.values))}" if len(self.values) > 1 else "-"
        status = "" if self.met is None else ("met" if self.met else "missed")
        return f"| {self.name} | {fmt(med)} {self.unit} | {spread} | {self.target} {status} |".replace("  |", " |")


def main() -> None:
    parser = argparse.ArgumentParser(description="feeds serve at scale, as a user waits for it")
    parser.add_argument("--count", type=int, default=100_000, help="articles in the corpus")
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "corpus", help="where corpora are kept")
    parser.add_argument("--runs", type=int, default=3, help="rounds of reference, cold, warm and baseline")
    parser.add_argument("--edits", type=int, default=50, help="changes timed to every worker; 0 skips")
    parser.add_argument("--renders", type=int, default=200, help="feeds rendered in one process; 0 skips")
    parser.add_argument("--cache-mb", type=int, default=32, help="FEEDS_CACHE_MB of every server")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds of idle workers that count as settled")
    args = parser.parse_args()
    load_before = machine_load()
    corpus = cached_corpus(args.corpus, args.count)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp_name:
        tmp = Path(tmp_name)
        seeds = linked_copy(corpus, tmp / "seeds")
        one = tmp / "one"
        one.mkdir()
        first = next(name for name in sorted(os.listdir(seeds)) if _published(seeds / name))
        shutil.copy2(seeds / first, one / first)
        refs: list[dict[str, float]] = []
        colds: list[Served] = []
        warms: list[Served] = []
        bases: list[Served] = []
        for run in range(args.runs):
            snapshot = tmp / f"snap{run}"
            refs.append(reference_start(seeds))
            colds.append(serve_once(seeds, snapshot, args.cache_mb, args.settle))
            warms.append(serve_once(seeds, snapshot, args.cache_mb, args.settle))
            bases.append(serve_once(one, tmp / f"snap-one{run}", args.cache_mb, args.settle))
            print(
                f"run {run + 1}: reference {refs[-1]['start']:.1f}s, cold {colds[-1].first_200:.1f}s "
                f"(loaded at {colds[-1].loaded:.1f}s, settled at {colds[-1].settled:.1f}s), "
                f"warm {warms[-1].first_200:.2f}s (imports {warms[-1].imports:.2f}s, loaded at "
                f"{warms[-1].loaded:.2f}s, settled at {warms[-1].settled:.1f}s), baseline {bases[-1].first_200:.2f}s",
                flush=True,
            )
        latencies = (
            change_latency(seeds, tmp / f"snap{args.runs - 1}", args.cache_mb, args.edits, args.settle)
            if args.edits
            else []
        )
        render = _run(RENDER, str(seeds), str(tmp / "snap0"), str(args.renders)) if args.renders else None

    articles = int(statistics.median(w.articles for w in warms))
    ref_start = [r["start"] for r in refs]
    cold_ratio = [c.first_200 / r for c, r in zip(colds, ref_start, strict=True)]
    warm_start = [w.first_200 for w in warms]
    cpu_ratio = [c.cpu / r["cpu"] for c, r in zip(colds, refs, strict=True)]

    def per_article(runs: list[Served], which: str, net: bool, largest: bool = False) -> list[float]:
        """KB per visible article of each run's memory (`which`: "memory" or "after_traffic"):
        the processes' summed Pss, or with `largest` the largest Rss; `net` less the baseline's."""
        values = []
        for run, base in zip(runs, bases, strict=True):
            mine, theirs = getattr(run, which), getattr(base, which)
            assert isinstance(mine, Memory) and isinstance(theirs, Memory)
            ours, base_of = (mine.largest_rss, theirs.largest_rss) if largest else (mine.pss, theirs.pss)
            values.append((ours - (base_of if net else 0)) / run.articles / KB)
        return values

    figures = [
        Figure("reference parse (PyYAML C loader, one process), command to parsed", ref_start, "s", 1),
        Figure("cold start, command to first 200 (empty snapshot folder)", [c.first_200 for c in colds], "s", 1),
        Figure(
            "cold start / reference, run by run",
            cold_ratio,
            "",
            2,
            "<= 0.45",
            statistics.median(cold_ratio) <= 0.45,
        ),
        Figure(
            "warm start, command to first 200 (snapshot of the run before)",
            warm_start,
            "s",
            2,
            "<= 2 s",
            statistics.median(warm_start) <= 2,
        ),
        Figure("  of it: interpreter and imports (to 'reading ...')", [w.imports for w in warms], "s", 2),
        Figure("  of it: catalog loaded in the supervisor", [w.loaded - w.imports for w in warms], "s", 2),
        Figure("  of it: fork to first 200", [w.first_200 - w.loaded for w in warms], "s", 2),
        Figure("warm: workers settled (catch-up scans done), from the command", [w.settled for w in warms], "s", 1),
        Figure("cold: catalog loaded in the supervisor, from the command", [c.loaded for c in colds], "s", 1),
        Figure("CPU time, reference (its one process)", [r["cpu"] for r in refs], "s", 1),
        Figure("CPU time, cold, feeds serve's processes to the first 200", [c.cpu for c in colds], "s", 1),
        Figure("  cold CPU / reference CPU, run by run", cpu_ratio, ""),
        Figure("CPU time, warm, feeds serve's processes to the first 200", [w.cpu for w in warms], "s", 2),
        Figure("  of it: the supervisor (and its scan child)", [w.cpu_supervisor for w in warms], "s", 2),
    ]
    for label, which in (("after the start", "memory"), ("after traffic", "after_traffic")):
        pss_raw, pss_net = per_article(warms, which, False), per_article(warms, which, True)
        rss_raw, rss_net = per_article(warms, which, False, True), per_article(warms, which, True, True)
        figures += [
            Figure(f"PSS of all processes per article, {label}, raw (compared)", pss_raw, "KB", 2, "<= 2 KB"),
            Figure(f"PSS of all processes per article, {label}, net of baseline", pss_net, "KB"),
            Figure(f"largest RSS per article, {label}, raw (compared)", rss_raw, "KB", 2, "<= 1.5 KB"),
            Figure(f"largest RSS per article, {label}, net of baseline", rss_net, "KB"),
        ]
        figures[-4].met = statistics.median(pss_raw) <= 2
        figures[-2].met = statistics.median(rss_raw) <= 1.5
    figures += [
        Figure(
            "packed texts in the page cache (feeds.paged: in no process's PSS or RSS), per article",
            [w.memory.paged / w.articles / KB for w in warms if w.memory],
            "KB",
        ),
        Figure("cold start: PSS per article, raw", per_article(colds, "memory", False), "KB"),
        Figure("cold start: largest RSS per article, raw", per_article(colds, "memory", False, True), "KB"),
    ]
    for label, which in (("after the start", "memory"), ("after traffic", "after_traffic")):
        memories = [getattr(b, which) for b in bases]
        figures += [
            Figure(f"baseline (1 article): PSS of all processes, {label}", [m.pss / 2**20 for m in memories], "MiB", 1),
            Figure(f"baseline (1 article): largest RSS, {label}", [m.largest_rss / 2**20 for m in memories], "MiB", 1),
        ]
    figures.append(Figure("reference: RSS per article", [r["bytes_per_article"] / KB for r in refs], "KB"))
    if latencies:
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        figures += [
            Figure(f"change to every worker, p50 of {len(latencies)} (worker, edit)", [p50], "s"),
            Figure("change to every worker, p99", [p99], "s", 2, "<= 0.5 s", p99 <= 0.5),
            Figure("change to every worker, max", [max(latencies)], "s"),
        ]
    if render is not None:
        figures += [
            Figure("one uncached 50-item RSS feed (ours)", [render["cold_ms"]], "ms"),
            Figure("the same, reference (scan, sort, feedgen)", [render["ref_ms"]], "ms", 1),
            Figure(
                "  ours / reference",
                [render["cold_ms"] / render["ref_ms"]],
                "",
                3,
                "<= 0.043",
                render["cold_ms"] / render["ref_ms"] <= 0.043,
            ),
            Figure("the same feed after one new article (49 entries written before)", [render["moved_ms"]], "ms"),
        ]
    processes = "/".join(str(n) for n in sorted({w.memory.processes for w in warms if w.memory}))
    print(
        f"\n{args.count} files, {articles} visible articles, {os.cpu_count()} cores, bjoern with 2 workers "
        f"({processes} processes measured), medians of {args.runs} alternated runs; memory rows are of the warm "
        f"starts unless named; targets are compared with the raw figures"
    )
    print(f"machine load: {load_before} before, {machine_load()} after (2 cores: 2.0 is a full machine)")
    print("| figure | median | runs (min-max) | target |\n|---|---|---|---|")
    for figure in figures:
        print(figure.row())


if __name__ == "__main__":
    main()
