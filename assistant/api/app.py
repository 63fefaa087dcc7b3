"""FastAPI application factory: ask (JSON and SSE), health, readiness, widget and demo page."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.chain import Assistant, StreamEvent
from assistant.answer.sources import public_answer
from assistant.api.deps import AssistantDep, SlackDep, WarmingDep
from assistant.api.limits import BODY_TIMEOUT_SECONDS, MAX_BODY_BYTES, BodyLimitMiddleware
from assistant.api.metrics import install_metrics
from assistant.api.partner_guard import AskPartner, Caller, scoped_filters
from assistant.api.schemas import AskRequest, ErrorBody, Readiness
from assistant.errors import (
    AssistantError,
    AuthenticationError,
    FeatureDisabledError,
    GeneratorUnavailableError,
    IndexMismatchError,
    IndexNotBuiltError,
    InvalidInputError,
    ModelFileError,
    NotFoundError,
    PartnerExistsError,
    PartnerKeyRequiredError,
    PermissionDeniedError,
    RateLimitedError,
)
from assistant.log import log_question, request_id
from assistant.models import Answer

if TYPE_CHECKING:
    from pydantic import SecretStr
    from slack_bolt import App as SlackApp

    from assistant.models import Filters
    from assistant.partners.access import AccessPolicy
    from assistant.partners.store import PartnerStore
    from assistant.storage.feedback import FeedbackStore

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type",
}
# The one translation of the error hierarchy (assistant/errors.py) to HTTP statuses; any other
# AssistantError is a 500.
_STATUS: dict[type[AssistantError], int] = {
    InvalidInputError: 422,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    PartnerKeyRequiredError: 400,
    RateLimitedError: 429,
    NotFoundError: 404,
    PartnerExistsError: 409,
    FeatureDisabledError: 503,
    IndexNotBuiltError: 503,
    IndexMismatchError: 503,
    GeneratorUnavailableError: 503,
    ModelFileError: 503,
}


def _status_for(exc: AssistantError) -> int:
    for cls, status in _STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


def error_response(exc: AssistantError) -> JSONResponse:
    """`{error_code, detail}` with the status of the error's class; a rate limit adds
    `retry_after` and Retry-After, an authentication error with a scheme WWW-Authenticate."""
    body: dict[str, Any] = {"error_code": exc.code, "detail": str(exc)}
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        body["retry_after"] = exc.retry_after
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, AuthenticationError) and exc.scheme:
        headers["WWW-Authenticate"] = exc.scheme
    return JSONResponse(body, status_code=_status_for(exc), headers=headers)


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
                    from assistant.api.widget import set_web_state
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
    _install_error_handlers(app)
    from assistant.api.widget import install_web

    install_web(app, partners, feedback, demo_origins, admin_token, access)  # widget, demo, feedback, partners

    @app.post(
        "/v1/ask",
        response_model=Answer,
        responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        tags=["ask"],
    )
    async def ask(body: AskRequest, assistant: AssistantDep, partner: AskPartner) -> Answer:
        """Answer a question. The answer carries inline `[n]` markers; `citations[n-1]` is source n.
        `refused` is true when the documents do not hold the answer. With `X-Partner-Key` (the
        widget), retrieval is limited to the partner's sources."""
        filters = _checked_filters(body, assistant, partner)
        answer = await run_in_threadpool(assistant.answer, body.question, body.history, filters)
        return public_answer(answer)

    @app.post(
        "/v1/ask/stream",
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
            422: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
        tags=["ask"],
    )
    async def ask_stream(body: AskRequest, assistant: AssistantDep, partner: AskPartner) -> StreamingResponse:
        """Stream the answer as server-sent events: `token` ({text}) pieces as they are written,
        then `citations` ({citations}), then `done` (the final answer object, authoritative), or
        `error` ({error_code, detail}) if something fails mid-stream."""
        filters = _checked_filters(body, assistant, partner)
        events = assistant.stream(body.question, body.history, filters)
        # Run up to the first event before answering, so bad input and a missing index get a
        # proper HTTP status instead of a 200 stream.
        first = await run_in_threadpool(_next_event, events)
        return StreamingResponse(
            _sse(first, events), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}}, tags=["ops"])
    async def readyz(assistant: AssistantDep, warming: WarmingDep, slack: SlackDep) -> Response:
        """Readiness: the index exists and matches the settings; counts, encoders and generator;
        with Slack mounted, `slack` is `ok`, `connecting` or `degraded` (the API still answers)."""
        store = assistant.retriever.store
        docs, chunks = await run_in_threadpool(store.counts)
        ready, detail = True, None
        try:
            await run_in_threadpool(store.check_readable)
        except AssistantError as exc:
            ready, detail = False, str(exc)
        status = "ready" if ready else "not_ready"
        if ready and warming is not None and not warming.is_set():
            ready, status, detail = False, "warming", "loading and warming the models"
        body = Readiness(
            ready=ready, status=status, documents=docs, chunks=chunks, embedders=store.encoder_names,
            generator=assistant.generator.name, index_version=store.version(), detail=detail,
            slack=slack.status.state if slack is not None else None,
            slack_detail=slack.status.detail if slack is not None else None,
        )
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    if slack_app is not None:
        _mount_slack(app, slack_app)
    return app


