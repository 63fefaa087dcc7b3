"""`bench ingest`: ingest throughput and peak memory on the shared corpora, embedded Chroma
(PersistentClient) and, with --server, a `chroma run` server on loopback.

Encoding dominates ingest and is the same work whichever store receives the vectors, so by
default the server run reuses the vectors the embedded run computed (same encoders, same texts)
and measures what differs: chunking, the manifest and the Chroma writes. Its end-to-end figure
adds the embedded run's encoding time. `--reencode` encodes again in the server run instead."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from evals.bench.common import CachingEncoder, RssSampler, chroma_server, rss_mb, stage_corpora, temp_dir


def ingest_once(
    settings: Any, encoders: dict[str, CachingEncoder], client: Any, paths: list[Path], pids: list[int | None]
) -> dict[str, Any]:
    from assistant.components import build_store
    from ingest.pipeline import run_ingest

    store = build_store(settings, encoders, client)
    encode_before = sum(e.seconds for e in encoders.values())
    with RssSampler(pids) as sampler:
        started = time.perf_counter()
        stats = run_ingest(paths, store, encoders, rebuild=True, progress=False)
        seconds = time.perf_counter() - started
    encode_s = sum(e.seconds for e in encoders.values()) - encode_before
    docs = stats.added + stats.updated
    return {
        "documents": docs,
        "chunks": stats.chunks_written,
        "failed": stats.failed,
        "seconds": seconds,
        "encode_s": encode_s,
        "store_s": seconds - encode_s,
        "docs_per_s": docs / seconds if seconds else 0.0,
        "chunks_per_s": stats.chunks_written / seconds if seconds else 0.0,
        "peak_rss_mb": sampler.peak_mb[0],
        "server_peak_rss_mb": sampler.peak_mb[1] if len(pids) > 1 else None,
        "vector_cache_mb": sum(e.cache_mb for e in encoders.values()),
    }


def run(
    settings: Any,
    encoders: dict[str, Any],
    data_root: Path,
    limit_docs: int | None,
    server: bool,
    reencode: bool = False,
) -> list[dict[str, Any]]:
    results = []
    with temp_dir("bench-ingest-") as work:
        staged = stage_corpora(data_root, work / "corpora", limit_docs)
        if not staged:
            raise SystemExit(f"no benchmark corpora found under {data_root}")
        paths = list(staged.values())
        print(
            f"corpora: {', '.join(staged)} (limit {limit_docs or 'none'} per source); "
            f"process RSS before: {rss_mb():.0f} MB",
            flush=True,
        )
        bench_settings = settings.model_copy(update={"data_dir": work / "data", "collection": "bench-ingest"})
        caching = {name: CachingEncoder(enc) for name, enc in encoders.items()}
        embedded = chromadb.PersistentClient(
            path=str(work / "embedded"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        first = {
            "mode": "embedded",
            "vectors": "encoded",
            **ingest_once(bench_settings, caching, embedded, paths, [None]),
        }
        results.append(first)
        print(f"embedded: {first['chunks']} chunks in {first['seconds']:.0f}s", flush=True)
        if server:
            if reencode:
                caching = {name: CachingEncoder(enc) for name, enc in encoders.items()}
            with chroma_server(work / "server") as srv:
                client = chromadb.HttpClient(
                    host=srv.host, port=srv.port, settings=ChromaSettings(anonymized_telemetry=False)
                )
                second = {
                    "mode": "server",
                    "vectors": "encoded" if reencode else "reused",
                    **ingest_once(bench_settings, caching, client, paths, [None, srv.pid]),
                }
            if not reencode:  # end to end = this run's pipeline and writes + the encoding it skipped
                total = second["seconds"] + first["encode_s"]
                second["docs_per_s"] = second["documents"] / total if total else 0.0
                second["chunks_per_s"] = second["chunks"] / total if total else 0.0
            results.append(second)
    return results
