"""WebSub against a third-party implementation: Flask-WebSub's hub (Celery in eager mode: tasks
run in place, no broker) and its subscriber, on loopback, with a real `feeds serve --workers 2`.
The subscriber discovers the hub from our Link header, subscribes (the hub verifies the intent
with a GET to its callback), and after a new article receives the content distribution: the hub
fetches the feed, refuses it unless its Link header names rel="hub" and rel="self", and POSTs it.

`flask-websub[celery]` is in the dev lock, so this runs wherever the tests do."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from flask import Flask, Response, request
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import (
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    Subscriber,
    discover,
)
from werkzeug.serving import make_server

from .conftest import WriteArticle
from .test_websub import serving_with

FORMATS = ("xml", "atom", "json")


class Loopback:
    """A Flask app served on 127.0.0.1 from a thread (threaded: the hub calls back into it)."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.host = f"127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FlaskWebSub:
    """Flask-WebSub's hub (publish pings allowed) and subscriber, recording what each sees."""

    def __init__(self, folder: Path) -> None:
        hub_app = Flask("websub_hub")
        hub_app.config["PUBLISH_SUPPORTED"] = True
        celery = Celery("websub_hub", broker="memory://")
        celery.conf.task_always_eager = True
        celery.conf.task_eager_propagates = True  # a refused distribution is the hub's 500, seen by our publisher
        hub = Hub(SQLite3HubStorage(str(folder / "hub.db")), celery)
        hub_app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
        self.answers: list[tuple[str | None, str | None, int]] = []  # hub.mode, hub.topic, status

        @hub_app.after_request
        def record(response: Response) -> Response:
            self.answers.append((request.form.get("hub.mode"), request.form.get("hub.topic"), response.status_code))
            return response

        self.hub = Loopback(hub_app)
        self.hub_url = f"http://{self.hub.host}/hub"

        self.app = Flask("websub_subscriber")
        self.subscriber = Subscriber(
            SQLite3SubscriberStorage(str(folder / "subscriber.db")),
            SQLite3TempSubscriberStorage(str(folder / "subscriber-temp.db")),
        )
        self.app.register_blueprint(self.subscriber.build_blueprint(url_prefix="/callbacks"))
        self.confirmed: list[tuple[str, str]] = []
        self.denied: list[tuple[str, str]] = []
        self.received: dict[str, bytes] = {}
        self.subscriber.add_success_handler(lambda topic, _id, mode: self.confirmed.append((topic, mode)))
        self.subscriber.add_error_handler(lambda topic, _id, reason: self.denied.append((topic, reason)))
        self.subscriber.add_listener(lambda topic, _id, body: self.received.__setitem__(topic, body))
        self.callbacks = Loopback(self.app)
        self.app.config["SERVER_NAME"] = self.callbacks.host  # for the callback URLs it gives the hub

    def subscribe(self, feed_url: str) -> dict[str, Any]:
        found: dict[str, Any] = discover(feed_url)
        with self.app.app_context():
            self.subscriber.subscribe(**found)
        return found

    def close(self) -> None:
        self.hub.close()
        self.callbacks.close()


@pytest.fixture
def websub(tmp_path: Path) -> Iterator[FlaskWebSub]:
    third_party = FlaskWebSub(tmp_path)
    yield third_party
    third_party.close()


def test_flask_websub_subscriber_receives_a_new_article_through_its_hub(
    websub: FlaskWebSub, seeds_dir: Path, tmp_path: Path, write_article: WriteArticle
) -> None:
    write_article(1, topics=["Interop"])
    with serving_with(websub.hub_url, seeds_dir, tmp_path / "snap", base_url=None) as (_, base):
        topics = [f"{base}/feeds/interop.{fmt}" for fmt in FORMATS]
        for topic in topics:  # discovery reads our Link header; the hub verifies the intent at once
            assert websub.subscribe(topic) == {"hub_url": websub.hub_url, "topic_url": topic}
        assert websub.confirmed == [(topic, "subscribe") for topic in topics]
        assert websub.denied == []

        write_article(2, topics=["Interop"], title="Pushed through the hub")
        expected = {
            f"{base}{path}.{fmt}"
            for path in ("/feed", "/feeds/interop", "/feeds/providers/news.example")
            for fmt in FORMATS
        }
        deadline = time.monotonic() + 10
        while (len(websub.received) < len(topics) or len(websub.answers) < 3 + len(expected)) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.02)
        publishes = [(topic, status) for mode, topic, status in websub.answers if mode == "publish"]
        assert sorted(publishes) == sorted((url, 202) for url in expected)  # each once, each taken
        assert sorted(websub.received) == sorted(topics)
        for topic, body in websub.received.items():
            if topic.endswith(".json"):
                assert json.loads(body)["items"][0]["title"] == "Pushed through the hub"
            else:
                assert body.startswith(b"<?xml") and b"Pushed through the hub" in body
        senders = []
        for _ in range(50):  # the kernel picks which worker answers
            with urllib.request.urlopen(base + "/-/health", timeout=2) as response:
                health = json.loads(response.read())["websub"]
            if health["sender"]:
                senders.append(health)
                break
        assert senders and (senders[0]["sent"], senders[0]["failed"]) == (len(expected), 0)
