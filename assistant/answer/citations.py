"""Citation markers: normalising what generators write, renumbering by first appearance, and
rebuilding the answer from checked sentences. The application owns the numbering."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.models import Quote, Source
from assistant.text.sentences import split_sentences

if TYPE_CHECKING:
    from assistant.index.retrieval import Passage

MARKER = re.compile(r"\s*\[(\d+)\]")
_GROUP = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_TRAILING = re.compile(r"((?:\s*\[\d+\])+)\s*([.!?。！？]*)\s*$")


def strip_markers(text: str) -> str:
    """The text without its [n] markers."""
    return MARKER.sub("", text).strip()


def normalize_markers(text: str, n_passages: int) -> str:
    """'[1, 2]' -> '[1][2]'; markers for passages that do not exist are removed; markers written
    after the full stop move before it, so each sentence keeps its own markers."""

    def expand(match: re.Match[str]) -> str:
        numbers = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        return "".join(f"[{n}]" for n in numbers if 1 <= n <= n_passages)

    text = _GROUP.sub(expand, text)
    return re.sub(r"([.!?。！？])((?:\s*\[\d+\])+)", lambda m: m.group(2) + m.group(1), text)


@dataclass
class CitedSentence:
    text: str  # without markers
    markers: list[int] = field(default_factory=list)  # passage numbers, 1-based
    end: str = ""


def parse_sentences(text: str) -> list[CitedSentence]:
    out: list[CitedSentence] = []
    for sentence in split_sentences(text):
        markers = [int(m) for m in MARKER.findall(sentence)]
        match = _TRAILING.search(sentence)
        end = match.group(2) if match else ""
        if not end:
            tail = re.search(r"([.!?。！？]+)$", sentence.strip())
            end = tail.group(1) if tail else ""
        body = _MARKERS.sub("", sentence).strip()
        if end and body.endswith(end):
            body = body[: -len(end)].rstrip()
        out.append(CitedSentence(body, list(dict.fromkeys(markers)), end))
    return out


def render(sentences: list[CitedSentence], numbering: dict[int, int]) -> str:
    parts = []
    for s in sentences:
        marks = "".join(dict.fromkeys(f"[{numbering[m]}]" for m in s.markers if m in numbering))
        parts.append(f"{s.text} {marks}{s.end}" if marks else f"{s.text}{s.end}")
    return " ".join(parts).strip()


class MarkerStream:
    """Renumbers markers in streamed text on the fly (first cited passage becomes [1])."""

    def __init__(self, n_passages: int) -> None:
        self.n_passages = n_passages
        self.numbering: dict[int, int] = {}
        self._buffer = ""

    def feed(self, piece: str) -> str:
        self._buffer += piece
        cut = self._buffer.rfind("[")
        if cut != -1 and "]" not in self._buffer[cut:] and len(self._buffer) - cut < 12:
            ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
        else:
            ready, self._buffer = self._buffer, ""
        return self._rewrite(ready)

    def flush(self) -> str:
        ready, self._buffer = self._buffer, ""
        return self._rewrite(ready)

    def _rewrite(self, text: str) -> str:
        text = _GROUP.sub(
            lambda m: "".join(
                f"[{n}]" for n in (int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))) if 1 <= n <= self.n_passages
            ),
            text,
        )

        def number(match: re.Match[str]) -> str:
            passage = int(match.group(1))
            if passage not in self.numbering:
                self.numbering[passage] = len(self.numbering) + 1
            return f"[{self.numbering[passage]}]"

        return re.sub(r"\[(\d+)\]", number, text)


def number_sources(
    sentences: list[CitedSentence],
    passages: list[Passage],
    quote_for: Callable[[int, str], Passage] | None = None,
) -> tuple[dict[int, int], list[Source]]:
    """Number the cited documents by first appearance: every passage of one document shares the
    document's number, and the document's source lists each quoted chunk once (`quote_for(m,
    sentence)` picks the chunk of passage m that a sentence quotes; default the passage itself).
    Returns (passage position -> source number, the sources in number order)."""
    by_doc: dict[str, int] = {}
    numbering: dict[int, int] = {}
    sources: list[Source] = []
    for sentence in sentences:
        for m in sentence.markers:
            passage = passages[m - 1]
            chunk = quote_for(m, sentence.text) if quote_for is not None else passage
            number = by_doc.get(passage.doc_id)
            if number is None:
                number = by_doc[passage.doc_id] = len(by_doc) + 1
                sources.append(
                    Source(
                        n=number, doc_id=passage.doc_id, title=passage.title, source=passage.url or passage.source,
                        url=passage.url, date=passage.date, language=passage.language, quote=chunk.text,
                        score=round(passage.score, 6), chunk_id=chunk.chunk_id, passages=[],
                    )
                )
            source = sources[number - 1]
            if all(q.chunk_id != chunk.chunk_id for q in source.passages):
                source.passages.append(Quote(chunk_id=chunk.chunk_id, quote=chunk.text))
            numbering[m] = number
    return numbering, sources
