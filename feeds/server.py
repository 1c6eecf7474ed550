"""The production servers behind `feeds serve`, chosen by bench/http.

- bjoern (the default when it is installed): a WSGI server written in C on libev. A cached feed
  or a 304 costs it about half the CPU that granian's WSGI path takes. It has no process manager
  of its own, so `serve_prefork` is one: it binds the socket, forks the workers, restarts one
  that dies, and stops them all on SIGTERM or SIGINT.
- granian: pure pip (wheels), threads in each worker; the fallback when bjoern is not installed.

`feeds serve` loads the catalog in the supervisor and then forks: each worker builds its app on
that catalog, and the app's threads (the folder's watcher, WebSub's notifier) start in the
worker, which serves: no thread is ever forked.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import Any, NoReturn

from .config import Settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A worker that dies this soon after it was started may not be able to start at all (a folder it
# cannot read, say): after 2 * workers such exits in a row the server stops and says why.
STARTUP_SECONDS = 10.0


def have_bjoern() -> bool:
    try:
        import bjoern  # noqa: F401
    except ImportError:
        return False
    return True


def pick_server(choice: str) -> str:
    """'bjoern' or 'granian' for the SERVER setting; ValueError when bjoern is asked for and missing."""
    if choice == "auto":
        return "bjoern" if have_bjoern() else "granian"
    if choice == "bjoern" and not have_bjoern():
        raise ValueError("SERVER: bjoern is not installed (pip install 'feeds[fast]'; it needs libev, e.g. libev-dev)")
    return choice


def granian_server(settings: Settings, target: str = "feeds.web.serving:app") -> Any:
    """granian, WSGI, WORKERS processes, tuned by bench/http.

    Four Python threads per worker, not granian's default of backpressure/2 (256): a cached
    answer holds the GIL for a few microseconds, and hundreds of threads spend more time
    handing it over than answering (about 80-100 us of CPU per 304 against 35-50 us with 1-4
    threads, measured here); four rather than one keep a slow miss from stalling the worker.
    HTTP/1.1 only: it skips the HTTP/2 preface check; TLS and HTTP/2 belong to the proxy or
    CDN in front.
    """
    from granian.constants import HTTPModes, Interfaces
    from granian.server import Server

    return Server(
        target,
        address=settings.HOST,
        port=settings.PORT,
        interface=Interfaces.WSGI,
        workers=settings.WORKERS,
        blocking_threads=4,
        http=HTTPModes.http1,
        websockets=False,
    )


class Dated:
    """Adds the Date header (RFC 9110 6.6.1: an origin server with a clock sends one), which
    bjoern leaves to the application; formatted once a second. And tells the app that its server
    writes each item of a response as it is (web.http.PIECES): bjoern copies the first item
    into the buffer of its headers and writes every other one from its own bytes.

    A request the app's fast path answers (web.fast.FastPath.answer, on `app` or on a Flask
    app's wsgi_app) goes to it directly, with no WSGI call or wrapped start_response between:
    a 304 is mostly this work, so every call saved is a share of its CPU. It is looked up once,
    here: wrap or replace a Flask app's wsgi_app before handing the app to Dated, not after."""

    def __init__(self, app: WSGIApp, clock: Callable[[], float] = time.time) -> None:
        from .web.fast import FastPath

        self.app = app
        self.clock = clock
        self._second = -1
        self._date = ("Date", "")
        fast = app if isinstance(app, FastPath) else getattr(app, "wsgi_app", None)
        self.fast = fast.answer if isinstance(fast, FastPath) else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        second = int(self.clock())
        if second != self._second:
            self._date = ("Date", formatdate(second, usegmt=True))
            self._second = second
        date = self._date
        if self.fast is not None:
            answer = self.fast(environ, second, True, date)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)  # bjoern copies the list; it ends with our Date
                return body
        environ["feeds.second"] = second  # web.http.SECOND: Expires is this second plus max-age
        environ["feeds.pieces"] = True  # web.http.PIECES

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, date], exc_info)

        return self.app(environ, start)


