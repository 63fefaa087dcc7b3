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


# --- questions about two things at once ("Do both A and B ...?") ---------------------------------

_AUX = (
    r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|est-ce\s+que|ist|sind|hat|haben|"
    r"es|son|tienen?)"
)
_BOTH_AFTER = re.compile(  # "Are A and B both P?"
    rf"^\s*(?P<aux>{_AUX})\s+(?P<a>.+?)\s+(?:and|et|und|y)\s+(?P<b>.+?)\s+(?:both|beide|ambos|ambas)\s+(?P<p>.+)$",
    _FLAGS,
)
_BOTH_BEFORE = re.compile(  # "Do both A and B P?", "... both in A and in B?"
    r"^(?P<pre>.*?)\b(?:both|sowohl|tanto)\s+(?P<a>.+?)\s+(?:and|als\s+auch|como)\s+(?P<b>.+)$", _FLAGS
)
_TOUS_DEUX = re.compile(  # "A et B évoquent-ils tous deux P ?"
    r"^\s*(?P<a>.+?)\s+et\s+(?P<b>.+?)\s+(?P<verb>[^\W\d_]+-(?:t-)?(?:ils|elles))\s+(?:tous|toutes)\s+(?:les\s+)?deux\s+(?P<p>.+)$",
    _FLAGS,
)
_HEAD_END = re.compile(r"\s*[?？.!]+\s*$")
_NAMEISH = re.compile(r"^(?:[A-Z]|\w+[-–]\w)", re.UNICODE)


def question_parts(question: str) -> tuple[list[str], str] | None:
    """The two things a question asks the same thing about, and what it asks ("Do both the
    Shanghai–Yunnan initiative and the Tianjin–Qinghai event aim to develop tourism?" ->
    (["the Shanghai–Yunnan initiative", "the Tianjin–Qinghai event"], "Do aim to develop tourism")).
    None for a question about one thing."""
    text = _HEAD_END.sub("", question.strip())
    match = _BOTH_AFTER.match(text)
    if match:
        return [match["a"], match["b"]], f"{match['aux']} {match['p']}"
    match = _TOUS_DEUX.match(text)
    if match:
        return [match["a"], match["b"]], f"{match['verb']} {match['p']}"
    match = _BOTH_BEFORE.match(text)
    if not match:
        return None
    first, rest = match["a"], match["b"]
    if first.split()[0].lower() in {"in", "dans", "en", "im", "à", "au"}:
        # "both in A and in B": the parts end the question
        return [first, rest], match["pre"].strip()
    second, predicate = _split_phrase(rest)
    if not predicate:
        return None
    return [first, second], f"{match['pre'].strip()} {predicate}".strip()


def _split_phrase(text: str) -> tuple[str, str]:
    """A noun phrase naming a thing, and what follows it: the phrase ends with the word after its
    last name ("the China–Kazakhstan programme | say that ...", "the sister-city article | mention ...")."""
    words = text.split()
    last_name = max((i for i, w in enumerate(words[:6]) if _NAMEISH.match(w)), default=-1)
    if last_name < 0:
        return text, ""
    end = min(last_name + 2, len(words))
    if end < len(words) and words[last_name + 1 : end] and _NAMEISH.match(words[end - 1]):
        end = last_name + 1
    return " ".join(words[:end]), " ".join(words[end:])


# Words that speak of the documents or frame the question ("does the article mention ...",
# "according to ...", "both"), or of where something lies ("located", "situé"), rather than state
# what is claimed: a passage need not repeat them to support a claim.
FRAME_WORDS = (
    "according article articles document documents text page say says said mention mentions mentioned "
    "describe describes described give gives given cite cites cited refer refers referred both also "
    "located situated lies "
    "selon après entre aussi article document texte page dit disent mentionne mentionnent décrit décrivent "
    "cite citent donne donnent évoque évoquent indique indiquent présenté présente tous toutes deux situé située "
    "situés trouve "
    "laut artikel dokument erwähnt nennt beschreibt liegt gelegen "
    "según artículo documento menciona dice describe cita ubicado ubicada situado situada"
)
_CHOICE = re.compile(r"\s(?:or|ou|oder|o|ou\s+bien)\s|还是|或者|或", _FLAGS)


def is_choice(question: str) -> bool:
    """Whether the question offers its answers ("Which of A or B ...?"): an answer may then only
    repeat the question's words."""
    return bool(_CHOICE.search(question))
