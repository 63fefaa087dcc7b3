"""Slack listeners: a mention, a direct message or `/exchange` -> Assistant.answer -> Block Kit
reply; 👍/👎 clicks -> FeedbackStore; "share" clicks -> the answer posted in the channel.

Each listener is an edge: one `try`, `logger.exception`, and a fixed friendly reply. Bolt runs
listeners after acknowledging (process_before_response=False), so an answer may take seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal

from slack_bolt import Ack, BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.answer.chain import Assistant
from assistant.errors import InvalidInputError
from assistant.models import Filters, Turn
from assistant.slack.dedupe import RecentKeys
from assistant.slack.formatting import (
    ACTION_UP,
    EMPTY_QUESTION_TEXT,
    ERROR_TEXT,
    WORKING_TEXT,
    answer_messages,
    escape,
    passage_message,
    plain_question,
    replace_feedback,
    thanks_block,
    truncate,
    unescape,
)
from assistant.slack.pending import PostedAnswers
from assistant.storage.feedback import FeedbackStore, Rating

logger = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 10
MAX_TURN_CHARS = 4000
SHARE_FAILED_TEXT = "I could not post in this channel. Invite me to it first (`/invite @exchange-assistant`)."
EXPIRED_TEXT = "Sorry, I no longer have that answer. Please ask again."


def ignore_retries(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Global middleware: acknowledge Slack's retries of an event without handling them again.
    HTTP carries `X-Slack-Retry-Num`; Bolt's Socket Mode adapter copies the envelope's
    `retry_attempt` (0 on the first delivery) into the same header."""
    retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
    if retry.strip() not in ("", "0"):
        reason = (req.headers.get("x-slack-retry-reason") or ["-"])[0]
        logger.info("ignoring Slack retry num=%s reason=%s", retry, reason)
        return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
    return next()


