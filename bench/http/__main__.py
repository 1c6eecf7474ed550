"""nginx serving the output of `feeds build` against `feeds serve` on the same data, driven by
the same wrk load on loopback, runs alternated, medians and ratios printed.

    .venv/bin/python -m bench.http [--duration 8] [--rounds 3] [--connections 64] [--count 5000]
                                   [--no-flask] [--no-granian] [--no-floor] [--baseline DIR]

Installs nginx and wrk with apt-get when they are missing (Debian). Generates a corpus with
bench/corpus.py (a small built-in generator when that is missing), builds the static site, starts
nginx with deploy/nginx-static.conf, `feeds serve` (bjoern when installed), the same under
granian (when bjoern is what `feeds serve` runs), the same app without its fast path
(bench/http/flask_only.py), the floor (bench/http/floor.py: a bare callable under the same bjoern
workers sending the answers `feeds serve` sent, byte for byte, with no work at all), and with
--baseline the `feeds serve` of another checkout (before and after a change, alternated in one
run); checks nginx sends the export's own bytes and every server the same bytes, then measures:
a cached 200 of a 50-item topic feed (identity and gzip) and a 304 to If-None-Match. The servers
run this checkout's code (PYTHONPATH), whatever the venv's editable install points at. Never part
of the test run.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from bench.procstat import process_stats
from feeds.server import have_bjoern

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
BASE_URL = "https://feeds.example"
FLOOR = "bjoern floor"
LOAD_BEFORE = "?"
CODE_AT = "?"
# Every subprocess imports this checkout's `feeds`, not whatever the venv's editable install
# points at (a worktree's bench would otherwise measure the main checkout's code).
CODE_ENV = {"PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_tools() -> None:
    missing = [tool for tool in ("nginx", "wrk") if not _which(tool)]
    if not missing:
        return
    log(f"installing {' '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "nginx", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)


def _which(tool: str) -> str | None:
    return shutil.which(tool) or next((p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if Path(p).exists()), None)


def make_corpus(folder: Path, count: int) -> str:
    if (ROOT / "bench" / "corpus.py").is_file():
        done = subprocess.run(
            [PY, "-m", "bench.corpus", str(folder), "--count", str(count)], cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode == 0 and any(folder.rglob("*.*")):
            return f"bench/corpus.py, {count} files"
        log(f"bench/corpus.py failed ({done.stderr.strip()[-200:]}); using the built-in generator")
        shutil.rmtree(folder, ignore_errors=True)
    _small_corpus(folder, count)
    return f"built-in generator, {count} files over 50 topics"


def _small_corpus(folder: Path, count: int) -> None:
    """A few thousand published articles over 50 topics and 40 providers, seeded."""
    rng = random.Random(1)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        topics = rng.sample([f"Topic {t}" for t in range(50)], rng.randint(1, 3))
        provider = rng.randrange(40)
        day = 1_700_000_000 + rng.randrange(60 * 86400)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(day))
        lines = [
            "---",
            f"title: Article {n} about {topics[0]}",
            f"excerpt: A short excerpt of article {n}, long enough to look like a real one.",
            f"webUrl: https://news{provider}.example/a/{n}",
            f"publishedDateTime: '{stamp}'",
            "published: true",
            f"provider: {{name: News {provider}, domain: news{provider}.example}}",
            "topics: [" + ", ".join(topics) + "]",
            f"images: [{{url: 'https://img.example/{n}.jpg', width: 1200, height: 800}}]",
            "---",
            "Body paragraph one.\n\nBody paragraph two.",
        ]
        (folder / f"{n:06d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    """One GET on loopback: the status line ("304 Not Modified"), the headers as sent, the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return f"{response.status} {response.reason}", response.getheaders(), response.read()
    finally:
        conn.close()


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    status, sent, body = get(port, path, headers)
    return int(status[:3]), {k.lower(): v for k, v in sent}, body


