"""Composition root: the one module that names the concrete encoders, Chroma client and LLM."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.chain import Assistant, Limits
from assistant.cpu import apply_cpu_budget, cpu_budget, limit_blas_threads, process_slots
from assistant.db import build_engine
from assistant.embeddings import SentenceTransformerEncoder, UniversalSentenceEncoder
from assistant.errors import GeneratorUnavailableError
from assistant.extractive import ExtractiveGenerator
from assistant.feedback import FeedbackStore
from assistant.generators import ChatModelGenerator, Generator, ReplyFormat
from assistant.keyword_store import KeywordIndexStore
from assistant.partners.store import PartnerStore
from assistant.refusal import RefusalPolicy
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import ChunkStore, IndexSpec
from assistant.support import SupportChecker

logger = logging.getLogger(__name__)

GENERATORS = ("local", "extractive", "openai")


def build_encoders(settings: Settings, purpose: Literal["query", "ingest"] = "query") -> dict[str, Embeddings]:
    """The dense encoders. For queries each call runs on one thread (inputs are short, and
    concurrent requests use the other cores); for ingest every call uses the whole CPU budget.
    Either way calls hold the process's CpuSlots, so they never oversubscribe the cores."""
    budget = cpu_budget(settings.cpu_threads)
    apply_cpu_budget(budget)
    threads = budget if purpose == "ingest" else 1
    if purpose == "query":
        limit_blas_threads(1)  # query-time numpy runs on each request's thread (see cpu.py)
    slots = process_slots(budget)
    encoders: dict[str, Embeddings] = {}
    for name in settings.embedders:
        match name:
            case "use":
                encoders[name] = UniversalSentenceEncoder(threads=threads, slots=slots)
            case "minilm":
                encoders[name] = SentenceTransformerEncoder(threads=threads, slots=slots)
            case _:
                raise ValueError(f"unknown embedder {name!r}; choose from: use, minilm")
    return encoders


def index_spec(settings: Settings, encoders: dict[str, Embeddings]) -> IndexSpec:
    return IndexSpec(
        encoders=tuple(sorted((name, getattr(enc, "model_id", name)) for name, enc in encoders.items())),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        english_only=("minilm",) if settings.minilm_english_only and "minilm" in encoders else (),
    )


