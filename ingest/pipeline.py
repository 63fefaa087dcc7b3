"""run_ingest: files -> documents -> chunks -> embeddings -> Chroma, incrementally.

A document is skipped when its content hash is unchanged, rewritten when it changed (its new
chunks are embedded before anything is replaced), and removed when its file is gone from a
folder that was ingested again. A file that cannot be read is reported and never causes the
removal of what was indexed from it before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.index.keyword_store import KeywordIndexStore
from assistant.index.store import ChunkStore, DocRecord, PreparedDocument, passage_for_embedding
from assistant.text.language import detect_language
from ingest.chunk import split_document
from ingest.load import BadFileError, LoadedDocument, load_file, scan_files
from ingest.metadata import date_as_int

logger = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 256
PROGRESS_STEP = 128  # chunks encoded between two progress updates: a steady rate, no long freeze


@dataclass
class IngestStats:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"removed {self.removed}, failed {self.failed} "
            f"({self.chunks_written} chunks written in {self.seconds:.1f}s)"
        )

    @property
    def ok(self) -> bool:
        return self.failed == 0


def content_hash(doc: LoadedDocument) -> str:
    payload = json.dumps(
        [doc.title, doc.text, doc.url, doc.date, doc.language, doc.source], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def run_ingest(
    paths: Iterable[Path],
    store: ChunkStore,
    encoders: Mapping[str, Embeddings],
    *,
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    rebuild: bool = False,
    progress: bool | None = None,
    keywords: KeywordIndexStore | None = None,
    max_file_bytes: int | None = None,
) -> IngestStats:
    """Ingest every supported file under `paths` into `store`. Never raises for a bad file:
    each one is counted in `failed` with its path and reason in `errors`. A file over
    `max_file_bytes` is such a bad file. Raises IngestLockedError while another ingest holds
    the index's lock.

    Chunking comes from the store's spec (which the index records); `chunk_size` and
    `chunk_overlap`, if given, must agree with it. With `keywords`, the keyword index of the result
    is persisted (updated incrementally) before the version bump that readers watch."""
    for name, given, spec_value in (
        ("chunk_size", chunk_size, store.spec.chunk_size),
        ("chunk_overlap", chunk_overlap, store.spec.chunk_overlap),
    ):
        if given is not None and given != spec_value:
            raise ValueError(f"{name}={given} differs from the store's index spec ({spec_value})")
    with store.ingest_lock():  # a second ingest of the same index is refused, naming the holder
        return _run_locked(paths, store, encoders, rebuild, progress, max_file_bytes, keywords)


def _run_locked(
    paths: Iterable[Path],
    store: ChunkStore,
    encoders: Mapping[str, Embeddings],
    rebuild: bool,
    progress: bool | None,
    max_file_bytes: int | None,
    keywords: KeywordIndexStore | None,
) -> IngestStats:
    chunk_size, chunk_overlap = store.spec.chunk_size, store.spec.chunk_overlap
    started = time.perf_counter()
    stats = IngestStats()
    store.open_for_writing(rebuild=rebuild)
    manifest = store.manifest()
    show = sys.stderr.isatty() if progress is None else progress

    for raw_root in paths:
        root = Path(raw_root)
        if not root.exists():
            stats.failed += 1
            stats.errors.append(f"{root}: does not exist")
            continue
        root_key = str(root.resolve())
        bar = _progress(_bar_name(root), show)
        documents, failed_files, unseen_dirs = _load_root(root, stats, max_file_bytes, bar)
        seen: dict[str, str] = {}
        pending: list[tuple[LoadedDocument, str, DocRecord | None]] = []
        for doc in documents:
            where = _where(doc)
            if doc.doc_id in seen:
                stats.failed += 1
                stats.errors.append(
                    f"{where}: duplicate document id '{doc.doc_id}', first seen at {seen[doc.doc_id]} (skipped)"
                )
                continue
            seen[doc.doc_id] = where
            digest = content_hash(doc)
            previous = manifest.get(doc.doc_id)
            if previous is not None and previous.content_hash == digest:
                stats.unchanged += 1
                continue
            pending.append((doc, digest, previous))

        _write_pending(pending, root_key, store, encoders, chunk_size, chunk_overlap, stats, bar)
        if bar is not None:
            bar.close()

        for doc_id, record in manifest.items():
            if record.root != root_key or doc_id in seen or record.file in failed_files:
                continue
            if any(record.file.startswith(folder) for folder in unseen_dirs):
                continue  # under a folder that could not be read: not known to be gone
            if root.is_file() and record.file != str(root.resolve()):
                continue
            store.delete_document(record)
            stats.removed += 1
            logger.info("removed doc_id=%s (file gone)", doc_id)

    if keywords is not None:
        keywords.publish(store)
    if stats.added or stats.updated or stats.removed:
        store.bump_version()
    stats.seconds = time.perf_counter() - started
    return stats


def _where(doc: LoadedDocument) -> str:
    """file:line of a record (JSON Lines, table row), else the document's file or source."""
    file = doc.extra.get("file") or doc.source
    line = doc.extra.get("line")
    return f"{file}:{line}" if line else file


