"""Sentence splitting that works across English, French, German, Spanish and Chinese text."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "sec", "secs", "vol", "etc", "e.g", "i.e",
    "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "inc", "ltd", "co", "corp", "jr", "sr", "vs", "cf", "art", "par", "mme", "mlle",
    "m", "pp", "p", "fig", "approx", "ca", "subsec", "para", "pub", "l", "stat", "ch", "cl",
}
# Candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’»)\]]*)(\s+)")
_CJK_BOUNDARY = re.compile(r"([。！？]+[”’」』）]*)")


def split_sentences(text: str) -> list[str]:
    """Split into sentences, keeping each sentence whole. Line breaks always split (cleaned text
    keeps one paragraph or heading per line)."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            sentences.extend(_split_paragraph(paragraph))
    return sentences


def _split_paragraph(paragraph: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end(1)
        before = paragraph[start:end]
        next_char = paragraph[match.end() : match.end() + 1]
        last_word = re.split(r"[\s(\[]", before.rstrip(".!?…\"'”’»)]"))[-1].lower()
        if match.group(1).startswith(".") and (
            last_word in _ABBREVIATIONS
            or (len(last_word) == 1 and last_word.isalpha())
            or (next_char and (next_char.islower() or next_char.isdigit()))
        ):
            continue
        parts.append(before.strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        parts.append(tail)
    out: list[str] = []
    for part in parts:
        pieces = [p for p in _CJK_BOUNDARY.split(part) if p]
        # re-attach the CJK terminators to the preceding piece
        merged: list[str] = []
        for piece in pieces:
            if merged and _CJK_BOUNDARY.fullmatch(piece):
                merged[-1] += piece
            else:
                merged.append(piece)
        out.extend(p.strip() for p in merged if p.strip())
    return out
