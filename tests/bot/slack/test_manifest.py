"""`manifest.yml` is valid for Slack and declares exactly what the app handles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from jsonschema import Draft7Validator

from bot.slack.surfaces import BOT_EVENTS, BOT_SCOPES, COMMAND, EXPERTS_SCOPES, Action
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "manifest.yml"
README = ROOT / "README.md"
EXPERTS_EVENTS = ("message.channels", "message.groups")
"""Events only the experts' channel needs."""
SCHEMA = ROOT.parent / "shared" / "reference" / "slack-manifest-schema.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


class TestManifest:
    def test_validates_against_slacks_schema(self, manifest: dict[str, Any]) -> None:
        if not SCHEMA.exists():
            pytest.skip(f"Slack's manifest schema is not at {SCHEMA} (shared reference absent)")
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        errors = [e.message for e in Draft7Validator(schema).iter_errors(manifest)]
        assert errors == []

    def test_declares_exactly_the_registered_slash_command(self, manifest: dict[str, Any]) -> None:
        commands = [c["command"] for c in manifest["features"]["slash_commands"]]
        assert commands == [COMMAND]

    def test_declares_exactly_the_registered_bot_events(self, manifest: dict[str, Any]) -> None:
        events = manifest["settings"]["event_subscriptions"]["bot_events"]
        assert sorted(events) == sorted(BOT_EVENTS)

    def test_interactivity_is_on_because_messages_have_buttons(
        self, manifest: dict[str, Any]
    ) -> None:
        assert list(Action)
        assert manifest["settings"]["interactivity"]["is_enabled"] is True

    def test_dms_can_be_sent_to_the_bot(self, manifest: dict[str, Any]) -> None:
        home = manifest["features"]["app_home"]
        assert home["messages_tab_enabled"]
        assert not home["messages_tab_read_only_enabled"]

    def test_scopes_are_the_minimal_set(self, manifest: dict[str, Any]) -> None:
        assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
            [
                "app_mentions:read",
                "chat:write",
                "commands",
                "im:history",
                "channels:history",
                "groups:history",
                "im:write",
            ]
        )
        assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
            [*BOT_SCOPES, *EXPERTS_SCOPES]
        )

    def test_the_readme_says_which_scopes_and_events_only_the_experts_need(self) -> None:
        readme = README.read_text(encoding="utf-8")
        section = readme[readme.index("### Ask the experts") :]
        for name in (*EXPERTS_SCOPES, *EXPERTS_EVENTS):
            assert f"`{name}`" in section, name
        assert "only needed with `TOKENBOT_EXPERTS_CHANNEL`" in section


class TestAppHandlesWhatTheManifestDeclares:
    """The app's listeners, probed the way Slack would reach them: declared ones are handled."""

    EVENT_SAMPLES: ClassVar[dict[str, dict[str, Any]]] = {
        "app_mention": rq.mention("hello"),
        "message.im": rq.dm("hello"),
        "app_home_opened": {"type": "app_home_opened", "user": rq.USER, "tab": "home"},
        "message.channels": rq.channel_message("hello", thread_ts="1700000000.000001"),
        "message.groups": rq.channel_message(
            "hello", channel="G0PRIV01", channel_type="group", thread_ts="1700000000.000001"
        ),
    }

    def test_every_declared_event_has_a_listener(
        self, slack: Driver, manifest: dict[str, Any]
    ) -> None:
        for number, name in enumerate(manifest["settings"]["event_subscriptions"]["bot_events"]):
            response = slack.event(self.EVENT_SAMPLES[name], event_id=f"EvM{number}")
            assert response.status == 200, name

    def test_an_undeclared_event_has_no_listener(self, slack: Driver) -> None:
        response = slack.event({"type": "reaction_added", "user": rq.USER}, event_id="EvX")
        assert response.status == 404

    def test_the_declared_command_has_a_listener(
        self, slack: Driver, manifest: dict[str, Any]
    ) -> None:
        for declared in manifest["features"]["slash_commands"]:
            body = rq.command("help", slack.fake.hook_url()).replace(
                "command=%2Ftokens", "command=" + declared["command"].replace("/", "%2F")
            )
            assert slack.send(body, rq.FORM).status == 200

    def test_an_undeclared_command_has_no_listener(self, slack: Driver) -> None:
        body = rq.command("help", slack.fake.hook_url()).replace("%2Ftokens", "%2Fother")
        assert slack.send(body, rq.FORM).status == 404

    def test_every_button_the_app_renders_has_a_listener(self, slack: Driver) -> None:
        for action in Action:
            response = slack.click(f"{action.value}:0", "{}", ephemeral=True)
            assert response.status == 200, action

    def test_the_event_names_map_to_what_slack_sends(self) -> None:
        for name, sample in self.EVENT_SAMPLES.items():
            assert BOT_EVENTS[name] == sample["type"]
