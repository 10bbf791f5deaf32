"""The curation loop end to end, against the fake Web API and a real database file.

An unknown question -> Ask the experts -> the post in the experts' channel -> an expert's
thread reply -> the relay to the asker -> `tokenbot kb drafts` shows both texts -> `--export`
writes a draft that `tokenbot kb check` refuses as unfinished.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.deps import Deps
from bot.store import SqliteStore
from knowledge import loader
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import MakeDriver, all_text, button
from tests.bot.slack.fake_slack import POSTED_TS

EXPERTS = "C0EXPERTS"
EXPERT = "U0EXPERT1"
QUESTION = "who do I call about a disputed invoice line"
ANSWER = "Open a *billing* case in the Genesys Cloud support portal, not a technical one."
ASKED_AT = "1700000000.000100"


def test_an_unknown_question_becomes_a_draft_the_knowledge_base_refuses_unfinished(
    make_driver: MakeDriver,
    knowledge: tuple[KnowledgeBase, Index],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kb, index = knowledge
    database = tmp_path / "tokenbot.db"
    with SqliteStore(database) as store:
        slack = make_driver(Deps(kb=kb, index=index, store=store, experts_channel=EXPERTS))

        # 1. An unknown question in a channel: "I don't know", with the button.
        slack.event(rq.mention(QUESTION, ts=ASKED_AT), event_id="EvAsk")
        [answer] = slack.fake.calls_to("chat.postMessage")
        assert "I don't know" in all_text(answer.body)
        ask = button(answer.body, "ask_experts")
        slack.fake.clear()

        # 2. The click posts the question to the experts' channel and tells the asker.
        slack.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT)
        [post] = slack.fake.calls_to("chat.postMessage")
        assert post.body["channel"] == EXPERTS
        assert QUESTION in all_text(post.body)
        [told] = slack.fake.calls_to("chat.postEphemeral")
        assert "Forwarded to the experts" in told.body["text"]
        slack.fake.clear()

        # 3. An expert replies in the thread; the reply reaches the asker's thread.
        reply = rq.channel_message(
            ANSWER, ts="1700000100.000100", user=EXPERT, channel=EXPERTS, thread_ts=POSTED_TS
        )
        slack.event(reply, event_id="EvReply")
        [relay] = slack.fake.calls_to("chat.postMessage")
        assert (relay.body["channel"], relay.body["thread_ts"]) == (rq.CHANNEL, ASKED_AT)
        assert ANSWER in all_text(relay.body)
        assert f"<@{EXPERT}>" in all_text(relay.body)

    # 4. `tokenbot kb drafts` shows the question and the reply.
    monkeypatch.setenv("TOKENBOT_DB", str(database))
    assert main(["kb", "drafts"]) == 0
    listed = capsys.readouterr().out
    assert f"Q: {QUESTION}" in listed
    assert f"A ({EXPERT}," in listed
    assert ANSWER.replace("*billing*", "**billing**") in listed

    # 5. `--export` writes a draft entry in the knowledge base's format.
    drafts = tmp_path / "drafts"
    assert main(["kb", "drafts", "--export", str(drafts)]) == 0
    assert "Wrote 1 draft entry" in capsys.readouterr().out
    [draft] = drafts.glob("*.md")
    text = draft.read_text(encoding="utf-8")
    assert f'question: "{QUESTION}"' in text
    assert "confidence: community" in text
    assert "Open a **billing** case" in text

    # 6. Copied into the knowledge base unfinished, `kb check` refuses it by name.
    faq = tmp_path / "faq"
    shutil.copytree(loader.FAQ_DIR, faq)
    shutil.copy(draft, faq / draft.name)
    code = main(["kb", "check", "--faq", str(faq)])
    checked = capsys.readouterr()
    assert code == 1
    assert f"error: {faq / draft.name}: unfinished draft" in checked.err
    assert "still missing summary" in checked.err
    assert "kb check FAILED" in checked.out

    # Exporting again keeps the curator's copy as it is.
    draft.write_text(text + "\nA curator's edit.\n", encoding="utf-8")
    assert main(["kb", "drafts", "--export", str(drafts)]) == 0
    assert "Left 1 existing file alone" in capsys.readouterr().out
    assert draft.read_text(encoding="utf-8").endswith("A curator's edit.\n")
