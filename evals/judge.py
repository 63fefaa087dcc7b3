"""Optional LLM judge: how faithful an answer is to the passages it was given, scored 0-1 by any
chat model (in practice an OpenAI-compatible server). Everything else in the eval works without it.

Only the prompt and the parsing of the verdict are tested (with a scripted fake chat model); the
judge has not been run against a real server.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.index.retrieval import Passage
from assistant.models import Answer

logger = logging.getLogger(__name__)

JUDGE_SYSTEM = """You grade answers for faithfulness. You are given numbered passages, a question
and an answer. Score how well every claim in the answer is supported by the passages:
5 = every claim is stated in the passages, 0 = the claims are unsupported or contradicted.
Reply with one JSON object and nothing else: {"score": <0-5>, "reason": "<one sentence>"}"""

JUDGE_USER = """Passages:
{passages}

Question: {question}

Answer: {answer}"""

_SCORE = re.compile(r"score\W{0,3}(\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    score: float | None  # 0-1; None when the reply could not be read
    reason: str


def parse_verdict(text: str) -> Verdict:
    """Read {"score": 0-5, "reason": ...} from the reply, tolerating code fences, prose around the
    object, or a bare 'Score: 4'. Scores are clamped to 0-5 and scaled to 0-1."""
    raw: float | None = None
    reason = ""
    match = re.search(r"\{.*\}", text, re.S)
    if match:
        try:
            data = json.loads(match.group(0))
            raw = float(data["score"])
            reason = str(data.get("reason", ""))
        except (ValueError, KeyError, TypeError):
            raw = None
    if raw is None:
        found = _SCORE.search(text)
        if found:
            raw = float(found.group(1))
    if raw is None:
        return Verdict(None, text.strip()[:200])
    return Verdict(max(0.0, min(5.0, raw)) / 5.0, reason)


class FaithfulnessJudge:
    """Callable used by run_eval: (question, answer, passages) -> score 0-1 or None."""

    def __init__(self, llm: BaseChatModel) -> None:
        self.llm = llm

    def __call__(self, question: str, answer: Answer, passages: list[Passage]) -> float | None:
        numbered = "\n\n".join(f"[{i}] {p.text}" for i, p in enumerate(passages, start=1))
        messages = [
            SystemMessage(JUDGE_SYSTEM),
            HumanMessage(JUDGE_USER.format(passages=numbered, question=question, answer=answer.answer)),
        ]
        reply = self.llm.invoke(messages)
        verdict = parse_verdict(str(reply.content))
        if verdict.score is None:
            logger.warning("judge reply not understood: %s", verdict.reason[:80])
        return verdict.score
