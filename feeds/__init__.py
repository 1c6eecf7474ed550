"""feeds: a folder of news-article files served as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Public surface: `create_app(config=None)`, `load_settings`, `Catalog`, and the model types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__
from .catalog import Catalog
from .config import Settings, load_settings
from .errors import ArticleError, ConfigError, FeedsError
from .model import Article, Image, Problem, Provider, Related

if TYPE_CHECKING:
    from .web import create_app


def __getattr__(name: str) -> object:
    """`create_app` is imported when first asked for: parse helpers import this package and
    need neither Flask nor the writers (a third of a second each at every cold start)."""
    if name == "create_app":
        from .web import create_app

        return create_app
    raise AttributeError(f"module 'feeds' has no attribute {name!r}")


__all__ = [
    "Article",
    "ArticleError",
    "Catalog",
    "ConfigError",
    "FeedsError",
    "Image",
    "Problem",
    "Provider",
    "Related",
    "Settings",
    "__version__",
    "create_app",
    "load_settings",
]
