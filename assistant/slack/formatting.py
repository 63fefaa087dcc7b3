"""Answer -> Slack Block Kit (pure functions): Markdown to mrkdwn, escaping, source lists, buttons,
and splitting at Slack's limits (3000 characters per section, 50 blocks per message)."""

from __future__ import annotations

import re
from typing import Any

from assistant.answer.sources import display_title, passages, quoted_in
from assistant.models import Answer, Source, web_url

SECTION_LIMIT = 3000  # characters of text in a section block or a context element
MAX_BLOCKS = 50  # blocks in one message
CONTEXT_ELEMENTS = 10  # elements in one context block
TEXT_LIMIT = 3000  # top-level `text` fallback (notifications, screen readers)

WORKING_TEXT = ":hourglass_flowing_sand: Looking through the program documents…"
ERROR_TEXT = "Sorry, something went wrong while answering. The team has been told."
EMPTY_QUESTION_TEXT = (
    "Ask me a question about the exchange programs, e.g. _What happened at the Tianjin–Qinghai event?_"
)

FEEDBACK_BLOCK = "feedback"
SHARE_BLOCK = "share"
ACTION_UP = "exchange_feedback_up"
ACTION_DOWN = "exchange_feedback_down"
ACTION_SHARE = "exchange_share"
ACTION_PASSAGE = "exchange_show_passage"
DEFAULT_CONTACT = "the exchange-programs team"

Block = dict[str, Any]
Message = dict[str, Any]  # {"text": fallback, "blocks": [...]}


# --- text ---------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def link(url: str, label: str) -> str:
    """`<url|label>` for an http(s) URL (characters that would end the link are percent-encoded);
    any other scheme (javascript:, data:, slack:, …) is not a link: the label as plain text."""
    checked = web_url(url)
    if checked is None:
        return escape(label)
    safe_url = checked.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def visible_link(url: str, label: str) -> str:
    """A link written inside a document or an answer: never a masked link (its text could say
    "the official portal" and point anywhere); the label as plain text with the URL visible."""
    shown = escape(label)
    return f"{shown} ({escape(url)})" if url and url != label else shown


_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.DOTALL)
_LINK = re.compile(r"!?\[([^\]\n]+)\]\(([^()\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.MULTILINE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_BOLD_MARK = "\x01"


def markdown_to_mrkdwn(markdown: str) -> str:
    """Convert the Markdown a generator writes to Slack mrkdwn, escaping &, < and > everywhere
    (inside code too: Slack would otherwise read `<...>` as a link or mention)."""
    parts = _CODE.split(markdown)
    return "".join(escape(part) if i % 2 else _convert_prose(part) for i, part in enumerate(parts))


def _convert_prose(text: str) -> str:
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(visible_link(match.group(2), match.group(1)))
        return f"\x02{len(links) - 1}\x02"

    text = _LINK.sub(keep_link, text)
    text = escape(text)
    text = _HEADING.sub(lambda m: f"{_BOLD_MARK}{m.group(1)}{_BOLD_MARK}", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1) or m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = text.replace(_BOLD_MARK, "*")
    return re.sub(r"\x02(\d+)\x02", lambda m: links[int(m.group(1))], text)


def plain_question(slack_text: str, bot_user_id: str | None = None) -> str:
    """A user's message as plain text: the bot's mention removed, links and entities decoded."""
    if bot_user_id:
        slack_text = slack_text.replace(f"<@{bot_user_id}>", " ")
    slack_text = re.sub(r"<(?:https?|mailto):[^|>]*\|([^>]*)>", r"\1", slack_text)
    slack_text = re.sub(r"<((?:https?|mailto):[^>]*)>", r"\1", slack_text)
    slack_text = re.sub(r"<[@#!][^|>]*\|([^>]*)>", r"\1", slack_text)
    slack_text = re.sub(r"<([@#!][^>]*)>", r"\1", slack_text)
    return " ".join(unescape(slack_text).split())


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split mrkdwn into pieces of at most `limit` characters, at a paragraph, line, sentence or
    word boundary, never inside a `<link|label>` (literal < and > are escaped, so every raw
    angle bracket belongs to such a token)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for separator in ("\n\n", "\n", ". ", " "):
        index = window.rfind(separator, 0, limit)
        while index > 0:
            cut = index + len(separator.rstrip(" ")) if separator == ". " else index
            if _outside_token(text, cut):
                return cut
            index = window.rfind(separator, 0, index)
    cut = limit
    start = text.rfind("<", 0, cut)
    if start > 0 and not _outside_token(text, cut):
        cut = start  # move the whole token to the next piece
    return cut


def _outside_token(text: str, index: int) -> bool:
    return text.rfind("<", 0, index) <= text.rfind(">", 0, index)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return split_text(text, limit - 1)[0] + "…"


# --- blocks -------------------------------------------------------------------------------------


def source_line(source: Source) -> str:
    """`[n] <url|title> · date` (the index's own source URL, http(s) only), or `[n] title · date`
    (the doc id only when there is no title) when the source has no such URL."""
    title = display_title(source)
    url = web_url(source.url)
    label = link(url, title) if url else escape(title)
    date = f" · {escape(source.date)}" if source.date else ""
    return truncate(f"[{source.n}] {label}{date}", SECTION_LIMIT)


def sources_blocks(citations: list[Source]) -> list[Block]:
    """Context blocks listing the numbered sources (at most ten elements per block)."""
    elements = [{"type": "mrkdwn", "text": source_line(source)} for source in citations]
    return [
        {"type": "context", "elements": elements[i : i + CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), CONTEXT_ELEMENTS)
    ]


# --- sources with their passages (one per document) ---------------------------------------------


def source_sections(citations: list[Source], key: str, answer_language: str) -> list[Block]:
    """One section per document: its line (title, link, date) and a "Show passage(s)" button
    that answers, only to the clicking person, with the quoted passages."""
    blocks: list[Block] = []
    for source in citations:
        block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": source_line(source)}}
        quotes = passages(source)
        if quotes:
            label = "Show passage" if len(quotes) == 1 else f"Show {len(quotes)} passages"
            block["accessory"] = _button(ACTION_PASSAGE, label, f"{key}|{source.n}")
        language = quoted_in(source, answer_language)
        blocks.append(block)
        if language:
            blocks.append(_context(f"Quoted in {language}"))
    return blocks


def passage_message(source: Source, answer_language: str) -> Message:
    """The quoted passages of one source (the "Show passage" reply): title, date, link,
    the language they are quoted in when it is not the answer's, then each passage as a quote."""
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": source_line(source)}}]
    language = quoted_in(source, answer_language)
    if language:
        blocks.append(_context(f"Quoted in {language}"))
    for passage in passages(source)[: MAX_BLOCKS - 2]:
        quote = "\n".join(f"> {line}" if line.strip() else ">" for line in escape(passage.quote.strip()).splitlines())
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(quote, SECTION_LIMIT)}})
    return {"text": truncate(f"Passages of [{source.n}] {display_title(source)}", TEXT_LIMIT), "blocks": blocks}


