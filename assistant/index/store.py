"""The index in Chroma: one chunk collection per dense encoder plus a manifest of documents.

Collections for base name B:
- `B-docs`: one record per document (id = doc id) with its content hash, ingest root, chunk count,
  title, source, language and date. Its collection metadata records how the index was built
  (encoders and their model ids, chunk size and overlap, schema) and a version counter that
  ingest bumps, so readers know when to refresh their keyword index.
- `B-<encoder>`: one record per chunk (id = `<doc_id>#<n>`), embedded by that encoder. An
  encoder the spec lists as English-only (`IndexSpec.english_only`: MiniLM, whose fusion weight is
  zero outside English, when `minilm_english_only` is set) holds only the English chunks; every
  other collection holds them all.
- `B-lock`: the ingest lock, one record naming the ingest that writes the index (host, pid, start
  and heartbeat times). It lives in Chroma itself, so it holds for every process that reaches
  the same index, embedded or through a `chroma run` server (see IngestLock).
Embeddings are always computed by us and passed in: Chroma's default embedding function (which
downloads a model) is never used.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Metadatas, PyEmbeddings
from chromadb.errors import NotFoundError

from assistant.errors import IndexMismatchError, IndexNotBuiltError, IngestLockedError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_T = TypeVar("_T")
_PAGE = 2000
_WRITE_BATCH = 1000


def _placeholder_vectors(n: int) -> PyEmbeddings:
    """Vectors for the bookkeeping collections (manifest, lock), which are never searched."""
    return [[0.0] for _ in range(n)]


LOCK_STALE_SECONDS = 120.0  # a holder that has not refreshed its heartbeat for this long is gone
LOCK_HEARTBEAT_SECONDS = 20.0
LOCK_SETTLE_SECONDS = 0.3  # wait after writing the lock, then check nobody overwrote it


@dataclass(frozen=True)
class IndexSpec:
    """How an index is built. Two specs must be equal for an index to be read or extended."""

    encoders: tuple[tuple[str, str], ...]  # (name, model id)
    chunk_size: int
    chunk_overlap: int
    english_only: tuple[str, ...] = ()  # encoders whose collections hold only English chunks

    def to_metadata(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "encoders": json.dumps(dict(self.encoders), sort_keys=True),
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "english_only": json.dumps(sorted(self.english_only)),
        }

    def describe(self) -> str:
        names = ", ".join(f"{n} ({m})" for n, m in self.encoders)
        return (
            f"encoders {names}; chunks of {self.chunk_size} chars, overlap {self.chunk_overlap}"
            + (f"; {', '.join(self.english_only)} on English chunks only" if self.english_only else "")
        )

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> IndexSpec:
        encoders = json.loads(str(meta.get("encoders", "{}")))
        return cls(
            encoders=tuple(sorted(encoders.items())),
            chunk_size=int(meta.get("chunk_size", 0)),
            chunk_overlap=int(meta.get("chunk_overlap", 0)),
            english_only=tuple(sorted(json.loads(str(meta.get("english_only", "[]"))))),
        )


@dataclass(frozen=True)
class DocRecord:
    doc_id: str
    content_hash: str
    root: str
    file: str
    n_chunks: int
    title: str
    source: str
    url: str
    language: str
    date: str
    date_int: int

    def to_metadata(self) -> dict[str, Any]:
        return {
            "content_hash": self.content_hash,
            "root": self.root,
            "file": self.file,
            "n_chunks": self.n_chunks,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "lang": self.language,
            "date": self.date,
            "date_int": self.date_int,
        }

    @classmethod
    def from_metadata(cls, doc_id: str, meta: Mapping[str, Any]) -> DocRecord:
        return cls(
            doc_id=doc_id,
            content_hash=str(meta.get("content_hash", "")),
            root=str(meta.get("root", "")),
            file=str(meta.get("file", "")),
            n_chunks=int(meta.get("n_chunks", 0)),
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            language=str(meta.get("lang", "")),
            date=str(meta.get("date", "")),
            date_int=int(meta.get("date_int", 0)),
        )


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    text: str
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    similarity: float  # cosine similarity, higher is better
    text: str
    metadata: Mapping[str, Any]


@dataclass
class PreparedDocument:
    """A document chunked and embedded, ready to be written."""

    record: DocRecord
    chunk_ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    vectors: dict[str, list[list[float]]]
    previous_chunks: int = 0


def passage_for_embedding(title: str, text: str) -> str:
    """What the encoders and BM25 see for a chunk: its document title, then the passage."""
    return f"{title}\n{text}" if title else text


class ChunkStore:
    def __init__(self, client: ClientAPI, base_name: str, spec: IndexSpec) -> None:
        self.client = client
        self.base_name = base_name
        self.spec = spec
        self.encoder_names = [name for name, _ in spec.encoders]
        # the collection that holds every chunk (texts and metadata are read from it)
        self.english_only = frozenset(spec.english_only)
        # Collection handles for the query path (a lookup in Chroma's catalogue costs about as much
        # as a query). A handle to a collection dropped since (a rebuild, here or in another
        # process) raises NotFoundError; `_read` then looks it up again.
        self._readers: dict[str, Collection] = {}
        self.full_encoder = next((n for n in self.encoder_names if n not in self.english_only), self.encoder_names[0])

    def covers(self, encoder: str, language: str) -> bool:
        """Whether `encoder`'s collection holds chunks in `language`."""
        return encoder not in self.english_only or language == "en" or len(self.encoder_names) == 1

    # --- collections -------------------------------------------------------------------------

    @property
    def docs_name(self) -> str:
        return f"{self.base_name}-docs"

    def chunks_name(self, encoder: str) -> str:
        return f"{self.base_name}-{encoder}"

    def _get(self, name: str) -> Collection | None:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except (NotFoundError, ValueError):
            return None

    def _docs(self) -> Collection:
        collection = self._get(self.docs_name)
        if collection is None:
            raise IndexNotBuiltError(
                "The document index has not been built yet: run `exchange-assistant ingest` first."
            )
        return collection

    def _chunks(self, encoder: str) -> Collection:
        collection = self._get(self.chunks_name(encoder))
        if collection is None:
            raise IndexMismatchError(
                f"The index has no '{encoder}' collection: it was built with other encoders. "
                "Re-ingest with `exchange-assistant ingest --rebuild`."
            )
        return collection

    def _read(self, encoder: str, call: Callable[[Collection], _T]) -> _T:
        """`call` on the encoder's collection through a cached handle, looked up again once when
        the collection was dropped and built again since the handle was taken."""
        collection = self._readers.get(encoder)
        if collection is not None:
            try:
                return call(collection)
            except NotFoundError:
                self._readers.pop(encoder, None)
        collection = self._readers[encoder] = self._chunks(encoder)
        return call(collection)

    def stored_spec(self) -> IndexSpec | None:
        collection = self._get(self.docs_name)
        if collection is None:
            return None
        return IndexSpec.from_metadata(collection.metadata or {})

    def check_readable(self) -> None:
        """Raise unless an index built with this store's spec exists and holds documents."""
        stored = self.stored_spec()
        if stored is None:
            raise IndexNotBuiltError(
                "The document index has not been built yet: run `exchange-assistant ingest` first."
            )
        self._check_same_spec(stored)
        if self._docs().count() == 0:
            raise IndexNotBuiltError("The document index is empty: run `exchange-assistant ingest` first.")

    def _check_same_spec(self, stored: IndexSpec) -> None:
        if stored != self.spec:
            raise IndexMismatchError(
                f"The index was built with {stored.describe()}, but the settings ask for "
                f"{self.spec.describe()}. Re-ingest with `exchange-assistant ingest --rebuild` "
                "(or restore the settings the index was built with)."
            )

    def open_for_writing(self, rebuild: bool = False) -> None:
        """Create the collections (or check they match the spec). `rebuild` drops them first."""
        self._readers.clear()
        if rebuild:
            self.drop()
        stored = self.stored_spec()
        if stored is not None:
            self._check_same_spec(stored)
        self.client.get_or_create_collection(
            self.docs_name, metadata={**self.spec.to_metadata(), "version": 0}, embedding_function=None
        )
        for encoder in self.encoder_names:
            self.client.get_or_create_collection(
                self.chunks_name(encoder),
                metadata={"encoder": encoder},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )

    def ingest_lock(self, stale_seconds: float = LOCK_STALE_SECONDS) -> IngestLock:
        return IngestLock(self.client, f"{self.base_name}-lock", stale_seconds)

    def drop(self) -> None:
        self._readers.clear()
        for name in [self.docs_name, *[self.chunks_name(e) for e in self.encoder_names]]:
            if self._get(name) is not None:
                self.client.delete_collection(name)
        # collections of encoders no longer configured
        for collection in self.client.list_collections():
            cname = collection if isinstance(collection, str) else collection.name
            if cname.startswith(f"{self.base_name}-") and cname != f"{self.base_name}-lock":
                self.client.delete_collection(cname)

    # --- reading -----------------------------------------------------------------------------

    def version(self) -> int:
        collection = self._get(self.docs_name)
        return int((collection.metadata or {}).get("version", -1)) if collection else -1

    def manifest(self) -> dict[str, DocRecord]:
        collection = self._get(self.docs_name)
        if collection is None:
            return {}
        records: dict[str, DocRecord] = {}
        offset = 0
        while True:
            page = collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            ids = page["ids"]
            for doc_id, meta in zip(ids, page["metadatas"] or [], strict=False):
                records[doc_id] = DocRecord.from_metadata(doc_id, meta or {})
            if len(ids) < _PAGE:
                return records
            offset += _PAGE

    def counts(self) -> tuple[int, int]:
        docs = self._get(self.docs_name)
        if docs is None:
            return 0, 0
        first = self._get(self.chunks_name(self.full_encoder))
        return docs.count(), first.count() if first else 0

    def iter_chunks(self) -> Iterator[StoredChunk]:
        collection = self._chunks(self.full_encoder)
        offset = 0
        while True:
            page = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            ids = page["ids"]
            for chunk_id, text, meta in zip(ids, page["documents"] or [], page["metadatas"] or [], strict=False):
                yield StoredChunk(chunk_id, text or "", meta or {})
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """The stored chunks with these ids (missing ids are skipped), in pages."""
        collection = self._chunks(self.full_encoder)
        chunks: list[StoredChunk] = []
        for start in range(0, len(chunk_ids), _PAGE):
            page = collection.get(ids=list(chunk_ids[start : start + _PAGE]), include=["documents", "metadatas"])
            rows = zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False)
            chunks.extend(StoredChunk(chunk_id, text or "", meta or {}) for chunk_id, text, meta in rows)
        return chunks

    def dense_search(
        self,
        encoder: str,
        vector: Sequence[float],
        k: int,
        where: dict[str, Any] | None = None,
        with_text: bool = True,
    ) -> list[DenseHit]:
        """The `k` nearest chunks. Without `with_text` only ids and similarities come back (text
        and metadata empty): a reader that holds them (the keyword index) saves their transfer."""
        query: PyEmbeddings = [list(vector)]
        result = self._read(encoder, lambda collection: collection.query(
            query_embeddings=query,
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"] if with_text else ["distances"],
        ))
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        texts = (result["documents"] or [[]])[0] if with_text else [""] * len(ids)
        metas = (result["metadatas"] or [[]])[0] if with_text else [{}] * len(ids)
        return [
            DenseHit(chunk_id, 1.0 - float(distance), text or "", meta or {})
            for chunk_id, text, meta, distance in zip(ids, texts, metas, distances, strict=False)
        ]

    def vectors(self, encoder: str, chunk_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of those of `chunk_ids` this encoder's collection holds: their ids
        and one row each (float32, as Chroma returns them; no per-value Python conversion)."""
        result = self._read(encoder, lambda collection: collection.get(ids=chunk_ids, include=["embeddings"]))
        ids = list(result["ids"])
        embeddings = result["embeddings"]
        if embeddings is None or not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        return ids, np.asarray(embeddings, dtype=np.float32).reshape(len(ids), -1)

    # --- writing -----------------------------------------------------------------------------

    def write_documents(self, batch: Sequence[PreparedDocument]) -> None:
        """Store documents whose chunks are already embedded, then their manifest entries.

        Manifest entries are written last: if anything fails before, the next ingest sees a
        changed hash and writes those documents again, so the index converges.
        """
        if not batch:
            return
        self.write_chunks(
            [cid for doc in batch for cid in doc.chunk_ids],
            [t for doc in batch for t in doc.texts],
            [m for doc in batch for m in doc.metadatas],
            {encoder: [v for doc in batch for v in doc.vectors[encoder]] for encoder in self.encoder_names},
        )
        self.write_manifest(batch)

    def rows_for(self, encoder: str, metas: Sequence[Mapping[str, Any]]) -> list[int]:
        """Indexes of the chunks (by their metadata) that `encoder` embeds and stores."""
        return [i for i, meta in enumerate(metas) if self.covers(encoder, str(meta.get("lang", "")))]

    def write_chunks(
        self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], vectors: Mapping[str, list[list[float]]]
    ) -> None:
        """Upsert embedded chunks into every encoder's collection (no manifest change).
        `vectors[encoder]` holds one vector per chunk that encoder covers (`rows_for`), in order."""
        for encoder in self.encoder_names:
            collection = self._chunks(encoder)
            rows = self.rows_for(encoder, metas)
            encoded = vectors[encoder]
            if len(encoded) != len(rows):
                raise ValueError(f"{encoder}: {len(encoded)} vectors for {len(rows)} chunks")
            for start in range(0, len(rows), _WRITE_BATCH):
                part = rows[start : start + _WRITE_BATCH]
                batch_metas: Metadatas = [metas[i] for i in part]
                batch_vectors: PyEmbeddings = list(encoded[start : start + _WRITE_BATCH])
                collection.upsert(
                    ids=[ids[i] for i in part],
                    documents=[texts[i] for i in part],
                    metadatas=batch_metas,
                    embeddings=batch_vectors,
                )

    def chunks_with_hash(self, ids: list[str], content_hash: str, language: str) -> set[str]:
        """Those of `ids` (chunks of one document in `language`) already stored for this content
        hash in every encoder's collection that covers the language."""
        found: set[str] | None = None
        for encoder in self.encoder_names:
            if not self.covers(encoder, language):
                continue
            page = self._chunks(encoder).get(ids=ids, include=["metadatas"])
            here = {
                cid for cid, meta in zip(page["ids"], page["metadatas"] or [], strict=False)
                if (meta or {}).get("content_hash") == content_hash
            }
            found = here if found is None else found & here
        return found or set()

    def write_manifest(self, batch: Sequence[PreparedDocument]) -> None:
        """Delete the chunks documents no longer have, then write their manifest entries."""
        stale = [
            f"{doc.record.doc_id}#{i}" for doc in batch for i in range(len(doc.chunk_ids), doc.previous_chunks)
        ]
        if stale:
            for encoder in self.encoder_names:
                self._chunks(encoder).delete(ids=stale)
        docs = self._docs()
        for start in range(0, len(batch), _WRITE_BATCH):
            part = batch[start : start + _WRITE_BATCH]
            docs.upsert(
                ids=[doc.record.doc_id for doc in part],
                metadatas=[doc.record.to_metadata() for doc in part],
                embeddings=_placeholder_vectors(len(part)),
            )

    def delete_document(self, record: DocRecord) -> None:
        ids = [f"{record.doc_id}#{i}" for i in range(record.n_chunks)]
        for encoder in self.encoder_names:
            if ids:
                self._chunks(encoder).delete(ids=ids)
        self._docs().delete(ids=[record.doc_id])

    def bump_version(self) -> int:
        collection = self._docs()
        meta = dict(collection.metadata or {})
        meta["version"] = int(meta.get("version", 0)) + 1
        meta.pop("hnsw:space", None)
        collection.modify(metadata=meta)
        return int(meta["version"])


class IngestLock:
    """One ingest at a time per index. Chroma has no compare-and-set, so taking the lock is:
    read the record (refuse if another live holder has it), write ours with a random nonce,
    wait LOCK_SETTLE_SECONDS and read it back (refuse if another ingest wrote after us). A
    holder refreshes its heartbeat from a background thread; a record whose heartbeat is older
    than `stale_seconds`, or whose holder is a dead process on this host, is taken over."""

    def __init__(self, client: ClientAPI, name: str, stale_seconds: float = LOCK_STALE_SECONDS) -> None:
        self.client = client
        self.name = name
        self.stale_seconds = stale_seconds
        self.nonce = uuid.uuid4().hex
        self.meta: dict[str, str | int] = {"host": socket.gethostname(), "pid": os.getpid(), "nonce": self.nonce}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _collection(self) -> Collection:
        return self.client.get_or_create_collection(self.name, embedding_function=None)

    def holder(self) -> dict[str, Any] | None:
        page = self._collection().get(ids=["ingest"], include=["metadatas"])
        metas = page["metadatas"] or []
        return dict(metas[0]) if page["ids"] and metas and metas[0] else None

    def _is_live(self, meta: Mapping[str, Any]) -> bool:
        if time.time() - float(meta.get("heartbeat", 0)) > self.stale_seconds:
            return False
        if meta.get("host") == self.meta["host"]:
            try:
                os.kill(int(meta.get("pid", 0)), 0)
            except ProcessLookupError:
                return False
            except (PermissionError, ValueError, OverflowError):
                return True
        return True

    @staticmethod
    def describe(meta: Mapping[str, Any]) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(meta.get("started", 0))))
        return f"pid {meta.get('pid')} on {meta.get('host')}, since {since}"

    def _refuse(self, meta: Mapping[str, Any]) -> IngestLockedError:
        return IngestLockedError(
            f"another ingest is writing this index ({self.describe(meta)}); wait for it to finish. "
            f"If that process is gone, its lock expires {self.stale_seconds:.0f} s after its last heartbeat."
        )

    def _write(self, started: float) -> None:
        now = time.time()
        self._collection().upsert(
            ids=["ingest"],
            embeddings=_placeholder_vectors(1),
            metadatas=[{**self.meta, "started": started, "heartbeat": now}],
        )

    def acquire(self) -> None:
        current = self.holder()
        if current is not None and current.get("nonce") != self.nonce and self._is_live(current):
            raise self._refuse(current)
        self.started = time.time()
        self._write(self.started)
        time.sleep(LOCK_SETTLE_SECONDS)
        current = self.holder()
        if current is None or current.get("nonce") != self.nonce:
            raise self._refuse(current or self.meta)
        self._thread = threading.Thread(target=self._beat, name="ingest-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(LOCK_HEARTBEAT_SECONDS):
            try:
                current = self.holder()
                if current is None or current.get("nonce") == self.nonce:
                    self._write(self.started)
            except Exception:  # a missed heartbeat must not kill the ingest; the next one retries
                logger.warning("ingest lock heartbeat failed", exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        current = self.holder()
        if current is not None and current.get("nonce") == self.nonce:
            self._collection().delete(ids=["ingest"])

    def __enter__(self) -> IngestLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
