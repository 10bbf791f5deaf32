"""`/healthz` (liveness) and `/readyz` (readiness), as a load balancer and an orchestrator ask.

A database that is away must not fail liveness (every server would be restarted for a
database blink, and none would answer), but it does fail readiness, so that traffic goes to
servers that can save what they answer.
"""

from __future__ import annotations

import io
import json
from typing import Any

from bot.deps import Deps
from bot.slack.wsgi import HEALTH_PATH, READY_PATH
from bot.store import SqliteStore, open_store
from tests.bot.slack.conftest import Driver, MakeDriver

NOBODY = "postgresql://tokenbot:pw@127.0.0.1:1/tokenbot"
"""No server listens on port 1: a PostgreSQL that is away."""


def _get(driver: Driver, path: str) -> tuple[int, dict[str, Any]]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"] = int(status.split()[0])

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO()}
    body = b"".join(driver.wsgi(environ, start_response))  # type: ignore[arg-type]
    return answered["status"], json.loads(body)


class TestHealth:
    def test_a_working_sqlite_store_is_live_and_ready(self, slack: Driver) -> None:
        status, health = _get(slack, HEALTH_PATH)
        assert status == 200
        assert (health["ok"], health["store"], health["store_reachable"]) == (True, "sqlite", True)
        assert health["entries"] > 0
        status, ready = _get(slack, READY_PATH)
        assert (status, ready) == (200, {"ready": True, "store": "sqlite", "store_reachable": True})

    def test_a_postgresql_that_is_away_is_live_but_not_ready(
        self, make_driver: MakeDriver, deps: Deps
    ) -> None:
        store = open_store(NOBODY, lazy=True)
        try:
            driver = make_driver(Deps(kb=deps.kb, index=deps.index, store=store))
            status, health = _get(driver, HEALTH_PATH)
            assert status == 200
            assert (health["ok"], health["store"], health["store_reachable"]) == (
                True,
                "postgresql",
                False,
            )
            status, ready = _get(driver, READY_PATH)
            assert status == 503
            assert ready["ready"] is False
            assert "cannot be reached" in ready["store_problem"]
            assert "pw" not in json.dumps(ready)
        finally:
            store.close()

    def test_a_sqlite_file_removed_under_the_server_is_not_ready(
        self, make_driver: MakeDriver, deps: Deps, tmp_path: Any
    ) -> None:
        store = SqliteStore(tmp_path / "t.db")
        try:
            driver = make_driver(Deps(kb=deps.kb, index=deps.index, store=store))
            for path in tmp_path.iterdir():
                path.unlink()
            assert _get(driver, HEALTH_PATH)[0] == 200
            status, ready = _get(driver, READY_PATH)
            assert status == 503
            assert "removed or replaced" in ready["store_problem"]
        finally:
            store.close()
