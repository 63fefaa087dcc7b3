"""An ingest encoder call uses the configured cores as one-thread shards side by side, each
holding one CPU slot, and returns the vectors in input order."""

from __future__ import annotations

import threading
import time

import pytest

from assistant import components
from assistant.cpu import CpuSlots
from assistant.index.embeddings import (
    OnnxMiniLMEncoder,
    SentenceTransformerEncoder,
    UniversalSentenceEncoder,
    encode_in_shards,
)
from assistant.settings import Settings


def test_shards_run_side_by_side_within_the_slots_and_keep_the_input_order() -> None:
    slots = CpuSlots(2)
    running = [0]
    peak = [0]
    lock = threading.Lock()

    def encode(texts: list[str]) -> list[list[float]]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return [[float(t)] for t in texts]

    texts = [str(i) for i in range(11)]
    vectors = encode_in_shards(texts, 2, slots, encode)
    assert vectors == [[float(i)] for i in range(11)]
    assert peak[0] == 2


def test_one_worker_encodes_in_the_calling_thread_as_one_call() -> None:
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [[1.0] for _ in texts]

    assert encode_in_shards(["a", "b", "c"], 1, CpuSlots(2), encode) == [[1.0]] * 3
    assert calls == [["a", "b", "c"]]


@pytest.mark.parametrize(("purpose", "expected"), [("ingest", 2), ("query", 1)])
def test_ingest_encoders_use_the_configured_cores_and_query_encoders_one(
    monkeypatch: pytest.MonkeyPatch, purpose: str, expected: int
) -> None:
    monkeypatch.setattr(components, "cpu_budget", lambda setting: 2)
    monkeypatch.setattr(components, "apply_cpu_budget", lambda threads: None)
    monkeypatch.setattr(components, "limit_blas_threads", lambda threads: None)
    encoders = components.build_encoders(Settings(embedders=["use", "minilm"]), purpose=purpose)  # type: ignore[arg-type]
    assert isinstance(encoders["use"], UniversalSentenceEncoder)
    assert isinstance(encoders["minilm"], OnnxMiniLMEncoder)
    assert {e.threads for e in encoders.values()} == {expected}  # type: ignore[attr-defined]


def test_minilm_runs_on_torch_when_the_setting_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components, "apply_cpu_budget", lambda threads: None)
    monkeypatch.setattr(components, "limit_blas_threads", lambda threads: None)
    encoders = components.build_encoders(Settings(embedders=["minilm"], minilm_runtime="torch"))  # type: ignore[arg-type]
    assert isinstance(encoders["minilm"], SentenceTransformerEncoder)
