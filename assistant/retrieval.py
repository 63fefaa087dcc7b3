"""Hybrid retrieval: dense search in each encoder's Chroma collection plus BM25, fused by
weighted reciprocal-rank fusion, with metadata filters (language, source, date)."""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.keyword import KeywordIndex
from assistant.models import Filters
from assistant.store import ChunkStore, DocRecord

logger = logging.getLogger(__name__)

KEYWORD = "keyword"


@dataclass
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    source: str
    url: str | None
    date: str | None
    language: str
    text: str
    score: float = 0.0  # fused score, for ordering
    relevance: float = 0.0  # calibrated 0-1 evidence strength, for the refusal gate
    ranks: dict[str, int] = field(default_factory=dict)
    similarities: dict[str, float] = field(default_factory=dict)
    keyword_coverage: float = 0.0


class IndexSnapshot:
    """What readers cache per index version: the manifest and the keyword index."""

    def __init__(self, store: ChunkStore) -> None:
        self.version = store.version()
        self.manifest: dict[str, DocRecord] = store.manifest()
        self.keyword = KeywordIndex(store.iter_chunks())
        meta = self.keyword.metadatas
        self.row_lang = np.array([str(m.get("lang", "")) for m in meta], dtype=object)
        self.row_date = np.array([int(m.get("date_int", 0) or 0) for m in meta], dtype=np.int64)
        self.row_doc = np.array([str(m.get("doc_id", "")) for m in meta], dtype=object)

    def allowed_docs(self, filters: Filters) -> set[str] | None:
        """Doc ids passing the source pattern filter (None = no source filter)."""
        if not filters.sources:
            return None
        return {
            doc_id
            for doc_id, rec in self.manifest.items()
            if any(fnmatch.fnmatchcase(doc_id, p) or fnmatch.fnmatchcase(rec.source, p) for p in filters.sources)
        }

    def row_mask(self, filters: Filters, allowed: set[str] | None) -> np.ndarray | None:
        if filters.is_empty():
            return None
        mask = np.ones(len(self.keyword), dtype=bool)
        if filters.languages:
            mask &= np.isin(self.row_lang, list(filters.languages))
        if filters.date_from:
            mask &= self.row_date >= _date_int(filters.date_from)
        if filters.date_to:
            mask &= (self.row_date <= _date_int(filters.date_to)) & (self.row_date > 0)
        if allowed is not None:
            mask &= np.isin(self.row_doc, list(allowed))
        return mask


def _date_int(iso: str) -> int:
    return int(iso[:10].replace("-", ""))


