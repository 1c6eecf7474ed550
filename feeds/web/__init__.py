"""The Flask application: create_app wires settings, the catalog and the views together, with
the fast path for cached feeds in front (`app.wsgi_app`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..catalog import Catalog, system_clock
from ..config import Settings, catalog_options, load_settings
from ..outputs import Outputs, RenderCache
from ..rendering import set_entry_cache_bytes


@dataclass(frozen=True)
class FeedsState:
    """What the views need; one per app, found in app.extensions['feeds']."""

    settings: Settings
    catalog: Catalog
    outputs: Outputs
    clock: Callable[[], float]


def create_app(config: Mapping[str, Any] | None = None, *, clock: Callable[[], float] | None = None) -> Flask:
    """The app factory: settings from FEEDS_* and `config`; ConfigError when they are wrong.

    `config` may also hold Flask's own keys (TESTING, SECRET_KEY, SERVER_NAME, ...), which go to
    `app.config` as they are, the flaskr way; any other unknown name is refused."""
    config = dict(config or {})
    settings = load_settings(config, os.environ, also_known=Flask.default_config.keys())
    catalog = Catalog(settings.SEEDS_DIR, **catalog_options(settings))
    if settings.RELOAD_INTERVAL > 0:
        catalog.watch(settings.RELOAD_INTERVAL)
    app = Flask(__name__, static_folder=None)  # our static files are served like every output (views.py)
    app.config.update({name: getattr(settings, name) for name in settings.__dataclass_fields__})
    app.config.update({name: value for name, value in config.items() if name in Flask.default_config})
    # A quarter of the cache budget for written entries, the rest for whole feeds and pages.
    budget = settings.CACHE_MB << 20
    set_entry_cache_bytes(budget // 4)
    outputs = Outputs(settings.SITE_TITLE, RenderCache(budget - budget // 4))
    state = FeedsState(settings, catalog, outputs, clock or system_clock)
    app.extensions["feeds"] = state
    from .embed import bp as embed_bp
    from .fast import FastPath
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(embed_bp)
    app.wsgi_app = FastPath(app.wsgi_app, state)  # type: ignore[method-assign]
    return app


__all__ = ["FeedsState", "create_app"]
