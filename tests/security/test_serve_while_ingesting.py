"""Issue 13 item 0: `ingest` in a second terminal while `serve` runs, with two real processes,
for embedded Chroma (serve owns it through a local Chroma server) and a `chroma run` server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from chroma_server import chroma_server, free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "data" / "corpus" / "programs"
OLD_QUESTION = "How much is the Lyon-Beijing scholarship?"
NEW_QUESTION = "How many musicians travelled in the Kirkenes-Nikel youth orchestra exchange?"
NEW_DOC = (
    "# Kirkenes-Nikel youth orchestra exchange\n\n"
    "The Kirkenes-Nikel youth orchestra exchange brought 37 young musicians from Kirkenes to Nikel "
    "in June 2024. The musicians played two concerts with the Nikel music school orchestra.\n"
)


def cli_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "EXCHANGE_ASSISTANT_DATA_DIR": str(data_dir),
        "EXCHANGE_ASSISTANT_GENERATOR": "extractive",
        "EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS": "true",
        # This test asks every 0.2 s for as long as the second ingest runs (longer on a busy
        # machine); the anonymous rate limit is not what it is about.
        "EXCHANGE_ASSISTANT_ANONYMOUS_RPM": "100000",
        "HF_HUB_OFFLINE": "1",
        **(extra or {}),
    }


def run_ingest(docs: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(docs)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@contextmanager
def serve(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = free_port()
    log = (cwd / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {(cwd / log.name).read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        stop_process(process, timeout=30)
        log.close()


def ask(url: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=120)


def cited(response: httpx.Response) -> list[str]:
    return [c["doc_id"] for c in response.json()["citations"]]


@pytest.mark.parametrize("mode", ["embedded", "chroma-server"])
def test_ingest_while_serve_runs_keeps_answering_and_serves_new_documents(tmp_path: Path, mode: str) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(PROGRAMS, docs)
    data_dir = tmp_path / "data"
    with contextlib_server(mode, tmp_path) as chroma_env:
        env = cli_env(data_dir, chroma_env)
        first = run_ingest(docs, env, tmp_path)
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
        with serve(env, tmp_path) as url:
            if mode == "embedded":
                record = json.loads((data_dir / "chroma-server.json").read_text())
                assert httpx.get(f"http://{record['host']}:{record['port']}/api/v2/heartbeat").status_code == 200
            before = ask(url, OLD_QUESTION)
            assert before.status_code == 200 and "lyon-beijing-scholarship" in cited(before)

            (docs / "kirkenes-nikel-orchestra.md").write_text(NEW_DOC, encoding="utf-8")
            second = run_ingest(docs, env, tmp_path)
            during = []
            while second.poll() is None:  # answers keep coming from the old index meanwhile
                during.append(ask(url, OLD_QUESTION).status_code)
                time.sleep(0.2)
            out, err = second.communicate()
            assert second.returncode == 0, err
            assert "added 1," in out
            assert during and set(during) == {200}

            deadline = time.monotonic() + 30  # the new document is answerable within seconds
            while True:
                response = ask(url, NEW_QUESTION)
                assert response.status_code == 200, response.text
                if "kirkenes-nikel-orchestra" in cited(response):
                    break
                assert time.monotonic() < deadline, response.json()
                time.sleep(0.5)
            assert "37" in response.json()["answer"]
            after = ask(url, OLD_QUESTION)
            assert after.status_code == 200 and "lyon-beijing-scholarship" in cited(after)
            if mode == "embedded":  # `ask` in another terminal goes through serve's Chroma server too
                cli = subprocess.run(
                    [sys.executable, "-m", "assistant.cli", "ask", "--json", NEW_QUESTION],
                    env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                )
                assert cli.returncode == 0, cli.stderr
                assert "kirkenes-nikel-orchestra" in cli.stdout
                assert ask(url, OLD_QUESTION).status_code == 200
        assert not (data_dir / "chroma-server.json").exists()  # serve stopped its Chroma server


@contextmanager
def contextlib_server(mode: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    if mode == "embedded":
        yield {}
        return
    with chroma_server(tmp_path / "chroma-server-data") as (host, port):
        yield {"EXCHANGE_ASSISTANT_CHROMA_HOST": host, "EXCHANGE_ASSISTANT_CHROMA_PORT": str(port)}
