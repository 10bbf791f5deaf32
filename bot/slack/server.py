"""HTTP mode: a WSGI application (Bolt's adapter plus `GET /healthz`) served by gunicorn.

The knowledge base is loaded once in the master process (so a bad file stops start-up with one
line); each worker then opens its own database connection and builds its own Bolt app, because
sqlite connections and HTTP clients must not cross a `fork()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.deps import Deps, build_deps
from bot.settings import Settings
from bot.slack.app import build_app
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
THREADS_PER_WORKER = 4


class TokenbotWsgi:
    """Routes `GET /healthz` to a readiness answer and everything else to Bolt."""

    def __init__(self, app: App, deps: Deps) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._deps = deps

    def health(self) -> dict[str, Any]:
        return {
            "ok": bool(self._deps.kb.entries) and bool(self._deps.cards),
            "entries": len(self._deps.kb.entries),
            "cards": sorted(self._deps.cards),
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            health = self.health()
            body = json.dumps(health).encode()
            status = "200 OK" if health["ok"] else "503 Service Unavailable"
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self._slack(environ, start_response)


def build_wsgi(settings: Settings, knowledge: tuple[KnowledgeBase, Index]) -> TokenbotWsgi:
    """One worker's WSGI application: its own store and Bolt app over the shared knowledge."""
    deps = build_deps(settings, knowledge)
    app = build_app(settings, deps, token_verification=False)
    return TokenbotWsgi(app, deps)


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
