"""Does a cited passage support the sentence that cites it?

A sentence is supported when it says something (a sentence of markers and punctuation, or of
stopwords only, supports nothing), every number it states appears in the passage (in digits or in
words, or as the count of a list the passage gives: "three areas" for three listed areas), and
either most of its content words appear there too, or (an answer in another language than the
passage) every name it states is the passage's, or (paraphrases) it is semantically close to one
of the passage's sentences under the multilingual encoder. All of this is judged within one window
of the passage (a sentence with its neighbours, a list with its lead-in) that holds every name and
figure of the claim: a claim that pairs the passage's words in a relation the passage does not
state ("Aktau is the capital" from "Astana, the capital ... Aktau, a coastal city") is unsupported,
and a paraphrase must share some of what the claim says about its names. Sentence vectors come from
a per-answer `SentenceVectors`, so a passage sentence is embedded at most once per answer.
"""

from __future__ import annotations

import re

from langchain_core.embeddings import Embeddings

from assistant.answer.citations import strip_markers
from assistant.answer.evidence import SentenceVectors
from assistant.text.entities import ELISION, mentions_all, question_entities
from assistant.text.language import detect_language
from assistant.text.question import FRAME_WORDS
from assistant.text.sentences import split_sentences
from assistant.text.tokenize import NUMBER_WORDS, STOPWORDS, fold, keyword_tokens, numbers_in


class SupportChecker:
    def __init__(
        self,
        encoder: Embeddings | None,
        min_overlap: float = 0.6,
        min_similarity: float = 0.55,
        min_crosslingual_similarity: float = 0.4,
    ) -> None:
        self.encoder = encoder
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity
        # an unsupported sentence in another language than its passage is replaced by the quote of
        # the passage sentence it translates when they are this close (assistant.answer.chain)
        self.min_crosslingual_similarity = min_crosslingual_similarity

    def check(
        self, pairs: list[tuple[str, str]], vectors: SentenceVectors | None = None, question: str = ""
    ) -> list[bool]:
        """For each (sentence, passage) pair, whether the passage supports the sentence.
        `vectors` caches sentence embeddings across calls of one answer. A name the claim takes
        from `question` (the topic asked about) must be in the passage but not in the window that
        states the claim ("… the media programme launched in Astana aims to …" from a passage
        that names Astana in its opening and the programme's aim further on)."""
        verdicts: list[bool | None] = []
        anchors: list[list[str]] = []  # per pair: the passage units the semantic check may compare with
        asked = set(keyword_tokens(question, drop_stopwords=False))
        frame = _FRAME & asked
        question_language = detect_language(question) if question else None
        for sentence, passage in pairs:
            if question and quotes_passage(strip_markers(sentence), passage, asked):
                verdicts.append(True)
                anchors.append([])
                continue
            claim = _quoted(strip_markers(sentence))
            numbers = _claim_numbers(strip_markers(sentence))
            names = claim_names(claim, passage)
            topic = [n for n in names if set(keyword_tokens(n, drop_stopwords=False)) <= asked]
            if not mentions_all(topic, passage):
                topic = []
            # An answer in another language than its passage names what the passage names, in
            # its own spelling ("Vérone" for Verona).
            translated = _claim_language(claim, names, question_language) != detect_language(passage)
            windows = _anchored_windows(passage, [n for n in names if n not in topic], numbers, translated)
            overlaps = [_relation_overlap(claim, names, " ".join(w), frame) for w in windows]
            cross = bool(names) and translated
            # A paraphrase in the passage's language says something of what the claim says about
            # its names; only those windows may be compared semantically.
            anchors.append(list(dict.fromkeys(
                unit for window, overlap in zip(windows, overlaps, strict=True) if overlap > 0 or cross
                for unit in window
            )))
            if not says_something(claim) or numbers - passage_numbers(passage) or not windows:
                verdicts.append(False)
                continue
            if not figures_bound(claim, [" ".join(w) for w in windows], passage):
                verdicts.append(False)  # a figure of the passage given to another thing
                continue
            # Matching figures are strong evidence: a paraphrase around them needs less overlap.
            threshold = self.min_overlap / 2 if numbers else self.min_overlap
            if max(overlaps) >= threshold or cross:
                verdicts.append(True)
            elif not anchors[-1]:
                verdicts.append(False)
            else:
                verdicts.append(None)  # decide semantically
        undecided = [i for i, v in enumerate(verdicts) if v is None]
        if undecided and self.encoder is not None:
            bank = vectors if vectors is not None and vectors.encoder is self.encoder else SentenceVectors(self.encoder)
            semantic = self._semantic([(pairs[i][0], anchors[i]) for i in undecided], bank)
            for i, ok in zip(undecided, semantic, strict=True):
                verdicts[i] = ok
        return [bool(v) for v in verdicts]

    def _semantic(self, pairs: list[tuple[str, list[str]]], vectors: SentenceVectors) -> list[bool]:
        claims = [_quoted(strip_markers(s)) for s, _ in pairs]
        passage_sentences = [units for _, units in pairs]
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


