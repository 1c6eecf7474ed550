"""The project's exceptions: bad data is reported as a value, these are for what must stop."""

from __future__ import annotations


class FeedsError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(FeedsError):
    """A setting is missing or wrong: raised at start-up, never mid-request."""


class ArticleError(FeedsError):
    """One article file cannot become an article; loading turns it into a Problem."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
