"""Domain normalisation of questions: Slack markup out, vocabulary in, one token per concept.

Users write the same concept many ways ("speech and text analytics", "speech analytics", "STA";
"GCX2", "CX 2", "cx2"). Matching works on concept tokens, so each concept is folded into one
canonical token before words are weighted. The tables are data: add a phrasing users type here
rather than a special case in the matcher.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

CONCEPT_CACHE = 65_536
"""Words whose concept tokens are remembered (a knowledge base and its questions reuse words)."""

# Slack control sequences: <@U123>, <@U123|name>, <#C123|general>, <!here>, <!subteam^S1|x>.
_SLACK_MENTION = re.compile(r"<[@#!][^<>]*>")
# Slack links <https://x|label> keep their label; bare <https://x> disappear.
_SLACK_LINK = re.compile(r"<(?:https?|mailto):[^<>|]*(?:\|(?P<label>[^<>]*))?>")
_URL = re.compile(r"https?://\S+")
_NON_WORD = re.compile(r"[^a-z0-9$%]+")

# Multi-word phrasings folded into one concept token, longest first at build time.
# Keys are already lower-case, punctuation-free, space-separated.
PHRASES: dict[str, str] = {
    # products and features
    "speech and text analytics": "sta",
    "speech text analytics": "sta",
    "speech & text analytics": "sta",
    "speech analytics": "sta",
    "text analytics": "sta",
    "speech and analytics": "sta",
    "agentic virtual agent": "ava",
    "agentic virtual agents": "ava",
    "agentic va": "ava",
    "ai guide": "ava",
    "ai guides": "ava",
    "virtual agent": "va",
    "virtual agents": "va",
    "virtual assistant": "va",
    "agent copilot": "copilot",
    "agent co pilot": "copilot",
    "co pilot": "copilot",
    "supervisor copilot": "supervisorcopilot",
    "virtual supervisor": "virtualsupervisor",
    "agent assist": "agentassist",
    "voice bot": "voicebot",
    "voice bots": "voicebot",
    "ivr bot": "voicebot",
    "bot minutes": "voicebot minute",
    "digital bot": "digitalbot",
    "digital bots": "digitalbot",
    "chat bot": "digitalbot",
    "chat bots": "digitalbot",
    "predictive routing": "predictiverouting",
    "predictive engagement": "predictiveengagement",
    "ai scoring": "aiscoring",
    "auto scoring": "aiscoring",
    "automated scoring": "aiscoring",
    "ai translate": "translate",
    "ai translation": "translate",
    "ai summary": "summary",
    "ai summaries": "summary",
    "knowledge fabric": "knowledgefabric",
    "social listening": "sociallistening",
    "social responses": "socialresponse",
    "social response": "socialresponse",
    "social media": "social",
    "whats app": "whatsapp",
    "apple messages": "applemessages",
    "apple business chat": "applemessages",
    "facebook messenger": "messenger",
    "instagram dm": "instagram",
    "fair use": "fairuse",
    "fair usage": "fairuse",
    "carry over": "carryover",
    "carried over": "carryover",
    "roll over": "carryover",
    "rolled over": "carryover",
    "use it or lose it": "carryover",
    "use them or lose them": "carryover",
    "use or lose": "carryover",
    "go over": "overage",
    "goes over": "overage",
    "going over": "overage",
    "went over": "overage",
    "gone over": "overage",
    "run over": "overage",
    "ran over": "overage",
    "over the free": "overage free",
    "over the included": "overage included",
    "over the allocation": "overage allocation",
    "over the allowance": "overage allocation",
    "over our allocation": "overage allocation",
    "over their allocation": "overage allocation",
    "over the limit": "overage",
    "run out": "overage",
    "runs out": "overage",
    "ran out": "overage",
    "running out": "overage",
    "use up": "overage",
    "uses up": "overage",
    "used up": "overage",
    "using up": "overage",
    "left over": "unused",
    "top up": "buy",
    "top ups": "buy",
    "w o": "no",
    "app foundry": "appfoundry",
    "master admin": "masteradmin",
    "peak concurrent": "peakconcurrent",
    "billable usage": "billableusage",
    "concurrent usage": "concurrentusage",
    "resources usage": "resourcesusage",
    "resource usage": "resourcesusage",
    "usage report": "usagereport",
    "usage reports": "usagereport",
    "platform api": "platformapi",
    "public api": "platformapi",
    "end of sale": "endofsale",
    "end of life": "endofsale",
    "large language model": "llm",
    "prompt tokens": "llm token",
    "completion tokens": "llm token",
    "open ai": "openai",
    "chat gpt": "chatgpt",
    "ai experience": "aiexperience",
    "ai exp": "aiexperience",
    "wrap up": "wrapup",
    "topic spotting": "topicspotting",
    "topic detection": "topicspotting",
    "transcription settings": "transcriptionsetting",
    "native voice transcription": "transcription",
    "per month": "month",
    "a month": "month",
    "each month": "month",
    "every month": "month",
    "month end": "monthend",
    "end of month": "monthend",
    "end of the month": "monthend",
    "next year": "nextyear",
    "out of the box": "included",
    "for free": "free",
    "no charge": "free",
    "no cost": "free",
    "double charged": "double charge",
    "charged twice": "double charge",
    "billed twice": "double charge",
    "charged again": "double charge",
    "billed again": "double charge",
    "double billing": "double charge",
    "double billed": "double charge",
    "double counted": "double charge",
    "cx 1": "cx1",
    "cx 2": "cx2",
    "cx 3": "cx3",
    "cx 4": "cx4",
    "gc 1": "cx1",
    "gc 2": "cx2",
    "gc 3": "cx3",
    "gc 4": "cx4",
    "gc1": "cx1",
    "gc2": "cx2",
    "gc3": "cx3",
    "gc4": "cx4",
    "gcx 1": "cx1",
    "gcx 2": "cx2",
    "gcx 3": "cx3",
    "gcx 4": "cx4",
}

# Single words folded into their concept token (acronyms, spellings, inflections people use).
WORDS: dict[str, str] = {
    "gcx1": "cx1",
    "gcx2": "cx2",
    "gcx3": "cx3",
    "gcx4": "cx4",
    "analitics": "analytics",
    "speechanalytics": "sta",
    "copilots": "copilot",
    "co-pilot": "copilot",
    "vbot": "voicebot",
    "vbots": "voicebot",
    "voicebots": "voicebot",
    "ivr": "voicebot",
    "chatbot": "digitalbot",
    "chatbots": "digitalbot",
    "digitalbots": "digitalbot",
    "vas": "va",
    "avas": "ava",
    "agentic": "ava",
    "wa": "whatsapp",
    "fb": "messenger",
    "facebook": "messenger",
    "ig": "instagram",
    "dm": "message",
    "dms": "message",
    "sms": "message",
    "msg": "message",
    "msgs": "message",
    "pr": "predictiverouting",
    "pe": "predictiveengagement",
    "tokenization": "token",
    "tokenisation": "token",
    "tokenised": "token",
    "tokenized": "token",
    "tokns": "token",
    "toks": "token",
    "tok": "token",
    "translation": "translate",
    "translations": "translate",
    "translating": "translate",
    "translated": "translate",
    "summaries": "summary",
    "summarized": "summary",
    "summarised": "summary",
    "summarize": "summary",
    "summarise": "summary",
    "summarizes": "summary",
    "summarises": "summary",
    "summarization": "summary",
    "summarisation": "summary",
    "evals": "evaluation",
    "eval": "evaluation",
    "evaluations": "evaluation",
    "qm": "quality",
    "licence": "license",
    "licences": "license",
    "licenses": "license",
    "licensing": "license",
    "licencing": "license",
    "seat": "user",
    "seats": "user",
    "agents": "agent",
    "users": "user",
    "ppl": "user",
    "people": "user",
    "headcount": "user",
    "rollover": "carryover",
    "leftover": "unused",
    "leftovers": "unused",
    "remaining": "unused",
    "carryover": "carryover",
    "carry-over": "carryover",
    "rollovers": "carryover",
    "expire": "expire",
    "expires": "expire",
    "expired": "expire",
    "lapse": "expire",
    "allowance": "allocation",
    "exceed": "overage",
    "exceeds": "overage",
    "exceeded": "overage",
    "exceeding": "overage",
    "beyond": "overage",
    "excess": "overage",
    "overages": "overage",
    "overrun": "overage",
    "overruns": "overage",
    "overspend": "overage",
    "allotment": "allocation",
    "allocations": "allocation",
    "quota": "allocation",
    "entitlement": "allocation",
    "fairuse": "fairuse",
    "chatgpt": "llm",
    "openai": "llm",
    "gpt": "llm",
    "llms": "llm",
    "$": "cost",
    "usd": "cost",
    "dollar": "cost",
    "dollars": "cost",
    "eur": "cost",
    "euro": "cost",
    "euros": "cost",
    "gbp": "cost",
    "price": "cost",
    "prices": "cost",
    "pricing": "cost",
    "priced": "cost",
    "costs": "cost",
    "costing": "cost",
    "expensive": "cost",
    "billed": "charge",
    "billing": "charge",
    "bill": "charge",
    "bills": "charge",
    "billable": "charge",
    "charged": "charge",
    "charges": "charge",
    "charging": "charge",
    "invoiced": "invoice",
    "invoices": "invoice",
    "consume": "consume",
    "consumes": "consume",
    "consumed": "consume",
    "consuming": "consume",
    "consumming": "consume",
    "consumption": "consume",
    "comsumption": "consume",
    "burn": "consume",
    "burns": "consume",
    "burning": "consume",
    "burned": "consume",
    "burnt": "consume",
    "eat": "consume",
    "eats": "consume",
    "eating": "consume",
    "draw": "consume",
    "use": "consume",
    "uses": "consume",
    "used": "consume",
    "using": "consume",
    "usage": "consume",
    "utilisation": "utilization",
    "utilization": "utilization",
    "utilized": "utilization",
    "deducted": "consume",
    "deduct": "consume",
    "permissions": "permission",
    "permision": "permission",
    "permisions": "permission",
    "perm": "permission",
    "perms": "permission",
    "roles": "role",
    "minutes": "minute",
    "mins": "minute",
    "min": "minute",
    "hours": "hour",
    "hrs": "hour",
    "sessions": "session",
    "conversations": "interaction",
    "conversation": "interaction",
    "interactions": "interaction",
    "calls": "interaction",
    "call": "interaction",
    "chats": "interaction",
    "messages": "message",
    "posts": "post",
    "months": "month",
    "monthly": "month",
    "mo": "month",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "years": "year",
    "daily": "day",
    "days": "day",
    "reports": "report",
    "apis": "api",
    "endpoint": "api",
    "endpoints": "api",
    "rates": "rate",
    "purchase": "buy",
    "purchasing": "buy",
    "order": "buy",
    "ordering": "buy",
    "acquire": "buy",
    "topup": "buy",
    "top-up": "buy",
    "peaks": "peak",
    "spike": "peak",
    "spikes": "peak",
    "seasonal": "season",
    "seasonality": "season",
    "holiday": "season",
    "holidays": "season",
    "christmas": "season",
    "estimate": "estimate",
    "estimating": "estimate",
    "sizing": "estimate",
    "estimation": "estimate",
    "forecast": "estimate",
    "forecasting": "estimate",
    "calculator": "estimate",
    "calculate": "estimate",
    "calculating": "estimate",
    "calc": "estimate",
    "project": "estimate",
    "projection": "estimate",
    "reduce": "reduce",
    "lower": "reduce",
    "decrease": "reduce",
    "minimise": "reduce",
    "minimize": "reduce",
    "cut": "reduce",
    "save": "reduce",
    "saving": "reduce",
    "optimise": "reduce",
    "optimize": "reduce",
    "optimization": "reduce",
    "optimisation": "reduce",
    "without": "no",
    "none": "no",
    "nothing": "no",
    "twice": "double",
    "duplicate": "double",
    "duplicated": "double",
    "doubled": "double",
    "included": "included",
    "includes": "included",
    "include": "included",
    "inclusive": "included",
    "bundled": "included",
    "free": "free",
    "gratis": "free",
    "complimentary": "free",
}

# Question words that carry intent stay in: "which" asks for a list, "why" for a cause,
# "where" for a place in the product.
STOPWORDS = frozenset(
    """a about after again all also am an and any anything are as at be been being both but
    by can could did do does doing done each else etc even ever for from get gets
    getting got had has have having he her here hey hi him his how i if im in into is
    isnt it its itll ive just kind know let like ll lot lots many me might mine more
    most much must my myself need needs of off oh ok on once one only or other our ours
    out over please pls plz re really right s same say says she should so some someone
    something still such sure t than thank thanks that thats the their them then there
    these they thing things think this those thx to too u uh um up us ve very via want
    wanted wants was way we were what whats when whether while who whom whose will with
    would yeah yes you your yours""".split()
)


def strip_slack_markup(text: str) -> str:
    """Remove mentions and channel/broadcast tokens; keep link labels."""
    text = _SLACK_LINK.sub(lambda m: f" {m.group('label') or ''} ", text)
    return _SLACK_MENTION.sub(" ", text)


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")


def _fold(text: str) -> str:
    if not text.isascii():  # ASCII has no accents to strip (and this runs for every phrasing)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ").replace("'", "")
    # 10,000 is one number; 0.5 stays one token ("0d5") instead of splitting into 0 and 5.
    text = _DECIMAL.sub("d", _THOUSANDS.sub("", text))
    return " ".join(_NON_WORD.sub(" ", text).split())


def _compile_phrases(phrases: dict[str, str]) -> re.Pattern[str]:
    keys = sorted((_fold(key) for key in phrases), key=lambda k: (-len(k), k))
    alternatives = "|".join(re.escape(key) for key in keys)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


_FOLDED_PHRASES = {_fold(key): value for key, value in PHRASES.items()}
_PHRASE_PATTERN = _compile_phrases(PHRASES)


def stem(word: str) -> str:
    """A light, predictable English stemmer: plural and a few verb endings."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    return word


