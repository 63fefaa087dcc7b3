"""The answering core: question -> retrieval -> refusal gate -> evidence -> generator -> checked,
cited answer.

`Assistant` takes its parts as arguments (retriever, generator, support checker, refusal policy)
and reads no settings or environment. `answer()` returns an Answer; `stream()` yields events:
`token` pieces as the generator writes them, then `citations`, then `done` with the final Answer,
whose text is authoritative (sentences whose cited passage does not support them are removed after
streaming). `run()` also returns the Retrieval the answer came from (for evaluation).

Where things are decided: refusals in assistant/answer/refusal.py, citation numbering in
assistant/answer/citations.py (`number_sources`), what the model reads in assistant/answer/evidence.py.
"""

from __future__ import annotations

import glob
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from langchain_core.embeddings import Embeddings

from assistant.answer.citations import (
    CitedSentence,
    MarkerStream,
    normalize_markers,
    number_sources,
    parse_sentences,
    render,
    strip_markers,
)
from assistant.answer.evidence import (
    DocumentPassage,
    ScoredSentence,
    SentenceVectors,
    best_chunk,
    focus_documents,
    is_heading,
    merge_by_document,
    render_evidence,
    score_sentences,
    select_evidence,
)
from assistant.answer.followup import Followup, rule_followup
from assistant.answer.generators import GenerationInput, Generator
from assistant.answer.polarity import confirming_sentence, contradicting_sentence
from assistant.answer.prompts import NOT_FOUND, framed_quote, partial_refusal, refusal
from assistant.answer.refusal import RefusalPolicy
from assistant.answer.shape import compact_list, lead_with_count
from assistant.answer.support import SupportChecker
from assistant.errors import InvalidInputError, QuestionTooLongError
from assistant.index.retrieval import HybridRetriever, Passage, Retrieval
from assistant.models import Answer, Filters, Source, Timings, Turn
from assistant.text.language import detect_language
from assistant.text.question import NO, YES, is_choice, no_word, question_kind, question_parts
from assistant.text.tokenize import keyword_tokens, numbers_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamEvent:
    kind: Literal["token", "citations", "done"]
    text: str = ""
    answer: Answer | None = None
    retrieval: Retrieval | None = None


@dataclass(frozen=True)
class Limits:
    max_question_chars: int
    max_history_turns: int
    top_k: int
    evidence_chars: int  # what a model reads of the passages, in characters


_YES_LEADS = {word.lower() for word in YES.values()}
_LEADS = _YES_LEADS | {word.lower() for word in NO.values()}


