"""App Home: usage, the rate card at a glance, the user's recent estimates."""

from __future__ import annotations

from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, all_text
from tests.bot.slack.limits import assert_within_limits


def _home_opened(user: str = rq.USER) -> dict[str, str]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0DM0001",
        "tab": "home",
        "event_ts": "1700000000.000500",
    }


class TestAppHome:
    def test_home_is_published_for_the_user(self, slack: Driver) -> None:
        slack.event(_home_opened())
        [publish] = slack.fake.calls_to("views.publish")
        assert publish.body["user_id"] == rq.USER
        view = publish.body["view"]
        assert view["type"] == "home"
        assert "/tokens estimate" in all_text(view)
        assert_within_limits({"text": "home", "blocks": view["blocks"]}, max_blocks=100)

    def test_home_shows_the_rate_card_at_a_glance(self, slack: Driver) -> None:
        slack.event(_home_opened())
        text = all_text(slack.fake.calls_to("views.publish")[0].body["view"])
        assert "Agent Copilot" in text
        assert "per named user" in text

    def test_home_names_the_admin_commands(self, slack: Driver) -> None:
        slack.event(_home_opened())
        text = all_text(slack.fake.calls_to("views.publish")[0].body["view"])
        assert "/tokens report gaps|feedback|usage" in text
        assert "/tokens audit sta|copilot org=NAME [all-roles]" in text

    def test_home_lists_the_users_recent_estimates(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50")
        reference = reply["blocks"][0]["text"]["text"].split()[-1]
        slack.event(_home_opened())
        assert reference in all_text(slack.fake.calls_to("views.publish")[0].body["view"])

    def test_home_does_not_show_other_users_estimates(self, slack: Driver) -> None:
        slack.command_reply("estimate copilot=50", user="U0SOMEONE")
        slack.event(_home_opened())
        assert "None yet" in all_text(slack.fake.calls_to("views.publish")[0].body["view"])

    def test_messages_tab_does_not_republish(self, slack: Driver) -> None:
        slack.event({**_home_opened(), "tab": "messages"})
        assert slack.fake.calls_to("views.publish") == []
