"""Typed settings, read from EXCHANGE_ASSISTANT_* environment variables and .env.

`get_settings()` is called by entry points only (CLI commands, the API lifespan, the Slack
runner); everything below them receives plain values or built objects.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from assistant.partners.access import AccessPolicy

GeneratorName = Literal["local", "extractive", "openai"]
GENERATORS: tuple[GeneratorName, ...] = get_args(GeneratorName)  # the one list of generator names
EmbedderName = Literal["use", "minilm"]


def _default_embedders() -> list[EmbedderName]:
    return ["use", "minilm"]


def _alias(name: str) -> AliasChoices:
    """Accept Slack's usual variable names as well as the prefixed ones."""
    return AliasChoices(name, f"EXCHANGE_ASSISTANT_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EXCHANGE_ASSISTANT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- storage -----------------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="All state: Chroma files, models, feedback, partners.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset means embedded PersistentClient.")
    chroma_port: int = 8000
    collection: str = Field("exchange-programs", description="Base name of the Chroma collections.")
    corpus_dir: Path = Path("corpus")

    # --- CPU -----------------------------------------------------------------------------------
    cpu_threads: int | None = Field(
        None, ge=1,
        description="Compute threads for the encoders' BLAS/torch pools and llama.cpp (one budget: they run one "
        "after another per answer). Unset: the cores this process may use (CPU affinity and cgroup quota). "
        "Never more than those cores. On a bigger machine, run one API process per 2-4 cores instead.",
    )

    # --- embedding and chunking --------------------------------------------------------------
    embedders: Annotated[list[EmbedderName], NoDecode] = Field(
        default_factory=_default_embedders,
        description="Dense encoders, fused with BM25. 'use' = multilingual USE v3, 'minilm' = all-MiniLM-L6-v2.",
    )
    chunk_size: int = Field(600, ge=100, le=4000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(
        75, ge=0, le=1000, description="Characters of trailing whole sentences repeated at the start of the next chunk."
    )

    minilm_english_only: bool = Field(
        False,
        description="Embed and store only English chunks with MiniLM (its fusion weight is zero outside English): "
        "ingest runs it on fewer chunks. Off by default: MiniLM's z-normalisation is then over English chunks only, "
        "which moves fused scores, so fusion weights and refusal thresholds need re-measuring with it "
        "(`eval --baseline`; measured 2026-12-01: aides_fr and uscode unchanged and a French corpus ingested 15x "
        "faster, corpus_dev accuracy 0.602 -> 0.593 with one more false refusal; evals/benchmarks.md). "
        "Recorded in the index: changing it needs `ingest --rebuild`.",
    )
    minilm_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What computes MiniLM's vectors: 'onnx' = ONNX Runtime on the model exported once from the "
        "installed package (half the CPU per query, same vectors at cosine >= 0.9999, evals/benchmarks.md); "
        "'torch' = sentence-transformers. Either reads an index built by the other.",
    )
    minilm_onnx_path: Path | None = Field(
        None,
        description="MiniLM's ONNX file; default <data_dir>/models/<model id>.onnx, exported there at first use "
        "with its sha256 in <file>.sha256.",
    )

    max_file_bytes: int = Field(
        20 * 1024 * 1024, ge=1024,
        description="Ingest refuses a file larger than this (bytes), naming it; the others are still ingested.",
    )

    # --- retrieval ---------------------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=50, description="Passages given to the generator.")
    candidates: int = Field(50, ge=5, le=500, description="Candidates fetched from each ranker before fusion.")
    minilm_share: float = Field(
        0.5, ge=0, le=1, description="MiniLM's share of the dense weight for English questions on English chunks."
    )
    keyword_weight_spaced: float = Field(
        0.25, ge=0, description="BM25 weight for questions in space-separated Latin-script languages."
    )
    keyword_weight_other: float = Field(1.0, ge=0, description="BM25 weight for questions in other languages.")
    min_relevance: float = Field(
        0.46, description="Refuse when no passage in the question's language reaches this dense cosine (0-1)."
    )
    min_relevance_crosslingual: float = Field(
        0.25,
        description="The same threshold for passages in another language than the question. Calibrated on XQuAD "
        "de/es/zh->en: 0.25 keeps 82-88% of answerable questions (0.35 kept 51-55%) and still refuses every "
        "off-topic one.",
    )

    evidence_chars: int = Field(
        1000, ge=200, le=20000,
        description="Characters of passage text a language model reads: the best sentences of the top passages. "
        "1000 (was 1600) cuts the local model's new prompt tokens by a quarter (p50 310 -> 239 on a 30-question "
        "corpus_dev subset, every kind) with no question answered worse (accuracy 0.622 -> 0.700 on it, "
        "evals/benchmarks.md \"llama.cpp build and runtime options\"); prompt evaluation is most of an answer's time.",
    )

    # --- generation --------------------------------------------------------------------------
    generator: GeneratorName = "local"
    model_path: Path | None = Field(None, description="GGUF file; default <data_dir>/models/<model>.gguf.")
    llm_context: int = Field(4096, ge=512)
    llm_max_tokens: int = Field(
        160, ge=16, description="Longest reply in tokens: one to three sentences fit; a runaway reply stops here."
    )
    rewrite_followups: bool = Field(
        False,
        description="Have the chat model rewrite a follow-up that depends on the conversation (\"and how many "
        "attended?\") into a standalone question, one short extra generation. Off by default: on the follow-up "
        "set (evals/datasets/followups.jsonl, local model, 2026-12-01) it scored 0.671 against the rule's 0.682 "
        "and took p50 15.6 s against 9.0 s. Off, a follow-up that refers back is searched together with the "
        "previous question, and one that names its own topic is searched alone.",
    )
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: SecretStr = SecretStr("not-needed")
    openai_model: str = "local"

    # --- eval judge (optional; `exchange-assistant eval --judge`) -------------------------------
    judge_base_url: str | None = Field(None, description="OpenAI-compatible server for the eval's LLM judge.")
    judge_model: str = Field("local", description="Model name the eval judge asks the server for.")
    judge_api_key: SecretStr = SecretStr("not-needed")

    # --- input limits ------------------------------------------------------------------------
    max_question_chars: int = 2000
    max_history_turns: int = 20

    # --- API ---------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: SecretStr | None = Field(None, description="Bearer token for partner administration.")
    database_url: str | None = Field(
        None, description="Feedback/partner store; default sqlite:///<data_dir>/assistant.sqlite3."
    )
    demo_origins: str | None = Field(
        None,
        description="Comma-separated origins allowed for the demo partner of the page at GET /; default "
        "http://127.0.0.1:<port> and http://localhost:<port> (plus http://<host>:<port> for another host); "
        "an empty string disables the demo page.",
    )

    api_tokens: SecretStr | None = Field(
        None,
        description="Service tokens for /v1/ask, /v1/ask/stream, /v1/feedback, sent as `Authorization: Bearer "
        '<token>`: a JSON list [{"name": "crm", "token": "<16+ chars>", "sources": ["public/*"], "rpm": 120}]; '
        "`sources` (default: all documents) and `rpm` (default 60 per minute) are optional.",
    )
    anonymous_access: bool = Field(
        False,
        description="Answer /v1/* requests that carry neither X-Partner-Key nor a service token (rate-limited "
        "per client address by anonymous_rpm). Off: they get 401 authentication_required. `make run` turns it "
        "on for its loopback-only server.",
    )
    anonymous_rpm: int = Field(60, ge=1, description="Requests per minute per client address for anonymous access.")
    body_timeout_seconds: float = Field(
        10.0, gt=0, description="A request body not fully received within this time gets 408 body_timeout."
    )

    # --- Slack -------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_alias("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=_alias("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_alias("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_alias("SLACK_API_URL"))
    slack_channel_scopes: Path | None = Field(
        None, description="JSON file mapping channel id -> {sources, languages} retrieval scope."
    )

    # --- logging -----------------------------------------------------------------------------
    help_contact: str | None = Field(
        None,
        description="Whom to ask when the documents hold no answer, shown under refusals "
        "(e.g. 'the international relations office, intl@city.example'); default 'the exchange-programs team'.",
    )

    log_level: str = "INFO"
    log_json: bool = False
    log_questions: bool = Field(False, description="Log question text at INFO (off: privacy).")

    @field_validator("embedders", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check_api_tokens(self) -> Settings:
        self.access_policy()  # a malformed EXCHANGE_ASSISTANT_API_TOKENS fails at start-up
        return self

    def access_policy(self) -> AccessPolicy:
        from assistant.partners.access import AccessPolicy, parse_api_tokens

        raw = self.api_tokens.get_secret_value() if self.api_tokens is not None else None
        return AccessPolicy(parse_api_tokens(raw), self.anonymous_access, self.anonymous_rpm)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'assistant.sqlite3').resolve()}"

    @property
    def resolved_demo_origins(self) -> list[str]:
        if self.demo_origins is not None:
            return [origin.strip() for origin in self.demo_origins.split(",") if origin.strip()]
        hosts = ["127.0.0.1", "localhost"]
        if self.host not in (*hosts, "0.0.0.0", "::", ""):
            hosts.append(f"[{self.host}]" if ":" in self.host else self.host)
        return [f"http://{host}:{self.port}" for host in hosts]


@lru_cache
def get_settings() -> Settings:
    return Settings()


def _quiet_libraries() -> None:
    """No model-loading progress bars ('Loading weights') nor library INFO chatter."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load_settings(args: Any, *, quiet: bool = True, **overrides: Any) -> Settings:
    """Settings from the environment and .env, with command-line overrides. Entry points only.
    Quiet (warnings only, no library progress bars) unless `-v` or `quiet=False` (serve)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    verbose = bool(getattr(args, "verbose", False))
    if not verbose:
        _quiet_libraries()
    from assistant.log import configure_logging

    settings = get_settings()
    update = {k: v for k, v in overrides.items() if v is not None}
    if getattr(args, "data_dir", None):
        update["data_dir"] = args.data_dir
    if getattr(args, "generator", None):
        update["generator"] = args.generator
    if update:
        settings = settings.model_copy(update=update)
    level = "DEBUG" if verbose else ("WARNING" if quiet else settings.log_level)
    configure_logging(level, settings.log_json, settings.log_questions)
    return settings
