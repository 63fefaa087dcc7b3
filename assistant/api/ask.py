"""POST /v1/ask (JSON) and /v1/ask/stream (server-sent events)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.answer.chain import Assistant, StreamEvent
from assistant.answer.sources import public_answer
from assistant.api.deps import AssistantDep
from assistant.api.partner_guard import AskPartner, Caller, scoped_filters
from assistant.api.schemas import AskRequest, ErrorBody
from assistant.errors import AssistantError
from assistant.log import log_question
from assistant.models import Answer, Filters

logger = logging.getLogger(__name__)

router = APIRouter()


@router.post(
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

@router.post(
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


