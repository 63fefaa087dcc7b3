"""A LangChain chat model over llama.cpp (llama-cpp-python), running a local GGUF file.

llama-cpp-python keeps the tokens of the last prompt evaluated and reuses the longest common
prefix, so a fixed system prompt is evaluated once per process (`warm()` does it at start-up).
`response_format` (passed through `stream(..., response_format=...)`) constrains decoding to a
JSON schema with a grammar; generation stops when the JSON is complete."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.cpu import hold

logger = logging.getLogger(__name__)

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class LlamaCppChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 512
    max_tokens: int = 160
    repeat_penalty: float = 1.1  # small models loop on lists ("a; b;;;;") without it
    temperature: float = 0.0
    seed: int = 7

    slots: Any = None  # assistant.cpu.CpuSlots: a generation holds n_threads of them

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _model(self) -> Any:
        if self._llama is None:
            started = time.perf_counter()
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, n_batch=self.n_batch, seed=self.seed, verbose=False,
            )
            logger.info("local model loaded ms=%.0f", (time.perf_counter() - started) * 1000)
        return self._llama

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # llama.cpp contexts are not thread-safe: one generation at a time per model.
        extra = {"response_format": kwargs["response_format"]} if kwargs.get("response_format") else {}
        with self._lock, hold(self.slots, self.n_threads):
            stream = self._model().create_chat_completion(
                messages=self._messages(messages), stream=True, temperature=self.temperature,
                max_tokens=kwargs.get("max_tokens") or self.max_tokens, stop=stop,
                repeat_penalty=self.repeat_penalty, **extra,
            )
            for part in stream:
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk

    def warm(self, messages: list[BaseMessage]) -> None:
        """Load the model and evaluate `messages` (the fixed system prompt) into the KV cache."""
        with self._lock, hold(self.slots, self.n_threads):
            self._model().create_chat_completion(messages=self._messages(messages), max_tokens=1)