def build_chroma_client(settings: Settings) -> ClientAPI:
    """HttpClient for a `chroma run` server (settings, or the local one a running `serve` started
    over this data dir: see assistant/chroma_local.py); PersistentClient otherwise."""
    from assistant.chroma_local import find_local_server

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    local = find_local_server(settings.data_dir)
    if local is not None:
        logger.info("using the local chroma server of serve port=%s", local.port)
        return chromadb.HttpClient(host=local.host, port=local.port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def build_store(settings: Settings, encoders: dict[str, Embeddings], client: ClientAPI | None = None) -> ChunkStore:
    return ChunkStore(client or build_chroma_client(settings), settings.collection, index_spec(settings, encoders))


def build_keyword_store(settings: Settings) -> KeywordIndexStore:
    """Where keyword indexes are persisted: the shared SQL store (see assistant/keyword_store.py)."""
    return KeywordIndexStore(build_engine(settings.resolved_database_url))


def build_retriever(settings: Settings, store: ChunkStore, encoders: dict[str, Embeddings]) -> HybridRetriever:
    return HybridRetriever(
        keywords=build_keyword_store(settings),
        store=store, encoders=encoders, k=settings.top_k, candidates=settings.candidates,
        minilm_share=settings.minilm_share, keyword_weight_spaced=settings.keyword_weight_spaced,
        keyword_weight_other=settings.keyword_weight_other,
    )


def build_llm(settings: Settings, name: str) -> BaseChatModel:
    match name:
        case "local":
            from assistant.llm_local import LlamaCppChatModel
            from assistant.model_files import MODEL_FILENAME, require_model

            path = require_model(settings.model_path or settings.models_dir / MODEL_FILENAME)
            budget = cpu_budget(settings.cpu_threads)
            try:
                import llama_cpp  # noqa: F401
            except ImportError as exc:
                raise GeneratorUnavailableError(
                    "the local generator needs llama-cpp-python: `pip install -e '.[local]'`"
                ) from exc
            return LlamaCppChatModel(
                model_path=str(path), n_ctx=settings.llm_context, n_threads=budget,
                max_tokens=settings.llm_max_tokens, slots=process_slots(budget),
            )
        case "openai":
            try:
                from langchain_openai import ChatOpenAI
            except ImportError as exc:
                raise GeneratorUnavailableError(
                    "the openai generator needs langchain-openai: `pip install -e '.[openai]'`"
                ) from exc
            return ChatOpenAI(
                base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                model=settings.openai_model, temperature=0, max_tokens=settings.llm_max_tokens,
                streaming=True,
            )
        case _:
            raise ValueError(f"unknown generator {name!r}; choose from: {', '.join(GENERATORS)}")


def build_generator(settings: Settings, name: str | None = None) -> Generator:
    name = name or settings.generator
    if name == "extractive":
        return ExtractiveGenerator()
    if name not in GENERATORS:
        raise ValueError(f"unknown generator {name!r}; choose from: {', '.join(GENERATORS)}")
    return ChatModelGenerator(build_llm(settings, name), name=name, reply_format=REPLY_FORMATS.get(name))


def _openai_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


# How a chat model is asked for a reply constrained to a JSON schema: OpenAI's json_schema, which
# vLLM, llama.cpp server and Ollama accept. The local model writes plain marked sentences instead:
# llama-cpp-python applies a grammar to the whole 151k-token vocabulary at every step, which on
# two cores made the first token 60x later (0.7 s -> 43 s, measured on the list question of
# corpus_dev); the support check and NOT_FOUND handle its plain replies.
REPLY_FORMATS: dict[str, ReplyFormat] = {"openai": _openai_format}


def _multilingual(encoders: dict[str, Embeddings]) -> Embeddings | None:
    return encoders.get("use") or next(iter(encoders.values()), None)


@dataclass(frozen=True)
class SqlStores:
    """The feedback and partner stores, sharing one engine (SQLite or PostgreSQL)."""

    feedback: FeedbackStore
    partners: PartnerStore


def build_sql_stores(settings: Settings) -> SqlStores:
    engine = build_engine(settings.resolved_database_url)
    return SqlStores(feedback=FeedbackStore(engine), partners=PartnerStore(engine))


def build_assistant(
    settings: Settings,
    generator: str | None = None,
    *,
    client: ClientAPI | None = None,
    encoders: dict[str, Embeddings] | None = None,
    store: ChunkStore | None = None,
    llm: BaseChatModel | None = None,
) -> Assistant:
    """Everything wired from settings. Overrides: `client` (a Chroma client), `encoders` (already
    loaded models), `store`, `llm` (replaces the configured chat model; tests and benchmarks)."""
    encoders = encoders if encoders is not None else build_encoders(settings)
    store = store or build_store(settings, encoders, client)
    retriever = build_retriever(settings, store, encoders)
    gen = ChatModelGenerator(llm, name="custom") if llm is not None else build_generator(settings, generator)
    multilingual = _multilingual(encoders)
    return Assistant(
        retriever=retriever,
        generator=gen,
        support=SupportChecker(multilingual),
        policy=RefusalPolicy(
            min_relevance=settings.min_relevance, min_relevance_crosslingual=settings.min_relevance_crosslingual
        ),
        limits=Limits(
            max_question_chars=settings.max_question_chars,
            max_history_turns=settings.max_history_turns,
            top_k=settings.top_k,
            evidence_chars=settings.evidence_chars,
        ),
        encoder=multilingual,
    )
