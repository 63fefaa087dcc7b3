"""Routes for the embeddable widget: GET /widget.js, GET / (demo partner page),
GET /v1/widget/config (the partner's greeting) and POST /v1/feedback."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, SecretStr, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import DemoEnabledDep, FeedbackDep, PartnersDep
from assistant.api.partner_guard import ConfigPartner, FeedbackPartner, install_partner_guard
from assistant.errors import FeatureDisabledError, NotFoundError, PartnerKeyRequiredError, PartnerNotFoundError
from assistant.models import Text, encodable_text
from assistant.partners.access import AccessPolicy
from assistant.partners.shared_limit import LayeredLimiter, SqlWindowLimiter
from assistant.partners.store import PartnerStore
from assistant.storage.feedback import FeedbackStore

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
WIDGET_JS = WEB_DIR / "static" / "widget.js"
DEMO_HTML = WEB_DIR / "demo.html"
DEMO_PARTNER = "demo"
WIDGET_MAX_AGE = 300  # partners pick up a new widget within minutes

router = APIRouter()


MAX_CITATIONS_JSON = 16_000  # characters of the stored citations column


class FeedbackRequest(BaseModel):
    """Every stored field is bounded (the body itself is at most 64 KiB)."""

    rating: Literal["up", "down"]
    question: Text = Field(min_length=1, max_length=8000)
    answer: Text = Field(max_length=20000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    session_id: Text = Field("", max_length=128)
    refused: bool = False

    @field_validator("citations")
    @classmethod
    def _bounded_citations(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            size = len(json.dumps(value, ensure_ascii=False))
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise ValueError("not storable as JSON") from exc
        if size > MAX_CITATIONS_JSON:
            raise ValueError(f"{size} characters as JSON; the limit is {MAX_CITATIONS_JSON}")
        encodable_text(json.dumps(value, ensure_ascii=False))
        return value


def install_web(
    app: FastAPI,
    partners: PartnerStore | None,
    feedback: FeedbackStore | None,
    demo_origins: list[str] | None,
    admin_token: SecretStr | str | None,
    access: AccessPolicy | None = None,
) -> None:
    """Add the widget, demo, feedback and partner-admin routes and the partner guard to `app`."""
    from assistant.api.partners_admin import router as admin_router

    install_partner_guard(app, access)
    set_web_state(app, partners, feedback, demo_origins, admin_token)
    app.include_router(router)
    app.include_router(admin_router)


def set_web_state(
    app: FastAPI,
    partners: PartnerStore | None,
    feedback: FeedbackStore | None,
    demo_origins: list[str] | None,
    admin_token: SecretStr | str | None,
) -> None:
    """Put the stores and the shared rate limiter on `app.state` and create the demo partner
    (all sources, the server's own origins) if missing."""
    app.state.partners = partners
    app.state.feedback = feedback
    app.state.admin_token = SecretStr(admin_token) if isinstance(admin_token, str) else admin_token
    app.state.demo_enabled = partners is not None and bool(demo_origins)
    if partners is not None:  # limits shared by every process using this database
        app.state.partner_limiter = LayeredLimiter(SqlWindowLimiter(partners.engine, window_seconds=60.0))
    if partners is not None and demo_origins:
        partners.ensure(DEMO_PARTNER, demo_origins)


@router.get("/widget.js", include_in_schema=False)
async def widget_js(request: Request) -> Response:
    body = await run_in_threadpool(WIDGET_JS.read_bytes)
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "Cache-Control": f"public, max-age={WIDGET_MAX_AGE}",
        "ETag": etag,
        # Loaded by <script> from partner origins; CORS and CORP allow it with crossorigin/COEP too.
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(partners: PartnersDep, demo_enabled: DemoEnabledDep) -> HTMLResponse:
    """A fictional partner site with the widget embedded, using the demo partner's key."""
    if partners is None or not demo_enabled:
        raise NotFoundError("the demo page is disabled on this server", code="demo_disabled")
    try:
        partner = await run_in_threadpool(partners.get, DEMO_PARTNER)  # per request: follows rotation
    except PartnerNotFoundError as exc:
        raise NotFoundError("the demo partner does not exist", code="demo_disabled") from exc
    page = (await run_in_threadpool(DEMO_HTML.read_text, "utf-8")).replace(
        "{{PARTNER_KEY}}", html.escape(partner.key)
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


class WidgetConfig(BaseModel):
    partner: str
    greeting: str | None = Field(None, description="the partner's greeting; null for the widget's default")


@router.get("/v1/widget/config", response_model=WidgetConfig, tags=["widget"])
async def widget_config(partner: ConfigPartner) -> WidgetConfig:
    """What the widget shows for the partner of `X-Partner-Key` (checked like /v1/ask: key,
    origin, rate limit): the greeting set with `partners create --greeting` or the admin API.
    A `data-greeting` attribute on the page takes precedence."""
    if partner.partner is None:
        raise PartnerKeyRequiredError("X-Partner-Key header: required for the widget configuration")
    return WidgetConfig(partner=partner.name, greeting=partner.partner.greeting)


@router.post("/v1/feedback", status_code=201, tags=["feedback"])
async def post_feedback(body: FeedbackRequest, partner: FeedbackPartner, store: FeedbackDep) -> dict[str, Any]:
    """Store a 👍/👎 on an answer (the widget sends it with X-Partner-Key; channel "widget",
    conversation = session_id). With a service token or anonymous access it is recorded as
    channel "api" (partner = the token's name)."""
    if store is None:
        raise FeatureDisabledError("no feedback store is configured on this server", code="feedback_disabled")
    feedback_id = await run_in_threadpool(
        lambda: store.add(
            channel="widget" if partner.kind == "partner" else "api",
            rating=body.rating,
            question=body.question,
            answer=body.answer,
            citations=body.citations,
            refused=body.refused,
            partner=partner.name,
            conversation=body.session_id,
        )
    )
    return {"id": feedback_id, "stored": True}
