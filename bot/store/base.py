"""The `Store` interface both backends implement, the rows it returns, and what they share.

`Store` is an abstract base class: every public method the app uses is declared here, with the
contract its implementations keep (`sqlite.SqliteStore`, `postgres.PostgresStore`). A backend
that lacks one cannot be instantiated, and `tests/bot/store/test_interface.py` checks that no
backend has a public method the interface does not declare, so the two cannot drift apart.
The behaviour itself is specified once, by `tests/bot/store/test_contract.py`, which runs on both.

Migrations are numbered SQL scripts, one folder per dialect (`migrations/sqlite/`,
`migrations/postgresql/`); both folders hold the same versions (see `migrations/README.md`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar, Literal

from bot.errors import StorageError

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Estimate references avoid 0/O and 1/I, which people misread when copying."""
REFERENCE_LENGTH = 8
"""8 symbols of 32 = 40 random bits: a guess finds one of a million stored estimates with a
chance of about one in a million."""
LEGACY_REFERENCE_LENGTH = 4
"""References made before version 3 (`E-7K2Q`) are still looked up."""
REFERENCE = re.compile(
    rf"^E-(?:[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"
    rf"|[{REFERENCE_ALPHABET}]{{{LEGACY_REFERENCE_LENGTH}}})$"
)
BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another connection's lock before `StorageBusyError`."""
DEFAULT_RETENTION = dt.timedelta(days=365)
EVENT_RETENTION = dt.timedelta(days=7)
"""Slack retries an event within minutes; a week of ids is plenty to drop every retry."""
EVENT_CLAIM_TIMEOUT = dt.timedelta(minutes=2)
"""A claim on an event older than this, never finished nor released (its process died while
delivering), may be taken over by Slack's next retry."""
FORWARD_CLAIM_TIMEOUT = dt.timedelta(minutes=2)
"""A forward claimed but never posted nor released (its process died while posting) may be
claimed again by the next click after this long."""
RELAY_INTERVAL = dt.timedelta(minutes=1)
"""At most one relay of the experts' replies to the asker per forwarded question this often."""
SIGNATURE_RETENTION = dt.timedelta(minutes=6)
"""Slack's signature window is 5 minutes either way; a signature older than that (plus a
minute of clock slack) is refused as stale anyway, so it need not be remembered."""
REFERENCE_ATTEMPTS = 20

Backend = Literal["sqlite", "postgresql"]
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""`TOKENBOT_DB` values starting so name a PostgreSQL database; anything else is a sqlite path."""

COPIED_TABLES: dict[str, tuple[str, ...]] = {
    "estimates": (
        "id",
        "reference",
        "user_id",
        "channel_id",
        "input",
        "result",
        "card",
        "created_at",
    ),
    "questions": (
        "id",
        "text",
        "entry_id",
        "score",
        "answered",
        "user_id",
        "channel_id",
        "created_at",
        "thread_ts",
    ),
    "feedback": (
        "id",
        "entry_id",
        "question",
        "helpful",
        "user_id",
        "created_at",
        "question_id",
    ),
    "events": ("event_id", "seen_at", "finished_at"),
    "signatures": ("request_ts", "signature"),
    "forwards": (
        "id",
        "question_id",
        "forwarded_by",
        "experts_channel",
        "experts_ts",
        "created_at",
        "last_relay_at",
    ),
    "expert_replies": (
        "id",
        "forward_id",
        "expert_id",
        "text",
        "ts",
        "created_at",
        "relayed_at",
    ),
}
"""Every table and column of the latest schema, in the order `tokenbot db copy` fills them
(questions before the votes that point at them). A migration that adds a table or a column
adds it here too; a test compares this with both backends' schemas."""
KEYS: dict[str, tuple[str, ...]] = {
    "estimates": ("id",),
    "questions": ("id",),
    "feedback": ("id",),
    "events": ("event_id",),
    "signatures": ("request_ts", "signature"),
    "forwards": ("id",),
    "expert_replies": ("id",),
}
"""The primary key of each copied table: `Store.rows` gives the rows in this order."""
TIMES = frozenset({"created_at", "seen_at", "finished_at", "last_relay_at", "relayed_at"})
"""Columns holding a moment: aware `datetime`s (UTC) in the rows `Store.rows` gives."""
FLAGS = frozenset({"answered", "helpful"})
"""Columns holding a yes/no: `bool` in the rows `Store.rows` gives."""

