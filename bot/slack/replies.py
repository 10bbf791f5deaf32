"""The core of every Slack surface: typed input in, a rendered `Message` out.

Listeners turn Slack payloads into the small types here, call one function, and send the
result. Problems the user can fix (`CalculatorError`, `BotError`) become an error reply here;
anything else propagates to the app's error handler.

A database that is away never costs an answer: a question is answered and an estimate shown
without being saved, with one line saying what was not saved (the store logs the fault once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from bot.errors import (
    BotError,
    StaleActionError,
    StorageUnavailableError,
    UnknownReferenceError,
    UsageError,
)
from bot.slack import render
from bot.slack.buttons import ButtonValue
from bot.slack.compare import render_compare
from bot.slack.render import Message
from bot.slack.reports import report_reply
from bot.slack.surfaces import COMMAND
from bot.store import REFERENCE
from bot.store.snapshots import EstimateSnapshot
from bot.text.tickets import ticket_for_answer, ticket_for_estimate
from calculators.compare import compare
from calculators.errors import CalculatorError
from calculators.estimate import estimate
from calculators.explain import explain
from calculators.grammar import choose_card, parse_number
from calculators.ratecard import RateCard
from knowledge.entries import Entry
from knowledge.matching import Match, search

SUBCOMMANDS = (
    "help",
    "estimate",
    "compare",
    "explain",
    "rates",
    "show",
    "ask",
    "report",
    "audit",
)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_CARD = re.compile(r"^card=(\S+)$", re.IGNORECASE)
RECENT_ESTIMATES = 5


@dataclass(frozen=True)
class Asker:
    """Who asked, and where (`thread_ts`: the thread a mention or DM is answered in)."""

    user_id: str
    channel_id: str
    thread_ts: str | None = None


@dataclass(frozen=True)
class Command:
    """A `/tokens` line: the sub-command and the rest of the text."""

    name: str
    argument: str

    @classmethod
    def parse(cls, text: str) -> Command:
        """`help`/empty, `estimate`, `explain`, `rates`, `show`, `ask`; anything else is `ask`."""
        words = text.strip().split(maxsplit=1)
        if not words:
            return cls("help", "")
        first = words[0].lower()
        rest = words[1] if len(words) > 1 else ""
        if first in SUBCOMMANDS:
            return cls(first, rest.strip())
        return cls("ask", text.strip())

    @property
    def text(self) -> str:
        return f"{self.name} {self.argument}".strip()


def strip_mentions(text: str) -> str:
    """A mention's text without the `<@U…>` tokens that address the bot."""
    return " ".join(_MENTION.sub(" ", text).split())


# -- `/tokens` ------------------------------------------------------------------------------


def reply_to_command(
    deps: Deps, command: Command, asker: Asker, *, shared: bool = False
) -> Message:
    """The reply to a `/tokens` line; `shared` is the visible copy (no share button, no log)."""
    share = None if shared else command.text
    try:
        if command.name == "help":
            return render.render_help(deps.cards, share=share)
        if command.name == "estimate":
            return run_estimate(deps, command.argument, asker, share=not shared)
        if command.name == "compare":
            return compare_reply(deps, command.argument, share=share)
        if command.name == "explain":
            return explain_tokens(deps, command.argument, share=share)
        if command.name == "rates":
            return rates(deps, command.argument, share=share)
        if command.name == "show":
            return show(deps, command.argument, shared=shared)
        if command.name == "report":
            return report_reply(deps, command.argument, asker.user_id)
        if command.name == "audit":
            # Audits call the Genesys API, so they never run here (inside `ack()` or a replay):
            # `bot.slack.listeners.audit` acknowledges at once and answers through `respond()`.
            raise UsageError(f"run the audit with `{COMMAND} audit sta|copilot [org=NAME]`")
        return answer_question(deps, command.argument, asker, share=not shared, record=not shared)
    except (CalculatorError, BotError) as exc:
        return render.render_error(exc.message)


def reply_to_message(deps: Deps, text: str, asker: Asker, *, context: str | None = None) -> Message:
    """The threaded reply to a mention or DM: an estimate for `estimate …`, else an answer.

    `context` is the question the thread started with, for a follow-up asked in it.
    """
    command = Command.parse(strip_mentions(text))
    try:
        if command.name == "estimate":
            return run_estimate(deps, command.argument, asker, share=False)
        if command.name == "compare":
            return compare_reply(deps, command.argument, share=None)
        if command.name == "help":
            return render.render_help(deps.cards)
        question = strip_mentions(text)
        return answer_question(deps, question, asker, share=False, context=context)
    except (CalculatorError, BotError) as exc:
        return render.render_error(exc.message)


