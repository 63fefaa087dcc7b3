"""Partner keys on the browser-facing routes, over real HTTP: origins, CORS, revocation,
rotation, rate limits, source scope, input limits and feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from partner_support import PARTNER_ORIGIN, SERVICE_TOKEN, TIANJIN, TIANJIN_DOC, Api, api_server

from assistant.answer.chain import Assistant


def ask(
    api: Api, key: str | None, origin: str | None = PARTNER_ORIGIN, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    headers = dict(headers or {})
    if key is not None:
        headers["X-Partner-Key"] = key
    if origin is not None:
        headers["Origin"] = origin
    return httpx.post(f"{api.url}/v1/ask", json={"question": TIANJIN, **body}, headers=headers, timeout=120)


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


BUSAN = "How many students does the Busan Summer Language Camp welcome?"  # answered from programs/


def doc_ids(answer: dict[str, Any]) -> list[str]:
    return [c["doc_id"] for c in answer["citations"]]


def test_allowed_origin_gets_a_streamed_cited_answer_with_cors_headers(api: Api) -> None:
    partner = api.partner()
    response = httpx.post(
        f"{api.url}/v1/ask/stream",
        json={"question": TIANJIN},
        headers={"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN, "Accept": "text/event-stream"},
        timeout=120,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    assert "Origin" in response.headers["vary"]
    events = sse_events(response.text)
    assert events[-1][0] == "done"
    final = events[-1][1]
    assert not final["refused"]
    assert any(d.startswith(TIANJIN_DOC) for d in doc_ids(final))


def test_preflight_is_answered_for_the_partner_origin(api: Api) -> None:
    for path in ("/v1/ask", "/v1/ask/stream", "/v1/feedback"):
        response = httpx.options(
            f"{api.url}{path}",
            headers={
                "Origin": PARTNER_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-partner-key",
            },
        )
        assert response.status_code == 204, path
        assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN
        allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-partner-key"} <= allowed
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "Retry-After" in response.headers["access-control-expose-headers"]
        assert "Origin" in response.headers["vary"]


def test_origin_not_allowed_for_the_key_is_refused_but_readable_by_the_widget(api: Api) -> None:
    partner = api.partner()
    response = ask(api, partner.key, origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["error_code"] == "origin_not_allowed"
    # The refusal carries CORS headers so that the widget can show "not allowed".
    assert response.headers["access-control-allow-origin"] == "https://evil.example"
    assert "citations" not in response.json()


def test_partner_request_without_origin_is_refused(api: Api) -> None:
    partner = api.partner()
    response = ask(api, partner.key, origin=None)
    assert response.status_code == 403
    assert response.json()["error_code"] == "origin_not_allowed"


def test_unknown_partner_key_is_refused_with_401(api: Api) -> None:
    response = ask(api, "pk_not-a-real-key")
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_partner_key"
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN


def test_revoked_key_is_refused_from_the_next_request(api: Api) -> None:
    partner = api.partner()
    assert ask(api, partner.key).status_code == 200
    api.partners.revoke(partner.name)
    response = ask(api, partner.key)
    assert response.status_code == 403
    assert response.json()["error_code"] == "partner_revoked"


def test_rotated_key_replaces_the_old_one(api: Api) -> None:
    partner = api.partner()
    rotated = api.partners.rotate(partner.name)
    assert rotated.key != partner.key
    assert ask(api, partner.key).json()["error_code"] == "invalid_partner_key"
    assert ask(api, rotated.key).status_code == 200


def test_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    partner = api.partner(rpm=1)
    assert ask(api, partner.key).status_code == 200
    response = ask(api, partner.key)
    assert response.status_code == 429
    assert response.json()["error_code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["retry_after"] == int(response.headers["retry-after"])
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    # Another partner has its own window.
    assert ask(api, api.partner(rpm=1).key).status_code == 200


def test_refused_origins_do_not_use_up_the_partners_rate_limit(api: Api) -> None:
    partner = api.partner(rpm=1)
    for _ in range(3):
        assert ask(api, partner.key, origin="https://evil.example").status_code == 403
    assert ask(api, partner.key).status_code == 200


def test_partner_limited_to_program_pages_gets_no_citation_from_the_seeds(api: Api) -> None:
    programs = api.partner(sources=["programs/*"])
    answer = ask(api, programs.key).json()
    assert answer["refused"] or not any(d.startswith(TIANJIN_DOC) for d in doc_ids(answer))
    assert all(d.startswith("programs/") for d in doc_ids(answer))
    # Not vacuous: a question its sources answer is answered, and cited, from them only.
    busan = doc_ids(ask(api, programs.key, question=BUSAN).json())
    assert busan
    assert all(d.startswith("programs/") for d in busan)

    seeds = api.partner(sources=["0*"])
    answer = ask(api, seeds.key).json()
    assert not answer["refused"]
    assert any(d.startswith(TIANJIN_DOC) for d in doc_ids(answer))


def test_partner_cannot_widen_its_scope_with_request_filters(api: Api) -> None:
    programs = api.partner(sources=["programs/*"])
    answer = ask(api, programs.key, filters={"sources": ["004_*", "*"]}).json()
    assert not any(d.startswith(TIANJIN_DOC) for d in doc_ids(answer))
    widened = doc_ids(ask(api, programs.key, question=BUSAN, filters={"sources": ["004_*", "*"]}).json())
    assert widened
    assert all(d.startswith("programs/") for d in widened)


def test_server_side_requests_with_a_service_token_work_without_cors(api: Api) -> None:
    response = ask(api, None, origin=None, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert response.status_code == 200
    assert any(d.startswith(TIANJIN_DOC) for d in doc_ids(response.json()))
    assert "access-control-allow-origin" not in response.headers


def test_too_long_question_is_422_question_too_long_with_cors(api: Api) -> None:
    partner = api.partner()
    response = httpx.post(
        f"{api.url}/v1/ask/stream",
        json={"question": "x" * 2001},
        headers={"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN},
    )
    assert response.status_code == 422
    assert response.json()["error_code"] == "question_too_long"
    assert "2001" in response.json()["detail"]
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN


def test_too_long_history_is_422_naming_the_history(api: Api) -> None:
    partner = api.partner()
    history = [{"role": "user", "content": "hi"}] * 21
    response = ask(api, partner.key, history=history)
    assert response.status_code == 422
    assert response.json()["error_code"] == "invalid_input"
    assert "history" in response.json()["detail"]


def test_oversized_body_is_413_with_cors(api: Api) -> None:
    partner = api.partner()
    response = httpx.post(
        f"{api.url}/v1/ask/stream",
        content=json.dumps({"question": "x" * 70_000}),
        headers={"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN


def test_widget_feedback_is_stored_with_partner_and_session(api: Api) -> None:
    partner = api.partner()
    body = {
        "rating": "down",
        "question": TIANJIN,
        "answer": "Over 1,000 people attended [1].",
        "citations": [{"n": 1, "doc_id": "004_9bc1640c6c35c08d", "title": "Tianjin"}],
        "session_id": "sess-42",
    }
    headers = {"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN}
    response = httpx.post(f"{api.url}/v1/feedback", json=body, headers=headers)
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    record = next(r for r in api.feedback.records() if r.partner == partner.name)
    assert (record.channel, record.rating, record.conversation) == ("widget", "down", "sess-42")
    assert record.citations[0]["doc_id"] == "004_9bc1640c6c35c08d"

    bad = httpx.post(f"{api.url}/v1/feedback", json={**body, "rating": "meh"}, headers=headers)
    assert bad.status_code == 422
    assert "rating" in bad.json()["detail"]
    refused = httpx.post(
        f"{api.url}/v1/feedback", json=body, headers={**headers, "Origin": "https://evil.example"}
    )
    assert refused.status_code == 403


def test_demo_page_embeds_the_demo_partner_key_and_widget_js_is_served(api: Api) -> None:
    demo = api.partners.get("demo")
    assert api.url in demo.origins
    page = httpx.get(f"{api.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-partner="{demo.key}"' in page.text
    assert "{{PARTNER_KEY}}" not in page.text

    script = httpx.get(f"{api.url}/widget.js", headers={"Origin": "https://www.twin-towns.example"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "max-age=" in script.headers["cache-control"]
    assert script.headers["access-control-allow-origin"] == "*"
    assert "customElements.define" in script.text
    again = httpx.get(f"{api.url}/widget.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304


def test_widget_config_gives_the_partners_greeting_to_its_own_origin_only(api: Api) -> None:
    partner = api.partner(greeting="Bienvenue ! Posez vos questions sur nos jumelages.")
    url = f"{api.url}/v1/widget/config"
    allowed = httpx.get(url, headers={"X-Partner-Key": partner.key, "Origin": PARTNER_ORIGIN})
    assert allowed.status_code == 200
    assert allowed.json() == {"partner": partner.name, "greeting": "Bienvenue ! Posez vos questions sur nos jumelages."}
    assert allowed.headers["access-control-allow-origin"] == PARTNER_ORIGIN
    preflight = httpx.options(
        url,
        headers={
            "Origin": PARTNER_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-partner-key",
        },
    )
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]
    other = httpx.get(url, headers={"X-Partner-Key": partner.key, "Origin": "https://elsewhere.example"})
    assert other.status_code == 403
    assert "greeting" not in other.json()
    missing = httpx.get(url)
    assert missing.status_code == 401
    assert missing.json()["error_code"] == "authentication_required"
    server_side = httpx.get(url, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert server_side.status_code == 400
    assert "X-Partner-Key" in server_side.json()["detail"]
    plain = api.partner()
    default = httpx.get(url, headers={"X-Partner-Key": plain.key, "Origin": PARTNER_ORIGIN})
    assert default.json()["greeting"] is None


class BrokenAssistant(Assistant):
    def answer(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database password=hunter2 leaked in a traceback")


def test_unexpected_failure_is_a_json_500_the_partner_page_can_read(
    assistant: Assistant, tmp_path: Path
) -> None:
    broken = BrokenAssistant(
        assistant.retriever, assistant.generator, assistant.support, assistant.policy, assistant.limits
    )
    with api_server(broken, tmp_path / "broken.sqlite3") as server:
        response = ask(server, server.partner().key, headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json() == {"error_code": "internal_error", "detail": "The assistant ran into a problem."}
    assert response.headers["access-control-allow-origin"] == PARTNER_ORIGIN  # not an opaque CORS error
    assert response.headers["x-request-id"] == "req-500"
    assert "hunter2" not in response.text
