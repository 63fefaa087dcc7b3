"""Eval metrics as pure functions: ranking (recall, MRR, nDCG), answer matching (normalised
containment, list F1, yes/no polarity, SQuAD token F1), refusal F1 and latency percentiles."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.answer.citations import strip_markers
from assistant.text.tokenize import fold

# --- gold ids and rankings ----------------------------------------------------------------------


def gold_match(retrieved_id: str, gold_id: str) -> bool:
    """A gold id names a document either exactly or by its trailing path
    (`002_x` matches `seeds/002_x`)."""
    return retrieved_id == gold_id or retrieved_id.endswith("/" + gold_id)


def dedupe_documents(doc_ids: Iterable[str]) -> list[str]:
    """Document ids in first-seen rank order (several chunks of one document count once)."""
    return list(dict.fromkeys(doc_ids))


def gold_ranks(ranked_docs: Sequence[str], gold_ids: Sequence[str]) -> list[int]:
    """1-based ranks at which distinct gold documents appear in `ranked_docs` (already deduped)."""
    found: set[str] = set()
    ranks: list[int] = []
    for rank, doc in enumerate(ranked_docs, start=1):
        for gold in gold_ids:
            if gold not in found and gold_match(doc, gold):
                found.add(gold)
                ranks.append(rank)
                break
    return ranks


def recall_at(ranked_docs: Sequence[str], gold_ids: Sequence[str], k: int) -> float:
    if not gold_ids:
        return 0.0
    return sum(1 for r in gold_ranks(ranked_docs, gold_ids) if r <= k) / len(set(gold_ids))


def mrr_at(ranked_docs: Sequence[str], gold_ids: Sequence[str], k: int) -> float:
    ranks = [r for r in gold_ranks(ranked_docs, gold_ids) if r <= k]
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg_at(ranked_docs: Sequence[str], gold_ids: Sequence[str], k: int) -> float:
    """Binary-relevance nDCG: each gold document found at rank r adds 1/log2(r+1)."""
    if not gold_ids:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in gold_ranks(ranked_docs, gold_ids) if r <= k)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(set(gold_ids)), k) + 1))
    return dcg / ideal


# --- answer text normalisation ------------------------------------------------------------------

NUMBER_WORDS = {
    # en
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    # fr (after accent folding)
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "cent": 100,
    # de
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "funf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwolf": 12,
    "zwanzig": 20,
    "hundert": 100,
    # es
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "doce": 12,
    "veinte": 20,
    "cien": 100,
}
# 1,000 / 1.000 / 1 000 (also with a narrow no-break space) -> 1000; decimals keep one separator.
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?![\d])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}(?!\d))")
_PUNCT = re.compile(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)|_")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ARTICLES = {"a", "an", "the"}


def normalize(text: str) -> str:
    """Case, accents, punctuation and number formats removed: '1,000 Étudiants.' -> '1000 etudiants'.
    Number words (one..twenty, tens, hundred; en/fr/de/es) become digits."""
    text = fold(strip_markers(text))
    text = _GROUPED.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _PUNCT.sub(" ", text)
    words = [str(NUMBER_WORDS.get(w, w)) for w in text.split()]
    return " ".join(words)


def contains_answer(answer: str, gold: str) -> bool:
    """Whether the normalised gold answer occurs in the normalised answer, on word boundaries
    (or as a substring for scripts written without spaces: Chinese, Japanese, Thai)."""
    norm_gold = normalize(gold)
    if not norm_gold:
        return False
    norm_answer = normalize(answer)
    if _UNSPACED.search(norm_gold):
        return norm_gold.replace(" ", "") in norm_answer.replace(" ", "")
    return f" {norm_gold} " in f" {norm_answer} "


def any_answer(answer: str, golds: Sequence[str]) -> bool:
    return any(contains_answer(answer, gold) for gold in golds)


_SEGMENT_SPLIT = re.compile(r"[,;、，；:\n]|[.!?。！？](?:\s|$)")
_CONJUNCTION_SPLIT = re.compile(r"(?:^|\s)(?:and|et|und|y|e|or|ou|oder)\s|和|及")


def list_f1(answer: str, items: Sequence[str]) -> float:
    """F1 over list items. Recall: share of gold items found in the answer. Precision: share of
    the answer's segments (split at commas, semicolons, sentence ends; a segment without an item
    also at 'and'/'et'/...) that contain a gold item."""
    if not items:
        return 0.0
    found = sum(1 for item in items if contains_answer(answer, item))
    if not found:
        return 0.0
    hits = misses = 0
    for segment in _SEGMENT_SPLIT.split(strip_markers(answer)):
        if not normalize(segment):
            continue
        if any(contains_answer(segment, item) for item in items):
            hits += 1
        else:
            misses += sum(1 for part in _CONJUNCTION_SPLIT.split(segment) if normalize(part))
    precision = hits / (hits + misses) if hits + misses else 0.0
    recall = found / len(items)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


YES_WORDS = frozenset({"yes", "oui", "ja", "si", "sim", "da", "yes,"})
NO_WORDS = frozenset({"no", "non", "nein", "nao", "nope"})


def polarity(answer: str) -> str | None:
    """'yes' or 'no' from the answer's opening word (or a sentence's opening word); None when the
    answer states neither. Chinese: 是/对/有 vs 不/没/否."""
    text = strip_markers(answer).strip()
    if not text:
        return None
    for sentence in re.split(r"(?<=[.!?。！？])\s*", text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence[0] in "不没否":
            return "no"
        if sentence[0] in "是对有":
            return "yes"
        words = fold(sentence).split()
        first = words[0].strip(string.punctuation + "¡¿") if words else ""
        if first in YES_WORDS:
            return "yes"
        if first in NO_WORDS:
            return "no"
    return None


def squad_tokens(text: str) -> list[str]:
    """SQuAD-style tokens (lowercase, no punctuation or articles); one token per character for
    scripts written without spaces."""
    words = normalize(text).split()
    tokens: list[str] = []
    for word in words:
        if word in _ARTICLES:
            continue
        if _UNSPACED.search(word):
            tokens.extend(ch for ch in word if not ch.isspace())
        else:
            tokens.append(word)
    return tokens


def token_f1(answer: str, gold: str) -> float:
    pred, truth = squad_tokens(answer), squad_tokens(gold)
    common = Counter(pred) & Counter(truth)
    same = sum(common.values())
    if not pred or not truth or not same:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def best_token_f1(answer: str, golds: Sequence[str]) -> float:
    return max((token_f1(answer, g) for g in golds), default=0.0)


# --- refusal and latency ------------------------------------------------------------------------


def refusal_scores(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, Any]:
    """Refusal as a classifier of unanswerable questions, plus false refusals of answerable ones.
    Precision is None when nothing was refused; recall and F1 when no question was unanswerable."""
    pairs = list(zip(refused, answerable, strict=True))
    tp = sum(1 for r, a in pairs if r and not a)
    fp = sum(1 for r, a in pairs if r and a)
    fn = sum(1 for r, a in pairs if not r and not a)
    n_answerable = sum(1 for a in answerable if a)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1: float | None = None  # defined whenever some question is unanswerable
    if recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_refusals": {"count": fp, "rate": fp / n_answerable if n_answerable else None},
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's
    default). NaN for no values (the one implementation: reports and benchmarks share it)."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100, got {q}")
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max in ms for reports; zeros when nothing was timed (JSON has no NaN)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values, default=0.0), 1),
    }


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
