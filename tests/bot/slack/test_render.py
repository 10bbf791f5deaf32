"""Block Kit rendering: escaping, Slack's limits, and what each reply shows."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.slack import render
from bot.slack.render import escape, fit, mrkdwn, section, split_text
from bot.text.tickets import ticket_for_answer
from tests.bot.slack.limits import assert_within_limits
from tests.conftest import make_entry

SOURCES = [
    {"url": "https://help.mypurecloud.com/articles/x", "title": "Official", "kind": "official"},
    {
        "url": "https://rcworkbench.genesys.cloud/1",
        "title": "Staging copy",
        "kind": "official-copy",
    },
    {"url": "https://community.genesys.com/discussion/x", "title": "Forum", "kind": "community"},
]


class TestEscape:
    def test_escapes_the_three_control_characters(self) -> None:
        assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"

    def test_markdown_is_converted_after_escaping(self) -> None:
        assert mrkdwn("**45 tokens** per user\n- a < b") == "*45 tokens* per user\n• a &lt; b"

    def test_link_title_cannot_break_out_of_the_link(self) -> None:
        assert render.link("https://x.test/a?b=1&c=2", "a|b>c") == (
            "<https://x.test/a?b=1&amp;c=2|a/b&gt;c>"
        )


class TestSplitText:
    def test_splits_at_paragraphs_first(self) -> None:
        paragraph = "word " * 280  # 1,400 characters
        chunks = split_text("\n\n".join([paragraph.strip()] * 3), 3000)
        assert [len(c) for c in chunks] == [2800, 1399]

    def test_never_cuts_an_escape_sequence(self) -> None:
        text = escape("<>" * 2000)
        for chunk in split_text(text, 3000):
            assert not re.search(r"&[a-z]*$", chunk)

    @given(st.text(min_size=0, max_size=12000))
    def test_chunks_are_within_the_limit_and_keep_every_word(self, text: str) -> None:
        chunks = split_text(text, 3000)
        assert all(0 < len(c) <= 3000 for c in chunks)
        assert "".join("".join(chunks).split()) == "".join(text.split())


class TestFit:
    def test_more_than_fifty_blocks_keeps_the_buttons_and_says_so(self) -> None:
        blocks = [section(f"line {n}") for n in range(80)]
        blocks.append(
            render.actions(
                "a", [render.button("Helpful", "feedback_helpful", render.ButtonValue(entry="x"))]
            )
        )
        message = fit("fallback", blocks)
        assert len(message.blocks) == 50
        assert message.blocks[-1]["type"] == "actions"
        assert "did not fit" in str(message.blocks[-2])

    def test_long_field_and_header_are_trimmed(self) -> None:
        message = fit(
            "x",
            [render.header("h" * 400), render.fields_section(["f" * 5000])],
        )
        assert_within_limits({"text": message.text, "blocks": message.blocks})

    def test_fallback_text_is_trimmed(self) -> None:
        assert len(fit("t" * 10_000, [section("x")]).text) <= 3000

    @given(st.text(min_size=1, max_size=20000))
    def test_any_answer_fits(self, body: str) -> None:
        entry = make_entry("e", "Q?", answer=body if body.strip() else "x")
        message = render.render_answer(entry, question_id=1, share="show e")
        assert_within_limits(message.as_kwargs())


class TestAnswer:
    def test_confidence_is_shown_only_when_not_official(self) -> None:
        official = render.render_answer(make_entry("e", "Q?"))
        community = render.render_answer(make_entry("e", "Q?", confidence="community"))
        assert "Confidence" not in str(official.blocks)
        assert "Confidence" in str(community.blocks)

    def test_sources_are_links_and_the_review_date_is_shown(self) -> None:
        message = render.render_answer(make_entry("e", "Q?"))
        assert "<https://help.mypurecloud.com/articles/x|Official>" in str(message.blocks)
        assert "2026-11-20" in str(message.blocks)

    def test_shows_the_summary_first_not_the_whole_answer(self) -> None:
        entry = make_entry("e", "Q?", summary="Forty per user.", answer="The long story.")
        shown = str(render.render_answer(entry).blocks)
        assert "Forty per user." in shown
        assert "The long story." not in shown
        assert "full_answer" in shown

    def test_the_full_answer_has_the_body_every_source_and_no_full_answer_button(self) -> None:
        entry = make_entry(
            "e", "Q?", summary="Forty per user.", answer="The long story.", sources=SOURCES
        )
        full = str(render.render_answer(entry, full=True).blocks)
        assert "The long story." in full
        assert all(f"<{s['url']}|" in full for s in SOURCES)
        assert "full_answer" not in full

    def test_the_short_answer_links_the_strongest_sources_and_counts_the_rest(self) -> None:
        entry = make_entry("e", "Q?", sources=list(reversed(SOURCES)), confidence="community")
        shown = str(render.render_answer(entry).blocks)
        assert "<https://help.mypurecloud.com/articles/x|Official> _(official page)_" in shown
        assert "_(Genesys text via a copy)_" in shown
        assert "community.genesys.com" not in shown
        assert "1 more with the full answer" in shown

    def test_a_copy_of_genesys_text_is_not_shown_as_official(self) -> None:
        entry = make_entry("e", "Q?", sources=[SOURCES[1]], confidence="staff")
        shown = str(render.render_answer(entry, full=True).blocks)
        assert "(official page)" not in shown
        assert "Genesys text via a copy" in shown


class TestSuggestions:
    def test_the_first_choice_shows_its_short_answer_inline(self) -> None:
        first = make_entry("rate", "How many tokens?", summary="Forty per named user <b>.")
        other = make_entry("trigger", "What makes a user billable?")
        message = render.render_suggestions("copilot?", [first, other], question_id=7)
        blocks = str(message.blocks)
        assert "Forty per named user &lt;b&gt;." in blocks
        assert "What makes a user billable?" in blocks  # as a button
        assert "Forty per named user" in message.text
        assert_within_limits(message.as_kwargs())


class TestTicket:
    def test_ticket_keeps_the_full_answer_and_marks_each_source(self) -> None:
        entry = make_entry(
            "e", "Q?", summary="Forty.", answer="The **long** story.", sources=SOURCES
        )
        text = ticket_for_answer(entry, None)
        assert "In short: Forty." in text
        assert "The long story." in text
        assert "- Staging copy (Genesys text via a copy)" in text
        assert "- Forum (community)" in text
        assert "Confidence: official" in text

    def test_ticket_has_no_slack_markup(self) -> None:
        entry = make_entry("e", "Q?", summary="**45** tokens <per> user")
        text = ticket_for_answer(entry, "https://example.slack.com/archives/C1/p1")
        assert "**" not in text
        assert "<http" not in text
        assert "KB e, reviewed 2026-11-20" in text
        assert "https://help.mypurecloud.com/articles/x" in text
        message = render.render_ticket(text)
        assert message.blocks[0]["text"]["type"] == "plain_text"
        assert "&lt;per&gt;" in message.text  # the fallback is mrkdwn, so it is escaped
