"""Chain logic pinned with a scripted chat model: numbering, support checks, NOT_FOUND, streaming."""

from __future__ import annotations

import chromadb
from conftest import assistant_with
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.chain import Assistant
from assistant.answer.followup import rule_followup
from assistant.settings import Settings


def scripted(shared_index: Settings, client: chromadb.api.ClientAPI, encoders: dict, *replies: str) -> Assistant:
    llm = GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))
    return assistant_with(shared_index, client, encoders, llm=llm)


QUESTION = "How many people attended the Tianjin-Qinghai cultural and tourism event?"


def passage_number(assistant: Assistant, doc_id: str, containing: str = "1,000 attendees") -> int:
    """Position (1-based) of the retrieved passage of `doc_id` that contains `containing`."""
    passages = assistant.retriever.retrieve(QUESTION, assistant.limits.top_k)
    return next(i for i, p in enumerate(passages, 1) if p.doc_id == doc_id and containing in p.text)


def test_application_renumbers_model_markers_from_one(shared_index, chroma_client, encoders) -> None:
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = passage_number(probe, "004_9bc1640c6c35c08d")
    bot = scripted(shared_index, chroma_client, encoders, f"More than 1,000 people attended the event [{n}].")
    answer = bot.answer(QUESTION)
    assert answer.answer == "More than 1,000 people attended the event [1]."
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].doc_id == "004_9bc1640c6c35c08d"


def test_sentence_with_a_number_its_passage_does_not_state_is_dropped(shared_index, chroma_client, encoders) -> None:
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = passage_number(probe, "004_9bc1640c6c35c08d")
    bot = scripted(
        shared_index, chroma_client, encoders,
        f"Over 1,000 attendees took part [{n}]. The event cost 3 million yuan [{n}].",
    )
    answer = bot.answer(QUESTION)
    assert "3 million" not in answer.answer
    assert answer.unsupported == ["The event cost 3 million yuan"]
    assert not answer.refused


def test_answer_whose_only_claim_is_unsupported_becomes_a_refusal(shared_index, chroma_client, encoders) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "Exactly 7,777 people attended [1].")
    answer = bot.answer(QUESTION)
    assert answer.refused and "7,777" not in answer.answer
    assert answer.unsupported == ["Exactly 7,777 people attended"]


def test_reply_of_markers_without_words_is_a_refusal(shared_index, chroma_client, encoders) -> None:
    bot = scripted(shared_index, chroma_client, encoders, ",, [1][2][3]")
    answer = bot.answer("How many volunteers staffed the cultural event?")
    assert answer.refused and answer.citations == []
    assert "[1]" not in answer.answer


def test_model_saying_not_found_gives_the_refusal_text(shared_index, chroma_client, encoders) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "NOT_FOUND")
    answer = bot.answer("How many volunteers staffed the cultural event?")
    assert answer.refused
    assert answer.answer == "The program documents I can search do not answer this question."


def test_model_saying_not_found_about_a_named_programme_says_what_the_documents_cover(
    shared_index, chroma_client, encoders
) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "NOT_FOUND")
    answer = bot.answer(QUESTION)
    assert answer.refused
    assert answer.answer == (
        "The documents describe Tianjin and Qinghai to Boost Cultural Exchanges [1], but they do not give this information."
    )
    assert [c.doc_id for c in answer.citations] == ["004_9bc1640c6c35c08d"]


def test_markers_for_passages_that_do_not_exist_are_removed(shared_index, chroma_client, encoders) -> None:
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = passage_number(probe, "004_9bc1640c6c35c08d")
    bot = scripted(shared_index, chroma_client, encoders, f"Over 1,000 attendees came [{n}][42].")
    answer = bot.answer(QUESTION)
    assert answer.answer == "Over 1,000 attendees came [1]."
    assert len(answer.citations) == 1


def test_stream_yields_tokens_then_citations_then_done(shared_index, chroma_client, encoders) -> None:
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = passage_number(probe, "004_9bc1640c6c35c08d")
    bot = scripted(shared_index, chroma_client, encoders, f"Over 1,000 attendees came to Tianjin [{n}].")
    events = list(bot.stream(QUESTION))
    kinds = [e.kind for e in events]
    assert kinds[-2:] == ["citations", "done"]
    assert kinds.count("token") >= 2  # the fake model streams word by word
    streamed = "".join(e.text for e in events if e.kind == "token")
    assert streamed == "Over 1,000 attendees came to Tianjin [1]."
    assert events[-1].answer is not None and events[-1].answer.answer == streamed


def test_not_found_is_never_streamed_to_the_user(shared_index, chroma_client, encoders) -> None:
    bot = scripted(shared_index, chroma_client, encoders, "NOT_FOUND")
    streamed = "".join(e.text for e in bot.stream(QUESTION) if e.kind == "token")
    assert "NOT_FOUND" not in streamed
    assert "do not give this information" in streamed


def test_follow_up_question_uses_the_previous_turn_for_retrieval(shared_index, chroma_client, encoders) -> None:
    from assistant.models import Turn

    bot = scripted(shared_index, chroma_client, encoders, "x")
    query = rule_followup(
        "and how many attended?",
        [Turn(role="user", content="Tell me about the Tianjin and Qinghai event"), Turn(role="assistant", content="It was held [1].")],
    ).query
    passages = bot.retriever.retrieve(query, 3)
    assert passages[0].doc_id == "004_9bc1640c6c35c08d"


