"""Does a cited passage support the sentence that cites it?

A sentence is supported when it says something (a sentence of markers and punctuation, or of
stopwords only, supports nothing), every number it states appears in the passage, and either most
of its content words appear there too, or (for paraphrases and answers in another language than
the passage) it is semantically close to one of the passage's sentences under the multilingual
encoder. Sentence vectors come from a per-answer `SentenceVectors`, so a passage sentence is
embedded at most once per answer.
"""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

from assistant.answer.citations import strip_markers
from assistant.answer.evidence import SentenceVectors
from assistant.text.sentences import split_sentences
from assistant.text.tokenize import keyword_tokens, numbers_in


class SupportChecker:
    def __init__(
        self, encoder: Embeddings | None, min_overlap: float = 0.6, min_similarity: float = 0.55
    ) -> None:
        self.encoder = encoder
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity

    def check(self, pairs: list[tuple[str, str]], vectors: SentenceVectors | None = None) -> list[bool]:
        """For each (sentence, passage) pair, whether the passage supports the sentence.
        `vectors` caches sentence embeddings across calls of one answer."""
        verdicts: list[bool | None] = []
        for sentence, passage in pairs:
            claim = strip_markers(sentence)
            numbers = _claim_numbers(claim)
            if not says_something(claim) or numbers - numbers_in(passage):
                verdicts.append(False)
            # Matching figures are strong evidence: a paraphrase around them needs less overlap.
            elif _overlap(claim, passage) >= (self.min_overlap / 2 if numbers else self.min_overlap):
                verdicts.append(True)
            else:
                verdicts.append(None)  # decide semantically
        undecided = [i for i, v in enumerate(verdicts) if v is None]
        if undecided and self.encoder is not None:
            bank = vectors if vectors is not None and vectors.encoder is self.encoder else SentenceVectors(self.encoder)
            for i, ok in zip(undecided, self._semantic([pairs[i] for i in undecided], bank), strict=True):
                verdicts[i] = ok
        return [bool(v) for v in verdicts]

    def _semantic(self, pairs: list[tuple[str, str]], vectors: SentenceVectors) -> list[bool]:
        claims = [strip_markers(s) for s, _ in pairs]
        passage_sentences = [split_sentences(p) or [p] for _, p in pairs]
        flat = [s for group in passage_sentences for s in group]
        all_vectors = vectors.of(claims + flat)
        claim_vecs, sent_vecs = all_vectors[: len(claims)], all_vectors[len(claims) :]
        results = []
        offset = 0
        for i, group in enumerate(passage_sentences):
            sims = sent_vecs[offset : offset + len(group)] @ claim_vecs[i]
            offset += len(group)
            results.append(bool(sims.max() >= self.min_similarity))
        return results


def says_something(claim: str) -> bool:
    """A claim with at least one content word or number (not only markers, punctuation or
    stopwords such as a bare "Yes")."""
    return bool(keyword_tokens(claim))


def _claim_numbers(claim: str) -> set[str]:
    # Ordinal list markers such as "1." at the start are not claims.
    return numbers_in(re.sub(r"^\s*\d+[.)]\s+", "", claim))


def _overlap(claim: str, passage: str) -> float:
    claim_tokens = set(keyword_tokens(claim))
    if not claim_tokens:
        return 0.0
    passage_tokens = set(keyword_tokens(passage))
    return len(claim_tokens & passage_tokens) / len(claim_tokens)
