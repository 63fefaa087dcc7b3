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
    assert "[1] Tianjin and Qinghai to Boost Cultural Exchanges\n" in sources  # the title, no hash id
    assert "004_9bc1640c6c35c08d" not in sources
    assert "“" in sources  # the quoted passage


def test_ask_is_quiet_by_default_and_says_what_it_loads(indexed: tuple[Path, Path]) -> None:
    data_dir, cwd = indexed
    quiet = run_cli("ask", QUESTION, data_dir=data_dir, cwd=cwd)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.strip().splitlines() == [
        "loading the encoders (use, minilm) and the extractive generator…"
    ]  # no INFO logs, no 'Loading weights' bar
    verbose = run_cli("ask", "-v", QUESTION, data_dir=data_dir, cwd=cwd)
    assert " INFO " in verbose.stderr or " DEBUG " in verbose.stderr  # -v: the logs


def test_openai_generator_without_a_server_says_which_url_failed_and_how_to_fix_it(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("EXCHANGE_ASSISTANT_OPENAI_BASE_URL", url)
    data_dir, cwd = indexed
    result = run_cli("ask", "--generator", "openai", QUESTION, data_dir=data_dir, cwd=cwd)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if not line.startswith("loading ")]
    assert len(lines) == 1, result.stderr  # no traceback
    assert url in lines[0] and "EXCHANGE_ASSISTANT_OPENAI_BASE_URL" in lines[0] and "--generator local" in lines[0]


def test_ingest_without_a_path_and_no_corpus_folder_explains_the_default(tmp_path: Path) -> None:
    result = run_cli("ingest", data_dir=tmp_path / "data", cwd=tmp_path)
    assert result.returncode == 2
    assert "with no path, ingest reads corpus/ relative to the working directory" in result.stderr
    assert str(tmp_path / "corpus") in result.stderr
    assert "exchange-assistant ingest PATH" in result.stderr


def test_every_option_of_every_command_has_help_text() -> None:
    import argparse

    from assistant.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{name}: {action.option_strings or action.dest}")

    walk(build_parser(), "exchange-assistant")
    assert missing == []


def test_serve_prints_when_the_models_are_loaded_and_warm(indexed: tuple[Path, Path]) -> None:
    import socket

    import httpx

    data_dir, cwd = indexed
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir), "EXCHANGE_ASSISTANT_GENERATOR": "extractive"}
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=cwd,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert f"serving on http://127.0.0.1:{port}" in first and "warming" in first
        ready = server.stdout.readline()
        assert ready.startswith("ready: models loaded and warm in ") and f":{port}" in ready
        body = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30).json()
        assert (body["ready"], body["status"]) == (True, "ready")
    finally:
        server.terminate()
        server.wait(timeout=30)


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


def test_ask_output_lists_each_document_once_with_all_its_passages() -> None:
    from assistant.cli import format_answer
    from assistant.models import Answer, Quote, Source

    source = Source(
        n=1, doc_id="004_9bc1640c6c35c08d", title="Tianjin and Qinghai to Boost Cultural Exchanges",
        source="004_9bc1640c6c35c08d.txt", date="2024-05-29", language="en", url="https://ex.org/t",
        quote="over 1,000 attendees", score=1.0, chunk_id="004:0",
        passages=[Quote(chunk_id="004:0", quote="over 1,000 attendees"), Quote(chunk_id="004:1", quote="24 key projects")],
    )
    text = format_answer(Answer(answer="Plus de 1 000 [1]. 24 projets [1].", citations=[source], refused=False,
                                language="fr"))
    assert text.splitlines()[3:] == [
        "[1] Tianjin and Qinghai to Boost Cultural Exchanges (2024-05-29)",
        "    https://ex.org/t",
        "    “over 1,000 attendees” (quoted in English)",
        "    “24 key projects” (quoted in English)",
    ]
