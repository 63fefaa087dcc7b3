"""`exchange-assistant slack` (Socket Mode runner) and `exchange-assistant feedback export`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli import GENERATOR_HELP
from assistant.errors import InvalidInputError
from assistant.settings import GENERATORS


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "slack",
        parents=[common],
        help="run the Slack bot over Socket Mode (needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN)",
    )
    p.add_argument("--generator", choices=GENERATORS, help=GENERATOR_HELP)
    p.set_defaults(handler=cmd_slack)

    p = subparsers.add_parser("feedback", parents=[common], help="feedback given on answers")
    feedback_sub = p.add_subparsers(dest="feedback_command", required=True)
    e = feedback_sub.add_parser(
        "export", parents=[common], help="write feedback as draft eval cases (JSON Lines)"
    )
    e.add_argument("--out", type=Path, help="file to write (default: stdout)")
    e.set_defaults(handler=cmd_feedback_export)


def build_slack_app(settings: Any, assistant: Any, feedback: Any = None) -> Any:
    """The Bolt app from settings (shared by `slack` and `serve`, which passes its own store)."""
    from assistant.components import build_sql_stores
    from assistant.slack.app import create_slack_app, load_channel_scopes

    if settings.slack_bot_token is None:
        raise InvalidInputError("SLACK_BOT_TOKEN: not set (the bot token, xoxb-...)")
    scopes = load_channel_scopes(settings.slack_channel_scopes) if settings.slack_channel_scopes else None
    secret = settings.slack_signing_secret
    return create_slack_app(
        assistant,
        feedback or build_sql_stores(settings).feedback,
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=secret.get_secret_value() if secret is not None else None,
        api_url=settings.slack_api_url,
        channel_scopes=scopes,
        contact=settings.help_contact,
    )


def cmd_slack(args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from assistant.cli import load_settings
    from assistant.components import build_assistant

    settings = load_settings(args)
    if settings.slack_bot_token is None:
        raise InvalidInputError("SLACK_BOT_TOKEN: not set (the bot token, xoxb-...)")
    if settings.slack_app_token is None:
        raise InvalidInputError(
            "SLACK_APP_TOKEN: not set (the app-level token, xapp-..., with connections:write)"
        )
    assistant = build_assistant(settings)
    assistant.retriever.snapshot()  # fail now, with the ingest hint, rather than on the first question
    app = build_slack_app(settings, assistant)
    sys.stderr.write("Slack bot connecting over Socket Mode; Ctrl-C to stop\n")
    SocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]  # slack_sdk: start() is not annotated
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.cli import load_settings
    from assistant.components import build_sql_stores

    settings = load_settings(args)
    store = build_sql_stores(settings).feedback
    lines = [json.dumps(case, ensure_ascii=False) + "\n" for case in store.export_cases()]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(lines), encoding="utf-8")
        sys.stderr.write(f"wrote {len(lines)} draft cases to {args.out}\n")
    else:
        sys.stdout.writelines(lines)
    return 0
