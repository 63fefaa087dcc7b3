"""Issue 13 items 1, 2 and 4 over real HTTP on loopback: keyless access, service tokens, the
anonymous opt-in, body limits on bytes actually read, slow bodies, and 4xx (one error shape) for
every bad input."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from live_server import live_server
from partner_support import (
    PARTNER_ORIGIN,
    SCOPED_TOKEN,
    SERVICE_ACCESS,
    SERVICE_TOKEN,
    SLOW_TOKEN,
    TIANJIN,
    TIANJIN_DOC,
    Api,
    build_stores,
)

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.errors import InvalidInputError
from assistant.partners.access import AccessPolicy
from assistant.settings import Settings

GUARDED = [("POST", "/v1/ask"), ("POST", "/v1/ask/stream"), ("POST", "/v1/feedback"), ("GET", "/v1/widget/config")]
FEEDBACK = {"rating": "up", "question": TIANJIN, "answer": "Over 1,000 [1].", "citations": []}
BEARER = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


@contextmanager
def serve(assistant: Assistant, database: Path, access: AccessPolicy, body_timeout: float = 10.0) -> Iterator[Api]:
    partners, feedback = build_stores(database)
    app = create_app(
        assistant=assistant, partners=partners, feedback=feedback, demo_origins=None,
        access=access, body_timeout_seconds=body_timeout,
    )
    with live_server(lambda _url: app) as url:
        yield Api(url, partners, feedback)


@pytest.fixture(scope="module")
def api(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve(assistant, tmp_path_factory.mktemp("sec-db") / "a.sqlite3", SERVICE_ACCESS, body_timeout=1.0) as server:
        yield server


BUSAN = "How many students does the Busan Summer Language Camp welcome?"  # answered from programs/


def cited(response: httpx.Response) -> list[str]:
    return [c["doc_id"] for c in response.json()["citations"]]


# --- item 1: no keyless bypass ------------------------------------------------------------------


def test_keyless_requests_are_refused_on_every_guarded_route(api: Api) -> None:
    for method, path in GUARDED:
        body = FEEDBACK if path == "/v1/feedback" else {"question": TIANJIN}
        for _ in range(3):
            response = httpx.request(method, f"{api.url}{path}", json=body if method == "POST" else None, timeout=60)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error_code"] == "authentication_required"
            assert "citations" not in response.json()
    assert not [r for r in api.feedback.records() if r.question == TIANJIN and r.partner == ""]


def test_a_scoped_partner_cannot_get_its_refused_document_by_dropping_the_key(api: Api) -> None:
    partner = api.partner(sources=["programs/*"])
    headers = {"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN}
    scoped = httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, headers=headers, timeout=60)
    assert scoped.status_code == 200 and not any(d.startswith(TIANJIN_DOC) for d in cited(scoped))
    for _ in range(12):
        keyless = httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, timeout=60)
        assert keyless.status_code == 401
        assert TIANJIN_DOC not in keyless.text


def test_service_token_is_answered_within_its_scope_and_rate_limit(api: Api) -> None:
    full = httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, headers=BEARER, timeout=60)
    assert full.status_code == 200 and any(d.startswith(TIANJIN_DOC) for d in cited(full))
    scoped = httpx.post(
        f"{api.url}/v1/ask", json={"question": TIANJIN, "filters": {"sources": ["*"]}},
        headers={"Authorization": f"Bearer {SCOPED_TOKEN}"}, timeout=60,
    )
    assert scoped.status_code == 200
    assert all(d.startswith("programs/") for d in cited(scoped))
    # Not vacuous: what the token's scope does hold is cited, and only from there.
    in_scope = httpx.post(
        f"{api.url}/v1/ask", json={"question": BUSAN, "filters": {"sources": ["*"]}},
        headers={"Authorization": f"Bearer {SCOPED_TOKEN}"}, timeout=60,
    )
    assert cited(in_scope)
    assert all(d.startswith("programs/") for d in cited(in_scope))
    slow = {"Authorization": f"Bearer {SLOW_TOKEN}"}
    assert httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, headers=slow, timeout=60).status_code == 200
    limited = httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, headers=slow, timeout=60)
    assert limited.status_code == 429 and limited.json()["error_code"] == "rate_limited"
    wrong = httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "invalid_token"


def test_anonymous_opt_in_answers_and_rate_limits_questions_and_feedback(assistant: Assistant, tmp_path: Path) -> None:
    with serve(assistant, tmp_path / "anon.sqlite3", AccessPolicy(anonymous=True, anonymous_rpm=2)) as server:
        codes = [httpx.post(f"{server.url}/v1/ask", json={"question": TIANJIN}, timeout=60).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        feedback = [httpx.post(f"{server.url}/v1/feedback", json=FEEDBACK).status_code for _ in range(3)]
        assert feedback == [201, 201, 429]


def test_api_tokens_setting_is_parsed_and_a_bad_value_names_the_setting_not_the_token() -> None:
    tokens = json.dumps([{"name": "crm", "token": "t" * 20, "sources": ["public/*"], "rpm": 5}])
    policy = Settings(api_tokens=tokens, anonymous_access=True).access_policy()
    assert policy.anonymous and policy.find_token("t" * 20).sources == ("public/*",)  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError, match="EXCHANGE_ASSISTANT_API_TOKENS") as info:
        Settings(api_tokens=json.dumps([{"name": "crm", "token": "short-secret"}]))
    assert "short-secret" not in str(info.value)
    assert not Settings().access_policy().anonymous  # refused by default


# --- item 2: bytes actually read ----------------------------------------------------------------


def chunked(total: int, piece: int = 16 * 1024) -> Iterator[bytes]:
    yield b'{"question": "'
    for _ in range(total // piece):
        yield b"x" * piece
    yield b'"}'


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/feedback"])
def test_chunked_body_over_the_limit_is_413_and_nothing_is_stored(api: Api, path: str) -> None:
    before = len(list(api.feedback.records()))
    response = httpx.post(
        f"{api.url}{path}", content=chunked(256 * 1024),
        headers={**BEARER, "Content-Type": "application/json"}, timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["error_code"] == "body_too_large"
    assert len(list(api.feedback.records())) == before


def test_every_stored_feedback_field_is_bounded(api: Api) -> None:
    citations = [{"n": i, "doc_id": "d", "quote": "q" * 900} for i in range(1, 21)]  # ~18k chars, body < 64 KiB
    response = httpx.post(f"{api.url}/v1/feedback", json={**FEEDBACK, "citations": citations}, headers=BEARER)
    assert response.status_code == 422 and "citations" in response.json()["detail"]
    long_session = httpx.post(f"{api.url}/v1/feedback", json={**FEEDBACK, "session_id": "s" * 200}, headers=BEARER)
    assert long_session.status_code == 422 and "session_id" in long_session.json()["detail"]


# --- item 4: 4xx with {error_code, detail} for bad input ----------------------------------------


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream"])
@pytest.mark.parametrize("value", ["not-a-date", "2025-13-45", "2025", "2025-02-30"])
def test_bad_dates_are_422_naming_the_field(api: Api, path: str, value: str) -> None:
    body = {"question": TIANJIN, "filters": {"date_from": value}}
    response = httpx.post(f"{api.url}{path}", json=body, headers=BEARER, timeout=60)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "invalid_input"
    assert "filters.date_from" in response.json()["detail"]


def test_a_real_date_filter_still_works(api: Api) -> None:
    body = {"question": TIANJIN, "filters": {"date_from": "2000-01-01"}}
    assert httpx.post(f"{api.url}/v1/ask", json=body, headers=BEARER, timeout=60).status_code == 200


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream", "/v1/feedback"])
def test_lone_surrogate_is_422_naming_the_field(api: Api, path: str) -> None:
    raw = (b'{"rating": "up", "answer": "a", "question": "Nancy \\ud800 twinned?"}' if path == "/v1/feedback"
           else b'{"question": "Nancy \\ud800 twinned?"}')
    response = httpx.post(
        f"{api.url}{path}", content=raw, headers={**BEARER, "Content-Type": "application/json"}, timeout=60
    )
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "invalid_input"
    assert "question" in response.json()["detail"]


def test_deeply_nested_json_is_422_with_an_error_code(api: Api) -> None:
    raw = b'{"question": "x", "history": ' + b"[" * 20000 + b"]" * 20000 + b"}"
    response = httpx.post(
        f"{api.url}/v1/ask", content=raw, headers={**BEARER, "Content-Type": "application/json"}, timeout=60
    )
    assert response.status_code == 422
    assert set(response.json()) == {"error_code", "detail"}


def test_unknown_route_and_wrong_method_have_the_error_shape(api: Api) -> None:
    missing = httpx.get(f"{api.url}/v1/nope")
    assert missing.status_code == 404 and missing.json()["error_code"] == "not_found"
    wrong = httpx.get(f"{api.url}/v1/ask")
    assert wrong.status_code == 405 and wrong.json()["error_code"] == "method_not_allowed"


def test_a_body_that_never_arrives_gets_408_instead_of_holding_the_connection(api: Api) -> None:
    parts = urlsplit(api.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + SERVICE_TOKEN.encode() + b"\r\nContent-Length: 100\r\n\r\n"
            b'{"questio'
        )
        received = b""
        while chunk := sock.recv(4096):  # the server's 1 s body timeout answers well before 10 s
            received += chunk
        reply = received.decode()
    assert reply.startswith("HTTP/1.1 408")
    assert '"error_code":"body_timeout"' in reply.replace(" ", "")
