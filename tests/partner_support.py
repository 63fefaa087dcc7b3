"""Shared by tests/partners and tests/browser: a real API server with partner and feedback
stores on a fresh SQLite database, and the constants the tests use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from live_server import live_server

from assistant.answer.chain import Assistant
from assistant.api import create_app
from assistant.partners.access import AccessPolicy, ServiceToken
from assistant.partners.store import Partner, PartnerStore
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore

PARTNER_ORIGIN = "https://www.twin-towns.example"
ADMIN_TOKEN = "test-admin-token-123"
TIANJIN = "How many people attended the Tianjin-Qinghai cultural and tourism event?"
SERVICE_TOKEN = "svc-backend-0123456789abcdef"
SCOPED_TOKEN = "svc-programs-0123456789abcdef"
SLOW_TOKEN = "svc-slow-0123456789abcdef"
# Keyless requests are refused; service tokens (Authorization: Bearer) are the server-side way in.
SERVICE_ACCESS = AccessPolicy(
    tokens=(
        ServiceToken("backend", SERVICE_TOKEN, (), 1000),
        ServiceToken("programs-only", SCOPED_TOKEN, ("programs/*",), 1000),
        ServiceToken("slow", SLOW_TOKEN, (), 1),
    )
)
TIANJIN_DOC = "004_"  # the seeds in corpus/ have their file name as doc id: 004_9bc1640c6c35c08d


@dataclass
class Api:
    url: str
    partners: PartnerStore
    feedback: FeedbackStore

    def partner(
        self,
        sources: list[str] | None = None,
        rpm: int = 30,
        origins: list[str] | None = None,
        greeting: str | None = None,
    ) -> Partner:
        """A new partner with a unique name, allowed from PARTNER_ORIGIN by default."""
        return self.partners.create(
            f"p-{uuid.uuid4().hex[:8]}", origins or [PARTNER_ORIGIN], sources or [], rpm=rpm, greeting=greeting
        )


def build_stores(database: Path) -> tuple[PartnerStore, FeedbackStore]:
    engine = build_engine(f"sqlite:///{database}")
    return PartnerStore(engine), FeedbackStore(engine)


@contextmanager
def api_server(
    assistant: Assistant, database: Path, admin_token: str | None = ADMIN_TOKEN, access: AccessPolicy = SERVICE_ACCESS
) -> Iterator[Api]:
    """The app as `serve` builds it, on a free loopback port; the demo partner is allowed from
    the server's own origin (127.0.0.1 and localhost)."""
    partners, feedback = build_stores(database)

    def make_app(url: str) -> object:
        origins = [url, url.replace("127.0.0.1", "localhost")]
        return create_app(
            assistant=assistant,
            partners=partners,
            feedback=feedback,
            demo_origins=origins,
            admin_token=admin_token,
            access=access,
        )

    with live_server(make_app) as url:
        yield Api(url, partners, feedback)
