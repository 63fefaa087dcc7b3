"""Bolt app factory: `create_slack_app(...)` builds a `slack_bolt.App` whose listeners serve both
transports (Socket Mode via `exchange-assistant slack`, HTTP at POST /slack/events of the API)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError
from slack_bolt import App
from slack_sdk import WebClient

from assistant.answer.chain import Assistant
from assistant.errors import InvalidInputError
from assistant.models import Filters
from assistant.slack.dedupe import SharedDeliveries
from assistant.slack.formatting import ACTION_DOWN, ACTION_PASSAGE, ACTION_SHARE, ACTION_UP
from assistant.slack.listeners import SlackAnswerer, ignore_retries
from assistant.slack.pending import PostedAnswers
from assistant.storage.feedback import FeedbackStore

COMMAND = "/exchange"


def create_slack_app(
    assistant: Assistant,
    feedback: FeedbackStore,
    *,
    token: str,
    signing_secret: str | None,
    api_url: str,
    channel_scopes: Mapping[str, Filters] | None = None,
    client: WebClient | None = None,
    contact: str | None = None,
) -> App:
    """A Bolt app answering with `assistant`. `signing_secret` verifies HTTP requests (Socket
    Mode needs none); `api_url` is the Web API base URL (Slack's, or a local fake in tests).
    No call to Slack is made here: `auth.test` runs on the first event (and, under `serve`, in
    the background through SlackConnection), so the API starts while Slack is unreachable."""
    client = client or WebClient(token=token, base_url=api_url.rstrip("/") + "/")
    app = App(
        client=client,
        # An empty secret stops Bolt reading SLACK_SIGNING_SECRET itself; every HTTP request then
        # fails verification, which is right: HTTP mode is only mounted with a secret.
        signing_secret=signing_secret or "",
        name="exchange-assistant",
        process_before_response=False,  # ack at once; the answer runs in Bolt's listener threads
        token_verification_enabled=False,
    )
    answerer = SlackAnswerer(
        assistant, feedback, PostedAnswers(feedback.engine), dict(channel_scopes or {}),
        SharedDeliveries(feedback.engine), contact=contact,
    )
    register_listeners(app, answerer)
    return app


def register_listeners(app: App, answerer: SlackAnswerer) -> None:
    app.middleware(ignore_retries)
    app.event("app_mention")(answerer.on_app_mention)
    app.event("message")(answerer.on_message)
    app.command(COMMAND)(answerer.on_command)
    app.action(re.compile(f"^({ACTION_UP}|{ACTION_DOWN})$"))(answerer.on_feedback)
    app.action(ACTION_SHARE)(answerer.on_share)
    app.action(ACTION_PASSAGE)(answerer.on_passage)


def load_channel_scopes(path: Path) -> dict[str, Filters]:
    """Read the channel scope file: {"C0123": {"sources": ["public/*"], "languages": ["en"]}}."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"slack_channel_scopes {path}: cannot read JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise InvalidInputError(f"slack_channel_scopes {path}: expected an object of channel id -> scope")
    scopes: dict[str, Filters] = {}
    for channel, scope in raw.items():
        try:
            scopes[str(channel)] = Filters.model_validate(scope)
        except ValidationError as exc:
            raise InvalidInputError(
                f"slack_channel_scopes {path}: channel {channel}: {exc.errors()[0]['msg']}"
            ) from exc
    return scopes