class Assistant:
    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        support: SupportChecker,
        policy: RefusalPolicy,
        limits: Limits,
        encoder: Embeddings | None = None,
        followup: Callable[[str, list[Turn]], Followup] = rule_followup,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.support = support
        self.policy = policy
        self.limits = limits
        self.encoder = encoder  # multilingual: sentence vectors for evidence and support
        self.followup = followup  # makes a follow-up standalone (assistant/answer/followup.py)

    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Answer:
        return self.run(question, history, filters)[0]

    def run(
        self, question: str, history: list[Turn] | None = None, filters: Filters | None = None, depth: int = 0
    ) -> tuple[Answer, Retrieval]:
        """The answer and the retrieval it came from (ranked `depth` deep, at least top_k)."""
        for event in self.stream(question, history, filters, depth=depth):
            if event.kind == "done":
                assert event.answer is not None
                assert event.retrieval is not None
                return event.answer, event.retrieval
        raise AssertionError("stream ended without a done event")

    def warm(self) -> None:
        """Load every model and index cache the first question would otherwise wait for."""
        for encoder in self.retriever.encoders.values():
            encoder.embed_query("warm-up")
        self.retriever.snapshot()
        self.generator.warm()

    def stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: Filters | None = None,
        depth: int = 0,
    ) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        history = list(history or [])
        question = self._validate(question, history)
        language = detect_language(question)
        followup = self.followup(question, history)
        question = followup.question
        if followup.rewritten:  # the question now says what the conversation did
            history = []
        ranked = self.retriever.search(followup.query, max(depth, self.limits.top_k), filters)
        ranked = replace(ranked, language=language)
        retrieval = ranked.top(self.limits.top_k)
        retrieved = time.perf_counter()
        passages = retrieval.passages
        logger.info(
            "retrieved n=%s evidence=%.3f lang=%s",
            len(passages), max((p.relevance for p in passages), default=0.0), language,
        )
        if not self.policy.has_evidence(retrieval):
            yield from self._refuse(ranked, None, started, retrieved, retrieved)
            return

        kind = question_kind(question)
        parts = question_parts(question)
        part_docs: list[str | None] = []
        if parts is not None:
            retrieval, part_docs = self._retrieve_parts(retrieval, parts, filters)
            passages = retrieval.passages
        documents = focus_documents(
            merge_by_document(passages), retrieval.known_names, keep={d for d in part_docs if d}
        )
        passages = [d.passage for d in documents]
        vectors = SentenceVectors(self.encoder)
        scored = score_sentences(question, passages, vectors, retrieval.query_vectors.get("use"))
        selected = select_evidence(scored, len(passages), self.limits.evidence_chars, per_passage=8)
        request = GenerationInput(
            question=question, language=language, kind=kind, passages=passages,
            evidence=[render_evidence(chosen, _sentence_count(scored, i + 1)) for i, chosen in enumerate(selected)],
            history=history, query_vector=retrieval.query_vectors.get("use"), sentences=vectors, scored=scored,
        )
        marker_stream = MarkerStream(len(passages))
        raw = ""
        held: str | None = ""  # output is held back until it cannot be the NOT_FOUND signal
        first_token: float | None = None
        for piece in self.generator.stream(request):
            raw += piece
            if held is not None:
                held += piece
                probe = held.strip()
                if NOT_FOUND.startswith(probe) or probe.startswith(NOT_FOUND):
                    continue
                piece, held = held, None
            out = marker_stream.feed(piece)
            if out:
                first_token = first_token or time.perf_counter()
                yield StreamEvent("token", out)
        generated = time.perf_counter()
        if held is None:
            tail = marker_stream.flush()
            if tail:
                yield StreamEvent("token", tail)

        if self.policy.said_not_found(raw):
            yield from self._refuse(ranked, retrieval, started, retrieved, generated)
            return
        both = None
        if parts is not None:
            numbers = {d.passage.doc_id: n for n, d in enumerate(documents, start=1)}
            both = Parts(parts[0], parts[1], [numbers.get(d) if d else None for d in part_docs])
        answer, unsupported = self._finalize(
            raw.replace(NOT_FOUND, ""), request, retrieval, documents, vectors, both
        )
        if answer is None:
            yield from self._refuse(ranked, retrieval, started, retrieved, generated, unsupported)
            return
        answer.timings_ms = _timings(started, retrieved, generated, first_token)
        yield StreamEvent("citations")
        yield StreamEvent("done", answer=answer, retrieval=ranked)

    # --- steps -------------------------------------------------------------------------------

    def _validate(self, question: str, history: list[Turn]) -> str:
        question = (question or "").strip()
        if not question:
            raise InvalidInputError("question: must not be empty")
        if len(question) > self.limits.max_question_chars:  # the one length check (API, Slack, CLI)
            raise QuestionTooLongError(
                f"question: {len(question)} characters, the limit is {self.limits.max_question_chars}"
            )
        if len(history) > self.limits.max_history_turns:
            raise InvalidInputError(
                f"history: {len(history)} turns, the limit is {self.limits.max_history_turns}"
            )
        return question

    def _finalize(
        self,
        raw: str,
        request: GenerationInput,
        retrieval: Retrieval,
        documents: list[DocumentPassage],
        vectors: SentenceVectors,
        parts: Parts | None = None,
    ) -> tuple[Answer | None, list[str]]:
        """Check each cited sentence against its passage, drop what is unsupported, and number
        the sources. The answer is None when nothing supported remains or the cited passages never
        name what the question asks about (the caller refuses); the list holds what was dropped."""
        passages = request.passages
        sentences = parse_sentences(normalize_markers(raw, len(passages)))
        lead_markers = list(sentences[0].markers) if sentences else []
        lead = _lead(sentences)
        pairs = [(s.text, passages[m - 1].text) for s in sentences for m in s.markers]
        verdicts = iter(self.support.check(pairs, vectors, request.question))
        restates = _restatement_check(request)
        kept: list[CitedSentence] = []
        unsupported: list[str] = []
        for sentence in sentences:
            if sentence is lead:
                continue
            checked = [m for m in sentence.markers if next(verdicts)]
            if sentence.end == "?" or sentence.end == "？" or restates(sentence.text):
                # A question is not an answer, nor is a sentence that only says the question's
                # words ("The application deadline for the programme is [1].").
                unsupported.append(sentence.text)
                continue
            if not checked:
                # Small models forget markers or cite the wrong number: cite the passage that
                # supports the sentence, or drop it.
                repaired = self._supporting_passage(sentence.text, passages, vectors, request.question)
                checked = [repaired] if repaired is not None else []
            if not checked:
                quote = self._translated_quote(sentence, request, vectors, kept)
                if quote is not None:
                    kept.append(quote)
                    continue
            sentence.markers = checked
            if checked:
                kept.append(sentence)
            else:
                unsupported.append(sentence.text)
        if parts is not None and lead is not None and request.kind == "yesno" and request.scored:
            # each part decided from its own document (a sentence about one part never names the
            # other, which the whole-question checks below would read as a contradiction)
            kept = _check_each_part(lead, kept, request, parts, vectors)
        elif lead is not None and not kept and not unsupported and request.scored:
            # A bare "Yes [1]": the polarity needs the fact that decides it; quote the passage
            # sentence that best answers the question (from the passage the model cited).
            fact = _deciding_sentence(request.scored, lead_markers)
            if fact is not None:
                kept.append(fact)
        elif lead is not None and not kept and request.scored and lead.text.lower() in _YES_LEADS:
            # A "Yes" whose own fact was unsupported (often the question restated): it stands only
            # on a passage sentence that states what the question claims; else the answer refuses.
            kept.extend(_confirming_fact(request, lead_markers))
        if (
            parts is None and lead is not None and request.kind == "yesno" and lead.text.lower() in _YES_LEADS
            and request.scored
        ):
            kept = _check_yes(lead, kept, lead_markers, request)
        cited = [passages[m - 1] for m in dict.fromkeys(m for s in kept for m in s.markers)]
        near_miss = bool(cited) and self.policy.near_miss(retrieval.known_names, cited)
        if not cited or near_miss:
            logger.info(
                "refusing: supported=%s near_miss=%s n_unsupported=%s", bool(cited), near_miss, len(unsupported)
            )
            return None, unsupported
        if request.kind == "list":
            kept = compact_list(kept, request.language)
        if request.kind == "number":
            kept = lead_with_count(request.question, kept, request.language)
        if lead is not None:
            kept.insert(0, lead)
        numbering, citations = number_sources(kept, passages, lambda m, text: best_chunk(documents[m - 1], text))
        answer = Answer(
            answer=render(kept, numbering), citations=citations, refused=False, language=request.language,
            generator=self.generator.name, unsupported=unsupported,
        )
        return answer, unsupported

    def _retrieve_parts(
        self, retrieval: Retrieval, parts: tuple[list[str], str], filters: Filters | None
    ) -> tuple[Retrieval, list[str | None]]:
        """A question about two things ("Do both A and B ...?") is searched once per thing: the
        document each part names (its best match for the part alone), and that document's chunk
        best matching the part and what is asked, are added to the passages when missing. One
        search for the whole question often finds only one of the two documents."""
        names, predicate = parts
        passages = list(retrieval.passages)
        found: list[str | None] = []
        for part in names:
            hits = self.retriever.search(part, 3, filters).passages
            if not hits:
                found.append(None)
                continue
            doc_id = hits[0].doc_id
            found.append(doc_id)
            only = (filters or Filters()).model_copy(update={"sources": [glob.escape(doc_id)]})
            chunks = self.retriever.search(f"{part} {predicate}", 1, only).passages or hits[:1]
            known = {p.chunk_id for p in passages}
            passages.extend(c for c in chunks if c.doc_id == doc_id and c.chunk_id not in known)
        return replace(retrieval, passages=passages), found

    def _supporting_passage(
        self, claim: str, passages: list[Passage], vectors: SentenceVectors, question: str
    ) -> int | None:
        verdicts = self.support.check([(claim, p.text) for p in passages], vectors, question)
        return next((i for i, ok in enumerate(verdicts, start=1) if ok), None)

    def _translated_quote(
        self, sentence: CitedSentence, request: GenerationInput, vectors: SentenceVectors, kept: list[CitedSentence]
    ) -> CitedSentence | None:
        """For an answer sentence in another language than its passages that none supports word
        for word (a Chinese sentence from English or French pages shares no words or names with
        them; its names are transliterated): the passage sentence it translates, quoted and framed
        in the question's language. The quote is what the document says, so a mistranslated name
        ("阿拉木图" for Aktau) is corrected by it; no close sentence, no quote."""
        if request.scored is None or not vectors.available:
            return None
        quote = translated_sentence(
            sentence.text, request, vectors, sentence.markers, self.support.min_crosslingual_similarity
        )
        if quote is None:
            return None
        passage = request.passages[quote.passage - 1]
        framed = framed_quote(request.language, passage.language, quote.text.strip().rstrip(".!。"))
        if framed is None or any(framed == s.text for s in kept):
            return None
        return CitedSentence(framed, [quote.passage], "")

    def _refuse(
        self,
        ranked: Retrieval,
        retrieval: Retrieval | None,
        started: float,
        retrieved: float,
        generated: float,
        unsupported: list[str] | None = None,
    ) -> Iterator[StreamEvent]:
        """A refusal in the question's language. When the documents are about what was asked
        (a passage names everything the question names), say so and cite that passage."""
        language = ranked.language
        topic = self.policy.topic(retrieval) if retrieval is not None else None
        citations: list[Source] = []
        if topic is not None:
            text = partial_refusal(language, topic.title)
            _, citations = number_sources([CitedSentence(text, [1])], [topic])
        else:
            text = refusal(language)
        yield StreamEvent("token", text)
        yield StreamEvent("citations")
        yield StreamEvent(
            "done",
            answer=Answer(
                answer=text, citations=citations, refused=True, language=language, generator=self.generator.name,
                timings_ms=_timings(started, retrieved, generated, None), unsupported=unsupported or [],
            ),
            retrieval=ranked,
        )


