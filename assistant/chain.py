"""The answering core: question -> retrieval -> refusal gate -> generator -> checked, cited answer.

`Assistant` takes its parts as arguments (retriever, generator, support checker) and reads no
settings or environment. `answer()` returns an Answer; `stream()` yields events: `token`
pieces as the generator writes them, then `citations`, then `done` with the final Answer, whose
text is authoritative (sentences whose cited passage does not support them are removed after
streaming).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from assistant.citations import CitedSentence, MarkerStream, normalize_markers, parse_sentences, render
from assistant.entities import mentions_all, mentions_any, question_entities
from assistant.errors import InvalidInputError
from assistant.generators import Generator
from assistant.language import detect_language
from assistant.models import Answer, Filters, Source, Timings, Turn
from assistant.prompts import NOT_FOUND, refusal
from assistant.retrieval import HybridRetriever, Passage
from assistant.support import SupportChecker
from assistant.tokenize import keyword_tokens

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEvent:
    kind: Literal["token", "citations", "done"]
    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class Limits:
    max_question_chars: int = 2000
    max_history_turns: int = 20
    min_relevance: float = 0.46
    min_relevance_crosslingual: float = 0.35


class Assistant:
    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        support: SupportChecker,
        limits: Limits | None = None,
        top_k: int = 5,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.support = support
        self.limits = limits or Limits()
        self.top_k = top_k

    def warm(self) -> None:
        """Load every model before the first question: each encoder embeds a short query, the
        index snapshot (keyword index, dense samples) is built, and the generator warms if it can."""
        for encoder in self.retriever.encoders.values():
            encoder.embed_query("warm up")
        self.retriever.snapshot()
        warm = getattr(self.generator, "warm", None)
        if callable(warm):
            warm()

    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Answer:
        final: Answer | None = None
        for event in self.stream(question, history, filters):
            if event.kind == "done":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self, question: str, history: list[Turn] | None = None, filters: Filters | None = None
    ) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        question = self._validate(question, history or [])
        history = list(history or [])
        language = detect_language(question)

        passages = self.retriever.retrieve(self._retrieval_query(question, history), self.top_k, filters)
        retrieved = time.perf_counter()
        evidence = max((p.relevance for p in passages), default=0.0)
        # Cosines between a question and a passage in another language run lower than within one
        # language, so each passage is held to the threshold of its language pair.
        strong = any(
            p.relevance
            >= (self.limits.min_relevance if p.language == language else self.limits.min_relevance_crosslingual)
            for p in passages
        )
        names = self._known_names(question)
        # Cross-lingual pairs score lower cosines; a passage naming everything the question names
        # is evidence enough to try (the support check and near-miss guard still apply).
        named = bool(names) and any(mentions_all(names, f"{p.title}\n{p.text}") for p in passages)
        logger.info("retrieved n=%s evidence=%.3f named=%s lang=%s", len(passages), evidence, named, language)
        if not strong and not named:
            yield from self._refuse(language, started, retrieved, retrieved)
            return

        marker_stream = MarkerStream(len(passages))
        raw = ""
        held = ""  # output is held back until it cannot be the NOT_FOUND signal
        for piece in self.generator.stream(question, language, passages, history):
            raw += piece
            if held is not None:
                held += piece
                probe = held.strip()
                if NOT_FOUND.startswith(probe) or probe.startswith(NOT_FOUND):
                    continue
                piece, held = held, None  # type: ignore[assignment]
            out = marker_stream.feed(piece)
            if out:
                yield StreamEvent("token", out)
        generated = time.perf_counter()
        if held is None:
            tail = marker_stream.flush()
            if tail:
                yield StreamEvent("token", tail)

        if NOT_FOUND in raw and len(raw.replace(NOT_FOUND, "").strip(" .\n")) < 20:
            yield from self._refuse(language, started, retrieved, generated)
            return
        answer = self._finalize(names, raw.replace(NOT_FOUND, ""), passages, language)
        answer.timings_ms = _timings(started, retrieved, generated)
        yield StreamEvent("citations")
        yield StreamEvent("done", answer=answer)

    # --- steps -------------------------------------------------------------------------------

    def _validate(self, question: str, history: list[Turn]) -> str:
        question = (question or "").strip()
        if not question:
            raise InvalidInputError("question: must not be empty")
        if len(question) > self.limits.max_question_chars:
            raise InvalidInputError(
                f"question: {len(question)} characters, the limit is {self.limits.max_question_chars}"
            )
        if len(history) > self.limits.max_history_turns:
            raise InvalidInputError(
                f"history: {len(history)} turns, the limit is {self.limits.max_history_turns}"
            )
        return question

    @staticmethod
    def _retrieval_query(question: str, history: list[Turn]) -> str:
        """A short follow-up ("and their students?") is searched together with the previous
        user question, so the topic carries over."""
        previous = [t.content for t in history if t.role == "user"]
        if previous and len(question.split()) <= 12:
            return f"{previous[-1]} {question}"
        return question

    def _finalize(self, names: list[str], raw: str, passages: list[Passage], language: str) -> Answer:
        """Check each cited sentence against its passage, drop what is unsupported, refuse when
        nothing supported remains or the cited passages never name what the question asks about
        (`names`: the question's names known to the index), and renumber the sources by first
        appearance."""
        sentences = parse_sentences(normalize_markers(raw, len(passages)))
        pairs = [(s.text, passages[m - 1].text) for s in sentences for m in s.markers]
        verdicts = iter(self.support.check(pairs))
        kept: list[CitedSentence] = []
        unsupported: list[str] = []
        for sentence in sentences:
            if not sentence.markers:
                # Small models often forget the markers: cite the passage that supports the
                # sentence, or keep it as connective text without a source.
                repaired = self._supporting_passage(sentence.text, passages)
                sentence.markers = [repaired] if repaired is not None else []
                kept.append(sentence)
                continue
            sentence.markers = [m for m in sentence.markers if next(verdicts)]
            if not sentence.markers:
                # Small models often cite the wrong number: cite the passage that does support it.
                repaired = self._supporting_passage(sentence.text, passages)
                if repaired is not None:
                    sentence.markers = [repaired]
            if sentence.markers:
                kept.append(sentence)
            else:
                unsupported.append(sentence.text)
        cited = {m for s in kept for m in s.markers}
        about_something_else = not mentions_any(
            names, [f"{passages[m - 1].title}\n{passages[m - 1].text}" for m in cited]
        )
        if not cited or about_something_else:
            logger.info(
                "refusing: supported=%s near_miss=%s n_unsupported=%s",
                bool(cited), about_something_else, len(unsupported),
            )
            return Answer(
                answer=refusal(language), citations=[], refused=True, language=language,
                generator=self.generator.name, unsupported=unsupported,
            )
        numbering: dict[int, int] = {}
        for sentence in kept:
            for m in sentence.markers:
                numbering.setdefault(m, len(numbering) + 1)
        citations = [
            _source(number, passages[passage - 1])
            for passage, number in sorted(numbering.items(), key=lambda kv: kv[1])
        ]
        return Answer(
            answer=render(kept, numbering), citations=citations, refused=False, language=language,
            generator=self.generator.name, unsupported=unsupported,
        )

    def _known_names(self, question: str) -> list[str]:
        """Names in the question that occur somewhere in the index. Only those can tell one
        programme from another; a capitalised word the corpus never uses (every German noun, a
        name in another script) says nothing about which passage is right."""
        vocabulary = self.retriever.snapshot().keyword.vocab
        return [
            name
            for name in question_entities(question)
            if all(token in vocabulary for token in keyword_tokens(name, drop_stopwords=False))
        ]

    def _supporting_passage(self, claim: str, passages: list[Passage]) -> int | None:
        verdicts = self.support.check([(claim, p.text) for p in passages])
        return next((i for i, ok in enumerate(verdicts, start=1) if ok), None)

    def _refuse(self, language: str, started: float, retrieved: float, generated: float) -> Iterator[StreamEvent]:
        text = refusal(language)
        yield StreamEvent("token", text)
        yield StreamEvent("citations")
        yield StreamEvent(
            "done",
            answer=Answer(
                answer=text, citations=[], refused=True, language=language, generator=self.generator.name,
                timings_ms=_timings(started, retrieved, generated),
            ),
        )


def _source(number: int, passage: Passage) -> Source:
    return Source(
        n=number, doc_id=passage.doc_id, title=passage.title, source=passage.url or passage.source,
        url=passage.url, date=passage.date, language=passage.language, quote=passage.text,
        score=round(passage.score, 6), chunk_id=passage.chunk_id,
    )


def _timings(started: float, retrieved: float, generated: float) -> Timings:
    now = time.perf_counter()
    return Timings(
        retrieve=round((retrieved - started) * 1000, 1),
        generate=round((generated - retrieved) * 1000, 1),
        total=round((now - started) * 1000, 1),
    )
