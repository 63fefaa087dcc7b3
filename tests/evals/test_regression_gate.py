"""CI gate: the bundled corpus + corpus_dev.jsonl through the real pipeline (real encoders, real
Chroma in tmp, extractive generator) must meet every minimum in evals/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, assistant_with, make_settings

from assistant.components import build_chroma_client, build_store
from evals.dataset import load_dataset
from evals.report import write_reports
from evals.runner import run_eval
from evals.summary import build_report
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = ROOT / "evals" / "thresholds.json"


def _figure(report: dict[str, Any], dotted: str) -> Any:
    value: Any = report
    for part in dotted.split("."):
        value = value[part]
    return value


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_bundled_corpus_eval_meets_every_threshold(tmp_path: Path, encoders: dict) -> None:
    gate = json.loads(THRESHOLDS.read_text())
    settings = make_settings(tmp_path / "data", collection="gate")
    client = build_chroma_client(settings)
    store = build_store(settings, encoders, client)
    stats = run_ingest(
        [ROOT / p for p in gate["corpus"]],
        store,
        encoders,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        progress=False,
    )
    assert stats.ok, stats.errors
    assistant = assistant_with(settings, client, encoders, generator=gate["generator"])
    records = load_dataset(ROOT / gate["dataset"], limit=gate.get("limit"))

    report = build_report(run_eval(assistant, records, progress=False), {"dataset": gate["dataset"]})
    write_reports(report, ARTIFACTS / "eval-gate")  # kept for a look when the gate fails

    failures = [
        f"{name} = {_figure(report, name)} < threshold {minimum}"
        for name, minimum in gate["min"].items()
        if _figure(report, name) is None or _figure(report, name) < minimum
    ]
    maxima = [
        f"{name} = {_figure(report, name)} > threshold {maximum}"
        for name, maximum in gate.get("max", {}).items()
        if _figure(report, name) is None or _figure(report, name) > maximum
    ]
    for name in [*gate["min"], *gate.get("max", {})]:
        print(f"{name} = {_figure(report, name)}")
    assert not failures + maxima, "eval figures out of bounds:\n" + "\n".join(failures + maxima)
