"""`tokenbot serve`: Socket Mode by default, or `--http` under gunicorn."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from typing import Any

from bot.errors import SettingsError, StorageError, StorageUnavailableError
from bot.settings import Mode, Settings
from bot.store import open_store

EXIT_SETTINGS = 2
EXIT_STORAGE = 1
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_WORKERS = 2


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `serve` to the command line (Slack and gunicorn are imported only when it runs)."""
    serve = commands.add_parser(
        "serve",
        help="run the Slack app (Socket Mode, or --http under gunicorn)",
        description="Run the Slack app. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
        "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and serves POST /slack/events, "
        "GET /healthz (liveness) and GET /readyz (readiness: the database answers).",
    )
    serve.add_argument("--http", action="store_true", help="serve HTTP instead of Socket Mode")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to bind (--http)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (--http)")
    serve.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="worker processes (--http)"
    )
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    mode = Mode.HTTP if args.http else Mode.SOCKET
    try:
        settings = Settings.from_env(os.environ)
        settings.require(mode)
    except SettingsError as exc:
        print(f"tokenbot serve: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    _forget_slack_environment()
    if args.workers < 1 or not 0 <= args.port <= 65535:
        print("tokenbot serve: --workers must be at least 1 and --port 0..65535", file=sys.stderr)
        return EXIT_SETTINGS
    try:
        _prepare_database(settings)
    except StorageError as exc:
        print(f"tokenbot serve: {exc.message}", file=sys.stderr)
        return EXIT_STORAGE
    if mode is Mode.HTTP:
        return _serve_http(settings, args)
    return _serve_socket(settings)


def _prepare_database(settings: Settings) -> None:
    """Open the database once before serving: check and migrate it, purge, or fail here.

    In HTTP mode each gunicorn worker opens its own connections after the fork; checking first
    turns a file that is not tokenbot's, read-only or damaged (anywhere in it: every page is
    read), or a PostgreSQL server that cannot be reached, into one line at start-up instead of
    a failure in every worker. Several servers starting together migrate the schema once.
    """
    retention = dt.timedelta(days=settings.retention_days)
    with open_store(settings.db, retention=retention) as store:
        store.check_integrity()
        try:
            store.purge()
        except StorageUnavailableError as exc:
            raise StorageError(f"the database {store.path}: {exc.message}") from None


def _serve_http(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import load_knowledge
    from bot.slack import server

    knowledge = load_knowledge()
    gunicorn = server.GunicornServer(
        lambda: server.build_wsgi(settings, knowledge),
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    gunicorn.run()
    return 0


def _serve_socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.deps import build_deps
    from bot.slack.app import build_app
    from bot.slack.server import BUSY_TIMEOUT_MS

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    deps = build_deps(settings, busy_timeout_ms=BUSY_TIMEOUT_MS)
    try:
        app = build_app(settings, deps)
        assert settings.app_token is not None
        SocketModeHandler(app, settings.app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]
    finally:
        deps.store.close()
    return 0


def _forget_slack_environment() -> None:
    """Drop Slack variables once `Settings` holds them.

    Bolt reads several of them implicitly (it even turns OAuth on when SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET are set); from here on only the settings object is the truth. This
    changes `os.environ` (what Bolt and any child process see), not the environment block the
    kernel shows in /proc/PID/environ: a secret given as a variable stays readable there, in
    this process and in every forked worker. Give secrets as `*_FILE` to keep them out.
    """
    for name in [name for name in os.environ if name.startswith("SLACK_")]:
        del os.environ[name]
