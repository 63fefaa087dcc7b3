"""`bench compare`: this project and the LangChain-tutorial RAG pipeline side by side, on the same
corpus, questions and local model, in one process, scored by the project's own eval scorer.

The peer is what a user would build in an afternoon from the LangChain RAG tutorial:
RecursiveCharacterTextSplitter(1000, 200), all-MiniLM-L6-v2 through sentence-transformers, a
Chroma collection, dense top-4, the tutorial's RAG prompt (rlm/rag-prompt), and the same GGUF
through the same llama.cpp chat model and thread budget. It has no extractive mode.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from evals.bench.common import latency_summary, temp_dir

# The LangChain hub prompt rlm/rag-prompt, as the tutorial uses it.
RAG_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
    "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)
# How the peer says it cannot answer (the prompt's "just say that you don't know", in the
# languages of the dev sets); the project's answers carry `refused` instead.
PEER_REFUSALS = (
    "don't know", "do not know", "not mentioned", "does not mention", "doesn't mention", "not provided",
    "no information", "not specified", "does not provide", "doesn't provide", "not available",
    "ne sais pas", "je ne sais", "pas mentionn", "aucune information", "no lo sé", "no sé", "不知道",
)


@dataclass
class SideResult:
    name: str
    ingest_chunks: int = 0
    ingest_seconds: float = 0.0
    encode_seconds: float = 0.0  # the encoders alone on the same chunks, in the same run
    retrieve_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    first_token_ms: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    refused_right: list[bool] = field(default_factory=list)  # on unanswerable questions
    false_refusals: list[bool] = field(default_factory=list)  # on answerable questions

    def row(self) -> dict[str, Any]:
        retrieve, total = latency_summary(self.retrieve_ms), latency_summary(self.total_ms)
        first = latency_summary(self.first_token_ms)
        return {
            "pipeline": self.name,
            "ingest chunks/s": round(self.ingest_chunks / self.ingest_seconds, 1) if self.ingest_seconds else None,
            "encoders chunks/s": round(self.ingest_chunks / self.encode_seconds, 1) if self.encode_seconds else None,
            "ingest / encoders": (
                round(self.encode_seconds / self.ingest_seconds, 2) if self.ingest_seconds and self.encode_seconds
                else None
            ),
            "retrieve p50 ms": _round(retrieve["p50_ms"]),
            "retrieve p95 ms": _round(retrieve["p95_ms"]),
            "answer p50 ms": _round(total["p50_ms"]),
            "answer p95 ms": _round(total["p95_ms"]),
            "first token p50 ms": _round(first["p50_ms"]),
            "accuracy": _mean(self.scores),
            "refusal recall": _mean([float(x) for x in self.refused_right]),
            "false refusals": _mean([float(x) for x in self.false_refusals]),
            "n": len(self.scores),
        }


def _round(value: float) -> float | None:
    return None if value != value else round(value, 1)  # NaN: nothing measured


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


class PlainRag:
    """The tutorial pipeline over the same documents."""

    def __init__(self, client: Any, minilm: Embeddings, llm: BaseChatModel | None) -> None:
        self.collection = client.create_collection(f"peer-{uuid.uuid4().hex[:8]}")
        self.minilm = minilm
        self.llm = llm
        self.encode_seconds = 0.0

    def ingest(self, texts: list[tuple[str, str]]) -> int:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = [(doc_id, piece) for doc_id, text in texts for piece in splitter.split_text(text)]
        started = time.perf_counter()
        vectors = self.minilm.embed_documents([piece for _, piece in chunks])
        self.encode_seconds = time.perf_counter() - started
        for start in range(0, len(chunks), 1000):
            batch = chunks[start : start + 1000]
            self.collection.add(
                ids=[f"{doc}#{i + start}" for i, (doc, _) in enumerate(batch)],
                documents=[piece for _, piece in batch],
                embeddings=vectors[start : start + 1000],
                metadatas=[{"doc_id": doc} for doc, _ in batch],
            )
        return len(chunks)

    def retrieve(self, question: str) -> list[str]:
        hits = self.collection.query(query_embeddings=[self.minilm.embed_query(question)], n_results=4)
        return list(hits["documents"][0])

    def stream(self, question: str, context: list[str]) -> Any:
        assert self.llm is not None
        prompt = RAG_PROMPT.format(question=question, context="\n\n".join(context))
        return self.llm.stream([HumanMessage(prompt)])


def peer_refused(text: str) -> bool:
    folded = text.lower()
    return not folded.strip() or any(marker in folded for marker in PEER_REFUSALS)


def run(
    settings: Any,
    encoders: dict[str, Embeddings],
    corpus: list[Path],
    records: list[Any],
    generators: list[str],
    llm_questions: int,
) -> list[dict[str, Any]]:
    """Every figure for both pipelines. Extractive answers run over every question; the local
    model over the first `llm_questions` of them, for both pipelines alike."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.components import build_assistant, build_encoders, build_llm, build_store
    from assistant.text.language import detect_language
    from evals.runner import score_answer
    from ingest.load import iter_files, load_file
    from ingest.pipeline import run_ingest

    rows: list[dict[str, Any]] = []
    with temp_dir("bench-compare") as tmp:
        ours_settings = settings.model_copy(update={"data_dir": tmp / "ours", "collection": "compare"})
        ingest_encoders = build_encoders(ours_settings, purpose="ingest")
        store = build_store(ours_settings, ingest_encoders)
        for encoder in ingest_encoders.values():  # model loading is not ingest throughput
            encoder.embed_documents(["warm-up"])
        detect_language("Loading the language identifier is model loading too.")
        started = time.perf_counter()
        stats = run_ingest(corpus, store, ingest_encoders, chunk_size=settings.chunk_size,
                           chunk_overlap=settings.chunk_overlap, progress=False)
        ours_ingest = (stats.chunks_written, time.perf_counter() - started, _encoders_alone(store, ingest_encoders))

        client = chromadb.PersistentClient(path=str(tmp / "peer"), settings=ChromaSettings(anonymized_telemetry=False))
        llm = build_llm(settings, "local") if "local" in generators else None
        peer = PlainRag(client, ingest_encoders["minilm"], llm)
        # The peer reads the same cleaned documents (generous: a tutorial loader keeps web boilerplate).
        texts = [
            (doc.doc_id, doc.text)
            for root in corpus
            for path in iter_files(root)
            for doc in load_file(path, root).documents
        ]
        started = time.perf_counter()
        peer_chunks = peer.ingest(texts)
        peer_ingest = (peer_chunks, time.perf_counter() - started, peer.encode_seconds)
        peer.minilm = encoders["minilm"]  # queries on the serving encoder, like ours

        for generator in generators:
            assistant = build_assistant(ours_settings, generator, encoders=encoders, store=store,
                                        llm=llm if generator == "local" else None)
            if generator == "local":
                assistant.generator.name = "local"
            assistant.warm()
            questions = records if generator == "extractive" else records[:llm_questions]
            ours = SideResult(f"ours, {generator}", *ours_ingest)
            for record in questions:
                begun = time.perf_counter()
                first: float | None = None
                answer = None
                for event in assistant.stream(record.question):
                    if event.kind == "token" and first is None:
                        first = time.perf_counter()
                    if event.kind == "done":
                        answer = event.answer
                assert answer is not None
                ours.total_ms.append((time.perf_counter() - begun) * 1000)
                ours.retrieve_ms.append(answer.timings_ms.retrieve)
                if first is not None:
                    ours.first_token_ms.append((first - begun) * 1000)
                _score(ours, record, answer.answer, answer.refused, score_answer)
            rows.append(ours.row())
            if generator != "local":
                continue
            theirs = SideResult("plain LangChain RAG, local", *peer_ingest)
            for record in questions:
                begun = time.perf_counter()
                context = peer.retrieve(record.question)
                theirs.retrieve_ms.append((time.perf_counter() - begun) * 1000)
                text, first = "", None
                for chunk in peer.stream(record.question, context):
                    if first is None and str(chunk.content).strip():
                        first = time.perf_counter()
                    text += str(chunk.content)
                theirs.total_ms.append((time.perf_counter() - begun) * 1000)
                if first is not None:
                    theirs.first_token_ms.append((first - begun) * 1000)
                _score(theirs, record, text, peer_refused(text), score_answer)
            rows.append(theirs.row())
            rows.append(_ratio(rows[-2], rows[-1]))
    return rows


def _encoders_alone(store: Any, encoders: dict[str, Embeddings]) -> float:
    """Seconds the ingest encoders take on exactly the chunks ingest gave them (each encoder on
    the chunks its collection holds, in ingest's pieces), with nothing else around them: the
    encoders' own rate, which ingest end to end is compared with."""
    from assistant.index.store import passage_for_embedding
    from ingest.pipeline import encode_chunks

    chunks = list(store.iter_chunks())
    inputs = [passage_for_embedding(str(c.metadata.get("title", "")), c.text) for c in chunks]
    started = time.perf_counter()
    encode_chunks(store, encoders, inputs, [dict(c.metadata) for c in chunks])
    return time.perf_counter() - started


def _score(side: SideResult, record: Any, text: str, refused: bool, score_answer: Any) -> None:
    side.scores.append(score_answer(record, text, refused))
    if record.answerable:
        side.false_refusals.append(refused)
    else:
        side.refused_right.append(refused)


def _ratio(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"pipeline": "ours / plain"}
    for key, value in ours.items():
        other = theirs.get(key)
        if key == "pipeline" or not isinstance(value, int | float) or not isinstance(other, int | float) or not other:
            row[key] = None
        else:
            row[key] = round(value / other, 2)
    return row
