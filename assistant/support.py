"""Does a cited passage support the sentence that cites it?

A sentence is supported when every number it states appears in the passage and either most of
its content words appear there too, or (for paraphrases and answers in another language than
the passage) it is semantically close to one of the passage's sentences under the multilingual
encoder.
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.sentences import split_sentences
from assistant.tokenize import keyword_tokens, numbers_in

MARKER = re.compile(r"\s*\[(\d+)\]")


def strip_markers(sentence: str) -> str:
    return MARKER.sub("", sentence).strip()


class SupportChecker:
    def __init__(
        self, encoder: Embeddings | None, min_overlap: float = 0.6, min_similarity: float = 0.55
    ) -> None:
        self.encoder = encoder
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity

    def check(self, pairs: list[tuple[str, str]]) -> list[bool]:
        """For each (sentence, passage) pair, whether the passage supports the sentence."""
        verdicts: list[bool | None] = []
        for sentence, passage in pairs:
            claim = strip_markers(sentence)
            numbers = _claim_numbers(claim)
            if numbers - numbers_in(passage):
                verdicts.append(False)
            # Matching figures are strong evidence: a paraphrase around them needs less overlap.
            elif _overlap(claim, passage) >= (self.min_overlap / 2 if numbers else self.min_overlap):
                verdicts.append(True)
            else:
                verdicts.append(None)  # decide semantically
        undecided = [i for i, v in enumerate(verdicts) if v is None]
        if undecided and self.encoder is not None:
            for i, ok in zip(undecided, self._semantic([pairs[i] for i in undecided]), strict=True):
                verdicts[i] = ok
        return [bool(v) for v in verdicts]

    def _semantic(self, pairs: list[tuple[str, str]]) -> list[bool]:
        assert self.encoder is not None
        claims = [strip_markers(s) for s, _ in pairs]
        passage_sentences = [split_sentences(p) or [p] for _, p in pairs]
        flat = [s for group in passage_sentences for s in group]
        vectors = np.asarray(self.encoder.embed_documents(claims + flat))
        claim_vecs, sent_vecs = vectors[: len(claims)], vectors[len(claims) :]
        results = []
        offset = 0
        for i, group in enumerate(passage_sentences):
            sims = sent_vecs[offset : offset + len(group)] @ claim_vecs[i]
            offset += len(group)
            results.append(bool(sims.max() >= self.min_similarity))
        return results


def _claim_numbers(claim: str) -> set[str]:
    # Ordinal list markers such as "1." at the start are not claims.
    return numbers_in(re.sub(r"^\s*\d+[.)]\s+", "", claim))


def _overlap(claim: str, passage: str) -> float:
    claim_tokens = set(keyword_tokens(claim))
    if not claim_tokens:
        return 1.0
    passage_tokens = set(keyword_tokens(passage))
    return len(claim_tokens & passage_tokens) / len(claim_tokens)
