"""Liveness and readiness (GET /healthz, /readyz) and the model warm-up that readiness waits for."""

from __future__ import annotations

import logging
import threading
import time

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AssistantDep, SlackDep, WarmingDep
from assistant.api.schemas import Readiness
from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """Liveness: the process is up."""
    return {"status": "ok"}

@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}}, tags=["ops"])
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


