"""`bench query`: query latency as the index grows. Indexes of (at least) N chunks are synthesised
by repeating the shared corpora's documents under distinct ids, built once into a cache dir and
reused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from assistant.components import build_assistant
from evals.bench.common import (
    CachingEncoder,
    latency_summary,
    load_questions,
    stage_corpora,
    temp_dir,
)
from evals.index import ensure_index


def base_records(
    data_root: Path, limit_docs: int | None, chunk_size: int, chunk_overlap: int
) -> list[dict[str, Any]]:
    """Distinct documents to repeat: the shared corpora read through the real loaders."""
    with temp_dir("bench-query-stage-") as work:
        roots = list(stage_corpora(data_root, work, limit_docs).values())
        return records_from(roots, chunk_size, chunk_overlap)


def records_from(roots: list[Path], chunk_size: int, chunk_overlap: int) -> list[dict[str, Any]]:
    """The documents under `roots`, each with the number of chunks the real chunker makes of it."""
    from ingest.chunk import split_text
    from ingest.load import iter_files, load_file

    records: list[dict[str, Any]] = []
    for root in roots:
        for path in iter_files(root):
            for doc in load_file(path, root).documents:
                chunks = len(split_text(doc.text, chunk_size, chunk_overlap))
                if chunks:
                    records.append({"title": doc.title, "text": doc.text, "lang": doc.language, "chunks": chunks})
    return records


def synthetic_corpus(records: list[dict[str, Any]], min_chunks: int, path: Path) -> int:
    """Write documents cycling through `records`, each under an id of its own, until they make
    at least `min_chunks` chunks. Returns the number of documents written."""
    if not records:
        raise ValueError("no base documents to repeat (is the data path right?)")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = chunks = 0
    with path.open("w", encoding="utf-8") as out:
        while chunks < min_chunks:
            base = records[written % len(records)]
            fields = {k: v for k, v in base.items() if v and k != "chunks"}
            out.write(json.dumps({"id": f"syn-{written:07d}", **fields}, ensure_ascii=False) + "\n")
            written += 1
            chunks += base["chunks"]
    return written


def ensure_synthetic_index(
    settings: Any,
    encoders: dict[str, Any],
    client: Any,
    records: Callable[[int, int], list[dict[str, Any]]],
    size: int,
    cache: Path,
) -> dict[str, Any]:
    """The index of at least `size` chunks, reused when its build marker still matches (see
    evals.index.ensure_index), else built from `records(chunk_size, chunk_overlap)` (only then
    called)."""
    from assistant.components import build_store
    from ingest.pipeline import IngestStats, run_ingest

    store = build_store(settings, encoders, client)
    build_s = 0.0

    def build() -> IngestStats:
        nonlocal build_s
        corpus = cache / f"synthetic-{size}.jsonl"
        synthetic_corpus(records(store.spec.chunk_size, store.spec.chunk_overlap), size, corpus)
        started = time.perf_counter()
        stats = run_ingest([corpus], store, encoders, rebuild=True, progress=False)
        build_s = time.perf_counter() - started
        return stats

    stats = ensure_index(store, cache / "built.json", store.base_name, f"synthetic-{size}", build)
    docs, chunks = store.counts()
    info: dict[str, Any] = {"built": stats is not None, "build_s": build_s, "documents": docs, "chunks": chunks}
    if stats is not None:
        info["failed"] = stats.failed
    return info


def measure(assistant: Any, questions: list[str], top_k: int) -> dict[str, Any]:
    started = time.perf_counter()
    assistant.retriever.snapshot()  # the keyword index is built once per index version: not a query cost
    snapshot_s = time.perf_counter() - started
    assistant.retriever.retrieve(questions[0], top_k)  # warm-up (encoder graphs, caches)
    retrieve_ms, e2e_ms = [], []
    # CPU seconds of the whole process (every thread) per question: unlike latency, it does not
    # depend on what else runs on the machine.
    cpu = time.process_time()
    for question in questions:
        t0 = time.perf_counter()
        assistant.retriever.retrieve(question, top_k)
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
    retrieve_cpu_ms = (time.process_time() - cpu) * 1000 / len(questions)
    cpu = time.process_time()
    for question in questions:
        t0 = time.perf_counter()
        assistant.answer(question)
        e2e_ms.append((time.perf_counter() - t0) * 1000)
    e2e_cpu_ms = (time.process_time() - cpu) * 1000 / len(questions)
    return {
        "keyword_index_s": snapshot_s,
        "retrieve": latency_summary(retrieve_ms),
        "end_to_end": latency_summary(e2e_ms),
        "retrieve_cpu_ms": retrieve_cpu_ms,
        "end_to_end_cpu_ms": e2e_cpu_ms,
    }


def run(
    settings: Any,
    encoders: dict[str, Any],
    ingest_encoders: dict[str, Any],
    data_root: Path,
    sizes: list[int],
    n_queries: int,
    cache_dir: Path,
    limit_docs: int | None,
) -> list[dict[str, Any]]:
    questions = load_questions(limit=n_queries)
    cache_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(cache_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    loaded: list[dict[str, Any]] = []

    def records(chunk_size: int, chunk_overlap: int) -> list[dict[str, Any]]:
        """The distinct base documents, read once and only if some size has to be built."""
        if not loaded:
            loaded.extend(base_records(data_root, limit_docs, chunk_size, chunk_overlap))
            print(f"base documents to repeat: {len(loaded)} ({sum(r['chunks'] for r in loaded)} chunks)")
        return loaded

    # Indexes are built as ingest builds them (ingest-purpose encoders: the whole CPU budget per
    # call), with one vector cache for every size: each distinct passage is encoded once for the
    # whole run. Queries use the serving encoders.
    caching = {name: CachingEncoder(enc) for name, enc in ingest_encoders.items()}
    results = []
    for size in sizes:
        size_settings = settings.model_copy(update={"collection": f"bench-c{size}", "generator": "extractive"})
        index = ensure_synthetic_index(size_settings, caching, client, records, size, cache_dir)
        assistant = build_assistant(size_settings, "extractive", client=client, encoders=encoders)
        figures = measure(assistant, questions, settings.top_k)
        results.append({"size": size, **index, **figures})
        print(
            f"size {size}: {index['documents']} documents, {index['chunks']} chunks, "
            + (f"built in {index['build_s']:.0f}s" if index["built"] else "cached")
        )
    return results
