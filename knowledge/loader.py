"""Reading the curated data from disk: the only module in `knowledge/` that does file I/O.

Every failure raises `LoadError` with the file name and the offending field, so a curator
can fix the file without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from calculators.ratecard import RateCard
from knowledge.drafts import unfinished
from knowledge.entries import (
    PLACEHOLDER,
    RATE_CAVEAT,
    Entry,
    LabelledQuestion,
    OutOfScopeSet,
    Template,
    is_rate_key,
    placeholder_keys,
)
from knowledge.errors import LoadError

DATA_DIR = Path(__file__).resolve().parent
FAQ_DIR = DATA_DIR / "faq"
CARDS_DIR = DATA_DIR / "ratecards"
TOPICS_FILE = DATA_DIR / "topics.yml"
OUT_OF_SCOPE_DIR = DATA_DIR / "out_of_scope"
DEFAULT_CARD = "list"

M = TypeVar("M", bound=BaseModel)

# libyaml's parser when PyYAML has it: reading the FAQ drops from ~0.37 s to ~0.03 s at start-up.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<meta>.*?)\n---[ \t]*\n(?P<body>.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Scan:
    """What `scan_entries` found: the entries that loaded, as written, and the problems."""

    entries: tuple[Entry, ...]
    templates: Mapping[str, Template]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """The loaded FAQ entries (in id order), the rate cards they quote, the out-of-scope sets."""

    entries: tuple[Entry, ...]
    cards: Mapping[str, RateCard]
    out_of_scope: tuple[OutOfScopeSet, ...] = ()

    @property
    def negatives(self) -> tuple[str, ...]:
        """Every curated out-of-scope question, set by set in file order."""
        return tuple(question for group in self.out_of_scope for question in group.questions)

    def get(self, entry_id: str) -> Entry | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None

    @property
    def default_card(self) -> RateCard:
        return self.cards[DEFAULT_CARD]


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per problem: `file: field.path: message`."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{path}: {where}: {error['msg']}")
    return "\n".join(lines)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LoadError(f"{path}: cannot read ({exc.strerror})") from None


def _safe_load(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise LoadError(f"{path}:{where}: {problem}") from None


def _parse_yaml(path: Path, text: str) -> dict[str, Any]:
    data = _safe_load(path, text)
    if not isinstance(data, dict):
        raise LoadError(f"{path}: expected a mapping of fields at the top level")
    return data


def _validate(model: type[M], path: Path, data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LoadError(describe_validation_error(path, exc)) from None


def load_card(path: Path) -> RateCard:
    """Load and validate one rate-card YAML file."""
    card = _validate(RateCard, path, _parse_yaml(path, _read_text(path)))
    if card.name != path.stem:
        raise LoadError(f"{path}: name: {card.name!r} must match the file name {path.stem!r}")
    return card


def load_cards(directory: Path = CARDS_DIR) -> dict[str, RateCard]:
    """Load every `*.yml` rate card in `directory`, keyed by card name."""
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        raise LoadError(f"{directory}: no rate cards (*.yml) found")
    cards = {path.stem: load_card(path) for path in paths}
    if DEFAULT_CARD not in cards:
        raise LoadError(f"{directory}: the default card '{DEFAULT_CARD}.yml' is missing")
    return cards


def render_placeholders(path: Path, text: str, values: Mapping[str, str]) -> str:
    """Replace `{{ key }}` (in an answer or summary) with a rate-card value; unknown keys fail."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group("key")
        if key not in values:
            known = ", ".join(sorted(values)[:12])
            raise LoadError(
                f"{path}: answer: unknown rate placeholder {{{{{key}}}}} ({known}, ...)"
            )
        return values[key]

    return PLACEHOLDER.sub(substitute, text)


def _fill(path: Path, template: str, values: Mapping[str, str], separator: str) -> str:
    """The text with its placeholders filled, and the contract caveat when it quotes a rate."""
    text = render_placeholders(path, template, values)
    if any(is_rate_key(key) for key in placeholder_keys(template)):
        text = f"{text.rstrip()}{separator}{RATE_CAVEAT}"
    return text


def read_entry(path: Path, text: str, values: Mapping[str, str]) -> tuple[Entry, Template]:
    """Parse one FAQ file: front matter between `---` lines, then the answer body.

    Returns the entry with its placeholders filled (and the rate caveat added where a rate is
    quoted) and the summary and answer as written, for `kb check`.
    """
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise LoadError(f"{path}: expected YAML front matter between two '---' lines")
    meta = _parse_yaml(path, match.group("meta"))
    still_to_do = unfinished(meta)
    if still_to_do is not None:
        raise LoadError(f"{path}: {still_to_do}")
    if "answer" in meta:
        raise LoadError(f"{path}: answer: the answer is the body after front matter, not a field")
    raw_body = match.group("body").strip()
    raw_summary = meta.get("summary")
    body = _fill(path, raw_body, values, "\n\n") if raw_body else raw_body
    if isinstance(raw_summary, str):
        meta["summary"] = _fill(path, raw_summary.strip(), values, " ")
    entry = _validate(Entry, path, {**meta, "answer": body})
    if entry.id != path.stem:
        raise LoadError(f"{path}: id: {entry.id!r} must match the file name {path.stem!r}")
    return entry, Template(summary=str(raw_summary).strip(), answer=raw_body)


