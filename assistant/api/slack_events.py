"""Slack's HTTP events, interactivity and slash commands at POST /slack/events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

if TYPE_CHECKING:
    from slack_bolt import App as SlackApp


def mount_slack(app: FastAPI, slack_app: SlackApp) -> None:
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    from assistant.slack.health import SlackConnection

    handler = SlackRequestHandler(slack_app)
    connection = SlackConnection(slack_app.client)
    app.state.slack = connection
    connection.start()

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # Bolt verifies the signature (401 if bad or older than 5 minutes) and acknowledges at
        # once; listeners answer afterwards in Bolt's own threads.
        return await handler.handle(request)


