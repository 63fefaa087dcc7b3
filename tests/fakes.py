"""Deterministic fakes for the unit tier: a lexical `Embeddings` (texts that share words are
close) - never used where a test is about the real encoders' quality - and a small real index
whose assistants reply with scripted text."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.chain import Assistant
from assistant.components import build_assistant, build_store
from assistant.settings import Settings
from assistant.text.tokenize import keyword_tokens
from ingest.pipeline import run_ingest


class KeywordHashEmbeddings(Embeddings):
    """Bag of hashed keyword tokens, L2-normalised: cosine = shared-word overlap."""

    model_id = "keyword-hash-256"

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions
        self.calls: list[list[str]] = []

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for token in keyword_tokens(text):
            vector[int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dimensions] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm).tolist() if norm else vector.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@dataclass(frozen=True)
class ScriptedIndex:
    """A real Chroma index of a few documents, and assistants over it whose chat model replies
    with scripted text (the answer checks after the model are what such tests pin)."""

    settings: Settings
    client: ClientAPI
    encoders: dict[str, Embeddings]

    def assistant(self, *replies: str) -> Assistant:
        llm = GenericFakeChatModel(messages=iter([AIMessage(content=reply) for reply in replies]))
        return build_assistant(self.settings, client=self.client, encoders=self.encoders, llm=llm)


def indexed(
    tmp_path: Path, documents: dict[str, str], encoder: Embeddings | None = None, **settings: Any
) -> ScriptedIndex:
    """Ingest `documents` (file name -> text) with `encoder` (lexical by default) into an
    ephemeral Chroma collection; no relevance floor unless `settings` sets one."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    options: dict[str, Any] = {"min_relevance": 0.0, "min_relevance_crosslingual": 0.0, **settings}
    config = Settings(
        data_dir=tmp_path / "data", generator="extractive", collection=f"t-{uuid.uuid4().hex[:8]}", **options
    )
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    encoders = {"use": encoder or KeywordHashEmbeddings()}
    stats = run_ingest([corpus], build_store(config, encoders, client), encoders, progress=False)
    assert stats.ok, stats.errors
    return ScriptedIndex(config, client, encoders)