def parse_entry(path: Path, text: str, values: Mapping[str, str]) -> Entry:
    """Parse one FAQ file (see `read_entry`) and return the entry alone."""
    return read_entry(path, text, values)[0]


def scan_entries(directory: Path, values: Mapping[str, str]) -> Scan:
    """Load every `*.md` entry of `directory`, collecting problems instead of stopping.

    Returns the entries that loaded (sorted by id), their text as written, and one message
    per file that did not load.
    """
    paths = sorted(directory.glob("*.md"))
    if not paths:
        return Scan((), {}, (f"{directory}: no FAQ entries (*.md) found",))
    entries: dict[str, Entry] = {}
    templates: dict[str, Template] = {}
    problems: list[str] = []
    for path in paths:
        try:
            entry, template = read_entry(path, _read_text(path), values)
        except LoadError as exc:
            problems.append(str(exc))
            continue
        if entry.id in entries:
            problems.append(f"{path}: id: {entry.id!r} is already used by another entry")
            continue
        entries[entry.id] = entry
        templates[entry.id] = template
    ordered = tuple(entries[key] for key in sorted(entries))
    return Scan(ordered, templates, tuple(problems))


def load_entries(directory: Path, values: Mapping[str, str]) -> tuple[Entry, ...]:
    """Load every `*.md` entry of `directory`, sorted by id; any bad file is a `LoadError`."""
    scan = scan_entries(directory, values)
    if scan.problems:
        raise LoadError("\n".join(scan.problems))
    return scan.entries


def load_topics(path: Path = TOPICS_FILE) -> dict[str, str]:
    """The required topics: entry id -> canonical question (`eval/topics.yml` format)."""
    data = _parse_yaml(path, _read_text(path))
    topics: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise LoadError(f"{path}: {key}: expected `id: question` pairs of text")
        topics[key] = value
    return topics


def load_labelled_questions(path: Path) -> tuple[LabelledQuestion, ...]:
    """Labelled questions (`eval/dev-questions.yml` format): a list of `{q, expect}`."""
    data = yaml_list(path)
    questions: list[LabelledQuestion] = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict) or set(item) != {"q", "expect"}:
            raise LoadError(f"{path}: item {position}: expected {{q: TEXT, expect: ID or null}}")
        text, expect = item["q"], item["expect"]
        if not isinstance(text, str) or not text.strip():
            raise LoadError(f"{path}: item {position}: q: expected the question text")
        if expect is not None and not isinstance(expect, str):
            raise LoadError(f"{path}: item {position}: expect: expected an entry id or null")
        questions.append(LabelledQuestion(text=text, expect=expect))
    return tuple(questions)


def yaml_list(path: Path) -> list[Any]:
    """A YAML file whose top level is a list."""
    data = _safe_load(path, _read_text(path))
    if not isinstance(data, list):
        raise LoadError(f"{path}: expected a list of questions at the top level")
    return data


def scan_out_of_scope(directory: Path) -> tuple[tuple[OutOfScopeSet, ...], tuple[str, ...]]:
    """Load every `*.yml` out-of-scope set of `directory` (none if it does not exist).

    Returns the sets that loaded (sorted by topic) and one message per file that did not.
    """
    sets: list[OutOfScopeSet] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() else ():
        try:
            found = _validate(OutOfScopeSet, path, _parse_yaml(path, _read_text(path)))
        except LoadError as exc:
            problems.append(str(exc))
            continue
        if found.topic != path.stem:
            problems.append(
                f"{path}: topic: {found.topic!r} must match the file name {path.stem!r}"
            )
            continue
        sets.append(found)
    return tuple(sets), tuple(problems)


def load_out_of_scope(directory: Path = OUT_OF_SCOPE_DIR) -> tuple[OutOfScopeSet, ...]:
    """The curated out-of-scope question sets; any bad file is a `LoadError`."""
    sets, problems = scan_out_of_scope(directory)
    if problems:
        raise LoadError("\n".join(problems))
    return sets


def load_knowledge_base(
    faq_dir: Path = FAQ_DIR,
    cards_dir: Path = CARDS_DIR,
    out_of_scope_dir: Path = OUT_OF_SCOPE_DIR,
) -> KnowledgeBase:
    """Load the rate cards, then the FAQ with its rate placeholders filled from the list card,
    then the out-of-scope question sets."""
    cards = load_cards(cards_dir)
    entries = load_entries(faq_dir, cards[DEFAULT_CARD].placeholders())
    return KnowledgeBase(
        entries=entries, cards=cards, out_of_scope=load_out_of_scope(out_of_scope_dir)
    )
