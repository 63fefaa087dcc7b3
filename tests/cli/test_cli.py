"""The `exchange-assistant` command line, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "How many people attended the Tianjin-Qinghai cultural and tourism event?"


def run_cli(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir), "EXCHANGE_ASSISTANT_GENERATOR": "extractive"}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("cli")
    result = run_cli("ingest", str(ROOT / "corpus"), data_dir=work / "data", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "added 5, updated 0, unchanged 0, removed 0, failed 0" in result.stdout
    return work / "data", work


def test_ask_prints_answer_with_markers_then_numbered_sources(indexed: tuple[Path, Path]) -> None:
    data_dir, cwd = indexed
    result = run_cli("ask", QUESTION, data_dir=data_dir, cwd=cwd)
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert "1,000" in answer and "[1]" in answer
    assert "[1] Tianjin and Qinghai to Boost Cultural Exchanges (004_9bc1640c6c35c08d)" in sources
    assert "“" in sources  # the quoted passage


def test_ask_json_prints_the_api_answer_object(indexed: tuple[Path, Path]) -> None:
    data_dir, cwd = indexed
    result = run_cli("ask", "--json", QUESTION, data_dir=data_dir, cwd=cwd)
    body = json.loads(result.stdout)
    assert set(body) == {"answer", "citations", "refused", "language", "timings_ms", "generator", "unsupported"}
    assert body["citations"][0]["doc_id"] == "004_9bc1640c6c35c08d"


def test_second_ingest_reports_everything_unchanged(indexed: tuple[Path, Path]) -> None:
    data_dir, cwd = indexed
    result = run_cli("ingest", str(ROOT / "corpus"), data_dir=data_dir, cwd=cwd)
    assert "added 0, updated 0, unchanged 5, removed 0, failed 0" in result.stdout


def test_ingest_with_a_bad_file_names_it_and_exits_nonzero(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe Nantes–Cardiff choir exchange runs every spring with forty singers.")
    (folder / "bad.txt").write_bytes(b"\x00\x01\x02\x03 binary")
    result = run_cli("ingest", str(folder), data_dir=tmp_path / "data", cwd=tmp_path)
    assert result.returncode == 1
    assert f"failed: {folder / 'bad.txt'}: looks like binary data" in result.stderr
    assert "added 1," in result.stdout and "failed 1" in result.stdout


def test_ask_before_ingest_says_to_run_ingest(tmp_path: Path) -> None:
    result = run_cli("ask", QUESTION, data_dir=tmp_path / "nothing", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `exchange-assistant ingest`" in result.stderr


def test_missing_local_model_gives_an_install_hint(indexed: tuple[Path, Path]) -> None:
    data_dir, cwd = indexed
    result = run_cli("ask", "--generator", "local", QUESTION, data_dir=data_dir, cwd=cwd)
    assert result.returncode == 2
    assert "exchange-assistant model install" in result.stderr
