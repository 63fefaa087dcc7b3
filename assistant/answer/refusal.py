"""Where the assistant decides to say "the documents do not answer this". Every refusal rule is
here; the thresholds come from Settings (through components.build_assistant).

1. Before generation (`RefusalPolicy.has_evidence`): some retrieved passage must reach the dense
   relevance threshold of its language pair (same language, or the lower cross-lingual one), or
   name everything the question names that the index knows. Off-topic questions stop here.
2. The generator's own verdict: `NOT_FOUND` (extractive, plain-text models) or a structured
   reply with status "not_found" (assistant.answer.generators.StructuredReply renders it as NOT_FOUND).
3. After the support check (`RefusalPolicy.after_check`): nothing supported remains, or the cited
   passages never name what the question asks about (a near-miss on another programme).
A refusal about a programme the documents do describe says so and cites it (a partial refusal);
otherwise it is the plain refusal in the question's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.prompts import NOT_FOUND
from assistant.index.retrieval import Passage, Retrieval
from assistant.text.entities import mentions_all, mentions_any


@dataclass(frozen=True)
class RefusalPolicy:
    min_relevance: float
    min_relevance_crosslingual: float

    def threshold(self, question_language: str, passage_language: str) -> float:
        # Cosines between a question and a passage in another language run lower than within one.
        return self.min_relevance if passage_language == question_language else self.min_relevance_crosslingual

    def strong(self, retrieval: Retrieval) -> bool:
        return any(p.relevance >= self.threshold(retrieval.language, p.language) for p in retrieval.passages)

    def named(self, retrieval: Retrieval) -> bool:
        """Some passage names everything the question names (known to the index)."""
        names = retrieval.known_names
        return bool(names) and any(mentions_all(names, _searchable(p)) for p in retrieval.passages)

    def has_evidence(self, retrieval: Retrieval) -> bool:
        return self.strong(retrieval) or self.named(retrieval)

    @staticmethod
    def said_not_found(text: str) -> bool:
        """The generator's NOT_FOUND, possibly with a few words of padding around it."""
        return NOT_FOUND in text and len(text.replace(NOT_FOUND, "").strip(" .\n")) < 20

    @staticmethod
    def near_miss(names: list[str], cited: list[Passage]) -> bool:
        """The cited passages never name what the question asks about."""
        return not mentions_any(names, [_searchable(p) for p in cited])

    def topic(self, retrieval: Retrieval) -> Passage | None:
        """The passage a partial refusal cites: the best one that names everything the question
        names (so it is about the same programme), when the question names something."""
        names = retrieval.known_names
        if not names:
            return None
        return next((p for p in retrieval.passages if mentions_all(names, _searchable(p)) and p.title), None)


def _searchable(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}"
