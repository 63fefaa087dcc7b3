"""What kind of answer a question asks for, in any supported language, and the localized words
an answer of that kind starts with.

Kinds: `yesno` (answer starts with Yes/No, then the fact), `list` (every item, in order),
`number` (a count or amount, quoted with its qualifier and unit), `date`, `who`, `reason`
(why/how) and `fact` (everything else: what/which/definition).
"""

from __future__ import annotations

import re
from typing import Literal

QuestionKind = Literal["yesno", "list", "number", "date", "who", "reason", "fact"]

_FLAGS = re.IGNORECASE | re.UNICODE

_NUMBER = re.compile(
    r"\b(how\s+many|how\s+much|how\s+long|how\s+large|how\s+big|how\s+old|what\s+age|quel\s+[aâ]ge|quel(?:le)?\s+dur[ée]e|"
    r"what\s+(?:is\s+the\s+)?(?:number|amount|total|size|"
    r"percentage|share|cost|price|budget)|number\s+of|combien|quel(?:le)?s?\s+(?:est\s+le\s+)?(?:nombre|montant)|"
    r"wie\s+viele?|wieviele|wie\s+lange|wie\s+hoch|cu[aá]nt[oa]s?|quant[oa]s?)\b|多少|几|多久|多长",
    _FLAGS,
)
_DATE = re.compile(
    r"\b(what\s+year|which\s+year|what\s+date|which\s+date|what\s+day|deadlines?|due\s+date|since\s+when|"
    r"en\s+quelle\s+ann[ée]e|quelle\s+date|quel\s+jour|date\s+limite|depuis\s+quand|seit\s+wann|"
    r"in\s+welchem\s+jahr|frist|en\s+qu[eé]\s+a[ñn]o|plazo|fecha)\b|什么时候|哪一年|何时|哪天|截止",
    _FLAGS,
)
# "When" also joins clauses ("What oath do volunteers take when they enroll?"): it asks for a
# date only where it opens the question.
_OPENING_WHEN = re.compile(r"^\W*(?:(?:and|et|und|y|but|so)\s+)?(when|quand|wann|cu[aá]ndo)\b", _FLAGS)
_LIST = re.compile(
    r"\b(which|what)\s+(?:are|were)\b|\b(list|name|enumerate)\s+(?:all|the|every)\b|\bwhat\s+\w+\s+(?:are|were)\b|"
    r"\b(?:which|what)\s+(?:cities|countries|areas|programmes?|programs|fields|activities|organi[sz]ations|partners|"
    r"towns|regions|provinces|members|sectors|themes|topics|events|institutions|universities|languages)\b|"
    r"\b(?:what|which)\s+(?:kinds|types|sorts|forms|ways|range)\s+of\b|\bin\s+what\s+ways\b|"
    r"\b(?:what|which)\s+\w{3,}s\s+(?:and|or)\s+\w{3,}s\b|\blist\s+of\b|"
    r"\b(?:what|which)\s+(?:\w+\s+)?\w{3,}s\s+(?:is|are|was|were|do|does|did|can|could|would|will|should|have|has)\b|"
    r"\b(?:quels|quelles)\b|\b(?:welche)\b|\b(?:cu[aá]les|qu[eé]\s+\w+s)\b|哪些",
    _FLAGS,
)
_WHO = re.compile(r"\b(who|whom|whose|qui|wer|wen|wem|qui[eé]n(?:es)?)\b|谁", _FLAGS)
_REASON = re.compile(
    r"\b(why|how|for\s+what\s+purpose|what\s+for|pourquoi|comment|dans\s+quel\s+but|warum|wieso|weshalb|wie|"
    r"por\s+qu[eé]|c[oó]mo|para\s+qu[eé])\b|为什么|如何|怎么|怎样",
    _FLAGS,
)
# Yes/no questions open with an auxiliary (English, German), "est-ce que"/inversion (French),
# or end with 吗 / 是否 (Chinese).
# Question words that are never relative pronouns: wherever they stand, the question is open.
_WH_ANYWHERE = re.compile(r"\b(combien|quel(?:le)?s?|quand|pourquoi|how\s+(?:many|much|long)|what)\b", _FLAGS)
_YESNO = re.compile(
    r"^\s*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|shall|may|must|"
    r"est-ce\s+que?|est-ce|ist|sind|war|waren|hat|haben|gibt\s+es|kann|können|wird|werden|"
    r"¿?\s*(?:es|son|fue|hay|tiene|tienen|puede|pueden|existe))\b|"
    r"\b\w+-(?:t-)?(?:je|tu|il|elle|ils|elles|on|nous|vous)\b(?![-'’])|"
    r"吗[？?]?\s*$|是否|有没有|是不是",
    _FLAGS,
)
_WH = re.compile(
    r"\b(what|which|who|whom|whose|when|where|why|how|quel(?:le)?s?|qui|que|qu'|quoi|quand|o[uù]|comment|combien|"
    r"pourquoi|lequel|laquelle|was|welche[rsmn]?|wer|wann|wo|warum|wie|qu[eé]|qui[eé]n|cu[aá]ndo|d[oó]nde|"
    r"c[oó]mo|cu[aá]l(?:es)?|cu[aá]nt[oa]s?)\b|什么|哪|谁|为什么|如何|怎么|多少|几",
    _FLAGS,
)


# English "Was the/there/it …" opens a yes/no question; German "Was ist …" asks "what".
_ENGLISH_WAS = re.compile(r"^\s*was\s+(?:the|a|an|there|it|this|that|he|she|any|each|every|one)\b", _FLAGS)


def question_kind(question: str) -> QuestionKind:
    """The kind of answer the question asks for. Yes/no is decided first ("Is X twinned with Y?"),
    unless a question word opens it ("Quelles villes sont-elles …"), then date, number, list, who, reason, fact.
    "What kind of X" asks for one thing; "what kinds of X" and "which sectors" for a list."""
    text = question.strip()
    words = text.split()
    opening = " ".join(words[1:3] if _ENGLISH_WAS.match(text) else words[:3])
    if _YESNO.search(text) and not _WH.search(opening) and not _WH_ANYWHERE.search(text):
        return "yesno"
    if _DATE.search(text) or _OPENING_WHEN.search(text):
        return "date"
    if _NUMBER.search(text):
        return "number"
    if _LIST.search(text):
        return "list"
    if _WHO.search(text):
        return "who"
    if _REASON.search(text):
        return "reason"
    return "fact"


YES = {"en": "Yes", "fr": "Oui", "de": "Ja", "es": "Sí", "it": "Sì", "pt": "Sim", "nl": "Ja", "zh": "是的"}
NO = {"en": "No", "fr": "Non", "de": "Nein", "es": "No", "it": "No", "pt": "Não", "nl": "Nee", "zh": "不"}


def yes_word(language: str) -> str:
    return YES.get(language, YES["en"])


def no_word(language: str) -> str:
    return NO.get(language, NO["en"])
