"""The Slack surfaces the app registers: one list that listeners and the manifest test share."""

from __future__ import annotations

import re
from enum import StrEnum

COMMAND = "/tokens"

BOT_EVENTS: dict[str, str] = {
    "app_mention": "app_mention",
    "message.im": "message",
    "app_home_opened": "app_home_opened",
    "message.channels": "message",
    "message.groups": "message",
}
"""Manifest event name -> the `event.type` Slack sends for it. The last two bring the replies
in the experts' channel (public or private); tokenbot ignores every other channel message."""

BOT_SCOPES = ("app_mentions:read", "chat:write", "commands", "im:history")
"""What every surface needs: mentions, replies, `/tokens`, DMs to the bot."""
EXPERTS_SCOPES = ("channels:history", "groups:history", "im:write")
"""Only needed with `TOKENBOT_EXPERTS_CHANNEL`: reading replies in the experts' channel
(public: `channels:history`, private: `groups:history`) and opening a DM to relay a reply to
a `/tokens` question (`im:write`, for `conversations.open`)."""


class Action(StrEnum):
    """`action_id` of every button the app puts in a message."""

    HELPFUL = "feedback_helpful"
    NOT_HELPFUL = "feedback_not_helpful"
    DID_YOU_MEAN = "did_you_mean"
    FULL_ANSWER = "full_answer"
    TICKET = "ticket"
    SHARE = "share"
    EDIT = "edit_estimate"
    ASK_EXPERTS = "ask_experts"


ESTIMATE_FORM = "estimate_form"
"""`callback_id` of the estimate modal (`/tokens estimate` with no terms, or Edit)."""


def action_pattern(action: Action) -> re.Pattern[str]:
    """Matches `action` and its numbered variants (`did_you_mean:2`; ids are unique per block)."""
    return re.compile(rf"^{re.escape(action.value)}(?::\d+)?$")
