"""Domain types shared by the core and every front end (API, CLI, Slack, widget)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class Filters(BaseModel):
    """Metadata filters on retrieval. Every field is optional; all given fields must match."""

    languages: list[str] | None = Field(default=None, description="ISO 639-1 codes, e.g. ['en', 'fr'].")
    sources: list[str] | None = Field(
        default=None,
        description="Glob patterns on document id or source, e.g. ['public/*', 'seeds/*'].",
    )
    date_from: str | None = Field(default=None, description="ISO date (YYYY-MM-DD), inclusive.")
    date_to: str | None = Field(default=None, description="ISO date (YYYY-MM-DD), inclusive.")

    def is_empty(self) -> bool:
        return not (self.languages or self.sources or self.date_from or self.date_to)


class Quote(BaseModel):
    """One cited passage of a document."""

    chunk_id: str
    quote: str


class Source(BaseModel):
    """A numbered source: what an inline [n] marker in the answer points to. One per document;
    `passages` holds every cited passage of it (`quote`/`chunk_id` keep the first)."""

    n: int
    doc_id: str
    title: str
    source: str = Field(description="Path or URL of the original document.")
    url: str | None = None
    date: str | None = None
    language: str | None = None
    quote: str = Field(description="The passage that supports the cited sentences.")
    score: float = Field(description="Retrieval score of the passage (higher is better).")
    chunk_id: str
    passages: list[Quote] = Field(default_factory=list)


class Timings(BaseModel):
    retrieve: float = 0.0
    generate: float = 0.0
    total: float = 0.0


class Answer(BaseModel):
    answer: str
    citations: list[Source]
    refused: bool
    language: str
    timings_ms: Timings = Field(default_factory=Timings)
    generator: str = ""
    unsupported: list[str] = Field(
        default_factory=list,
        description="Sentences removed because no cited passage supported them.",
    )
