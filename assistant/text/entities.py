"""Names in a question, for the near-miss guard: an answer about a different programme, city or
organisation than the one asked about is not an answer."""

from __future__ import annotations

import re

from assistant.text.tokenize import keyword_tokens

# Capitalised words that are not names (sentence starters, pronouns, months, weekdays).
_NOT_NAMES = frozenset(
    """
    i what which who whom whose when where why how is are was were do does did can could should would
    will the a an in on at for of and or to quel quelle quels quelles qui que quoi quand où comment
    combien pourquoi le la les un une des est sont wer was wann wo wie warum welche der die das ein eine
    qué quién cuándo dónde cómo cuántos cuántas el los las
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)
# French elided articles and pronouns before a word ("l'Europe", "d'Astana", "qu'Aktau").
ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’](?=[^\W\d_])", re.IGNORECASE)


def question_entities(question: str) -> list[str]:
    """Capitalised words after the first word, and acronyms, that are not common words ("l'Asie"
    names Asie)."""
    words = _WORD.findall(ELISION.sub(" ", question))
    names: list[str] = []
    for index, word in enumerate(words):
        if word.lower() in _NOT_NAMES:
            continue
        if (index > 0 and word[0].isupper()) or (len(word) > 1 and word.isupper()):
            for part in re.split(r"[-–]", word):
                if part and part.lower() not in _NOT_NAMES:
                    names.append(part)
    return list(dict.fromkeys(names))


def mentions_any(entities: list[str], texts: list[str]) -> bool:
    """True when no entity was asked about, or at least one appears in `texts`."""
    if not entities:
        return True
    vocabulary = set()
    for text in texts:
        vocabulary.update(keyword_tokens(text, drop_stopwords=False))
    return any(set(keyword_tokens(entity, drop_stopwords=False)) & vocabulary for entity in entities)


def mentions_all(entities: list[str], text: str) -> bool:
    vocabulary = set(keyword_tokens(text, drop_stopwords=False))
    return all(set(keyword_tokens(entity, drop_stopwords=False)) <= vocabulary for entity in entities)
