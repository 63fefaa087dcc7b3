"""Hybrid retrieval: dense search in each encoder's Chroma collection plus BM25, fused by summed
z-scores (see HybridRetriever), with metadata filters (language, source, date). `search()` returns
one `Retrieval` that carries everything later steps need (passages, the question's language, its
query vectors, the names it mentions that the index knows), so nothing reaches back in here."""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.index.keyword import KeywordIndex, top_rows
from assistant.index.keyword_store import KeywordIndexStore
from assistant.index.store import ChunkStore, DocRecord
from assistant.models import Filters
from assistant.text.entities import question_entities
from assistant.text.language import detect_language
from assistant.text.tokenize import keyword_tokens

logger = logging.getLogger(__name__)

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
    similarities: dict[str, float] = field(default_factory=dict)


@dataclass
class Retrieval:
    """What one search found, handed from retrieval to answering."""

    query: str
    language: str
    passages: list[Passage]
    query_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    known_names: list[str] = field(default_factory=list)  # names in the query that the index uses

    def top(self, k: int) -> Retrieval:
        return Retrieval(self.query, self.language, self.passages[:k], self.query_vectors, self.known_names)


class IndexSnapshot:
    """What readers cache per index version: the manifest and the keyword index."""

    def __init__(
        self, store: ChunkStore, encoders: list[str], sample_size: int, keywords: KeywordIndexStore | None = None
    ) -> None:
        self.version = store.version()
        self.manifest: dict[str, DocRecord] = store.manifest()
        # persisted once per index version (assistant/index/keyword_store.py), else built from all chunks
        self.keyword = (
            keywords.open(store, self.version, self.manifest) if keywords else KeywordIndex(store.iter_chunks())
        )
        # An evenly spaced sample of stored vectors per encoder, to estimate the mean and spread
        # of a query's similarity over the whole index (for z-score fusion) without scanning it.
        ids = self.keyword.chunk_ids
        step = max(1, len(ids) // sample_size)
        sample_ids = ids[::step][:sample_size]
        self.samples: dict[str, np.ndarray] = {}
        for name in encoders:
            self.samples[name] = store.vectors(name, sample_ids)[1] if sample_ids else np.zeros((0, 0), np.float32)
        meta = self.keyword.metadatas
        self.row_lang = np.array([str(m.get("lang", "")) for m in meta], dtype=object)
        self.row_date = np.array([int(m.get("date_int", 0) or 0) for m in meta], dtype=np.int64)
        self.row_doc = np.array([str(m.get("doc_id", "")) for m in meta], dtype=object)

    def dense_stats(self, encoder: str, query_vector: np.ndarray) -> tuple[float, float]:
        sample = self.samples.get(encoder)
        if sample is None or len(sample) < 2:
            return 0.0, 1.0
        sims = sample @ query_vector.astype(np.float32)
        return float(sims.mean()), float(max(sims.std(), 1e-6))

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


# Languages whose questions share words with their documents often enough that BM25 is a
# secondary signal; for the others (CJK, Arabic, Greek, Hindi, Russian, Thai ...) BM25 weighs as
# much as the dense encoders. A property of the question only, never of the chunk: weighting
# chunks by their own language biases a mixed-language index towards the question's language.
SPACED_LATIN = frozenset({"en", "fr", "de", "es", "it", "nl", "pl", "pt", "tr"})
DENSE_SAMPLE = 2000


class HybridRetriever(BaseRetriever):
    """LangChain retriever over a ChunkStore. `retrieve()` is the full API (filters, scores);
    `invoke(query)` returns Documents for use in ordinary LangChain chains.

    Fusion (measured on XQuAD, US Code and French programme pages; see README): each ranker's
    score is z-normalised over the whole index for this query, then
        score = wU*z(USE) + wM*z(MiniLM) + wB*z(BM25)
    with wU = 1 - minilm_share and wM = minilm_share when the question AND the chunk are English
    (MiniLM is English-only), else wU = 1, wM = 0; wB = keyword_weight_spaced for questions in
    SPACED_LATIN languages, else keyword_weight_other. Z-scores (unlike rank fusion) let a ranker
    that has nothing to say - BM25 across languages - stay quiet instead of adding noise.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: ChunkStore
    encoders: dict[str, Embeddings]
    k: int = 5
    candidates: int = 50
    minilm_share: float = 0.5
    keyword_weight_spaced: float = 0.25
    keyword_weight_other: float = 1.0
    refresh_seconds: float = 2.0
    keywords: KeywordIndexStore | None = None  # where keyword indexes are persisted (None: built here)

    _snapshot: IndexSnapshot | None = PrivateAttr(default=None)
    _checked_at: float = PrivateAttr(default=0.0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _executor: ThreadPoolExecutor | None = PrivateAttr(default=None)

    # --- index snapshot ----------------------------------------------------------------------

    def snapshot(self) -> IndexSnapshot:
        """The cached manifest, keyword index and dense samples, rebuilt when ingest bumped the
        index version (checked at most every `refresh_seconds`)."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or now - self._checked_at > self.refresh_seconds:
                if self._snapshot is None or self.store.version() != self._snapshot.version:
                    self.store.check_readable()
                    started = time.perf_counter()
                    self._snapshot = IndexSnapshot(self.store, list(self.encoders), DENSE_SAMPLE, self.keywords)
                    logger.info(
                        "index snapshot ready chunks=%s version=%s ms=%.0f",
                        len(self._snapshot.keyword), self._snapshot.version,
                        (time.perf_counter() - started) * 1000,
                    )
                self._checked_at = now
            return self._snapshot

    # --- retrieval ---------------------------------------------------------------------------

    def dense_weights(self, query_english: bool, chunk_language: str) -> dict[str, float]:
        names = set(self.encoders)
        if names == {"use", "minilm"}:
            if query_english and chunk_language == "en":
                return {"use": 1.0 - self.minilm_share, "minilm": self.minilm_share}
            return {"use": 1.0, "minilm": 0.0}
        return dict.fromkeys(names, 1.0)

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        return self.search(query, k, filters).passages

    def known_names(self, text: str) -> list[str]:
        """Names in `text` that occur somewhere in the index. Only those can tell one programme
        from another; a capitalised word the corpus never uses (every German noun, a name in
        another script) says nothing about which passage is right."""
        vocabulary = self.snapshot().keyword.vocab
        return [
            name
            for name in question_entities(text)
            if all(token in vocabulary for token in keyword_tokens(name, drop_stopwords=False))
        ]

    def manifest(self) -> dict[str, DocRecord]:
        return self.snapshot().manifest

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> Retrieval:
        k = k or self.k
        filters = filters or Filters()
        snap = self.snapshot()
        language = detect_language(query)
        names = self.known_names(query)
        allowed = snap.allowed_docs(filters)
        if allowed is not None and not allowed:
            return Retrieval(query, language, [], {}, names)
        where = chroma_where(filters, allowed)
        english = language == "en"
        active = [n for n in self.encoders if n != "minilm" or english or len(self.encoders) == 1]

        # The encoders after the first run on a worker thread while this one encodes with the
        # first and scores BM25: each encoder call holds one CPU slot, so on two cores they overlap
        # instead of adding up; under load the slots make them queue as before.
        later = {name: self._pool().submit(self._dense, snap, name, query, where) for name in active[1:]}
        dense = {active[0]: self._dense(snap, active[0], query, where)} if active else {}
        bm25 = snap.keyword.scores(query)
        bm25_mean, bm25_std = float(bm25.mean()) if bm25.size else 0.0, float(bm25.std()) if bm25.size else 0.0
        mask = snap.row_mask(filters, allowed)
        masked = bm25 if mask is None else np.where(mask, bm25, 0.0)
        keyword_rows = top_rows(masked, self.candidates)
        dense.update((name, future.result()) for name, future in later.items())

        passages: dict[str, Passage] = {}
        vectors: dict[str, np.ndarray] = {}
        stats: dict[str, tuple[float, float]] = {}
        unknown: list[str] = []  # written after the snapshot was taken (an ingest in progress)
        for name in active:
            vector, stats[name], hits = dense[name]
            vectors[name] = vector
            for chunk_id, similarity in hits:
                passage = passages.get(chunk_id)
                if passage is None:
                    row = snap.keyword.row_of.get(chunk_id)
                    if row is None:
                        unknown.append(chunk_id)
                        passage = _passage(chunk_id, "", {})
                    else:
                        passage = _passage(chunk_id, snap.keyword.texts[row], snap.keyword.metadatas[row])
                    passages[chunk_id] = passage
                passage.similarities[name] = similarity
        if unknown:
            for chunk in self.store.get_chunks(list(dict.fromkeys(unknown))):
                fresh = _passage(chunk.chunk_id, chunk.text, chunk.metadata)
                fresh.similarities = passages[chunk.chunk_id].similarities
                passages[chunk.chunk_id] = fresh
        for row in keyword_rows.tolist():
            chunk_id = snap.keyword.chunk_ids[row]
            if chunk_id not in passages:
                passages[chunk_id] = _passage(chunk_id, snap.keyword.texts[row], snap.keyword.metadatas[row])

        self._fill_similarities(list(passages.values()), vectors)
        w_keyword = self.keyword_weight_spaced if language in SPACED_LATIN else self.keyword_weight_other
        for passage in passages.values():
            score = 0.0
            for name, weight in self.dense_weights(english, passage.language).items():
                if weight and name in passage.similarities:
                    mean, std = stats[name]
                    score += weight * (passage.similarities[name] - mean) / std
            row = snap.keyword.row_of.get(passage.chunk_id)
            keyword = float(bm25[row]) if row is not None and bm25.size else 0.0
            if bm25_std > 0:
                score += w_keyword * (keyword - bm25_mean) / bm25_std
            passage.score = score
            passage.relevance = relevance(passage, english)
        ranked = sorted(passages.values(), key=lambda p: p.score, reverse=True)[:k]
        return Retrieval(query, language, ranked, vectors, names)

    def _dense(
        self, snap: IndexSnapshot, name: str, query: str, where: dict[str, Any] | None
    ) -> tuple[np.ndarray, tuple[float, float], list[tuple[str, float]]]:
        """One encoder's part: the query vector, its similarity statistics over the index and its
        nearest chunks (ids and cosine similarities; texts come from the snapshot)."""
        vector = np.asarray(self.encoders[name].embed_query(query))
        hits = self.store.dense_search(name, vector.tolist(), self.candidates, where, with_text=False)
        return vector, snap.dense_stats(name, vector), [(hit.chunk_id, hit.similarity) for hit in hits]

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=max(1, len(self.encoders) - 1),
                                                    thread_name_prefix="retrieval")
            return self._executor

    def _fill_similarities(self, passages: list[Passage], query_vectors: Mapping[str, np.ndarray]) -> None:
        """Cosine similarity of every candidate for every active encoder (some were found only by
        another ranker), read from the stored vectors. An English-only encoder has vectors for
        English chunks only (see ChunkStore.covers)."""
        for name, vector in query_vectors.items():
            missing = [
                p.chunk_id for p in passages
                if name not in p.similarities and self.store.covers(name, p.language)
            ]
            if not missing:
                continue
            ids, stored = self.store.vectors(name, missing)
            if not ids:
                continue
            # float64 like the query vector: the same cosines as one dot product per chunk
            sims = stored.astype(np.float64) @ np.asarray(vector, dtype=np.float64)
            by_id = {p.chunk_id: p for p in passages}
            for chunk_id, similarity in zip(ids, sims.tolist(), strict=True):
                by_id[chunk_id].similarities[name] = similarity

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


def relevance(passage: Passage, query_english: bool) -> float:
    """Evidence strength in [0, 1] for the refusal gate: the multilingual USE cosine, or for an
    English question the larger of the USE and MiniLM cosines (AUC 0.999 separating answerable
    from off-topic questions in our measurements; threshold 0.46)."""
    values = [passage.similarities.get("use", 0.0)]
    if query_english or "use" not in passage.similarities:
        values.append(passage.similarities.get("minilm", 0.0))
    return float(max(0.0, min(1.0, max(values))))


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