class SlackAnswerer:
    """The listeners, sharing the assistant, the stores and the dedupe memory."""

    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackStore,
        posted: PostedAnswers,
        channel_scopes: Mapping[str, Filters],
        recent: RecentKeys,
        contact: str | None = None,
    ) -> None:
        self.contact = contact  # whom to ask when the documents have no answer
        self.assistant = assistant
        self.feedback = feedback
        self.posted = posted
        self.channel_scopes = channel_scopes
        self.recent = recent

    # --- events ----------------------------------------------------------------------------------

    def on_app_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return
        self._answer_in_thread(event, body, context, client)

    def on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Every message event arrives here (so Slack gets a 200); only a person's new message in
        a direct message is answered: channel posts are answered through their app_mention."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        self._answer_in_thread(event, body, context, client)

    def _answer_in_thread(
        self, event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        channel, ts = event["channel"], event["ts"]
        # app_mention and message.channels for one post have different event ids: (channel, ts)
        # catches that; event_id catches a redelivered event.
        if not self.recent.first_time(
            ("event", body.get("event_id")), ("client_msg", event.get("client_msg_id")), ("post", channel, ts)
        ):
            logger.info("duplicate delivery ignored channel=%s ts=%s", channel, ts)
            return
        thread_ts = event.get("thread_ts") or ts
        question = plain_question(event.get("text") or "", context.bot_user_id)
        working_ts: str | None = None
        try:
            if not question:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=EMPTY_QUESTION_TEXT)
                return
            working = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=WORKING_TEXT)
            working_ts = working["ts"]
            history = (
                self._thread_history(client, channel, thread_ts, ts, context.bot_user_id)
                if event.get("thread_ts")
                else []
            )
            answer = self.assistant.answer(question, history, self.channel_scopes.get(channel))
            key = self.posted.add(question, answer, conversation=f"{channel}:{thread_ts}")
            messages = answer_messages(answer, question, key, contact=self.contact)
            client.chat_update(channel=channel, ts=working_ts, **messages[0])
            for message in messages[1:]:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
            logger.info(
                "answered channel=%s refused=%s sources=%s", channel, answer.refused, len(answer.citations)
            )
        except InvalidInputError as exc:
            self._reply_problem(
                client, channel, thread_ts, working_ts, f"Sorry, I can't answer that: {escape(str(exc))}"
            )
        except Exception:
            logger.exception("answering a Slack message failed channel=%s ts=%s", channel, ts)
            self._reply_problem(client, channel, thread_ts, working_ts, ERROR_TEXT)

    def _thread_history(
        self, client: WebClient, channel: str, thread_ts: str, current_ts: str, bot_user_id: str | None
    ) -> list[Turn]:
        """The thread's earlier messages as turns: the bot's (and other bots') messages are
        assistant turns, people's messages user turns; consecutive ones of a role are joined."""
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=100)
        turns: list[Turn] = []
        for message in replies.get("messages") or []:
            if _ts_key(message.get("ts", "0")) >= _ts_key(current_ts):
                continue
            from_bot = bool(message.get("bot_id")) or (
                bot_user_id is not None and message.get("user") == bot_user_id
            )
            text = (
                unescape(message.get("text") or "")
                if from_bot
                else plain_question(message.get("text") or "", bot_user_id)
            )
            if not text.strip() or text in (WORKING_TEXT, ERROR_TEXT, EMPTY_QUESTION_TEXT):
                continue
            role: Literal["user", "assistant"] = "assistant" if from_bot else "user"
            if turns and turns[-1].role == role:
                text = f"{turns[-1].content}\n{text}"
                turns.pop()
            turns.append(Turn(role=role, content=truncate(text, MAX_TURN_CHARS)))
        return turns[-MAX_HISTORY_TURNS:]

    @staticmethod
    def _reply_problem(
        client: WebClient, channel: str, thread_ts: str, working_ts: str | None, text: str
    ) -> None:
        try:
            if working_ts:
                client.chat_update(channel=channel, ts=working_ts, text=text, blocks=[])
            else:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        except Exception:
            logger.exception("could not tell the user about the failure channel=%s", channel)

    # --- slash command ---------------------------------------------------------------------------

    def on_command(self, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        """`/exchange <question>`: answered ephemerally, with a button to share it."""
        question = " ".join((command.get("text") or "").split())
        if not question:
            ack(response_type="ephemeral", text=EMPTY_QUESTION_TEXT)
            return
        ack(response_type="ephemeral", text=WORKING_TEXT)
        channel = command.get("channel_id") or ""
        try:
            answer = self.assistant.answer(question, None, self.channel_scopes.get(channel))
            key = self.posted.add(question, answer, conversation=f"{channel}:command")
            for message in answer_messages(answer, question, key, shareable=True, contact=self.contact):
                respond(response_type="ephemeral", replace_original=False, **message)
        except InvalidInputError as exc:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"Sorry, I can't answer that: {escape(str(exc))}",
            )
        except Exception:
            logger.exception("answering a slash command failed channel=%s", channel)
            respond(response_type="ephemeral", replace_original=False, text=ERROR_TEXT)

    # --- buttons ---------------------------------------------------------------------------------

    def on_feedback(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        rating: Rating = "up" if action["action_id"] == ACTION_UP else "down"
        try:
            record = self.posted.get(action.get("value") or "")
            if record is None:
                respond(response_type="ephemeral", replace_original=False, text=EXPIRED_TEXT)
                return
            self.feedback.add(
                channel="slack",
                rating=rating,
                question=record.question,
                answer=record.answer.answer,
                citations=[c.model_dump() for c in record.answer.citations],
                refused=record.answer.refused,
                user_id=user_id,
                conversation=record.conversation,
            )
            logger.info("feedback stored rating=%s conversation=%s", rating, record.conversation)
            message = body.get("message") or {}
            ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
            blocks = (
                message.get("blocks")
                or answer_messages(
                    record.answer, record.question, record.key, shareable=ephemeral, contact=self.contact
                )[-1]["blocks"]
            )
            blocks = replace_feedback(blocks, thanks_block(user_id, rating))
            text = message.get("text") or "Thanks for the feedback."
            if ephemeral or not message.get("ts"):
                respond(replace_original=True, text=text, blocks=blocks)
            else:
                client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=text, blocks=blocks)
        except Exception:
            logger.exception("storing Slack feedback failed")
            respond(response_type="ephemeral", replace_original=False, text=ERROR_TEXT)

    def on_passage(self, ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        """ "Show passage": the source's quoted passages, only to the person who clicked."""
        ack()
        try:
            key, _, number = (action.get("value") or "").rpartition("|")
            record = self.posted.get(key)
            source = next((c for c in record.answer.citations if str(c.n) == number), None) if record else None
            if record is None or source is None:
                respond(response_type="ephemeral", replace_original=False, text=EXPIRED_TEXT)
                return
            reply = passage_message(source, record.answer.language)
            respond(response_type="ephemeral", replace_original=False, **reply)
        except Exception:
            logger.exception("showing a passage failed")
            respond(response_type="ephemeral", replace_original=False, text=ERROR_TEXT)

    def on_share(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Post an ephemeral /exchange answer to the channel, "shared by" the clicking user."""
        ack()
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or ""
        try:
            record = self.posted.get(action.get("value") or "")
            if record is None:
                respond(response_type="ephemeral", replace_original=False, text=EXPIRED_TEXT)
                return
            shared = answer_messages(
                record.answer, record.question, record.key, shared_by=user_id, contact=self.contact
            )
            for message in shared:
                client.chat_postMessage(channel=channel, **message)
            respond(delete_original=True)
        except SlackApiError as exc:
            logger.warning("sharing failed channel=%s error=%s", channel, exc.response.get("error"))
            respond(response_type="ephemeral", replace_original=False, text=SHARE_FAILED_TEXT)
        except Exception:
            logger.exception("sharing an answer failed channel=%s", channel)
            respond(response_type="ephemeral", replace_original=False, text=ERROR_TEXT)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros or 0)
