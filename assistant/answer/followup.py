"""Follow-up questions made standalone before retrieval.

In a Slack thread or the widget, "and how many attended?" or "Quand a-t-il été lancé ?" only
make sense with the conversation. A follow-up that depends on it (a pronoun or a "this"/"ce"
reference, a continuation such as "and …" / "et …", or no name of its own) is rewritten:

- by the chat model, when there is one: it writes the question as a standalone one in the
  asker's language ("How many people attended the Tianjin–Qinghai event?"), which then serves
  retrieval and every answer step (question kind, the names the documents must mention, the
  yes/no check);
- by rule otherwise, or when the model's rewrite is unusable: retrieval searches the follow-up
  together with the previous user question, and the answer steps read the follow-up as asked.

A question that names what it asks about and refers to nothing before it is left alone, so a
new topic in the same thread is not mixed with the old one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answer.citations import strip_markers
from assistant.answer.prompts import NOT_FOUND, REWRITE_PROMPT, SYSTEM_PROMPT
from assistant.models import Turn
from assistant.text.entities import question_entities
from assistant.text.language import detect_language
from assistant.text.question import question_kind
from assistant.text.tokenize import keyword_tokens

logger = logging.getLogger(__name__)

# Words that point back into the conversation (pronouns, demonstratives), per language. A French
# inversion clitic after a named subject ("Aktau est-elle …") and "est-ce que" are not references;
# one that opens the question ("Est-elle …", "A-t-il …") is.
_BACK_REFERENCES = re.compile(
    r"(?<![-‑])\b(?:it|its|they|them|their|theirs|this|these|those|he|she|him|his|her|hers|"
    r"il|elle|ils|elles|leur|leurs|lui|eux|son|sa|ses|celui|celle|ceux|celles|cela|ça|cet|cette|ces|"
    r"él|ella|ellos|ellas|su|sus|este|esta|estos|estas|ese|esa|esos|esas|eso|"
    r"er|sie|ihr|ihre|ihren|sein|seine|dies|diese|dieser|dieses|dort)\b"
    r"|\bthere(?=\s*[?？.!]|\s+(?:in|on|at|by|for|during|from|to)\b)"  # the place, not "is there"
    r"|(?<![-'’])\bce\b(?!\s+qu)"
    r"|^\s*[^\W\d_]+-(?:t-)?(?:il|elle|ils|elles)\b"  # "A-t-il …", "Est-elle …": the clitic is the subject
    r"|[它他她其该此这那]",
    re.IGNORECASE | re.UNICODE,
)
# Openings that continue the previous question ("and for students?", "et à Lyon ?", "还有呢").
_CONTINUATIONS = re.compile(
    r"^\s*[¿¡]?\s*(?:and|also|what about|how about|same for|et|aussi|quid|y|también|und|auch|"
    r"还有|那么|那|另外|以及)\b",
    re.IGNORECASE | re.UNICODE,
)
_SHORT = 6  # words: a question this short without a name of its own is a follow-up

_HISTORY_TURNS = 4  # the last turns the model reads when rewriting
_TURN_CHARS = 400  # of each turn


@dataclass(frozen=True)
class Followup:
    query: str  # what retrieval searches for
    question: str  # what the answer steps read
    rewritten: bool = False  # the model wrote `question` as a standalone question


def depends_on_history(question: str, history: list[Turn]) -> bool:
    """Whether `question` needs the earlier turns to be understood."""
    if not any(t.role == "user" for t in history):
        return False
    if _BACK_REFERENCES.search(question) or _CONTINUATIONS.search(question):
        return True
    words = question.split()
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in question)
    short = len(words) <= _SHORT if cjk == 0 else cjk <= 2 * _SHORT
    return short and not question_entities(question) and not re.search(r"\d", question)


def rule_followup(question: str, history: list[Turn]) -> Followup:
    """Search a dependent follow-up together with the previous user question."""
    previous = [t.content for t in history if t.role == "user"]
    if previous and depends_on_history(question, history):
        return Followup(query=f"{previous[-1]} {question}", question=question)
    return Followup(query=question, question=question)


class FollowupRewriter:
    """Standalone questions from the chat model (`llm`), with `rule_followup` as the fallback.

    The rewrite request shares the answer's fixed system prompt, so llama.cpp keeps that prompt's
    evaluated tokens for the answer that follows."""

    def __init__(self, llm: BaseChatModel | None = None, max_tokens: int = 64) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    def __call__(self, question: str, history: list[Turn]) -> Followup:
        fallback = rule_followup(question, history)
        if self.llm is None or fallback.query == question:
            return fallback
        try:
            reply = self.llm.invoke(self.messages(question, history), stop=["\n"], max_tokens=self.max_tokens)
        except Exception:  # a failed rewrite must not fail the answer: fall back to the rule
            logger.warning("follow-up rewrite failed; searching with the previous question", exc_info=True)
            return fallback
        rewritten = usable_rewrite(str(reply.content), question, history)
        if rewritten is None:
            logger.info("follow-up rewrite unusable; searching with the previous question")
            return fallback
        return Followup(query=rewritten, question=rewritten, rewritten=True)

    def messages(self, question: str, history: list[Turn]) -> list[SystemMessage | HumanMessage]:
        lines = []
        for turn in history[-_HISTORY_TURNS:]:
            speaker = "User" if turn.role == "user" else "Assistant"
            text = " ".join(strip_markers(turn.content).split())[:_TURN_CHARS]
            lines.append(f"{speaker}: {text}")
        prompt = REWRITE_PROMPT.format(conversation="\n".join(lines), question=question)
        return [SystemMessage(SYSTEM_PROMPT), HumanMessage(prompt)]


def usable_rewrite(reply: str, question: str, history: list[Turn]) -> str | None:
    """The model's standalone question, or None when it is not one: empty, NOT_FOUND, an answer
    instead of a question, far longer than a question, in another language than the asker's, of
    another kind (a yes/no question rewritten as a "what" question), or without any word of the
    conversation it was meant to bring in (the question returned as it was)."""
    text = reply.strip().strip('"“”«»').strip()
    text = re.sub(r"^(?:standalone|rewritten)?\s*question\s*:\s*", "", text, flags=re.IGNORECASE).strip()
    if not text or NOT_FOUND in text or "[" in text:
        return None
    if not re.search(r"[?？]\s*$", text) or len(text) > max(3 * len(question), len(question) + 160):
        return None
    if detect_language(text) != detect_language(question):
        return None
    asked, rewritten = question_kind(question), question_kind(text)
    if rewritten != asked and (asked != "fact" or rewritten == "yesno"):  # "Do they …?" stays yes/no
        return None
    added = set(keyword_tokens(text)) - set(keyword_tokens(question))
    if not added & set(keyword_tokens(" ".join(t.content for t in history))):
        return None  # nothing of the conversation came in: the question is as vague as before
    return text