def _claim_language(claim: str, names: list[str], question_language: str | None) -> str:
    """The language a claim is written in: that of its words other than its names ("CCIPRA
    signifie China Cultural Industry Park Regional Alliance" is French); with fewer than three
    such words, too few to tell, the question's (answers are written in the question's language).
    A claim in another language than its passage (a French answer from an English page) shares
    few words with it and embeds far from it: it must state names, and they must stand together
    in one window of the passage."""
    name_words = {w for n in names for w in _words(n)}
    rest = [w for w in _NAME_WORD.findall(claim) if fold(w) not in name_words]
    if len(rest) < 3 and question_language:
        return question_language
    return detect_language(" ".join(rest) if len(rest) >= 3 else claim)


_NAME_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _NAME_WORD.findall(fold(text))


def _spelled_alike(word: str, vocabulary: set[str]) -> bool:
    """A name word of one language in a text of another: the same word, or (five letters or more)
    the same first five letters and length within one ("verone"/"verona", "pekin"/"peking"; not
    "austria"/"australia")."""
    if word in vocabulary:
        return True
    return len(word) >= 5 and any(v[:5] == word[:5] and abs(len(v) - len(word)) <= 1 for v in vocabulary)


def claim_names(claim: str, passage: str) -> list[str]:
    """The names a claim states: its capitalised non-initial words and acronyms, and its first
    word when the passage writes it as a name ("Aktau est ..." from "... avec Aktau, ville ...")."""
    claim = ELISION.sub(" ", claim)  # "d'Astana" names Astana
    claim = _SCRIPT_BOUNDARY.sub(" ", claim)  # "连云港与Aktau结为" names Aktau
    names = question_entities(claim)
    first = re.match(r"\s*([^\W\d_][\w\-]*)", claim)
    if first and first.group(1)[0].isupper() and first.group(1) not in names:
        word = first.group(1)
        if keyword_tokens(word) and re.search(rf"[^.!?:\s]\s+{re.escape(word)}\b", passage):
            names.insert(0, word)
    return names


_SCRIPT_BOUNDARY = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u3000-\u9fff\uff00-\uffef])"
)


def _units(passage: str) -> list[str]:
    """The passage's sentences, a list's lines joined to the sentence that introduces it."""
    units: list[str] = []
    for sentence in split_sentences(passage) or [passage]:
        if units and _BULLET.match(sentence) and (
            units[-1].rstrip().endswith(":") or _BULLET.match(units[-1].rsplit("\n", 1)[-1])
        ):
            units[-1] += "\n" + sentence
        else:
            units.append(sentence)
    return units


def _anchored_windows(
    passage: str, names: list[str], numbers: set[str], translated: bool = False
) -> list[list[str]]:
    """The windows (a unit with its neighbours) that hold every name and figure the claim states
    (a `translated` claim's names spelled alike)."""
    name_words = [w for n in names for w in _words(n)]
    units = _units(passage)
    windows = []
    for i in range(len(units)):
        window = units[max(0, i - 1) : i + 2]
        text = " ".join(window)
        if translated:
            said = set(_words(text))
            named = all(_spelled_alike(w, said) for w in name_words)
        else:
            named = mentions_all(names, text)
        if named and numbers <= passage_numbers(text):
            windows.append(window)
    return windows


def _relation_overlap(claim: str, names: list[str], window: str, frame: frozenset[str] = frozenset()) -> float:
    """How much of what the claim says about its names the window says too: the share of its
    content words other than the names and the `frame` words the question used ("does the
    article give …", "located in"), all of them when it names nothing. A word matches another form of itself
    ("jumelage" / "jumelles": the first five letters, where the 6-letter stems differ)."""
    tokens = set(keyword_tokens(claim))
    relation = tokens - {t for n in names for t in keyword_tokens(n)} - frame - _NUMBER_WORDS or tokens
    if not relation:
        return 0.0
    said = set(keyword_tokens(window))
    prefixes = {t[:5] for t in said if len(t) >= 5 and t.isalpha()}
    matched = sum(1 for t in relation if t in said or (len(t) >= 5 and t.isalpha() and t[:5] in prefixes))
    return matched / len(relation)