def _mount_slack(app: FastAPI, slack_app: SlackApp) -> None:
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    from assistant.slack.health import SlackConnection

    handler = SlackRequestHandler(slack_app)
    connection = SlackConnection(slack_app.client)
    app.state.slack = connection
    connection.start()

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # Bolt verifies the signature (401 if bad or older than 5 minutes) and acknowledges at
        # once; listeners answer afterwards in Bolt's own threads.
        return await handler.handle(request)


def start_warming(app: FastAPI) -> None:
    """Warm the assistant in a thread; /readyz says `warming` (503) until it is done, then logs
    `ready` once (what `make run` shows)."""
    done = threading.Event()
    app.state.warming = done

    def warm() -> None:
        started = time.perf_counter()
        try:
            app.state.assistant.warm()
        except AssistantError as exc:
            logger.warning("warm-up skipped: %s", exc)
        except Exception:
            logger.exception("warm-up failed")
        finally:
            done.set()
        seconds = time.perf_counter() - started
        logger.info("ready: models loaded and warm in %.1f s", seconds)
        on_ready = getattr(app.state, "on_ready", None)
        if callable(on_ready):
            on_ready(seconds)

    threading.Thread(target=warm, name="warm-up", daemon=True).start()


def _checked_filters(body: AskRequest, assistant: Assistant, partner: Caller) -> Filters | None:
    """The filters narrowed to the partner's sources. The question itself is checked by the
    assistant (422 `question_too_long`, `invalid_input`) before any retrieval."""
    log_question(logger, body.question, "api")
    return scoped_filters(partner, body.filters, lambda: assistant.retriever.snapshot().manifest)


def _next_event(events: Iterator[StreamEvent]) -> StreamEvent | None:
    return next(events, None)


def _sse_message(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _event_payload(event: StreamEvent, answer_so_far: list[Answer]) -> str | None:
    if event.kind == "token":
        return _sse_message("token", {"text": event.text})
    if event.kind == "done" and event.answer is not None:
        answer_so_far.append(event.answer)
        answer = public_answer(event.answer)
        return _sse_message(
            "citations", {"citations": [c.model_dump() for c in answer.citations]}
        ) + _sse_message("done", answer.model_dump())
    return None


async def _sse(first: StreamEvent | None, events: Iterator[StreamEvent]) -> AsyncIterator[str]:
    finals: list[Answer] = []
    try:
        if first is not None:
            payload = _event_payload(first, finals)
            if payload:
                yield payload
        async for event in iterate_in_threadpool(events):
            payload = _event_payload(event, finals)
            if payload:
                yield payload
    except AssistantError as exc:
        logger.warning("stream failed code=%s", exc.code)
        yield _sse_message("error", {"error_code": exc.code, "detail": str(exc)})
    except Exception:
        logger.exception("stream failed")
        yield _sse_message("error", {"error_code": "internal_error", "detail": "The assistant ran into a problem."})


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


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        response = error_response(exc)
        if response.status_code >= 500:
            logger.error("request failed code=%s detail=%s", exc.code, exc)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own refusals (unknown route, wrong method, an unparsable body) in the API's
        # error shape; a body FastAPI cannot parse (e.g. JSON nested too deeply) is bad input.
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            return JSONResponse(
                {"error_code": "invalid_input", "detail": "body: not valid JSON (unreadable or nested too deeply)"},
                status_code=422,
            )
        return JSONResponse(
            {"error_code": _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"), "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse(
            {"error_code": "invalid_input", "detail": "; ".join(problems) or "invalid request"}, status_code=422
        )
