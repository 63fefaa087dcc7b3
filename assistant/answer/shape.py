"""Shaping a checked answer by the kind of question: a list reads as one sentence naming its items.

Small models asked for a list copy the document's bullet lines whole ("- Art and Heritage: Joint
exhibitions ..."), so the items the question asks for are buried in their descriptions. A run of
such items becomes one sentence that names them ("..., include: Art and Heritage, Economic
Partnerships and Educational Initiatives [1]."), citing what the items cited.
"""

from __future__ import annotations

import re

from assistant.answer.citations import CitedSentence

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