Clock = Callable[[], dt.datetime]
Row = dict[str, Any]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def random_reference() -> str:
    """`E-` and eight characters from `REFERENCE_ALPHABET`, e.g. `E-7K2QM9TX`."""
    return "E-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def backend_of(target: str) -> Backend:
    """Which backend a `TOKENBOT_DB` value names."""
    return "postgresql" if target.lower().startswith(POSTGRES_SCHEMES) else "sqlite"


_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations(dialect: Backend) -> list[tuple[int, str]]:
    """(version, SQL script) for every file in `migrations/<dialect>/`, in version order."""
    folder = resources.files("bot.store").joinpath("migrations", dialect)
    found: list[tuple[int, str]] = []
    for item in folder.iterdir():
        match = _MIGRATION.match(item.name)
        if match:
            found.append((int(match.group(1)), item.read_text(encoding="utf-8")))
    found.sort()
    for position, (version, _) in enumerate(found, start=1):
        if version != position:
            raise RuntimeError(
                f"bot/store/migrations/{dialect}: expected version {position:03d}, "
                f"found {version:03d}"
            )
    return found


def statements(script: str) -> list[str]:
    """Split a migration script into statements (no triggers or functions: `;` ends each)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def check_schema(
    path: str,
    current: int,
    latest: int,
    found: frozenset[str],
    expected: frozenset[str],
    *,
    foreign: str,
    elsewhere: str,
) -> None:
    """`StorageError` unless a database at schema `current` holds exactly the `expected` tables.

    A newer schema, another application's tables or a missing table is refused before anything
    is written. `foreign` says what to do about another application's database, `elsewhere`
    names the backend's other place ("another file", "another database").
    """
    if current > latest:
        raise StorageError(
            f"the database {path} has schema version {current}, newer than this "
            f"tokenbot knows ({latest}): upgrade tokenbot, or point TOKENBOT_DB elsewhere"
        )
    if found - expected:
        raise StorageError(
            f"the database {path} is not a tokenbot database (it has tables "
            f"tokenbot does not know: {', '.join(sorted(found - expected))}); it was left "
            f"untouched: {foreign}"
        )
    if expected - found:
        raise StorageError(
            f"the database {path} is damaged: schema version {current} lacks the "
            f"tables {', '.join(sorted(expected - found))}; it was left untouched: restore "
            f"it from a backup or point TOKENBOT_DB at {elsewhere}"
        )


FORWARDS_QUERY = (
    "SELECT f.*, q.text AS question, q.entry_id, q.score, q.user_id AS asker_id, "
    "q.channel_id, q.thread_ts FROM forwards f JOIN questions q ON q.id = f.question_id"
)
"""A forwarded question with its question's columns; each backend adds its WHERE clause."""


def refuse_if_held(path: str, held: Mapping[str, int]) -> None:
    """`StorageError` unless every table is empty: a copy never mixes with existing rows."""
    full = {table: count for table, count in held.items() if count}
    if full:
        counts = ", ".join(f"{table}: {count}" for table, count in full.items())
        raise StorageError(
            f"the database {path} is not empty ({counts} rows): tokenbot db copy only "
            "fills an empty database; point it at a new one"
        )