def _lead(sentences: list[CitedSentence]) -> CitedSentence | None:
    """The yes/no word that leads the answer: a first sentence that is only "Yes." / "Non.", or
    the "Yes," opening a sentence (split off, so the support check sees only the fact)."""
    if not sentences:
        return None
    first = sentences[0]
    if first.text.strip().rstrip(",").lower() in _LEADS:
        first.text = first.text.strip().rstrip(",")
        first.markers = []
        first.end = first.end or "."
        return first
    word, _, rest = first.text.partition(",")
    if word.strip().lower() in _LEADS and rest.strip():
        rest = rest.strip()
        first.text = rest[0].upper() + rest[1:]
        lead = CitedSentence(word.strip(), [], ".")
        sentences.insert(0, lead)
        return lead
    return None


def _restatement_check(request: GenerationInput) -> Callable[[str], bool]:
    """Whether an answer sentence says nothing but the question's words. Not for a yes/no question
    (its fact restates the claim; the polarity checks decide it) nor for one that offers its
    answers ("Which of A or B ...?")."""
    if request.kind == "yesno" or is_choice(request.question):
        return lambda sentence: False
    asked = set(keyword_tokens(request.question))

    def restates(sentence: str) -> bool:
        said = set(keyword_tokens(strip_markers(sentence)))
        return bool(said) and said <= asked

    return restates


