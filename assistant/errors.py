"""Errors raised by the core and translated at the edges (API handler, CLI, Slack listener).

AssistantError
 ├── IndexNotBuiltError      the collection does not exist or is empty: run ingest
 ├── IndexMismatchError      the index was built with other embedders or chunking: re-ingest
 ├── GeneratorUnavailableError  the configured generator cannot run (model file missing, server down)
 ├── ModelFileError          the assembled GGUF is missing or its checksum is wrong
 ├── InvalidInputError       a question, filter or file the core cannot accept (names the input)
 └── IngestLockedError       another ingest is writing this index (names the holder)
"""


class AssistantError(Exception):
    """Base class; `code` is the stable machine-readable name used in API errors."""

    code = "assistant_error"


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


class IngestLockedError(AssistantError):
    code = "ingest_locked"
