"""Who may call the answering routes without a partner key: service tokens and the anonymous opt-in.

A request to /v1/ask, /v1/ask/stream, /v1/feedback or /v1/widget/config is accepted when it
carries one of:
- `X-Partner-Key` (the widget): key, origin, scope and rate limit checked (see guard.py);
- `Authorization: Bearer <token>`, a service token from `EXCHANGE_ASSISTANT_API_TOKENS`, each
  with an optional source scope and its own rate limit;
- nothing, only when the operator opted in with `EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS=true`
  (rate-limited per client address).
Anything else is 401 `authentication_required`.

Token format (JSON, so that names, tokens and globs need no escaping):
    [{"name": "crm", "token": "s3cret-…", "sources": ["public/*"], "rpm": 120}]
`sources` (globs on document id or source; default all) and `rpm` (default 60) are optional.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field

from assistant.errors import InvalidInputError

DEFAULT_TOKEN_RPM = 60
MIN_TOKEN_CHARS = 16


@dataclass(frozen=True)
class ServiceToken:
    name: str
    token: str = field(repr=False)
    sources: tuple[str, ...] = ()
    rpm: int = DEFAULT_TOKEN_RPM


@dataclass(frozen=True)
class AccessPolicy:
    """What the API accepts besides partner keys. The default refuses every keyless request."""

    tokens: tuple[ServiceToken, ...] = ()
    anonymous: bool = False
    anonymous_rpm: int = 60

    def find_token(self, presented: str) -> ServiceToken | None:
        found = None
        for candidate in self.tokens:  # compare with every token, in constant time each
            if hmac.compare_digest(candidate.token.encode(), presented.encode()):
                found = candidate
        return found


def parse_api_tokens(text: str | None) -> tuple[ServiceToken, ...]:
    """Parse EXCHANGE_ASSISTANT_API_TOKENS. Errors name the entry, never the token value."""
    if text is None or not text.strip():
        return ()
    where = "EXCHANGE_ASSISTANT_API_TOKENS"
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(
            f'{where}: not valid JSON; expected [{{"name": ..., "token": ..., "sources"?: [...], "rpm"?: N}}]'
        ) from exc
    if not isinstance(raw, list):
        raise InvalidInputError(f"{where}: expected a JSON list of token objects")
    tokens: list[ServiceToken] = []
    for index, entry in enumerate(raw):
        label = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInputError(f"{label}: expected an object with name and token")
        name, token = entry.get("name"), entry.get("token")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"{label}: 'name' is missing")
        label = f"{where} token {name!r}"
        if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS:
            raise InvalidInputError(f"{label}: 'token' must be a string of at least {MIN_TOKEN_CHARS} characters")
        sources = entry.get("sources") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
            raise InvalidInputError(f"{label}: 'sources' must be a list of non-empty glob patterns")
        rpm = entry.get("rpm", DEFAULT_TOKEN_RPM)
        if not isinstance(rpm, int) or isinstance(rpm, bool) or not 1 <= rpm <= 100_000:
            raise InvalidInputError(f"{label}: 'rpm' must be an integer between 1 and 100000")
        unknown = set(entry) - {"name", "token", "sources", "rpm"}
        if unknown:
            raise InvalidInputError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")
        if any(t.name == name for t in tokens):
            raise InvalidInputError(f"{label}: the name is used twice")
        tokens.append(ServiceToken(name.strip(), token, tuple(s.strip() for s in sources), rpm))
    return tuple(tokens)
