"""Pure text cleaning: unicode normalisation and the web-boilerplate filter for scraped plain text.

Scraped pages arrive as text with the site's chrome around the article: menus, breadcrumbs,
share buttons, tables of contents, tag clouds, archive counts, related-post lists, cookie
notices. `strip_boilerplate` keeps the article body and the headings inside it. It works on
lines: it finds the body as the span of prose lines, drops chrome lines by pattern, cuts the
tail at the first end-of-article marker, and keeps a short line only when it heads prose.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# Lines that are chrome wherever they appear.
_CHROME_LINE = re.compile(
    r"""^(
        share(\s+on\s+\w+)+.*|share|sharetweet.*|tweet|pin|print|email|
        (facebook|twitter|linkedin|whatsapp|telegram|pinterest|reddit)(\s*[|/·]\s*\w+)*|
        partager(\s+sur\s+\w+)?|
        no\s+result|view\s+all\s+result|toggle|table\s+of\s+contents|sommaire|
        advertisement|publicité|sponsored|
        go\s+to\s+mobile\s+version|skip\s+to\s+(main\s+)?content|back\s+to\s+top|menu|search|
        home(\s*[>»/|›]\s*.*|\s+[A-Z].*)|accueil\s*[>»/|›].*|current\s+location\s*:.*|vous\s+êtes\s+ici\s*:.*|
        read\s+more|lire\s+la\s+suite|continue\s+reading|
        categories|tags|archives|recent\s+posts|popular\s+posts|
        (©|\(c\)|copyright)\s.*|.*all\s+rights\s+reserved.*|tous\s+droits\s+réservés.*|
        .*\b(uses?|utilise)\s+(des\s+)?cookies\b.*|.*cookie\s+(policy|settings|consent).*|accept(\s+all)?(\s+cookies)?|
        website\s+identification\s+code.*|are\s+you\s+sure\s+you\s+want\s+to\s+leave\s+this\s+page\??|
        by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}|par\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}|
        in\s+[A-Z][\w-]+|posted\s+(on|in)\s+.*|
        https?://\S+|www\.\S+|
        [\W_]+|\d[\d\s]*|
        [MTWFS]{5,7}|«.*»|
        .*\(\d+\)(\s+.*\(\d+\)){2,}.*|
        (january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{4}\s*\(\d+\)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# A line that ends the article: everything after it is page furniture.
_END_MARKER = re.compile(
    r"""^(
        tags?\s*:.*|étiquettes\s*:.*|mots[- ]clés\s*:.*|
        share(tweet|\s+this|\s+on).*|sharetweetpin|
        previous\s+(post|article)|next\s+(post|article)|article\s+(précédent|suivant)|
        related\s+(posts|articles|stories|news)|you\s+may\s+also\s+like.*|more\s+from\s+(the\s+)?author|
        à\s+lire\s+aussi|articles?\s+similaires|sur\s+le\s+même\s+sujet|
        leave\s+a\s+(reply|comment)|\d*\s*comments?|laisser\s+un\s+commentaire|
        about\s+the\s+author|subscribe\s+to\s+our\s+newsletter.*|abonnez-vous.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

_BULLET = re.compile(r"^\s*([•·▪●◦‣∙*\-–—]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?;:。！？…»\"”)]\s*$")
_DATE_ONLY = re.compile(
    r"^(\w+,\s+)?(\w+\s+\d{1,2},\s+\d{4}|\d{1,2}\s+\w+\s+\d{4}|\d{4}-\d{2}-\d{2})$", re.IGNORECASE
)


def normalize_text(text: str) -> str:
    """NFC, unify whitespace inside lines, drop control characters, collapse blank runs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _word_count(line: str) -> int:
    return len(line.split()) + len(_CJK.findall(line)) // 2


def is_prose(line: str) -> bool:
    """A line of running text: long enough and shaped like sentences, not a menu or a headline list."""
    words = _word_count(line)
    if _BULLET.match(line) and words < 12:
        return False
    if words >= 16:
        return True
    return words >= 8 and bool(_SENTENCE_END.search(line))


def is_chrome(line: str) -> bool:
    stripped = _BULLET.sub("", line).strip()
    if not stripped:
        return True
    if _BULLET.match(line) and _word_count(stripped) <= 6:
        return True  # navigation and table-of-contents entries
    return bool(_CHROME_LINE.match(stripped))


@dataclass(frozen=True)
class CleanedText:
    text: str
    title: str | None
    header: str  # the lines above the body (bylines, dates), for metadata extraction


def strip_boilerplate(text: str) -> CleanedText:
    """Keep the article body of a scraped page; see the module docstring for the rules."""
    lines = [line for line in normalize_text(text).split("\n")]
    # The body starts at the first real paragraph (a long prose line), not at a punchy headline.
    prose_idx = [
        i for i, line in enumerate(lines) if is_prose(line) and _word_count(line) >= 16 and not is_chrome(line)
    ]
    if not prose_idx:
        kept = [line for line in lines if line and not is_chrome(line)]
        return CleanedText("\n".join(kept), kept[0] if kept else None, "")

    start = prose_idx[0]
    # Headings directly above the first paragraph belong to the body (at most two stacked).
    heading_start = start
    j = start - 1
    stacked = 0
    while j >= 0 and stacked < 2:
        line = lines[j]
        if not line:
            j -= 1
            continue
        if is_chrome(line) or _BULLET.match(line) or _DATE_ONLY.match(line):
            break
        heading_start = j
        stacked += 1
        j -= 1

    header_lines = [line for line in lines[:heading_start] if line]
    title = _pick_title(header_lines) or (lines[heading_start] if heading_start < start else None)

    body: list[str] = []
    seen: set[str] = set()
    body_chars = 0
    for i in range(heading_start, len(lines)):
        line = lines[i]
        if not line:
            if body and body[-1]:
                body.append("")
            continue
        if body_chars >= 200 and _END_MARKER.match(_BULLET.sub("", line).strip()):
            break
        if is_chrome(line):
            continue
        if not is_prose(line) and not _heads_prose(lines, i):
            continue
        if line in seen:  # duplicated headline blocks
            continue
        seen.add(line)
        body.append(line)
        body_chars += len(line)
    if title and body and body[0] == title:
        body = body[1:]
    text_out = "\n".join(body).strip()
    text_out = re.sub(r"\n{3,}", "\n\n", text_out)
    return CleanedText(text_out, title, "\n".join(header_lines))


def _heads_prose(lines: list[str], i: int) -> bool:
    """True when the short line at i is followed (within two short lines) by a prose line."""
    if _BULLET.match(lines[i]) or _word_count(lines[i]) > 20:
        return False
    headings = 0
    for k in range(i + 1, min(len(lines), i + 8)):
        line = lines[k]
        if not line:
            continue
        if is_prose(line) and not is_chrome(line):
            return True
        if is_chrome(line):
            return False
        headings += 1
        if headings >= 2:
            return False
    return False


def _pick_title(header_lines: list[str]) -> str | None:
    """The first header line that reads like a headline: several words, not chrome, not a date."""
    candidates = [
        line
        for line in header_lines
        if _word_count(line) >= 4 and not is_chrome(line) and not _DATE_ONLY.match(line)
        and not _BULLET.match(line)
    ]
    return candidates[0] if candidates else None
