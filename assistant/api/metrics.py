"""Prometheus metrics and the access log of the HTTP API, as one ASGI middleware plus `GET /metrics`.

Each app gets its own `CollectorRegistry` (tests build many apps in one process). The middleware
reads what it counts from the API's documented responses, so the routes stay untouched: the route
template (never the raw path, which would explode the label set), the status, `error_code` of
JSON error bodies and of SSE `error` events, and the Answer of `/v1/ask` and of the SSE `done` event
(generator, refusal, `timings_ms`). Index sizes are read from the store at scrape time, cached for a
few seconds so a busy scraper does not hammer Chroma.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.log import request_id

logger = logging.getLogger("assistant.api.access")

UNMATCHED_ROUTE = "<unmatched>"
# Probes hit these every few seconds; their access lines go to DEBUG so INFO stays readable.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
ANSWER_ROUTES = frozenset({"/v1/ask"})
STREAM_ROUTES = frozenset({"/v1/ask/stream"})
_MAX_SNIFF_BYTES = 1024 * 1024
_STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

IndexCounts = Callable[[], tuple[int, int]]


class _IndexSizeCollector(Collector):
    """Document and chunk counts of the index, refreshed at scrape time at most every `ttl` seconds."""

    def __init__(self, counts: Callable[[], IndexCounts | None], ttl: float = 15.0) -> None:
        self._counts = counts
        self._ttl = ttl
        self._cached: tuple[float, tuple[int, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self._ttl:
            reader = self._counts()
            if reader is None:  # the lifespan has not built the assistant yet
                return
            try:
                self._cached = (now, reader())
            except Exception:  # a scrape must not fail because Chroma is unreachable
                logger.warning("index counts unavailable for /metrics", exc_info=True)
                return
        docs, chunks = self._cached[1]
        yield GaugeMetricFamily("exchange_assistant_index_documents", "Documents in the index.", value=docs)
        yield GaugeMetricFamily("exchange_assistant_index_chunks", "Chunks in the index.", value=chunks)


class ApiMetrics:
    """The API's metrics on a registry of their own."""

    def __init__(
        self, index_counts: Callable[[], IndexCounts | None] | None = None, cache_seconds: float = 15.0
    ) -> None:
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "exchange_assistant_http_requests", "HTTP requests by route template and status.", labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "exchange_assistant_http_request_duration_seconds",
            "Time from request to the last byte of the response (whole stream for SSE).", labels,
            buckets=_STAGE_BUCKETS, registry=self.registry,
        )
        self.answers = Counter(
            "exchange_assistant_answers", "Answers given (refusals included), by generator.",
            ["generator"], registry=self.registry,
        )
        self.refusals = Counter(
            "exchange_assistant_refusals", "Answers that said the documents do not hold the answer.",
            ["generator"], registry=self.registry,
        )
        self.retrieve_seconds = Histogram(
            "exchange_assistant_retrieval_duration_seconds",
            "Retrieval time per answer (Answer.timings_ms).", buckets=_STAGE_BUCKETS, registry=self.registry,
        )
        self.generate_seconds = Histogram(
            "exchange_assistant_generation_duration_seconds",
            "Generation time per answer (Answer.timings_ms).", ["generator"],
            buckets=_STAGE_BUCKETS, registry=self.registry,
        )
        self.errors = Counter(
            "exchange_assistant_errors", "Error responses and SSE error events by error_code.",
            ["error_code"], registry=self.registry,
        )
        if index_counts is not None:
            self.registry.register(_IndexSizeCollector(index_counts, ttl=cache_seconds))

    def observe_answer(self, answer: dict[str, Any]) -> None:
        generator = str(answer.get("generator") or "unknown")
        self.answers.labels(generator).inc()
        if answer.get("refused"):
            self.refusals.labels(generator).inc()
        timings = answer.get("timings_ms") or {}
        if isinstance(timings, dict):
            self.retrieve_seconds.observe(float(timings.get("retrieve") or 0.0) / 1000)
            if not answer.get("refused") or timings.get("generate"):
                self.generate_seconds.labels(generator).observe(float(timings.get("generate") or 0.0) / 1000)

    def observe_error(self, code: str) -> None:
        self.errors.labels(code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_template(app: FastAPI, scope: Scope) -> str:
    """The matching route's path template ("/v1/ask", "/static"), never the raw path."""
    partial = None
    for route in _flat_routes(app.router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", UNMATCHED_ROUTE))
        if match == Match.PARTIAL and partial is None:
            partial = str(getattr(route, "path", UNMATCHED_ROUTE))
    return partial or UNMATCHED_ROUTE


def _flat_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes of included routers too: FastAPI 0.16x keeps `include_router` as one entry
    (`original_router` holds the routes, their paths with the router's prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flat_routes(included.routes)
        else:
            yield route


class _ResponseSniffer:
    """Collects what the metrics need from a response body without holding a whole stream."""

    def __init__(self, route: str, metrics: ApiMetrics) -> None:
        self.route = route
        self.metrics = metrics
        self.status = 500
        self.is_json = False
        self.body = bytearray()
        self.sse_buffer = ""

    def start(self, message: Message) -> str | None:
        self.status = int(message["status"])
        rid = None
        for key, value in message.get("headers", []):
            if key.lower() == b"content-type":
                self.is_json = value.split(b";")[0].strip() == b"application/json"
            elif key.lower() == b"x-request-id":
                rid = value.decode("latin-1")
        return rid

    def feed(self, chunk: bytes) -> None:
        if self.route in STREAM_ROUTES and self.status == 200:
            self.sse_buffer += chunk.decode("utf-8", errors="replace")
            *events, self.sse_buffer = self.sse_buffer.split("\n\n")
            for event in events:
                self._sse_event(event)
        elif self.is_json and len(self.body) < _MAX_SNIFF_BYTES:
            self.body.extend(chunk)

    def finish(self) -> None:
        if not self.is_json or not self.body:
            return
        try:
            payload = json.loads(self.body)
        except ValueError:
            return
        if not isinstance(payload, dict):
            return
        if self.status >= 400 and isinstance(payload.get("error_code"), str):
            self.metrics.observe_error(payload["error_code"])
        elif self.status == 200 and self.route in ANSWER_ROUTES:
            self.metrics.observe_answer(payload)

    def _sse_event(self, block: str) -> None:
        name, data = "", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if name not in ("done", "error"):
            return
        try:
            payload = json.loads("\n".join(data))
        except ValueError:
            return
        if name == "done":
            self.metrics.observe_answer(payload)
        else:
            self.metrics.observe_error(str(payload.get("error_code") or "unknown"))


class MetricsMiddleware:
    """Outermost ASGI middleware: counts, times and logs every HTTP request."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, metrics: ApiMetrics) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route = route_template(self.fastapi_app, scope)
        sniffer = _ResponseSniffer(route, self.metrics)
        rid: str | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal rid
            if message["type"] == "http.response.start":
                rid = sniffer.start(message)
            elif message["type"] == "http.response.body":
                sniffer.feed(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            sniffer.status = 500
            self.metrics.observe_error("internal_error")
            raise
        finally:
            sniffer.finish()
            elapsed = time.perf_counter() - started
            labels = (scope.get("method", "GET"), route, str(sniffer.status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(elapsed)
            _access_log(labels, elapsed, rid or request_id.get())


def _access_log(labels: tuple[str, str, str], elapsed: float, rid: str) -> None:
    method, route, status = labels
    level = logging.DEBUG if route in QUIET_ROUTES and status == "200" else logging.INFO
    if not logger.isEnabledFor(level):
        return
    token = request_id.set(rid)  # the request-id middleware has already reset it
    try:
        logger.log(
            level, "request method=%s route=%s status=%s ms=%.1f", method, route, status, elapsed * 1000
        )
    finally:
        request_id.reset(token)


def install_metrics(app: FastAPI) -> ApiMetrics:
    """Add the metrics middleware (outermost, so 413s and handled errors are counted) and `GET /metrics`."""

    def index_counts() -> IndexCounts | None:
        assistant = getattr(app.state, "assistant", None)
        return assistant.retriever.store.counts if assistant is not None else None

    metrics = ApiMetrics(index_counts)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, fastapi_app=app, metrics=metrics)

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        # rendering may read the index counts from Chroma: keep it off the event loop
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE_LATEST)

    return metrics