@dataclass
class Server:
    name: str
    cmd: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    logfile: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    static: bool = False  # nginx: up at its first answer, whatever it is (check_nginx judges it)

    def start(self, probe: str) -> None:
        out = open(self.logfile or os.devnull, "wb")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env={**os.environ, **CODE_ENV, **self.env},
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}; see {self.logfile}")
            try:
                if fetch(self.port, probe)[0] == 200 or self.static:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer {probe} within 120s; see {self.logfile}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group, started above
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def nginx_server(site: Path, work: Path, workers: int) -> Server:
    port = free_port()
    conf = (ROOT / "deploy" / "nginx-static.conf").read_text()
    conf = conf.replace("    listen 80;", f"    listen 127.0.0.1:{port};").replace(
        "    root /srv/feeds/site;", f"    root {site};"
    )
    if str(site) not in conf or str(port) not in conf:
        raise SystemExit("deploy/nginx-static.conf: could not set listen and root")
    (work / "site.conf").write_text(conf)
    temp = "".join(f"{k}_temp_path {work}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (work / "nginx.conf").write_text(
        f"worker_processes {workers};\npid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ access_log off; {temp} include {work}/site.conf; }}\n"
    )
    cmd = [_which("nginx") or "nginx", "-c", str(work / "nginx.conf"), "-g", "daemon off;"]
    return Server("nginx", cmd, port, logfile=work / "nginx.log", static=True)


def feeds_server(name: str, cmd: list[str], seeds: Path, work: Path, workers: int) -> Server:
    port = free_port()
    env = {
        "FEEDS_SEEDS_DIR": str(seeds),
        "FEEDS_BASE_URL": BASE_URL,
        "FEEDS_PORT": str(port),
        "FEEDS_HOST": "127.0.0.1",
        "FEEDS_WORKERS": str(workers),
    }
    return Server(name, cmd, port, env, work / f"{name}.log")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Run:
    rps: float
    p99_ms: float
    p50_ms: float
    requests: int
    errors: int
    cpu_us: float = 0.0  # CPU time of the server's processes per request: less sensitive to other load


_TICK = os.sysconf("SC_CLK_TCK")


def group_cpu(pgid: int) -> float:
    """Seconds of CPU used so far by the processes of one process group (ours: the server's)."""
    return sum(int(fields[11]) + int(fields[12]) for _, fields in process_stats() if int(fields[2]) == pgid) / _TICK