def _path_keys(path: Path) -> set[str]:
    """The forms a path has in the manifest (`file` is resolved; a broken link resolves elsewhere)."""
    return {os.path.abspath(path), os.path.realpath(path)}


def _load_root(
    root: Path, stats: IngestStats, max_file_bytes: int | None, bar: Any = None
) -> tuple[list[LoadedDocument], set[str], list[str]]:
    """The documents under `root`, the files that failed (their indexed documents are kept) and
    the folders that could not be read (everything indexed under them is kept)."""
    documents: list[LoadedDocument] = []
    failed_files: set[str] = set()
    unseen_dirs: list[str] = []
    files, unreadable = scan_files(root)
    for problem in unreadable:
        stats.failed += 1
        stats.errors.append(str(problem))
        logger.warning("unreadable path %s", problem)
        if problem.is_dir:
            unseen_dirs.extend(key.rstrip(os.sep) + os.sep for key in _path_keys(problem.path))
        else:
            failed_files |= _path_keys(problem.path)
    if bar is not None:
        bar.reset(total=len(files))
        bar.unit = "file"
        bar.set_postfix_str("reading", refresh=False)
    for path in files:
        if bar is not None:
            bar.update(1)
        try:
            result = load_file(path, root, max_file_bytes)
        except BadFileError as exc:
            stats.failed += 1
            stats.errors.append(str(exc))
            failed_files |= _path_keys(path)
            logger.warning("bad file %s", exc)
            continue
        for error in result.errors:
            stats.failed += 1
            stats.errors.append(str(error))
        if result.errors:
            failed_files |= _path_keys(path)  # keep what was indexed from its bad records
        for doc in result.documents:
            doc.extra["file"] = str(path.resolve())
            doc.source = _relative_source(doc.source, path, root)
        documents.extend(result.documents)
    return documents, failed_files, unseen_dirs


def _relative_source(source: str, path: Path, root: Path) -> str:
    """A source naming `path` is stored relative to the ingested folder (a file given alone:
    its name), never as the server's absolute path. URLs stay as they are."""
    if not source.startswith(str(path)):
        return source
    base = root if root.is_dir() else root.parent
    return path.relative_to(base).as_posix() + source[len(str(path)):]


