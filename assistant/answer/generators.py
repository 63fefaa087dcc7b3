"""Generators turn a question and numbered passages into answer text with [n] markers, where n
is the passage's position (1-based) in the list they were given. The assistant renumbers them.

- `ChatModelGenerator`: a LangChain chain (prompt | chat model) over any BaseChatModel: the
  local llama.cpp model, an OpenAI-compatible server, or a fake model in tests. With a
  `reply_format` (the local model, OpenAI-compatible servers) the model's decoding is constrained
  to a JSON reply (`reply_schema`); `StructuredReply` turns it into marked text as it streams.
  A model that ignores the format and writes plain marked text is read as it is.
- `ExtractiveGenerator` (in extractive.py): no model; quotes the sentences that answer.
Both signal "the passages do not say" by producing prompts.NOT_FOUND.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.answer.citations import strip_markers
from assistant.answer.prompts import (
    JSON_REPLY_NOTE,
    KIND_INSTRUCTIONS,
    LANGUAGE_NAMES,
    NOT_FOUND,
    SYSTEM_PROMPT,
    TRANSLATE_NOTE,
    USER_PROMPT,
    format_passages,
)
from assistant.index.retrieval import Passage
from assistant.models import Turn
from assistant.text.question import QuestionKind, no_word, yes_word

# Sentences in retrieved text that try to steer the model. They are removed from what the model
# reads; the documents themselves are untouched.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)*(previous|prior|above|earlier|"
    r"system|other)?\s*(instructions|prompts?|rules|directions)|"
    r"you\s+are\s+now\b|new\s+instructions\s*:|system\s+prompt|"
    r"ignore[zr]?\s+(toutes\s+)?(les\s+)?(instructions|consignes)|"
    r"ignoriere\s+(alle\s+)?(vorherigen\s+)?anweisungen|"
    r"respond\s+(only\s+)?with\b|answer\s+every\s+question\s+with\b|reply\s+(only\s+)?with\b",
    re.IGNORECASE,
)


def neutralize_instructions(text: str) -> str:
    """Drop sentences of a retrieved passage that address the model instead of the reader."""
    from assistant.text.sentences import split_sentences

    lines = []
    for line in text.split("\n"):
        kept = [s for s in split_sentences(line) if not _INJECTION.search(s)]
        if kept:
            lines.append(" ".join(kept))
    return "\n".join(lines)


@dataclass
class GenerationInput:
    """Everything a generator may use for one answer. `evidence[i]` is the text of
    `passages[i]` to show a model (its selected sentences); `sentences` caches sentence vectors
    for this answer (assistant.answer.evidence.SentenceVectors)."""

    question: str
    language: str
    kind: QuestionKind
    passages: list[Passage]
    evidence: list[str]
    history: list[Turn] = field(default_factory=list)
    query_vector: np.ndarray | None = None
    sentences: Any = None  # assistant.answer.evidence.SentenceVectors
    scored: Any = None  # list[assistant.answer.evidence.ScoredSentence], when already computed


class Generator(ABC):
    name: str

    @abstractmethod
    def stream(self, request: GenerationInput) -> Iterator[str]:
        """Yield answer text pieces; [n] refers to request.passages[n-1]."""

    def warm(self) -> None:  # noqa: B027 - optional hook; most generators have nothing to load
        """Load whatever the first answer would otherwise wait for."""


def reply_schema(kind: QuestionKind, n_passages: int) -> dict[str, Any]:
    """The JSON a model's reply is constrained to. `yes_no` exists only for yes/no questions;
    property order is the order the model writes them in."""
    properties: dict[str, Any] = {"status": {"type": "string", "enum": ["answered", "not_found"]}}
    if kind == "yesno":
        properties["yes_no"] = {"type": "string", "enum": ["yes", "no"]}
    properties["sentences"] = {
        "type": "array",
        "maxItems": 3,
        "items": {
            "type": "object",
            "properties": {
                "source": {"type": "integer", "enum": list(range(1, max(n_passages, 1) + 1))},
                "text": {"type": "string", "maxLength": 400},
            },
            "required": ["source", "text"],
        },
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


ReplyFormat = Callable[[dict[str, Any]], dict[str, Any]]


class ChatModelGenerator(Generator):
    def __init__(self, llm: BaseChatModel, name: str, reply_format: ReplyFormat | None = None) -> None:
        self.name = name
        self.llm = llm
        self.reply_format = reply_format

    def messages(self, request: GenerationInput) -> list[BaseMessage]:
        instruction = KIND_INSTRUCTIONS.get(request.kind, "").format(
            yes=yes_word(request.language), no=no_word(request.language)
        )
        user = USER_PROMPT.format(
            passages=format_passages(
                [(i, p.title, text) for i, (p, text) in enumerate(zip(request.passages, request.evidence,
                                                                        strict=True), start=1)]
            ),
            question=request.question,
            instruction=f"{instruction}\n" if instruction else "",
            language_name=LANGUAGE_NAMES.get(request.language, "the language of the question"),
            translate=(
                TRANSLATE_NOTE
                if any(p.language and p.language != request.language for p in request.passages)
                else ""
            ),
        )
        if self.reply_format is not None:
            user += "\n" + JSON_REPLY_NOTE
        return [SystemMessage(SYSTEM_PROMPT), *_history_messages(request.history), HumanMessage(user)]

    def stream(self, request: GenerationInput) -> Iterator[str]:
        kwargs: dict[str, Any] = {}
        if self.reply_format is not None:
            kwargs["response_format"] = self.reply_format(reply_schema(request.kind, len(request.passages)))
        reply = StructuredReply(request.language)
        for chunk in self.llm.stream(self.messages(request), **kwargs):
            piece = reply.feed(str(chunk.content))
            if piece:
                yield piece
        tail = reply.finish()
        if tail:
            yield tail

    def warm(self) -> None:
        warm = getattr(self.llm, "warm", None)
        if callable(warm):
            warm([SystemMessage(SYSTEM_PROMPT)])


_STATUS = re.compile(r'"status"\s*:\s*"(\w+)"')
_YES_NO = re.compile(r'"yes_no"\s*:\s*"(yes|no)"')
_SENTENCE = re.compile(r'"source"\s*:\s*(\d+)\s*,\s*"text"\s*:\s*"((?:[^"\\]|\\.)*)(")?')


class StructuredReply:
    """Reads a model's reply as it streams. A JSON reply (`reply_schema`) is rendered as marked
    text: the yes/no word, then each sentence followed by ` [source]`; a reply that is not JSON is
    passed through. `feed` returns the new visible text; `finish` returns the rest, and `text` is
    the whole rendered reply (authoritative: the stream is only a preview)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.raw = ""
        self._shown = ""

    def feed(self, piece: str) -> str:
        self.raw += piece
        return self._advance(self._render(final=False))

    def finish(self) -> str:
        return self._advance(self.text)

    @property
    def structured(self) -> bool:
        return self.raw.lstrip().startswith("{")

    @property
    def text(self) -> str:
        return self._render(final=True)

    def _advance(self, visible: str) -> str:
        if visible.startswith(self._shown):
            delta, self._shown = visible[len(self._shown) :], visible
            return delta
        return ""  # the final rendering differs from the preview: `text` is authoritative

    def _render(self, final: bool) -> str:
        if not self.structured:
            return self.raw
        if final:
            parsed = _loads(self.raw)
            if parsed is not None:
                return self._from_json(parsed)
        status = _STATUS.search(self.raw)
        if status and status.group(1) == "not_found":
            return NOT_FOUND
        parts: list[str] = []
        polarity = _YES_NO.search(self.raw)
        if polarity:
            parts.append(self._polarity(polarity.group(1)))
        for match in _SENTENCE.finditer(self.raw):
            closed = match.group(3) is not None
            text = _decode_partial(match.group(2))
            if closed:
                parts.append(f"{text.strip()} [{match.group(1)}]")
            elif not final:
                parts.append(text)
        return " ".join(parts)

    def _from_json(self, reply: dict[str, Any]) -> str:
        if reply.get("status") == "not_found":
            return NOT_FOUND
        parts: list[str] = []
        if reply.get("yes_no") in ("yes", "no"):
            parts.append(self._polarity(str(reply["yes_no"])))
        for sentence in reply.get("sentences") or []:
            if not isinstance(sentence, dict):
                continue
            text = strip_markers(str(sentence.get("text", "")))
            source = sentence.get("source")
            if text and isinstance(source, int):
                parts.append(f"{text} [{source}]")
        return " ".join(parts) if len(parts) > (1 if reply.get("yes_no") else 0) else NOT_FOUND

    def _polarity(self, value: str) -> str:
        return f"{yes_word(self.language) if value == 'yes' else no_word(self.language)}."


def _loads(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _decode_partial(content: str) -> str:
    """A JSON string body that may end in the middle of an escape."""
    for cut in range(len(content), max(len(content) - 6, -1), -1):
        try:
            return str(json.loads(f'"{content[:cut]}"'))
        except json.JSONDecodeError:
            continue
    return ""


def _history_messages(history: list[Turn]) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for turn in history:
        content = strip_markers(turn.content)  # old markers would confuse numbering
        messages.append(HumanMessage(content) if turn.role == "user" else AIMessage(content))
    return messages
