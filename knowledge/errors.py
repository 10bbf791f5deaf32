"""The knowledge package's error tree. Every message is safe to show a user as it is."""


class KnowledgeError(Exception):
    """Base class: the knowledge base or a rate card cannot be loaded or used."""

    @property
    def message(self) -> str:
        return str(self)


class LoadError(KnowledgeError):
    """A data file is missing, unreadable or invalid; the message names the file and field."""
