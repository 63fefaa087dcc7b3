"""A real API server (uvicorn on loopback) shared by the partner tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from partner_support import Api, api_server

from assistant.answer.chain import Assistant


@pytest.fixture(scope="module")
def api(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api_server(assistant, tmp_path_factory.mktemp("partners-db") / "assistant.sqlite3") as server:
        yield server
