"""`exchange-assistant slack`: the Slack bot over Socket Mode."""

from __future__ import annotations

import argparse
import sys
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


def cmd_slack(args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from assistant.components import build_assistant, build_slack_app
    from assistant.settings import load_settings

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