def _check_yes(
    lead: CitedSentence, kept: list[CitedSentence], lead_markers: list[int], request: GenerationInput
) -> list[CitedSentence]:
    """A "Yes" that a deciding passage sentence contradicts (another place, name or figure than the
    question's, a negation, an opposite) becomes "No" with that sentence as the fact; the model's
    own sentences, restatements of the question as a rule, are dropped."""
    assert request.scored is not None
    cited = {m for s in kept for m in s.markers} | set(lead_markers)
    contrary = contradicting_sentence(request.question, request.scored, _cited_texts(request, cited))
    if contrary is None:
        return kept
    logger.info("yes/no: the evidence contradicts the claim; answering no")
    lead.text = no_word(request.language)
    return [_quoted(contrary)]


@dataclass(frozen=True)
class Parts:
    """The two things a question asks about, what it asks of both, and the passage (1-based, None
    when not found) that is about each."""

    names: list[str]
    predicate: str
    passages: list[int | None]

    def question(self, i: int) -> str:
        return f"{self.names[i]} {self.predicate}"


def _check_each_part(
    lead: CitedSentence, kept: list[CitedSentence], request: GenerationInput, parts: Parts, vectors: SentenceVectors
) -> list[CitedSentence]:
    """"Do both A and B ...?" is answered part by part, each from the passage about it: a sentence of
    A's (or B's) passage that contradicts what is asked of it makes the answer "No" with that
    sentence; "Yes" stands only when each part's passage states what is asked (its sentence that
    states it best is quoted for each), or the model's own supported sentences cite each part's
    passage. Otherwise the answer refuses (nothing kept)."""
    statements: list[ScoredSentence | None] = []
    for i, number in enumerate(parts.passages):
        if number is None:
            statements.append(None)
            continue
        question = parts.question(i)
        scored = [s for s in _rescored(question, request, vectors) if s.passage == number]
        contrary = contradicting_sentence(question, scored, {number: request.passages[number - 1].text})
        if contrary is not None:
            logger.info("yes/no: part %s is contradicted; answering no", i + 1)
            lead.text = no_word(request.language)
            return [_quoted(contrary)]
        statements.append(_stating_sentence(parts.predicate, number, request, vectors))
    if lead.text.lower() not in _YES_LEADS:
        return kept
    if all(s is not None for s in statements):
        return [_quoted(s) for s in statements if s is not None]
    cited = {m for s in kept for m in s.markers}
    if all(n is not None and n in cited for n in parts.passages):
        return kept  # the model's own supported sentences cite each part's passage
    logger.info("yes/no: a part of the question is not supported; refusing")
    return []


