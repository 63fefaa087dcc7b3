"""HTTP API: `create_app()` builds the FastAPI application (see assistant.api.app).

`create_app` is imported on first use, so that the partner guard can import
`assistant.api.deps` without importing the application (which imports the guard)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from assistant.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