def refusal_next_step(question: str, contact: str | None = None) -> Block:
    """Under a refusal: what was asked, what the documents cover, and whom to ask (the refusal
    itself already says the documents hold no answer)."""
    asked = escape(" ".join(question.split()))
    text = (
        f"You asked: _{asked}_\n"
        "The documents cover cultural, sister-city and student exchange programs: try naming the program, "
        f"the city or the year. For anything else, ask {escape(contact or DEFAULT_CONTACT)}."
    )
    return _context(truncate(text, SECTION_LIMIT))


def feedback_block(key: str) -> Block:
    """👍 / 👎 buttons; `key` finds the stored answer when one is clicked."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            _button(ACTION_UP, ":thumbsup: Helpful", key),
            _button(ACTION_DOWN, ":thumbsdown: Not helpful", key),
        ],
    }


def share_block(key: str) -> Block:
    """ "Share in channel" for an ephemeral (slash command) answer."""
    return {
        "type": "actions",
        "block_id": SHARE_BLOCK,
        "elements": [_button(ACTION_SHARE, "Share in channel", key, style="primary")],
    }


def _button(action_id: str, text: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text, "emoji": True},
    }
    if style:
        button["style"] = style
    return button


def thanks_block(user_id: str, rating: str) -> Block:
    verdict = "found this helpful" if rating == "up" else "found this not helpful; it will be reviewed"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Thanks, <@{user_id}> {verdict}."}]}


def replace_feedback(blocks: list[Block], replacement: Block) -> list[Block]:
    return [replacement if block.get("block_id") == FEEDBACK_BLOCK else block for block in blocks]


def answer_messages(
    answer: Answer, question: str, key: str, *, shareable: bool = False, shared_by: str | None = None,
    contact: str | None = None,
) -> list[Message]:
    """The answer as one or more messages: answer sections, the numbered sources (or, for a
    refusal, what was searched for), an optional "shared by", and the feedback buttons last."""
    text = markdown_to_mrkdwn(answer.answer)
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_text(text)
    ]
    if answer.refused:
        blocks.append(refusal_next_step(question, contact))
    else:
        blocks.extend(source_sections(answer.citations, key, answer.language))
    if shared_by:
        asked = escape(" ".join(question.split()))
        blocks.append(_context(truncate(f"Shared by <@{shared_by}> · question: _{asked}_", SECTION_LIMIT)))
    blocks.append(feedback_block(key))
    if shareable:
        blocks.append(share_block(key))
    return [
        {"text": fallback_text(chunk, text), "blocks": chunk}
        for chunk in (blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS))
    ]


def fallback_text(blocks: list[Block], default: str) -> str:
    """The top-level `text`: the message's answer sections, within TEXT_LIMIT."""
    sections = [b["text"]["text"] for b in blocks if b.get("type") == "section"]
    return truncate("\n".join(sections) or truncate(default, 200) or "Sources", TEXT_LIMIT)


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
