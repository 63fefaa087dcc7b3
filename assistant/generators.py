"""Generators turn a question and numbered passages into answer text with [n] markers, where n
is the passage's position (1-based) in the list they were given. The assistant renumbers them.

- `ChatModelGenerator`: a LangChain chain (prompt | chat model | text) over any BaseChatModel:
  the local llama.cpp model, an OpenAI-compatible server, or a fake model in tests.
- `ExtractiveGenerator` (in extractive.py): no model; quotes the sentences that answer.
Both signal "the passages do not say" by producing prompts.NOT_FOUND.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from assistant.models import Turn
from assistant.prompts import LANGUAGE_NAMES, NOT_FOUND, SYSTEM_PROMPT, USER_PROMPT, format_passages
from assistant.retrieval import Passage

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
    from assistant.sentences import split_sentences

    lines = []
    for line in text.split("\n"):
        kept = [s for s in split_sentences(line) if not _INJECTION.search(s)]
        if kept:
            lines.append(" ".join(kept))
    return "\n".join(lines)


class Generator(ABC):
    name: str

    @abstractmethod
    def stream(
        self, question: str, language: str, passages: list[Passage], history: list[Turn]
    ) -> Iterator[str]:
        """Yield answer text pieces; [n] refers to passages[n-1]."""


class ChatModelGenerator(Generator):
    def __init__(self, llm: BaseChatModel, name: str) -> None:
        self.name = name
        prompt = ChatPromptTemplate.from_messages(
            [("system", SYSTEM_PROMPT), MessagesPlaceholder("history"), ("human", USER_PROMPT)]
        )
        self.chain = prompt | llm | StrOutputParser()

    def stream(
        self, question: str, language: str, passages: list[Passage], history: list[Turn]
    ) -> Iterator[str]:
        inputs = {
            "language_name": LANGUAGE_NAMES.get(language, "the language of the question"),
            "not_found": NOT_FOUND,
            "passages": format_passages(
                [(i, p.title, neutralize_instructions(p.text)) for i, p in enumerate(passages, start=1)]
            ),
            "question": question,
            "history": _history_messages(history),
        }
        yield from self.chain.stream(inputs)


def _history_messages(history: list[Turn]) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for turn in history:
        content = re.sub(r"\s*\[\d+\]", "", turn.content)  # old markers would confuse numbering
        messages.append(HumanMessage(content) if turn.role == "user" else AIMessage(content))
    return messages
