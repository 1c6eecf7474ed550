"""The app with the fast path taken out, under the same server as `feeds serve`: what Flask alone
does for the same cached bytes, the anchor the fast path is measured against.

    python -m bench.http.flask_only     # settings from FEEDS_*, like `feeds serve`
"""

from __future__ import annotations

import os

from feeds import create_app
from feeds.web.fast import FastPath

if __name__ != "__main__":  # in each worker
    app = create_app()
    assert isinstance(app.wsgi_app, FastPath)
    app.wsgi_app = app.wsgi_app.app  # type: ignore[method-assign]

if __name__ == "__main__":
    from feeds.cli import granian_server
    from feeds.config import load_settings

    granian_server(load_settings(None, os.environ), "bench.http.flask_only:app").serve()
