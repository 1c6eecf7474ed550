"""The WSGI application `feeds serve` runs: the app built from FEEDS_* in each worker."""

from __future__ import annotations

from . import create_app

app = create_app()
