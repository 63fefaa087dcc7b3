"""Issue 13 items 5 and 7: `serve` starts while Slack is unreachable (Slack degraded in /readyz,
retried in the background), and no question text reaches the logs from any library."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from chroma_server import free_port
from fastapi.testclient import TestClient

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.components import build_slack_app
from assistant.log import configure_logging
from assistant.partners.access import AccessPolicy
from assistant.settings import Settings

MARKER = "zebra-question-4417"
SIGNING_SECRET = "test-signing-secret"


def _harness_module():  # type: ignore[no-untyped-def]
    """The fake Slack Web API of this folder's conftest (not importable by name)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("slack_harness", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["slack_harness"] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def wait_for_slack(client: TestClient, state: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/readyz").json()
        if body["slack"] == state or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_serve_starts_with_slack_unreachable_reports_degraded_and_recovers(assistant: Assistant) -> None:
    port = free_port()  # nothing listens here yet
    settings = Settings(
        slack_bot_token="xoxb-test", slack_signing_secret=SIGNING_SECRET, slack_api_url=f"http://127.0.0.1:{port}/api/"
    )
    slack_app = build_slack_app(settings, assistant)  # used to call auth.test here and crash
    with TestClient(create_app(assistant=assistant, slack_app=slack_app, access=AccessPolicy(anonymous=True))) as client:
        body = wait_for_slack(client, "degraded")
        assert client.get("/readyz").status_code == 200 and body["ready"]
        assert body["slack"] == "degraded" and "unreachable" in body["slack_detail"]
        ask = client.post("/v1/ask", json={"question": "How many people attended the Tianjin-Qinghai event?"})
        assert ask.status_code == 200  # the API keeps answering
        fake = _harness_module().FakeSlack()
        fake.start(port)  # Slack comes back: the background retry connects
        try:
            assert wait_for_slack(client, "ok")["slack"] == "ok"
            assert fake.calls_to("auth.test")
        finally:
            fake.stop()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    configure_logging(logging.getLevelName(saved[1]), False, False)
    root.handlers[:] = saved[0]


def bad_signature_event(harness) -> httpx.Response:  # type: ignore[no-untyped-def]
    envelope = {"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
                "event": {"type": "app_mention", "text": f"<@UBOT> {MARKER}?", "user": "U1", "channel": "C1", "ts": "1.1"}}
    return harness.post(json.dumps(envelope), "application/json", signature="v0=" + "0" * 64)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_bad_signature_request_does_not_put_its_question_in_the_logs(
    assistant: Assistant, serve_slack, restore_logging: None, capsys: pytest.CaptureFixture[str], level: str
) -> None:
    harness = serve_slack(assistant)
    configure_logging(level, json_lines=False, log_questions=False)
    assert bad_signature_event(harness).status_code == 401
    err = capsys.readouterr().err
    assert MARKER not in err


def test_log_questions_setting_is_what_lets_question_text_into_the_logs(
    assistant: Assistant, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(assistant=assistant, access=AccessPolicy(anonymous=True))
    with TestClient(app) as client:
        configure_logging("INFO", json_lines=False, log_questions=False)
        client.post("/v1/ask", json={"question": f"Which cities is Nancy twinned with? {MARKER}"})
        assert MARKER not in capsys.readouterr().err
        configure_logging("INFO", json_lines=False, log_questions=True)
        client.post("/v1/ask", json={"question": f"Which cities is Nancy twinned with? {MARKER}"})
        assert MARKER in capsys.readouterr().err
