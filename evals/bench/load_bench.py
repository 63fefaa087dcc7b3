"""`bench load`: the HTTP API under concurrent load on loopback (uvicorn in subprocesses, extractive
generator). Each level sends a bounded number of requests, each with its own X-Request-ID, and
checks that every request got exactly one answer: none lost, none duplicated, none crossed.

With several API processes (`--processes N`, optionally pinned to CPUs with `--pin`), they share
a `chroma run` server and the SQLite store of the cache dir, as replicas share a Chroma server and
PostgreSQL, and request i goes to process i mod N (what a round-robin balancer does). `--targets`
sends the load to servers that are already running (several URLs, or one proxy) instead."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.index.chroma_local import free_port, stop_process
from evals.bench.common import RssSampler, latency_summary, load_questions, wait_http


@dataclass
class Outcome:
    sent_id: str
    status: int | None  # None: no response (connection error, timeout)
    echoed_id: str | None
    has_answer: bool
    ms: float
    error: str | None = None


def account(sent_ids: list[str], outcomes: list[Outcome]) -> dict[str, Any]:
    """Loss and duplicate accounting. `ok` only when there is exactly one successful answer per
    request, carrying that request's own id."""
    echoed = Counter(o.echoed_id for o in outcomes if o.echoed_id is not None)
    answered = {o.sent_id for o in outcomes if o.status == 200 and o.has_answer and o.echoed_id == o.sent_id}
    figures = {
        "sent": len(sent_ids),
        "responses": sum(1 for o in outcomes if o.status is not None),
        "answered": len(answered),
        "lost": len(set(sent_ids) - {o.echoed_id for o in outcomes if o.echoed_id}),
        "duplicated": sum(n - 1 for n in echoed.values() if n > 1),
        "crossed": sum(1 for o in outcomes if o.echoed_id is not None and o.echoed_id != o.sent_id),
        "empty_answers": sum(1 for o in outcomes if o.status == 200 and not o.has_answer),
        "errors": sum(1 for o in outcomes if o.status != 200),
    }
    figures["ok"] = figures["responses"] == figures["sent"] == figures["answered"] == len(
        set(sent_ids)
    ) and not (figures["lost"] or figures["duplicated"] or figures["crossed"] or figures["errors"])
    return figures


async def _one(client: httpx.AsyncClient, gate: asyncio.Semaphore, rid: str, question: str) -> Outcome:
    async with gate:
        started = time.perf_counter()
        try:
            response = await client.post(
                "/v1/ask", json={"question": question}, headers={"X-Request-ID": rid}
            )
        except httpx.HTTPError as exc:
            return Outcome(rid, None, None, False, (time.perf_counter() - started) * 1000, type(exc).__name__)
        ms = (time.perf_counter() - started) * 1000
        answer = ""
        if response.status_code == 200:
            answer = str(response.json().get("answer") or "")
        return Outcome(
            rid,
            response.status_code,
            response.headers.get("x-request-id"),
            bool(answer.strip()),
            ms,
            None if response.status_code == 200 else response.text[:200],
        )


async def run_level(
    base_url: str | list[str], concurrency: int, requests: int, questions: list[str], timeout: float = 300.0
) -> tuple[list[str], list[Outcome], float]:
    """`requests` requests, `concurrency` at a time; with several base URLs, request i goes to
    URL i mod N."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    gate = asyncio.Semaphore(concurrency)
    ids = [f"load-c{concurrency}-{i}-{uuid.uuid4().hex[:8]}" for i in range(requests)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) for url in urls]
    try:
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(
                _one(clients[i % len(clients)], gate, rid, questions[i % len(questions)])
                for i, rid in enumerate(ids)
            )
        )
        seconds = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return ids, list(outcomes), seconds


def index_env(settings: Any) -> dict[str, str]:
    """The settings that must match the index (encoders, chunking), for the server's environment."""
    return {
        "EXCHANGE_ASSISTANT_EMBEDDERS": ",".join(settings.embedders),
        "EXCHANGE_ASSISTANT_CHUNK_SIZE": str(settings.chunk_size),
        "EXCHANGE_ASSISTANT_CHUNK_OVERLAP": str(settings.chunk_overlap),
    }


