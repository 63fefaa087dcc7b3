"""Access log: one JSON line per request with the request id, and no question text at INFO."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.log import configure_logging
from assistant.partners.access import AccessPolicy

QUESTION = "Which cities is Nancy twinned with? zebra-marker-7731"

OPEN = AccessPolicy(anonymous=True)


@pytest.fixture
def json_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def test_one_request_logs_parseable_json_with_its_request_id_and_no_question(
    assistant, json_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json_lines=True)
    client = TestClient(create_app(assistant=assistant, access=OPEN))
    response = client.post("/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "req-abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-abc-123"

    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert lines, "no log lines were written"
    access = [line for line in lines if line["logger"] == "assistant.api.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "req-abc-123"
    assert access[0]["level"] == "INFO"
    for part in ("method=POST", "route=/v1/ask", "status=200", "ms="):
        assert part in access[0]["message"]
    # every line the server logged while answering carries the request id (the test client's
    # own httpx lines are not the server's)
    server_lines = [line for line in lines if line["logger"].startswith("assistant")]
    assert len(server_lines) > 1
    assert {line["request_id"] for line in server_lines} == {"req-abc-123"}
    assert "zebra-marker-7731" not in err
    assert "Nancy" not in err