def test_yes_no_answer_leads_with_the_word_and_cites_the_fact_that_shows_it(shared_index, chroma_client, encoders) -> None:
    question = "Can technology startups benefit from sister-city links?"
    probe = scripted(shared_index, chroma_client, encoders, "x")
    passages = probe.retriever.retrieve(question, probe.limits.top_k)
    docs = list(dict.fromkeys(p.doc_id for p in passages))
    n = docs.index("001_18e63e76079ba7a7") + 1  # the model numbers documents
    bot = scripted(
        shared_index, chroma_client, encoders,
        f"Yes, technology startups may gain insights or mentorship opportunities by networking with innovative "
        f"firms located in their sister cities [{n}].",
    )
    answer = bot.answer(question)
    assert not answer.refused
    assert answer.answer.startswith("Yes. Technology startups may gain insights")
    assert answer.answer.endswith("[1].")
    assert [c.doc_id for c in answer.citations] == ["001_18e63e76079ba7a7"]


def _document_number(bot: Assistant, question: str, doc_id: str) -> int:
    passages = bot.retriever.retrieve(question, bot.limits.top_k)
    return list(dict.fromkeys(p.doc_id for p in passages)).index(doc_id) + 1


def test_bare_yes_from_the_model_is_followed_by_the_fact_that_decides_it(shared_index, chroma_client, encoders) -> None:
    question = "Did the Qinghai performers at the Tianjin event wear ethnic costumes?"
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = _document_number(probe, question, "004_9bc1640c6c35c08d")
    answer = scripted(shared_index, chroma_client, encoders, f"Yes [{n}]").answer(question)
    assert not answer.refused
    assert answer.answer.startswith("Yes. ") and "ethnic costumes" in answer.answer
    assert [c.doc_id for c in answer.citations] == ["004_9bc1640c6c35c08d"]


def test_list_copied_as_bullet_lines_is_answered_with_the_item_names(shared_index, chroma_client, encoders) -> None:
    question = "What are the key areas of collaboration in the Shanghai–Yunnan exchange program?"
    probe = scripted(shared_index, chroma_client, encoders, "x")
    n = _document_number(probe, question, "000_b9dd7e996e632ef1")
    reply = (
        f"The key areas of collaboration include: [{n}]\n"
        "- Art and Heritage: Joint exhibitions and workshops highlighting the unique cultural assets of both regions.\n"
        "- Economic Partnerships: Leveraging cultural ties to boost trade and investment opportunities.\n"
        "- Educational Initiatives: Programs that facilitate student and academic exchanges."
    )
    answer = scripted(shared_index, chroma_client, encoders, reply).answer(question)
    assert answer.answer == (
        "The key areas of collaboration include: Art and Heritage, Economic Partnerships and Educational Initiatives [1]."
    )


def test_model_reads_only_the_documents_naming_the_programme_asked_about(shared_index, chroma_client, encoders) -> None:
    question = "What do the joint exhibitions and workshops of the Shanghai–Yunnan art and heritage strand showcase?"
    llm = GenericFakeChatModel(messages=iter([AIMessage(content="NOT_FOUND")]))
    bot = assistant_with(shared_index, chroma_client, encoders, llm=llm)
    seen: list[str] = []
    original = bot.generator.stream

    def recording(request):  # type: ignore[no-untyped-def]
        seen.extend(p.doc_id for p in request.passages)
        yield from original(request)

    bot.generator.stream = recording  # type: ignore[method-assign]
    bot.answer(question)
    assert seen == ["000_b9dd7e996e632ef1"]


def test_follow_up_is_rewritten_by_the_model_and_answered_as_a_standalone_question(
    shared_index, chroma_client, encoders
) -> None:
    from typing import ClassVar

    from langchain_core.messages import BaseMessage

    from assistant.models import Turn

    class Recording(GenericFakeChatModel):
        prompts: ClassVar[list[list[BaseMessage]]] = []

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            self.prompts.append(messages)
            return super()._generate(messages, stop, run_manager, **kwargs)

    standalone = "Where was the China-Kazakhstan cultural exchange programme launched?"
    llm = Recording(messages=iter([AIMessage(content=standalone), AIMessage(content="It was launched in Astana [1].")]))
    rewriting = shared_index.model_copy(update={"rewrite_followups": True})
    bot = assistant_with(rewriting, chroma_client, encoders, llm=llm)
    history = [
        Turn(role="user", content="What is the China-Kazakhstan cultural exchange programme?"),
        Turn(role="assistant", content="A programme of Lianyungang journalists [1]."),
    ]
    answer = bot.answer("Where was it launched?", history)
    rewrite, reply = llm.prompts
    assert "Where was it launched?" in str(rewrite[-1].content)  # the model was asked to rewrite it
    assert f"Question: {standalone}" in str(reply[-1].content)  # and the answer step read the rewrite
    assert [m.type for m in reply] == ["system", "human"]  # the conversation is in the question now
    assert not answer.refused and "Astana" in answer.answer
    assert answer.citations[0].doc_id == "002_33c8dbfd173f49bb"
