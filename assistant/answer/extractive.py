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
from assistant.answer.shape import count_claim, count_word, counts_what_was_asked
from assistant.answer.support import counted_things, enumerations, figures_bound
from assistant.index.retrieval import Passage
from assistant.text.language import detect_language
from assistant.text.question import no_word, yes_word
from assistant.text.tokenize import keyword_tokens

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
# A date: a year, a century or decade ("mid-20th century", "the 1950s", "XXe siècle"), a day of a
# month ("May 29", "30 août"), a month with its year, or a Chinese date. A month name alone is not
# one: "may" and "march" are verbs, "mai" a German and French month but also a name.
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"januar|februar|märz|juni|juli|oktober|dezember|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_HAS_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)s?\b|\b\d{1,2}(?:st|nd|rd|th|e|ème|er)?[-\s]+(?:century|centuries|siècle|siglo)\b|"
    r"\b[XVI]+(?:e|ème)\s+siècle\b|\b(?:siglo|jahrhundert)\b|\b\d{1,2}\.\s*jahrhundert\b|"
    rf"\b\d{{1,2}}(?:er)?\.?\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b|"
    r"[\d〇零一二三四五六七八九十]\s*[年月]|世纪",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-•*–]|\d+[.)]|\([a-z0-9]+\))\s+")



@dataclass
class _Candidate:
    sentence: ScoredSentence
    score: float  # match plus priors: used for ranking
    match: float  # how well the sentence itself answers: used for the threshold
    bonus: float = 0.0  # the part of `score` that only ranks (a listing sentence for a list question)

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
        counted = {
            id(c): n for c in candidates if wants_number and (n := _counted_enumeration(request, c)) is not None
        }
        typed = [
            c
            for c in candidates
            if (not wants_number or _HAS_NUMBER.search(c.text) or id(c) in counted)
            and (not wants_date or _HAS_DATE.search(c.text))
            and (not wants_year or _HAS_YEAR.search(c.text))
        ]
        # A sentence stating the kind of fact asked for (digits for "how many", a date for "when",
        # an enumeration of what a how-many counts) beats one that merely repeats the question's words.
        for cand in typed:
            if (
                (wants_number and (re.search(r"\d", cand.text) or id(cand) in counted))
                or (wants_date and _HAS_DATE.search(cand.text))
            ):
                cand.score += 0.15
                cand.match += 0.15
            elif request.kind == "list" and _enumerates(cand.text, request.question):
                # a list question is answered by a sentence that lists: ranked first, not answered more
                cand.score += _LIST_BONUS
                cand.bonus = _LIST_BONUS
        if not any(c.match >= self.min_score for c in typed):
            return NOT_FOUND
        # Once a sentence answers well enough, a sentence that lists what a list question asks may
        # answer less well by itself ("… with the aim of promoting cultural exchange, economic
        # growth, and …" under "Sister city partnerships serve as …").
        floor = self.min_score * (_LIST_FLOOR if request.kind == "list" else 1.0)
        typed = sorted(
            (
                c for c in typed
                if c.match >= self.min_score or (c.match >= floor and _enumerates(c.text, request.question))
            ),
            key=lambda c: c.score, reverse=True,
        )
        best = typed[0]
        if id(best) in counted:
            # "How many sectors …?" answered by "… from government, enterprises and social sectors":
            # the count of the items, then the sentence that lists them.
            n = counted[id(best)]
            sentence = best.text.strip().rstrip(".!。")
            colon = " :" if request.language == "fr" else ":"
            return _cite(f"{count_word(n, request.language)}{colon} {sentence}", best.passage)
        if request.kind == "list":
            lead = _list_lead(best.sentence, scored)
            items = _list_items(lead, scored) if lead is not None else []
            if lead is not None and items and counts_what_was_asked(request.question, lead.text):
                listed = f"{lead.text.rstrip(':').rstrip()}: {'; '.join(items)}"
                return _cite(_frame(request, lead.passage, listed) or listed, lead.passage)
        chosen = [best]
        # The sentence that lists what a list question asks is the answer; another would only add
        # items that are not asked for.
        single = request.kind == "list" and _enumerates(best.text, request.question)
        for cand in typed[1:]:
            if len(chosen) >= self.max_sentences or single:
                break
            if cand.score - cand.bonus >= 0.85 * (best.score - best.bonus) and cand.text != best.text:
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