class _Writer:
    """Chroma writes on one background thread, overlapped with encoding the next batch. At most
    `depth` writes wait at a time (memory stays bounded); they run in submission order, and an
    error in one is raised in the ingesting thread by the next `submit` or by `drain`."""

    def __init__(self, depth: int = 1) -> None:
        self.depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self._pending: deque[tuple[Future[None], Callable[[], None]]] = deque()

    def submit(self, write: Callable[[], None], done: Callable[[], None]) -> None:
        """Run `write` in the background; `done` runs in the calling thread once it succeeded."""
        while len(self._pending) >= self.depth:
            self._collect()
        self._pending.append((self._pool.submit(write), done))

    def _collect(self) -> None:
        future, done = self._pending.popleft()
        future.result()
        done()

    def drain(self) -> None:
        while self._pending:
            self._collect()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _write_pending(
    pending: list[tuple[LoadedDocument, str, DocRecord | None]],
    root_key: str,
    store: ChunkStore,
    encoders: Mapping[str, Embeddings],
    chunk_size: int,
    chunk_overlap: int,
    stats: IngestStats,
    bar: Any = None,
) -> None:
    """Chunk every pending document first (cheap), so the folder's bar counts chunks to embed
    from the start; then embed in batches, each batch written by the writer thread while the
    next one is encoded; the bar moves every PROGRESS_STEP chunks and shows chunks/s."""
    prepared = [_prepare(doc, digest, root_key, chunk_size, chunk_overlap, previous)
                for doc, digest, previous in pending]
    if bar is not None:
        bar.reset(total=sum(len(p.chunk_ids) for p in prepared))
        bar.unit = "chunk"
        bar.set_postfix_str("embedding" if prepared else "nothing new", refresh=False)
    started = time.perf_counter()
    writer = _Writer()
    try:
        batch: list[PreparedDocument] = []
        batch_chunks = 0
        for document in prepared:
            if len(document.chunk_ids) > EMBED_BATCH_CHUNKS:
                _flush(batch, store, encoders, stats, writer, bar)
                batch, batch_chunks = [], 0
                writer.drain()  # it checks what is already stored: nothing of it may be in flight
                _write_large(document, store, encoders, stats, bar)
                continue
            batch.append(document)
            batch_chunks += len(document.chunk_ids)
            if batch_chunks >= EMBED_BATCH_CHUNKS:
                _flush(batch, store, encoders, stats, writer, bar)
                batch, batch_chunks = [], 0
        _flush(batch, store, encoders, stats, writer, bar)
    finally:
        writer.close()
    if bar is not None:
        chunks = sum(len(p.chunk_ids) for p in prepared)
        rate = chunks / max(time.perf_counter() - started, 1e-9)
        bar.set_postfix_str(f"{len(prepared)} documents written, {rate:.1f} chunks/s", refresh=True)


def encode_chunks(
    store: ChunkStore, encoders: Mapping[str, Embeddings], inputs: list[str], metas: list[dict[str, Any]],
    bar: Any = None,
) -> dict[str, list[list[float]]]:
    """Each encoder on the chunks its collection holds (`ChunkStore.rows_for`: MiniLM only on
    English ones), PROGRESS_STEP chunks at a time so the bar moves steadily."""
    rows = {name: set(store.rows_for(name, metas)) for name in encoders}
    vectors: dict[str, list[list[float]]] = {name: [] for name in encoders}
    for start in range(0, len(inputs), PROGRESS_STEP):
        end = min(start + PROGRESS_STEP, len(inputs))
        for name, encoder in encoders.items():
            piece = [inputs[i] for i in range(start, end) if i in rows[name]]
            if piece:
                vectors[name].extend(encoder.embed_documents(piece))
        if bar is not None:
            bar.update(end - start)
    return vectors


