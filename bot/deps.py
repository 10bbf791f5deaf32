"""What the listeners need besides Slack: knowledge base, index, rate cards, store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from bot.store import BUSY_TIMEOUT_MS, Store, open_store
from calculators.ratecard import RateCard
from knowledge import loader
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index, build_index


@dataclass(frozen=True)
class Deps:
    """Loaded once per process and shared by every listener (read-only but for the store)."""

    kb: KnowledgeBase
    index: Index
    store: Store
    admins: frozenset[str] = frozenset()
    """Slack user ids allowed the admin commands (`TOKENBOT_ADMINS`)."""
    orgs_path: Path | None = None
    """The orgs file `/tokens audit` reads (`TOKENBOT_ORGS`)."""
    experts_channel: str | None = None
    """The channel unanswered questions may be forwarded to (`TOKENBOT_EXPERTS_CHANNEL`)."""

    @property
    def cards(self) -> Mapping[str, RateCard]:
        return self.kb.cards

    @property
    def default_card(self) -> RateCard:
        return self.kb.default_card


def load_knowledge() -> tuple[KnowledgeBase, Index]:
    """The shipped knowledge base and rate cards, and the matcher's index over them."""
    kb = loader.load_knowledge_base()
    return kb, build_index(kb.entries, negatives=kb.negatives)


def build_deps(
    settings: Settings,
    knowledge: tuple[KnowledgeBase, Index] | None = None,
    *,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    lazy: bool = False,
) -> Deps:
    """Load (or reuse) the knowledge base and open the database named in the settings.

    `busy_timeout_ms` bounds how long a write waits for another process's lock; the Slack app
    passes less than the default, because its writes happen inside a 3-second acknowledgement.
    `lazy`: connect to a PostgreSQL database on first use (see `bot.store.open_store`).
    """
    kb, index = knowledge if knowledge is not None else load_knowledge()
    store = open_store(
        settings.db,
        retention=dt.timedelta(days=settings.retention_days),
        busy_timeout_ms=busy_timeout_ms,
        lazy=lazy,
    )
    return Deps(
        kb=kb,
        index=index,
        store=store,
        admins=settings.admins,
        orgs_path=settings.orgs_path,
        experts_channel=settings.experts_channel,
    )