def fold(text: str) -> str:
    """Lower-case words with markup, URLs and punctuation gone and known phrases folded."""
    folded = _fold(_URL.sub(" ", strip_slack_markup(text)))
    return " ".join(
        _PHRASE_PATTERN.sub(lambda m: f" {_FOLDED_PHRASES[m.group(0)]} ", folded).split()
    )


@lru_cache(maxsize=CONCEPT_CACHE)
def _concept(word: str) -> tuple[str, ...]:
    """The concept tokens one folded word stands for (none for a stop word)."""
    if word in STOPWORDS:
        return ()
    concept = WORDS.get(word)
    if concept is None:
        concept = stem(word)
        concept = WORDS.get(concept, concept)
    return tuple(concept.split())


def concepts(folded: str) -> list[str]:
    """Concept tokens of already folded text (see `fold`): stop words out, words mapped."""
    return list(chain.from_iterable(map(_concept, folded.split())))


def tokenize(text: str) -> list[str]:
    """Concept tokens of a question, in order: markup stripped, phrases folded, stop words out."""
    return concepts(fold(text))


# -- long posts --------------------------------------------------------------------------------

# A sentence ends at . ? or ! followed by a space (not inside "0.5" or "e.g.x") or at a line end.
_SENTENCE = re.compile(r"(?:[^.?!\n]|[.?!]+(?=[^\s.?!]))+[.?!]*")
_QUESTION_WORDS = frozenset(
    """how what why which when where who whom whose is are was were do does did can could will
    would should shall may might has have any anyone anybody someone somebody""".split()
)
# Words a greeting, thanks or sign-off is made of: a sentence of only these carries no question.
_COURTESY = frozenset(
    """hi hello hey dear all team everyone folks guys there good morning afternoon evening
    thanks thank you thx ty in advance a lot so much very many for your the help helps hope this
    cheers regards best kind br warm greetings again ok okay please much appreciated
    appreciate it any ideas idea advice input welcome""".split()
)
_COURTESY_OPENERS = ("thanks", "thank", "regards", "cheers", "best", "kind")