def to_second(moment: dt.datetime) -> dt.datetime:
    """A moment as stored: in UTC, to the second (both backends keep the same precision)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class StoredEstimate:
    reference: str
    user_id: str
    channel_id: str
    input: str
    result: dict[str, Any]
    card: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredQuestion:
    id: int
    text: str | None
    """None once purged after the retention period."""
    entry_id: str | None
    score: float
    answered: bool
    user_id: str
    channel_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredVote:
    """One user's feedback on an entry (`question` is None once purged, '' when not asked)."""

    entry_id: str
    question: str | None
    helpful: bool
    user_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Activity:
    """A question asked or an estimate made: who and when, for the usage report."""

    kind: str  # "question" or "estimate"
    user_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredReply:
    """One expert's reply in the thread of a forwarded question."""

    id: int
    expert_id: str
    text: str | None
    """None once purged after the retention period."""
    ts: str
    created_at: dt.datetime
    relayed_at: dt.datetime | None
    """None while the reply waits to be relayed to the asker."""


@dataclass(frozen=True)
class StoredForward:
    """A question forwarded to the experts' channel with the replies so far: a draft entry.

    Who asked, where and what the matcher made of it are those of the logged question.
    """

    id: int
    question_id: int
    question: str | None
    """None once the question's text was purged after the retention period."""
    entry_id: str | None
    score: float
    asker_id: str
    channel_id: str
    thread_ts: str | None
    """The thread the question was answered in; None for a `/tokens` question (ephemeral)."""
    forwarded_by: str | None
    experts_channel: str
    experts_ts: str | None
    """The post in the experts' channel (its thread); None while it is being posted."""
    created_at: dt.datetime
    replies: tuple[StoredReply, ...] = ()


@dataclass(frozen=True)
class ForwardClaim:
    """What `Store.claim_forward` found: the forward, and whether this caller is to post it."""

    forward: StoredForward
    claimed: bool
    """True for exactly one caller; False when it was posted, or another caller is posting."""


@dataclass(frozen=True)
class RelayClaim:
    """What `Store.claim_relay` found: replies to relay now, or when the next relay may go."""

    replies: tuple[StoredReply, ...] = ()
    """Claimed by this caller: relay them, then `finish_relay` (or `release_relay`)."""
    previous: dt.datetime | None = None
    """When the relay before this one was claimed (what `release_relay` restores)."""
    wait_until: dt.datetime | None = None
    """Replies are queued but the last relay was less than `RELAY_INTERVAL` ago: try then."""


@dataclass(frozen=True)
class Purged:
    """What `Store.purge` removed."""

    question_texts: int
    feedback_texts: int
    events: int
    reply_texts: int = 0
    """Texts of experts' replies (the drafts) past the retention period."""


@dataclass(frozen=True)
class Forgotten:
    """What `Store.forget` removed for one user."""

    estimates: int
    questions: int
    feedback: int
    others_votes: int = 0
    """Votes by other users on this user's answers whose question text was removed."""
    forwards: int = 0
    """This user's questions forwarded to the experts (with the replies to them)."""
    expert_replies: int = 0
    """Replies this user wrote, as an expert, to other users' forwarded questions."""


