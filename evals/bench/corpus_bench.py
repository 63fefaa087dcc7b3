"""`bench corpus` (issue 2): ingest throughput and query latency, retrieval and end to end per
generator, on the bundled corpus and on the U.S. Code exchange corpus."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from assistant.components import build_assistant
from assistant.llm.model_files import MODEL_FILENAME
from evals.bench.common import CachingEncoder, latency_summary, load_questions, temp_dir
from evals.bench.ingest_bench import ingest_once
from evals.paths import REPO_ROOT


def corpora(data_root: Path) -> list[tuple[str, Path, str]]:
    """(name, path, question set) for each corpus that exists here."""
    found = [("bundled", REPO_ROOT / "corpus", "corpus_dev.jsonl")]
    found.append(("us-code-exchange", data_root / "us-code-exchange" / "docs", "uscode.jsonl"))
    return [c for c in found if c[1].exists()]


def local_model_available(settings: Any) -> bool:
    from assistant.llm.model_files import MODEL_FILENAME, is_verified

    path = settings.model_path or settings.models_dir / MODEL_FILENAME
    return bool(path.is_file() and (is_verified(path) or path.name != MODEL_FILENAME))


def run(
    settings: Any,
    encoders: dict[str, Any],
    data_root: Path,
    generators: list[str],
    n_queries: int,
    llm_queries: int,
    limit_docs: int | None,
) -> list[dict[str, Any]]:
    results = []
    with temp_dir("bench-corpus-") as work:
        client = chromadb.PersistentClient(
            path=str(work / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        for name, path, question_set in corpora(data_root):
            # The index goes to the work dir; the model stays where `model install` put it.
            model_path = settings.model_path or settings.models_dir / MODEL_FILENAME
            corpus_settings = settings.model_copy(
                update={"collection": f"bench-{name}", "data_dir": work, "model_path": model_path}
            )
            paths = [path]
            if limit_docs is not None and path.is_dir():
                paths = sorted(p for p in path.rglob("*") if p.is_file())[:limit_docs]
            caching = {n: CachingEncoder(e) for n, e in encoders.items()}  # for its timing; each text is new
            ingested = ingest_once(corpus_settings, caching, client, paths, [None])
            row: dict[str, Any] = {
                "corpus": name,
                "documents": ingested["documents"],
                "chunks": ingested["chunks"],
                "ingest_s": ingested["seconds"],
                "chunks_per_s": ingested["chunks_per_s"],
            }
            questions = load_questions([question_set], limit=n_queries)
            for generator in generators:
                if generator == "local" and not local_model_available(corpus_settings):
                    print("local: model file not installed (exchange-assistant model install); skipped")
                    continue
                assistant = build_assistant(corpus_settings, generator, client=client, encoders=encoders)
                assistant.retriever.snapshot()
                asked = questions if generator == "extractive" else questions[:llm_queries]
                retrieve_ms, e2e_ms, refused = [], [], 0
                assistant.answer(asked[0])  # warm-up (model load, graphs)
                for question in asked:
                    t0 = time.perf_counter()
                    assistant.retriever.retrieve(question, settings.top_k)
                    retrieve_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    answer = assistant.answer(question)
                    e2e_ms.append((time.perf_counter() - t0) * 1000)
                    refused += answer.refused
                results.append(
                    {
                        **row,
                        "generator": generator,
                        "queries": len(asked),
                        "refused": refused,
                        "retrieve": latency_summary(retrieve_ms),
                        "end_to_end": latency_summary(e2e_ms),
                    }
                )
    return results
