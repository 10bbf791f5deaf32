"""HTTP mode: the WSGI application (`bot.slack.wsgi`) served by gunicorn.

The knowledge base is loaded once in the master process (so a bad file stops start-up with one
line); each worker then opens its own database connections and builds its own Bolt app, because
database connections and HTTP clients must not cross a `fork()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.deps import Deps, build_deps
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.wsgi import EVENTS_PATH, HEALTH_PATH, READY_PATH, TokenbotWsgi
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

__all__ = [
    "EVENTS_PATH",
    "HEALTH_PATH",
    "READY_PATH",
    "GunicornServer",
    "TokenbotWsgi",
    "build_wsgi",
]

logger = logging.getLogger(__name__)

THREADS_PER_WORKER = 4
BUSY_TIMEOUT_MS = 500
"""A write inside an acknowledgement waits at most this long for another process's lock (a
request makes at most two writes, well inside Slack's 3 seconds; a healthy write takes ms)."""


def build_wsgi(settings: Settings, knowledge: tuple[KnowledgeBase, Index]) -> TokenbotWsgi:
    """One worker's WSGI application: its own store and Bolt app over the shared knowledge."""
    # The master checked and migrated the database before forking (`tokenbot serve`).
    deps = build_deps(settings, knowledge, busy_timeout_ms=BUSY_TIMEOUT_MS, lazy=True)
    assert settings.signing_secret is not None  # `Settings.require(Mode.HTTP)` checked it
    return TokenbotWsgi(
        _app_checked_with_slack(settings, deps), deps, settings.signing_secret.get_secret_value()
    )


def _app_checked_with_slack(settings: Settings, deps: Deps) -> App:
    """The app, with its identity (`auth.test`) asked while the worker starts, not in an ack.

    If Slack cannot be reached now, the worker still starts and asks on its first request.
    """
    try:
        return build_app(settings, deps)
    except (BoltError, SlackApiError, OSError) as exc:
        logger.warning("could not check the bot token with Slack at start-up (%s)", exc)
        return build_app(settings, deps, token_verification=False)


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code: gthread workers, each loading its own app."""

    def __init__(
        self,
        load: Callable[[], WSGIApplication],
        *,
        host: str,
        port: int,
        workers: int,
        threads: int = THREADS_PER_WORKER,
    ) -> None:
        self._load = load
        self._options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 30,
            "graceful_timeout": 5,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "tokenbot",
            # gunicorn 27's runtime control socket: one fixed path per user, which several
            # servers on one host would fight over; nothing here needs it.
            "control_socket_disable": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # older gunicorn lacks some settings
                self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        return self._load()
