"""`bench start`: wall time from spawning `exchange-assistant ask` to its answer on stdout, on the
synthetic indexes of `bench query` (same cache and collections, so an index built by either is
reused), with where the time goes, read from the child's own timing logs (`-v`, JSON lines)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

# Phases: the child's log message prefix -> column. Values are the `ms=` of the line, except
# `imports`, the time from spawn to the line that ends the CLI's imports and settings.
PHASES: dict[str, str] = {
    "chroma opened": "chroma_ms",
    "keyword index opened": "keyword_ms",
    "index snapshot ready": "snapshot_ms",
    "minilm onnx sha256 checked": "onnx_sha256_ms",
    "encoder loaded name=minilm": "minilm_load_ms",
    "local model loaded": "llama_load_ms",
    "ask: assistant built": "build_ms",
    "ask: first answer": "answer_ms",
}
IMPORTS_DONE = "ask: modules imported"
# Answered from every synthetic index: the first document `bench query` repeats is this section of
# the shared U.S. Code corpus (a refusal would not time the generator).
DEFAULT_QUESTION = "What are the purposes of the Eisenhower Exchange Fellowship Program?"


def child_env(settings: Any, size_settings: Any, generator: str) -> dict[str, str]:
    """The environment of an `ask` over the bench index: its data dir (Chroma) and collection,
    the parent's SQL store (the keyword index), models and index settings."""
    from assistant.components import minilm_onnx_path
    from evals.bench.load_bench import index_env
    from evals.paths import REPO_ROOT

    return {
        **os.environ,
        **index_env(settings),
        # this checkout's code, whatever the working directory (not an installed copy's)
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "EXCHANGE_ASSISTANT_DATA_DIR": str(Path(size_settings.data_dir).resolve()),
        "EXCHANGE_ASSISTANT_COLLECTION": size_settings.collection,
        "EXCHANGE_ASSISTANT_DATABASE_URL": settings.resolved_database_url,
        "EXCHANGE_ASSISTANT_MINILM_ONNX_PATH": str(minilm_onnx_path(settings).resolve()),
        "EXCHANGE_ASSISTANT_MODEL_PATH": str(model_path(settings).resolve()),
        "EXCHANGE_ASSISTANT_GENERATOR": generator,
        "EXCHANGE_ASSISTANT_LOG_JSON": "true",
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",  # the answer reaches the pipe when printed, not at exit
    }


def model_path(settings: Any) -> Path:
    from assistant.llm.model_files import MODEL_FILENAME

    return Path(settings.model_path or settings.models_dir / MODEL_FILENAME)


def parse_phases(lines: Sequence[str], spawned: float) -> dict[str, float]:
    """{column: ms} from the child's JSON log lines (other lines are ignored)."""
    phases: dict[str, float] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or not str(record.get("logger", "")).startswith("assistant"):
            continue
        message = str(record.get("message", ""))
        if message.startswith(IMPORTS_DONE) and "imports_ms" not in phases:
            stamp = datetime.strptime(str(record["ts"]), "%Y-%m-%dT%H:%M:%S.%fZ")
            wall = (stamp - datetime(1970, 1, 1)).total_seconds()
            phases["imports_ms"] = (wall - spawned) * 1000
            continue
        for prefix, column in PHASES.items():
            if message.startswith(prefix) and column not in phases:
                ms = [part[3:] for part in message.split() if part.startswith("ms=")]
                if ms:
                    phases[column] = float(ms[-1])
    return phases


