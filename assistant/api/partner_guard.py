"""Partner access for the browser-facing routes: the X-Partner-Key check (known, not revoked,
called from one of its allowed origins, within its rate limit), the partner's source scope, and
the per-partner CORS handling that FastAPI's CORSMiddleware cannot do.

CORS is not the access control here: the public key sits in partner pages, and any non-browser
client can send any Origin. The server refuses requests whose Origin is not allowed for the key
(403 `origin_not_allowed`), and the CORS headers only decide whether a *browser* lets the page
read the response. Preflights are therefore answered for any origin that asks for X-Partner-Key,
and refusals carry CORS headers too, so that the widget on a page that is not allowed can read
the refusal and say so instead of reporting a network failure.

What the Origin check protects: a partner's key used by a browser on another site. What it
does not: a script that copies the public key and sends any Origin; the partner's rate limit
and source scope are what bound it. Requests without X-Partner-Key need a service token or the
anonymous opt-in (see access.py): dropping the header never bypasses scope or limits."""

from __future__ import annotations

import fnmatch
import glob
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from fastapi import Depends, FastAPI, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.deps import AccessDep, LimiterDep, PartnersDep, RateLimiter
from assistant.errors import AccessError, AuthenticationError, PermissionDeniedError, RateLimitedError
from assistant.models import Filters
from assistant.partners.access import AccessPolicy
from assistant.partners.ratelimit import SlidingWindowLimiter
from assistant.partners.store import Partner

logger = logging.getLogger(__name__)

PARTNER_HEADER = "X-Partner-Key"
GUARDED_PATHS = frozenset({"/v1/ask", "/v1/ask/stream", "/v1/feedback", "/v1/widget/config"})
# A source pattern no document id or path can match (NUL never occurs in either): used when the
# partner's scope and the request's filters have no document in common.
MATCH_NOTHING = "\x00"


@dataclass(frozen=True)
class Caller:
    """Who is calling a guarded route: a partner (widget), a service token, or anonymous."""

    kind: Literal["partner", "token", "anonymous"]
    name: str
    sources: tuple[str, ...] | list[str] = ()
    partner: Partner | None = None


def install_partner_guard(app: FastAPI, access: AccessPolicy | None = None) -> None:
    """Add the in-process rate limiter and the CORS middleware. The guard gets the PartnerStore
    (None: every partner key is refused), the service tokens / anonymous opt-in (default:
    keyless requests are refused) and the limiter through assistant.api.deps. Its refusals are
    AccessErrors, answered by the API's one AssistantError handler."""
    app.state.partner_limiter = SlidingWindowLimiter(window_seconds=60.0)
    app.state.access = access or AccessPolicy()
    app.add_middleware(PartnerCORSMiddleware)


def _refuse(error: AccessError, partner: str = "-", origin: str | None = None) -> AccessError:
    logger.info("partner request refused code=%s partner=%s origin=%s", error.code, partner, origin)
    return error


def _rate_limit(limiter: RateLimiter, key: str, rpm: int, who: str) -> None:
    wait = limiter.hit(key, rpm)
    if wait is not None:
        logger.info("rate limited caller=%s bucket=%s rpm=%s", who, key.split(":", 1)[0], rpm)
        raise RateLimitedError(f"more than {rpm} requests per minute; retry in {wait} s", retry_after=wait)


