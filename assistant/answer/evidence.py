"""The sentences of the retrieved passages that matter for one question.

`SentenceVectors` embeds each distinct sentence at most once per answer with the multilingual
encoder; the evidence selection, the extractive generator and the support check all read from it.
`select_evidence` scores every sentence of the top passages against the question (its multilingual
similarity and the question's IDF-weighted words it contains) and keeps, per passage, the best
sentences with a neighbour of context, within a character budget: a small model reads a third of
what five whole chunks would cost, and the answering sentence stays in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.index.retrieval import Passage
from assistant.text.entities import question_entities
from assistant.text.sentences import split_sentences
from assistant.text.tokenize import keyword_tokens


class SentenceVectors:
    """Unit vectors of sentences under one encoder, each computed once (per answer)."""

    def __init__(self, encoder: Embeddings | None) -> None:
        self.encoder = encoder
        self._cache: dict[str, np.ndarray] = {}

    @property
    def available(self) -> bool:
        return self.encoder is not None

    def of(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts` (rows in order); the ones not seen before are embedded in one batch."""
        if self.encoder is None:
            raise RuntimeError("no encoder for sentence vectors")
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.encoder.embed_documents(missing), strict=True):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([self._cache[t] for t in texts])


@dataclass
class ScoredSentence:
    passage: int  # 1-based position of the passage in the list given to the generator
    position: int  # index of the sentence within its passage
    text: str
    lexical: float  # share of the question's IDF weight the sentence contains
    semantic: float  # multilingual cosine with the question (0 when no encoder)

    @property
    def match(self) -> float:
        return 0.5 * self.lexical + 0.5 * self.semantic


def passage_sentences(passage: Passage) -> list[str]:
    from assistant.answer.generators import neutralize_instructions

    return split_sentences(neutralize_instructions(passage.text))


def score_sentences(
    question: str,
    passages: list[Passage],
    vectors: SentenceVectors,
    query_vector: np.ndarray | None,
) -> list[ScoredSentence]:
    """Every sentence of `passages`, scored against the question, in passage order."""
    scored: list[ScoredSentence] = []
    for n, passage in enumerate(passages, start=1):
        for position, sentence in enumerate(passage_sentences(passage)):
            scored.append(ScoredSentence(n, position, sentence, 0.0, 0.0))
    if not scored:
        return []
    q_tokens = set(keyword_tokens(question))
    sentence_tokens = [set(keyword_tokens(s.text)) for s in scored]
    # IDF over the candidate sentences: words every sentence shares carry no signal.
    count = len(scored)
    idf = {t: math.log(1 + count / (1 + sum(t in s for s in sentence_tokens))) for t in q_tokens}
    total = sum(idf.values()) or 1.0
    named = {t for name in question_entities(question) for t in keyword_tokens(name)}
    topics = [set(keyword_tokens(p.title)) & named for p in passages]
    for item, tokens in zip(scored, sentence_tokens, strict=True):
        item.lexical = lexical_share(q_tokens, tokens, topics[item.passage - 1], idf) / total
    if vectors.available and query_vector is not None:
        sims = vectors.of([s.text for s in scored]) @ np.asarray(query_vector, dtype=np.float32)
        for item, sim in zip(scored, sims, strict=True):
            item.semantic = float(max(0.0, min(1.0, sim)))
    for item in scored:
        if is_heading(item.text):
            # A heading names a topic and states nothing: it embeds close to any question about
            # that topic, so its similarity counts half (it still shows as context).
            item.semantic *= 0.5
    return scored


_HEADING_MAX_WORDS = 10
_STATEMENT_END = re.compile(r"[.!?:;,。！？：；，)\]\"”»]$")


def is_heading(text: str) -> bool:
    """A short line that ends without punctuation and is neither a list item nor a field
    ("Montant : 400 € par mois"): a title or a section heading ("(c) Membership",
    "CHAPTER 34— THE PEACE CORPS", "Conditions d'attribution")."""
    line = text.strip()
    words = len(line.split()) + len(re.findall(r"[\u4e00-\u9fff]", line)) // 2
    if not line or _STATEMENT_END.search(line) or _LIST_ITEM.match(line):
        return False
    if words <= _HEADING_MAX_WORDS and not _FIELD.search(line):
        return True
    return words <= _TITLE_MAX_WORDS and _title_case(line)


_TITLE_MAX_WORDS = 20
_LONG_WORD = re.compile(r"[^\W\d_][\w’'\-]{3,}", re.UNICODE)


def _title_case(line: str) -> bool:
    """A title written in Title Case ("Des Liens Culturels Florissants : Lancement du Programme
    d'Échange Chine-Kazakhstan à Astana"): nearly every word of four letters or more after the
    first is capitalised (German prose capitalises only its nouns)."""
    words = _LONG_WORD.findall(line)[1:]
    return len(words) >= 3 and sum(1 for w in words if w[0].isupper()) >= 0.8 * len(words)


_FIELD = re.compile(r"\S\s*[:：]\s*\S")


