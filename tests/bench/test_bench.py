"""Benchmark code: cheap correctness checks only (no timing assertions)."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from conftest import make_settings

from assistant.components import build_store
from assistant.index.chroma_local import stop_process
from evals.bench import ingest_bench
from evals.bench.common import latency_summary, load_questions, percentile, stage_corpora
from evals.bench.load_bench import Outcome, account, index_env, run_level, start_server
from evals.bench.query_bench import ensure_synthetic_index, records_from
from evals.paths import default_data_root
from ingest.pipeline import run_ingest

TEST_CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.mark.parametrize("q", [0, 10, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy_linear_interpolation(q: float) -> None:
    values = [12.0, 3.5, 7.0, 100.0, 41.0, 8.25, 3.5]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_one_value_nothing_and_bad_q() -> None:
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)
    assert latency_summary([1.0, 2.0, 3.0])["p50_ms"] == 2.0


def _ok(rid: str) -> Outcome:
    return Outcome(rid, 200, rid, True, 1.0)


def test_accounting_passes_one_answer_per_request() -> None:
    figures = account(["a", "b", "c"], [_ok("a"), _ok("b"), _ok("c")])
    assert figures["ok"]
    assert figures["answered"] == 3
    assert figures["lost"] == 0


def test_accounting_catches_lost_duplicated_crossed_empty_and_failed_requests() -> None:
    lost = account(["a", "b"], [_ok("a")])
    assert not lost["ok"]
    assert lost["lost"] == 1
    duplicated = account(["a", "b"], [_ok("a"), _ok("b"), _ok("b")])
    assert not duplicated["ok"]
    assert duplicated["duplicated"] == 1
    crossed = account(["a", "b"], [_ok("a"), Outcome("b", 200, "a", True, 1.0)])
    assert not crossed["ok"]
    assert crossed["crossed"] == 1
    assert crossed["duplicated"] == 1
    empty = account(["a"], [Outcome("a", 200, "a", False, 1.0)])
    assert not empty["ok"]
    assert empty["empty_answers"] == 1
    failed = account(["a"], [Outcome("a", None, None, False, 1.0, "ConnectError")])
    assert not failed["ok"]
    assert failed["errors"] == 1
    assert failed["lost"] == 1


@pytest.mark.slow
def test_load_run_of_four_requests_gets_exactly_one_answer_each(tmp_path: Path, encoders: dict) -> None:
    settings = make_settings(tmp_path / "data", collection="bench-load-test")
    stats = run_ingest([TEST_CORPUS], build_store(settings, encoders), encoders, progress=False)
    assert stats.ok, stats.errors
    process, base_url = start_server(settings.data_dir, "bench-load-test", index_env(settings))
    try:
        ids, outcomes, _ = asyncio.run(run_level(base_url, 2, 4, load_questions(limit=4)))
    finally:
        stop_process(process, timeout=30)
    figures = account(ids, outcomes)
    assert figures["responses"] == 4
    assert len(set(ids)) == 4
    assert figures["ok"], (figures, [o.error for o in outcomes])


def test_staged_corpora_have_distinct_ids_and_respect_the_limit(tmp_path: Path) -> None:
    data_root = default_data_root()
    if not (data_root / "xquad").is_dir():
        pytest.skip(f"shared benchmark data not found at {data_root}")
    staged = stage_corpora(data_root, tmp_path, limit_docs=2)
    assert {"us-code-exchange", "wikipedia-summaries", "xquad"} <= set(staged)
    assert len(list((staged["us-code-exchange"]).rglob("*.md"))) == 2
    ids = [json.loads(line)["id"] for line in (staged["xquad"] / "corpus.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) > 2  # the same article in 12 languages gets 12 ids
    wiki_file = staged["wikipedia-summaries"] / "summaries.jsonl"
    wiki = [json.loads(line) for line in wiki_file.read_text().splitlines()]
    assert {row["lang"] for row in wiki} == {"en", "fr", "es"}
    assert len(wiki) == 6


@pytest.mark.slow
def test_query_bench_index_holds_at_least_the_asked_chunks_under_distinct_ids_and_is_reused(
    tmp_path: Path, encoders: dict
) -> None:
    settings = make_settings(tmp_path / "data", collection="bench-c80")
    store = build_store(settings, encoders)
    records = records_from([TEST_CORPUS], store.spec.chunk_size, store.spec.chunk_overlap)
    base_chunks = sum(r["chunks"] for r in records)
    assert 0 < base_chunks < 80  # so the index must repeat documents to reach the size
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    first = ensure_synthetic_index(settings, encoders, client, lambda *_: records, 80, tmp_path / "cache")
    assert first["built"] and not first["failed"]
    assert 80 <= first["chunks"] < 80 + max(r["chunks"] for r in records)
    assert first["documents"] > len(records)
    chunks_name = build_store(settings, encoders, client).chunks_name(next(iter(encoders)))
    ids = client.get_collection(chunks_name).get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == first["chunks"]
    again = ensure_synthetic_index(settings, encoders, client, lambda *_: [], 80, tmp_path / "cache")
    assert not again["built"]
    assert (again["documents"], again["chunks"]) == (first["documents"], first["chunks"])


@pytest.mark.slow
def test_ingest_bench_server_run_stores_the_same_chunks_reusing_the_embedded_runs_vectors(
    tmp_path: Path, encoders: dict
) -> None:
    data_root = default_data_root()
    if not (data_root / "xquad").is_dir():
        pytest.skip(f"shared benchmark data not found at {data_root}")
    settings = make_settings(tmp_path / "data")
    embedded, server = ingest_bench.run(settings, encoders, data_root, limit_docs=1, server=True)
    assert (embedded["mode"], server["mode"]) == ("embedded", "server")
    assert embedded["failed"] == server["failed"] == 0
    assert embedded["chunks"] == server["chunks"] > 5  # every source contributed
    assert embedded["encode_s"] > 0 and server["encode_s"] == 0.0  # nothing encoded twice
    assert server["server_peak_rss_mb"] > 0
    # the end-to-end figure counts the encoding the server run skipped
    assert server["chunks_per_s"] == pytest.approx(server["chunks"] / (server["seconds"] + embedded["encode_s"]))


def test_load_against_two_running_servers_counts_every_answer_once(assistant: Any) -> None:
    from live_server import live_server

    from assistant.api import create_app
    from assistant.partners.access import AccessPolicy
    from evals.bench.load_bench import measure

    open_access = AccessPolicy(anonymous=True)  # the load test calls /v1/ask without a key
    with live_server(lambda url: create_app(assistant=assistant, access=open_access)) as first, live_server(
        lambda url: create_app(assistant=assistant, access=open_access)
    ) as second:
        [row] = measure([first, second], [2], 4)
    assert row["targets"] == 2
    assert (row["sent"], row["answered"], row["lost"], row["duplicated"], row["crossed"]) == (4, 4, 0, 0, 0)
    assert row["ok"]


def test_start_bench_reads_the_phases_from_the_childs_json_log_lines() -> None:
    from evals.bench.start_bench import parse_phases

    lines = [
        '{"ts": "2026-12-01T10:00:01.500Z", "level": "INFO", "logger": "assistant.cli", "message": "ask: modules imported"}',
        '{"ts": "2026-12-01T10:00:02.000Z", "level": "INFO", "logger": "assistant.index.keyword_store", '
        '"message": "keyword index opened chunks=80 version=1 ms=120"}',
        '{"ts": "2026-12-01T10:00:03.000Z", "level": "INFO", "logger": "assistant.cli", "message": "ask: first answer ms=900"}',
        "llama.cpp noise that is not JSON",
        '{"ts": "2026-12-01T10:00:03.000Z", "level": "INFO", "logger": "other", "message": "ask: first answer ms=1"}',
    ]
    spawned = 1796119200.0  # 2026-12-01T10:00:00Z
    phases = parse_phases(lines, spawned)
    assert phases == {"imports_ms": pytest.approx(1500.0), "keyword_ms": 120.0, "answer_ms": 900.0}


@pytest.mark.slow
def test_bench_start_times_fresh_ask_processes_over_the_bench_index(
    tmp_path: Path, encoders: dict, minilm_onnx_path: Path
) -> None:
    from evals.bench.start_bench import run

    settings = make_settings(tmp_path / "data", minilm_onnx_path=minilm_onnx_path)
    store = build_store(settings, encoders)
    records = records_from([TEST_CORPUS], store.spec.chunk_size, store.spec.chunk_overlap)
    rows = run(settings, encoders, lambda *_: records, [40], ["extractive"], 1, tmp_path / "cache")
    (row,) = rows
    assert row["size"] == 40 and row["generator"] == "extractive" and row["runs"] == 1
    assert row["chunks"] >= 40
    assert 0 < row["min_s"] <= row["p50_s"] <= row["max_s"]
    assert row["answer"].strip()
    # every phase of a start was logged by the child: the table has no holes where time goes
    for column in ("imports_ms", "chroma_ms", "keyword_ms", "snapshot_ms", "minilm_load_ms",
                   "build_ms", "answer_ms"):
        assert row[column] is not None, column
