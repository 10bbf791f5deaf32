"""Block Kit for every reply: answers, estimates, rates, help, errors, the ticket block, App Home.

Two rules hold for every message built here:

* All text that comes from outside the code (what the user typed, knowledge-base and rate-card
  text) goes through `escape()` before it lands in mrkdwn, so `<!channel>` typed by a user is
  shown, never obeyed. What the user typed and is echoed back also goes through `echo()` (or
  `code()` inside a code span), so that their `*`, `_`, `~` and backticks format nothing.
* `fit()` runs last: at most 50 blocks, section text split at paragraph or line boundaries into
  several sections of at most 3,000 characters, fields at most 2,000, headers 150, and a plain
  `text` fallback of at most 3,000 characters. Slack never rejects a message for its size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.buttons import ButtonValue
from bot.slack.surfaces import COMMAND, Action
from bot.store import StoredEstimate
from bot.store.snapshots import EstimateSnapshot, LineSnapshot, NoticeSnapshot
from bot.text import answers as plain_text
from calculators.explain import Explanation
from calculators.grammar import (
    DEFAULT_CARD,
    ESTIMATE_EXAMPLES,
    QUANTITY_HELP,
    SETTINGS_HELP,
    feature_help,
)
from calculators.money import grouped
from calculators.ratecard import Feature, RateCard
from knowledge.entries import Confidence, Entry, Source

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONTEXT_TEXT = 2000
CONTEXT_ELEMENTS = 10
FALLBACK_TEXT = 3000
ELLIPSIS = "…"

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^(\s*)[-*] ", re.MULTILINE)
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")

EXAMPLES = (
    ("estimate copilot=50 va=2000/day", "monthly tokens and cost, line by line"),
    ("estimate", "the estimate form: a field per feature"),
    ("compare copilot=200 va=200/day users=200", "the list card beside the study notes"),
    ("compare copilot=50 vs copilot=80", "two scenarios side by side"),
    ("estimate sta=45 users=300 tier=cx2 currency=EUR", "with the org's settings"),
    ("estimate voicebot=1000x5min/day card=study-notes", "reproduce the study notes' figures"),
    ("explain 1620 sta", "what 1,620 STA tokens stand for"),
    ("rates", "the rate card; `rates copilot` for one rate"),
    ("show E-7K2QM9TX", "a stored estimate again, by its reference"),
    ("why are my agents using 45 STA tokens?", "any question: an answer from the knowledge base"),
)


@dataclass(frozen=True)
class Message:
    """A reply: Block Kit blocks and the plain `text` fallback every message must carry."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# -- text ---------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack gives meaning to in mrkdwn: `&`, `<`, `>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKUP = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
"""Slack's formatting characters, for look-alikes that format nothing (asterisk operator,
modifier low macron, tilde operator, modifier grave accent)."""


def echo(text: str) -> str:
    """User text for mrkdwn prose: escaped, and with its bold/italic/strike/code marks inert."""
    return escape(text).translate(_MARKUP)


def code(text: str) -> str:
    """User text as a code span: escaped, and unable to close the span early."""
    return "`" + escape(text).replace("`", "\u02cb") + "`"


def mrkdwn(markdown: str) -> str:
    """The knowledge base's Markdown subset as Slack mrkdwn (escaped): bold, bullets, code."""
    return _BULLET.sub(r"\1• ", _BOLD.sub(r"*\1*", escape(markdown)))


def link(url: str, title: str) -> str:
    """A mrkdwn link; `|` and `>` cannot appear in either part."""
    return f"<{escape(url).replace('|', '%7C')}|{escape(title).replace('|', '/')}>"


def trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    entity = _ENTITY_TAIL.search(cut)
    if entity:
        cut = cut[: entity.start()]
    return cut.rstrip() + ELLIPSIS


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Split text into chunks of at most `limit`, at paragraph, line or word boundaries."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit)
            if cut > limit // 3:
                break
        if cut <= limit // 3:
            cut = limit
            entity = _ENTITY_TAIL.search(rest[:cut])
            if entity:
                cut = entity.start()
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


# -- blocks ---------------------------------------------------------------------------------


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def fields_section(fields: Sequence[str]) -> Block:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def divider() -> Block:
    return {"type": "divider"}


