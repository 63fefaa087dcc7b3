"""Composition root: the one module that names the concrete encoders, Chroma client and LLM."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.answer.chain import Assistant, Limits
from assistant.answer.extractive import ExtractiveGenerator
from assistant.answer.followup import FollowupRewriter
from assistant.answer.generators import ChatModelGenerator, Generator, ReplyFormat
from assistant.answer.refusal import RefusalPolicy
from assistant.answer.support import SupportChecker
from assistant.cpu import apply_cpu_budget, cpu_budget, limit_blas_threads, process_slots
from assistant.errors import GeneratorUnavailableError, InvalidInputError
from assistant.index import minilm_onnx
from assistant.index.embeddings import OnnxMiniLMEncoder, SentenceTransformerEncoder, UniversalSentenceEncoder
from assistant.index.keyword_store import KeywordIndexStore
from assistant.index.retrieval import HybridRetriever
from assistant.index.store import ChunkStore, IndexSpec
from assistant.partners.store import PartnerStore
from assistant.settings import GENERATORS, Settings
from assistant.storage.db import build_engine
from assistant.storage.feedback import FeedbackStore

logger = logging.getLogger(__name__)



def build_encoders(settings: Settings, purpose: Literal["query", "ingest"] = "query") -> dict[str, Embeddings]:
    """The dense encoders. For queries each call runs on one thread (inputs are short, and
    concurrent requests use the other cores); for ingest every call uses the whole CPU budget, as
    that many one-thread shards side by side (assistant/index/embeddings.py). Either way calls
    hold the process's CpuSlots, so they never oversubscribe the cores."""
    budget = cpu_budget(settings.cpu_threads)
    apply_cpu_budget(budget)
    threads = budget if purpose == "ingest" else 1
    # numpy at one BLAS thread: query-time numpy runs on each request's thread (see cpu.py), and
    # ingest's parallelism is its shards, not a BLAS pool spinning between small products.
    limit_blas_threads(1)
    slots = process_slots(budget)
    encoders: dict[str, Embeddings] = {}
    for name in settings.embedders:
        match name:
            case "use":
                encoders[name] = UniversalSentenceEncoder(threads=threads, slots=slots)
            case "minilm" if settings.minilm_runtime == "onnx":
                encoders[name] = OnnxMiniLMEncoder(minilm_onnx_path(settings), threads=threads, slots=slots)
            case "minilm":
                encoders[name] = SentenceTransformerEncoder(threads=threads, slots=slots)
            case _:
                raise ValueError(f"unknown embedder {name!r}; choose from: use, minilm")
    return encoders


def minilm_onnx_path(settings: Settings) -> Path:
    return settings.minilm_onnx_path or settings.models_dir / f"{minilm_onnx.model_id()}.onnx"


def index_spec(settings: Settings, encoders: Mapping[str, Embeddings]) -> IndexSpec:
    return IndexSpec(
        encoders=tuple(sorted((name, getattr(enc, "model_id", name)) for name, enc in encoders.items())),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        english_only=("minilm",) if settings.minilm_english_only and "minilm" in encoders else (),
    )


def build_chroma_client(settings: Settings) -> ClientAPI:
    """HttpClient for a `chroma run` server (settings, or the local one a running `serve` started
    over this data dir: see assistant/index/chroma_local.py); PersistentClient otherwise."""
    from assistant.index.chroma_local import find_local_server

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    local = find_local_server(settings.data_dir)
    if local is not None:
        logger.info("using the local chroma server of serve port=%s", local.port)
        return chromadb.HttpClient(host=local.host, port=local.port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    logger.info("chroma opened path=%s ms=%.0f", settings.chroma_path, (time.perf_counter() - started) * 1000)
    return client


def build_store(settings: Settings, encoders: Mapping[str, Embeddings], client: ClientAPI | None = None) -> ChunkStore:
    return ChunkStore(client or build_chroma_client(settings), settings.collection, index_spec(settings, encoders))


def build_keyword_store(settings: Settings) -> KeywordIndexStore:
    """Where keyword indexes are persisted: the shared SQL store (see assistant/index/keyword_store.py)."""
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
            from assistant.llm.local import LlamaCppChatModel
            from assistant.llm.model_files import MODEL_FILENAME, require_model

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
            return _chat_openai(
                "the openai generator",
                base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                model=settings.openai_model, temperature=0, max_tokens=settings.llm_max_tokens,
                streaming=True,
            )
        case _:
            raise ValueError(f"unknown generator {name!r}; choose from: {', '.join(GENERATORS)}")


def build_judge_llm(settings: Settings) -> BaseChatModel:
    """The chat model `eval --judge` scores faithfulness with (an OpenAI-compatible server)."""
    if not settings.judge_base_url:
        raise GeneratorUnavailableError("eval --judge: set EXCHANGE_ASSISTANT_JUDGE_BASE_URL to a chat server")
    return _chat_openai(
        "eval --judge",
        base_url=settings.judge_base_url, api_key=settings.judge_api_key,
        model=settings.judge_model, temperature=0, max_tokens=120,
    )


def _chat_openai(purpose: str, **options: Any) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise GeneratorUnavailableError(f"{purpose} needs langchain-openai: `pip install -e '.[openai]'`") from exc
    return ChatOpenAI(**options)


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
        followup=FollowupRewriter(
            gen.llm if settings.rewrite_followups and isinstance(gen, ChatModelGenerator) else None
        ),
    )


def build_slack_app(settings: Any, assistant: Any, feedback: Any = None) -> Any:
    """The Bolt app from settings (shared by `slack` and `serve`, which passes its own store)."""
    from assistant.slack.app import create_slack_app, load_channel_scopes

    if settings.slack_bot_token is None:
        raise InvalidInputError("SLACK_BOT_TOKEN: not set (the bot token, xoxb-...)")
    scopes = load_channel_scopes(settings.slack_channel_scopes) if settings.slack_channel_scopes else None
    secret = settings.slack_signing_secret
    return create_slack_app(
        assistant,
        feedback or build_sql_stores(settings).feedback,
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=secret.get_secret_value() if secret is not None else None,
        api_url=settings.slack_api_url,
        channel_scopes=scopes,
        contact=settings.help_contact,
    )
