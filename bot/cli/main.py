"""The `tokenbot` command line: one parser, one sub-command module per surface.

Errors from the core packages are shown as one line on stderr with a non-zero exit;
nothing the user types produces a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.errors import BotError, StorageUnavailableError
from calculators.errors import CalculatorError
from knowledge.errors import KnowledgeError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from bot.cli import audit, compare, db, estimate, knowledge, report, serve, stored

    parser = _Parser(
        prog="tokenbot",
        description="Genesys Cloud AI Experience tokens: answers and estimates.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    estimate.register(commands)
    compare.register(commands)
    knowledge.register(commands)
    audit.register(commands)
    serve.register(commands)
    stored.register(commands)
    report.register(commands)
    db.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (CalculatorError, KnowledgeError) as exc:
        print(f"tokenbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StorageUnavailableError as exc:
        print(f"tokenbot: the database {exc.path}: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except BotError as exc:
        print(f"tokenbot: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); that is not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK
    return code
