"""The keyword index persisted once per index version: saved by ingest, opened by readers instead
of tokenising every chunk, updated incrementally, and scoring exactly like a fresh build."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import TEST_CORPUS

from assistant.components import build_keyword_store, build_retriever, build_store
from assistant.index.keyword import KeywordIndex, Postings
from assistant.index.keyword_store import manifest_digest
from assistant.index.store import StoredChunk
from assistant.settings import Settings
from ingest.pipeline import run_ingest

QUERIES = ["Busan summer camp students", "Lyon Beijing scholarship amount", "北京 奖学金", "Kyoto exchange"]


def by_id(index: KeywordIndex, query: str) -> dict[str, float]:
    return {cid: float(s) for cid, s in zip(index.chunk_ids, index.scores(query), strict=True) if s > 0}


def assert_same_scores(a: KeywordIndex, b: KeywordIndex) -> None:
    assert sorted(a.chunk_ids) == sorted(b.chunk_ids)
    for query in QUERIES:
        left, right = by_id(a, query), by_id(b, query)
        assert left.keys() == right.keys(), query
        assert np.allclose([left[k] for k in left], [right[k] for k in left]), query


def chunk(doc: str, n: int, text: str, digest: str = "h1", title: str = "") -> StoredChunk:
    meta = {"doc_id": doc, "title": title or doc, "content_hash": digest, "chunk_index": n, "lang": "en"}
    return StoredChunk(f"{doc}#{n}", text, meta)


CHUNKS = [
    chunk("busan", 0, "The Busan Summer Language Camp welcomes 40 students aged 15 to 17."),
    chunk("busan", 1, "Participants stay near Pusan National University every August."),
    chunk("lyon", 0, "The Lyon–Beijing scholarship pays 4,000 euros per semester.", title="Lyon Beijing"),
    chunk("zh", 0, "里昂—北京奖学金资助在北京学习一个学期。", title="北京 奖学金"),
]


def test_postings_survive_serialisation_and_update_incrementally_like_a_full_build() -> None:
    built = KeywordIndex(CHUNKS)
    opened = KeywordIndex.from_postings(Postings.from_bytes(built.postings.to_bytes()))
    assert_same_scores(built, opened)
    assert list(opened.texts) == [c.text for c in CHUNKS]
    assert opened.metadatas == [dict(c.metadata) for c in CHUNKS]

    changed = [chunk("busan", 0, "The Busan camp now welcomes 60 students from Kyoto too.", digest="h2")]
    added = [chunk("kyoto", 0, "The Kyoto exchange sends ten students to Lyon.")]
    keep = np.array([m["doc_id"] != "busan" for m in built.metadatas])
    updated = KeywordIndex.from_postings(built.postings.updated(keep, changed + added))
    assert_same_scores(updated, KeywordIndex([*CHUNKS[2:], *changed, *added]))
    assert "Pusan" not in " ".join(updated.texts)  # the old chunk is gone, vocabulary included
    assert "pusan" not in updated.vocab


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(TEST_CORPUS, folder)
    return folder


def test_ingest_saves_the_index_and_readers_open_it_then_an_update_tokenises_only_what_changed(
    fresh_collection_settings: Settings, encoders: dict, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant")
    settings = fresh_collection_settings
    store = build_store(settings, encoders)
    keywords = build_keyword_store(settings)
    assert run_ingest([corpus], store, encoders, progress=False, keywords=keywords).ok
    assert keywords.has(store.base_name, manifest_digest(store, store.manifest()))

    reader = build_retriever(settings, build_store(settings, encoders), encoders)
    snapshot = reader.snapshot()
    assert "keyword index opened" in caplog.text
    assert "building it from all chunks" not in caplog.text
    assert_same_scores(snapshot.keyword, KeywordIndex(store.iter_chunks()))

    camp = corpus / "programs" / "busan-summer-camp.txt"
    camp.write_text(camp.read_text(encoding="utf-8") + "\nFrom 2027 the camp also welcomes Kyoto pupils.\n")
    (corpus / "programs" / "kyoto-alumni.txt").write_text("Kyoto Alumni Night\n\nAlumni of the Kyoto exchange meet in May.\n")
    caplog.clear()
    stats = run_ingest([corpus], store, encoders, progress=False, keywords=keywords)
    assert (stats.added, stats.updated) == (1, 1)
    changed_chunks = store.manifest()["programs/busan-summer-camp"].n_chunks + 1
    assert f"tokenised {changed_chunks})" in caplog.text  # not every chunk

    caplog.clear()
    fresh = build_retriever(settings, build_store(settings, encoders), encoders).snapshot()
    assert "keyword index opened" in caplog.text
    assert_same_scores(fresh.keyword, KeywordIndex(store.iter_chunks()))
    assert "programs/kyoto-alumni#0" in fresh.keyword.row_of


def test_a_reader_without_a_saved_index_builds_it_once_for_everyone(
    fresh_collection_settings: Settings, encoders: dict, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant")
    settings = fresh_collection_settings
    store = build_store(settings, encoders)
    assert run_ingest([corpus], store, encoders, progress=False).ok  # an ingest without a database
    build_retriever(settings, store, encoders).snapshot()
    assert "building it from all chunks" in caplog.text
    caplog.clear()
    build_retriever(settings, build_store(settings, encoders), encoders).snapshot()  # another process
    assert "keyword index opened" in caplog.text
