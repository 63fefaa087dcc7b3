"""run_eval: every dataset question through the assistant users get, scored per question and
summarised per language and kind. Takes built objects; reads no settings."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.chain import Assistant
from assistant.answer.citations import parse_sentences, strip_markers
from assistant.errors import InvalidInputError
from assistant.index.retrieval import Passage
from assistant.models import Answer
from assistant.text.language import detect_language
from evals import metrics
from evals.dataset import EvalRecord

logger = logging.getLogger(__name__)

RETRIEVAL_DEPTH = 10


@dataclass
class QuestionResult:
    """What one question produced and how it scored. Serialised as-is into report.json."""

    id: str
    question: str
    lang: str
    kind: str
    answerable: bool
    gold_ids: list[str]
    answers: list[str] = field(default_factory=list)  # the gold answers
    answer: str = ""
    refused: bool = False
    answer_language: str | None = None  # detected language of the answer text (None when refused)
    score: float = 0.0  # 0..1: containment / polarity / list F1; refusal for unanswerable
    correct: bool = False
    token_f1: float = 0.0
    retrieved: list[str] = field(default_factory=list)  # document ids, deduped, top RETRIEVAL_DEPTH
    used: list[str] = field(default_factory=list)  # document ids of the passages given to the generator
    cited: list[str] = field(default_factory=list)
    passages: list[dict[str, str]] = field(default_factory=list)  # given to the generator: doc_id, chunk_id, text
    cited_sentences: int = 0
    supported_sentences: int = 0
    unsupported_removed: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    judge: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Judge = Callable[[str, Answer, list[Passage]], float | None]


def run_eval(
    assistant: Assistant,
    records: Sequence[EvalRecord],
    *,
    progress: bool | None = None,
    judge: Judge | None = None,
) -> list[QuestionResult]:
    """Ask every question; retrieval is measured on exactly the ranking the answer came from
    (`Assistant.run` returns it, RETRIEVAL_DEPTH deep)."""
    return [_ask(assistant, record, judge) for record in _progress(records, progress)]


def _ask(assistant: Assistant, record: EvalRecord, judge: Judge | None) -> QuestionResult:
    result = QuestionResult(
        id=record.id,
        question=record.question,
        lang=record.lang,
        kind=record.kind,
        answerable=record.answerable,
        gold_ids=list(record.gold_ids),
        answers=list(record.answers),
    )
    try:
        answer, ranked = assistant.run(record.question, list(record.history), depth=RETRIEVAL_DEPTH)
    except InvalidInputError as exc:
        result.error = str(exc)
        logger.warning("question rejected id=%s: %s", record.id, exc)
        return result
    result.answer = answer.answer
    result.refused = answer.refused
    if not answer.refused:
        result.answer_language = detect_language(strip_markers(answer.answer), default=record.lang)
    used = ranked.passages[: assistant.limits.top_k]
    result.retrieved = metrics.dedupe_documents(p.doc_id for p in ranked.passages)
    result.used = metrics.dedupe_documents(p.doc_id for p in used)
    result.cited = metrics.dedupe_documents(c.doc_id for c in answer.citations)
    result.passages = [
        {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "text": p.text[:800]} for p in used
    ]
    result.timings_ms = answer.timings_ms.model_dump()
    result.unsupported_removed = len(answer.unsupported)
    result.score = score_answer(record, answer.answer, answer.refused)
    result.correct = result.score >= 0.5
    if record.answerable and not answer.refused and record.answers:
        golds = [" ".join(record.answers)] if record.kind == "list" else list(record.answers)
        result.token_f1 = metrics.best_token_f1(answer.answer, golds)
    if not answer.refused:
        result.cited_sentences, result.supported_sentences = _support(assistant, answer)
    if judge is not None and not answer.refused:
        result.judge = judge(record.question, answer, used)
    return result


def score_answer(record: EvalRecord, text: str, refused: bool) -> float:
    """0..1 for one answer: an unanswerable question is right when refused; an answerable one is
    wrong when refused, else scored by polarity (yes/no), list F1 (lists) or containment."""
    if not record.answerable:
        return 1.0 if refused else 0.0
    if refused:
        return 0.0
    if not record.answers:  # a draft whose expected answer is unknown: only "not refused" is measured
        return 1.0
    if record.is_yesno:
        return 1.0 if metrics.polarity(text) == record.polarity else 0.0
    if record.kind == "list":
        return metrics.list_f1(text, record.answers)
    return 1.0 if metrics.any_answer(text, record.answers) else 0.0


def _support(assistant: Assistant, answer: Answer) -> tuple[int, int]:
    """(cited sentences, supported ones) using the assistant's own support checker."""
    quotes = {c.n: "\n".join(q.quote for q in c.passages) or c.quote for c in answer.citations}
    pairs: list[tuple[str, str]] = []
    owners: list[int] = []
    sentences = [s for s in parse_sentences(answer.answer) if s.markers]
    for index, sentence in enumerate(sentences):
        for marker in sentence.markers:
            if marker in quotes:
                pairs.append((sentence.text, quotes[marker]))
                owners.append(index)
    if not pairs:
        return len(sentences), 0
    verdicts = assistant.support.check(pairs)
    supported = {owner for owner, ok in zip(owners, verdicts, strict=True) if ok}
    return len(sentences), len(supported)


def _progress(records: Sequence[EvalRecord], enabled: bool | None) -> Iterable[EvalRecord]:
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        return records
    from tqdm import tqdm

    return tqdm(records, desc="eval", unit="q", file=sys.stderr)
