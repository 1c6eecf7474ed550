"""The app with the fast path taken out, under the same server as `feeds serve`: what Flask alone
does for the same cached bytes, the anchor the fast path is measured against.

    python -m bench.http.flask_only     # settings from FEEDS_*, like `feeds serve`
"""

from __future__ import annotations

import os
import socket
import sys

from flask import Flask

from feeds import create_app
from feeds.web.fast import FastPath


def flask_only() -> Flask:
    app = create_app()
    assert isinstance(app.wsgi_app, FastPath)
    app.wsgi_app = app.wsgi_app.app  # type: ignore[method-assign]
    return app


if __name__ != "__main__":  # in each granian worker
    app = flask_only()

if __name__ == "__main__":
    from feeds.config import load_settings
    from feeds.server import bind, bjoern_worker, granian_server, pick_server, serve_prefork

    settings = load_settings(None, os.environ)
    if pick_server(settings.SERVER) == "granian":
        granian_server(settings, "bench.http.flask_only:app").serve()
    else:

        def worker(sock: socket.socket, restarted: bool) -> None:
            bjoern_worker(sock, make_app=flask_only)

        sys.exit(serve_prefork(bind(settings.HOST, settings.PORT), settings.WORKERS, worker))
