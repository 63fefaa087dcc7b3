"""Does a cited passage support the sentence that cites it?

A sentence is supported when it says something (a sentence of markers and punctuation, or of
stopwords only, supports nothing), every number it states appears in the passage (in digits or in
words, or as the count of a list the passage gives: "three areas" for three listed areas), and
either most of its content words appear there too, or (an answer in another language than the
passage) every name it states is the passage's, or (paraphrases) it is semantically close to one
of the passage's sentences under the multilingual encoder. Sentence vectors come from a
per-answer `SentenceVectors`, so a passage sentence is embedded at most once per answer.
"""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

from assistant.answer.citations import strip_markers
from assistant.answer.evidence import SentenceVectors
from assistant.text.entities import question_entities
from assistant.text.language import detect_language
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
            if not says_something(claim) or numbers - passage_numbers(passage):
                verdicts.append(False)
            # Matching figures are strong evidence: a paraphrase around them needs less overlap.
            elif _overlap(claim, passage) >= (
                self.min_overlap / 2 if numbers else self.min_overlap
            ) or _names_carry_over(claim, passage):
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


def _names_carry_over(claim: str, passage: str) -> bool:
    """A claim in another language than its passage (a French answer from an English page) shares
    few words with it and embeds far from it; its names must all be the passage's."""
    names = question_entities(claim)
    if not names or detect_language(claim) == detect_language(passage):
        return False
    vocabulary = set(keyword_tokens(passage, drop_stopwords=False))
    return all(set(keyword_tokens(name, drop_stopwords=False)) <= vocabulary for name in names)


def says_something(claim: str) -> bool:
    """A claim with at least one content word or number (not only markers, punctuation or
    stopwords such as a bare "Yes")."""
    return bool(keyword_tokens(claim))


def passage_numbers(passage: str) -> set[str]:
    """What a passage states as numbers: its figures, its number words, and the sizes of the lists it
    gives, so an answer may count what the passage enumerates."""
    return numbers_in(passage, words=True) | {str(n) for n in list_counts(passage)}


_BULLET = re.compile(r"^\s*(?:[-•*–]|\d+[.)]|\([a-z0-9]+\))\s+")
_COMMA = re.compile(r",(?!\d)|，")  # not the comma of "1,000"
_LEAD_IN = re.compile(
    r"\s*(?:including|such\s+as|notably|namely|like|comprising|y\s+compris|notamment|comme|tels?\s+que|"
    r"telles?\s+que|dont|wie|incluyendo|como)\b",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"\s(?:and|or|et|ou|und|oder|y|e|o)\s|、|和|及", re.IGNORECASE)


def list_counts(passage: str) -> set[int]:
    """Sizes of the lists in a passage: runs of bullet lines, and enumerations in a sentence
    ("from government, enterprises and social sectors" is a list of 3)."""
    counts: set[int] = set()
    run = 0
    for line in [*passage.split("\n"), ""]:
        if _BULLET.match(line):
            run += 1
            continue
        if run >= 2:
            counts.add(run)
        run = 0
    for sentence in split_sentences(passage):
        for clause in re.split(r"[;:]", sentence):
            parts = _CONJUNCTION.split(clause)
            if len(parts) < 2:
                continue
            # the items before the last conjunction: short comma-separated segments back to the one
            # that opens the list ("including film production") or closes a longer lead-in
            # ("... attendees from government")
            before = [seg for seg in _COMMA.split(parts[-2]) if seg.strip()]
            items = 1
            for segment in reversed(before):
                items += 1
                if _LEAD_IN.match(segment) or len(segment.split()) > 5:
                    break
            counts.add(items)
    return {n for n in counts if n <= 20}


def _claim_numbers(claim: str) -> set[str]:
    # Ordinal list markers such as "1." at the start are not claims.
    return numbers_in(re.sub(r"^\s*\d+[.)]\s+", "", claim))


def _overlap(claim: str, passage: str) -> float:
    claim_tokens = set(keyword_tokens(claim))
    if not claim_tokens:
        return 0.0
    passage_tokens = set(keyword_tokens(passage))
    return len(claim_tokens & passage_tokens) / len(claim_tokens)