def start_server(
    data_dir: Path,
    collection: str,
    extra_env: dict[str, str] | None = None,
    startup_timeout: float = 600.0,
    cpus: set[int] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving create_app() (the lifespan builds the assistant from these settings),
    restricted to `cpus` when given (all its threads inherit the affinity)."""
    port = free_port()
    env = {
        **os.environ,
        "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir),
        "EXCHANGE_ASSISTANT_COLLECTION": collection,
        "EXCHANGE_ASSISTANT_GENERATOR": "extractive",
        "EXCHANGE_ASSISTANT_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS": "true",  # the load test calls /v1/ask without a key
        "EXCHANGE_ASSISTANT_ANONYMOUS_RPM": "1000000",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "assistant.api:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    # stderr to a file, not a pipe: nobody reads a pipe during the run, and a full one blocks the server
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:  # the child keeps its own handle after this closes
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=log,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        try:
            wait_http(f"{base_url}/readyz", process, startup_timeout)
        except RuntimeError as exc:
            stop_process(process)
            log.seek(0)
            detail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the API server did not become ready ({exc}):\n{detail}") from None
    return process, base_url


def start_servers(
    data_dir: Path,
    collection: str,
    processes: int,
    extra_env: dict[str, str] | None = None,
    pin: list[int] | None = None,
) -> list[tuple[subprocess.Popen[bytes], str]]:
    """`processes` API servers; process i on CPU pin[i mod len(pin)] when pinning. They start
    one after the other: the first builds and saves the keyword index if none is saved, the
    others open it."""
    servers = []
    try:
        for i in range(processes):
            cpus = {pin[i % len(pin)]} if pin else None
            servers.append(start_server(data_dir, collection, extra_env, cpus=cpus))
    except BaseException:
        for process, _ in servers:
            stop_process(process)
        raise
    return servers


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), NaN if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def measure(
    urls: list[str],
    levels: list[int],
    requests: int,
    pids: list[int] | None = None,
    chroma_pid: int | None = None,
) -> list[dict[str, Any]]:
    """The load levels against running servers (request i to URL i mod N). With their pids, the
    CPU time they spent per answer is measured too: unlike throughput, it does not depend on what
    else runs on the machine, and divides the cores into the throughput they can sustain."""
    questions = load_questions()
    # one request per server first, so model graphs and the keyword index are warm before timing
    asyncio.run(run_level(urls, len(urls), len(urls), questions))
    results = []
    for concurrency in levels:
        cpu_before = [cpu_seconds(p) for p in pids or []]
        chroma_before = cpu_seconds(chroma_pid) if chroma_pid else float("nan")
        with RssSampler(pids or []) as sampler:
            ids, outcomes, seconds = asyncio.run(run_level(urls, concurrency, requests, questions))
        cpu_used = sum(cpu_seconds(p) - b for p, b in zip(pids or [], cpu_before, strict=True))
        chroma_used = cpu_seconds(chroma_pid) - chroma_before if chroma_pid else float("nan")
        ok_ms = [o.ms for o in outcomes if o.status == 200]
        summary = latency_summary(ok_ms)
        results.append(
            {
                "targets": len(urls),
                "concurrency": concurrency,
                **account(ids, outcomes),
                "seconds": seconds,
                "throughput_rps": len(ok_ms) / seconds if seconds else 0.0,
                "p50_ms": summary["p50_ms"],
                "p95_ms": summary["p95_ms"],
                "p99_ms": summary["p99_ms"],
                "server_peak_rss_mb": sum(sampler.peak_mb),
                "api_cpu_s_per_answer": cpu_used / len(ok_ms) if ok_ms and pids else float("nan"),
                "chroma_cpu_s_per_answer": chroma_used / len(ok_ms) if ok_ms else float("nan"),
                "error_samples": sorted({o.error for o in outcomes if o.error})[:3],
            }
        )
    return results


def run(
    data_dir: Path,
    collection: str,
    levels: list[int],
    requests: int,
    extra_env: dict[str, str] | None = None,
    processes: int = 1,
    pin: list[int] | None = None,
    chroma_host: tuple[str, int] | None = None,
    chroma_pid: int | None = None,
) -> list[dict[str, Any]]:
    """Start `processes` servers on the index in `data_dir` (through the `chroma run` server at
    `chroma_host` when given), measure every level, stop them."""
    env = dict(extra_env or {})
    if chroma_host is not None:
        env["EXCHANGE_ASSISTANT_CHROMA_HOST"] = chroma_host[0]
        env["EXCHANGE_ASSISTANT_CHROMA_PORT"] = str(chroma_host[1])
    servers = start_servers(data_dir, collection, processes, env, pin)
    try:
        results = measure([url for _, url in servers], levels, requests, [p.pid for p, _ in servers], chroma_pid)
    finally:
        for process, _ in servers:
            stop_process(process)
    for row in results:
        row["processes"] = processes
        row["pinned_cpus"] = ",".join(str(pin[i % len(pin)]) for i in range(processes)) if pin else "-"
    return results
