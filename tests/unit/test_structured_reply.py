"""A model's JSON reply becomes marked text as it streams; plain replies pass through."""

from __future__ import annotations

import json

from assistant.answer.generators import StructuredReply, reply_schema
from assistant.answer.prompts import NOT_FOUND


def stream(reply: StructuredReply, raw: str, size: int = 3) -> str:
    shown = "".join(reply.feed(raw[i : i + size]) for i in range(0, len(raw), size))
    return shown + reply.finish()


def test_json_reply_streams_sentence_text_and_ends_with_its_source_marker() -> None:
    raw = json.dumps({"status": "answered", "sentences": [
        {"source": 2, "text": "Over 1,000 people attended."}, {"source": 1, "text": "It was held on May 29."}]})
    reply = StructuredReply("en")
    shown = stream(reply, raw)
    assert reply.text == "Over 1,000 people attended. [2] It was held on May 29. [1]"
    assert shown == reply.text


def test_preview_shows_words_before_the_sentence_is_complete() -> None:
    reply = StructuredReply("en")
    shown = reply.feed('{"status": "answered", "sentences": [{"source": 1, "text": "Over 1,0')
    assert shown.endswith("Over 1,0")


def test_not_found_status_becomes_the_not_found_signal() -> None:
    reply = StructuredReply("en")
    stream(reply, json.dumps({"status": "not_found", "sentences": []}))
    assert reply.text == NOT_FOUND


def test_answered_without_sentences_is_not_an_answer() -> None:
    reply = StructuredReply("en")
    stream(reply, json.dumps({"status": "answered", "yes_no": "yes", "sentences": []}))
    assert reply.text == NOT_FOUND


def test_yes_no_is_written_in_the_question_language_before_the_fact() -> None:
    reply = StructuredReply("fr")
    stream(reply, json.dumps({"status": "answered", "yes_no": "no", "sentences": [{"source": 1, "text": "Elle est proposée."}]}))
    assert reply.text == "Non. Elle est proposée. [1]"


def test_escaped_characters_are_decoded_even_when_cut_mid_escape() -> None:
    raw = json.dumps({"status": "answered", "sentences": [{"source": 1, "text": "Le \u00abJumelage\u00bb de Nancy."}]},
                     ensure_ascii=True)
    reply = StructuredReply("fr")
    stream(reply, raw, size=2)
    assert reply.text == "Le «Jumelage» de Nancy. [1]"


def test_plain_marked_text_passes_through() -> None:
    reply = StructuredReply("en")
    assert stream(reply, "Over 1,000 attendees came [1].") == "Over 1,000 attendees came [1]."


def test_schema_offers_yes_no_only_for_yes_no_questions_and_only_existing_sources() -> None:
    assert "yes_no" in reply_schema("yesno", 3)["properties"]
    schema = reply_schema("list", 3)
    assert "yes_no" not in schema["properties"]
    assert schema["properties"]["sentences"]["items"]["properties"]["source"]["enum"] == [1, 2, 3]
