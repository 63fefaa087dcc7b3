"""The HTTP API over real HTTP on loopback, with the real pipeline behind it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from conftest import assistant_with, make_settings
from live_server import live_server

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.partners.access import AccessPolicy
from assistant.settings import Settings

OPEN = AccessPolicy(anonymous=True)  # these tests call the API as a server-side client would

QUESTION = "How many people attended the Tianjin-Qinghai cultural and tourism event?"


@pytest.fixture(scope="module")
def server(assistant: Assistant):  # type: ignore[no-untyped-def]
    with live_server(lambda _url: create_app(assistant=assistant, access=OPEN)) as url:
        yield url


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_answer_with_numbered_citations(server: str) -> None:
    response = httpx.post(f"{server}/v1/ask", json={"question": QUESTION}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "citations", "refused", "language", "timings_ms"}
    assert not body["refused"] and body["language"] == "en"
    assert "[1]" in body["answer"]
    first = body["citations"][0]
    assert first["n"] == 1 and first["doc_id"] == "004_9bc1640c6c35c08d"
    assert set(first) >= {"n", "doc_id", "title", "source", "quote", "score"}
    assert body["timings_ms"]["total"] >= body["timings_ms"]["retrieve"]
    assert response.headers["x-request-id"]


def test_stream_sends_tokens_then_citations_then_done(server: str) -> None:
    with httpx.stream("POST", f"{server}/v1/ask/stream", json={"question": QUESTION}, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = sse_events(body)
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-2:] == ["citations", "done"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    done = events[-1][1]
    assert done["answer"] == streamed and not done["refused"]
    assert events[-2][1]["citations"][0]["doc_id"] == "004_9bc1640c6c35c08d"


def test_unanswerable_question_is_refused_over_http(server: str) -> None:
    body = httpx.post(f"{server}/v1/ask", json={"question": "Who won the 1998 football world cup?"}, timeout=60).json()
    assert body["refused"] and body["citations"] == []


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   "}, "empty"),
        ({"question": "x" * 2001}, "2001 characters"),
        ({}, "question"),
        ({"question": 12}, "question"),
        ({"question": "ok?", "history": [{"role": "robot", "content": "hi"}]}, "history"),
    ],
)
def test_bad_input_gets_422_that_names_the_field(server: str, payload: dict, fragment: str) -> None:
    response = httpx.post(f"{server}/v1/ask", json=payload, timeout=30)
    assert response.status_code == 422
    assert response.json()["error_code"] in {"invalid_input", "question_too_long"}
    assert fragment in response.json()["detail"]


def test_malformed_json_gets_422(server: str) -> None:
    response = httpx.post(f"{server}/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_oversized_body_gets_413(server: str) -> None:
    response = httpx.post(f"{server}/v1/ask", content=b"x" * 70_000, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_stream_rejects_bad_input_with_a_status_not_an_event(server: str) -> None:
    response = httpx.post(f"{server}/v1/ask/stream", json={"question": ""}, timeout=30)
    assert response.status_code == 422


def test_readiness_reports_index_counts_encoders_and_generator(server: str) -> None:
    for _ in range(600):  # the warm-up (models already loaded here) takes a moment
        body = httpx.get(f"{server}/readyz").json()
        if body.get("status") != "warming":
            break
        time.sleep(0.1)
    assert body["status"] == "ready"
    assert body["ready"] and body["documents"] >= 16 and body["chunks"] > body["documents"]
    assert set(body["embedders"]) == {"use", "minilm"} and body["generator"] == "extractive"
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}


def test_openapi_documents_the_ask_routes(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/v1/ask", "/v1/ask/stream", "/readyz"} <= set(spec["paths"])
    assert httpx.get(f"{server}/docs").status_code == 200


def test_index_never_built_gives_503_saying_to_run_ingest(tmp_path: Path, encoders: dict) -> None:
    import chromadb

    settings: Settings = make_settings(tmp_path / "empty")
    client = chromadb.PersistentClient(path=str(settings.chroma_path))
    empty = assistant_with(settings, client, encoders)
    with live_server(lambda _url: create_app(assistant=empty, access=OPEN)) as url:
        response = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=30)
        assert response.status_code == 503
        assert response.json()["error_code"] == "index_not_built"
        assert "exchange-assistant ingest" in response.json()["detail"]
        streamed = httpx.post(f"{url}/v1/ask/stream", json={"question": QUESTION}, timeout=30)
        assert streamed.status_code == 503
        assert httpx.get(f"{url}/readyz").status_code == 503