class Store(ABC):
    """The bot's database, whichever backend holds it. Close it when done (or use `with`).

    Opening raises `StorageError` when the target cannot be used as a tokenbot database (not
    ours, damaged, too new, unreachable); later reads and writes raise `StorageUnavailableError`
    (whose message names no file or server, so that Slack can show it) when the database
    refuses or is away. The first such failure is logged once, and so is the recovery. Errors
    of the code itself (a closed store, a broken constraint) pass through unchanged.

    Questions forwarded to the experts' channel (`claim_forward` ...) and the experts' replies
    in its threads (`record_expert_reply`, relayed to the asker through `claim_relay`) are the
    draft entries `tokenbot kb drafts` lists.

    Privacy: `purge()` deletes question texts and experts' reply texts older than the retention
    period (the rest of each row stays for usage counts), processed event ids older than
    `EVENT_RETENTION` and request signatures older than `SIGNATURE_RETENTION`; `forget()`
    removes every row of one user, their question texts from other users' votes, their
    forwarded questions and the replies they wrote as an expert.
    """

    backend: ClassVar[Backend]
    path: str
    """Where the data is, safe to print: a file path, or a PostgreSQL URL without password."""
    found_version: int | None
    """The schema version the database had when this store opened it (before migrating), or
    None when it was opened without checking (`lazy`)."""

    # -- lifecycle ---------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    @abstractmethod
    def version(self) -> int:
        """The schema version of the database now."""

    @abstractmethod
    def check_integrity(self) -> None:
        """Read the whole database once; `StorageError` naming it if anything is damaged.

        `tokenbot serve` calls this once at start-up, to turn damage into one line there
        instead of errors while answering.
        """

    @abstractmethod
    def ping(self) -> None:
        """Raise `StorageUnavailableError` unless the database answers now (readiness)."""

    # -- events ------------------------------------------------------------------------------

    @abstractmethod
    def claim_event(self, event_id: str) -> bool:
        """Take the delivery of a Slack event's answer; True for exactly one caller at a time.

        False when the answer was already delivered (`finish_event`), or while another caller
        (in any process, on any host) holds the claim. A claim neither finished nor released
        within `EVENT_CLAIM_TIMEOUT` (its process died) may be taken again.
        """

    @abstractmethod
    def finish_event(self, event_id: str) -> None:
        """The claimed event's answer was delivered: every later retry is dropped."""

    @abstractmethod
    def release_event(self, event_id: str) -> None:
        """The claimed event's answer could not be delivered: Slack's retry may try again."""

    # -- signed requests ---------------------------------------------------------------------

    @abstractmethod
    def claim_signature(self, timestamp: int, signature: str) -> bool:
        """Record a signed request; False when this (timestamp, signature) was already seen.

        Slack's signatures carry no nonce, so an exact replay within the 5-minute window would
        otherwise pass verification. Pairs older than `SIGNATURE_RETENTION` are forgotten. This
        runs inside every acknowledgement, so it does not wait for the disk: a power cut may
        forget the last pairs, which matter for 5 minutes only.
        """

    # -- estimates ---------------------------------------------------------------------------

    @abstractmethod
    def save_estimate(
        self,
        *,
        user_id: str,
        channel_id: str,
        input_text: str,
        card: str,
        result_for: Callable[[str], dict[str, Any]],
    ) -> str:
        """Store an estimate under a new unique reference and return the reference.

        `result_for(reference)` builds the JSON to store, so the result can quote its
        reference. The estimate is committed (durable) when this returns.
        """

    @abstractmethod
    def get_estimate(self, reference: str) -> StoredEstimate | None:
        """The estimate stored under `reference` (any case), or None."""

    @abstractmethod
    def recent_estimates(self, user_id: str, limit: int = 5) -> list[StoredEstimate]:
        """The user's latest estimates, newest first."""

    # -- questions and feedback --------------------------------------------------------------

    @abstractmethod
    def record_question(
        self,
        *,
        text: str,
        entry_id: str | None,
        score: float,
        user_id: str,
        channel_id: str,
        thread_ts: str | None = None,
    ) -> int:
        """Log a question and what the matcher made of it; returns its id.

        `thread_ts`: the thread the question was asked and answered in (mentions and DMs).
        """

    @abstractmethod
    def thread_question(self, channel_id: str, thread_ts: str) -> str | None:
        """The question a thread started with (any process recorded it), if its text is kept."""

    @abstractmethod
    def get_question(self, question_id: int) -> StoredQuestion | None: ...

    @abstractmethod
    def questions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredQuestion]:
        """Logged questions asked in [since, until), oldest first (every one by default)."""

    @abstractmethod
    def record_feedback(
        self,
        *,
        entry_id: str,
        question: str,
        helpful: bool,
        user_id: str,
        question_id: int | None = None,
    ) -> None:
        """Store a click; the same user's later click on the same answer replaces it.

        `question_id` is the question the answer was given to (whoever asked it), so that
        forgetting the asker also removes their text from this vote.
        """

    @abstractmethod
    def feedback(self, entry_id: str) -> list[tuple[str, bool]]:
        """(user id, helpful) for every vote on an entry, in the order first cast."""

    @abstractmethod
    def votes(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredVote]:
        """Every feedback vote cast in [since, until), in the order first cast."""

    # -- reports and privacy -----------------------------------------------------------------

    @abstractmethod
    def activity(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Activity]:
        """Questions and estimates in [since, until): kind, user and time, oldest first."""

    @abstractmethod
    def purge(self, now: dt.datetime | None = None) -> Purged:
        """Delete question and reply texts older than the retention period, and old event ids.

        A forwarded question's text is its logged question's, so it goes with it.
        """

    @abstractmethod
    def forget(self, user_id: str) -> Forgotten:
        """Delete every estimate, question and vote of one user, and their question texts.

        Other users' votes on this user's answers keep the vote but lose the question text
        (matched by question id, or by text for votes recorded before version 3). Their
        forwarded questions go with the replies to them, and so do the replies they wrote as an
        expert; a forward they only clicked for someone else keeps no trace of them. One
        transaction.
        """

    # -- questions forwarded to the experts, and their replies -------------------------------

    @abstractmethod
    def claim_forward(
        self, question_id: int, *, forwarded_by: str, experts_channel: str
    ) -> ForwardClaim | None:
        """Take the posting of a logged question to the experts' channel; once per question.

        `claimed` is True for exactly one caller (in any process): the first, or the next one
        after a claim that was neither posted nor released within `FORWARD_CLAIM_TIMEOUT`.
        None when the question is not stored, or its text was purged.
        """

    @abstractmethod
    def forward_posted(self, forward_id: int, experts_ts: str) -> None:
        """The claimed forward was posted: replies in the thread `experts_ts` belong to it."""

    @abstractmethod
    def release_forward(self, forward_id: int) -> None:
        """The claimed forward could not be posted: the next click may try again."""

    @abstractmethod
    def get_forward(self, forward_id: int) -> StoredForward | None:
        """A forward with its replies, oldest first."""

    @abstractmethod
    def forward_in_thread(self, experts_channel: str, thread_ts: str) -> StoredForward | None:
        """The forward whose post in the experts' channel starts the thread `thread_ts`."""

    @abstractmethod
    def record_expert_reply(self, forward_id: int, *, expert_id: str, text: str, ts: str) -> bool:
        """Keep a reply in a forward's thread, queued for the asker; False if already kept.

        `ts` is the reply's Slack timestamp: Slack's retry of the same message repeats it.
        """

    @abstractmethod
    def claim_relay(self, forward_id: int, interval: dt.timedelta = RELAY_INTERVAL) -> RelayClaim:
        """Take the queued replies of a forward to relay them together, at most once per
        `interval` (in any process: the previous claim time is compared and set at once).

        Returns the replies to relay (then call `finish_relay`, or `release_relay` if sending
        failed); or none, with `wait_until` when replies are queued but the last relay was
        less than `interval` ago.
        """

    @abstractmethod
    def finish_relay(self, reply_ids: list[int]) -> None:
        """The claimed replies reached the asker."""

    @abstractmethod
    def release_relay(self, forward_id: int, previous: dt.datetime | None) -> None:
        """The claimed relay could not be sent: its replies stay queued for the next one."""

    @abstractmethod
    def queued_relays(self) -> list[int]:
        """Ids of the forwards with replies waiting to be relayed, oldest reply first."""

    @abstractmethod
    def drafts(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredForward]:
        """Questions posted to the experts in [since, until), with every reply: oldest first."""

    # -- moving house ------------------------------------------------------------------------

    @abstractmethod
    def rows(self, table: str) -> Iterator[Row]:
        """Every row of one of `COPIED_TABLES`, in key order, as plain values.

        Moments are aware `datetime`s in UTC (`TIMES`), yes/no columns `bool` (`FLAGS`), an
        estimate's `result` its JSON text exactly as stored.
        """

    @abstractmethod
    def load(self, tables: Mapping[str, Iterable[Row]]) -> dict[str, int]:
        """Insert rows (as `rows` gives them, ids kept) into this empty database, in one
        transaction; returns the count per table.

        Raises `StorageError` naming the tables that already hold rows: a copy never mixes
        with existing data. Later inserts continue after the highest id copied.
        """
