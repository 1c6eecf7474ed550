"""One table of settings: each is `NAME` in create_app, `FEEDS_NAME` in the environment and
`--name` on the command line, validated once into Settings."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any]
    minimum: float | None = None


def _optional_url(value: str) -> str | None:
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


def _path(value: str) -> Path:
    return Path(value)


def _snapshot_dir(value: str) -> Path | None:
    if value.strip().lower() in ("", "off", "none"):
        return None
    return Path(value)


def _server(value: str) -> str:
    value = value.strip().lower()
    if value not in ("auto", "bjoern", "granian"):
        raise ValueError(f"expected auto, bjoern or granian, got {value!r}")
    return value


def default_snapshot_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "feeds"


SETTINGS: tuple[Setting, ...] = (
    Setting("SEEDS_DIR", Path("seeds"), "folder of article files", _path),
    Setting("BASE_URL", None, "public base URL for absolute links (default: from the request)", _optional_url),
    Setting("SITE_TITLE", "feeds", "shown in feed titles and pages", str),
    Setting("FEED_SIZE", 50, "items per feed by default", int, 1),
    Setting("MAX_LIMIT", 500, "most items a feed gives with ?limit=N", int, 1),
    Setting("MAX_FILE_BYTES", 1_048_576, "article files larger than this are problems", int, 1024),
    Setting("RELOAD_INTERVAL", 1.0, "seconds between checks of the seeds folder; 0 turns reloading off", float, 0),
    Setting(
        "SNAPSHOT_DIR",
        default_snapshot_dir(),
        "where parsed articles are kept between starts, and a running service's article texts (in a"
        " file with no name: put it on a disk); 'off' keeps none",
        _snapshot_dir,
    ),
    Setting("PARSE_JOBS", 0, "processes that parse files at start; 0 means one per core", int, 0),
    Setting("CACHE_MB", 32, "memory each worker keeps in rendered feeds, pages and entries, in MiB", int, 1),
    Setting("CACHE_MAX_AGE", 300, "Cache-Control max-age of feeds and pages, in seconds", int, 0),
    Setting("HOST", "127.0.0.1", "address `feeds serve` listens on", str),
    Setting("PORT", 8000, "port `feeds serve` listens on", int, 1),
    Setting("WORKERS", 2, "worker processes of `feeds serve`", int, 1),
    Setting("SERVER", "auto", "what `feeds serve` runs: bjoern, granian, or auto (bjoern when installed)", _server),
    Setting(
        "HUB_URL",
        None,
        "WebSub hub to advertise in every feed and notify of changes; none turns WebSub off",
        _optional_url,
    ),
)


@dataclass(frozen=True)
class Settings:
    SEEDS_DIR: Path
    BASE_URL: str | None
    SITE_TITLE: str
    FEED_SIZE: int
    MAX_LIMIT: int
    MAX_FILE_BYTES: int
    RELOAD_INTERVAL: float
    SNAPSHOT_DIR: Path | None
    PARSE_JOBS: int
    CACHE_MB: int
    CACHE_MAX_AGE: int
    HOST: str
    PORT: int
    WORKERS: int
    SERVER: str
    HUB_URL: str | None


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS]


def env_name(name: str) -> str:
    return f"FEEDS_{name}"


def flag_name(name: str) -> str:
    return "--" + name.lower().replace("_", "-")


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    also_known: Collection[str] = (),
) -> Settings:
    """Defaults, then `FEEDS_*` from the environment, then overrides; raises ConfigError.

    Names in `also_known` (the web layer passes Flask's own config keys) are someone else's:
    they are left out here, not refused."""
    ours = {s.name for s in SETTINGS}
    overrides = {name: value for name, value in (overrides or {}).items() if name in ours or name not in also_known}
    environ = environ or {}
    unknown = sorted(set(overrides) - ours)
    if unknown:
        listed = "; ".join(_unknown(name) for name in unknown)
        raise ConfigError(f"unknown setting(s): {listed}. Known: {', '.join(sorted(ours))}, and Flask's own keys")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw: Any = setting.default
        source = "default"
        if env_name(setting.name) in environ:
            raw, source = environ[env_name(setting.name)], env_name(setting.name)
        if setting.name in overrides and overrides[setting.name] is not None:
            raw, source = overrides[setting.name], setting.name
        values[setting.name] = _coerce(setting, raw, source)
    settings = Settings(**values)
    if settings.FEED_SIZE > settings.MAX_LIMIT:
        raise ConfigError(f"FEED_SIZE ({settings.FEED_SIZE}) must not exceed MAX_LIMIT ({settings.MAX_LIMIT})")
    return settings


def _unknown(name: str) -> str:
    """The unknown name, with the setting it most likely meant."""
    names = [s.name for s in SETTINGS]
    if name.upper().removeprefix("FEEDS_") in names:
        return f"{name} (the setting is {name.upper().removeprefix('FEEDS_')}; FEEDS_ is the environment's prefix)"
    close = difflib.get_close_matches(name.upper().removeprefix("FEEDS_"), names, n=1, cutoff=0.75)
    return f"{name} (did you mean {close[0]}?)" if close else name


def _coerce(setting: Setting, raw: Any, source: str) -> Any:
    if raw is None:
        return None
    try:
        value = setting.parse(raw) if isinstance(raw, str) else raw
        if setting.parse in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"expected a number, got {raw!r}")
        if setting.parse is int and value != int(value):
            raise ValueError(f"expected a whole number, got {raw!r}")
        if setting.parse in (_path, _snapshot_dir) and isinstance(value, str | os.PathLike):
            value = Path(value)
        if setting.parse is int:
            value = int(value)
        if setting.parse is float:
            value = float(value)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    if setting.minimum is not None and value < setting.minimum:
        raise ConfigError(f"{source}: must be at least {setting.minimum:g}, got {raw!r}")
    return value


def catalog_options(settings: Settings) -> dict[str, Any]:
    """The Catalog's keyword arguments from the settings (config is read at the edges only)."""
    return {
        "max_bytes": settings.MAX_FILE_BYTES,
        "site_title": settings.SITE_TITLE,
        "snapshot_dir": settings.SNAPSHOT_DIR,
        "jobs": settings.PARSE_JOBS or None,
    }
