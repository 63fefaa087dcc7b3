"""FastAPI application factory: the lifespan, middleware and error handlers, and the routers of
each feature (ask.py, health.py, widget.py with the partners admin API, slack_events.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from assistant.answer.chain import Assistant
from assistant.api.ask import router as ask_router
from assistant.api.errors import install_error_handlers
from assistant.api.health import router as health_router
from assistant.api.health import start_warming
from assistant.api.limits import BODY_TIMEOUT_SECONDS, MAX_BODY_BYTES, BodyLimitMiddleware
from assistant.api.metrics import install_metrics
from assistant.api.slack_events import mount_slack
from assistant.api.widget import install_web, set_web_state
from assistant.log import request_id

if TYPE_CHECKING:
    from pydantic import SecretStr
    from slack_bolt import App as SlackApp

    from assistant.partners.access import AccessPolicy
    from assistant.partners.store import PartnerStore
    from assistant.storage.feedback import FeedbackStore

logger = logging.getLogger(__name__)


def create_app(
    assistant: Assistant | None = None,
    assistant_factory: Callable[[], Assistant] | None = None,
    slack_app: SlackApp | None = None,
    partners: PartnerStore | None = None,
    feedback: FeedbackStore | None = None,
    demo_origins: list[str] | None = None,
    admin_token: SecretStr | str | None = None,
    access: AccessPolicy | None = None,
    body_timeout_seconds: float = BODY_TIMEOUT_SECONDS,
) -> FastAPI:
    """With `assistant` (tests) it is used as is; otherwise the lifespan builds one from settings
    (or from `assistant_factory`). With `slack_app` (a `slack_bolt.App`), Slack's HTTP events,
    interactivity and slash commands are served at POST /slack/events. `access` (service tokens,
    anonymous opt-in) defaults to refusing every request without a partner key; when the
    lifespan builds from settings it comes from the settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if assistant is None:
            if assistant_factory is not None:
                app.state.assistant = assistant_factory()
            else:
                from assistant.components import build_assistant
                from assistant.log import configure_logging
                from assistant.settings import get_settings

                settings = get_settings()
                configure_logging(settings.log_level, settings.log_json, settings.log_questions)
                app.state.assistant = build_assistant(settings)
                app.state.access = settings.access_policy()
                if partners is None:
                    from assistant.components import build_sql_stores

                    stores = build_sql_stores(settings)
                    set_web_state(app, stores.partners, stores.feedback,
                                  settings.resolved_demo_origins, settings.admin_token)
        start_warming(app)
        yield

    app = FastAPI(
        title="Exchange-programs assistant",
        version="0.1.0",
        description=(
            "Answers questions about cultural, sister-city and academic exchange programs from the "
            "organisation's own documents, with numbered citations, or says plainly that the documents "
            "do not hold the answer."
        ),
        lifespan=lifespan,
    )
    if assistant is not None:
        app.state.assistant = assistant

    _install_middleware(app, body_timeout_seconds)
    install_metrics(app)  # added after the other middleware, so it is outermost
    install_error_handlers(app)
    install_web(app, partners, feedback, demo_origins, admin_token, access)  # widget, demo, feedback, partners

    app.include_router(ask_router)
    app.include_router(health_router)
    if slack_app is not None:
        mount_slack(app, slack_app)
    return app


def _install_middleware(app: FastAPI, body_timeout_seconds: float) -> None:
    # innermost: its 413/408 answers get the request id, metrics and partner CORS headers
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES, timeout_seconds=body_timeout_seconds)

    @app.middleware("http")
    async def limits_and_request_id(request: Request, call_next: Callable[[Request], Any]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        try:
            try:
                response: Response = await call_next(request)
            except Exception:
                # Answered here, inside the CORS middleware, so a browser on a partner site sees the
                # error body instead of an opaque CORS failure; the exception goes to the log only.
                logger.exception("request failed")
                response = JSONResponse(
                    {"error_code": "internal_error", "detail": "The assistant ran into a problem."},
                    status_code=500,
                )
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            request_id.reset(token)


