"""Incremental, idempotent ingest into a real Chroma, embedded and as a `chroma run` server."""

from __future__ import annotations

import shutil
from pathlib import Path

import chromadb
import pytest

from assistant.components import build_assistant, build_chroma_client, build_store
from assistant.errors import IndexMismatchError, IndexNotBuiltError
from assistant.index.store import ChunkStore
from assistant.settings import Settings
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parents[2]
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"
BAD = ROOT / "tests" / "data" / "bad"


def ingest(store: ChunkStore, encoders: dict, *paths: Path):  # type: ignore[no-untyped-def]
    return run_ingest(list(paths), store, encoders, progress=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(TEST_CORPUS / "programs", folder)
    return folder


@pytest.fixture
def store(fresh_collection_settings: Settings, encoders: dict) -> ChunkStore:
    return build_store(fresh_collection_settings, encoders)


def chunk_texts(store: ChunkStore, doc_id: str) -> list[str]:
    return [c.text for c in store.iter_chunks() if c.metadata["doc_id"] == doc_id]


def test_second_ingest_of_unchanged_folder_skips_everything(store: ChunkStore, encoders: dict, workdir: Path) -> None:
    first = ingest(store, encoders, workdir)
    assert first.ok and first.added == 11 and first.chunks_written > 0  # 5 files -> 11 documents (6 registry cities)
    docs, chunks = store.counts()
    second = ingest(store, encoders, workdir)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 11)
    assert second.chunks_written == 0
    assert store.counts() == (docs, chunks)


def test_changed_document_is_replaced_and_its_old_chunks_disappear(store: ChunkStore, encoders: dict, workdir: Path) -> None:
    ingest(store, encoders, workdir)
    page = workdir / "lyon-beijing-scholarship.md"
    page.write_text(page.read_text().replace("4,500 euros", "5,200 euros"))
    stats = ingest(store, encoders, workdir)
    assert (stats.updated, stats.added, stats.unchanged) == (1, 0, 10)
    text = " ".join(chunk_texts(store, "lyon-beijing-scholarship"))
    assert "5,200 euros" in text and "4,500 euros" not in text