def run_ask(command: list[str], env: dict[str, str], timeout: float = 900.0) -> dict[str, Any]:
    """Spawn one `ask`; wall seconds until its first byte on stdout, its phases, and its exit."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first_output: list[float] = []
    stdout: list[bytes] = []
    stderr_bytes: list[bytes] = []

    def read_stdout() -> None:
        assert process.stdout is not None
        while chunk := os.read(process.stdout.fileno(), 65536):
            if not first_output:
                first_output.append(time.perf_counter())
            stdout.append(chunk)

    def read_stderr() -> None:
        assert process.stderr is not None
        stderr_bytes.append(process.stderr.read())

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise RuntimeError(f"{command!r} gave no answer within {timeout:.0f}s") from None
    for reader in readers:
        reader.join()
    exited = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # this child's, once waited for
    cpu_s = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    stderr = b"".join(stderr_bytes).decode("utf-8", "replace").splitlines()
    if process.returncode != 0 or not first_output:
        tail = "\n".join(line for line in stderr[-15:])
        raise RuntimeError(f"{command[3:]!r} exited with code {process.returncode} and no answer:\n{tail}")
    return {
        "wall_s": first_output[0] - started,
        "exit_s": exited - started,
        "cpu_s": cpu_s,
        "answer": b"".join(stdout).decode("utf-8", "replace"),
        **parse_phases(stderr, spawned),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/min/max of the wall time, and the median of each phase over the runs that logged it."""
    walls = sorted(r["wall_s"] for r in runs)
    row: dict[str, Any] = {
        "runs": len(runs), "p50_s": _median(walls), "min_s": walls[0], "max_s": walls[-1],
        "exit_p50_s": _median(sorted(r["exit_s"] for r in runs)),
        "cpu_p50_s": _median(sorted(r["cpu_s"] for r in runs)),
    }
    for column in ["imports_ms", *PHASES.values()]:
        values = sorted(r[column] for r in runs if column in r)
        row[column] = _median(values) if values else None
    return row


def _median(values: Sequence[float]) -> float:
    n = len(values)
    return (values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2) if n else float("nan")


def run(
    settings: Any,
    ingest_encoders: dict[str, Any],
    records: Callable[[int, int], list[dict[str, Any]]],
    sizes: list[int],
    generators: list[str],
    repeats: int,
    cache_dir: Path,
    question: str | None = None,
) -> list[dict[str, Any]]:
    """Per size and generator: one untimed `ask` (it saves the keyword index if none was, and
    fills the page cache), then `repeats` timed ones, each a fresh process."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from evals.bench.common import CachingEncoder
    from evals.bench.query_bench import ensure_synthetic_index

    question = question or DEFAULT_QUESTION
    cache_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(
        path=str(cache_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    caching = {name: CachingEncoder(enc) for name, enc in ingest_encoders.items()}
    results = []
    for size in sizes:
        size_settings = settings.model_copy(
            update={"collection": f"bench-c{size}", "data_dir": cache_dir, "generator": "extractive"}
        )
        # the index is built with the parent's data dir settings, as `bench query` builds it
        index_settings = settings.model_copy(update={"collection": f"bench-c{size}", "generator": "extractive"})
        index = ensure_synthetic_index(index_settings, caching, client, records, size, cache_dir)
        print(
            f"size {size}: {index['documents']} documents, {index['chunks']} chunks, "
            + (f"built in {index['build_s']:.0f}s" if index["built"] else "cached"),
            flush=True,
        )
        for generator in generators:
            env = child_env(settings, size_settings, generator)
            command = [sys.executable, "-m", "assistant.cli", "ask", "-v", question]
            warm = run_ask(command, env)
            print(f"  {generator}: untimed first run {warm['wall_s']:.1f}s", flush=True)
            runs = []
            for i in range(repeats):
                runs.append(run_ask(command, env))
                print(f"  {generator}: run {i + 1}/{repeats} {runs[-1]['wall_s']:.2f}s", flush=True)
            print(f"  {generator} answered: {' '.join(runs[-1]['answer'].split())[:100]}", flush=True)
            results.append(
                {"size": size, "chunks": index["chunks"], "generator": generator, **summarise(runs),
                 "answer": runs[-1]["answer"][:200], "runs_detail": runs}
            )
    return results
