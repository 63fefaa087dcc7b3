"""Extractive generator: answers by quoting the passage sentences that best answer the question.

No model. It scores every sentence of the retrieved passages by the question's IDF-weighted
terms it contains and by multilingual semantic similarity, checks that the best sentence has
the kind of fact the question asks for (a number for "how many", a date for "when"), and
returns up to two sentences with their [n] markers, or NOT_FOUND.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.generators import Generator, neutralize_instructions
from assistant.models import Turn
from assistant.prompts import NOT_FOUND
from assistant.retrieval import Passage
from assistant.sentences import split_sentences
from assistant.tokenize import keyword_tokens

_ASKS_NUMBER = re.compile(
    r"\b(how\s+many|how\s+much|number\s+of|combien|wie\s+viele?|wieviele|cu[aá]nt[oa]s?|quant[oa]s?)\b|多少|几",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(when|what\s+year|which\s+year|what\s+date|deadlines?|due\s+date|quand|en\s+quelle\s+ann[ée]e|"
    r"quelle\s+date|date\s+limite|wann|frist|cu[aá]ndo|plazo|fecha\s+l[ií]mite)\b|什么时候|哪一年|何时|截止",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
    r"million|billion|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent|mille)\b",
    re.IGNORECASE,
)
_HAS_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|september|october|"
    r"november|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre)\b|年|月",
    re.IGNORECASE,
)


@dataclass
class _Candidate:
    passage: int  # 1-based
    position: int
    text: str
    score: float  # match plus priors: used for ranking
    match: float = 0.0  # how well the sentence itself answers: used for the threshold


class ExtractiveGenerator(Generator):
    name = "extractive"

    def __init__(self, encoder: Embeddings | None, min_score: float = 0.3, max_sentences: int = 2) -> None:
        self.encoder = encoder
        self.min_score = min_score
        self.max_sentences = max_sentences

    def stream(
        self, question: str, language: str, passages: list[Passage], history: list[Turn]
    ) -> Iterator[str]:
        yield self.answer(question, passages, language)

    def answer(self, question: str, passages: list[Passage], language: str = "") -> str:
        candidates = self._score(question, passages, language)
        if not candidates:
            return NOT_FOUND
        wants_number = bool(_ASKS_NUMBER.search(question))
        wants_date = bool(_ASKS_DATE.search(question))
        typed = [
            c
            for c in candidates
            if (not wants_number or _HAS_NUMBER.search(c.text)) and (not wants_date or _HAS_DATE.search(c.text))
        ]
        # A sentence stating the kind of fact asked for (digits for "how many", a date for "when")
        # beats one that merely repeats the question's words.
        for cand in typed:
            if (wants_number and re.search(r"\d", cand.text)) or (wants_date and _HAS_DATE.search(cand.text)):
                cand.score += 0.15
                cand.match += 0.15
        typed = sorted((c for c in typed if c.match >= self.min_score), key=lambda c: c.score, reverse=True)
        if not typed:
            return NOT_FOUND
        best = typed[0]
        chosen = [best]
        for cand in typed[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if cand.score >= 0.85 * best.score and cand.text != best.text:
                chosen.append(cand)
        chosen.sort(key=lambda c: (c.passage, c.position))
        return " ".join(_cite(c.text, c.passage) for c in chosen)

    def _score(self, question: str, passages: list[Passage], language: str = "") -> list[_Candidate]:
        candidates: list[_Candidate] = []
        for n, passage in enumerate(passages, start=1):
            for position, sentence in enumerate(split_sentences(neutralize_instructions(passage.text))):
                if _is_statement(sentence):
                    candidates.append(_Candidate(n, position, sentence, 0.0))
        if not candidates:
            return []
        q_tokens = set(keyword_tokens(question))
        sentence_tokens = [set(keyword_tokens(c.text)) for c in candidates]
        # IDF over the candidate sentences: words every sentence shares carry no signal.
        n = len(candidates)
        idf = {t: math.log(1 + n / (1 + sum(t in s for s in sentence_tokens))) for t in q_tokens}
        total = sum(idf.values()) or 1.0
        lexical = np.array([sum(idf[t] for t in q_tokens & s) / total for s in sentence_tokens])
        if self.encoder is not None:
            vectors = np.asarray(self.encoder.embed_documents([question] + [c.text for c in candidates]))
            semantic = vectors[1:] @ vectors[0]
        else:
            semantic = np.zeros(n)
        # Across languages only names and numbers can match word for word: there the multilingual
        # similarity alone says how well a sentence answers.
        cross = np.array(
            [bool(language) and passages[c.passage - 1].language not in ("", language) for c in candidates]
        )
        semantic = np.clip(semantic, 0, 1)
        blend = 0.5 * lexical + 0.5 * semantic
        match = np.where(cross, np.maximum(semantic, blend), blend)
        # How relevant the whole passage is (its mean dense similarity, and its fused retrieval
        # score relative to the best passage): a short sentence that merely mentions the topic
        # should not beat the passage that is about it.
        top = max(passages[0].score, 1e-9)
        prior = np.array(
            [
                0.4 * _passage_similarity(passages[c.passage - 1]) + 0.3 * max(passages[c.passage - 1].score, 0) / top
                for c in candidates
            ]
        )
        for cand, m, p in zip(candidates, match, prior, strict=True):
            cand.match = float(m)
            cand.score = float(m + p)
        return sorted(candidates, key=lambda c: c.score, reverse=True)


def _passage_similarity(passage: Passage) -> float:
    values = list(passage.similarities.values())
    return float(np.mean(values)) if values else 0.0


def _is_statement(sentence: str) -> bool:
    """A sentence that can answer: not a heading or a fragment."""
    words = len(sentence.split()) + len(re.findall(r"[\u4e00-\u9fff]", sentence)) // 2
    if words < 5:
        return False
    return words >= 12 or bool(re.search(r"[.!?。！？:;)\]\"”»]$", sentence.strip()))


def _cite(text: str, passage: int) -> str:
    """'Sentence.' -> 'Sentence [n].' (the marker goes before the final stop, as rendered)."""
    text = text.strip()
    match = re.search(r"([.!?。！？])$", text)
    if match:
        return f"{text[:-1].rstrip()} [{passage}]{match.group(1)}"
    return f"{text} [{passage}]."
