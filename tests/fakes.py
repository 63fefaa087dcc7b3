"""Deterministic fakes for the unit tier: a lexical `Embeddings` (texts that share words are
close) - never used where a test is about the real encoders' quality."""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.text.tokenize import keyword_tokens


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
