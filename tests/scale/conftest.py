"""A PostgreSQL cluster per test session for tests/scale (skipped only where the server binaries
are absent), and a fresh database in it per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from postgres_server import postgres_bindir, postgres_server
from sqlalchemy import create_engine, text

NO_POSTGRES = (
    "PostgreSQL server binaries (Debian's postgresql package) are not installed: "
    "`make setup-test` installs them with scripts/install-postgres.sh"
)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    if postgres_bindir() is None:
        pytest.skip(NO_POSTGRES)
    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_cluster: str) -> str:
    """The URL of a new, empty database in the session's cluster."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_cluster, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