def bjoern_worker(sock: socket.socket, make_app: Callable[[], WSGIApp] | None = None) -> None:
    """One worker: its own app (and watcher thread), then bjoern's loop on the shared socket.
    `make_app` is create_app unless given (`feeds serve` gives it the preloaded catalog; bench/http
    runs the app without its fast path)."""
    import bjoern

    if make_app is None:
        from .web import create_app

        make_app = create_app
    bjoern.server_run(sock, Dated(make_app()))


def bind(host: str, port: int) -> socket.socket:
    """The server's socket, bound (so a port in use is found at once) but not yet listening:
    until serve_prefork listens, a client is refused rather than left waiting on a first parse."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it (Linux): an answer written in more than one piece is never
        # held back waiting for the client's ACK (Nagle), as nginx's tcp_nodelay does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


_STOPS = {signal.SIGTERM, signal.SIGINT}
_WATCHED = {*_STOPS, signal.SIGCHLD}


def serve_prefork(sock: socket.socket, workers: int, run: Callable[[socket.socket, bool], None]) -> int:
    """Listen on `sock`, fork `workers` processes that each call run(sock, restarted), and
    supervise them until SIGTERM or SIGINT; then stop them all and return 0.

    A worker that exits is started again at once, with restarted=True (the supervisor's data
    may be older than the folder by then). When 2 * workers of them in a row have exited
    within STARTUP_SECONDS of their start, they cannot start: every worker is stopped and 1
    returned. The supervisor keeps its signals blocked and takes them one at a time with
    sigwaitinfo, so no signal can arrive in the middle of a fork, a reap or the stopping.
    """
    children: dict[int, float] = {}
    quick_exits = 0
    status = 0
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    supervisor = os.getpid()

    def spawn(restarted: bool = True) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the supervisor's code
            _worker(sock, lambda s: run(s, restarted), mask, supervisor)
        children[pid] = time.monotonic()

    try:
        sock.listen(2048)
        for _ in range(workers):
            spawn(restarted=False)
        while status == 0:
            if signal.sigwaitinfo(_WATCHED).si_signo in _STOPS:
                break
            for pid, wait_status in _reaped():
                started = children.pop(pid, None)
                if started is None:
                    continue
                quick_exits = quick_exits + 1 if time.monotonic() - started < STARTUP_SECONDS else 0
                if quick_exits >= 2 * workers:
                    print(f"feeds serve: workers cannot start ({_describe(wait_status)}); stopping", file=sys.stderr)
                    status = 1
                    break
                print(f"feeds serve: worker {pid} ended ({_describe(wait_status)}); starting another", file=sys.stderr)
                time.sleep(0.05 * quick_exits)  # no hot loop of forks while a worker keeps failing
                spawn()
    finally:
        _end(children)
        while signal.sigpending() & _WATCHED:  # what came while stopping: nothing left to do
            signal.sigtimedwait(_WATCHED, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return status


def _reaped() -> Iterator[tuple[int, int]]:
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, wait_status


def _worker(
    sock: socket.socket, run: Callable[[socket.socket], None], mask: Iterable[int], supervisor: int
) -> NoReturn:
    code = 0
    try:
        _end_with_parent()
        if os.getppid() != supervisor:  # the supervisor died before the line above
            os._exit(1)
        for sig in _STOPS:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        run(sock)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _end_with_parent() -> None:
    """Linux: a SIGTERM for this worker when the supervisor dies (killed with SIGKILL, say), so
    no worker is left holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _describe(wait_status: int) -> str:
    if os.WIFSIGNALED(wait_status):
        return f"signal {os.WTERMSIG(wait_status)}"
    return f"exit {os.waitstatus_to_exitcode(wait_status)}"


def _end(children: dict[int, float], grace: float = 10.0) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while children and time.monotonic() < deadline:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                del children[pid]
        time.sleep(0.02)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


__all__ = ["Dated", "bind", "granian_server", "have_bjoern", "pick_server", "serve_prefork"]