_FRAME = frozenset(keyword_tokens(FRAME_WORDS))
# Spelled-out counts are checked with the figures (`figures_bound`), not as words of the relation.
_NUMBER_WORDS = frozenset(t for word in NUMBER_WORDS for t in keyword_tokens(word))


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
    r"\s*(?:(?:including|such\s+as|notably|namely|like|comprising|y\s+compris|notamment|comme|dont|wie|incluyendo|"
    r"como)\b|tel(?:le)?s?\s+qu(?:e\b|['’]))",
    re.IGNORECASE,
)
_LEAD_IN_WORD = re.compile(
    r"\b(?:(?:including|such\s+as|notably|namely|comprising|y\s+compris|notamment|incluyendo|einschlie[sß]lich)\b|"
    r"tel(?:le)?s?\s+qu(?:e\b|['’]))",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"\s(?:and|or|et|ou|und|oder|y|e|o)\s|、|和|及", re.IGNORECASE)


def list_counts(passage: str) -> set[int]:
    """Sizes of the lists in a passage: runs of bullet lines, and enumerations in a sentence
    ("from government, enterprises and social sectors" is a list of 3)."""
    return {n for n, _ in enumerations(passage) if n <= 20}


_QUOTE = re.compile(r"[«“„]\s*(.+?)\s*[»”“]")
_ANY_QUOTE = re.compile(r"[«“„\"]\s*(.+?)\s*[»”“\"]")


def quotes_passage(claim: str, passage: str, asked: set[str]) -> bool:
    """A claim that quotes the passage word for word (three words or more: a title, a theme, a
    name in its source language) around words of the question only ("The theme of the launch
    event was "Construire la Route de la Soie Ensemble et Gagner l'Avenir"")."""
    text = _flat(passage)
    for quote in _ANY_QUOTE.findall(claim):
        if len(quote.split()) < 3 or _flat(quote) not in text:
            continue
        frame = set(keyword_tokens(claim.replace(quote, " ")))
        if frame <= asked | _FRAME:
            return True
    return False


def _flat(text: str) -> str:
    return " ".join(fold(text).replace("’", "'").split())


def _quoted(claim: str) -> str:
    """What a framed quote says ("D'après le document : « X »" says X); the claim itself otherwise.
    Only a short frame counts (a few words around a longer quote)."""
    quotes = _QUOTE.findall(claim)
    if not quotes:
        return claim
    quote = max(quotes, key=len)
    frame = claim.replace(quote, " ")
    return quote if len(frame.split()) <= 10 and len(quote.split()) >= 3 else claim


def _claim_numbers(claim: str) -> set[str]:
    # Ordinal list markers such as "1." at the start are not claims.
    return numbers_in(re.sub(r"^\s*\d+[.)]\s+", "", claim))


# --- figures and what they count ------------------------------------------------------------------

_FIGURE_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+|[.!?;:()\[\]]", re.UNICODE)
_BREAK = frozenset(".!?;:()[]")
# Nouns that name a count of a list rather than what it lists ("three kinds of bodies").
_COUNT_NOUNS = frozenset(keyword_tokens(
    "kind kinds type types sort sorts category categories group groups form forms item items way ways "
    "field fields area areas domain domains domaine domaines "
    "sorte sortes genre genres catégorie catégories groupe groupes forme formes type types art arten "
    "gruppe gruppen kategorie kategorien tipo tipos clase clases categoría categorías grupo grupos"
))
# Nouns general enough to stand for whatever the passage counts with the figure ("more than 1,000
# people" for "over 1,000 attendees").
_GENERIC_NOUNS = frozenset(keyword_tokens(
    "people persons individuals personnes gens individus personen menschen leute personas gente individuos"
))
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_SCALE_WORDS = frozenset({"million", "millions", "billion", "billions", "milliard", "milliards", "thousand", "mille"})


