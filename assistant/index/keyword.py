"""BM25 keyword index over the stored chunks (sparse matrix, exact scores, filter masks).

`Postings` is what tokenising costs (term counts per chunk, lengths, vocabulary, ids, texts and
metadata): it is built once per index version, serialised (`to_bytes` / `from_bytes`, see
assistant/index/keyword_store.py for where it is kept) and updated incrementally (`updated`), and the
BM25 weights are computed from it in a fraction of a second whenever an index is opened."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from scipy import sparse

from assistant.index.store import StoredChunk, passage_for_embedding
from assistant.text.tokenize import keyword_tokens

# Bump when tokenisation or the serialised layout changes: persisted indexes of another format
# are ignored (and rebuilt), never misread.
POSTINGS_FORMAT = 1
_SEP = "\x00"  # never occurs in chunk ids or tokens


def chunk_tokens(chunk: StoredChunk) -> list[str]:
    # The title counts twice (a light BM25F): "Sister cities of Nancy" is about Nancy even
    # when its text names fifty other cities.
    title = str(chunk.metadata.get("title", ""))
    return keyword_tokens(passage_for_embedding(f"{title}\n{title}", chunk.text))


class PackedTexts(Sequence[str]):
    """Chunk texts as one UTF-8 buffer plus offsets, decoded one at a time on access (a query
    reads a few dozen of them), so opening an index does not build 100k Python strings."""

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def pack(cls, texts: Iterable[str]) -> PackedTexts:
        encoded = [t.encode("utf-8") for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(b"".join(encoded), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.blob[int(self.offsets[index]) : int(self.offsets[index + 1])].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))


@dataclass
class Postings:
    """Per-chunk term counts (CSR, rows = chunks, columns = `vocab` order) and what a reader
    needs of each chunk besides its vectors."""

    chunk_ids: list[str]
    texts: Sequence[str]
    metadatas: list[Mapping[str, Any]]
    vocab: list[str]
    tf: sparse.csr_matrix
    lengths: np.ndarray  # tokens per chunk

    @classmethod
    def from_chunks(cls, chunks: Iterable[StoredChunk], vocab: list[str] | None = None) -> Postings:
        """Tokenise `chunks`. With `vocab`, known tokens keep their columns and new ones are
        appended to it (a copy)."""
        words = list(vocab or [])
        columns = {token: i for i, token in enumerate(words)}
        chunk_ids: list[str] = []
        texts: list[str] = []
        metadatas: list[Mapping[str, Any]] = []
        indptr = [0]
        cols: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        for chunk in chunks:
            chunk_ids.append(chunk.chunk_id)
            texts.append(chunk.text)
            metadatas.append(chunk.metadata)
            tokens = chunk_tokens(chunk)
            lengths.append(len(tokens))
            tf: dict[int, int] = {}
            for token in tokens:
                col = columns.get(token)
                if col is None:
                    col = columns[token] = len(words)
                    words.append(token)
                tf[col] = tf.get(col, 0) + 1
            cols.extend(tf)
            counts.extend(tf.values())
            indptr.append(len(cols))
        values = np.asarray(counts, dtype=np.float32)
        columns_array = np.asarray(cols, dtype=np.int32)
        matrix = sparse.csr_matrix(
            (values, columns_array, np.asarray(indptr, dtype=np.int64)), shape=(len(chunk_ids), len(words))
        )
        return cls(chunk_ids, texts, metadatas, words, matrix, np.asarray(lengths, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def updated(self, keep: np.ndarray, added: Iterable[StoredChunk]) -> Postings:
        """These postings with only the rows where `keep` is true, plus `added` chunks tokenised
        (the only tokenising an incremental update does). Unused vocabulary is dropped."""
        new = Postings.from_chunks(added, self.vocab)
        rows = np.flatnonzero(keep)
        kept = self.tf[rows]
        old_tf = sparse.csr_matrix((kept.data, kept.indices, kept.indptr), shape=(len(rows), len(new.vocab)))
        tf = sparse.vstack([old_tf, new.tf], format="csr")
        used = np.flatnonzero(np.bincount(tf.indices, minlength=tf.shape[1]))
        remap = np.full(tf.shape[1], -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        tf = sparse.csr_matrix((tf.data, remap[tf.indices], tf.indptr), shape=(tf.shape[0], len(used)))
        return Postings(
            chunk_ids=[self.chunk_ids[i] for i in rows] + new.chunk_ids,
            texts=PackedTexts.pack([*(self.texts[int(i)] for i in rows), *new.texts]),
            metadatas=[self.metadatas[i] for i in rows] + new.metadatas,
            vocab=[new.vocab[i] for i in used],
            tf=tf,
            lengths=np.concatenate([self.lengths[rows], new.lengths]).astype(np.int32),
        )

    # --- serialisation -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """A zlib-compressed .npz of plain arrays (no pickle): ids, vocabulary, texts, metadata
        (each chunk's metadata without `chunk_index` is stored once per distinct value, i.e. once
        per document), term counts and lengths."""
        texts = self.texts if isinstance(self.texts, PackedTexts) else PackedTexts.pack(self.texts)
        bases: dict[str, int] = {}
        meta_row = np.empty(len(self), dtype=np.int32)
        chunk_index = np.empty(len(self), dtype=np.int64)
        for i, meta in enumerate(self.metadatas):
            rest = {k: v for k, v in meta.items() if k != "chunk_index"}
            meta_row[i] = bases.setdefault(json.dumps(rest, ensure_ascii=False, sort_keys=True), len(bases))
            chunk_index[i] = int(meta["chunk_index"]) if "chunk_index" in meta else -1
        buffer = io.BytesIO()
        np.savez(
            buffer,
            header=_u8(json.dumps({"format": POSTINGS_FORMAT, "rows": len(self), "terms": len(self.vocab)})),
            ids=_u8(_SEP.join(self.chunk_ids)),
            vocab=_u8(_SEP.join(self.vocab)),
            text_blob=np.frombuffer(texts.blob, dtype=np.uint8),
            text_offsets=texts.offsets,
            meta_bases=_u8("[" + ",".join(bases) + "]"),
            meta_row=meta_row,
            chunk_index=chunk_index,
            tf_indptr=self.tf.indptr.astype(np.int64),
            tf_indices=self.tf.indices.astype(np.int32),
            tf_counts=np.minimum(self.tf.data, 65535).astype(np.uint16),
            lengths=self.lengths.astype(np.int32),
        )
        return zlib.compress(buffer.getvalue(), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> Postings:
        arrays = np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False)
        header = json.loads(_text(arrays["header"]))
        if header.get("format") != POSTINGS_FORMAT:
            raise ValueError(f"keyword postings format {header.get('format')}, expected {POSTINGS_FORMAT}")
        rows, terms = int(header["rows"]), int(header["terms"])
        ids = _text(arrays["ids"]).split(_SEP) if rows else []
        vocab = _text(arrays["vocab"]).split(_SEP) if terms else []
        bases = json.loads(_text(arrays["meta_bases"]))
        metadatas: list[Mapping[str, Any]] = [
            {**bases[b], "chunk_index": int(c)} if c >= 0 else dict(bases[b])
            for b, c in zip(arrays["meta_row"].tolist(), arrays["chunk_index"].tolist(), strict=True)
        ]
        tf = sparse.csr_matrix(
            (arrays["tf_counts"].astype(np.float32), arrays["tf_indices"], arrays["tf_indptr"]), shape=(rows, terms)
        )
        texts = PackedTexts(arrays["text_blob"].tobytes(), arrays["text_offsets"])
        return cls(ids, texts, metadatas, vocab, tf, arrays["lengths"])


def _u8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")


class KeywordIndex:
    """Okapi BM25 (k1=1.5, b=0.75). Rows are chunks; `metadatas[row]` is the chunk's metadata."""

    def __init__(self, chunks: Iterable[StoredChunk], k1: float = 1.5, b: float = 0.75) -> None:
        self._load(Postings.from_chunks(chunks), k1, b)

    @classmethod
    def from_postings(cls, postings: Postings, k1: float = 1.5, b: float = 0.75) -> KeywordIndex:
        index = cls.__new__(cls)
        index._load(postings, k1, b)
        return index

    def _load(self, postings: Postings, k1: float, b: float) -> None:
        self.postings = postings
        self.chunk_ids = postings.chunk_ids
        self.texts = postings.texts
        self.metadatas = postings.metadatas
        self.vocab = {token: i for i, token in enumerate(postings.vocab)}
        self.row_of = {cid: i for i, cid in enumerate(self.chunk_ids)}
        n_docs = len(self.chunk_ids)
        if n_docs == 0:
            self.matrix = sparse.csc_matrix((0, 0))
            return
        tf = postings.tf.tocoo()
        doc_len = postings.lengths.astype(np.float64)
        avg_len = float(doc_len.mean()) or 1.0
        df = np.bincount(tf.col, minlength=tf.shape[1]).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1.0 - b + b * doc_len / avg_len)
        data = tf.data.astype(np.float64)
        weights = data * (k1 + 1.0) / (data + norm[tf.row]) * idf[tf.col]
        self.matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=(n_docs, max(tf.shape[1], 1)))

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


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` highest positive scores, best first, ties in row order: what a stable
    argsort of -scores gives, without sorting every row (argpartition, then a sort of the top)."""
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        values = scores[rows]
        kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th largest
        rows = rows[values >= kth]  # every row tied with it too: the sort below breaks ties by row
    order = np.lexsort((rows, -scores[rows]))
    return rows[order][:k]
