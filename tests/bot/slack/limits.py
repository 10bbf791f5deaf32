"""Slack's message limits, checked on a finished message (reference/slack-platform.md §2, §0.6)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.render import FALLBACK_TEXT


def assert_within_limits(message: dict[str, Any], *, max_blocks: int = 50) -> None:
    """Every limit Slack enforces on blocks, plus a non-empty `text` fallback."""
    blocks = message["blocks"]
    assert 0 < len(blocks) <= max_blocks
    text = message.get("text", "")
    assert text.strip(), "every message needs a text fallback"
    assert len(text) <= FALLBACK_TEXT
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk's per-element validation
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
                assert len(element["action_id"]) <= 255
