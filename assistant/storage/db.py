"""SQL engine for the feedback and partner stores: SQLite on one machine, PostgreSQL when several
API processes share state (any SQLAlchemy URL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, MetaData, Table, create_engine, event, insert, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

metadata = MetaData()


def build_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def insert_ignore(conn: Connection, table: Table, **values: Any) -> bool:
    """INSERT a row unless its unique key is already there (then nothing happens). True if this
    call inserted it: with several processes, exactly one of them gets True for a key."""
    statement: Insert
    match conn.dialect.name:
        case "postgresql":
            from sqlalchemy.dialects import postgresql

            statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
        case "sqlite":
            from sqlalchemy.dialects import sqlite

            statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
        case _:
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(**values))
                return True
            except IntegrityError:
                return False
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING
    returning = list(table.primary_key.columns)[:1] or list(table.columns)[:1]
    return conn.execute(statement.returning(*returning)).first() is not None


_DDL_LOCK = 727_301  # any constant: the PostgreSQL advisory lock taken while creating tables


def create_tables(engine: Engine, tables: list[Table]) -> None:
    """Create the tables that do not exist yet. Replicas start together: on PostgreSQL the check
    and the CREATEs run under one advisory lock; elsewhere (SQLite) a CREATE that lost the race
    to another process is retried, and the retry finds the table there."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK})
            metadata.create_all(conn, tables=tables)
        return
    for attempt in range(5):
        try:
            metadata.create_all(engine, tables=tables)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
