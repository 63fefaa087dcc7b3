"""`bench query`: query latency as the index grows. Indexes of N documents are synthesised by
repeating the shared corpora under distinct ids, built once into a cache dir and reused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from evals.bench.common import (
    CachingEncoder,
    bench_assistant,
    latency_summary,
    load_questions,
    stage_corpora,
    temp_dir,
)


def base_records(data_root: Path, limit_docs: int | None) -> list[dict[str, Any]]:
    """Distinct documents to repeat: the shared corpora read through the real loaders."""
    from ingest.load import iter_files, load_file

    records: list[dict[str, Any]] = []
    with temp_dir("bench-query-stage-") as work:
        for root in stage_corpora(data_root, work, limit_docs).values():
            for path in iter_files(root):
                for doc in load_file(path, root).documents:
                    records.append({"title": doc.title, "text": doc.text, "lang": doc.language})
    return records


def synthetic_corpus(records: list[dict[str, Any]], size: int, path: Path) -> Path:
    """`size` documents cycling through `records`, each with an id of its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for i in range(size):
            base = records[i % len(records)]
            out.write(
                json.dumps({"id": f"syn-{i:07d}", **{k: v for k, v in base.items() if v}}, ensure_ascii=False)
                + "\n"
            )
    return path


def is_current(store: Any, size: int) -> bool:
    """A cached index is reused when it holds `size` documents and matches the current settings."""
    from assistant.errors import AssistantError

    try:
        store.check_readable()
    except AssistantError:
        return False
    return bool(store.counts()[0] == size)


def ensure_index(
    settings: Any,
    encoders: dict[str, Any],
    client: Any,
    records: list[dict[str, Any]],
    size: int,
    cache: Path,
) -> dict[str, Any]:
    from assistant.components import build_store
    from ingest.pipeline import run_ingest

    store = build_store(settings, encoders, client)
    docs, chunks = store.counts()
    if is_current(store, size):
        return {"built": False, "build_s": 0.0, "documents": docs, "chunks": chunks}
    corpus = synthetic_corpus(records, size, cache / f"synthetic-{size}.jsonl")
    caching = {name: CachingEncoder(enc) for name, enc in encoders.items()}
    started = time.perf_counter()
    stats = run_ingest(
        [corpus],
        build_store(settings, caching, client),
        caching,
        rebuild=True,
        progress=False,
    )
    docs, chunks = store.counts()
    return {
        "built": True,
        "build_s": time.perf_counter() - started,
        "documents": docs,
        "chunks": chunks,
        "failed": stats.failed,
    }


def measure(assistant: Any, questions: list[str], top_k: int) -> dict[str, Any]:
    started = time.perf_counter()
    assistant.retriever.snapshot()  # the keyword index is built once per index version: not a query cost
    snapshot_s = time.perf_counter() - started
    assistant.retriever.retrieve(questions[0], top_k)  # warm-up (encoder graphs, caches)
    retrieve_ms, e2e_ms = [], []
    for question in questions:
        t0 = time.perf_counter()
        assistant.retriever.retrieve(question, top_k)
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
    for question in questions:
        t0 = time.perf_counter()
        assistant.answer(question)
        e2e_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "keyword_index_s": snapshot_s,
        "retrieve": latency_summary(retrieve_ms),
        "end_to_end": latency_summary(e2e_ms),
    }


def run(
    settings: Any,
    encoders: dict[str, Any],
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
    records: list[dict[str, Any]] | None = None
    results = []
    for size in sizes:
        size_settings = settings.model_copy(
            update={"collection": f"bench-q{size}", "generator": "extractive"}
        )
        from assistant.components import build_store

        if records is None and not is_current(build_store(size_settings, encoders, client), size):
            records = base_records(data_root, limit_docs)
            print(f"base documents to repeat: {len(records)}")
        index = ensure_index(size_settings, encoders, client, records or [], size, cache_dir)
        assistant = bench_assistant(size_settings, encoders, client, "extractive")
        figures = measure(assistant, questions, settings.top_k)
        results.append({"size": size, **index, **figures})
        print(
            f"size {size}: {index['chunks']} chunks, "
            + (f"built in {index['build_s']:.0f}s" if index["built"] else "cached")
        )
    return results
