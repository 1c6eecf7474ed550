"""The WSGI application granian's workers import: built on the catalog `feeds serve` loaded
before granian forked them (multiprocessing's default on Linux), else on one loaded here."""

from __future__ import annotations

from . import create_app, preloaded_catalog

app = create_app(catalog=preloaded_catalog())
