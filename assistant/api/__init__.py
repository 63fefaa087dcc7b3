"""HTTP API: `create_app()` builds the FastAPI application (see assistant.api.app)."""

from assistant.api.app import create_app

__all__ = ["create_app"]
