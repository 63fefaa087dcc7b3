"""BM25 keyword index over the stored chunks (sparse matrix, exact scores, filter masks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from scipy import sparse

from assistant.store import StoredChunk, passage_for_embedding
from assistant.tokenize import keyword_tokens


class KeywordIndex:
    """Okapi BM25 (k1=1.5, b=0.75). Rows are chunks; `metadatas[row]` is the chunk's metadata."""

    def __init__(self, chunks: Iterable[StoredChunk], k1: float = 1.5, b: float = 0.75) -> None:
        self.chunk_ids: list[str] = []
        self.texts: list[str] = []
        self.metadatas: list[Mapping[str, Any]] = []
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths: list[int] = []
        for row, chunk in enumerate(chunks):
            self.chunk_ids.append(chunk.chunk_id)
            self.texts.append(chunk.text)
            self.metadatas.append(chunk.metadata)
            # The title counts twice (a light BM25F): "Sister cities of Nancy" is about Nancy even
            # when its text names fifty other cities.
            title = str(chunk.metadata.get("title", ""))
            tokens = keyword_tokens(passage_for_embedding(f"{title}\n{title}", chunk.text))
            lengths.append(len(tokens))
            tf: dict[int, int] = {}
            for token in tokens:
                col = vocab.setdefault(token, len(vocab))
                tf[col] = tf.get(col, 0) + 1
            for col, count in tf.items():
                rows.append(row)
                cols.append(col)
                counts.append(float(count))
        self.vocab = vocab
        n_docs = len(self.chunk_ids)
        self.row_of = {cid: i for i, cid in enumerate(self.chunk_ids)}
        if n_docs == 0:
            self.matrix = sparse.csc_matrix((0, 0))
            return
        tf_matrix = sparse.csr_matrix((counts, (rows, cols)), shape=(n_docs, max(len(vocab), 1)))
        doc_len = np.asarray(lengths, dtype=np.float64)
        avg_len = float(doc_len.mean()) or 1.0
        df = np.bincount(np.asarray(cols), minlength=len(vocab)).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1.0 - b + b * doc_len / avg_len)
        tf_coo = tf_matrix.tocoo()
        weights = tf_coo.data * (k1 + 1.0) / (tf_coo.data + norm[tf_coo.row]) * idf[tf_coo.col]
        self.matrix = sparse.csc_matrix((weights, (tf_coo.row, tf_coo.col)), shape=tf_matrix.shape)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def _query_columns(self, query: str) -> list[int]:
        seen: dict[int, None] = {}
        for token in keyword_tokens(query):
            col = self.vocab.get(token)
            if col is not None:
                seen[col] = None
        return list(seen)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (zeros where no query term occurs)."""
        cols = self._query_columns(query)
        if not cols or len(self) == 0:
            return np.zeros(len(self))
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()
