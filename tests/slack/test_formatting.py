"""Pure formatting: Markdown -> mrkdwn, escaping, source lists, splitting at Slack's limits."""

from __future__ import annotations

from assistant.models import Answer, Quote, Source
from assistant.slack.dedupe import RecentKeys
from assistant.slack.formatting import (
    ACTION_PASSAGE,
    MAX_BLOCKS,
    SECTION_LIMIT,
    TEXT_LIMIT,
    answer_messages,
    escape,
    markdown_to_mrkdwn,
    passage_message,
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


def test_sources_are_numbered_titles_with_links_and_dates_the_id_only_without_a_title() -> None:
    [block] = sources_blocks(
        [source(1, url="https://ex.org/t", date="2024-05-29"), source(2), source(3, title="")]
    )
    lines = [element["text"] for element in block["elements"]]
    assert lines == [
        "[1] <https://ex.org/t|Tianjin &amp; Qinghai> · 2024-05-29",
        "[2] Tianjin &amp; Qinghai",
        "[3] doc_3",
    ]


def _per_document_answer() -> Answer:
    cited = source(1, date="2024-05-29", title="Tianjin and Qinghai to Boost Cultural Exchanges")
    cited = cited.model_copy(update={
        "language": "en",
        "passages": [Quote(chunk_id="doc_1:0", quote="over 1,000 attendees"),
                     Quote(chunk_id="doc_1:3", quote="24 key <projects>")],
    })
    return Answer(answer="Plus de 1 000 personnes [1]. 24 projets [1].", citations=[cited], refused=False,
                  language="fr")


def test_each_document_is_one_source_with_its_date_and_a_show_passages_button() -> None:
    [message] = answer_messages(_per_document_answer(), "Combien ?", "key9")
    sections = [b for b in message["blocks"] if b.get("accessory")]
    assert len(sections) == 1  # one document, two passages: one source
    assert sections[0]["text"]["text"] == "[1] Tianjin and Qinghai to Boost Cultural Exchanges · 2024-05-29"
    button = sections[0]["accessory"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        ACTION_PASSAGE, "key9|1", "Show 2 passages"
    )
    texts = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert "Quoted in English" in texts  # the passages are English, the answer French


def test_show_passage_reply_quotes_every_passage_of_the_document() -> None:
    reply = passage_message(_per_document_answer().citations[0], "fr")
    texts = [b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in reply["blocks"]]
    assert texts == [
        "[1] Tianjin and Qinghai to Boost Cultural Exchanges · 2024-05-29",
        "Quoted in English",
        "> over 1,000 attendees",
        "> 24 key &lt;projects&gt;",
    ]


def test_a_source_without_passages_falls_back_to_its_quote() -> None:
    reply = passage_message(source(2), "en")
    assert [b["text"]["text"] for b in reply["blocks"]][-1] == "> ..."


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


def test_refusal_says_it_once_then_gives_a_next_step() -> None:
    answer = Answer(
        answer="The program documents I can search do not answer this question.",
        citations=[],
        refused=True,
        language="en",
    )
    [message] = answer_messages(answer, "Who runs the <Oslo> program?", "k", contact="intl@city.example")
    text = "\n".join(
        b["text"]["text"] if "text" in b else b["elements"][0]["text"]
        for b in message["blocks"] if b["type"] in ("section", "context")
    )
    assert text.count("do not answer") + text.count("Nothing in the program documents") == 1
    context = message["blocks"][1]["elements"][0]["text"]
    assert context.startswith("You asked: _Who runs the &lt;Oslo&gt; program?_")
    assert "cultural, sister-city and student exchange programs" in context  # what the documents cover
    assert "try naming the program" in context
    assert context.endswith("ask intl@city.example.")  # whom to ask


def test_user_message_becomes_a_plain_question() -> None:
    text = "<@UBOT> what about <https://ex.org|this page> &amp; <#C1|general>?"
    assert plain_question(text, "UBOT") == "what about this page & general?"


def test_recent_keys_detects_any_repeated_key_and_stays_bounded() -> None:
    recent = RecentKeys(max_size=3)
    assert recent.first_time("ev1", ("post", "C1", "1.0"))
    assert not recent.first_time("ev2", ("post", "C1", "1.0"))  # same post, other event id
    assert recent.first_time("ev3", None)
    assert recent.first_time("ev1")  # forgotten: only the 3 most recent keys are kept
