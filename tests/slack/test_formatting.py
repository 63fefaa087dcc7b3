"""Pure formatting: Markdown -> mrkdwn, escaping, source lists, splitting at Slack's limits."""

from __future__ import annotations

from assistant.models import Answer, Source
from assistant.slack.dedupe import RecentKeys
from assistant.slack.formatting import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    TEXT_LIMIT,
    answer_messages,
    escape,
    markdown_to_mrkdwn,
    plain_question,
    sources_blocks,
    split_text,
)


def source(
    n: int, url: str | None = None, date: str | None = None, title: str = "Tianjin & Qinghai"
) -> Source:
    return Source(
        n=n,
        doc_id=f"doc_{n}",
        title=title,
        source=url or f"corpus/doc_{n}.txt",
        url=url,
        date=date,
        quote="...",
        score=1.0,
        chunk_id=f"doc_{n}:0",
    )


def test_control_characters_are_escaped() -> None:
    assert escape("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    assert markdown_to_mrkdwn("<@U123> <!channel> & co") == "&lt;@U123&gt; &lt;!channel&gt; &amp; co"
    assert markdown_to_mrkdwn("`x < 1`") == "`x &lt; 1`"


def test_markdown_becomes_mrkdwn() -> None:
    markdown = "## Deadlines\n**Apply** by *March* [1].\n- see [the form](https://ex.org/a?b=1&c=2)\n~~old~~"
    assert markdown_to_mrkdwn(markdown) == (
        # a link written in the text is never a masked link: its URL stays visible
        "*Deadlines*\n*Apply* by _March_ [1].\n• see the form (https://ex.org/a?b=1&amp;c=2)\n~old~"
    )


def test_sources_are_numbered_links_or_document_ids_with_dates() -> None:
    [block] = sources_blocks([source(1, url="https://ex.org/t", date="2024-05-29"), source(2)])
    lines = [element["text"] for element in block["elements"]]
    assert lines == [
        "[1] <https://ex.org/t|Tianjin &amp; Qinghai> · 2024-05-29",
        "[2] Tianjin &amp; Qinghai (doc_2)",
    ]


def test_many_sources_fill_several_context_blocks_of_ten() -> None:
    blocks = sources_blocks([source(n) for n in range(1, 24)])
    assert [len(b["elements"]) for b in blocks] == [10, 10, 3]


def test_long_answer_is_split_into_sections_without_breaking_links() -> None:
    sentence = "The exchange runs every spring [1]. See [the program page](https://ex.org/p) for more. "
    text = markdown_to_mrkdwn(sentence * 200)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(piece) <= SECTION_LIMIT for piece in pieces)
    for piece in pieces:
        assert piece.count("<") == piece.count(">")
    assert "".join(p.replace(" ", "") for p in pieces) == text.replace(" ", "")


def test_very_long_answer_is_spread_over_messages_with_feedback_on_the_last() -> None:
    answer = Answer(answer=("word " * 500 + "\n\n") * 60, citations=[source(1)], refused=False, language="en")
    messages = answer_messages(answer, "question?", "key123")
    assert len(messages) == 2
    assert all(len(m["blocks"]) <= MAX_BLOCKS for m in messages)
    assert all(len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert all(
        len(b["text"]["text"]) <= SECTION_LIMIT
        for m in messages
        for b in m["blocks"]
        if b["type"] == "section"
    )
    assert messages[-1]["blocks"][-1]["block_id"] == "feedback"
    assert all(b["type"] != "actions" for b in messages[0]["blocks"])


def test_refusal_names_the_question_that_was_not_found() -> None:
    answer = Answer(
        answer="The program documents I can search do not answer this question.",
        citations=[],
        refused=True,
        language="en",
    )
    [message] = answer_messages(answer, "Who runs the <Oslo> program?", "k")
    context = message["blocks"][1]["elements"][0]["text"]
    assert context == "Nothing in the program documents answers: _Who runs the &lt;Oslo&gt; program?_"


def test_user_message_becomes_a_plain_question() -> None:
    text = "<@UBOT> what about <https://ex.org|this page> &amp; <#C1|general>?"
    assert plain_question(text, "UBOT") == "what about this page & general?"


def test_recent_keys_detects_any_repeated_key_and_stays_bounded() -> None:
    recent = RecentKeys(max_size=3)
    assert recent.first_time("ev1", ("post", "C1", "1.0"))
    assert not recent.first_time("ev2", ("post", "C1", "1.0"))  # same post, other event id
    assert recent.first_time("ev3", None)
    assert recent.first_time("ev1")  # forgotten: only the 3 most recent keys are kept
