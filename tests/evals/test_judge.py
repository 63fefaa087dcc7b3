"""The optional LLM judge: its verdict parsing, driven by a scripted fake chat model."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.index.retrieval import Passage
from assistant.models import Answer
from evals.judge import FaithfulnessJudge, parse_verdict


def _judge(reply: str) -> FaithfulnessJudge:
    return FaithfulnessJudge(GenericFakeChatModel(messages=iter([AIMessage(content=reply)])))


def _call(judge: FaithfulnessJudge) -> float | None:
    passage = Passage(
        chunk_id="d#0",
        doc_id="d",
        title="t",
        source="s",
        url=None,
        date=None,
        language="en",
        text="The exchange was launched in Astana.",
    )
    answer = Answer(answer="It was launched in Astana [1].", citations=[], refused=False, language="en")
    return judge("Where was it launched?", answer, [passage])


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"score": 5, "reason": "all stated"}', 1.0),
        ('```json\n{"score": 3, "reason": "partly"}\n```', 0.6),
        ('Here is my grade: {"score": 0, "reason": "invented"} Thanks.', 0.0),
        ("Score: 4", 0.8),
        ('{"score": 9}', 1.0),
    ],
)
def test_judge_reads_a_score_from_the_models_reply(reply: str, expected: float) -> None:
    assert _call(_judge(reply)) == pytest.approx(expected)


def test_judge_gives_no_score_for_an_unreadable_reply() -> None:
    assert _call(_judge("I cannot grade this.")) is None


def test_verdict_keeps_the_models_reason() -> None:
    assert parse_verdict('{"score": 2, "reason": "one claim is missing"}').reason == "one claim is missing"
