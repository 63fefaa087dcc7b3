"""The keyword index persisted in the shared SQL store, once per index version, so API processes
(on any machine, with a Chroma server) open it in seconds instead of tokenising every chunk.

Why the SQL store and not Chroma: the serialised postings are one binary value of tens of MB
(about 1 MB per 2,500 chunks); Chroma stores records of text, vectors and small metadata values,
while PostgreSQL (bytea) and SQLite (BLOB) keep binary values as they are, in the database every
process already shares for feedback, partners and limits.

Each saved index is keyed by the collection's base name and a digest of what it was built from:
the postings format, the index spec (encoders, chunking) and every document's content hash and
chunk count. A reader computes the digest from the manifest it reads, so it can only ever open an
index of exactly the chunks Chroma holds; with no match (an index built before this existed, or
by an ingest that had no database) it builds from all chunks and saves the result for the others.
Ingest calls `publish` before bumping the version: it starts from the newest saved postings of the
same spec, drops the rows of documents that changed or disappeared and tokenises only the chunks
of new and changed documents. The newest `keep` indexes per collection are kept.

Layout: `keyword_indexes` (one row per index: name, digest, spec digest, version, size, parts)
and `keyword_index_parts` (the postings bytes in parts of at most 4 MB). A header row and its
parts are written in one transaction, header first, so a concurrent save of the same digest by
another process waits and then does nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from assistant.index.keyword import POSTINGS_FORMAT, KeywordIndex, Postings
from assistant.index.store import ChunkStore, DocRecord
from assistant.storage.db import create_tables, insert_ignore, metadata

logger = logging.getLogger(__name__)

PART_BYTES = 4 * 1024 * 1024

keyword_indexes = Table(
    "keyword_indexes",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("spec", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

keyword_index_parts = Table(
    "keyword_index_parts",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


def spec_digest(store: ChunkStore) -> str:
    payload = json.dumps([POSTINGS_FORMAT, store.spec.to_metadata()], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def manifest_digest(store: ChunkStore, manifest: Mapping[str, DocRecord]) -> str:
    """What the keyword index of this exact content is saved under."""
    digest = hashlib.sha256(spec_digest(store).encode())
    for doc_id in sorted(manifest):
        record = manifest[doc_id]
        digest.update(f"\x00{doc_id}\x01{record.content_hash}\x01{record.n_chunks}".encode())
    return digest.hexdigest()


class KeywordIndexStore:
    def __init__(self, engine: Engine, keep: int = 3) -> None:
        self.engine = engine
        self.keep = keep
        create_tables(engine, [keyword_indexes, keyword_index_parts])

    # --- reading -----------------------------------------------------------------------------

    def open(self, store: ChunkStore, version: int, manifest: Mapping[str, DocRecord]) -> KeywordIndex:
        """The keyword index of the chunks `manifest` describes: the saved one, or built from all
        chunks (and saved) when none matches."""
        started = time.perf_counter()
        digest = manifest_digest(store, manifest)
        try:
            postings = self.load(store.base_name, digest)
        except SQLAlchemyError:
            logger.exception("could not read saved keyword indexes: building from all chunks")
            return KeywordIndex(store.iter_chunks())
        if postings is not None:
            logger.info(
                "keyword index opened chunks=%s version=%s ms=%.0f", len(postings), version,
                (time.perf_counter() - started) * 1000,
            )
            return KeywordIndex.from_postings(postings)
        logger.info("no saved keyword index for version=%s: building it from all chunks", version)
        postings = Postings.from_chunks(store.iter_chunks())
        if _matches(postings, manifest):  # not saved if an ingest changed the index meanwhile
            try:
                self.save(store, digest, version, postings)
            except SQLAlchemyError:
                logger.exception("could not save the keyword index (each process will build its own)")
        return KeywordIndex.from_postings(postings)

    def has(self, name: str, digest: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(
                select(keyword_indexes.c.parts).where(_is(keyword_indexes, name, digest))
            ).first() is not None

    def load(self, name: str, digest: str) -> Postings | None:
        with self.engine.connect() as conn:
            header = conn.execute(
                select(keyword_indexes.c.parts).where(_is(keyword_indexes, name, digest))
            ).first()
            if header is None:
                return None
            parts: Sequence[bytes] = conn.execute(
                select(keyword_index_parts.c.data)
                .where(_is(keyword_index_parts, name, digest))
                .order_by(keyword_index_parts.c.part)
            ).scalars().all()
        if len(parts) != header.parts:
            logger.warning("saved keyword index %s has %s of %s parts: ignored", digest[:12], len(parts), header.parts)
            return None
        try:
            return Postings.from_bytes(b"".join(bytes(p) for p in parts))
        except (ValueError, KeyError, OSError) as exc:
            logger.warning("saved keyword index %s unreadable (%s): ignored", digest[:12], exc)
            return None

    # --- writing -----------------------------------------------------------------------------

    def publish(self, store: ChunkStore) -> Postings | None:
        """Save the keyword index of what the store holds now (ingest calls this before bumping
        the version), updating the newest saved index of the same spec incrementally. None when
        it was saved already, or could not be (the database is logged, and readers then build
        the index themselves: the ingest itself never fails for this)."""
        try:
            return self._publish(store)
        except SQLAlchemyError:
            logger.exception("could not save the keyword index; API processes will build it from all chunks")
            return None

    def _publish(self, store: ChunkStore) -> Postings | None:
        started = time.perf_counter()
        manifest = store.manifest()
        digest = manifest_digest(store, manifest)
        version = store.version() + 1
        if self.has(store.base_name, digest):
            return None
        base = self._newest(store)
        if base is None:
            postings, how = Postings.from_chunks(store.iter_chunks()), "built from all chunks"
        else:
            postings, how = _update(base, store, manifest)
        self.save(store, digest, version, postings)
        logger.info(
            "keyword index saved chunks=%s version=%s (%s) ms=%.0f", len(postings), version, how,
            (time.perf_counter() - started) * 1000,
        )
        return postings

    def save(self, store: ChunkStore, digest: str, version: int, postings: Postings) -> bool:
        """Save `postings` under `digest`; False if another process saved it first."""
        data = postings.to_bytes()
        parts = [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)] or [b""]
        name = store.base_name
        with self.engine.begin() as conn:
            if not insert_ignore(
                conn, keyword_indexes, name=name, digest=digest, spec=spec_digest(store), version=version,
                chunks=len(postings), size=len(data), parts=len(parts), created_at=datetime.now(UTC),
            ):
                return False
            for i, part in enumerate(parts):
                conn.execute(insert(keyword_index_parts).values(name=name, digest=digest, part=i, data=part))
            old: Sequence[str] = conn.execute(
                select(keyword_indexes.c.digest)
                .where(keyword_indexes.c.name == name)
                .order_by(keyword_indexes.c.created_at.desc())
                .offset(self.keep)
            ).scalars().all()
            for stale in old:
                for table in (keyword_index_parts, keyword_indexes):
                    conn.execute(delete(table).where(_is(table, name, stale)))
        return True

    def _newest(self, store: ChunkStore) -> Postings | None:
        with self.engine.connect() as conn:
            digest = conn.execute(
                select(keyword_indexes.c.digest)
                .where(keyword_indexes.c.name == store.base_name, keyword_indexes.c.spec == spec_digest(store))
                .order_by(keyword_indexes.c.created_at.desc())
                .limit(1)
            ).scalar()
        return self.load(store.base_name, digest) if digest else None


def _is(table: Table, name: str, digest: str) -> ColumnElement[bool]:
    return and_(table.c.name == name, table.c.digest == digest)


def _row_key(meta: Mapping[str, object]) -> tuple[str, str]:
    return str(meta.get("doc_id", "")), str(meta.get("content_hash", ""))


def _matches(postings: Postings, manifest: Mapping[str, DocRecord]) -> bool:
    wanted = {(doc_id, r.content_hash) for doc_id, r in manifest.items()}
    return {_row_key(m) for m in postings.metadatas} <= wanted and len(postings) == sum(
        r.n_chunks for r in manifest.values()
    )


def _update(base: Postings, store: ChunkStore, manifest: Mapping[str, DocRecord]) -> tuple[Postings, str]:
    """`base` with the rows of changed or removed documents dropped and the chunks of new or
    changed documents (read from the store) added."""
    current = {doc_id: record.content_hash for doc_id, record in manifest.items()}
    keep = np.fromiter(
        (current.get(doc) == digest for doc, digest in map(_row_key, base.metadatas)), dtype=bool, count=len(base)
    )
    kept_docs = {_row_key(m)[0] for m, k in zip(base.metadatas, keep, strict=True) if k}
    missing = [record for doc_id, record in manifest.items() if doc_id not in kept_docs]
    ids = [f"{r.doc_id}#{i}" for r in missing for i in range(r.n_chunks)]
    postings = base.updated(keep, store.get_chunks(ids))
    return postings, f"kept {int(keep.sum())} rows, dropped {int((~keep).sum())}, tokenised {len(ids)}"