def lexical_share(
    question: set[str], sentence: set[str], topic: set[str], idf: dict[str, float]
) -> float:
    """The question's IDF weight a sentence holds, read under its passage's title. Every sentence
    of a passage is about what its title names, so a name of the question that the title holds
    (`topic`) counts for each of them, whether the sentence repeats it or not: the
    sentences that say what the question asks about the topic ("members ... representative of
    ...") rank above those that only name it (a heading, "The Council shall be established ...").
    The question's other words count where they stand; a passage that only mentions the name
    (another city's page listing it as a partner) gets its weight only where it stands."""
    weight = 0.0
    for token in question:
        if token in topic or token in sentence:
            weight += idf[token]
    return weight


_LIST_ITEM = re.compile(r"^\s*(?:[-•*–]|\d+[.)]|\([a-z0-9]+\))\s+")


def _best_first(sentences: list[ScoredSentence]) -> list[int]:
    """Indexes of `sentences`, best match first."""
    return sorted(range(len(sentences)), key=lambda i: -sentences[i].match)


def select_evidence(
    scored: list[ScoredSentence], n_passages: int, budget_chars: int, per_passage: int = 3
) -> list[list[ScoredSentence]]:
    """Per passage, the sentences to show the model, in document order. Each passage keeps its
    best sentences (and the sentence before the best one, for context, and the list items that
    follow a sentence introducing a list); passages are filled best-first until the budget."""
    by_passage: list[list[ScoredSentence]] = [[] for _ in range(n_passages)]
    for sentence in scored:
        by_passage[sentence.passage - 1].append(sentence)
    chosen: list[set[int]] = [set() for _ in range(n_passages)]
    used = 0

    def take(p: int, i: int) -> bool:
        nonlocal used
        if i in chosen[p] or not 0 <= i < len(by_passage[p]):
            return True
        cost = len(by_passage[p][i].text) + 1
        if used + cost > budget_chars and chosen[p]:
            return False
        chosen[p].add(i)
        used += cost
        return True

    rankings = [_best_first(sentences) for sentences in by_passage]
    for rank in range(per_passage):
        for p in range(n_passages):
            if rank >= len(rankings[p]):
                continue
            best = rankings[p][rank]
            if not take(p, best):
                continue
            if rank == 0:
                take(p, best - 1)
            # A sentence that introduces a list ("... several key domains:") brings its items.
            sentences = by_passage[p]
            if sentences[best].text.rstrip().endswith(":") or _LIST_ITEM.match(sentences[best].text):
                i = best + 1
                while i < len(sentences) and _LIST_ITEM.match(sentences[i].text) and take(p, i):
                    i += 1
    return [[by_passage[p][i] for i in sorted(chosen[p])] for p in range(n_passages)]


def render_evidence(selected: list[ScoredSentence], total: int) -> str:
    """The chosen sentences of one passage, with '…' where sentences were left out."""
    parts: list[str] = []
    previous = -1
    for sentence in selected:
        if sentence.position != previous + 1:
            parts.append("…")
        parts.append(sentence.text)
        previous = sentence.position
    if selected and previous != total - 1:
        parts.append("…")
    return "\n".join(parts)


@dataclass
class DocumentPassage:
    """The retrieved chunks of one document, merged in document order (their overlapping
    sentences once), so a list or an argument that spans two chunks reads whole."""

    passage: Passage  # merged: text of every chunk, best scores of any chunk
    chunks: list[Passage]


def merge_by_document(passages: list[Passage]) -> list[DocumentPassage]:
    """One merged passage per document, in the order of each document's best chunk."""
    groups: dict[str, list[Passage]] = {}
    for passage in passages:
        groups.setdefault(passage.doc_id, []).append(passage)
    merged: list[DocumentPassage] = []
    for chunks in groups.values():
        ordered = sorted(chunks, key=_chunk_number)
        seen: set[str] = set()
        lines: list[str] = []
        for chunk in ordered:
            for line in chunk.text.split("\n"):
                key = " ".join(line.split())
                if key and key not in seen:
                    seen.add(key)
                    lines.append(line)
        best = chunks[0]
        similarities: dict[str, float] = {}
        for chunk in chunks:
            for name, value in chunk.similarities.items():
                similarities[name] = max(similarities.get(name, value), value)
        merged.append(
            DocumentPassage(
                passage=replace(
                    best, text="\n".join(lines), similarities=similarities,
                    relevance=max(c.relevance for c in chunks), score=max(c.score for c in chunks),
                ),
                chunks=ordered,
            )
        )
    return merged


def focus_documents(
    documents: list[DocumentPassage], names: list[str], keep: set[str] | None = None
) -> list[DocumentPassage]:
    """The documents to answer from. When the question names something the index knows (a
    programme, a city) and some documents name it, only those: a small model given a neighbouring
    document's facts mixes them into the answer about the one asked for. Documents in `keep` (the
    ones each part of a two-part question is about) stay whatever they name."""
    from assistant.text.entities import mentions_any

    if not names:
        return documents
    keep = keep or set()
    naming = [
        d for d in documents
        if d.passage.doc_id in keep or mentions_any(names, [f"{d.passage.title}\n{d.passage.text}"])
    ]
    return naming or documents


def _chunk_number(passage: Passage) -> int:
    tail = passage.chunk_id.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def best_chunk(document: DocumentPassage, claim: str) -> Passage:
    """The chunk of a merged document that shares most words with `claim` (what to quote)."""
    claim_tokens = set(keyword_tokens(claim))
    return max(document.chunks, key=lambda c: len(claim_tokens & set(keyword_tokens(c.text))))
