"""Domain types shared by the core and every front end (API, CLI, Slack, widget)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, field_validator


def encodable_text(value: str) -> str:
    """Text that can be stored and sent on: a lone surrogate (JSON "\\ud800") cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"contains a character that is not valid Unicode text at position {exc.start} (a lone surrogate)"
        ) from exc
    return value


def _iso_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"{value!r} is not a date as YYYY-MM-DD")
    try:
        date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real calendar date") from exc
    return value.strip()


def web_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL with a host, else None (javascript:, data:, file:,
    relative paths and the like are never passed on as links)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t "):
        return None
    return url.strip()


Text = Annotated[str, AfterValidator(encodable_text)]
IsoDate = Annotated[str, AfterValidator(encodable_text), AfterValidator(_iso_date)]


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: Text = Field(max_length=8000)


class Filters(BaseModel):
    """Metadata filters on retrieval. Every field is optional; all given fields must match."""

    languages: list[Annotated[Text, Field(max_length=16)]] | None = Field(
        default=None, max_length=50, description="ISO 639-1 codes, e.g. ['en', 'fr']."
    )
    sources: list[Annotated[Text, Field(max_length=500)]] | None = Field(
        default=None,
        max_length=100,
        description="Glob patterns on document id or source, e.g. ['public/*', 'seeds/*'].",
    )
    date_from: IsoDate | None = Field(default=None, description="ISO date (YYYY-MM-DD), inclusive.")
    date_to: IsoDate | None = Field(default=None, description="ISO date (YYYY-MM-DD), inclusive.")

    def is_empty(self) -> bool:
        return not (self.languages or self.sources or self.date_from or self.date_to)


class Quote(BaseModel):
    """One cited passage of a source document."""

    chunk_id: str
    quote: str


class Source(BaseModel):
    """A numbered source document: what an inline [n] marker in the answer points to. Each cited
    passage of the document is listed once in `passages`; `quote`/`chunk_id` are the first."""

    n: int
    doc_id: str
    title: str
    source: str = Field(description="Path or URL of the original document.")
    url: str | None = Field(None, description="http(s) URL of the original document; other schemes are dropped.")
    date: str | None = None
    language: str | None = None
    quote: str = Field(description="The passage that supports the cited sentences.")
    score: float = Field(description="Retrieval score of the passage (higher is better).")
    chunk_id: str
    passages: list[Quote] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _web_url_only(cls, value: str | None) -> str | None:
        return web_url(value)


class Timings(BaseModel):
    retrieve: float = 0.0
    generate: float = 0.0
    total: float = 0.0
    first_token: float | None = Field(default=None, description="Time to the first streamed answer text.")


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
