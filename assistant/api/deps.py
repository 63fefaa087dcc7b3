"""FastAPI dependencies for the long-lived objects the routes use. `create_app` (and its lifespan)
put them on `app.state`; these getters are the only code that reads them back, and routes take
them as `Annotated` parameters (`assistant: AssistantDep`)."""

from __future__ import annotations

import threading
from typing import Annotated, Protocol

from fastapi import Depends, Request
from pydantic import SecretStr

from assistant.answer.chain import Assistant
from assistant.partners.access import AccessPolicy
from assistant.partners.store import PartnerStore
from assistant.slack.health import SlackConnection
from assistant.storage.feedback import FeedbackStore


class RateLimiter(Protocol):
    """What the partner guard needs of a limiter (SlidingWindowLimiter, LayeredLimiter)."""

    def hit(self, key: str, limit: int) -> int | None: ...


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


def get_partners(request: Request) -> PartnerStore | None:
    """The partner store; None when the server runs without one (every partner key is refused)."""
    partners: PartnerStore | None = getattr(request.app.state, "partners", None)
    return partners


def get_feedback(request: Request) -> FeedbackStore | None:
    feedback: FeedbackStore | None = getattr(request.app.state, "feedback", None)
    return feedback


def get_admin_token(request: Request) -> SecretStr | None:
    """The admin API's token; None (or empty) disables the admin API."""
    token: SecretStr | None = getattr(request.app.state, "admin_token", None)
    return token


def get_demo_enabled(request: Request) -> bool:
    return bool(getattr(request.app.state, "demo_enabled", False))


def get_access(request: Request) -> AccessPolicy:
    """Service tokens and the anonymous opt-in; the default refuses every keyless request."""
    access: AccessPolicy | None = getattr(request.app.state, "access", None)
    return access or AccessPolicy()


def get_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.partner_limiter
    return limiter


def get_slack(request: Request) -> SlackConnection | None:
    """Slack's connection status when Slack's HTTP events are mounted, else None."""
    slack: SlackConnection | None = getattr(request.app.state, "slack", None)
    return slack


def get_warming(request: Request) -> threading.Event | None:
    """Set once the models are loaded and warm; None before the lifespan started warming."""
    warming: threading.Event | None = getattr(request.app.state, "warming", None)
    return warming


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
PartnersDep = Annotated[PartnerStore | None, Depends(get_partners)]
FeedbackDep = Annotated[FeedbackStore | None, Depends(get_feedback)]
AdminTokenDep = Annotated[SecretStr | None, Depends(get_admin_token)]
DemoEnabledDep = Annotated[bool, Depends(get_demo_enabled)]
AccessDep = Annotated[AccessPolicy, Depends(get_access)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
SlackDep = Annotated[SlackConnection | None, Depends(get_slack)]
WarmingDep = Annotated[threading.Event | None, Depends(get_warming)]
