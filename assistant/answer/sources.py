"""How a cited source is shown to people (pure functions, shared by the API, Slack and the CLI):
a relative source path, never the server's filesystem layout; a readable label (title, date,
link) with the document id only where nothing else exists; and the passages to show."""

from __future__ import annotations

import re

from assistant.models import Answer, Quote, Source

_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\)")
_CORPUS_ROOTS = ("/corpus/", "/data/")


def public_source(source: str) -> str:
    """`source` as a client may see it. URLs and relative paths stay; an absolute path (an
    index built before sources were stored relative) keeps only the part after its last
    `corpus/` or `data/` folder, else its file name (with any `#record` fragment)."""
    if not _ABSOLUTE.match(source):
        return source
    path, hash_, fragment = source.partition("#")
    path = path.replace("\\", "/")
    for root in _CORPUS_ROOTS:
        cut = path.rfind(root)
        if cut != -1 and path[cut + len(root):]:
            return path[cut + len(root):] + hash_ + fragment
    return path.rsplit("/", 1)[-1] + hash_ + fragment


def public_answer(answer: Answer) -> Answer:
    """The answer with every citation's `source` made public (see `public_source`)."""
    citations = [c.model_copy(update={"source": public_source(c.source)}) for c in answer.citations]
    return answer.model_copy(update={"citations": citations})


def display_title(source: Source) -> str:
    """The title; the document id only when there is no title."""
    title = " ".join((source.title or "").split())
    return title or source.doc_id


def passages(source: Source) -> list[Quote]:
    """The document's cited passages; the single `quote` when the core gave none."""
    if source.passages:
        return [p for p in source.passages if p.quote.strip()]
    return [Quote(chunk_id=source.chunk_id, quote=source.quote)] if source.quote.strip() else []


def quoted_in(source: Source, answer_language: str) -> str | None:
    """The language a passage is quoted in, when it differs from the answer's ('English')."""
    from assistant.answer.prompts import LANGUAGE_NAMES

    lang = (source.language or "").lower()[:2]
    if not lang or not answer_language or lang == answer_language.lower()[:2]:
        return None
    return LANGUAGE_NAMES.get(lang, lang)
