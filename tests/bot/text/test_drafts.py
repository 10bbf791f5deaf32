"""A forwarded question and its replies as a draft entry: Slack's markup becomes Markdown."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.store import StoredForward, StoredReply
from bot.text.drafts import draft_lines, draft_of, markdown_from_slack

AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def reply(text: str | None, expert: str = "U0EXPERT1", ts: str = "1.1") -> StoredReply:
    return StoredReply(id=1, expert_id=expert, text=text, ts=ts, created_at=AT, relayed_at=None)


def forward(*replies: StoredReply, question: str | None = "do bot turns count?") -> StoredForward:
    return StoredForward(
        id=7,
        question_id=3,
        question=question,
        entry_id="digital-bot-sessions",
        score=0.41,
        asker_id="U0ASKER",
        channel_id="C0CHAN01",
        thread_ts="1700000000.000100",
        forwarded_by="U0ASKER",
        experts_channel="C0EXPERTS",
        experts_ts="1700000001.000200",
        created_at=AT,
        replies=replies,
    )


class TestMarkdownFromSlack:
    @pytest.mark.parametrize(
        ("slack", "markdown"),
        [
            ("*No*: a session is billed", "**No**: a session is billed"),
            (
                "see <https://help.genesys.cloud/x|the rate table>",
                "see the rate table (https://help.genesys.cloud/x)",
            ),
            ("see <https://help.genesys.cloud/x>", "see https://help.genesys.cloud/x"),
            ("ask <@U0BOB> in <#C0ABC|billing>", "ask @U0BOB in #billing"),
            ("<!here> 0.5 &lt;per&gt; VA &amp; bot", "@here 0.5 <per> VA & bot"),
            ("• one\n• two", "- one\n- two"),
        ],
    )
    def test_converts_slack_markup(self, slack: str, markdown: str) -> None:
        assert markdown_from_slack(slack)[0] == markdown

    def test_collects_each_link_once_in_order(self) -> None:
        _, links = markdown_from_slack(
            "<https://b.example|b> <https://a.example> <https://b.example>"
        )
        assert links == ["https://b.example", "https://a.example"]


class TestDraftOf:
    def test_every_reply_with_a_text_is_a_paragraph_and_the_first_expert_owns_it(self) -> None:
        draft = draft_of(
            forward(reply("First.", "U0ONE"), reply(None), reply("Second.", "U0TWO")),
            known_entries=["digital-bot-sessions"],
        )
        assert draft is not None
        assert draft.answer == "First.\n\nSecond."
        assert draft.owner == "U0ONE"
        assert draft.related == ["digital-bot-sessions"]
        assert draft.asked_on == AT.date()

    def test_an_entry_no_longer_shipped_is_not_proposed_as_related(self) -> None:
        draft = draft_of(forward(reply("Yes.")), known_entries=[])
        assert draft is not None
        assert list(draft.related) == []

    def test_nothing_to_finish_without_a_reply_or_a_question(self) -> None:
        assert draft_of(forward()) is None
        assert draft_of(forward(reply(None))) is None
        assert draft_of(forward(reply("Yes."), question=None)) is None


class TestDraftLines:
    def test_show_who_asked_what_was_matched_and_every_reply(self) -> None:
        text = "\n".join(draft_lines(forward(reply("It is   per\nsession."))))
        assert "#7  2026-12-01 09:30 UTC  asked by U0ASKER in channel C0CHAN01" in text
        assert "answered with digital-bot-sessions (score 0.41)" in text
        assert "Q: do bot turns count?" in text
        assert "A (U0EXPERT1, 2026-12-01): It is per session." in text

    def test_say_what_is_missing(self) -> None:
        text = "\n".join(draft_lines(forward(reply(None), question=None)))
        assert text.count("removed after the retention period") == 2
        assert "no reply" in "\n".join(draft_lines(forward()))
