"""Does a passage sentence contradict the claim a yes/no question makes?

Small models lean to "Yes" and restate the question as the fact, so the polarity of an answer is
checked against the passage sentences that decide it. A sentence that speaks of what the
question speaks of (it shares the question's content words) contradicts the claim when it
- negates it, or the question is negated and the sentence is not;
- puts another name in the question's place ("Was the event held in Qinghai?" / "... hosted an
  event at the Tianjin Binhai Cultural Center");
- gives another name the relation the question gives its name ("Is Aktau the capital?" /
  "Astana, the capital of Kazakhstan");
- states other figures where the passage never states the question's ("Did 2,000 attend?" /
  "over 1,000 attendees");
- uses the opposite of one of the question's words ("cities of the same country" /
  "municipalities from different countries").
Anything subtler is left to the generator: no sentence found here means no correction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from assistant.answer.evidence import ScoredSentence
from assistant.answer.support import claim_names
from assistant.text.entities import question_entities
from assistant.text.question import FRAME_WORDS
from assistant.text.tokenize import keyword_tokens, numbers_in

NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|without|cannot|n't|ne|n'|pas|jamais|aucun|aucune|sans|nicht|kein|keine|"
    r"nie|nunca|ning[uú]n|ninguna|sin)\b|n't\b|不|没",
    re.IGNORECASE,
)
# "in Qinghai", "at the Tianjin Binhai Cultural Center", "à Pékin", "au Kazakhstan"
_PLACE = re.compile(
    r"\b(?i:in|at|à|au|aux|en|dans|im|en)\s+(?:(?i:the|la|le|les)\s+|[lL]['’])?([A-Z][\w\-]*)", re.UNICODE
)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)
# Opposites, as keyword stems (6-character prefixes of folded words), in both directions.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"same", "meme"}), frozenset({"differ", "other", "autre", "variou", "diver"})),
    (
        frozenset({"single", "seul", "seule", "unique"}),
        frozenset({"differ", "severa", "multip", "variou", "plusie", "diver"}),
    ),
    (frozenset({"foreig", "intern", "etrang"}), frozenset({"domest", "nation", "region", "within", "interi"})),
    (frozenset({"before", "avant"}), frozenset({"after", "apre"})),
    (frozenset({"first", "premie"}), frozenset({"last", "dernie"})),
)
# Words of the question's frame and connectives: not what it claims.
_FRAME = frozenset(keyword_tokens(FRAME_WORDS))
# "not only ... but also" affirms.
_NOT_ONLY = re.compile(r"\b(?:not\s+only|non\s+seulement|nicht\s+nur|no\s+s[oó]lo)\b", re.IGNORECASE)


def contradicting_sentence(
    question: str, scored: Iterable[ScoredSentence], passages: dict[int, str], top: int = 5
) -> ScoredSentence | None:
    """The best-matching of the `top` statements (by match) that contradicts the question's claim,
    else a statement next to one of the best two (the fact often follows the sentence that names
    the topic: "Sister city partnerships serve as ... These alliances unite municipalities from
    different countries"). `passages` maps passage numbers to their text (for names and figures
    the passage states)."""
    for sentence, context in _best_statements(scored, passages, top, neighbours_of=2):
        if contradicts(question, sentence.text, passages[sentence.passage], context):
            return sentence
    return None


def confirming_sentence(
    question: str, scored: Iterable[ScoredSentence], passages: dict[int, str], top: int = 3
) -> ScoredSentence | None:
    """The best-matching of the `top` statements that states what the question claims: every name
    of the question in it or its neighbours, and at least half of what the question says of them."""
    for sentence, context in _best_statements(scored, passages, top):
        passage = passages[sentence.passage]
        _, name_tokens, relation = _claim(question, passage)
        said = set(keyword_tokens(f"{sentence.text} {context}"))
        if (
            name_tokens <= said and relation and len(relation & said) >= len(relation) / 2
            and not contradicts(question, sentence.text, passage, context)
        ):
            return sentence
    return None


def contradicts(question: str, sentence: str, passage: str = "", context: str = "") -> bool:
    """Whether `sentence` (of `passage`, between the sentences `context`) says the opposite of
    what yes/no `question` claims. The sentence with its context must speak of what the
    question speaks of."""
    passage = passage or sentence
    if not _is_statement(sentence):
        return False
    names, name_tokens, relation = _claim(question, passage)
    said = set(keyword_tokens(sentence))
    shared = relation & (said | set(keyword_tokens(context)))
    if not relation & said or not shared or len(shared) < len(relation) / 3:
        return False  # the sentence speaks of something else
    if _opposite(relation, said):
        return True
    covers_names = name_tokens <= said
    if covers_names and is_negated(question) != is_negated(sentence):
        return True
    if _other_place(question, sentence):
        return True
    figures = numbers_in(question, words=True)
    if figures and not figures & numbers_in(passage, words=True) and numbers_in(sentence):
        return True
    return _other_name_in_relation(question, sentence, names, relation)


def _best_statements(
    scored: Iterable[ScoredSentence], passages: dict[int, str], top: int, neighbours_of: int = 0
) -> Iterator[tuple[ScoredSentence, str]]:
    """The `top` statements of the given passages by match, each with its neighbouring sentences;
    then the statements next to the best `neighbours_of` of them."""
    scored = list(scored)
    statements = sorted(
        (s for s in scored if s.passage in passages and _is_statement(s.text)), key=lambda s: s.match, reverse=True
    )
    by_position = {(s.passage, s.position): s for s in scored}

    def context(sentence: ScoredSentence) -> str:
        around = (by_position.get((sentence.passage, sentence.position + step)) for step in (-1, 1))
        return " ".join(s.text if s else "" for s in around)

    best = statements[:top]
    for sentence in best:
        yield sentence, context(sentence)
    seen = {(s.passage, s.position) for s in best}
    for sentence in statements[:neighbours_of]:
        for step in (-1, 1):
            neighbour = by_position.get((sentence.passage, sentence.position + step))
            if neighbour and (neighbour.passage, neighbour.position) not in seen and _is_statement(neighbour.text):
                seen.add((neighbour.passage, neighbour.position))
                yield neighbour, context(neighbour)


def _claim(question: str, passage: str) -> tuple[list[str], set[str], set[str]]:
    """What a yes/no question claims: its names (as the passage spells them), their keyword
    tokens, and the rest of its content words (the relation it asserts of them)."""
    names = claim_names(question, passage)
    name_tokens = {t for n in names for t in keyword_tokens(n)}
    return names, name_tokens, set(keyword_tokens(question)) - name_tokens - _FRAME


def _is_statement(sentence: str) -> bool:
    """A sentence of five words or more that is not a run of headings or tags (mostly capitalised)."""
    words = _WORD.findall(sentence)
    capitalised = sum(1 for w in words if w[:1].isupper())
    return len(words) >= 5 and capitalised <= len(words) / 2


def is_negated(text: str) -> bool:
    """Whether the text negates (\"not only ... but also\" affirms)."""
    return bool(NEGATION.search(_NOT_ONLY.sub(" ", text)))


def _opposite(relation: set[str], said: set[str]) -> bool:
    for one, other in _OPPOSITES:
        for asked, stated in ((one, other), (other, one)):
            if relation & asked and said & stated and not relation & stated:
                return True
    return False


def _other_place(question: str, sentence: str) -> bool:
    """The question places its claim at a name ("held in Qinghai"); the sentence places it at
    other names only (the question's name is in none of the sentence's place phrases)."""
    asked = {m.group(1).lower() for m in _PLACE.finditer(question)}
    phrases = [" ".join(sentence[m.start(1) :].split()[:6]).lower() for m in _PLACE.finditer(sentence)]
    return bool(asked) and bool(phrases) and not any(name in phrase for name in asked for phrase in phrases)


def _other_name_in_relation(question: str, sentence: str, names: list[str], relation: set[str]) -> bool:
    """A name of the question that the sentence lacks stood next to a relation word ("Aktau ...
    capital"); in the sentence that word stands next to a name the question does not give."""
    said = set(keyword_tokens(sentence, drop_stopwords=False))
    tokens = {t for n in names for t in keyword_tokens(n)}
    missing = tokens - said
    if len(missing) != 1 or not tokens & said:
        return False  # one name replaced, the others the sentence's
    asked = _content_words(question)
    anchored = {
        stem for i, (_, stem) in enumerate(asked) if stem in relation
        for _, near in asked[max(0, i - 2) : i + 3] if near in missing
    }
    if not anchored:
        return False
    known = {t for n in question_entities(question) + names for t in keyword_tokens(n)}
    words = _content_words(sentence)
    for i, (_, stem) in enumerate(words):
        if stem not in anchored:
            continue
        for j in range(max(1, i - 2), min(len(words), i + 3)):  # not the sentence's first word
            word, near = words[j]
            if word[0].isupper() and near not in known and near not in relation:
                return True
    return False


def _content_words(text: str) -> list[tuple[str, str]]:
    """(word, stem) for each content word, in order."""
    out: list[tuple[str, str]] = []
    for word in _WORD.findall(re.sub(r"\b(?:[cdjlmnst]|qu)['’](?=[^\W\d_])", " ", text, flags=re.IGNORECASE)):
        out.extend((word, stem) for stem in keyword_tokens(word))
    return out
