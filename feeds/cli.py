"""The `feeds` command: serve, check and build, with flags from the one settings table."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .config import SETTINGS, catalog_options, env_name, flag_name, load_settings
from .errors import ConfigError
from .folder import FolderScan
from .server import bind, bjoern_worker, granian_server, pick_server, serve_prefork


def _options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Click options for these settings, named and described from the table."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            setting = next(s for s in SETTINGS if s.name == name)
            func = click.option(
                flag_name(name),
                name.lower(),
                default=None,
                help=f"{setting.help} [env {env_name(name)}; default {setting.default}]",
            )(func)
        return func

    return decorate


def _settings(options: dict[str, Any]) -> Any:
    overrides = {k.upper(): v for k, v in options.items() if v is not None}
    try:
        return load_settings(overrides, os.environ)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
@click.version_option(package_name="feeds")
def main() -> None:
    """Serve a folder of news-article files as RSS, Atom and JSON feeds."""


@main.command()
@_options("SEEDS_DIR", "MAX_FILE_BYTES")
def check(**options: Any) -> None:
    """List every problem in the seeds folder; exit 0 when clean, 1 when there are problems."""
    settings = _settings(options)
    from .catalog import Catalog

    try:
        catalog = Catalog(settings.SEEDS_DIR, max_bytes=settings.MAX_FILE_BYTES)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    index = catalog.index
    for problem in index.problems:
        path = f"{settings.SEEDS_DIR}/{problem.path}" if problem.path else str(settings.SEEDS_DIR)
        where = f"{path}: {problem.field}" if problem.field else path
        suffix = " (warning)" if problem.severity == "warning" else ""
        click.echo(f"{where}: {problem.message}{suffix}")
    articles = len(index.site.articles)
    count = len(index.problems)
    click.echo(f"{articles} published article(s), {count} problem(s)", err=True)
    sys.exit(1 if count else 0)


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@_options("BASE_URL", "SEEDS_DIR", "SITE_TITLE", "FEED_SIZE", "MAX_LIMIT", "MAX_FILE_BYTES")
def build(outdir: Path, **options: Any) -> None:
    """Write every feed, page and the OPML under OUTDIR as static files (with .gz beside each),
    the same bytes `feeds serve` sends, for any static host or CDN."""
    settings = _settings(options)
    if settings.BASE_URL is None:
        raise click.UsageError("--base-url is required: the public URL the files will be served from")
    from .site import site_outputs, write_site
    from .web import create_app

    now = time.time()  # one moment for the whole export: held-back articles stay out
    overrides = {name: getattr(settings, name) for name in settings.__dataclass_fields__}
    try:
        app = create_app({**overrides, "RELOAD_INTERVAL": 0}, clock=lambda: now)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    state = app.extensions["feeds"]
    outputs = site_outputs(state, settings.BASE_URL)
    started = time.perf_counter()
    with click.progressbar(length=len(outputs), label="building", file=sys.stderr) as bar:
        report = write_site(app, outdir, outputs, bar.update)
    problems = len(state.catalog.index.problems)
    click.echo(
        f"{report.outputs} outputs in {outdir}: {report.written} file(s) written, {report.unchanged} unchanged, "
        f"{report.removed} removed, in {time.perf_counter() - started:.1f}s",
        err=True,
    )
    if problems:
        click.echo(f"{problems} problem(s) in the seeds folder: `feeds check` lists them", err=True)
    if report.next_due is not None:
        click.echo(f"a held-back article appears at {report.next_due.isoformat()}: build again then", err=True)


@main.command()
@_options(*(s.name for s in SETTINGS))
def serve(**options: Any) -> None:
    """Run the production server: bjoern (granian without it), WORKERS processes."""
    settings = _settings(options)
    if not Path(settings.SEEDS_DIR).is_dir():
        raise click.UsageError(f"SEEDS_DIR: {settings.SEEDS_DIR} is not a folder")
    try:  # settings and the port are checked before the (maybe long) first parse
        server = pick_server(settings.SERVER)
        sock = bind(settings.HOST, settings.PORT) if server == "bjoern" else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {settings.HOST}:{settings.PORT}: {exc}") from exc
    for setting in SETTINGS:  # workers read the same settings from the environment
        value = getattr(settings, setting.name)
        if value is None and setting.name == "SNAPSHOT_DIR":
            value = "off"  # None would mean "the default folder" to the workers
        if value is None:
            os.environ.pop(env_name(setting.name), None)
        else:
            os.environ[env_name(setting.name)] = str(value)
    # Load once, here, then fork: the workers start with the whole catalog in memory and share
    # its pages copy-on-write (gunicorn's --preload), instead of each reading the snapshot or
    # parsing every file again, two at a time on the same cores. The socket listens only after
    # this, so no client waits on (or is answered from) half a catalog.
    click.echo(f"reading {settings.SEEDS_DIR} ...", err=True)
    started = time.perf_counter()
    scan = FolderScan(settings.SEEDS_DIR)  # in a child process, beside the imports and the snapshot read
    from .catalog import Catalog

    catalog = Catalog(settings.SEEDS_DIR, **catalog_options(settings), meanwhile=_import_web, scan=scan)
    from .web import create_app, preload

    index, took = catalog.index, time.perf_counter() - started
    click.echo(f"{len(index.site.articles)} articles, {len(index.problems)} problem(s), in {took:.1f}s", err=True)
    if server == "granian":  # granian forks its workers too (multiprocessing's fork, Linux)
        preload(catalog)
        click.echo(f"serving {settings.SEEDS_DIR} on http://{settings.HOST}:{settings.PORT}/ (granian)", err=True)
        granian_server(settings).serve()
        return

    def run(sock: socket.socket, restarted: bool) -> None:
        if restarted:  # in place of one that died: the catalog as it is now, before serving
            catalog.refresh()
        bjoern_worker(sock, lambda: create_app(catalog=catalog))

    click.echo(f"serving {settings.SEEDS_DIR} on http://{settings.HOST}:{settings.PORT}/ (bjoern)", err=True)
    assert sock is not None
    sys.exit(serve_prefork(sock, settings.WORKERS, run))


def _import_web() -> None:
    """The web modules (Flask, Jinja, our views), imported while a child scans the folder."""
    from .web import import_views

    import_views()


if __name__ == "__main__":  # pragma: no cover
    main()
