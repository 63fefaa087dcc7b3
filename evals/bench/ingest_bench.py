"""`bench ingest`: ingest throughput and peak memory on the shared corpora, embedded Chroma
(PersistentClient) and, with --server, a `chroma run` server on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from evals.bench.common import RssSampler, chroma_server, rss_mb, stage_corpora, temp_dir


def ingest_once(
    settings: Any, encoders: dict[str, Any], client: Any, paths: list[Path], pids: list[int | None]
) -> dict[str, Any]:
    from assistant.components import build_store
    from ingest.pipeline import run_ingest

    store = build_store(settings, encoders, client)
    with RssSampler(pids) as sampler:
        started = time.perf_counter()
        stats = run_ingest(
            paths,
            store,
            encoders,
            rebuild=True,
            progress=False,
        )
        seconds = time.perf_counter() - started
    docs = stats.added + stats.updated
    return {
        "documents": docs,
        "chunks": stats.chunks_written,
        "failed": stats.failed,
        "seconds": seconds,
        "docs_per_s": docs / seconds if seconds else 0.0,
        "chunks_per_s": stats.chunks_written / seconds if seconds else 0.0,
        "peak_rss_mb": sampler.peak_mb[0],
        "server_peak_rss_mb": sampler.peak_mb[1] if len(pids) > 1 else None,
    }


def run(
    settings: Any, encoders: dict[str, Any], data_root: Path, limit_docs: int | None, server: bool
) -> list[dict[str, Any]]:
    results = []
    with temp_dir("bench-ingest-") as work:
        staged = stage_corpora(data_root, work / "corpora", limit_docs)
        if not staged:
            raise SystemExit(f"no benchmark corpora found under {data_root}")
        paths = list(staged.values())
        print(
            f"corpora: {', '.join(staged)} (limit {limit_docs or 'none'} per source); "
            f"process RSS before: {rss_mb():.0f} MB"
        )
        bench_settings = settings.model_copy(update={"data_dir": work / "data", "collection": "bench-ingest"})
        embedded = chromadb.PersistentClient(
            path=str(work / "embedded"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        results.append({"mode": "embedded", **ingest_once(bench_settings, encoders, embedded, paths, [None])})
        if server:
            with chroma_server(work / "server") as srv:
                client = chromadb.HttpClient(
                    host=srv.host, port=srv.port, settings=ChromaSettings(anonymized_telemetry=False)
                )
                results.append(
                    {
                        "mode": "server",
                        **ingest_once(bench_settings, encoders, client, paths, [None, srv.pid]),
                    }
                )
    return results