def test_shrunk_document_leaves_no_stale_chunks(store: ChunkStore, encoders: dict, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    folder.mkdir()
    page = folder / "guide.txt"
    page.write_text("\n".join(f"Paragraph {i} explains one more rule of the Erasmus exchange for students." for i in range(60)))
    ingest(store, encoders, folder)
    long_count = len(chunk_texts(store, "guide"))
    page.write_text("A single short paragraph now describes the whole Erasmus exchange for students.")
    ingest(store, encoders, folder)
    assert long_count > 1 and len(chunk_texts(store, "guide")) == 1


def test_removed_file_is_deleted_from_the_index(store: ChunkStore, encoders: dict, workdir: Path) -> None:
    ingest(store, encoders, workdir)
    (workdir / "kyoto-exchange.html").unlink()
    stats = ingest(store, encoders, workdir)
    assert stats.removed == 1
    assert "kyoto-exchange" not in store.manifest()
    assert chunk_texts(store, "kyoto-exchange") == []


def test_bad_files_are_reported_the_rest_ingested_and_nothing_indexed_is_lost(
    store: ChunkStore, encoders: dict, workdir: Path
) -> None:
    ingest(store, encoders, workdir)
    before = store.manifest()
    # The scholarship page gets corrupted on disk, and junk files appear next to it.
    (workdir / "lyon-beijing-scholarship.md").write_bytes(b"\xff\xfe\x00\x01 broken \x00")
    for bad in BAD.iterdir():
        shutil.copy(bad, workdir / bad.name)
    stats = ingest(store, encoders, workdir)
    assert not stats.ok and stats.failed == 5
    joined = "\n".join(stats.errors)
    for name in ("lyon-beijing-scholarship.md", "junk.txt", "latin1.txt", "empty.md", "broken.pdf"):
        assert str(workdir / name) in joined
    after = store.manifest()
    assert set(before) <= set(after)  # the corrupted page's earlier version is still searchable
    assert "4,500 euros" in " ".join(chunk_texts(store, "lyon-beijing-scholarship"))


def test_index_built_with_other_chunking_is_refused_with_a_reingest_hint(
    fresh_collection_settings: Settings, encoders: dict, workdir: Path
) -> None:
    ingest(build_store(fresh_collection_settings, encoders), encoders, workdir)
    other = fresh_collection_settings.model_copy(update={"chunk_size": 400})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        build_store(other, encoders).check_readable()
    with pytest.raises(IndexMismatchError):
        ingest(build_store(other, encoders), encoders, workdir)
    rebuilt = run_ingest([workdir], build_store(other, encoders), encoders, rebuild=True, progress=False)
    assert rebuilt.ok and rebuilt.added == 11


def test_reading_an_index_that_was_never_built_says_to_run_ingest(fresh_collection_settings: Settings, encoders: dict) -> None:
    with pytest.raises(IndexNotBuiltError, match="exchange-assistant ingest"):
        build_store(fresh_collection_settings, encoders).check_readable()


def test_index_records_encoders_and_chunking(store: ChunkStore, encoders: dict, workdir: Path) -> None:
    ingest(store, encoders, workdir)
    stored = store.stored_spec()
    assert stored is not None
    assert dict(stored.encoders).keys() == set(encoders)
    assert (stored.chunk_size, stored.chunk_overlap) == (600, 75)


def test_chunks_carry_doc_id_title_source_language_date_and_hash(store: ChunkStore, encoders: dict, workdir: Path) -> None:
    ingest(store, encoders, workdir)
    chunk = next(c for c in store.iter_chunks() if c.metadata["doc_id"] == "announcements/seniors-fr")
    meta = chunk.metadata
    assert meta["title"] == "Échange de retraités avec Freiburg"
    assert meta["lang"] == "fr" and meta["date"] == "2026-02-10" and len(meta["content_hash"]) == 64
    assert meta["source"] == "announcements.jsonl#announcements/seniors-fr"  # relative to the folder
    busan = next(c for c in store.iter_chunks() if c.metadata["doc_id"] == "busan-summer-camp")
    assert busan.metadata["lang"] == "en" and busan.metadata["source"] == "busan-summer-camp.txt"


def test_sources_are_stored_relative_to_the_ingested_folder_never_absolute(
    store: ChunkStore, encoders: dict, tmp_path: Path, workdir: Path
) -> None:
    nested = tmp_path / "site"
    (nested / "public" / "2024").mkdir(parents=True)
    (nested / "public" / "2024" / "oslo.md").write_text(
        "# Oslo choir exchange\n\nThe Nantes–Oslo choir exchange runs every spring with forty singers."
    )
    ingest(store, encoders, nested, workdir / "busan-summer-camp.txt")
    sources = {c.metadata["doc_id"]: c.metadata["source"] for c in store.iter_chunks()}
    assert sources["public/2024/oslo"] == "public/2024/oslo.md"
    assert sources["busan-summer-camp"] == "busan-summer-camp.txt"  # a file given alone: its name
    assert sources
    assert not any(source.startswith("/") or str(tmp_path) in source for source in sources.values())


def test_ingest_shows_one_named_bar_per_folder_counting_chunks_until_the_summary(
    store: ChunkStore, encoders: dict, tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "more-programs"
    other.mkdir()
    (other / "oslo.md").write_text("# Oslo\n\n" + "The Nantes–Oslo choir exchange runs every spring. " * 60)
    stats = run_ingest([workdir, other], store, encoders, progress=True)
    err = capsys.readouterr().err
    finals = [line.split("\r")[-1] for line in err.split("\n") if line.strip()]
    assert [line.split(":")[0] for line in finals] == ["docs", "more-programs"]  # one bar per folder, named
    chunks = [int(line.split("|")[2].split("/")[1].split()[0]) for line in finals]
    assert sum(chunks) == stats.chunks_written  # the bars count chunks, each to 100 %
    assert all("100%" in line and "chunk" in line and "documents written" in line for line in finals)
    assert "reading" not in "".join(finals) and "embedding" not in "".join(finals)


def test_same_code_path_works_against_a_chroma_server(tmp_path: Path, encoders: dict, workdir: Path) -> None:
    from chroma_server import chroma_server  # type: ignore[import-not-found]

    with chroma_server(tmp_path / "chroma-server") as (host, port):
        settings = Settings(data_dir=tmp_path / "data", chroma_host=host, chroma_port=port, generator="extractive")
        client = build_chroma_client(settings)
        assert isinstance(client, chromadb.api.ClientAPI) and not isinstance(client, type(chromadb.PersistentClient))
        store = build_store(settings, encoders, client)
        assert ingest(store, encoders, workdir).added == 11
        assert ingest(store, encoders, workdir).unchanged == 11
        built = build_assistant(settings, client=client, encoders=dict(encoders))
        answer = built.answer("How much is each Lyon–Beijing scholarship worth?")
        assert not answer.refused and "4,500 euros" in answer.answer
        assert answer.citations[0].doc_id == "lyon-beijing-scholarship"


def test_minilm_english_only_index_holds_english_chunks_in_minilm_and_every_chunk_in_use(
    fresh_collection_settings: Settings, encoders: dict
) -> None:
    settings = fresh_collection_settings.model_copy(update={"minilm_english_only": True})
    store = build_store(settings, encoders)
    first = ingest(store, encoders, TEST_CORPUS)
    assert first.ok, first.errors
    languages = {c.chunk_id: c.metadata["lang"] for c in store.iter_chunks()}
    minilm_ids = set(store.client.get_collection(store.chunks_name("minilm")).get(include=[])["ids"])
    assert {"en"} < set(languages.values())  # the test corpus mixes languages
    assert minilm_ids == {cid for cid, lang in languages.items() if lang == "en"}
    assert store.counts()[1] == len(languages)
    again = ingest(store, encoders, TEST_CORPUS)
    assert again.chunks_written == 0 and again.unchanged == first.added
    french = build_assistant(settings, client=store.client, encoders=encoders).retriever.retrieve(
        "Quelles aides pour les seniors ?", 3
    )
    assert french and all("minilm" not in p.similarities for p in french)
    with pytest.raises(IndexMismatchError):  # the layout is recorded with the index
        build_store(fresh_collection_settings, encoders, store.client).check_readable()


def test_an_ingest_encoder_gives_the_vectors_of_one_call_whichever_the_shards(encoders: dict) -> None:
    """Ingest's shards (one thread each, side by side) change the work's layout, not the vectors."""
    from assistant.cpu import CpuSlots
    from assistant.index.embeddings import OnnxMiniLMEncoder, SentenceTransformerEncoder

    texts = ["Erasmus+ grants cover travel.", "Le programme finance les séjours d'études à l'étranger.",
             "Applications close on 1 March.", "", "Twin cities exchange students every summer."]
    torch_minilm = SentenceTransformerEncoder()
    for query in (encoders["minilm"], torch_minilm, encoders["use"]):
        sharded = (
            OnnxMiniLMEncoder(query.onnx_path, threads=2, slots=CpuSlots(2))
            if isinstance(query, OnnxMiniLMEncoder)
            else type(query)(threads=2, slots=CpuSlots(2))
        )
        sharded._model = query._encoder()  # the loaded model, not a second copy
        sharded._torch = getattr(query, "_torch", None)
        for one, many in zip(query.embed_documents(texts), sharded.embed_documents(texts), strict=True):
            assert sum(a * b for a, b in zip(one, many, strict=True)) == pytest.approx(
                sum(a * a for a in one), abs=1e-4
            )
