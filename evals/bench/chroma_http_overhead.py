"""Per-query cost of serve's local Chroma server: retrieval with the embedded PersistentClient vs
an HttpClient to `chroma run` over the same files (assistant/index/chroma_local.py), on corpus/ plus
tests/data/corpus. Prints figures; it asserts nothing.

    python -m evals.bench.chroma_http_overhead /tmp/bench-data ingest
    python -m evals.bench.chroma_http_overhead /tmp/bench-data embedded
    python -m evals.bench.chroma_http_overhead /tmp/bench-data http

Each mode runs in its own process: an embedded client and a server must not share the files."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path

QUESTIONS = [
    "How many people attended the Tianjin-Qinghai cultural and tourism event?",
    "Which cities is Nancy twinned with?",
    "How much is the Lyon-Beijing scholarship?",
    "Quand a lieu le camp d'été de Busan ?",
    "京都交流项目有多少学生？",
    "What is the application deadline for the Kyoto exchange?",
]
ROOT = Path(__file__).resolve().parents[2]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def main(data: Path, mode: str, rounds: int = 20) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.components import build_assistant, build_encoders, build_store
    from assistant.index.chroma_local import local_chroma_server
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    settings = Settings(data_dir=data, generator="extractive")
    if mode == "ingest":
        encoders = build_encoders(settings)
        store = build_store(settings, encoders)
        print(run_ingest([ROOT / "corpus", ROOT / "tests/data/corpus"], store, encoders, progress=False).summary())
        return
    chroma = ChromaSettings(anonymized_telemetry=False)
    owner = local_chroma_server(data, settings.chroma_path) if mode == "http" else nullcontext(None)
    with owner as local:
        client = (
            chromadb.HttpClient(host=local.host, port=local.port, settings=chroma) if local
            else chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma)
        )
        retriever = build_assistant(settings, client=client).retriever
        vectors = {q: {n: e.embed_query(q) for n, e in retriever.encoders.items()} for q in QUESTIONS}
        retriever.snapshot()
        for question in QUESTIONS:
            retriever.retrieve(question)
        total, dense = [], []
        for _ in range(rounds):
            for question in QUESTIONS:
                start = time.perf_counter()
                retriever.retrieve(question)
                total.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                for name in retriever.encoders:
                    retriever.store.dense_search(name, vectors[question][name], 50)
                dense.append((time.perf_counter() - start) * 1000)
    print(
        f"{mode}: retrieve p50={_pct(total, .5):.1f} ms p90={_pct(total, .9):.1f} ms | "
        f"dense search x{len(retriever.encoders)} (k=50) p50={_pct(dense, .5):.1f} ms "
        f"p90={_pct(dense, .9):.1f} ms (n={len(total)})"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
