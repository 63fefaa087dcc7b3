"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.models import Filters, Text, Turn


class AskRequest(BaseModel):
    question: Text = Field(
        description="The question, in any language.", examples=["Which cities is Nancy twinned with?"]
    )
    history: list[Turn] = Field(default_factory=list, description="Earlier turns of this conversation, oldest first.")
    filters: Filters | None = None


class ErrorBody(BaseModel):
    error_code: str
    detail: str


class Readiness(BaseModel):
    ready: bool
    status: str = "ready"  # warming | ready | not_ready
    documents: int
    chunks: int
    embedders: list[str]
    generator: str
    index_version: int
    detail: str | None = None
    slack: str | None = Field(None, description="ok, connecting or degraded; null when Slack is not configured.")
    slack_detail: str | None = None