def answer_question(
    deps: Deps,
    question: str,
    asker: Asker,
    *,
    share: bool,
    record: bool = True,
    context: str | None = None,
) -> Message:
    """Match a question; answer it, offer choices, or say honestly that it is not known.

    `context`: the earlier question of the thread a follow-up is asked in.
    """
    if not question:
        raise UsageError(f"ask what? e.g. `{COMMAND} ask why are my agents using 45 STA tokens?`")
    match = search(deps.index, question, context=context)
    question_id, not_saved = None, None
    if record:
        try:
            question_id = deps.store.record_question(
                text=question,
                entry_id=match.entry_id,
                score=match.score,
                user_id=asker.user_id,
                channel_id=asker.channel_id,
                thread_ts=asker.thread_ts,
            )
        except StorageUnavailableError as exc:
            not_saved = f"Not saved ({exc.message}): this question was not logged."
    return render.with_warning(_answer(deps, question, match, question_id, share=share), not_saved)


def _answer(
    deps: Deps, question: str, match: Match, question_id: int | None, *, share: bool
) -> Message:
    suggestions = [e for e in (deps.kb.get(s.entry_id) for s in match.suggestions) if e]
    if match.out_of_scope:
        return render.render_not_found(question, out_of_scope=True)
    if match.entry_id is not None:
        entry = _entry(deps, match.entry_id)
        replay = f"show {entry.id}" if share else None
        return render.render_answer(
            entry, question_id=question_id, suggestions=suggestions, share=replay
        )
    if suggestions:
        replay = f"ask {question}" if share else None
        unsure = render.render_suggestions(
            question, suggestions, question_id=question_id, share=replay
        )
        return _offer_experts(deps, unsure, question_id)
    return _offer_experts(deps, render.render_not_found(question), question_id)


def _offer_experts(deps: Deps, message: Message, question_id: int | None) -> Message:
    """The **Ask the experts** button, when there is an experts' channel and a logged question."""
    if deps.experts_channel is None or question_id is None:
        return message
    return render.offer_experts(message, question_id)


def run_estimate(deps: Deps, terms: str, asker: Asker, *, share: bool) -> Message:
    """Estimate, store it under a new reference, and render it."""
    if not terms:
        raise UsageError(
            f"estimate what? e.g. `{COMMAND} estimate copilot=50 va=2000/day`, or "
            f"`{COMMAND} estimate` alone for a form"
        )
    result = estimate(terms, deps.cards)
    try:
        reference = deps.store.save_estimate(
            user_id=asker.user_id,
            channel_id=asker.channel_id,
            input_text=terms,
            card=result.card.name,
            result_for=lambda ref: EstimateSnapshot.from_estimate(
                result, reference=ref, input_text=terms
            ).to_json(),
        )
    except StorageUnavailableError as exc:
        unsaved = EstimateSnapshot.from_estimate(result, reference="", input_text=terms)
        return render.with_warning(
            render.render_estimate(unsaved, share=f"estimate {terms}" if share else None),
            f"Not saved ({exc.message}): this estimate has no reference, so it cannot be "
            "shown again or cited; copy the figures now.",
        )
    try:
        stored = deps.store.get_estimate(reference)
    except StorageUnavailableError:
        stored = None  # saved, but not readable back at once: show what was computed
    snapshot = (
        EstimateSnapshot.from_json(stored.result)
        if stored is not None
        else EstimateSnapshot.from_estimate(result, reference=reference, input_text=terms)
    )
    return render.render_estimate(snapshot, share=f"show {reference}" if share else None)


def compare_reply(deps: Deps, terms: str, *, share: str | None) -> Message:
    """`compare TERMS` (list card beside the study notes) or `compare A... vs B...`."""
    if not terms:
        raise UsageError(
            f"compare what? e.g. `{COMMAND} compare copilot=200 va=200/day users=200`, or two "
            f"scenarios: `{COMMAND} compare copilot=50 vs copilot=80`"
        )
    return render_compare(compare(terms, deps.cards), share=share)