# A part's passage states what is asked of it when one of its statements holds half the IDF weight
# of the asked words, or (a paraphrase, another language) is this close to them under the encoder.
_PART_LEXICAL = 0.5
_PART_SEMANTIC = 0.3


def _stating_sentence(
    predicate: str, number: int, request: GenerationInput, vectors: SentenceVectors
) -> ScoredSentence | None:
    """The statement of passage `number` that best states `predicate` (what a two-part question
    asks of each part), when it states it."""
    candidates = [
        s for s in _rescored(predicate, request, vectors)
        if s.passage == number and _is_fact(s.text)
    ]
    stating = [s for s in candidates if s.lexical >= _PART_LEXICAL or s.semantic >= _PART_SEMANTIC]
    return max(stating, key=lambda s: s.match) if stating else None


def _rescored(question: str, request: GenerationInput, vectors: SentenceVectors) -> list[ScoredSentence]:
    vector = vectors.of([question])[0] if vectors.available else None
    return score_sentences(question, request.passages, vectors, vector)


def _confirming_fact(request: GenerationInput, markers: list[int]) -> list[CitedSentence]:
    assert request.scored is not None
    fact = confirming_sentence(request.question, request.scored, _cited_texts(request, set(markers)))
    return [_quoted(fact)] if fact is not None else []


def _cited_texts(request: GenerationInput, cited: set[int]) -> dict[int, str]:
    """Passage number -> text, for the cited passages (every passage when none was cited)."""
    numbers = cited or set(range(1, len(request.passages) + 1))
    return {m: request.passages[m - 1].text for m in numbers}


def _quoted(sentence: ScoredSentence) -> CitedSentence:
    """A passage sentence as an answer sentence citing its passage."""
    text = sentence.text.strip()
    end = text[-1] if text[-1] in ".!。" else "."
    return CitedSentence(text.rstrip(".!。"), [sentence.passage], end)


def _deciding_sentence(scored: list[ScoredSentence], markers: list[int]) -> CitedSentence | None:
    """The best-matching sentence of the cited passages (all passages when none was cited)."""
    pool = [s for s in scored if not markers or s.passage in markers] or scored
    statements = [s for s in pool if _is_fact(s.text)]
    if not statements:
        return None
    return _quoted(max(statements, key=lambda s: s.match))


def translated_sentence(
    claim: str, request: GenerationInput, vectors: SentenceVectors, markers: list[int], min_similarity: float
) -> ScoredSentence | None:
    """The statement of the cited passages (all passages when none was cited) in another language
    than `claim` that is closest to it in meaning, when it is at least `min_similarity` close."""
    language = detect_language(claim, default=request.language)
    dated = request.kind == "date"  # the quote must hold the date ("monthlong" answers how long)
    pool = [
        s for s in request.scored
        if (not markers or s.passage in markers)
        and request.passages[s.passage - 1].language not in ("", language)
        and _is_fact(s.text) and not is_heading(s.text)
        and (not dated or numbers_in(s.text, words=True))
    ]
    if not pool:
        return None
    claim_vector = vectors.of([strip_markers(claim)])[0]
    similarities = vectors.of([s.text for s in pool]) @ claim_vector
    best = int(similarities.argmax())
    return pool[best] if float(similarities[best]) >= min_similarity else None


def _is_fact(text: str) -> bool:
    """A passage sentence an answer may quote as its fact: five words or more, not a lead-in to a
    list ("… in three areas:")."""
    return len(text.split()) >= 5 and not text.rstrip().endswith(":")


def _sentence_count(scored: list[ScoredSentence], passage: int) -> int:
    return sum(1 for s in scored if s.passage == passage)


def _timings(started: float, retrieved: float, generated: float, first_token: float | None) -> Timings:
    now = time.perf_counter()
    return Timings(
        retrieve=round((retrieved - started) * 1000, 1),
        generate=round((generated - retrieved) * 1000, 1),
        total=round((now - started) * 1000, 1),
        first_token=round((first_token - started) * 1000, 1) if first_token else None,
    )
