"""Feedback store: 👍/👎 on answers from Slack, the widget or the API, exportable as draft
evaluation cases in the evals dataset format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, insert, select

from assistant.storage.db import create_tables, metadata
from assistant.text.language import detect_language

Rating = Literal["up", "down"]

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(32), nullable=False),  # slack | widget | api
    Column("user_id", String(128), nullable=False, default=""),
    Column("partner", String(128), nullable=False, default=""),
    Column("conversation", String(256), nullable=False, default=""),
    Column("rating", String(8), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False, default="[]"),  # JSON list of source objects
    Column("refused", Integer, nullable=False, default=0),
)


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: datetime
    channel: str
    user_id: str
    partner: str
    conversation: str
    rating: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    refused: bool


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, [feedback_table])

    def add(
        self,
        *,
        channel: str,
        rating: Rating,
        question: str,
        answer: str,
        citations: list[dict[str, Any]],
        refused: bool = False,
        user_id: str = "",
        partner: str = "",
        conversation: str = "",
    ) -> int:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(feedback_table).values(
                    created_at=datetime.now(UTC), channel=channel, user_id=user_id, partner=partner,
                    conversation=conversation, rating=rating, question=question, answer=answer,
                    citations=json.dumps(citations, ensure_ascii=False), refused=int(refused),
                )
            )
            inserted = result.inserted_primary_key
            assert inserted is not None  # always set for a single-row INSERT
            return int(inserted[0])

    def records(self) -> Iterator[FeedbackRecord]:
        with self.engine.connect() as conn:
            for row in conn.execute(select(feedback_table).order_by(feedback_table.c.id)):
                yield FeedbackRecord(
                    id=row.id, created_at=row.created_at, channel=row.channel, user_id=row.user_id,
                    partner=row.partner, conversation=row.conversation, rating=row.rating,
                    question=row.question, answer=row.answer, citations=json.loads(row.citations or "[]"),
                    refused=bool(row.refused),
                )

    def export_cases(self) -> Iterator[dict[str, Any]]:
        """Draft eval cases (evals dataset format, valid for `eval`), each with `notes` saying
        what the feedback leaves unknown for a maintainer to fill in:
        - 👍 on an answer: answerable, gold = the documents it cited; the short expected answer is unknown.
        - 👍 on a refusal: unanswerable (the user agreed nothing answers it).
        - 👎 on a refusal: answerable (the user expected an answer); the answer and its document are unknown.
        - 👎 on an answer: the right answer, its document, even whether the documents answer it, are unknown.
        A case with `answers: []` is scored on refusing or not only, until its answers are filled in."""
        for record in self.records():
            gold = list(dict.fromkeys(str(c.get("doc_id")) for c in record.citations if c.get("doc_id")))
            up = record.rating == "up"
            answer = " ".join(record.answer.split())[:300]
            case: dict[str, Any] = {
                "id": f"feedback-{record.id}",
                "question": record.question,
                "lang": detect_language(record.question),
                "answers": [],
                "answerable": True,
                "gold_ids": [],
                "kind": "factoid",
            }
            if up and record.refused:
                case.update(
                    answerable=False, kind="unanswerable",
                    notes=f"{record.channel} 👍 on a refusal: the user agreed the documents do not answer this.",
                )
            elif up:
                case.update(gold_ids=gold, notes=(
                    f"{record.channel} 👍 on an answer citing {', '.join(gold) or 'no document'}. UNKNOWN: the short "
                    f"expected answer (add it to answers; kind is a guess). The approved answer: {answer}"
                ))
            elif record.refused:
                case.update(notes=(
                    f"{record.channel} 👎 on a refusal: the user expected an answer. UNKNOWN: the answer and the "
                    "document holding it (add answers and gold_ids; kind is a guess)."
                ))
            else:
                case.update(notes=(
                    f"{record.channel} 👎 on an answer citing {', '.join(gold) or 'no document'}. UNKNOWN: the right "
                    "answer, its document, and whether the documents answer this at all (if not: answerable "
                    f"false, kind unanswerable). The rejected answer: {answer}"
                ))
            yield case