def wrk(port: int, path: str, headers: list[str], duration: float, connections: int, threads: int) -> Run:
    cmd = [
        _which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for header in headers:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = {m[0]: float(m[1]) * _UNITS[m[2]] for m in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(bad.group(1)) if bad else 0
    return Run(rps, latency["99"], latency["50"], requests, errors)


def pick_feed(site: Path, live: Server) -> str:
    """The path of the largest topic feed with FEED_SIZE (50) items that `feeds serve` sends as
    the export has it: one with no next page (the live feeds link one, RFC 5005; the export,
    which a static host serves whatever the query, never does)."""
    from urllib.parse import quote

    full = [p for p in sorted((site / "feeds").glob("*.xml")) if p.read_bytes().count(b"<item>") == 50]
    for file in sorted(full, key=lambda p: p.stat().st_size, reverse=True):
        path = "/feeds/" + quote(file.name)
        status, _, body = fetch(live.port, path)
        if status == 200 and body == file.read_bytes():
            return path
    raise SystemExit(f"none of the {len(full)} topic feeds with 50 items is served as exported: use another --count")


def check_code(root: Path = ROOT) -> Path:
    """Where the servers' `feeds` package comes from: the checkout at `root`, or the bench stops."""
    where = subprocess.run(
        [PY, "-c", "import feeds; print(feeds.__file__)"],
        cwd="/",
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(root):
        raise SystemExit(f"the servers would import feeds from {where}, not from {root}")
    return Path(where).parent


def _revision() -> str:
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return (head or "?") + (" with uncommitted changes" if dirty.stdout.strip() else "")


def check_nginx(server: Server, site: Path, path: str) -> None:
    """nginx answers 200 with the export's own bytes, identity and gzip: its workers (another
    user) can read the files, and the file is the one measured. Stops the bench otherwise."""
    file = site / unquote(path).lstrip("/")
    for headers, expected in (({}, file), ({"Accept-Encoding": "gzip"}, file.with_name(file.name + ".gz"))):
        status, got, body = fetch(server.port, path, headers)
        if status != 200:
            hint = " (can nginx's workers read the export? see nginx-error.log)" if status in (403, 404) else ""
            raise SystemExit(f"nginx: {path} {headers or ''}: {status}, not 200{hint}")
        if body != expected.read_bytes():
            raise SystemExit(f"nginx: {path} {headers or ''}: the body is not the bytes of {expected}")
        if headers and got.get("content-encoding") != "gzip":
            raise SystemExit(f"nginx: {path}: gzip asked, {got.get('content-encoding')} sent")


def check_same(servers: list[Server], path: str) -> None:
    bodies = {}
    for server in servers:
        status, headers, body = fetch(server.port, path)
        if status != 200 or "charset=utf-8" not in headers.get("content-type", ""):
            raise SystemExit(f"{server.name}: {path}: {status} {headers.get('content-type')}")
        bodies[server.name] = body
        status, headers, zipped = fetch(server.port, path, {"Accept-Encoding": "gzip"})
        if headers.get("content-encoding") != "gzip" or gzip.decompress(zipped) != body:
            raise SystemExit(f"{server.name}: {path}: gzip is not the same bytes")
    if len(set(bodies.values())) != 1:
        raise SystemExit(f"the servers send different bytes for {path}")


_HOP_BY_HOP = frozenset(("connection", "keep-alive", "transfer-encoding"))  # the server's, not the app's


def answers(server: Server, path: str, heads: dict[str, list[str]]) -> dict[str, dict[str, object]]:
    """What `server` sends for each scenario: status line, the app's headers as sent, body (base64)."""
    recorded: dict[str, dict[str, object]] = {}
    for scenario, lines in heads.items():
        status, sent, body = get(server.port, path, dict(line.split(": ", 1) for line in lines))
        recorded[scenario] = {
            "status": status,
            "headers": [[k, v] for k, v in sent if k.lower() not in _HOP_BY_HOP],
            "body": base64.b64encode(body).decode(),
        }
    return recorded


def check_floor(floor: Server, feeds: Server, path: str, heads: dict[str, list[str]]) -> None:
    """The floor sends what `feeds serve` sends, but for the clock's headers (Date, Expires)."""

    def comparable(answer: dict[str, object]) -> dict[str, object]:
        headers = answer["headers"]
        assert isinstance(headers, list)
        return {**answer, "headers": [h for h in headers if h[0].lower() not in ("date", "expires")]}

    ours, theirs = answers(feeds, path, heads), answers(floor, path, heads)
    for scenario in heads:
        if comparable(ours[scenario]) != comparable(theirs[scenario]):
            raise SystemExit(f"{floor.name}: {scenario} differs from {feeds.name}'s answer")


def scenarios(server: Server, path: str) -> dict[str, list[str]]:
    etag = fetch(server.port, path)[1]["etag"]
    status = fetch(server.port, path, {"If-None-Match": etag})[0]
    if status != 304:
        raise SystemExit(f"{server.name}: If-None-Match {etag} gave {status}, not 304")
    return {"200": [], "200 gzip": ["Accept-Encoding: gzip"], "304": [f"If-None-Match: {etag}"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternated runs per server and scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="nginx and feeds worker processes")
    parser.add_argument("--count", type=int, default=5000, help="articles in the generated corpus")
    parser.add_argument("--no-flask", action="store_true", help="skip the app without its fast path")
    parser.add_argument("--no-granian", action="store_true", help="skip `feeds serve` under granian")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare bjoern callable (bench/http/floor.py)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout's feeds serve beside this one's, e.g. from `git archive main | tar -x -C DIR`",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    global LOAD_BEFORE, CODE_AT
    LOAD_BEFORE = f"{os.getloadavg()[0]:.1f}"
    ensure_tools()
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    work.chmod(0o755)  # nginx's workers run as www-data
    seeds, site = work / "seeds", work / "site"
    CODE_AT = f"{check_code()} at {_revision()}"
    log(f"working in {work}; feeds from {CODE_AT}")
    corpus = make_corpus(seeds, args.count)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "feeds"), "build", str(site), "--base-url", BASE_URL, "--seeds-dir", str(seeds)],
        check=True,
        cwd=ROOT,
        env={**os.environ, **CODE_ENV},
        stdin=subprocess.DEVNULL,
    )
    build_seconds = time.perf_counter() - started

    servers = [
        nginx_server(site, work, args.workers),
        feeds_server("feeds serve", [str(BIN / "feeds"), "serve"], seeds, work, args.workers),
    ]
    if args.baseline:
        baseline = feeds_server("feeds serve, baseline", [str(BIN / "feeds"), "serve"], seeds, work, args.workers)
        baseline.env["PYTHONPATH"] = str(check_code(args.baseline.resolve()).parent)
        servers.append(baseline)
    if not args.no_granian and have_bjoern():  # the fallback server, for comparison
        granian = feeds_server("feeds serve, granian", [str(BIN / "feeds"), "serve"], seeds, work, args.workers)
        granian.env["FEEDS_SERVER"] = "granian"
        servers.append(granian)
    if not args.no_flask:
        servers.append(
            feeds_server("flask only", [PY, "-m", "bench.http.flask_only"], seeds, work, args.workers),
        )
    results: dict[str, dict[str, list[Run]]] = {}
    try:
        for server in servers:
            log(f"starting {server.name} on port {server.port}")
            server.start("/feeds.opml")
        path = pick_feed(site, servers[1])
        log(f"measuring {path}, {(site / unquote(path).lstrip('/')).stat().st_size:,} bytes")
        check_nginx(servers[0], site, path)
        check_same(servers, path)
        check_same(servers, "/feeds.opml")
        heads = {server.name: scenarios(server, path) for server in servers}
        if not args.no_floor and have_bjoern():  # started last: it sends what `feeds serve` just sent
            (work / "floor.json").write_text(json.dumps(answers(servers[1], path, heads[servers[1].name])))
            floor_cmd = [PY, "-m", "bench.http.floor", str(work / "floor.json")]
            floor = feeds_server(FLOOR, floor_cmd, seeds, work, args.workers)
            log(f"starting {floor.name} on port {floor.port}")
            servers.append(floor)
            floor.start(path)
            check_floor(floor, servers[1], path, heads[servers[1].name])
            heads[floor.name] = heads[servers[1].name]
        for scenario in ("200", "200 gzip", "304"):
            for server in servers:  # warm up: caches, connections, CPU frequency
                wrk(server.port, path, heads[server.name][scenario], 2, args.connections, args.threads)
            for round_ in range(args.rounds):
                order = servers if round_ % 2 == 0 else servers[::-1]
                for server in order:
                    headers = heads[server.name][scenario]
                    pgid = server.proc.pid if server.proc else 0
                    cpu = group_cpu(pgid)
                    run = wrk(server.port, path, headers, args.duration, args.connections, args.threads)
                    run.cpu_us = (group_cpu(pgid) - cpu) / max(run.requests, 1) * 1e6
                    results.setdefault(scenario, {}).setdefault(server.name, []).append(run)
                    log(
                        f"{scenario} {server.name}: {run.rps:.0f} req/s, p99 {run.p99_ms:.2f} ms, "
                        f"{run.errors} errors, {run.cpu_us:.1f} us CPU/req"
                    )
    finally:
        for server in servers:
            server.stop()

    report(args, results, path, corpus, build_seconds, site)
    if args.json:
        data = {s: {n: [r.__dict__ for r in runs] for n, runs in v.items()} for s, v in results.items()}
        args.json.write_text(json.dumps(data, indent=1))
    shutil.rmtree(work, ignore_errors=True)


def _spread(values: list[float], digits: int = 2) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


def report(
    args: argparse.Namespace, results: dict[str, dict[str, list[Run]]], path: str, corpus: str, build: float, site: Path
) -> None:
    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    nginx_v = subprocess.run([_which("nginx") or "nginx", "-v"], capture_output=True, text=True).stderr.strip()
    print(f"\n## bench/http: {path} (50 items), {args.connections} connections, {args.threads} wrk threads")
    print(f"corpus: {corpus}; feeds build: {build:.1f}s, {len(list(site.rglob('*')))} files")
    print(f"{args.rounds} alternated runs of {args.duration:g}s per server and scenario; medians")
    print(f"`feeds serve` ran {'bjoern' if have_bjoern() else 'granian'} (FEEDS_SERVER=auto)")
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {nginx_v}")
    print(f"load average before: {LOAD_BEFORE}, after: {os.getloadavg()[0]:.1f} (other work on the machine)")
    print(f"code: {CODE_AT}" + (f"; baseline: {args.baseline}" if args.baseline else ""))
    print(f"command: {' '.join([Path(PY).name, '-m', 'bench.http', *sys.argv[1:]])}\n")
    print("in brackets: lowest / median / highest of the single rounds (a share against nginx's run in the")
    print("same round), which other work on the machine moves more than the medians\n")
    print("| scenario | server | req/s | share of nginx | p50 ms | p99 ms | errors | server CPU µs/req |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for scenario, by_server in results.items():
        nginx = by_server["nginx"]
        nginx_rps = med(nginx, "rps")
        for name, runs in by_server.items():
            rps = med(runs, "rps")
            errors = sum(r.errors for r in runs)
            shares = [r.rps / n.rps for r, n in zip(runs, nginx, strict=True)]
            p99s = [r.p99_ms for r in runs]
            print(
                f"| {scenario} | {name} | {rps:,.0f} | {rps / nginx_rps:.2f} ({_spread(shares)}) "
                f"| {med(runs, 'p50_ms'):.2f} | {med(runs, 'p99_ms'):.2f} ({_spread(p99s, 1)}) "
                f"| {errors} | {med(runs, 'cpu_us'):.1f} |"
            )
    share_200 = med(results["200"]["feeds serve"], "rps") / med(results["200"]["nginx"], "rps")
    share_304 = med(results["304"]["feeds serve"], "rps") / med(results["304"]["nginx"], "rps")
    errors = sum(r.errors for by in results.values() for r in by["feeds serve"])
    print("\ntargets (feeds serve, issue 13):")
    print(f"- cached 200 share of nginx >= 0.8: {share_200:.2f} {'met' if share_200 >= 0.8 else 'MISSED'}")
    share_gz = med(results["200 gzip"]["feeds serve"], "rps") / med(results["200 gzip"]["nginx"], "rps")
    print(f"- (no target) cached 200, gzip, share of nginx: {share_gz:.2f}")
    print(f"- 304 share of nginx >= 1.0: {share_304:.2f} {'met' if share_304 >= 1.0 else 'MISSED'}")
    for scenario in ("200", "200 gzip"):
        p99 = med(results[scenario]["feeds serve"], "p99_ms")
        nginx_p99 = med(results[scenario]["nginx"], "p99_ms")
        verdict = "met" if p99 <= 10 else "MISSED"
        print(f"- p99 of a cached {scenario} <= 10 ms: {p99:.2f} ms {verdict} (nginx: {nginx_p99:.2f} ms)")
    print(f"- errors under load = 0: {errors} {'met' if errors == 0 else 'MISSED'}")
    if FLOOR in results["200"]:
        print(f"\nagainst the floor ({FLOOR}: the same bytes from a bare callable under bjoern):")
        for scenario, by_server in results.items():
            floor_rps = med(by_server[FLOOR], "rps")
            feeds_rps = med(by_server["feeds serve"], "rps")
            floor_p99, feeds_p99 = med(by_server[FLOOR], "p99_ms"), med(by_server["feeds serve"], "p99_ms")
            print(
                f"- {scenario}: the floor is {floor_rps / med(by_server['nginx'], 'rps'):.2f} of nginx; "
                f"feeds serve {feeds_rps / floor_rps:.2f} of the floor, p99 {feeds_p99:.2f} ms against {floor_p99:.2f}"
            )


if __name__ == "__main__":
    main()