def button(label: str, action_id: str, value: ButtonValue, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": trim(label, BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value.encode(),
    }
    if style is not None:
        element["style"] = style
    return element


def actions(block_id: str, elements: Sequence[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def share_button(command: str | None) -> list[Block]:
    """The "Share in channel" button replaying `command`, when it fits in a button value."""
    if command is None:
        return []
    value = ButtonValue(command=command)
    if not value.fits():
        return []
    return [button("Share in channel", Action.SHARE, value)]


# -- the budget -----------------------------------------------------------------------------


def fit(text: str, blocks: Iterable[Block], *, max_blocks: int = MAX_BLOCKS) -> Message:
    """Bring a message inside Slack's limits without losing the buttons.

    Long sections become several sections; long fields, headers and context texts are trimmed;
    past `max_blocks`, blocks before the trailing action rows are dropped and a note says so.
    """
    expanded: list[Block] = []
    for block in blocks:
        expanded.extend(_fit_block(block))
    if len(expanded) > max_blocks:
        tail: list[Block] = []
        while expanded and expanded[-1]["type"] == "actions" and len(tail) < 2:
            tail.insert(0, expanded.pop())
        keep = max_blocks - len(tail) - 1
        dropped = len(expanded) - keep
        expanded = [
            *expanded[:keep],
            context(f"{ELLIPSIS} {dropped} more blocks did not fit in one Slack message."),
            *tail,
        ]
    return Message(text=trim(text, FALLBACK_TEXT), blocks=expanded)


def _fit_block(block: Block) -> list[Block]:
    kind = block["type"]
    if kind == "section":
        fitted = dict(block)
        if "fields" in block:
            fields = [
                {**f, "text": trim(f["text"], FIELD_TEXT)} for f in block["fields"][:MAX_FIELDS]
            ]
            fitted["fields"] = fields
        if "text" in block:
            body = block["text"]
            chunks = split_text(body["text"], SECTION_TEXT)
            if len(chunks) > 1:
                first = {**fitted, "text": {**body, "text": chunks[0]}}
                first.pop("fields", None)
                first.pop("accessory", None)
                first.pop("block_id", None)
                rest = [{"type": "section", "text": {**body, "text": c}} for c in chunks[1:]]
                if "fields" in fitted or "accessory" in fitted or "block_id" in fitted:
                    last = dict(rest[-1])
                    for key in ("fields", "accessory", "block_id"):
                        if key in fitted:
                            last[key] = fitted[key]
                    rest[-1] = last
                return [first, *rest]
        return [fitted]
    if kind == "header":
        return [
            {**block, "text": {**block["text"], "text": trim(block["text"]["text"], HEADER_TEXT)}}
        ]
    if kind == "context":
        elements = [
            {**e, "text": trim(e["text"], CONTEXT_TEXT)} if "text" in e else e
            for e in block["elements"][:CONTEXT_ELEMENTS]
        ]
        return [{**block, "elements": elements}]
    return [block]


# -- answers --------------------------------------------------------------------------------

SOURCES_IN_SHORT = 2
"""Sources linked under a short answer; the full answer lists every one."""


def _source_link(source: Source) -> str:
    return f"{link(str(source.url), source.title)} _({escape(source.kind.label)})_"


def _sources_line(entry: Entry, *, full: bool) -> str:
    """The sources, strongest first, each marked by what was read of it."""
    ordered = entry.sources_by_strength
    shown = ordered if full else ordered[:SOURCES_IN_SHORT]
    text = "*Sources:* " + " · ".join(_source_link(source) for source in shown)
    hidden = len(ordered) - len(shown)
    if hidden:
        text += f" · _{hidden} more with the full answer_"
    return text


def _answer_meta(entry: Entry, *, full: bool) -> list[str]:
    meta = []
    if entry.confidence is not Confidence.OFFICIAL:
        meta.append(f"*Confidence:* {escape(plain_text.describe_confidence(entry.confidence))}")
    meta.append(_sources_line(entry, full=full))
    meta.append(f"Reviewed {entry.last_reviewed.isoformat()} · `{escape(entry.reference)}`")
    return meta


def _suggestion_buttons(
    suggestions: Sequence[Entry], question_id: int | None, block_id: str
) -> list[Block]:
    if not suggestions:
        return []
    return [
        actions(
            block_id,
            [
                button(
                    entry.question,
                    f"{Action.DID_YOU_MEAN.value}:{position}",
                    ButtonValue(entry=entry.id, question_id=question_id),
                )
                for position, entry in enumerate(suggestions[:3])
            ],
        )
    ]


def render_answer(
    entry: Entry,
    *,
    question_id: int | None = None,
    suggestions: Sequence[Entry] = (),
    share: str | None = None,
    full: bool = False,
) -> Message:
    """An FAQ answer, short first: the question, the summary, the confidence when it is not
    official, the strongest sources and a **Full answer** button. `full` shows the whole
    answer with every source instead (what the button swaps in)."""
    feedback = ButtonValue(entry=entry.id, question_id=question_id)
    text = entry.answer if full else entry.summary
    blocks: list[Block] = [
        section(f"*{escape(entry.question)}*"),
        section(mrkdwn(text)),
        context(*_answer_meta(entry, full=full)),
    ]
    if suggestions:
        blocks.append(context("*Did you mean…*"))
        blocks += _suggestion_buttons(suggestions, question_id, "did_you_mean")
    expand: list[Block] = []
    if not full:
        more = ButtonValue(entry=entry.id, question_id=question_id, command=share)
        expand = [button("Full answer", Action.FULL_ANSWER, more if more.fits() else feedback)]
    blocks.append(
        actions(
            "answer_actions",
            [
                *expand,
                button("Helpful", Action.HELPFUL, feedback, style="primary"),
                button("Not helpful", Action.NOT_HELPFUL, feedback),
                button("For a ticket", Action.TICKET, ButtonValue(entry=entry.id)),
                *share_button(share),
            ],
        )
    )
    fallback = f"{entry.question}\n\n{plain_text.markdown_to_plain(text)}\n\n{entry.reference}"
    return fit(escape(fallback), blocks)


def render_suggestions(
    question: str,
    suggestions: Sequence[Entry],
    *,
    question_id: int | None = None,
    share: str | None = None,
) -> Message:
    """The matcher is unsure: the first choice's short answer inline, then up to three choices.

    The summary lets the asker read the likeliest answer without a click; the buttons open the
    full answer (with its sources) of whichever choice they meant.
    """
    blocks: list[Block] = [
        section(f"I'm not sure which of these you mean by _{echo(trim(question, 500))}_:"),
    ]
    first = suggestions[0] if suggestions else None
    if first is not None:
        blocks.append(
            section(f"*{escape(first.question)}*\n{mrkdwn(first.summary)}"),
        )
        blocks.append(context(f"Short answer from `{escape(first.reference)}`"))
    blocks += _suggestion_buttons(suggestions, question_id, "did_you_mean")
    if share_button(share):
        blocks.append(actions("share", share_button(share)))
    choices = "; ".join(entry.question for entry in suggestions)
    fallback = f"Did you mean: {choices}?"
    if first is not None:
        fallback = f"Did you mean: {first.question} {first.summary} (or: {choices})"
    return fit(escape(fallback), blocks)


NOT_FOUND = (
    "I don't know that one yet, so I won't guess. Try rephrasing with the feature's name "
    f"(STA, Agent Copilot, virtual agent…), or see `{COMMAND} help`."
)
OUT_OF_SCOPE = (
    "That sounds like an authentication or platform token (OAuth, Slack, API, JWT…). "
    "I only answer questions about Genesys Cloud AI Experience tokens. "
    f"See `{COMMAND} help` for what I can do."
)


def offer_experts(message: Message, question_id: int) -> Message:
    """`message` with an **Ask the experts** button for the logged question `question_id`."""
    ask = button("Ask the experts", Action.ASK_EXPERTS, ButtonValue(question_id=question_id))
    return fit(message.text, [*message.blocks, actions("ask_experts", [ask])])


def render_not_found(question: str, *, out_of_scope: bool = False) -> Message:
    """An honest "I don't know", echoing the question safely."""
    said = OUT_OF_SCOPE if out_of_scope else NOT_FOUND
    blocks = [section(f"_{echo(trim(question, 500))}_"), section(said)]
    return fit(said, blocks)


# -- estimates ------------------------------------------------------------------------------


def _confidence_note(confidence: str | None) -> str:
    if confidence is None:
        return "your rate"
    return confidence


def _line_text(line: LineSnapshot) -> str:
    tokens = "rate needed" if line.tokens is None else f"{grouped(line.tokens)} tokens"
    parts = [
        f"*{escape(line.name)}*  {code(line.term)}",
        f"{escape(line.understood)} → *{tokens}*",
    ]
    if line.rate is not None:
        parts.append(f"_rate: {escape(line.rate)} ({escape(_confidence_note(line.confidence))})_")
    if line.note:
        parts.append(f"_{escape(line.note)}_")
    return "\n".join(parts)


def _notice_text(notice: NoticeSnapshot) -> str:
    return (
        f"• {escape(notice.text)} _({escape(notice.confidence)}:_ "
        f"{link(notice.source_url, notice.source_title)}_)_"
    )


def edit_button(s: EstimateSnapshot) -> list[Block]:
    """The Edit button: reopens the estimate form pre-filled with this estimate's terms."""
    value = ButtonValue(reference=s.reference or None, command=f"estimate {s.input}")
    if not value.fits():
        value = ButtonValue(reference=s.reference)
    return [button("Edit", Action.EDIT, value)]


def render_estimate(snapshot: EstimateSnapshot, *, share: str | None = None) -> Message:
    """Header, what is missing first, per-line breakdown, totals, overlaps, assumptions, card."""
    s = snapshot
    named = s.reference or "(not saved)"  # no reference: the store was away
    blocks: list[Block] = [header(f"Token estimate {named}")]
    if not s.card_official:
        blocks.append(
            section(
                f":warning: *UNOFFICIAL*: figures from the {escape(s.card_title)}, not Genesys "
                "list rates. Compare with the default card before quoting."
            )
        )
    incomplete = s.incomplete_text()
    if incomplete:
        blocks.append(section(f":warning: *{escape(incomplete)}*"))
    blocks.append(context(code(f"{COMMAND} estimate {trim(s.input, 500)}")))
    blocks += [section(_line_text(line)) for line in s.lines]
    blocks.append(divider())
    blocks.append(
        fields_section([f"*{label}*\n{escape(value)}" for label, value in s.total_rows()])
    )
    if s.warnings:
        blocks.append(section("\n".join(f":warning: {escape(w)}" for w in s.warnings)))
    if s.notices:
        blocks.append(
            section("*Overlaps and metering*\n" + "\n".join(_notice_text(n) for n in s.notices))
        )
    blocks.append(section("*Assumptions*\n" + "\n".join(f"• {escape(a)}" for a in s.assumptions)))
    card = f"Rate card: {escape(s.card_title)} (`{escape(s.card_name)}`), {escape(s.card_dated)}"
    if not s.card_official:
        card += " · *unofficial*"
    reference = f" · reference `{s.reference}`" if s.reference else ""
    blocks.append(context(card + reference, escape(s.governs_text())))
    ticket = [button("For a ticket", Action.TICKET, ButtonValue(reference=s.reference))]
    blocks.append(
        actions(
            "estimate_actions",
            [*(ticket if s.reference else []), *edit_button(s), *share_button(share)],
        )
    )
    totals = dict(s.total_rows())
    if incomplete:
        said = f"INCOMPLETE ({len(s.missing)} line without a rate): {totals['Total tokens']} tokens"
    else:
        said = f"{grouped(s.total_tokens)} tokens"
    fallback = (
        f"Token estimate {named}: {said}, {totals['Billable tokens']} billable after "
        f"{grouped(s.free_allocation)} free, cost {list(totals.values())[-1]} ({s.card_name} card"
        + ("" if s.card_official else ", UNOFFICIAL")
        + ")"
    )
    return fit(escape(fallback), blocks)


# -- explain, rates, help, errors -----------------------------------------------------------


def render_explanation(
    explanation: Explanation, card: RateCard, *, share: str | None = None
) -> Message:
    e = explanation
    blocks: list[Block] = [section(f"*{escape(e.text)}*")]
    if e.notes:
        blocks.append(section("\n".join(f"• {escape(note)}" for note in e.notes)))
    blocks.append(
        context(
            f"Rate: {escape(e.rate_text)} ({escape(e.confidence.value)}) · "
            + link(e.source.url, e.source.title),
            f"Rate card: {escape(card.title)} (`{escape(card.name)}`), {escape(card.dated())}"
            + ("" if card.official else " · *unofficial*"),
        )
    )
    if share_button(share):
        blocks.append(actions("share", share_button(share)))
    return fit(escape(e.text), blocks)


def _rate_line(key: str, feature: Feature) -> str:
    aliases = ", ".join(escape(a) for a in feature.aliases[:4])
    names = f"`{key}`" + (f" ({aliases})" if aliases else "")
    return (
        f"*{escape(feature.name)}* {names}: {escape(feature.rate_text())} "
        f"· _{escape(feature.confidence.value)}_"
    )


def render_rates(
    card: RateCard, feature: str | None = None, *, share: str | None = None
) -> Message:
    """The whole rate card, or one rate, with sources and confidence."""
    blocks: list[Block] = []
    if feature is not None:
        spec = card.features[feature]
        blocks.append(section(_rate_line(feature, spec)))
        details = [f"Meter: {escape(spec.meter)}", link(spec.source.url, spec.source.title)]
        if spec.note:
            details.append(escape(spec.note))
        if spec.included_reason:
            details.append(escape(spec.included_reason))
        blocks.append(context(*details))
        fallback = f"{spec.name}: {spec.rate_text()}"
    else:
        blocks.append(header(f"Rate card: {card.title}"))
        if not card.official:
            blocks.append(section(f":warning: *UNOFFICIAL*: {escape(card.description)}"))
        lines = [_rate_line(key, spec) for key, spec in card.features.items()]
        blocks.append(section("\n".join(lines)))
        allocation = card.free_allocation
        basis = "per organization" if allocation.basis == "organization" else "per user"
        blocks.append(
            section(
                f"*Free allocation* ({basis}): {grouped(allocation.named)} named / "
                f"{grouped(allocation.concurrent)} concurrent tokens per month · "
                + link(allocation.source.url, allocation.source.title)
            )
        )
        prices = ", ".join(f"{c} {p}" for c, p in card.prices.per_token.items())
        blocks.append(
            context(
                f"Price per additional token: {escape(prices)} "
                f"({escape(card.prices.confidence.value)}) · {escape(card.dated())} · "
                f"`{escape(card.name)}`"
            )
        )
        fallback = f"Rate card {card.title}, {card.dated()}"
    if share_button(share):
        blocks.append(actions("share", share_button(share)))
    return fit(escape(fallback), blocks)


def help_text(cards: Iterable[str]) -> str:
    lines = [f"• `{COMMAND} {example}`: {what}" for example, what in EXAMPLES]
    return (
        "*Genesys Cloud AI Experience tokens: answers and estimates.*\n"
        + "\n".join(lines)
        + f"\nRate cards: {', '.join(f'`{escape(c)}`' for c in cards)} (`card=NAME`). "
        "Mention me or DM me a question and I answer in a thread.\n"
        f"Admins only: `{COMMAND} report gaps|feedback|usage`, "
        f"`{COMMAND} audit sta|copilot org=NAME [all-roles]`."
    )


def grammar_text(card: RateCard) -> str:
    """Every feature key with its aliases and unit, every setting, three examples (mrkdwn)."""
    features = [
        f"• `{row.key}` {escape(row.name)}, in {escape(row.unit)}"
        + (f"; aliases {', '.join(f'`{escape(a)}`' for a in row.aliases)}" if row.aliases else "")
        for row in feature_help(card)
    ]
    settings = [
        f"• `{name}={escape(value)}`: {escape(meaning)}" for name, value, meaning in SETTINGS_HELP
    ]
    examples = [
        f"• `{COMMAND} estimate {escape(terms)}`: {escape(meaning)}"
        for terms, meaning in ESTIMATE_EXAMPLES
    ]
    return (
        f"*Estimate features* (the `{escape(card.name)}` card; `FEATURE=QUANTITY`)\n"
        + "\n".join(features)
        + "\n\n*Settings* (`SETTING=VALUE`)\n"
        + "\n".join(settings)
        + f"\n\n{escape(QUANTITY_HELP)}\n\n*Examples*\n"
        + "\n".join(examples)
    )


def render_help(cards: Mapping[str, RateCard], *, share: str | None = None) -> Message:
    """Usage with copy-paste examples, then the whole estimate grammar of the default card."""
    blocks = [section(help_text(cards)), divider()]
    blocks += [section(chunk) for chunk in split_text(grammar_text(cards[DEFAULT_CARD]))]
    if share_button(share):
        blocks.append(actions("share", share_button(share)))
    return fit(
        f"Usage: {COMMAND} help | estimate TERMS | explain N FEATURE | rates | show REF | QUESTION",
        blocks,
    )


_QUOTED = re.compile(r"'[^'\n]*'")
"""Error messages quote what the user typed in single quotes ("unknown feature 'copliot'")."""


def render_error(message: str, *, hint: str | None = None) -> Message:
    """A problem the user can fix: what was wrong (the user's words in it inert), where to look."""
    hint = hint if hint is not None else f"See `{COMMAND} help` for examples."
    shown = _QUOTED.sub(lambda quoted: quoted.group(0).translate(_MARKUP), escape(message))
    return fit(escape(f"Sorry: {message}"), [section(f":warning: {shown}"), context(hint)])


def render_notice(text: str) -> Message:
    """A one-line acknowledgement (already safe text)."""
    return fit(text, [context(text)])


def with_warning(message: Message, warning: str | None) -> Message:
    """`message` with one more line at the end, e.g. what could not be saved (safe text)."""
    if warning is None:
        return message
    return fit(message.text, [*message.blocks, context(f":warning: {warning}")])


APOLOGY = (
    "Sorry, something went wrong on my side while answering that. It has been logged; "
    "please try again in a moment."
)


def render_apology() -> Message:
    return fit(APOLOGY, [section(f":warning: {APOLOGY}")])


# -- the ticket block -----------------------------------------------------------------------


def render_ticket(ticket: str) -> Message:
    """The ticket text as plain_text sections: nothing for Slack to format or linkify."""
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "plain_text", "text": chunk, "emoji": False}}
        for chunk in split_text(ticket, SECTION_TEXT)
    ]
    blocks.append(context("Copy the text above into the ticket."))
    return fit(escape(ticket), blocks)


