"""MiniLM on ONNX Runtime gives sentence-transformers' vectors (every language, truncation at
its max_seq_length), is exported once from the installed package, and a corrupt export is refused
by name before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.components import build_encoders, build_store, index_spec
from assistant.cpu import CpuSlots
from assistant.errors import ModelFileError
from assistant.index.embeddings import OnnxMiniLMEncoder, SentenceTransformerEncoder
from assistant.settings import Settings
from ingest.chunk import split_document
from ingest.load import load_file
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
TEST_CORPUS = ROOT / "tests" / "data" / "corpus"

MULTILINGUAL = [
    "How long does an Erasmus+ exchange semester last?",
    "Combien peut-on toucher par mois avec une bourse Erasmus+ ?",
    "¿Cuántos estudiantes participan en el intercambio entre ciudades hermanas?",
    "Wie bewerbe ich mich für ein Auslandssemester in Tianjin?",
    "天津的交换项目申请截止日期是什么时候？",
    "  leading and trailing spaces \n",
    "",
]
# Past max_seq_length (256 word pieces): sentence-transformers truncates there, not at the 128 of
# the package's tokenizer.json.
LONG = [
    " ".join(f"exchange{i} students visit partner universities" for i in range(80)),
    "Les villes jumelées organisent des séjours. " * 60,
    "姐妹城市之间的学生交流项目每年夏天举行。" * 40,
]


def corpus_chunks() -> list[str]:
    texts = []
    for root in (CORPUS, TEST_CORPUS):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            for doc in load_file(path, root).documents:
                texts += [f"{doc.title}\n{c.text}" for c in split_document(doc.doc_id, doc.text, 600, 75)]
    return texts


def questions() -> list[str]:
    """Every eval question: en, fr, es, zh, de, about every corpus."""
    lines = [
        line for dataset in sorted((ROOT / "evals" / "datasets").glob("*.jsonl"))
        for line in dataset.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [json.loads(line)["question"] for line in lines]


@pytest.fixture(scope="module")
def torch_minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    x, y = np.array(a), np.array(b)
    return (x * y).sum(axis=1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)


def test_onnx_vectors_are_sentence_transformers_vectors_in_every_language_and_past_truncation(
    encoders: dict, torch_minilm: SentenceTransformerEncoder
) -> None:
    texts = MULTILINGUAL + LONG + questions() + corpus_chunks()
    assert len(texts) > 500
    onnx = encoders["minilm"]
    assert isinstance(onnx, OnnxMiniLMEncoder)
    assert cosines(onnx.embed_documents(texts), torch_minilm.embed_documents(texts)).min() >= 0.9999
    # a query is embedded as a document of one text
    assert cosines([onnx.embed_query(LONG[0])], [torch_minilm.embed_query(LONG[0])]).min() >= 0.9999


def test_a_query_vector_is_the_same_alone_and_in_an_ingest_batch_on_two_shards(encoders: dict) -> None:
    onnx = encoders["minilm"]
    sharded = OnnxMiniLMEncoder(onnx.onnx_path, threads=2, slots=CpuSlots(2))
    texts = MULTILINGUAL + LONG
    assert cosines(sharded.embed_documents(texts), [onnx.embed_query(t) for t in texts]).min() >= 0.99999


def test_an_index_built_with_torch_minilm_is_read_with_onnx_minilm(tmp_path: Path, minilm_onnx_path: Path) -> None:
    """Same model id in the index spec: switching runtime needs no re-ingest."""
    onnx = build_encoders(Settings(data_dir=tmp_path, minilm_onnx_path=minilm_onnx_path))
    torch = build_encoders(Settings(data_dir=tmp_path, minilm_runtime="torch"))
    assert isinstance(torch["minilm"], SentenceTransformerEncoder)
    settings = Settings(data_dir=tmp_path)
    assert index_spec(settings, onnx) == index_spec(settings, torch)


def test_the_export_is_made_once_with_its_sha256_and_runs_one_thread_per_call(encoders: dict) -> None:
    onnx = encoders["minilm"]
    onnx.embed_query("warm up")
    path: Path = onnx.onnx_path
    recorded = path.with_name(path.name + ".sha256").read_text().split()[0]
    assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()
    made = path.stat().st_mtime_ns
    again = OnnxMiniLMEncoder(path)
    again.embed_query("opened, not exported again")
    assert path.stat().st_mtime_ns == made
    # ONNX Runtime's default is a thread pool of every core per session
    assert again._encoder()._session.get_session_options().intra_op_num_threads == 1


def corrupt_copy(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copy(source, target)
    shutil.copy(source.with_name(source.name + ".sha256"), folder / (source.name + ".sha256"))
    with target.open("r+b") as f:  # a few flipped bytes in the weights
        f.seek(target.stat().st_size // 2)
        f.write(b"\x00\xff" * 16)
    return target


def test_a_corrupt_onnx_file_is_refused_by_name_and_left_alone(encoders: dict, tmp_path: Path) -> None:
    encoders["minilm"].embed_query("warm up")
    broken = corrupt_copy(encoders["minilm"].onnx_path, tmp_path / "models")
    before = broken.read_bytes()
    with pytest.raises(ModelFileError, match=rf"{broken}.*corrupt.*sha256.*Delete both files"):
        OnnxMiniLMEncoder(broken).embed_query("anything")
    assert broken.read_bytes() == before  # not exported over: the operator decides


def test_ingest_with_a_corrupt_onnx_file_fails_naming_it_and_the_index_keeps_its_chunks(
    encoders: dict, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", generator="extractive")
    store = build_store(settings, encoders)
    assert run_ingest([TEST_CORPUS / "programs"], store, encoders, progress=False).ok
    def stored() -> tuple[int, int, int]:
        fresh = build_store(settings, encoders)
        return (*fresh.counts(), fresh.client.get_collection(fresh.chunks_name("minilm")).count())

    before = stored()
    assert before[1] > 0
    broken = corrupt_copy(encoders["minilm"].onnx_path, tmp_path / "models")
    env = {**os.environ, "EXCHANGE_ASSISTANT_DATA_DIR": str(settings.data_dir),
           "EXCHANGE_ASSISTANT_MINILM_ONNX_PATH": str(broken), "PYTHONPATH": str(ROOT)}  # this checkout's code
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", "--rebuild", str(TEST_CORPUS / "programs")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert result.returncode != 0
    assert str(broken) in result.stderr and "corrupt" in result.stderr
    assert stored() == before


def test_an_onnx_file_corrupted_after_a_good_check_is_still_refused(encoders: dict, tmp_path: Path) -> None:
    source = encoders["minilm"].onnx_path
    folder = tmp_path / "models"
    folder.mkdir()
    good = folder / source.name
    shutil.copy(source, good)
    shutil.copy(source.with_name(source.name + ".sha256"), folder / (source.name + ".sha256"))
    OnnxMiniLMEncoder(good).embed_query("checked once, then trusted while unchanged")
    OnnxMiniLMEncoder(good).embed_query("opened again")
    with good.open("r+b") as f:  # written to after the check: size unchanged
        f.seek(good.stat().st_size // 2)
        f.write(b"\x00\xff" * 16)
    with pytest.raises(ModelFileError, match=rf"{good}.*corrupt.*sha256.*Delete both files"):
        OnnxMiniLMEncoder(good).embed_query("anything")


def test_ask_with_a_corrupt_onnx_file_refuses_naming_it(encoders: dict, shared_index: Settings, tmp_path: Path) -> None:
    broken = corrupt_copy(encoders["minilm"].onnx_path, tmp_path / "models")
    env = {**os.environ, "EXCHANGE_ASSISTANT_DATA_DIR": str(shared_index.data_dir), "HF_HUB_OFFLINE": "1",
           "EXCHANGE_ASSISTANT_MINILM_ONNX_PATH": str(broken), "PYTHONPATH": str(ROOT)}  # this checkout's code
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--generator", "extractive", "How long is a semester?"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    assert result.returncode == 2, result.stderr
    assert f"error: MiniLM ONNX file {broken} is corrupt" in result.stderr
    assert result.stdout == ""
