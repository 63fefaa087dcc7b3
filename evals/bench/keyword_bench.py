"""`bench keyword`: the keyword (BM25) index at 10k/100k chunks — building it from the chunks (what
every API process did at each new index version), against saving it once and opening it from the
SQL store (SQLite, or any `--database-url` such as PostgreSQL), and an incremental update.

Chunks are the shared corpora's documents, read with the real loaders and chunker, repeated under
distinct document ids until there are enough, with the metadata ingest gives them. Chroma is not
involved: reading 100k chunks out of Chroma is a further cost of building that opening avoids."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.bench.common import stage_corpora, temp_dir


def base_chunks(data_root: Path, limit_docs: int | None, chunk_size: int, chunk_overlap: int) -> list[dict[str, Any]]:
    """Distinct documents as their chunk texts (real loaders and chunker)."""
    from ingest.chunk import split_text
    from ingest.load import iter_files, load_file

    docs: list[dict[str, Any]] = []
    with temp_dir("bench-keyword-stage-") as work:
        for root in stage_corpora(data_root, work, limit_docs).values():
            for path in iter_files(root):
                for doc in load_file(path, root).documents:
                    texts = split_text(doc.text, chunk_size, chunk_overlap)
                    if texts:
                        docs.append({"title": doc.title, "lang": doc.language or "", "texts": texts})
    return docs


def synthetic_chunks(docs: list[dict[str, Any]], size: int, tag: str = "") -> list[Any]:
    from assistant.index.store import StoredChunk

    chunks: list[StoredChunk] = []
    n = 0
    while len(chunks) < size:
        base = docs[n % len(docs)]
        doc_id = f"syn-{n:07d}"
        digest = hashlib.sha256(f"{doc_id}{tag}".encode()).hexdigest()
        meta = {
            "doc_id": doc_id, "title": base["title"], "source": f"syn/{doc_id}.jsonl", "url": "",
            "lang": base["lang"], "date": "", "date_int": 0, "content_hash": digest,
        }
        for i, text in enumerate(base["texts"]):
            chunks.append(StoredChunk(f"{doc_id}#{i}", text + tag, {**meta, "chunk_index": i}))
        n += 1
    return chunks


class _Store:
    """What KeywordIndexStore.save needs of a ChunkStore."""

    def __init__(self, name: str, spec: Any) -> None:
        self.base_name = name
        self.spec = spec


def _timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def run(
    data_root: Path, sizes: list[int], limit_docs: int | None, database_urls: list[str], chunk_size: int = 600,
    chunk_overlap: int = 75,
) -> list[dict[str, Any]]:
    from assistant.index.keyword import KeywordIndex, Postings
    from assistant.index.keyword_store import KeywordIndexStore
    from assistant.index.store import IndexSpec
    from assistant.storage.db import build_engine

    docs = base_chunks(data_root, limit_docs, chunk_size, chunk_overlap)
    print(f"base documents to repeat: {len(docs)} ({sum(len(d['texts']) for d in docs)} chunks)")
    spec = IndexSpec(encoders=(("bench", "bench"),), chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    results = []
    for size in sizes:
        chunks = synthetic_chunks(docs, size)
        postings, build_s = _timed(lambda chunks=chunks: Postings.from_chunks(chunks))
        index, weights_s = _timed(lambda p=postings: KeywordIndex.from_postings(p))
        data, serialise_s = _timed(postings.to_bytes)
        # an ingest that changed 1 % of the documents
        doc_ids = sorted({c.metadata["doc_id"] for c in chunks})
        changed = set(doc_ids[::100])
        keep = np.array([c.metadata["doc_id"] not in changed for c in chunks])
        fresh = [c for c in synthetic_chunks(docs, size, tag=" (updated)") if c.metadata["doc_id"] in changed]
        _, update_s = _timed(lambda k=keep, f=fresh, p=postings: p.updated(k, f))
        for url in database_urls:
            engine = build_engine(url)
            store = KeywordIndexStore(engine)
            fake = _Store(f"bench-{size}-{time.time_ns()}", spec)
            _, save_s = _timed(lambda s=store, f=fake, p=postings: s.save(f, "d" * 64, 1, p))
            opened, open_s = _timed(
                lambda s=store, f=fake: KeywordIndex.from_postings(s.load(f.base_name, "d" * 64))
            )
            query = "cultural exchange programme students"
            assert np.allclose(opened.scores(query), index.scores(query))
            results.append(
                {
                    "size": size,
                    "chunks": len(chunks),
                    "database": url.split(":", 1)[0],
                    "build_s": build_s + weights_s,
                    "serialised_mb": len(data) / 1e6,
                    "serialise_s": serialise_s,
                    "save_s": save_s,
                    "open_s": open_s,
                    "update_1pct_s": update_s,
                    "changed_chunks": len(fresh),
                }
            )
            engine.dispose()
        print(f"size {size}: built in {build_s + weights_s:.1f}s, {len(data) / 1e6:.1f} MB serialised")
    return results
