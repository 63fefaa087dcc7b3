"""Shaping a checked answer by the kind of question: a list reads as one sentence naming its items,
and a how-many question answered with the items leads with their count.

Small models asked for a list copy the document's bullet lines whole ("- Art and Heritage: Joint
exhibitions ..."), so the items the question asks for are buried in their descriptions. A run of
such items becomes one sentence that names them ("..., include: Art and Heritage, Economic
Partnerships and Educational Initiatives [1]."), citing what the items cited.
"""

from __future__ import annotations

import re

from assistant.answer.citations import CitedSentence
from assistant.answer.support import list_counts
from assistant.text.language import detect_language
from assistant.text.tokenize import keyword_tokens, numbers_in

_BULLET = re.compile(r"^\s*(?:[-•*–]|\d+[.)])\s+")
_MAX_HEAD_WORDS = 6
_AND = {"en": "and", "fr": "et", "de": "und", "es": "y", "it": "e", "pt": "e", "nl": "en"}


def compact_list(sentences: list[CitedSentence], language: str) -> list[CitedSentence]:
    """Each run of two or more bullet items written "Head: description" becomes one sentence of
    their heads, joined to the sentence that introduces them when it ends with a colon."""
    out: list[CitedSentence] = []
    i = 0
    while i < len(sentences):
        run: list[str] = []
        j = i
        while j < len(sentences) and (head := _item_head(sentences[j].text)) is not None:
            run.append(head)
            j += 1
        if len(run) < 2:
            out.append(sentences[i])
            i += 1
            continue
        markers = list(dict.fromkeys(m for s in sentences[i:j] for m in s.markers))
        items = f"{', '.join(run[:-1])} {_AND.get(language, 'and')} {run[-1]}"
        intro = out[-1] if out and out[-1].text.rstrip().endswith(":") else None
        if intro is not None:
            out.pop()
            markers = list(dict.fromkeys([*intro.markers, *markers]))
            out.append(CitedSentence(f"{intro.text.rstrip()} {items}", markers, "."))
        else:
            out.append(CitedSentence(items, markers, "."))
        i = j
    return out


def _item_head(text: str) -> str | None:
    if not _BULLET.match(text):
        return None
    body = _BULLET.sub("", text)
    head, colon, rest = body.partition(":")
    if not colon or not rest.strip() or len(head.split()) > _MAX_HEAD_WORDS:
        return None
    return head.strip().strip("*_")


# "how many" asks for a count (not "how much", "how long"): an answer listing the items leads with it.
_HOW_MANY = re.compile(
    r"\b(?:how\s+many|combien\s+(?:de|d['’])|wie\s+viele|cu[aá]nt[oa]s)\b|多少个|几个|几种|几类|多少",
    re.IGNORECASE,
)
_COUNT_WORDS = {
    "en": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    "fr": ("deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
    "de": ("zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn"),
    "es": ("dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"),
}


def asks_count(question: str) -> bool:
    return bool(_HOW_MANY.search(question))


def count_word(n: int, language: str) -> str:
    """`n` as the answer's first word: spelled out from two to ten where the language is covered."""
    words = _COUNT_WORDS.get(language)
    word = words[n - 2] if words and 2 <= n <= 10 else str(n)
    return word[0].upper() + word[1:]


def lead_with_count(question: str, sentences: list[CitedSentence], language: str) -> list[CitedSentence]:
    """A how-many question answered with the items and no figure ("came from government,
    enterprises, and social sectors") gets the count of those items first ("Three."), citing where
    they are listed. The count is the one list the answer gives: a run of bullet items, or the one
    enumeration of its first sentence; when that is ambiguous, or a figure is stated, nothing changes."""
    if not sentences or not asks_count(question):
        return sentences
    if any(numbers_in(re.sub(r"^\s*\d+[.)]\s+", "", s.text), words=True) for s in sentences):
        return sentences
    bullets = [s for s in sentences if _BULLET.match(s.text)]
    if len(bullets) >= 2:
        count, markers = len(bullets), list(dict.fromkeys(m for s in bullets for m in s.markers))
    else:
        counts = list_counts(sentences[0].text)
        if len(counts) != 1:
            return sentences
        count, markers = next(iter(counts)), list(sentences[0].markers)
    if count < 2 or not counts_what_was_asked(question, sentences[0].text):
        return sentences
    return [CitedSentence(count_word(count, language), markers, "."), *sentences]


def count_claim(question: str, n: int) -> str | None:
    """The how-many question with `n` in place of its "how many" ("… came from 3 sectors?"): what
    the answer claims, for the figure checks. None when the question asks no count."""
    match = _HOW_MANY.search(question)
    if match is None:
        return None
    # The counted noun is the last word of the phrase after "how many" ("how many cultural industry
    # parks have …" counts parks, not "cultural"): the claim keeps that word and what follows it.
    words = question[match.end():].split()
    phrase = 0
    while phrase < min(len(words), 4) and keyword_tokens(words[phrase]) and words[phrase].isalpha():
        phrase += 1
    rest = " ".join(words[phrase - 1:] if phrase else words)
    return f"{question[: match.start()]}{n} {rest}"


def counts_what_was_asked(question: str, answer: str) -> bool:
    """Whether the listed items are what the question counts: the answer names the counted noun
    ("… and social sectors" for "how many sectors"), or restates a third of what the
    question says (the council "would draw its members from …"). Areas of collaboration listed
    for "how many students …" are not students."""
    if detect_language(answer) != detect_language(question):
        return True  # words cannot be compared across languages; the support check still applies
    answered = set(keyword_tokens(answer))
    match = _HOW_MANY.search(question)
    counted = keyword_tokens(question[match.end():])[:1] if match else []
    if counted and counted[0] in answered:
        return True
    asked = set(keyword_tokens(question))
    return bool(asked) and len(asked & answered) >= len(asked) / 3
