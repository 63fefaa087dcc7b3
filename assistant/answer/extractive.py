"""Extractive generator: answers by quoting the passage sentences that best answer the question.

No model. Every sentence of the retrieved passages is scored by the question's IDF-weighted
terms it contains and by multilingual semantic similarity (assistant.answer.evidence, vectors shared
with the rest of the answer), the best sentence must hold the kind of fact the question asks
for (a number for "how many", a date for "when"), and up to two sentences are returned with
their [n] markers, or NOT_FOUND. A sentence that introduces a list brings the list's items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.answer.evidence import ScoredSentence, SentenceVectors, score_sentences
from assistant.answer.generators import GenerationInput, Generator
from assistant.answer.polarity import is_negated
from assistant.answer.prompts import NOT_FOUND, framed_quote
from assistant.answer.shape import counts_what_was_asked
from assistant.index.retrieval import Passage
from assistant.text.question import no_word, yes_word

# Number words that are not also articles or pronouns ("one of", "un voyage").
_HAS_NUMBER = re.compile(
    r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
    r"million|billion|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent|mille|zwei|drei|vier|"
    r"dos|tres|cuatro|cinco)\b|[两三四五六七八九十百千万亿]",
    re.IGNORECASE,
)
_ASKS_YEAR = re.compile(r"\b(what|which|in\s+what)\s+year\b|\bquelle\s+ann[ée]e\b|\bwelchem\s+jahr\b|"
                        r"\bqu[eé]\s+a[ñn]o\b|哪一年|哪年", re.IGNORECASE)
_HAS_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_HAS_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|september|october|"
    r"november|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre)\b|年|月",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-•*–]|\d+[.)]|\([a-z0-9]+\))\s+")



@dataclass
class _Candidate:
    sentence: ScoredSentence
    score: float  # match plus priors: used for ranking
    match: float  # how well the sentence itself answers: used for the threshold

    @property
    def passage(self) -> int:
        return self.sentence.passage

    @property
    def text(self) -> str:
        return self.sentence.text


class ExtractiveGenerator(Generator):
    name = "extractive"

    def __init__(self, min_score: float = 0.3, max_sentences: int = 2) -> None:
        self.min_score = min_score
        self.max_sentences = max_sentences

    def stream(self, request: GenerationInput) -> Iterator[str]:
        yield self.answer(request)

    def answer(self, request: GenerationInput) -> str:
        vectors = request.sentences if isinstance(request.sentences, SentenceVectors) else SentenceVectors(None)
        scored = request.scored
        if scored is None:
            scored = score_sentences(request.question, request.passages, vectors, request.query_vector)
        candidates = self._rank(scored, request)
        if not candidates:
            return NOT_FOUND
        wants_number = request.kind == "number"
        if wants_number:
            # "How many areas ...?" answered by a list: its count, then its items.
            lead = _list_lead(candidates[0].sentence, scored)
            items = _list_items(lead, scored) if lead is not None else []
            if lead is not None and items and counts_what_was_asked(request.question, lead.text):
                listed = "; ".join(items)
                framed = _frame(request, lead.passage, listed, len(items))
                return _cite(framed or f"{len(items)}: {listed}", lead.passage)
        wants_date = request.kind == "date"
        wants_year = bool(_ASKS_YEAR.search(request.question))
        typed = [
            c
            for c in candidates
            if (not wants_number or _HAS_NUMBER.search(c.text))
            and (not wants_date or _HAS_DATE.search(c.text))
            and (not wants_year or _HAS_YEAR.search(c.text))
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
        if request.kind == "list":
            lead = _list_lead(best.sentence, scored)
            items = _list_items(lead, scored) if lead is not None else []
            if lead is not None and items and counts_what_was_asked(request.question, lead.text):
                listed = f"{lead.text.rstrip(':').rstrip()}: {'; '.join(items)}"
                return _cite(_frame(request, lead.passage, listed) or listed, lead.passage)
        chosen = [best]
        for cand in typed[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if cand.score >= 0.85 * best.score and cand.text != best.text:
                chosen.append(cand)
        chosen.sort(key=lambda c: (c.passage, c.sentence.position))
        quoted: list[str] = []
        opened = False  # a framed quote was written: the next ones get quotation marks only
        for c in chosen:
            quote = _frame(request, c.passage, c.text.strip().rstrip(".!。"), continued=opened)
            opened = opened or quote is not None
            quoted.append(_cite(quote or c.text, c.passage))
        text = " ".join(quoted)
        if request.kind == "yesno":
            return f"{_polarity(request.question, best.text, request.language)}. {text}"
        return text

    def _rank(self, scored: list[ScoredSentence], request: GenerationInput) -> list[_Candidate]:
        passages = request.passages
        language = request.language
        # How relevant the whole passage is (its mean dense similarity, and its fused retrieval
        # score relative to the best passage): a short sentence that merely mentions the topic
        # should not beat the passage that is about it.
        top = max(passages[0].score, 1e-9) if passages else 1.0
        out: list[_Candidate] = []
        for sentence in scored:
            if not _is_statement(sentence.text):
                continue
            passage = passages[sentence.passage - 1]
            # Across languages only names and numbers can match word for word: there the
            # multilingual similarity alone says how well a sentence answers.
            cross = bool(language) and passage.language not in ("", language)
            match = max(sentence.semantic, sentence.match) if cross else sentence.match
            prior = 0.4 * _passage_similarity(passage) + 0.3 * max(passage.score, 0) / top
            out.append(_Candidate(sentence, match + prior, match))
        return sorted(out, key=lambda c: c.score, reverse=True)


def _frame(
    request: GenerationInput, passage: int, quote: str, count: int | None = None, *, continued: bool = False
) -> str | None:
    """A quote of a passage in another language than the question, framed in the question's
    language ("D'après le document en anglais : « ... »"); None when the languages agree."""
    source = request.passages[passage - 1].language
    if not request.language or not source or source == request.language:
        return None
    return framed_quote(request.language, source, quote, count, continued=continued)


def _polarity(question: str, fact: str, language: str) -> str:
    """Yes when the sentence that best answers states what the question asks; No when exactly one
    of them is negated ("Is X held in Y?" / "X is not held in Y")."""
    negated = is_negated(question) != is_negated(fact)
    return no_word(language) if negated else yes_word(language)


def _list_lead(best: ScoredSentence, scored: list[ScoredSentence]) -> ScoredSentence | None:
    """The sentence introducing the list `best` belongs to (or `best` itself when it ends with a
    colon)."""
    if best.text.rstrip().endswith(":"):
        return best
    if not _LIST_ITEM.match(best.text):
        return None
    same = {s.position: s for s in scored if s.passage == best.passage}
    position = best.position - 1
    while position in same and _LIST_ITEM.match(same[position].text):
        position -= 1
    lead = same.get(position)
    return lead if lead is not None and lead.text.rstrip().endswith(":") else None


def _list_items(lead: ScoredSentence, scored: list[ScoredSentence]) -> list[str]:
    """The items of the list a sentence introduces ("... several key domains:" then "- Art and
    Heritage: ..."): each item's head before its colon, or the whole item when it has none."""
    if not lead.text.rstrip().endswith(":"):
        return []
    following = [s for s in scored if s.passage == lead.passage and s.position > lead.position]
    items: list[str] = []
    for sentence in sorted(following, key=lambda s: s.position):
        if sentence.position != lead.position + 1 + len(items) or not _LIST_ITEM.match(sentence.text):
            break
        body = _LIST_ITEM.sub("", sentence.text).strip()
        head = body.split(":", 1)[0].strip() if ":" in body[:80] else body.rstrip(".;")
        items.append(head)
    return items if len(items) >= 2 else []


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
