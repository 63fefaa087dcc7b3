"""Follow-ups made standalone: which questions need the conversation, and what retrieval searches."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.followup import FollowupRewriter, depends_on_history, rule_followup
from assistant.models import Turn

HISTORY = [
    Turn(role="user", content="Tell me about the Tianjin and Qinghai event"),
    Turn(role="assistant", content="Tianjin and Qinghai hosted a cultural and tourism event [1]."),
]


@pytest.mark.parametrize(
    "question",
    [
        "and how many attended?",
        "Where was it held?",
        "How many projects were signed?",  # no name of its own
        "How many key projects were signed there?",
        "Is there a deadline?",
        "Quand a-t-il été lancé ?",
        "Quand ce programme a-t-il commencé ?",
        "Et à Lyon ?",
        "A-t-il été lancé à Pékin ?",  # the opening clitic is the subject
        "Est-elle la capitale du Kazakhstan ?",
        "Quelle ville chinoise est à son origine ?",
        "¿Y cuántos estudiantes?",
        "它持续多长时间？",
    ],
)
def test_a_follow_up_that_refers_back_needs_the_conversation(question: str) -> None:
    assert depends_on_history(question, HISTORY)


@pytest.mark.parametrize(
    "question",
    [
        "Who chairs CCIPRA?",
        "Aktau est-elle la capitale du Kazakhstan ?",  # inversion clitic, not a reference
        "Qu'est-ce que le CCIPRA ?",
        "Are there exchanges between Birmingham and Verona?",
        "What is the theme of the Regong Art Exhibition in Tianjin?",
        "连云港与哈萨克斯坦的哪座城市结为友好城市？",
    ],
)
def test_a_new_question_that_names_its_topic_is_searched_alone(question: str) -> None:
    assert not depends_on_history(question, HISTORY)
    assert rule_followup(question, HISTORY).query == question


def test_first_question_never_depends_on_history() -> None:
    assert not depends_on_history("and how many attended?", [])


def test_rule_searches_a_follow_up_with_the_previous_question_but_answers_it_as_asked() -> None:
    followup = rule_followup("and how many attended?", HISTORY)
    assert followup.query == "Tell me about the Tianjin and Qinghai event and how many attended?"
    assert followup.question == "and how many attended?" and not followup.rewritten


def _model(reply: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))


def test_model_rewrite_becomes_the_question_every_step_reads() -> None:
    rewriter = FollowupRewriter(_model("How many people attended the Tianjin and Qinghai event?"))
    followup = rewriter("and how many attended?", HISTORY)
    assert followup.rewritten
    assert followup.query == followup.question == "How many people attended the Tianjin and Qinghai event?"


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("and how many attended?", "NOT_FOUND"),
        ("and how many attended?", "Over 1,000 people attended [1]."),  # an answer, not a question
        ("and how many attended?", ""),
        ("Quand a-t-il été lancé ?", "When was the China-Kazakhstan programme launched?"),  # lost the French
        ("Do they help students?", "What do sister-city partnerships do for students?"),  # no longer yes/no
        ("What kind of power does it build?", "Does the Tianjin event build power?"),  # became yes/no
        ("Will it include student exchanges?", "Will it include student exchanges?"),  # returned as it was
        ("Which fields would its training cover?", "Which fields would the training cover?"),  # still vague
    ],
)
def test_an_unusable_rewrite_falls_back_to_the_rule(question: str, reply: str) -> None:
    followup = FollowupRewriter(_model(reply))(question, HISTORY)
    assert followup == rule_followup(question, HISTORY)


def test_a_standalone_question_is_not_sent_to_the_model() -> None:
    model = _model("should not be used")
    followup = FollowupRewriter(model)("Who chairs CCIPRA?", HISTORY)
    assert followup.query == "Who chairs CCIPRA?" and not followup.rewritten
    assert model.invoke("next").content == "should not be used"  # the only reply is still unread


def test_a_failing_model_falls_back_to_the_rule() -> None:
    exhausted = GenericFakeChatModel(messages=iter([]))  # raises on the first call
    assert FollowupRewriter(exhausted)("and how many attended?", HISTORY) == rule_followup(
        "and how many attended?", HISTORY
    )