def _figure_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value) for each token: ("num", normalised figure), ("word", stem), ("stop", "") or
    ("break", "") for punctuation that ends a phrase."""
    out: list[tuple[str, str]] = []
    for token in _FIGURE_TOKEN.findall(fold(text)):
        if token in _BREAK:
            out.append(("break", ""))
        elif token[0].isdigit():
            out.append(("num", next(iter(numbers_in(token)), token)))
        elif token in NUMBER_WORDS:
            out.append(("num", str(NUMBER_WORDS[token])))
        elif token in STOPWORDS or token in _SCALE_WORDS:
            out.append(("stop", ""))
        else:
            stems = keyword_tokens(token)
            out.append(("word", stems[0]) if stems else ("stop", ""))
    return out


def _following(tokens: list[tuple[str, str]], i: int, n: int) -> list[str]:
    """The first `n` content words after token i, up to punctuation or the next figure."""
    words: list[str] = []
    for kind, value in tokens[i + 1 : i + 1 + 2 * n]:
        if kind in ("break", "num") or len(words) == n:
            break
        if kind == "word":
            words.append(value)
    return words


def counted_things(text: str) -> list[tuple[str, str | None]]:
    """Each figure of `text` ("24 key projects", "eight categories", "two-day") with the first
    content word after it (None when punctuation or another figure comes first). Years are dates,
    not counts."""
    tokens = _figure_tokens(text)
    out: list[tuple[str, str | None]] = []
    for i, (kind, value) in enumerate(tokens):
        if kind == "num" and not _YEAR.fullmatch(value):  # "since 2020, more …" counts nothing
            after = _following(tokens, i, 1)
            out.append((value, after[0] if after else None))
    return out


def figures_bound(claim: str, windows: list[str], passage: str) -> bool:
    """Every figure the claim attaches to a thing ("3 parks", "1,000 visitors") is attached to the
    same thing in one window of the passage: the passage writes the figure followed, within a few
    words, by that thing or a general word for it ("people"; "24 key projects" does not make
    "24 categories"), or the figure counts an enumeration whose shared noun or lead-in names it
    ("from government, enterprises and social sectors" makes "3 sectors"; not "3 parks" from
    "member parks, government agencies and industry experts"). A claim in another language than
    the passage is not compared word for word."""
    figures = [(value, noun) for value, noun in counted_things(claim) if noun is not None]
    if not figures or detect_language(claim) != detect_language(passage):
        return True
    return any(all(_bound(value, noun, window) for value, noun in figures) for window in windows)


def _bound(value: str, noun: str, window: str) -> bool:
    tokens = _figure_tokens(window)
    stated = [i for i, (kind, v) in enumerate(tokens) if kind == "num" and v == value]
    if any(noun in _following(tokens, i, 3) for i in stated) or (stated and noun in _GENERIC_NOUNS):
        return True
    if not value.isdigit():
        return False
    counts = enumerations(window)
    if not any(count == int(value) for count, _ in counts):
        return False  # stated only about something else
    return noun in _COUNT_NOUNS or any(
        count == int(value) and (named is None or noun in named) for count, named in counts
    )


def enumerations(text: str) -> list[tuple[int, set[str] | None]]:
    """The lists of `text` with the words that may name what they list: for an enumeration in a
    sentence, the words of its last item and the few before its first ("attendees from government,
    enterprises and social sectors"); None for a bullet run (its items are headings of their own,
    "three areas" counts them whatever the lead-in calls them)."""
    out: list[tuple[int, set[str] | None]] = []
    lines = [*text.split("\n"), ""]
    run = 0
    for line in lines:
        if _BULLET.match(line):
            run += 1
            continue
        if run >= 2:
            out.append((run, None))
        run = 0
    for sentence in split_sentences(text):
        for clause in re.split(r"[;:]", sentence):
            parts = _CONJUNCTION.split(clause)
            if len(parts) < 2:
                continue
            before = [seg for seg in _COMMA.split(parts[-2]) if seg.strip()]
            items = 1
            for segment in reversed(before):
                items += 1
                if _LEAD_IN.match(segment) or len(segment.split()) > 5:
                    break
            # the shared noun closes the last item ("... and social sectors"); a lead-in word
            # follows what is listed ("key areas such as ...", "eight categories, including ...")
            last = keyword_tokens(re.split(r"[,.]", parts[-1])[0])
            named = set(last[-1:])
            lead_in = _LEAD_IN_WORD.search(clause)
            if lead_in:
                named |= set(keyword_tokens(clause[: lead_in.start()])[-3:])
            out.append((items, named))
    return out
