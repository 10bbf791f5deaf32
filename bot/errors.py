"""The bot's error tree. Every message is safe to show a user (or an operator) as it is."""


class BotError(Exception):
    """Base class: a request to the bot cannot be served as asked."""

    @property
    def message(self) -> str:
        return str(self)


class SettingsError(BotError):
    """A setting is missing or malformed; the message names the variable, never its value."""


class UsageError(BotError):
    """A `/tokens` sub-command was typed in a shape it does not accept."""


class StorageError(BotError):
    """The database file cannot be used (unreadable, damaged, too new); the message names it."""


class StorageUnavailableError(StorageError):
    """A read or write failed while running (disk full, read-only, locked, removed, damaged).

    The message names no file, so that it can be shown in Slack; `path` is for operators.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class StorageBusyError(StorageUnavailableError):
    """Another connection held the database's write lock for longer than the busy timeout."""


class NotAllowedError(BotError):
    """The command is for the admins listed in TOKENBOT_ADMINS only."""


class UnknownReferenceError(BotError):
    """No stored estimate or knowledge-base entry has that reference."""


class StaleActionError(BotError):
    """A button's value can no longer be read (an old or tampered message)."""


class SlackError(BotError):
    """A post to Slack from the command line failed; the message says why and what to do."""
