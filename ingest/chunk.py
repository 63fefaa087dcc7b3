"""Sentence-preserving chunking with stable chunk ids (`<doc_id>#<index>`)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.text.sentences import split_sentences


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    index: int
    text: str


def split_text(text: str, size: int, overlap: int) -> list[str]:
    """Pack whole sentences into pieces of about `size` characters; start the next piece with
    the trailing whole sentences of the previous one that fit in `overlap` characters.
    A single sentence longer than `size` is cut
    at word boundaries (legal text has 2,000-character sentences)."""
    # (sentence, ends_line): line breaks are kept inside chunks so headings stay separate.
    sentences: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        parts = [piece for sentence in split_sentences(line) for piece in _cut_long(sentence, size)]
        sentences.extend((part, i == len(parts) - 1) for i, part in enumerate(parts))
    pieces: list[str] = []
    current: list[tuple[str, bool]] = []
    length = 0
    for sentence in sentences:
        if current and length + len(sentence[0]) + 1 > size:
            pieces.append(_join(current))
            carry: list[tuple[str, bool]] = []
            for previous in reversed(current):
                if sum(len(s) + 1 for s, _ in carry) + len(previous[0]) > overlap:
                    break
                carry.insert(0, previous)
            # never let the overlap alone fill the next chunk
            while carry and sum(len(s) + 1 for s, _ in carry) + len(sentence[0]) > size:
                carry = carry[1:]
            current, length = list(carry), sum(len(s) + 1 for s, _ in carry)
        current.append(sentence)
        length += len(sentence[0]) + 1
    if current:
        pieces.append(_join(current))
    return pieces


def _join(sentences: list[tuple[str, bool]]) -> str:
    out = ""
    for i, (sentence, ends_line) in enumerate(sentences):
        out += sentence
        if i < len(sentences) - 1:
            out += "\n" if ends_line else " "
    return out


def split_document(doc_id: str, text: str, size: int, overlap: int) -> list[Chunk]:
    return [
        Chunk(chunk_id=f"{doc_id}#{i}", doc_id=doc_id, index=i, text=piece)
        for i, piece in enumerate(split_text(text, size, overlap))
    ]


def _cut_long(sentence: str, size: int) -> list[str]:
    if len(sentence) <= size:
        return [sentence]
    words = sentence.split(" ")
    if len(words) == 1:  # unbroken CJK text or a huge token
        return [sentence[i : i + size] for i in range(0, len(sentence), size)]
    parts: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + len(word) + 1 > size:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts
