"""The API's one error translation: each refusal of the widget, feedback and admin routes keeps its
status, `{error_code, detail}` body and headers. No models: these routes never reach the assistant."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.partners.access import AccessPolicy
from assistant.partners.store import PartnerStore
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore

ADMIN_TOKEN = "test-admin-token-123"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ANONYMOUS = AccessPolicy(anonymous=True)


def client(partners: PartnerStore | None = None, feedback: FeedbackStore | None = None) -> TestClient:
    # No `with`: the lifespan (and its warm-up of the assistant) does not run.
    app = create_app(assistant=None, partners=partners, feedback=feedback, admin_token=ADMIN_TOKEN, access=ANONYMOUS)
    return TestClient(app)


@pytest.fixture
def partners(tmp_path: Path) -> PartnerStore:
    return PartnerStore(build_engine(f"sqlite:///{tmp_path / 'assistant.sqlite3'}"))


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code and body["detail"]


def test_disabled_parts_answer_404_or_503_naming_what_is_off() -> None:
    api = client()
    assert_error(api.get("/"), 404, "demo_disabled")
    feedback = {"rating": "up", "question": "q?", "answer": "a"}
    assert_error(api.post("/v1/feedback", json=feedback), 503, "feedback_disabled")
    assert_error(api.get("/v1/admin/partners", headers=ADMIN), 503, "partners_disabled")


def test_widget_config_without_a_partner_key_is_400() -> None:
    assert_error(client().get("/v1/widget/config"), 400, "partner_key_required")


def test_admin_errors_keep_their_statuses_and_the_bearer_challenge(partners: PartnerStore) -> None:
    api = client(partners)
    refused = api.get("/v1/admin/partners")
    assert_error(refused, 401, "unauthorized")
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert_error(api.get("/v1/admin/partners/nobody", headers=ADMIN), 404, "partner_not_found")
    body = {"name": "twice", "origins": ["https://www.example.org"]}
    assert api.post("/v1/admin/partners", json=body, headers=ADMIN).status_code == 201
    assert_error(api.post("/v1/admin/partners", json=body, headers=ADMIN), 409, "partner_exists")
    assert_error(api.post("/v1/admin/partners", json={**body, "name": "bad", "origins": ["nope"]}, headers=ADMIN),
                 422, "invalid_input")


def test_unknown_partner_key_is_401_and_a_guard_refusal_has_no_retry_after(partners: PartnerStore) -> None:
    response = client(partners).get(
        "/v1/widget/config", headers={"X-Partner-Key": "nope", "Origin": "https://www.example.org"}
    )
    assert_error(response, 401, "invalid_partner_key")
    assert "retry_after" not in response.json() and "Retry-After" not in response.headers
