"""`exchange-assistant partners ...`: create, list, rotate, revoke and import partners, directly
on the database (the operator runs it on the server, so no admin token is involved)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.partners.store import DEFAULT_RPM, Partner, PartnerStore


def _store(args: argparse.Namespace) -> PartnerStore:
    from assistant.components import build_sql_stores
    from assistant.settings import load_settings

    settings = load_settings(args)
    return build_sql_stores(settings).partners


def _describe(partner: Partner) -> str:
    state = f"revoked {partner.revoked_at:%Y-%m-%d %H:%M}" if partner.revoked_at else "active"
    sources = ", ".join(partner.sources) or "all sources"
    return (
        f"{partner.name}  [{state}]  key={partner.key}\n"
        f"    origins: {', '.join(partner.origins)}\n    sources: {sources}  rpm: {partner.rpm}"
    )


def embed_snippet(api_url: str, key: str) -> str:
    """The one line a partner pastes into its page."""
    return f'<script src="{api_url.rstrip("/")}/widget.js" data-partner="{key}" defer></script>'


def cmd_create(args: argparse.Namespace) -> int:
    from assistant.settings import load_settings

    settings = load_settings(args)
    partner = _store(args).create(
        args.name, args.origin, args.sources or [], rpm=args.rpm, greeting=args.greeting
    )
    api_url = args.api_url or f"http://{settings.host}:{settings.port}"
    print(partner.key)
    print(f"\nPaste this line into the partner's pages ({', '.join(partner.origins)}):")
    print(embed_snippet(api_url, partner.key))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    partners = _store(args).list()
    if args.json:
        print(json.dumps([p.to_dict() for p in partners], indent=2, ensure_ascii=False))
    elif not partners:
        print("no partners")
    for partner in [] if args.json else partners:
        print(_describe(partner))
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    print(_store(args).rotate(args.name).key)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    partner = _store(args).revoke(args.name)
    print(f"revoked {partner.name}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    created = _store(args).import_file(args.file)
    for partner in created:
        print(f"{partner.name}\t{partner.key}")
    print(f"{len(created)} partner(s) created")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "partners", parents=[common], help="manage the partner sites embedding the widget"
    )
    sub = p.add_subparsers(dest="partners_command", required=True)

    c = sub.add_parser(
        "create", parents=[common], help="create a partner; print its key and the <script> line to paste"
    )
    c.add_argument("name", help="a short unique name for the partner site")
    c.add_argument(
        "--origin", action="append", required=True, help="allowed origin, scheme://host[:port] (repeatable)"
    )
    c.add_argument(
        "--sources",
        nargs="+",
        metavar="PATTERN",
        help="only documents whose id or source matches one of these globs (default: all)",
    )
    c.add_argument(
        "--rpm", type=int, default=DEFAULT_RPM, help=f"requests per minute (default {DEFAULT_RPM})"
    )
    c.add_argument("--greeting", help="optional greeting text")
    c.add_argument(
        "--api-url",
        help="public address of this server, used in the printed <script> line "
        "(default http://EXCHANGE_ASSISTANT_HOST:EXCHANGE_ASSISTANT_PORT)",
    )
    c.set_defaults(handler=cmd_create)

    c = sub.add_parser("list", parents=[common], help="list partners")
    c.add_argument("--json", action="store_true", help="print the partners as JSON")
    c.set_defaults(handler=cmd_list)

    c = sub.add_parser("rotate", parents=[common], help="issue a new key (the old one stops working)")
    c.add_argument("name", help="the partner's name")
    c.set_defaults(handler=cmd_rotate)

    c = sub.add_parser("revoke", parents=[common], help="revoke a partner's key")
    c.add_argument("name", help="the partner's name")
    c.set_defaults(handler=cmd_revoke)

    c = sub.add_parser("import", parents=[common], help="create partners from a JSON file")
    c.add_argument("file", type=Path, help="a JSON list of partners (name, origins, sources, rpm, greeting)")
    c.set_defaults(handler=cmd_import)
