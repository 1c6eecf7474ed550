"""feeds: a folder of news-article files served as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Public surface: `create_app(config=None)`, `load_settings`, `Catalog`, and the model types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .config import Settings, load_settings
from .errors import ArticleError, ConfigError, FeedsError

if TYPE_CHECKING:
    from .catalog import Catalog
    from .model import Article, Image, Problem, Provider, Related
    from .web import create_app

_LAZY = {
    "create_app": "web",
    "Catalog": "catalog",
    **dict.fromkeys(("Article", "Image", "Problem", "Provider", "Related"), "model"),
}


def __getattr__(name: str) -> object:
    """The rest is imported when first asked for: parse helpers import this package and need
    neither Flask nor the writers (a third of a second each at every cold start), and `feeds
    serve` begins its folder scan before it imports the parser and the index."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'feeds' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


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