def show(deps: Deps, reference: str, *, shared: bool = False) -> Message:
    """A stored estimate (`E-7K2QM9TX`) or a knowledge-base entry (`sta-billable-permissions`)."""
    wanted = reference.strip()
    if wanted.upper().startswith("KB "):
        wanted = wanted[3:].split(",")[0].strip()
    if not wanted:
        raise UsageError(f"show what? e.g. `{COMMAND} show E-7K2QM9TX`")
    replay = None if shared else f"show {wanted}"
    if REFERENCE.match(wanted.upper()):
        stored = deps.store.get_estimate(wanted.upper())
        if stored is not None:
            snapshot = EstimateSnapshot.from_json(stored.result)
            return render.render_estimate(snapshot, share=replay)
        raise UnknownReferenceError(
            f"no estimate {wanted.upper()}: check the reference in the reply or the ticket "
            "(estimates look like E-7K2QM9TX)"
        )
    entry = deps.kb.get(wanted.lower())
    if entry is not None:
        return render.render_answer(entry, share=replay)
    raise UnknownReferenceError(
        f"nothing is stored as '{wanted}' (estimates look like E-7K2QM9TX; knowledge-base "
        "entries like sta-billable-permissions)"
    )


def _card_option(deps: Deps, words: list[str]) -> tuple[RateCard, list[str]]:
    card = deps.default_card
    rest: list[str] = []
    for word in words:
        chosen = _CARD.match(word)
        if chosen:
            card = choose_card(chosen.group(1), deps.cards)
        else:
            rest.append(word)
    return card, rest


def explain_tokens(deps: Deps, argument: str, *, share: str | None) -> Message:
    """`explain N FEATURE [named|concurrent] [card=NAME]`."""
    card, words = _card_option(deps, argument.split())
    if len(words) not in (2, 3):
        raise UsageError(
            f"expected `{COMMAND} explain N FEATURE [named|concurrent]`, e.g. `explain 1620 sta`"
        )
    tokens = parse_number(words[0])
    result = explain(tokens, words[1], words[2] if len(words) == 3 else None, card)
    return render.render_explanation(result, card, share=share)


def rates(deps: Deps, argument: str, *, share: str | None) -> Message:
    """`rates [FEATURE] [card=NAME]`."""
    card, words = _card_option(deps, argument.split())
    if len(words) > 1:
        raise UsageError(f"expected `{COMMAND} rates [FEATURE]`, e.g. `rates copilot`")
    feature = card.resolve(words[0]) if words else None
    return render.render_rates(card, feature, share=share)


# -- buttons --------------------------------------------------------------------------------


def _entry(deps: Deps, entry_id: str | None) -> Entry:
    entry = deps.kb.get(entry_id) if entry_id else None
    if entry is None:
        raise StaleActionError("that answer is no longer in the knowledge base; ask again")
    return entry


def chosen_answer(deps: Deps, value: ButtonValue) -> Message:
    """The "did you mean" entry a user picked, to replace the message it was picked from."""
    entry = _entry(deps, value.entry)
    return render.render_answer(entry, question_id=value.question_id)


def full_answer(deps: Deps, value: ButtonValue) -> Message:
    """The whole answer, with every source, to replace the short answer it was asked from."""
    entry = _entry(deps, value.entry)
    return render.render_answer(
        entry, question_id=value.question_id, share=value.command, full=True
    )


def record_feedback(deps: Deps, value: ButtonValue, user_id: str, *, helpful: bool) -> Message:
    entry = _entry(deps, value.entry)
    said = "helpful" if helpful else "not helpful"
    try:
        question = None
        if value.question_id is not None:
            question = deps.store.get_question(value.question_id)
        deps.store.record_feedback(
            entry_id=entry.id,
            question="" if question is None else question.text or "",
            helpful=helpful,
            user_id=user_id,
            question_id=None if question is None else question.id,
        )
    except StorageUnavailableError as exc:
        return render.render_notice(
            f"Thanks. Your vote ({said}) was not saved ({exc.message}); please try again later."
        )
    thanks = render.render_notice(f"Thanks, noted as {said}. You can change your vote any time.")
    return thanks if helpful else _offer_experts(deps, thanks, value.question_id)


def ticket(deps: Deps, value: ButtonValue, permalink: str | None) -> Message:
    """The plain-text block to paste into a support ticket."""
    if value.reference is not None:
        stored = deps.store.get_estimate(value.reference)
        if stored is None:
            raise StaleActionError(f"estimate {value.reference} is no longer stored")
        snapshot = EstimateSnapshot.from_json(stored.result)
        return render.render_ticket(ticket_for_estimate(snapshot, permalink))
    entry = _entry(deps, value.entry)
    return render.render_ticket(ticket_for_answer(entry, permalink))


def home(deps: Deps, user_id: str) -> dict[str, Any]:
    try:
        recent = deps.store.recent_estimates(user_id, RECENT_ESTIMATES)
    except StorageUnavailableError as exc:
        warning = f"Your recent estimates cannot be read now: {exc.message}."
        return render.render_home(deps.default_card, [], warning=warning)
    return render.render_home(deps.default_card, recent)
