"""Answers the bot has posted, kept so a later 👍/👎 or "share" click can find the question, the
answer and its sources. Stored next to the feedback table (same database), keyed by a random id
that travels in the button value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, String, Table, Text, delete, insert, select

from assistant.models import Answer
from assistant.storage.db import create_tables, metadata

KEEP_FOR = timedelta(days=90)

slack_answers_table = Table(
    "slack_answers",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("conversation", String(256), nullable=False, default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),  # Answer as JSON
)


@dataclass(frozen=True)
class PostedAnswer:
    key: str
    conversation: str
    question: str
    answer: Answer


class PostedAnswers:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, [slack_answers_table])

    def add(self, question: str, answer: Answer, conversation: str = "") -> str:
        """Store an answer about to be posted; returns the key to put in its buttons. Answers
        older than KEEP_FOR are dropped at the same time."""
        key = uuid.uuid4().hex
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(slack_answers_table).where(slack_answers_table.c.created_at < now - KEEP_FOR))
            conn.execute(
                insert(slack_answers_table).values(
                    key=key,
                    created_at=now,
                    conversation=conversation,
                    question=question,
                    answer=answer.model_dump_json(),
                )
            )
        return key

    def get(self, key: str) -> PostedAnswer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(slack_answers_table).where(slack_answers_table.c.key == key)).first()
        if row is None:
            return None
        return PostedAnswer(
            key=row.key,
            conversation=row.conversation,
            question=row.question,
            answer=Answer.model_validate_json(row.answer),
        )
