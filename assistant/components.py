"""Composition root: the one module that names the concrete encoders, Chroma client and LLM."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.chain import Assistant, Limits
from assistant.db import build_engine
from assistant.embeddings import SentenceTransformerEncoder, UniversalSentenceEncoder
from assistant.errors import GeneratorUnavailableError
from assistant.extractive import ExtractiveGenerator
from assistant.feedback import FeedbackStore
from assistant.generators import ChatModelGenerator, Generator
from assistant.partners.store import PartnerStore
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import ChunkStore, IndexSpec
from assistant.support import SupportChecker

logger = logging.getLogger(__name__)

GENERATORS = ("local", "extractive", "openai")


def build_encoders(settings: Settings) -> dict[str, Embeddings]:
    encoders: dict[str, Embeddings] = {}
    for name in settings.embedders:
        match name:
            case "use":
                encoders[name] = UniversalSentenceEncoder()
            case "minilm":
                encoders[name] = SentenceTransformerEncoder()
            case _:
                raise ValueError(f"unknown embedder {name!r}; choose from: use, minilm")
    return encoders


def index_spec(settings: Settings, encoders: dict[str, Embeddings]) -> IndexSpec:
    return IndexSpec(
        encoders=tuple(sorted((name, getattr(enc, "model_id", name)) for name, enc in encoders.items())),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
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


def build_retriever(settings: Settings, store: ChunkStore, encoders: dict[str, Embeddings]) -> HybridRetriever:
    return HybridRetriever(
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
            try:
                import llama_cpp  # noqa: F401
            except ImportError as exc:
                raise GeneratorUnavailableError(
                    "the local generator needs llama-cpp-python: `pip install -e '.[local]'`"
                ) from exc
            return LlamaCppChatModel(
                model_path=str(path), n_ctx=settings.llm_context, n_threads=settings.llm_threads,
                max_tokens=settings.llm_max_tokens,
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


def build_generator(settings: Settings, encoders: dict[str, Embeddings], name: str | None = None) -> Generator:
    name = name or settings.generator
    if name == "extractive":
        return ExtractiveGenerator(encoder=_multilingual(encoders))
    if name not in GENERATORS:
        raise ValueError(f"unknown generator {name!r}; choose from: {', '.join(GENERATORS)}")
    return ChatModelGenerator(build_llm(settings, name), name=name)


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
    client: ClientAPI | None = None,
    llm: BaseChatModel | None = None,
) -> Assistant:
    """Everything wired from settings. `llm` replaces the configured chat model (tests)."""
    encoders = build_encoders(settings)
    store = build_store(settings, encoders, client)
    retriever = build_retriever(settings, store, encoders)
    gen = ChatModelGenerator(llm, name="custom") if llm is not None else build_generator(settings, encoders, generator)
    return Assistant(
        retriever=retriever,
        generator=gen,
        support=SupportChecker(_multilingual(encoders)),
        limits=Limits(
            max_question_chars=settings.max_question_chars,
            max_history_turns=settings.max_history_turns,
            min_relevance=settings.min_relevance,
            min_relevance_crosslingual=settings.min_relevance_crosslingual,
        ),
        top_k=settings.top_k,
    )