def _keyless_caller(request: Request, bucket: str, access: AccessPolicy, limiter: RateLimiter) -> Caller:
    """A request without X-Partner-Key: a service token, the anonymous opt-in, or a 401."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, presented = authorization.partition(" ")
        token = access.find_token(presented.strip()) if scheme.lower() == "bearer" and presented.strip() else None
        if token is None:
            raise _refuse(AuthenticationError(
                "Authorization: unknown service token (expected Bearer <token>)", code="invalid_token"
            ))
        _rate_limit(limiter, f"{bucket}:token:{token.name}", token.rpm, f"token:{token.name}")
        return Caller("token", token.name, token.sources)
    if not access.anonymous:
        raise _refuse(AuthenticationError(
            f"send {PARTNER_HEADER} (the widget) or Authorization: Bearer <service token>; "
            "anonymous access is off on this server (EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS)",
            code="authentication_required",
        ))
    client = request.client.host if request.client else "-"
    _rate_limit(limiter, f"{bucket}:anon:{client}", access.anonymous_rpm, "anonymous")
    return Caller("anonymous", "")


def partner_guard(bucket: str) -> Callable[..., Caller]:
    """A dependency for a guarded route: the caller (partner, service token or anonymous), or an
    AccessError (401/403/429). `bucket` names the rate-limit window ("ask", "feedback" or
    "config"), so feedback clicks do not use up a caller's questions."""

    def guard(request: Request, store: PartnersDep, access: AccessDep, limiter: LimiterDep) -> Caller:
        key = request.headers.get(PARTNER_HEADER)
        if key is None:
            return _keyless_caller(request, bucket, access, limiter)
        origin = request.headers.get("origin")
        partner = store.get_by_key(key.strip()) if store is not None else None
        if partner is None:
            raise _refuse(
                AuthenticationError(f"{PARTNER_HEADER}: unknown partner key", code="invalid_partner_key"),
                origin=origin,
            )
        if partner.revoked:
            raise _refuse(
                PermissionDeniedError(f"{PARTNER_HEADER}: this partner key has been revoked", code="partner_revoked"),
                partner.name,
                origin,
            )
        if origin is None:
            raise _refuse(
                PermissionDeniedError(f"Origin header: required with {PARTNER_HEADER}", code="origin_not_allowed"),
                partner.name,
                origin,
            )
        if not partner.allows_origin(origin):
            raise _refuse(
                PermissionDeniedError(f"Origin {origin}: not allowed for this partner key", code="origin_not_allowed"),
                partner.name,
                origin,
            )
        _rate_limit(limiter, f"{bucket}:{partner.id}", partner.rpm, f"partner:{partner.name}")
        return Caller("partner", partner.name, partner.sources, partner)

    guard.__name__ = f"partner_guard_{bucket}"
    return guard


AskPartner = Annotated[Caller, Depends(partner_guard("ask"))]
FeedbackPartner = Annotated[Caller, Depends(partner_guard("feedback"))]
ConfigPartner = Annotated[Caller, Depends(partner_guard("config"))]


class _DocRecord(Protocol):
    @property
    def source(self) -> str: ...


class _Scoped(Protocol):
    @property
    def sources(self) -> Sequence[str]: ...


def scoped_filters(
    partner: _Scoped | None, requested: Filters | None, manifest: Callable[[], Mapping[str, _DocRecord]]
) -> Filters | None:
    """The filters to retrieve with: the request's, narrowed to the partner's sources. A partner
    can never widen its scope. Globs cannot be intersected as globs, so when both sides name
    sources the intersection is resolved to the exact documents of the index (`manifest`)."""
    if partner is None or not partner.sources:
        return requested
    scope = list(partner.sources)
    base = requested or Filters()
    if not base.sources:
        return base.model_copy(update={"sources": scope})
    docs = [
        doc_id
        for doc_id, record in manifest().items()
        if _matches(doc_id, record.source, scope) and _matches(doc_id, record.source, base.sources)
    ]
    return base.model_copy(update={"sources": [glob.escape(d) for d in sorted(docs)] or [MATCH_NOTHING]})


def _matches(doc_id: str, source: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(doc_id, p) or fnmatch.fnmatchcase(source, p) for p in patterns)


class PartnerCORSMiddleware:
    """CORS for GUARDED_PATHS when the browser sends X-Partner-Key: answers the preflight and
    adds the CORS headers to every response of those routes (errors included: 401/403/413/422/
    429/5xx), echoing the request's Origin. Requests without X-Partner-Key are left untouched."""

    def __init__(self, app: ASGIApp, max_age: int = 600) -> None:
        self.app = app
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in GUARDED_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            requested = {
                h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")
            }
            if PARTNER_HEADER.lower() in requested:
                await self._preflight(origin, send)
                return
        if PARTNER_HEADER.lower() not in headers:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in self._cors(origin).items():
                    response_headers[name] = value
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _cors(origin: str) -> dict[str, str]:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "Retry-After, X-Request-ID",
        }

    async def _preflight(self, origin: str, send: Send) -> None:
        headers = {
            **self._cors(origin),
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": f"Content-Type, {PARTNER_HEADER}",
            "Access-Control-Max-Age": str(self.max_age),
            "Vary": "Origin",
            "Content-Length": "0",
        }
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": b""})