def _prepare(
    doc: LoadedDocument,
    digest: str,
    root_key: str,
    chunk_size: int,
    chunk_overlap: int,
    previous: DocRecord | None,
) -> PreparedDocument:
    language = doc.language or detect_language(doc.text)
    chunks = split_document(doc.doc_id, doc.text, chunk_size, chunk_overlap)
    record = DocRecord(
        doc_id=doc.doc_id,
        content_hash=digest,
        root=root_key,
        file=doc.extra.get("file", ""),
        n_chunks=len(chunks),
        title=doc.title,
        source=doc.source,
        url=doc.url or "",
        language=language,
        date=doc.date or "",
        date_int=date_as_int(doc.date),
    )
    base_meta: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "url": doc.url or "",
        "lang": language,
        "date": doc.date or "",
        "date_int": date_as_int(doc.date),
        "content_hash": digest,
    }
    return PreparedDocument(
        record=record,
        chunk_ids=[c.chunk_id for c in chunks],
        texts=[c.text for c in chunks],
        metadatas=[{**base_meta, "chunk_index": c.index} for c in chunks],
        vectors={},
        previous_chunks=previous.n_chunks if previous else 0,
    )


def _flush(
    batch: list[PreparedDocument], store: ChunkStore, encoders: Mapping[str, Embeddings], stats: IngestStats,
    writer: _Writer, bar: Any = None,
) -> None:
    if not batch:
        return
    batch = list(batch)
    inputs = [passage_for_embedding(doc.record.title, text) for doc in batch for text in doc.texts]
    metas = [meta for doc in batch for meta in doc.metadatas]
    vectors = encode_chunks(store, encoders, inputs, metas, bar)
    offsets = dict.fromkeys(vectors, 0)
    for doc in batch:
        doc.vectors = {}
        for name, vecs in vectors.items():
            n = len(store.rows_for(name, doc.metadatas))
            doc.vectors[name] = vecs[offsets[name] : offsets[name] + n]
            offsets[name] += n

    def done() -> None:
        stats.chunks_written += len(inputs)
        for doc in batch:
            if doc.previous_chunks > 0:
                stats.updated += 1
            else:
                stats.added += 1

    writer.submit(lambda: store.write_documents(batch), done)


def _write_large(
    doc: PreparedDocument, store: ChunkStore, encoders: Mapping[str, Embeddings], stats: IngestStats,
    bar: Any = None,
) -> None:
    """A document of many chunks, embedded and written EMBED_BATCH_CHUNKS at a time, its manifest
    entry last: memory stays bounded, and after a kill the chunks already written with this
    content hash are not embedded again."""
    digest = doc.record.content_hash
    for start in range(0, len(doc.chunk_ids), EMBED_BATCH_CHUNKS):
        end = start + EMBED_BATCH_CHUNKS
        ids = doc.chunk_ids[start:end]
        done = store.chunks_with_hash(ids, digest, doc.record.language)
        todo = [i for i, cid in enumerate(ids) if cid not in done]
        if not todo:
            continue
        texts = [doc.texts[start + i] for i in todo]
        metas = [doc.metadatas[start + i] for i in todo]
        inputs = [passage_for_embedding(doc.record.title, text) for text in texts]
        vectors = encode_chunks(store, encoders, inputs, metas)
        store.write_chunks([ids[i] for i in todo], texts, metas, vectors)
        stats.chunks_written += len(todo)
        if bar is not None:
            bar.update(len(ids))
        logger.info("wrote doc_id=%s chunks=%s/%s", doc.record.doc_id, min(end, len(doc.chunk_ids)),
                    len(doc.chunk_ids))
    store.write_manifest([doc])
    stats.updated += 1 if doc.previous_chunks > 0 else 0
    stats.added += 0 if doc.previous_chunks > 0 else 1


def _bar_name(root: Path) -> str:
    """The folder as given (`tests/data/corpus`), or its name when given as an absolute path."""
    return (root.resolve().name if root.is_absolute() else root.as_posix()) or str(root)


def _progress(name: str, enabled: bool) -> Any:
    """One bar per ingested folder, named after it: files read, then chunks embedded, with an
    average rate (smoothing 0: a steady rate and estimate); kept on screen up to the summary."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(
        desc=name, total=0, unit="file", file=sys.stderr, leave=True, smoothing=0.0, mininterval=0.5,
        dynamic_ncols=True,
    )