# -- App Home -------------------------------------------------------------------------------


def render_home(
    card: RateCard, recent: Sequence[StoredEstimate], *, warning: str | None = None
) -> dict[str, Any]:
    """The Home tab: how to use it, the rate card at a glance, the user's recent estimates."""
    blocks: list[Block] = [
        header("tokenbot"),
        section(help_text([card.name])),
        divider(),
        header(f"Rate card at a glance ({card.dated()})"),
        section("\n".join(_rate_line(key, spec) for key, spec in card.features.items())),
        context(
            f"Free allocation: {grouped(card.free_allocation.named)} named / "
            f"{grouped(card.free_allocation.concurrent)} concurrent tokens per month, per "
            f"{card.free_allocation.basis}. `{COMMAND} rates FEATURE` for sources."
        ),
        divider(),
        header("Your recent estimates"),
    ]
    if recent:
        for stored in recent:
            totals = dict(EstimateSnapshot.from_json(stored.result).total_rows())
            blocks.append(
                section(
                    f"`{stored.reference}` {stored.created_at.date().isoformat()} · "
                    f"{code(trim(stored.input, 200))} → "
                    f"*{totals['Total tokens']}* tokens, {totals['Billable tokens']} billable"
                )
            )
    elif warning is not None:
        blocks.append(context(f":warning: {warning}"))
    else:
        blocks.append(context(f"None yet: try `{COMMAND} estimate copilot=50 va=2000/day`."))
    fitted = fit("tokenbot", blocks, max_blocks=MAX_HOME_BLOCKS)
    return {"type": "home", "blocks": fitted.blocks}
