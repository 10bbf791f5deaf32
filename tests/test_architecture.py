"""The shape of the tree: rooms by role, and imports that point inward only.

`bot/slack` and `bot/cli` are the two ways in; `bot/store` and `bot/genesys` the two ways out;
`bot/text` is plain text both entry points print; the door (`settings`, `deps`, `errors`,
`admin`) wires them. `knowledge` and `calculators` are the core and know nothing of `bot`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "knowledge", "calculators")
DOOR = ("bot.settings", "bot.deps", "bot.errors", "bot.admin")
SLACK_LIBRARIES = ("slack_bolt", "slack_sdk")
SERVE = "bot.cli.serve"
"""The one command-line module that may reach into `bot.slack`: it starts the Slack app."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield module_name(path), path


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; write the absolute module"
            assert node.module is not None
            found.add(node.module)
            # `from bot.slack import render` imports bot.slack.render
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def within(name: str, *prefixes: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def forbidden(module: str) -> tuple[str, ...]:
    """What `module` may not import."""
    if within(module, "calculators"):
        return ("bot", "knowledge")
    if within(module, "knowledge"):
        return ("bot",)
    if within(module, "bot.store"):
        return ("bot.slack", "bot.cli", "bot.genesys", "bot.text", *DOOR[:2], *SLACK_LIBRARIES)
    if within(module, "bot.genesys"):
        return ("bot.slack", "bot.cli", "bot.store", "bot.text", *DOOR[:2], *SLACK_LIBRARIES)
    if within(module, "bot.text", *DOOR):
        return ("bot.slack", "bot.cli", *SLACK_LIBRARIES)
    if within(module, "bot.slack"):
        return ("bot.cli",)
    if within(module, "bot.cli") and module != SERVE:
        return ("bot.slack", *SLACK_LIBRARIES)
    return ()


VIOLATIONS = [
    (module, imported)
    for module, path in modules()
    for imported in sorted(imports(path))
    if within(imported, *forbidden(module))
]


class TestImportRules:
    def test_imports_point_inward_only(self) -> None:
        """No room imports a room further out (or Slack, from the rooms that must not know it)."""
        assert VIOLATIONS == []

    @pytest.mark.parametrize(
        ("module", "imported"),
        [
            ("bot.store.sqlite", "bot.slack.render"),
            ("bot.genesys.client", "slack_sdk"),
            ("bot.slack.replies", "bot.cli.main"),
            ("bot.cli.report", "bot.slack.reports"),
            ("knowledge.matching", "bot.errors"),
            ("calculators.estimate", "knowledge.entries"),
            ("bot.deps", "bot.slack.app"),
            ("bot.text.tickets", "slack_bolt"),
        ],
    )
    def test_the_rules_refuse_an_outward_import(self, module: str, imported: str) -> None:
        assert within(imported, *forbidden(module))

    def test_the_scanner_sees_imports_inside_functions(self) -> None:
        """`bot.cli.serve` imports the Slack server lazily; the scanner must still see it."""
        path = ROOT / "bot" / "cli" / "serve.py"
        assert "bot.slack.server" in imports(path)

    def test_every_package_is_scanned(self) -> None:
        names = {name for name, _ in modules()}
        for room in ("bot.slack", "bot.cli", "bot.store", "bot.genesys", "bot.text"):
            assert room in names, f"{room} has no __init__.py"
        assert "bot.slack.listeners.commands" in names


class TestRooms:
    def test_the_top_of_bot_holds_only_the_door(self) -> None:
        top = {path.stem for path in (ROOT / "bot").glob("*.py")}
        assert top == {"__init__", "settings", "deps", "errors", "admin"}

    def test_no_prefix_is_a_folder_waiting_to_be_made(self) -> None:
        prefixed = [
            str(path.relative_to(ROOT))
            for path in (ROOT / "bot").rglob("*.py")
            if path.stem.startswith(("cli_", "render_"))
        ]
        assert prefixed == []