def chroma_where(filters: Filters, allowed: set[str] | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if filters.languages:
        clauses.append({"lang": {"$in": list(filters.languages)}})
    if filters.date_from:
        clauses.append({"date_int": {"$gte": _date_int(filters.date_from)}})
    if filters.date_to:
        clauses.append({"date_int": {"$lte": _date_int(filters.date_to)}})
        clauses.append({"date_int": {"$gt": 0}})
    if allowed is not None:
        clauses.append({"doc_id": {"$in": sorted(allowed)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class HybridRetriever(BaseRetriever):
    """LangChain retriever over a ChunkStore. `retrieve()` is the full API (filters, scores);
    `invoke(query)` returns Documents for use in ordinary LangChain chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ChunkStore
    encoders: dict[str, Embeddings]
    weights: dict[str, float]
    k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    refresh_seconds: float = 2.0

    _snapshot: IndexSnapshot | None = PrivateAttr(default=None)
    _checked_at: float = PrivateAttr(default=0.0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # --- index snapshot ----------------------------------------------------------------------

    def snapshot(self) -> IndexSnapshot:
        """The cached manifest and keyword index, rebuilt when ingest bumped the index version."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or now - self._checked_at > self.refresh_seconds:
                if self._snapshot is None:
                    self.store.check_readable()
                if self._snapshot is None or self.store.version() != self._snapshot.version:
                    self.store.check_readable()
                    started = time.perf_counter()
                    self._snapshot = IndexSnapshot(self.store)
                    logger.info(
                        "keyword index built chunks=%s version=%s ms=%.0f",
                        len(self._snapshot.keyword), self._snapshot.version,
                        (time.perf_counter() - started) * 1000,
                    )
                self._checked_at = now
            return self._snapshot

    # --- retrieval ---------------------------------------------------------------------------

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        k = k or self.k
        filters = filters or Filters()
        snap = self.snapshot()
        allowed = snap.allowed_docs(filters)
        if allowed is not None and not allowed:
            return []
        where = chroma_where(filters, allowed)
        passages: dict[str, Passage] = {}
        rankings: dict[str, list[str]] = {}
        query_vectors: dict[str, list[float]] = {}

        for name, encoder in self.encoders.items():
            if self.weights.get(name, 0.0) <= 0:
                continue
            vector = encoder.embed_query(query)
            query_vectors[name] = vector
            hits = self.store.dense_search(name, vector, self.candidates, where)
            rankings[name] = [hit.chunk_id for hit in hits]
            for hit in hits:
                passage = passages.get(hit.chunk_id) or _passage(hit.chunk_id, hit.text, hit.metadata)
                passage.similarities[name] = hit.similarity
                passages[hit.chunk_id] = passage

        if self.weights.get(KEYWORD, 0.0) > 0:
            mask = snap.row_mask(filters, allowed)
            hits_kw = snap.keyword.search(query, self.candidates, mask)
            rankings[KEYWORD] = []
            for hit in hits_kw:
                chunk_id = snap.keyword.chunk_ids[hit.row]
                rankings[KEYWORD].append(chunk_id)
                passage = passages.get(chunk_id) or _passage(
                    chunk_id, snap.keyword.texts[hit.row], snap.keyword.metadatas[hit.row]
                )
                passages[chunk_id] = passage

        fused = self.fuse(rankings)
        ordered = sorted(passages.values(), key=lambda p: fused.get(p.chunk_id, 0.0), reverse=True)[:k]
        for passage in ordered:
            passage.score = fused.get(passage.chunk_id, 0.0)
            passage.ranks = {
                name: ranking.index(passage.chunk_id) + 1
                for name, ranking in rankings.items()
                if passage.chunk_id in ranking
            }
            row = snap.keyword.row_of.get(passage.chunk_id)
            if row is not None:
                passage.keyword_coverage = snap.keyword.idf_weighted_coverage(query, row)
        self._fill_similarities(ordered, query_vectors)
        for passage in ordered:
            passage.relevance = relevance(passage)
        return ordered

    def fuse(self, rankings: Mapping[str, list[str]]) -> dict[str, float]:
        """Weighted reciprocal-rank fusion: sum over rankers of weight / (rrf_k + rank)."""
        scores: dict[str, float] = {}
        for name, ranking in rankings.items():
            weight = self.weights.get(name, 0.0)
            for rank, chunk_id in enumerate(ranking, start=1):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (self.rrf_k + rank)
        return scores

    def _fill_similarities(self, passages: list[Passage], query_vectors: Mapping[str, list[float]]) -> None:
        """Cosine similarity of every returned passage for every encoder (some were found only
        by another ranker), read from the stored vectors."""
        for name, vector in query_vectors.items():
            missing = [p.chunk_id for p in passages if name not in p.similarities]
            if not missing:
                continue
            stored = self.store.vectors(name, missing)
            q = np.asarray(vector)
            for passage in passages:
                if passage.chunk_id in stored:
                    passage.similarities[name] = float(np.dot(q, np.asarray(stored[passage.chunk_id])))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=p.text,
                id=p.chunk_id,
                metadata={
                    "chunk_id": p.chunk_id, "doc_id": p.doc_id, "title": p.title, "source": p.source,
                    "url": p.url, "date": p.date, "lang": p.language, "score": p.score,
                    "relevance": p.relevance,
                },
            )
            for p in self.retrieve(query)
        ]


def relevance(passage: Passage) -> float:
    """Evidence strength in [0, 1]: the best of the multilingual cosine and the share of the
    question's (IDF-weighted) terms found in the passage."""
    use = passage.similarities.get("use", 0.0)
    minilm = passage.similarities.get("minilm", 0.0)
    dense = max(use, minilm)
    return float(max(0.0, min(1.0, max(dense, passage.keyword_coverage * 0.9))))


def _passage(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        doc_id=str(meta.get("doc_id", chunk_id.rsplit("#", 1)[0])),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url") or "") or None,
        date=str(meta.get("date") or "") or None,
        language=str(meta.get("lang", "")),
        text=text,
    )
