"""The estimate form, end to end against the fake Web API: open, submit, errors, Edit."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.models.views import View

from bot.slack.modals import MORE, PEAK, period_block, quantity_block
from bot.slack.surfaces import ESTIMATE_FORM
from bot.store import REFERENCE
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, all_text, button
from tests.bot.slack.limits import assert_within_limits

ANY_REFERENCE = re.compile(REFERENCE.pattern.removeprefix("^").removesuffix("$"))


def opened_view(slack: Driver, count: int = 1, trigger: str | None = None) -> dict[str, Any]:
    """The view of the last `views.open` call, checked by slack_sdk's own models."""
    calls = slack.fake.wait_for("views.open", count)
    view: dict[str, Any] = calls[-1].body["view"]
    View(**view).validate_json()
    if trigger is not None:
        assert calls[-1].body["trigger_id"] == trigger
    return view


def _state(block: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """What Slack sends for one input block: the typed value, else what the form pre-filled."""
    element = block["element"]
    kind = element["type"]
    if kind in ("number_input", "plain_text_input"):
        value = typed.get(block["block_id"], element.get("initial_value"))
        return {"type": kind, "value": None if value is None else str(value)}
    chosen = element.get("initial_option")
    if block["block_id"] in typed:
        wanted = typed[block["block_id"]]
        [chosen] = [o for o in element["options"] if o["value"] == wanted]
    return {"type": kind, "selected_option": chosen}


def submission(view: dict[str, Any], typed: dict[str, Any] | None = None) -> str:
    """A form-encoded `view_submission` of `view`, with `typed` values by block id."""
    values = {
        block["block_id"]: {block["element"]["action_id"]: _state(block, typed or {})}
        for block in view["blocks"]
        if block["type"] == "input"
    }
    payload = {
        "type": "view_submission",
        "team": {"id": rq.TEAM, "domain": "example"},
        "user": {"id": rq.USER, "username": "csm", "name": "csm", "team_id": rq.TEAM},
        "api_app_id": "A0APP001",
        "token": "legacy",
        "trigger_id": "4.5.6",
        "view": {
            **view,
            "id": "V0001",
            "team_id": rq.TEAM,
            "state": {"values": values},
            "hash": "1.abc",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return urlencode({"payload": json.dumps(payload)})


def submit(slack: Driver, view: dict[str, Any], typed: dict[str, Any] | None = None) -> Any:
    response = slack.send(submission(view, typed), rq.FORM)
    assert response.status == 200, response.body
    return json.loads(response.body) if response.body else None


def without_references(message: dict[str, Any]) -> str:
    return ANY_REFERENCE.sub("E-REF", json.dumps(message["blocks"], sort_keys=True))


@pytest.fixture
def form(slack: Driver) -> dict[str, Any]:
    slack.command("estimate", trigger="1.2.3")
    return opened_view(slack, trigger="1.2.3")


class TestOpeningTheForm:
    def test_estimate_with_no_terms_opens_a_valid_modal(self, form: dict[str, Any]) -> None:
        assert (form["type"], form["callback_id"]) == ("modal", ESTIMATE_FORM)
        assert len(form["blocks"]) <= 100

    def test_a_number_field_per_feature_and_a_period_where_it_applies(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        ids = {block.get("block_id"): block for block in form["blocks"]}
        for key, feature in slack.deps.default_card.features.items():
            number = ids[quantity_block(key)]["element"]
            assert number["type"] == "number_input"
            has_period = period_block(key) in ids
            assert has_period == (feature.kind.value == "volume")
            assert number["is_decimal_allowed"] == has_period

    def test_licence_model_peak_tier_currency_card_and_more_terms(
        self, form: dict[str, Any]
    ) -> None:
        kinds = {
            b["block_id"]: b["element"]["type"] for b in form["blocks"] if b["type"] == "input"
        }
        assert kinds["licence"] == "radio_buttons"
        assert kinds[PEAK] == "number_input"
        assert kinds["tier"] == kinds["currency"] == kinds["card"] == "static_select"
        assert kinds[MORE] == "plain_text_input"

    def test_the_command_itself_gets_an_empty_acknowledgement(self, slack: Driver) -> None:
        response = slack.command("estimate")
        assert (response.status, response.body) == (200, "")
        assert slack.deps.store.recent_estimates(rq.USER) == []

    def test_a_failed_views_open_tells_the_user(self, slack: Driver) -> None:
        slack.fake.fail_next(3, status=500)
        slack.command("estimate")
        [hook] = slack.fake.wait_for("/hooks/")
        assert "could not be opened" in all_text(hook.body)


class TestSubmitting:
    def test_posts_the_same_reply_as_the_one_line_command(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(
            slack,
            form,
            {quantity_block("copilot"): 50, quantity_block("va"): 2000, period_block("va"): "day"},
        )
        assert answer is None  # an empty ack closes the modal
        [posted] = slack.fake.wait_for("/hooks/")
        assert posted.body["response_type"] == "ephemeral"
        one_line = slack.command_reply("estimate copilot=50 va=2000/day")
        assert without_references(posted.body) == without_references(one_line)
        assert_within_limits(posted.body)

    def test_the_estimate_is_stored_for_the_submitter(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        submit(slack, form, {quantity_block("copilot"): 120, "licence": "concurrent", PEAK: 80})
        [stored] = slack.deps.store.recent_estimates(rq.USER)
        assert (stored.input, stored.channel_id) == ("copilot=120 concurrent=80", rq.CHANNEL)
        assert stored.result["total_tokens"] == 4800

    def test_concurrent_without_a_peak_is_an_error_under_the_peak_field(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(slack, form, {quantity_block("copilot"): 10, "licence": "concurrent"})
        assert answer["response_action"] == "errors"
        assert set(answer["errors"]) == {PEAK}
        assert slack.deps.store.recent_estimates(rq.USER) == []
        assert slack.fake.hooks() == []

    def test_a_typo_in_more_terms_is_shown_on_that_field(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(slack, form, {MORE: "copliot=5"})
        assert answer["errors"] == {MORE: answer["errors"][MORE]}
        assert "did you mean copilot?" in answer["errors"][MORE]

    def test_a_feature_given_twice_is_shown_on_more_terms(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(slack, form, {quantity_block("sta"): 5, MORE: "sta=5@50"})
        assert "given twice" in answer["errors"][MORE]

    def test_an_empty_form_asks_on_the_first_field(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(slack, form)
        assert list(answer["errors"]) == [quantity_block("copilot")]
        assert "nothing to estimate" in answer["errors"][quantity_block("copilot")]

    def test_a_number_too_large_is_shown_on_its_own_field(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        answer = submit(slack, form, {quantity_block("va"): "2000000000000", MORE: "sta=5"})
        assert list(answer["errors"]) == [quantity_block("va")]
        assert "too large" in answer["errors"][quantity_block("va")]

    def test_without_a_response_url_it_posts_privately_in_the_channel(
        self, slack: Driver, form: dict[str, Any]
    ) -> None:
        view = {**form, "private_metadata": json.dumps({"c": rq.CHANNEL})}
        submit(slack, view, {quantity_block("copilot"): 5})
        [post] = slack.fake.wait_for("chat.postEphemeral")
        assert (post.body["channel"], post.body["user"]) == (rq.CHANNEL, rq.USER)
        assert "Token estimate E-" in all_text(post.body)


class TestEdit:
    def test_every_estimate_reply_has_an_edit_button(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=5")
        assert button(reply, "edit_estimate")
        reference = reply["blocks"][0]["text"]["text"].split()[-1]
        assert button(slack.command_reply(f"show {reference}"), "edit_estimate")

    def test_edit_reopens_the_form_pre_filled(self, slack: Driver) -> None:
        reply = slack.command_reply(
            "estimate copilot=120 va=2000/day sta=36@50 concurrent=80 tier=cx2 days=22"
        )
        slack.click("edit_estimate", button(reply, "edit_estimate")["value"], ephemeral=True)
        view = opened_view(slack)
        ids = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
        assert ids[quantity_block("copilot")]["initial_value"] == "120"
        assert ids[quantity_block("va")]["initial_value"] == "2000"
        assert ids[period_block("va")]["initial_option"]["value"] == "day"
        assert ids["licence"]["initial_option"]["value"] == "concurrent"
        assert ids[PEAK]["initial_value"] == "80"
        assert ids["tier"]["initial_option"]["value"] == "cx2"
        assert ids[MORE]["initial_value"] == "sta=36@50 days=22"
        assert "initial_value" not in ids[quantity_block("sta")]

    def test_changing_one_number_gives_the_new_figure(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50 va=2000/day")
        slack.click("edit_estimate", button(reply, "edit_estimate")["value"], ephemeral=True)
        submit(slack, opened_view(slack), {quantity_block("copilot"): 60})
        [posted] = [h for h in slack.fake.hooks() if h.body.get("blocks")]
        text = all_text(posted.body)
        assert "60 named users x 40" in text
        assert "22,400" in text  # 2,400 + 20,000

    def test_an_unreadable_edit_button_says_so_without_a_form(self, slack: Driver) -> None:
        slack.click("edit_estimate", "not json", ephemeral=True)
        [hook] = slack.fake.hooks()
        assert "out of date" in all_text(hook.body)
        assert slack.fake.calls_to("views.open") == []