_LIST_BONUS = 0.2
_LIST_FLOOR = 0.7
# The item after a conjunction, when short: "… and vocational schools", "… et la santé".
_LAST_ITEM = re.compile(r"\s(?:and|or|et|ou|und|oder|y|e|o)\s((?:[^\s,.;:]+\s){0,2}[^\s,.;:]+)(?=[,.;:!?]|$)")
# Three or more items: "A, B and C" (B of a few words), "A, B, and C" (not ", and when ...", a
# clause), "A、B、C", or a list in parentheses "(A, B, C)".
_SERIES = re.compile(
    r",\s(?:[^\s,]+\s){1,4}(?:and|or|et|ou|und|oder|y|e|o)\s"
    r"|,\s(?:[^\s,]+\s){0,6}[^\s,]+,\s(?:and|or|et|ou|und|oder|y|e|o)\s"
    r"(?!(?:when|which|who|where|while|if|because|lorsque|quand|qui|que|dont|où|wenn|weil|cuando|donde)\b)"
    r"|[^、]+、[^、]+、|\((?:[^(),]+,\s){2,}[^(),]+\)",
    re.IGNORECASE,
)


def _enumerates(sentence: str, question: str) -> bool:
    """Whether a sentence lists things: three or more ("… driven by a burgeoning middle class,
    technological advancements, and a renewed focus …"), or two of what the question asks for
    ("leading universities and vocational schools" for "What types of schools …?")."""
    body = _LIST_ITEM.sub("", sentence)
    body = body.split(":", 1)[1] if ":" in body[:80] else body  # a bullet's head names the item
    if _SERIES.search(body):
        return True
    # what the question asks for is named in its first words ("What types of schools …"); its
    # other words name the topic ("… to attract investment": not "domestic and foreign investment")
    asked = set(keyword_tokens(" ".join(question.split()[:4])))
    return any(set(keyword_tokens(m.group(1))[-1:]) & asked for m in _LAST_ITEM.finditer(body))


def _counted_enumeration(request: GenerationInput, candidate: _Candidate) -> int | None:
    """The size of the enumeration of `candidate` that counts what a how-many question asks
    ("… from government, enterprises and social sectors" for "how many sectors"), when the
    sentence states no figure of it; None otherwise. Only in the question's language: across
    languages the counted noun cannot be compared."""
    text = candidate.text
    if request.passages[candidate.passage - 1].language not in ("", request.language):
        return None
    if detect_language(text, default=request.language) != request.language:
        return None
    sizes = sorted({n for n, _ in enumerations(text) if 2 <= n <= 20})
    for n in sizes:
        claim = count_claim(request.question, n)
        if claim is None:
            return None
        if figures_bound(claim, [text], text) and _short_last_item(text) and not _states_count(request.question, text):
            return n
    return None


def _short_last_item(sentence: str) -> bool:
    """Whether the sentence's last enumeration ends with a short item ("… and social sectors"),
    not with words beyond it ("… and resources among its member parks" does not list parks) nor
    with a long item (long items are miscounted)."""
    last = list(_LAST_ITEM.finditer(sentence))
    final = list(re.finditer(r"\s(?:and|or|et|ou|und|oder|y|e|o)\s", sentence))
    return bool(last) and bool(final) and last[-1].start() == final[-1].start()


def _states_count(question: str, sentence: str) -> bool:
    """Whether the sentence writes a figure of what the question counts ("24 key projects"; a year
    counts nothing)."""
    claims = (count_claim(question, int(value)) or "" for value in re.findall(r"\b\d+\b", sentence))
    return any(counted_things(claim) and figures_bound(claim, [sentence], sentence) for claim in claims)


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
