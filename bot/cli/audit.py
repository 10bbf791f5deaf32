"""`tokenbot audit sta|copilot --org NAME [--all-roles]`: which roles of an org bill STA or
Copilot tokens, beside the licences Genesys infers for them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.genesys.audit import audit_org
from bot.genesys.orgs import ORGS_VARIABLE, load_orgs, orgs_path_from_env
from bot.text.audit import audit_text, disagreement, notes, ticket_text, tokens_line
from calculators.audit import Addon, AuditResult
from calculators.errors import CalculatorError
from calculators.grammar import DEFAULT_CARD, choose_card
from calculators.ratecard import Licence
from knowledge.loader import load_cards

EXIT_OK = 0
EXIT_ERROR = 1


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `audit` sub-command."""
    parser = commands.add_parser(
        "audit",
        help="which roles of an org bill STA or Copilot tokens, e.g. audit sta --org acme",
        description=(
            "Read an org's roles through the Genesys Cloud Platform API (read-only) and list "
            "those that grant a token-billed permission, their users, the distinct billable "
            "users and the tokens they imply, each beside the licences Genesys infers for the "
            "role (POST /api/v2/license/infer), with every disagreement named. Orgs are "
            f"configured in the file named by {ORGS_VARIABLE}."
        ),
    )
    parser.add_argument("addon", choices=[a.value for a in Addon], help="the add-on to audit")
    parser.add_argument("--org", default=None, help="org name from the orgs file")
    parser.add_argument(
        "--licence",
        choices=[licence.value for licence in Licence],
        default=None,
        help="the org's licence model (default: the orgs file's, else named)",
    )
    parser.add_argument(
        "--all-roles",
        action="store_true",
        help="ask Genesys' licence inference about every role, not only the billable ones",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--card", default=DEFAULT_CARD, help="rate card (default: list)")
    parser.add_argument(
        "--orgs", type=Path, default=None, help=f"orgs file (default: ${ORGS_VARIABLE})"
    )
    parser.set_defaults(run=run_audit)


def _progress(message: str) -> None:
    print(f"tokenbot audit: {message}", file=sys.stderr, flush=True)


def run_audit(args: argparse.Namespace) -> int:
    try:
        card = choose_card(args.card, load_cards())
        org = load_orgs(args.orgs or orgs_path_from_env(os.environ)).get(args.org)
        result = audit_org(
            org,
            Addon(args.addon),
            card,
            os.environ,
            licence=None if args.licence is None else Licence(args.licence),
            progress=_progress,
            all_roles=args.all_roles,
        )
    except (BotError, CalculatorError) as exc:
        print(f"tokenbot: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    print(
        json.dumps(audit_json(result, org.name), indent=2)
        if args.json
        else audit_text(result, org.name)
    )
    return EXIT_OK


def audit_json(result: AuditResult, org: str) -> dict[str, Any]:
    """The audit for scripts: every role with its users and Genesys' inferred licences, the
    totals, the disagreements, the notes, the ticket."""
    data: dict[str, Any] = {"org": org, **result.model_dump(mode="json")}
    data["distinct_users"] = result.distinct_users
    data["tokens_line"] = tokens_line(result)
    data["disagreements"] = [
        {"role": role.id, "agreement": role.agreement.value, "text": disagreement(result, role)}
        for role in result.disagreements
    ]
    data["notes"] = notes(result)
    data["ticket"] = ticket_text(result, org)
    for key in ("roles", "inferred_only"):
        for role, dumped in zip(getattr(result, key), data[key], strict=True):
            dumped["user_count"] = role.user_count
    return data
