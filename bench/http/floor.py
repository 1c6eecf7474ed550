"""The floor under `feeds serve`: a bare WSGI callable on the same bjoern workers (feeds.server's
bind and serve_prefork), sending the same status lines, headers and body bytes that `feeds serve`
sent for the measured feed, recorded by bench/http, with no lookup, no clock and no Date
formatting: what any Python application under bjoern costs at least. bench/http reports
`feeds serve` as a share of it next to the share of nginx, which separates what our code costs
from what the server and the machine do.

    python -m bench.http.floor ANSWERS.json    # host, port and workers from FEEDS_*

ANSWERS.json: {"200" | "200 gzip" | "304": {"status": "304 Not Modified", "headers":
[[name, value], ...], "body": base64}}. A request with If-None-Match gets the 304, one whose
Accept-Encoding names gzip the gzip 200, any other the 200: the three requests bench/http sends.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from feeds.outputs import PIECES_FROM, Pieces

Answer = tuple[str, list[tuple[str, str]], Iterable[bytes]]


def load(path: Path) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for scenario, answer in json.loads(path.read_text()).items():
        body = base64.b64decode(answer["body"])
        # as the fast path returns it under bjoern: a large body in two pieces (feeds.outputs.Pieces)
        chunks: Iterable[bytes] = Pieces((body[:1], body[1:])) if len(body) >= PIECES_FROM else [body]
        answers[scenario] = (answer["status"], [(str(k), str(v)) for k, v in answer["headers"]], chunks)
    return answers


def floor_app(answers: dict[str, Answer]) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    not_modified, gzipped, identity = answers["304"], answers["200 gzip"], answers["200"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            status, headers, body = not_modified
        elif "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            status, headers, body = gzipped
        else:
            status, headers, body = identity
        start_response(status, headers)
        return body

    return app


def main() -> int:
    import bjoern

    from feeds.server import bind, serve_prefork

    app = floor_app(load(Path(sys.argv[1])))

    def worker(sock: socket.socket, restarted: bool) -> None:
        bjoern.server_run(sock, app)

    host, port = os.environ.get("FEEDS_HOST", "127.0.0.1"), int(os.environ["FEEDS_PORT"])
    return serve_prefork(bind(host, port), int(os.environ.get("FEEDS_WORKERS", "2")), worker)


if __name__ == "__main__":
    sys.exit(main())
