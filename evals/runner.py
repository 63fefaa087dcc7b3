"""run_eval: every dataset question through the assistant users get, scored per question and
summarised per language and kind. Takes built objects; reads no settings."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.chain import Assistant
from assistant.citations import parse_sentences
from assistant.errors import InvalidInputError
from assistant.models import Answer, Filters
from assistant.retrieval import Passage
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


class RecordingRetriever:
    """Stands in for the assistant's retriever: fetches the top RETRIEVAL_DEPTH once, hands the
    assistant its top k (the same passages a k-query returns: fusion is sorted then cut), and
    keeps the full ranking for the retrieval metrics."""

    def __init__(self, inner: Any, depth: int = RETRIEVAL_DEPTH) -> None:
        self.inner = inner
        self.depth = depth
        self.last: list[Passage] = []
        self.last_used: list[Passage] = []

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        want = k or self.inner.k
        passages = self.inner.retrieve(query, max(want, self.depth), filters)
        self.last = passages
        self.last_used = passages[:want]
        return self.last_used

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


Judge = Callable[[str, Answer, list[Passage]], float | None]


def run_eval(
    assistant: Assistant,
    records: Sequence[EvalRecord],
    *,
    progress: bool | None = None,
    judge: Judge | None = None,
) -> list[QuestionResult]:
    """Ask every question; the assistant's retriever is wrapped for the duration so retrieval is
    measured on exactly the ranking the answer came from."""
    recorder = RecordingRetriever(assistant.retriever)
    assistant.retriever = recorder  # type: ignore[assignment]
    try:
        return [_ask(assistant, recorder, record, judge) for record in _progress(records, progress)]
    finally:
        assistant.retriever = recorder.inner


def _ask(
    assistant: Assistant, recorder: RecordingRetriever, record: EvalRecord, judge: Judge | None
) -> QuestionResult:
    result = QuestionResult(
        id=record.id,
        question=record.question,
        lang=record.lang,
        kind=record.kind,
        answerable=record.answerable,
        gold_ids=list(record.gold_ids),
        answers=list(record.answers),
    )
    recorder.last, recorder.last_used = [], []
    try:
        answer = assistant.answer(record.question)
    except InvalidInputError as exc:
        result.error = str(exc)
        logger.warning("question rejected id=%s: %s", record.id, exc)
        return result
    result.answer = answer.answer
    result.refused = answer.refused
    result.retrieved = metrics.dedupe_documents(p.doc_id for p in recorder.last)
    result.used = metrics.dedupe_documents(p.doc_id for p in recorder.last_used)
    result.cited = metrics.dedupe_documents(c.doc_id for c in answer.citations)
    result.passages = [
        {"doc_id": p.doc_id, "chunk_id": p.chunk_id, "text": p.text[:800]} for p in recorder.last_used
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
        result.judge = judge(record.question, answer, recorder.last_used)
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
        return 1.0 if metrics.polarity(text) == record.answers[0].lower() else 0.0
    if record.kind == "list":
        return metrics.list_f1(text, record.answers)
    return 1.0 if metrics.any_answer(text, record.answers) else 0.0


def _support(assistant: Assistant, answer: Answer) -> tuple[int, int]:
    """(cited sentences, supported ones) using the assistant's own support checker."""
    quotes = {c.n: c.quote for c in answer.citations}
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
