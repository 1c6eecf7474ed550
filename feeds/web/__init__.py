"""The Flask application: create_app wires settings, the catalog and the views together, with
the fast path for cached feeds in front (`app.wsgi_app`)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

from ..catalog import Catalog, system_clock
from ..config import Settings, catalog_options, load_settings
from ..outputs import Outputs, RenderCache
from ..rendering import set_entry_cache_bytes

if TYPE_CHECKING:
    from .websub import Notifier

log = logging.getLogger("feeds")


@dataclass(frozen=True)
class FeedsState:
    """What the views need; one per app, found in app.extensions['feeds']."""

    settings: Settings
    catalog: Catalog
    outputs: Outputs
    clock: Callable[[], float]
    websub: Notifier | None = None  # set when this process follows the folder and notifies a hub


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    clock: Callable[[], float] | None = None,
    catalog: Catalog | None = None,
) -> Flask:
    """The app factory: settings from FEEDS_* and `config`; ConfigError when they are wrong.

    `config` may also hold Flask's own keys (TESTING, SECRET_KEY, SERVER_NAME, ...), which go to
    `app.config` as they are, the flaskr way; any other unknown name is refused.

    `catalog`: one loaded already from the same settings (`feeds serve` loads it once, before it
    forks the workers); the app follows the folder from there, catching up first with what
    changed since that load."""
    config = dict(config or {})
    settings = load_settings(config, os.environ, also_known=Flask.default_config.keys())
    preloaded = catalog is not None
    if catalog is None:
        catalog = load_catalog(settings)
    if settings.RELOAD_INTERVAL > 0:
        catalog.watch(settings.RELOAD_INTERVAL, catch_up=preloaded)
    app = Flask(__name__, static_folder=None)  # our static files are served like every output (views.py)
    app.config.update({name: getattr(settings, name) for name in settings.__dataclass_fields__})
    app.config.update({name: value for name, value in config.items() if name in Flask.default_config})
    # A quarter of the cache budget for written entries, the rest for whole feeds and pages.
    budget = settings.CACHE_MB << 20
    set_entry_cache_bytes(budget // 4)
    cache = RenderCache(budget - budget // 4)
    outputs = Outputs(settings.SITE_TITLE, cache, hub=settings.HUB_URL, max_age=settings.CACHE_MAX_AGE)
    clock = clock or system_clock
    state = FeedsState(settings, catalog, outputs, clock, _websub(settings, catalog, clock))
    app.extensions["feeds"] = state
    from .embed import bp as embed_bp
    from .fast import FastPath
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(embed_bp)
    app.wsgi_app = FastPath(app.wsgi_app, state)  # type: ignore[method-assign]
    return app


_preloaded: list[tuple[Catalog, float]] = []
FRESH_SECONDS = 10.0  # a preloaded catalog older than this is brought up to date before serving


def preload(catalog: Catalog) -> None:
    """Hands a catalog loaded before a fork to the app `feeds.web.serving` builds in each forked
    worker (granian's); a worker started any other way loads its own."""
    _preloaded[:] = [(catalog, time.monotonic())]


def preloaded_catalog() -> Catalog | None:
    """The preloaded catalog, if any. granian forks a worker in place of one that died from the
    same process, with the catalog as it was at the start: when it is that old, it is refreshed
    (a scan, and a parse of what changed) before the worker serves, as bjoern's are."""
    if not _preloaded:
        return None
    catalog, loaded = _preloaded[0]
    if time.monotonic() - loaded > FRESH_SECONDS:
        catalog.refresh()
    return catalog


def load_catalog(settings: Settings) -> Catalog:
    """The catalog of the settings' seeds folder, loaded (snapshot or parse) but not followed."""
    return Catalog(settings.SEEDS_DIR, **catalog_options(settings))


def import_views() -> None:
    """Imports what create_app imports when it runs (the views, the embed, the fast path and
    the folder watcher): `feeds serve` does it once, before it forks, so its workers share
    those modules too."""
    from ..catalog import import_watcher
    from . import embed, fast, views  # noqa: F401

    import_watcher()


def _websub(settings: Settings, catalog: Catalog, clock: Callable[[], float]) -> Notifier | None:
    """The hub's notifier, for a live service (one that follows the folder) with a hub."""
    if settings.HUB_URL is None:
        return None
    if settings.BASE_URL is None:
        log.warning(
            "FEEDS_HUB_URL is set but FEEDS_BASE_URL is not: a hub needs the feeds' public URLs, so feeds "
            "advertise the hub but it is never notified; set FEEDS_BASE_URL"
        )
        return None
    if settings.RELOAD_INTERVAL <= 0:
        return None  # nothing changes without reloads (feeds build, tests that reload by hand)
    from .websub import Notifier, Publisher, lock_path

    notifier = Notifier(
        Publisher(settings.HUB_URL),
        settings.BASE_URL,
        settings.FEED_SIZE,
        clock,
        lock_path(settings.SNAPSHOT_DIR, settings.SEEDS_DIR, settings.HUB_URL),
    )
    catalog.after_swap.append(notifier.wake)
    notifier.start(lambda: catalog.index)
    return notifier


__all__ = ["FeedsState", "create_app", "import_views", "load_catalog", "preload", "preloaded_catalog"]
