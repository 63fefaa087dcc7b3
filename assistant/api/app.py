"""FastAPI application factory: ask (JSON and SSE), health, readiness, widget and demo page."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.api.schemas import AskRequest, ErrorBody, Readiness
from assistant.chain import Assistant, StreamEvent
from assistant.errors import (
    AssistantError,
    GeneratorUnavailableError,
    IndexMismatchError,
    IndexNotBuiltError,
    InvalidInputError,
    ModelFileError,
)
from assistant.log import request_id
from assistant.models import Answer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
_STATUS = {
    InvalidInputError: 422,
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


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant  # type: ignore[no-any-return]


AssistantDep = Annotated[Assistant, Depends(get_assistant)]


def create_app(
    assistant: Assistant | None = None,
    assistant_factory: Callable[[], Assistant] | None = None,
) -> FastAPI:
    """With `assistant` (tests) it is used as is; otherwise the lifespan builds one from settings
    (or from `assistant_factory`)."""

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
                configure_logging(settings.log_level, settings.log_json)
                app.state.assistant = build_assistant(settings)
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

    _install_middleware(app)
    _install_error_handlers(app)

    @app.post(
        "/v1/ask",
        response_model=Answer,
        responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        tags=["ask"],
    )
    async def ask(body: AskRequest, assistant: AssistantDep) -> Answer:
        """Answer a question. The answer carries inline `[n]` markers; `citations[n-1]` is source n.
        `refused` is true when the documents do not hold the answer."""
        return await run_in_threadpool(assistant.answer, body.question, body.history, body.filters)

    @app.post(
        "/v1/ask/stream",
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
            422: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
        tags=["ask"],
    )
    async def ask_stream(body: AskRequest, assistant: AssistantDep) -> StreamingResponse:
        """Stream the answer as server-sent events: `token` ({text}) pieces as they are written,
        then `citations` ({citations}), then `done` (the final answer object, authoritative), or
        `error` ({error_code, detail}) if something fails mid-stream."""
        events = assistant.stream(body.question, body.history, body.filters)
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
    async def readyz(assistant: AssistantDep) -> Response:
        """Readiness: the index exists and matches the settings; counts, encoders and generator."""
        store = assistant.retriever.store
        docs, chunks = await run_in_threadpool(store.counts)
        ready, detail = True, None
        try:
            await run_in_threadpool(store.check_readable)
        except AssistantError as exc:
            ready, detail = False, str(exc)
        body = Readiness(
            ready=ready, documents=docs, chunks=chunks, embedders=store.encoder_names,
            generator=assistant.generator.name, index_version=store.version(), detail=detail,
        )
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return app


def _next_event(events: Iterator[StreamEvent]) -> StreamEvent | None:
    return next(events, None)


def _sse_message(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _event_payload(event: StreamEvent, answer_so_far: list[Answer]) -> str | None:
    if event.kind == "token":
        return _sse_message("token", {"text": event.text})
    if event.kind == "done" and event.answer is not None:
        answer_so_far.append(event.answer)
        return _sse_message(
            "citations", {"citations": [c.model_dump() for c in event.answer.citations]}
        ) + _sse_message("done", event.answer.model_dump())
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


def _install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def limits_and_request_id(request: Request, call_next: Callable[[Request], Any]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        try:
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                return JSONResponse(
                    {"error_code": "body_too_large", "detail": f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}"},
                    status_code=413,
                )
            response: Response = await call_next(request)
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            request_id.reset(token)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        status = _status_for(exc)
        if status >= 500:
            logger.error("request failed code=%s detail=%s", exc.code, exc)
        return JSONResponse({"error_code": exc.code, "detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse(
            {"error_code": "invalid_input", "detail": "; ".join(problems) or "invalid request"}, status_code=422
        )
