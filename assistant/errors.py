"""Errors raised by the core and the partner layer, translated at the edges (the API's exception
handler in assistant/api/errors.py, the CLI, the Slack listener). `code` is the stable
machine-readable name (`error_code` in API bodies); a subclass may be raised with a more specific
`code=` (e.g. AuthenticationError(..., code="invalid_token")).

AssistantError
 ├── IndexNotBuiltError         the collection does not exist or is empty: run ingest
 ├── IndexMismatchError         the index was built with other embedders or chunking: re-ingest
 ├── GeneratorUnavailableError  the configured generator cannot run (model file missing, server down)
 ├── ModelFileError             the assembled GGUF or the MiniLM ONNX export is missing or its checksum is wrong
 ├── InvalidInputError          a question, filter or file the core cannot accept (names the input)
 │    └── QuestionTooLongError  the question is over `max_question_chars`
 ├── IngestLockedError          another ingest is writing this index (names the holder)
 ├── AccessError                the API refuses this caller
 │    ├── AuthenticationError   no, unknown or wrong credentials (partner key, service token, admin token)
 │    ├── PermissionDeniedError known credentials, not allowed here (revoked key, origin, admin API off)
 │    ├── PartnerKeyRequiredError  the route serves widgets only: X-Partner-Key is needed
 │    └── RateLimitedError      over the caller's requests per minute; `retry_after` seconds
 ├── NotFoundError              a thing this server does not have
 │    └── PartnerNotFoundError  no partner of that name
 ├── PartnerExistsError         a partner of that name already exists
 └── FeatureDisabledError       a part this server runs without (no feedback or partner store)
"""


class AssistantError(Exception):
    """Base class; `code` is the stable machine-readable name used in API errors."""

    code = "assistant_error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class IndexNotBuiltError(AssistantError):
    code = "index_not_built"


class IndexMismatchError(AssistantError):
    code = "index_mismatch"


class GeneratorUnavailableError(AssistantError):
    code = "generator_unavailable"


class ModelFileError(AssistantError):
    code = "model_file"


class InvalidInputError(AssistantError):
    code = "invalid_input"


class QuestionTooLongError(InvalidInputError):
    code = "question_too_long"


class IngestLockedError(AssistantError):
    code = "ingest_locked"


class AccessError(AssistantError):
    code = "access_denied"


class AuthenticationError(AccessError):
    """`scheme`, when set, is the authentication scheme the caller should use (HTTP sends it as
    WWW-Authenticate)."""

    code = "unauthorized"

    def __init__(self, *args: object, code: str | None = None, scheme: str | None = None) -> None:
        super().__init__(*args, code=code)
        self.scheme = scheme


class PermissionDeniedError(AccessError):
    code = "forbidden"


class PartnerKeyRequiredError(AccessError):
    code = "partner_key_required"


class RateLimitedError(AccessError):
    code = "rate_limited"

    def __init__(self, *args: object, retry_after: int) -> None:
        super().__init__(*args)
        self.retry_after = retry_after


class NotFoundError(AssistantError):
    code = "not_found"


class PartnerNotFoundError(NotFoundError):
    code = "partner_not_found"


class PartnerExistsError(AssistantError):
    code = "partner_exists"


class FeatureDisabledError(AssistantError):
    code = "feature_disabled"
