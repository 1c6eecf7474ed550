"""create_app's mapping: feeds' settings, Flask's own keys beside them, and helpful refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from feeds import create_app
from feeds.errors import ConfigError


def test_flask_keys_reach_app_config_the_flaskr_way(seeds_dir: Path, write_article: Callable[..., Path]) -> None:
    write_article(1)
    app = create_app(
        {
            "SEEDS_DIR": seeds_dir,
            "RELOAD_INTERVAL": 0,
            "TESTING": True,
            "SECRET_KEY": "dev",
            "SERVER_NAME": "news.example",
            "PREFERRED_URL_SCHEME": "https",
        }
    )
    assert app.testing is True
    assert app.config["SECRET_KEY"] == "dev"
    assert app.config["SERVER_NAME"] == "news.example"
    assert app.config["SEEDS_DIR"] == seeds_dir  # our own settings stay there too
    response = app.test_client().get("/feeds/ai-hardware.json")  # the client takes its host and scheme from Flask
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["feed_url"] == "https://news.example/feeds/ai-hardware.json"


def test_without_flask_keys_flask_keeps_its_defaults(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    assert app.testing is False
    assert app.config["SECRET_KEY"] is None


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("FEEDS_SEEDS_DIR", "FEEDS_SEEDS_DIR (the setting is SEEDS_DIR; FEEDS_ is the environment's prefix)"),
        ("SEED_DIR", "SEED_DIR (did you mean SEEDS_DIR?)"),
        ("feed_size", "feed_size (the setting is FEED_SIZE"),
        ("SQLALCHEMY_DATABASE_URI", "unknown setting(s): SQLALCHEMY_DATABASE_URI. Known: BASE_URL,"),
    ],
)
def test_unknown_names_are_refused_with_a_hint(seeds_dir: Path, name: str, hint: str) -> None:
    with pytest.raises(ConfigError, match="unknown setting") as raised:
        create_app({"SEEDS_DIR": seeds_dir, "RELOAD_INTERVAL": 0, name: "x"})
    assert hint in str(raised.value)
