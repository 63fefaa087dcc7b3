"""Partner store: the websites allowed to embed the widget, with their public key, allowed
origins, allowed sources (globs), rate limit and greeting, in the shared SQL database."""

from __future__ import annotations

import builtins
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant.errors import InvalidInputError, PartnerExistsError, PartnerNotFoundError
from assistant.storage.db import create_tables, metadata

KEY_PREFIX = "pk_"
DEFAULT_RPM = 30
MAX_RPM = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")

partners_table = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("key", String(128), nullable=False, unique=True),
    Column("origins", Text, nullable=False, default="[]"),  # JSON list of scheme://host[:port]
    Column("sources", Text, nullable=False, default="[]"),  # JSON list of globs; [] = all sources
    Column("rpm", Integer, nullable=False),
    Column("greeting", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    key: str
    origins: list[str]
    sources: list[str]
    rpm: int
    greeting: str | None
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def allows_origin(self, origin: str | None) -> bool:
        return origin is not None and normalize_origin_or_none(origin) in self.origins

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "origins": self.origins,
            "sources": self.sources,
            "rpm": self.rpm,
            "greeting": self.greeting,
            "created_at": _iso(self.created_at),
            "rotated_at": _iso(self.rotated_at),
            "revoked_at": _iso(self.revoked_at),
            "revoked": self.revoked,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def new_key() -> str:
    """A random, URL-safe public key. Not a secret: it sits in partner pages."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def normalize_origin(origin: str) -> str:
    """`scheme://host[:port]`, lower-case, default ports dropped; anything else is refused."""
    text = origin.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"origin {origin!r}: must be http(s)://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInputError(
            f"origin {origin!r}: must be scheme://host[:port] only, without path or query"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"origin {origin!r}: bad port") from exc
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def normalize_origin_or_none(origin: str) -> str | None:
    try:
        return normalize_origin(origin)
    except InvalidInputError:
        return None


def _validate(
    name: str, origins: Sequence[str], sources: Sequence[str], rpm: int
) -> tuple[list[str], list[str]]:
    if not _NAME.match(name):
        raise InvalidInputError(
            f"partner name {name!r}: 1-64 characters, letters, digits, space, '.', '_' or '-'"
        )
    if not origins:
        raise InvalidInputError(f"partner {name!r}: at least one allowed origin is needed")
    if not 1 <= rpm <= MAX_RPM:
        raise InvalidInputError(f"partner {name!r}: rpm must be between 1 and {MAX_RPM}, not {rpm}")
    clean_sources = [s.strip() for s in sources]
    if any(not s for s in clean_sources):
        raise InvalidInputError(f"partner {name!r}: empty source pattern")
    return list(dict.fromkeys(normalize_origin(o) for o in origins)), clean_sources


class PartnerStore:
    """Reads go to the database on every call, so a rotation or revocation (from the CLI, the
    admin API or another process) applies to the very next request."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, [partners_table])

    def create(
        self,
        name: str,
        origins: Sequence[str],
        sources: Sequence[str] = (),
        rpm: int = DEFAULT_RPM,
        greeting: str | None = None,
    ) -> Partner:
        clean_origins, clean_sources = _validate(name, origins, sources, rpm)
        exists = PartnerExistsError(f"partner {name!r} already exists (rotate or revoke it instead)")
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(partners_table.c.id).where(partners_table.c.name == name)).first():
                    raise exists
                conn.execute(
                    insert(partners_table).values(
                        name=name,
                        key=new_key(),
                        origins=json.dumps(clean_origins),
                        sources=json.dumps(clean_sources),
                        rpm=rpm,
                        greeting=greeting or None,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError as exc:  # another process created it between the check and the insert
            raise exists from exc
        return self.get(name)

    def list(self) -> list[Partner]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(partners_table).order_by(partners_table.c.name)).all()
        return [_partner(row) for row in rows]

    def get(self, name: str) -> Partner:
        with self.engine.connect() as conn:
            row = conn.execute(select(partners_table).where(partners_table.c.name == name)).first()
        if row is None:
            raise PartnerNotFoundError(f"partner {name!r} does not exist")
        return _partner(row)

    def get_by_key(self, key: str) -> Partner | None:
        """The partner holding this key (revoked or not), or None."""
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(partners_table).where(partners_table.c.key == key)).first()
        return _partner(row) if row is not None else None

    def rotate(self, name: str) -> Partner:
        """Give the partner a new key; the old one stops working at once."""
        partner = self.get(name)
        if partner.revoked:
            raise InvalidInputError(f"partner {name!r} is revoked; create a new partner instead")
        self._update(name, key=new_key(), rotated_at=datetime.now(UTC))
        return self.get(name)

    def revoke(self, name: str) -> Partner:
        partner = self.get(name)
        if not partner.revoked:
            self._update(name, revoked_at=datetime.now(UTC))
        return self.get(name)

    def set_origins(self, name: str, origins: Sequence[str]) -> Partner:
        partner = self.get(name)
        clean, _ = _validate(name, origins, partner.sources, partner.rpm)
        self._update(name, origins=json.dumps(clean))
        return self.get(name)

    def ensure(self, name: str, origins: Sequence[str]) -> Partner:
        """The server's own demo partner: created if missing, its origins kept equal to the
        server's (the port may change between runs). A revoked demo partner stays revoked."""
        try:
            partner = self.get(name)
        except PartnerNotFoundError:
            try:
                return self.create(name, origins, greeting=None)
            except PartnerExistsError:  # several processes starting at once: one of them created it
                partner = self.get(name)
        wanted = [normalize_origin(o) for o in origins]
        if not partner.revoked and sorted(partner.origins) != sorted(dict.fromkeys(wanted)):
            return self.set_origins(name, wanted)
        return partner

    def import_file(self, path: Path) -> builtins.list[Partner]:
        """Create the partners listed in a JSON file: `[{"name", "origins", "sources"?, "rpm"?,
        "greeting"?}, ...]` (or `{"partners": [...]}`). Existing names are left unchanged."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"partners file {path}: {exc}") from exc
        entries = data.get("partners") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise InvalidInputError(f"partners file {path}: expected a list of partners")
        created = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise InvalidInputError(f"partners file {path}: entry {i} needs a 'name'")
            try:
                self.get(entry["name"])
                continue
            except PartnerNotFoundError:
                pass
            created.append(
                self.create(
                    entry["name"],
                    _strings(entry.get("origins"), path, i),
                    _strings(entry.get("sources"), path, i),
                    rpm=int(entry.get("rpm", DEFAULT_RPM)),
                    greeting=entry.get("greeting"),
                )
            )
        return created

    def _update(self, name: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(partners_table).where(partners_table.c.name == name).values(**values))


def _strings(value: object, path: Path, index: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(
            f"partners file {path}: entry {index}: origins/sources must be lists of strings"
        )
    return list(value)


def _partner(row: Any) -> Partner:
    return Partner(
        id=row.id,
        name=row.name,
        key=row.key,
        origins=json.loads(row.origins or "[]"),
        sources=json.loads(row.sources or "[]"),
        rpm=row.rpm,
        greeting=row.greeting,
        created_at=_aware(row.created_at),
        rotated_at=_aware_or_none(row.rotated_at),
        revoked_at=_aware_or_none(row.revoked_at),
    )


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone=True columns; they were stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)
