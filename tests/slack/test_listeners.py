"""The Slack bot end to end: signed HTTP requests to the real FastAPI app, Bolt listeners, the
real assistant, and a fake Slack Web API on loopback whose recorded calls are asserted on."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.chain import Assistant
from assistant.answer.generators import GenerationInput, Generator
from assistant.cli import main
from assistant.models import Filters
from assistant.settings import Settings
from assistant.slack.app import create_slack_app, load_channel_scopes
from assistant.slack.formatting import ERROR_TEXT, WORKING_TEXT
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore

BOT_USER = "UBOT"
TIANJIN = "004_9bc1640c6c35c08d"
QUESTION = "How many attendees came to the Tianjin and Qinghai cultural and tourism event?"


def mention(
    text: str, ts: str, channel: str = "C1", thread_ts: str | None = None, user: str = "U1"
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": f"cm-{channel}-{ts}",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, ts: str, channel: str, channel_type: str, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "message",
        "user": "U1",
        "text": text,
        "ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts,
    }
    event.update(extra)
    return event


def posts(fake: Any, channel: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == channel]


def answer_update(fake: Any, channel: str) -> Any:
    """The chat.update that replaced the working message with the answer (or an error)."""
    updates = [c for c in fake.calls_to("chat.update") if c.body.get("channel") == channel]
    return updates[-1] if updates else None


def block_texts(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text))
    return "\n".join(parts)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def ask_dm_and_wait(harness: Any, text: str, ts: str) -> Any:
    """A DM 'sentinel': once it is answered, events sent before it have been handled."""
    harness.send_event(message(text, ts, "D9", "im"), f"Ev-sentinel-{ts}")
    return harness.fake.wait_for(lambda f: answer_update(f, "D9"))


# --- answering -----------------------------------------------------------------------------------


def test_mention_is_answered_in_thread_with_cited_sources_and_feedback_buttons(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    response = harness.send_event(mention(QUESTION, "1700000000.000100"), "Ev1")
    assert response.status_code == 200

    update = harness.fake.wait_for(lambda f: answer_update(f, "C1"))
    working = posts(harness.fake, "C1")
    assert len(working) == 1
    assert working[0].body["thread_ts"] == "1700000000.000100"
    assert working[0].body["text"] == WORKING_TEXT
    assert working[0].auth == "Bearer xoxb-test-token"
    assert update.body["ts"] == working[0].response["ts"]  # the working message became the answer
    text = block_texts(update.body["blocks"])
    assert "1,000" in text
    assert "[1]" in text
    assert set(buttons(update.body["blocks"])) == {"exchange_feedback_up", "exchange_feedback_down"}
    assert "Tianjin and Qinghai to Boost Cultural Exchanges" in text  # the title, not the hash id
    assert TIANJIN not in text


def test_show_passage_button_replies_only_to_the_clicker_with_the_quoted_passage(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    harness.send_event(mention(QUESTION, "1700000050.000100", channel="CP"), "Ev-passage")
    update = harness.fake.wait_for(lambda f: answer_update(f, "CP"))
    [first, *_] = [b["accessory"] for b in update.body["blocks"] if b.get("accessory")]
    assert first["action_id"] == "exchange_show_passage"
    assert first["text"]["text"].startswith("Show")

    clicked = harness.send_action(
        {
            "type": "block_actions", "team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy",
            "trigger_id": "t2", "user": {"id": "U3"}, "channel": {"id": "CP"},
            "container": {"type": "message", "message_ts": update.body["ts"], "channel_id": "CP",
                          "is_ephemeral": False},
            "message": {"type": "message", "ts": update.body["ts"], "text": update.body["text"],
                        "blocks": update.body["blocks"]},
            "response_url": harness.fake.response_url("passage"),
            "actions": [{"type": "button", "action_id": "exchange_show_passage", "block_id": "b",
                         "value": first["value"]}],
        }
    )
    assert clicked.status_code == 200
    reply = harness.fake.wait_for(lambda f: f.calls_to("response/passage"))[0].body
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    quoted = block_texts(reply["blocks"])
    assert quoted.splitlines()[0].startswith("[1] Tianjin and Qinghai to Boost Cultural Exchanges")
    assert "> " in quoted and "1,000" in quoted  # the passage the answer quotes


def test_follow_up_in_thread_uses_the_thread_history(assistant: Assistant, serve_slack: Any) -> None:
    harness = serve_slack(assistant)
    parent, follow_up = "1700000100.000100", "1700000100.000300"
    harness.fake.threads[("C1", parent)] = [
        {
            "type": "message",
            "user": "U1",
            "ts": parent,
            "text": f"<@{BOT_USER}> What happened at the Tianjin and Qinghai cultural and tourism event?",
        },
        {
            "type": "message",
            "bot_id": "BBOT",
            "user": BOT_USER,
            "ts": "1700000100.000200",
            "thread_ts": parent,
            "text": "Tianjin and Qinghai hosted a cultural and tourism-themed event at the Tianjin Binhai "
            "Cultural Center [1].",
        },
        {
            "type": "message",
            "user": "U1",
            "ts": follow_up,
            "thread_ts": parent,
            "text": f"<@{BOT_USER}> how many projects were signed?",
        },
    ]
    harness.send_event(mention("how many projects were signed?", follow_up, thread_ts=parent), "Ev-follow")

    update = harness.fake.wait_for(lambda f: answer_update(f, "C1"))
    replies = harness.fake.calls_to("conversations.replies")
    assert [(c.body["channel"], c.body["ts"]) for c in replies] == [("C1", parent)]
    assert posts(harness.fake, "C1")[0].body["thread_ts"] == parent
    text = block_texts(update.body["blocks"])
    assert "24 key projects" in text
    assert "Tianjin and Qinghai to Boost Cultural Exchanges" in text  # the title, not the id

    # The same words outside the thread have no topic to carry over.
    harness.send_event(
        mention("how many projects were signed?", "1700000100.000900", channel="C3"), "Ev-alone"
    )
    alone = harness.fake.wait_for(lambda f: answer_update(f, "C3"))
    assert "do not answer this question" in block_texts(alone.body["blocks"])
    assert len(harness.fake.calls_to("conversations.replies")) == 1


def test_direct_message_is_answered_in_its_thread(assistant: Assistant, serve_slack: Any) -> None:
    harness = serve_slack(assistant)
    harness.send_event(message(QUESTION, "1700000200.000100", "D1", "im"), "Ev-dm")
    update = harness.fake.wait_for(lambda f: answer_update(f, "D1"))
    assert posts(harness.fake, "D1")[0].body["thread_ts"] == "1700000200.000100"
    assert "1,000" in block_texts(update.body["blocks"])


def test_channel_message_without_mention_and_bot_messages_are_ignored(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    ignored = [
        message(QUESTION, "1700000300.000100", "C2", "channel"),
        message(QUESTION, "1700000300.000200", "D2", "im", bot_id="BOTHER", subtype="bot_message"),
        message(QUESTION, "1700000300.000300", "D2", "im", bot_id="BOTHER"),
        message(QUESTION, "1700000300.000400", "D2", "im", subtype="message_changed"),
        message(QUESTION, "1700000300.000500", "D2", "im", user=BOT_USER, bot_id="BBOT"),  # its own
        {**mention(QUESTION, "1700000300.000600", channel="C2"), "bot_id": "BOTHER"},
    ]
    for n, event in enumerate(ignored):
        assert harness.send_event(event, f"Ev-ignored-{n}").status_code == 200
    ask_dm_and_wait(harness, QUESTION, "1700000300.000900")
    assert posts(harness.fake, "C2") == []
    assert posts(harness.fake, "D2") == []
    assert harness.fake.calls_to("chat.update")[-1].body["channel"] == "D9"


def test_retried_event_is_answered_once(assistant: Assistant, serve_slack: Any) -> None:
    harness = serve_slack(assistant)
    event = mention(QUESTION, "1700000400.000100")
    assert harness.send_event(event, "Ev-retry").status_code == 200
    retry = harness.send_event(
        event, "Ev-retry", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status_code == 200
    harness.fake.wait_for(lambda f: answer_update(f, "C1"))
    harness.send_event(event, "Ev-retry")  # redelivered without the header: same event id
    ask_dm_and_wait(harness, QUESTION, "1700000400.000900")
    assert len(posts(harness.fake, "C1")) == 1
    assert len([c for c in harness.fake.calls_to("chat.update") if c.body["channel"] == "C1"]) == 1


def test_one_post_delivered_as_mention_and_message_is_answered_once(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    ts = "1700000500.000100"
    harness.send_event(mention(QUESTION, ts), "Ev-mention")
    harness.send_event(
        message(f"<@{BOT_USER}> {QUESTION}", ts, "C1", "channel", client_msg_id=f"cm-C1-{ts}"), "Ev-message"
    )
    harness.fake.wait_for(lambda f: answer_update(f, "C1"))
    ask_dm_and_wait(harness, QUESTION, "1700000500.000900")
    assert len(posts(harness.fake, "C1")) == 1


@pytest.mark.parametrize("problem", ["bad signature", "old timestamp"])
def test_unverified_request_gets_401_and_does_nothing(
    assistant: Assistant, serve_slack: Any, problem: str
) -> None:
    harness = serve_slack(assistant)
    kwargs: dict[str, Any] = (
        {"signature": "v0=" + "0" * 64}
        if problem == "bad signature"
        else {"timestamp": int(time.time()) - 600}
    )
    response = harness.send_event(mention(QUESTION, "1700000600.000100"), "Ev-forged", **kwargs)
    assert response.status_code == 401
    ask_dm_and_wait(harness, QUESTION, "1700000600.000900")
    assert posts(harness.fake, "C1") == []


def test_failure_inside_the_assistant_gives_a_friendly_message_only(
    assistant: Assistant, serve_slack: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = copy.copy(assistant)
    broken.generator = _FailingGenerator()
    harness = serve_slack(broken)
    with caplog.at_level(logging.ERROR):
        harness.send_event(mention(QUESTION, "1700000700.000100"), "Ev-broken")
        update = harness.fake.wait_for(lambda f: answer_update(f, "C1"))
    assert update.body["text"] == ERROR_TEXT
    assert all("model server exploded" not in json.dumps(c.body) for c in harness.fake.calls)
    assert any(r.exc_info and "model server exploded" in str(r.exc_info[1]) for r in caplog.records)


def test_too_long_question_is_told_why_and_empty_mention_gets_a_hint(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    harness.send_event(message("x" * 2100, "1700000750.000100", "D3", "im"), "Ev-long")
    update = harness.fake.wait_for(lambda f: answer_update(f, "D3"))
    assert update.body["text"] == "Sorry, I can't answer that: question: 2100 characters, the limit is 2000"
    harness.send_event(mention("", "1700000750.000200", channel="C4"), "Ev-empty")
    [hint] = harness.fake.wait_for(lambda f: posts(f, "C4"))
    assert hint.body["text"].startswith("Ask me a question about the exchange programs")


class _FailingGenerator(Generator):
    """Stands in for a model server that breaks mid-request."""

    name = "failing"

    def stream(self, request: GenerationInput) -> Iterator[str]:
        raise RuntimeError("model server exploded: token=sk-secret")


def test_scoped_channel_only_searches_its_sources_and_refusal_says_what_was_not_found(
    assistant: Assistant, serve_slack: Any, tmp_path: Path
) -> None:
    scope_file = tmp_path / "scopes.json"
    scope_file.write_text(json.dumps({"CSCOPED": {"sources": ["no-such-folder/*"], "languages": ["en"]}}))
    scopes = load_channel_scopes(scope_file)
    assert scopes == {"CSCOPED": Filters(sources=["no-such-folder/*"], languages=["en"])}
    harness = serve_slack(assistant, channel_scopes=scopes)
    harness.send_event(mention(QUESTION, "1700000800.000100", channel="CSCOPED"), "Ev-scoped")
    update = harness.fake.wait_for(lambda f: answer_update(f, "CSCOPED"))
    text = block_texts(update.body["blocks"])
    assert text.count("do not answer this question") == 1  # said once
    assert f"You asked: _{QUESTION}_" in text
    assert "try naming the program" in text  # a next step
    assert "ask the exchange-programs team" in text
    assert TIANJIN not in text
    assert "exchange_feedback_up" in buttons(update.body["blocks"])


# --- feedback ------------------------------------------------------------------------------------


def test_thumbs_up_is_stored_acknowledged_and_exported_as_a_draft_eval_case(
    assistant: Assistant, serve_slack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = serve_slack(assistant)
    harness.send_event(message(QUESTION, "1700000900.000100", "D1", "im"), "Ev-fb")
    update = harness.fake.wait_for(lambda f: answer_update(f, "D1"))
    value = buttons(update.body["blocks"])["exchange_feedback_up"]

    clicked = harness.send_action(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t1",
            "user": {"id": "U2"},
            "channel": {"id": "D1"},
            "container": {
                "type": "message",
                "message_ts": update.body["ts"],
                "channel_id": "D1",
                "is_ephemeral": False,
            },
            "message": {
                "type": "message",
                "ts": update.body["ts"],
                "text": update.body["text"],
                "blocks": update.body["blocks"],
            },
            "response_url": harness.fake.response_url("fb"),
            "actions": [
                {
                    "type": "button",
                    "action_id": "exchange_feedback_up",
                    "block_id": "feedback",
                    "value": value,
                }
            ],
        }
    )
    assert clicked.status_code == 200

    thanks = harness.fake.wait_for(
        lambda f: [
            c for c in f.calls_to("chat.update") if "Thanks" in block_texts(c.body.get("blocks") or [])
        ]
    )[0]
    assert thanks.body["ts"] == update.body["ts"]
    assert "Thanks, <@U2> found this helpful" in block_texts(thanks.body["blocks"])
    assert buttons(thanks.body["blocks"]) == {}
    assert "1,000" in block_texts(thanks.body["blocks"])  # the answer itself stays

    [record] = list(harness.feedback.records())
    assert (record.channel, record.rating, record.user_id, record.question) == ("slack", "up", "U2", QUESTION)
    assert "1,000" in record.answer
    assert [c["doc_id"] for c in record.citations] == [TIANJIN]

    out = tmp_path / "cases.jsonl"
    assert main(["feedback", "export", "--out", str(out)]) == 0
    [case] = [json.loads(line) for line in out.read_text().splitlines()]
    assert case["question"] == QUESTION
    assert case["gold_ids"] == [TIANJIN]
    assert case["answerable"] is True
    assert main(["feedback", "export"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["id"] == case["id"]


# --- slash command -------------------------------------------------------------------------------


def test_slash_command_answers_ephemerally_and_share_posts_to_the_channel(
    assistant: Assistant, serve_slack: Any
) -> None:
    harness = serve_slack(assistant)
    ack = harness.send_form(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "channel_id": "C5",
            "user_id": "U3",
            "command": "/exchange",
            "text": QUESTION,
            "response_url": harness.fake.response_url("cmd"),
            "trigger_id": "t2",
        }
    )
    assert ack.status_code == 200
    assert ack.json() == {"response_type": "ephemeral", "text": WORKING_TEXT}

    [reply] = harness.fake.wait_for(lambda f: f.calls_to("response/cmd"))
    assert reply.body["response_type"] == "ephemeral"
    assert "1,000" in block_texts(reply.body["blocks"])
    assert "Tianjin and Qinghai to Boost Cultural Exchanges" in block_texts(reply.body["blocks"])
    value = buttons(reply.body["blocks"])["exchange_share"]
    assert posts(harness.fake, "C5") == []  # nothing public yet

    harness.send_action(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t3",
            "user": {"id": "U3"},
            "channel": {"id": "C5"},
            "container": {
                "type": "message",
                "message_ts": "1700001000.000100",
                "channel_id": "C5",
                "is_ephemeral": True,
            },
            "response_url": harness.fake.response_url("share"),
            "actions": [
                {"type": "button", "action_id": "exchange_share", "block_id": "share", "value": value}
            ],
        }
    )
    [shared] = harness.fake.wait_for(lambda f: posts(f, "C5"))
    shared_text = block_texts(shared.body["blocks"])
    assert "Shared by <@U3>" in shared_text
    assert reply.body["blocks"][0] == shared.body["blocks"][0]  # the same answer section
    assert "Tianjin and Qinghai to Boost Cultural Exchanges" in shared_text
    assert "thread_ts" not in shared.body
    [removed] = harness.fake.wait_for(lambda f: f.calls_to("response/share"))
    assert removed.body.get("delete_original") is True


# --- Socket Mode ---------------------------------------------------------------------------------


def test_socket_mode_first_delivery_is_answered_and_its_retry_ignored(
    assistant: Assistant, serve_slack: Any
) -> None:
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app
    from slack_sdk.socket_mode.request import SocketModeRequest

    fake = serve_slack(assistant).fake
    app = create_slack_app(
        assistant,
        FeedbackStore(build_engine(Settings().resolved_database_url)),
        token="xoxb-test-token",
        signing_secret=None,
        api_url=fake.api_url,
    )
    envelope = {
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev-socket",
        "event": mention(QUESTION, "1700001100.000100", channel="CS"),
    }
    for attempt in (0, 1):  # Slack's envelope says retry_attempt 0 on the first delivery
        request = SocketModeRequest(
            type="events_api",
            envelope_id=f"env-{attempt}",
            payload=envelope,
            retry_attempt=attempt,
            retry_reason="timeout" if attempt else None,
        )
        assert run_bolt_app(app, request).status == 200
    fake.wait_for(lambda f: answer_update(f, "CS"))
    assert len(posts(fake, "CS")) == 1
