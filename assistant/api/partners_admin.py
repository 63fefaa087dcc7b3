"""Admin API for partners (`/v1/admin/partners`): create, list, rotate, revoke. Needs
`Authorization: Bearer <admin token>`; disabled (403) when no admin token is configured."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AdminTokenDep, PartnersDep
from assistant.errors import AuthenticationError, FeatureDisabledError, PermissionDeniedError
from assistant.models import Text
from assistant.partners.store import DEFAULT_RPM, MAX_RPM, Partner, PartnerStore


class PartnerCreate(BaseModel):
    """Every stored field is bounded."""

    name: Text = Field(min_length=1, max_length=64, examples=["nancy-twin-towns"])
    origins: list[Annotated[Text, Field(max_length=300)]] = Field(
        min_length=1,
        max_length=50,
        description="Exact origins, scheme://host[:port].",
        examples=[["https://www.example.org"]],
    )
    sources: list[Annotated[Text, Field(max_length=500)]] = Field(
        default_factory=list, max_length=100, description="Glob patterns on document id or source; [] = all."
    )
    rpm: int = Field(DEFAULT_RPM, ge=1, le=MAX_RPM, description="Requests per minute.")
    greeting: Text | None = Field(None, max_length=500)


def require_admin(request: Request, token: AdminTokenDep) -> None:
    if token is None or not token.get_secret_value():
        raise PermissionDeniedError(
            "the admin API is disabled: no admin token is configured (EXCHANGE_ASSISTANT_ADMIN_TOKEN)",
            code="admin_disabled",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        given.strip().encode(), token.get_secret_value().encode()
    ):
        raise AuthenticationError(
            "Authorization: a valid 'Bearer <admin token>' is required", code="unauthorized", scheme="Bearer"
        )


def _store(partners: PartnersDep) -> PartnerStore:
    if partners is None:
        raise FeatureDisabledError("no partner store is configured on this server", code="partners_disabled")
    return partners


Store = Annotated[PartnerStore, Depends(_store)]
router = APIRouter(prefix="/v1/admin/partners", tags=["admin"], dependencies=[Depends(require_admin)])


async def _call(fn: Callable[..., Partner], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run a store call off the event loop. PartnerNotFoundError (404) and PartnerExistsError
    (409) go to the API's error handler."""
    partner = await run_in_threadpool(fn, *args, **kwargs)
    return partner.to_dict()


@router.get("")
async def list_partners(store: Store) -> list[dict[str, Any]]:
    """All partners, revoked ones included, with their (public) keys."""
    return [p.to_dict() for p in await run_in_threadpool(store.list)]


@router.post("", status_code=201)
async def create_partner(body: PartnerCreate, store: Store) -> dict[str, Any]:
    """Create a partner; the response holds its new key."""
    return await _call(
        store.create, body.name, body.origins, body.sources, rpm=body.rpm, greeting=body.greeting
    )


@router.get("/{name}")
async def get_partner(name: str, store: Store) -> dict[str, Any]:
    return await _call(store.get, name)


@router.post("/{name}/rotate")
async def rotate_partner(name: str, store: Store) -> dict[str, Any]:
    """Issue a new key; the old key stops working at once."""
    return await _call(store.rotate, name)


@router.post("/{name}/revoke")
async def revoke_partner(name: str, store: Store) -> dict[str, Any]:
    """Revoke the partner's key; its requests are refused from the next one on."""
    return await _call(store.revoke, name)
