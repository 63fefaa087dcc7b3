"""Metadata found in document text: publication dates and source URLs."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:er)?\s+(?P<mon>{_MONTH_RE})\.?\s+(?P<y>(?:19|20)\d{{2}})\b", re.I),
    re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
]
_URL = re.compile(r"^(?:source|url|lien|link)\s*:\s*(https?://\S+)", re.I | re.M)


def find_dates(text: str) -> list[tuple[int, str]]:
    """(position, ISO date) for every full date in `text`, in order of position."""
    found: list[tuple[int, str]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["m"]) if parts.get("m") else _MONTHS[parts["mon"].lower()]
            try:
                iso = date(int(parts["y"]), month, int(parts["d"])).isoformat()
            except ValueError:
                continue
            found.append((match.start(), iso))
    return sorted(found)


def publication_date(header: str, body: str) -> str | None:
    """The article's date: the last date in the page header (after any 'today' banner), else the
    first date in the opening paragraph."""
    header_dates = find_dates(header)
    if header_dates:
        return header_dates[-1][1]
    body_dates = find_dates(body[:600])
    return body_dates[0][1] if body_dates else None


def source_url(text: str) -> str | None:
    match = _URL.search(text)
    return match.group(1).rstrip(".,)") if match else None


def date_as_int(iso: str | None) -> int:
    """20250207 for '2025-02-07'; 0 when unknown (Chroma filters need numbers)."""
    return int(iso.replace("-", "")) if iso else 0
