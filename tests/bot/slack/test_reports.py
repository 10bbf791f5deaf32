"""`/tokens report ...` for admins only, and `/tokens show` of stored estimates."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.deps import Deps
from bot.slack.reports import render_usage
from bot.store import Store
from bot.store.reports import Period, UsageReport, WeekUsage
from knowledge import loader
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index, build_index
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, MakeDriver, all_text
from tests.bot.slack.limits import assert_within_limits

ADMIN = "U0ADMIN01"


@pytest.fixture
def admin_slack(
    knowledge: tuple[KnowledgeBase, Index], store: Store, make_driver: MakeDriver
) -> Driver:
    kb, index = knowledge
    return make_driver(Deps(kb=kb, index=index, store=store, admins=frozenset({ADMIN})))


def fill(store: Store) -> None:
    for user in ("U1", "U2", "U3"):
        store.record_question(
            text="can I pay <!channel> tokens with pizza?",
            entry_id=None,
            score=0.1,
            user_id=user,
            channel_id="C1",
        )
        store.record_feedback(
            entry_id="overage-price", question="pizza?", helpful=False, user_id=user
        )


class TestReportCommand:
    @pytest.mark.parametrize("name", ["gaps", "feedback", "usage"])
    def test_admin_gets_the_report_ephemeral_within_limits(
        self, admin_slack: Driver, name: str
    ) -> None:
        fill(admin_slack.deps.store)
        reply = admin_slack.command_reply(f"report {name}", user=ADMIN)
        assert reply["response_type"] == "ephemeral"
        assert reply["blocks"][0]["text"]["text"].lower().startswith(name)
        assert_within_limits(reply)

    def test_gaps_groups_questions_and_escapes_them(self, admin_slack: Driver) -> None:
        fill(admin_slack.deps.store)
        text = all_text(admin_slack.command_reply("report gaps", user=ADMIN))
        assert "*3 asked*" in text
        assert "<!channel>" not in text
        assert "&lt;!channel&gt;" in text

    def test_feedback_ranks_the_not_helpful_entry(self, admin_slack: Driver) -> None:
        fill(admin_slack.deps.store)
        text = all_text(admin_slack.command_reply("report feedback", user=ADMIN))
        assert "`overage-price`" in text
        assert "Not helpful *3*" in text

    def test_a_period_can_be_given_as_dates(self, admin_slack: Driver) -> None:
        fill(admin_slack.deps.store)
        text = all_text(admin_slack.command_reply("report usage 2020-01-01 2020-12-31", user=ADMIN))
        assert "No questions or estimates in this period." in text

    def test_a_misspelt_report_says_did_you_mean(self, admin_slack: Driver) -> None:
        text = all_text(admin_slack.command_reply("report gasp", user=ADMIN))
        assert "did you mean gaps?" in text

    def test_non_admin_gets_a_polite_refusal_and_no_data(self, admin_slack: Driver) -> None:
        fill(admin_slack.deps.store)
        reply = admin_slack.command_reply("report gaps", user=rq.USER)
        text = all_text(reply)
        assert reply["response_type"] == "ephemeral"
        assert "only for the knowledge-base curators" in text
        assert "pizza" not in text

    def test_nobody_is_admin_by_default(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("report usage", user=ADMIN))
        assert "only for the knowledge-base curators" in text


class TestShowStoredEstimate:
    @pytest.fixture
    def cards_dir(self, tmp_path: Path) -> Path:
        copy = tmp_path / "ratecards"
        shutil.copytree(loader.CARDS_DIR, copy)
        return copy

    def _driver(self, make_driver: MakeDriver, store: Store, cards_dir: Path) -> Driver:
        kb = loader.load_knowledge_base(cards_dir=cards_dir)
        return make_driver(Deps(kb=kb, index=build_index(kb.entries), store=store))

    def test_shows_the_original_figures_after_the_rate_card_is_edited(
        self, make_driver: MakeDriver, store: Store, cards_dir: Path
    ) -> None:
        before = self._driver(make_driver, store, cards_dir)
        first = before.command_reply("estimate copilot=50")
        reference = first["blocks"][0]["text"]["text"].split()[-1]
        card = cards_dir / "list.yml"
        card.write_text(card.read_text().replace('named: "40"', 'named: "55"', 1))

        after = self._driver(make_driver, store, cards_dir)
        shown = after.command_reply(f"show {reference}")

        assert "2,750" in all_text(after.command_reply("estimate copilot=50"))
        assert shown["blocks"][:-1] == first["blocks"][:-1]
        assert "2,000" in all_text(shown)
        assert "2,750" not in all_text(shown)

    def test_an_unknown_reference_says_no_estimate(self, slack: Driver) -> None:
        assert "no estimate E-ZZZZ" in all_text(slack.command_reply("show e-zzzz"))


class TestUsageRendering:
    def test_years_of_weeks_stay_within_limits_as_whole_tables(self) -> None:
        weeks = tuple(
            WeekUsage(
                week=f"W{n}",
                starts=dt.date(2020, 1, 6) + dt.timedelta(weeks=n),
                questions=n,
                estimates=n,
                users=n,
            )
            for n in range(150)
        )
        message = render_usage(UsageReport(period=Period(), weeks=weeks))
        tables = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
        assert_within_limits({"text": message.text, "blocks": message.blocks})
        assert all(t.startswith("```\nweek") and t.endswith("\n```") for t in tables)
        assert sum(t.count("\n") - 2 for t in tables) == 150