def _is_courtesy(words: list[str]) -> bool:
    return all(word in _COURTESY for word in words) or (
        words[0] in _COURTESY_OPENERS and len(words) <= 5
    )


def sentences(text: str) -> list[tuple[str, bool]]:
    """The sentences of a message worth matching, each with whether it asks a question.

    Slack markup, greetings, thanks, sign-offs, hashtags and separator lines are dropped.
    """
    found = []
    for match in _SENTENCE.finditer(strip_slack_markup(text)):
        sentence = " ".join(word for word in match.group(0).split() if not word.startswith("#"))
        words = fold(sentence).split()
        if not any(word.isalpha() for word in words) or _is_courtesy(words):
            continue
        asks = sentence.rstrip().endswith("?") or words[0] in _QUESTION_WORDS
        found.append((sentence.strip(), asks))
    return found


MAX_VIEWS = 6
"""Texts a post is matched on at most (the whole, the questions, each with its context)."""


def views(text: str, max_views: int = MAX_VIEWS) -> list[str]:
    """The texts a message is matched on, the whole message (greetings and thanks dropped) first.

    A one-sentence message is matched as it is. A post of several sentences (greetings, context,
    thanks) is also matched on its question sentences together, on each question alone and on
    each with the sentence before it, so that "How can I find it?" keeps its context and a post
    asking several things is answered on the one the knowledge base knows best.
    """
    kept = sentences(text)
    if len(kept) < 2:
        return [text]
    found = [" ".join(sentence for sentence, _ in kept)]
    asked = [position for position, (_, asks) in enumerate(kept) if asks]
    if len(asked) > 1:
        found.append(" ".join(kept[position][0] for position in asked))
    for position in asked:
        found.append(kept[position][0])
        if position and not kept[position - 1][1]:
            found.append(f"{kept[position - 1][0]} {kept[position][0]}")
    return list(dict.fromkeys(found))[:max_views]
