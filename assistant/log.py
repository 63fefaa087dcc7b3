"""Logging setup, called by entry points only. Plain or JSON lines; a request id when known.

Question and answer text never reaches the logs unless `log_questions` is on: our own code logs
it only through `question_text()`, and records of other libraries (Bolt logs the whole body of a
request with a bad signature at INFO, slack_sdk and HTTP clients log request bodies at DEBUG)
are dropped below WARNING, with any payload in the warnings they keep redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import TextIO

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a record is emitted (it may be replaced after
    logging is configured, e.g. by test runners), not to the stream it was created with."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


OWN_LOGGERS = ("assistant", "ingest", "evals", "uvicorn.error", "py.warnings")
_PAYLOAD = re.compile(r"(\{.*\}|\[.*\]|body: .*)", re.S)
_log_questions = False


def question_text(text: str) -> str:
    """What a log line may show of a question or answer: the text with `log_questions`, else its size."""
    return text if _log_questions else f"<{len(text)} chars>"


def log_question(log: logging.Logger, text: str, where: str) -> None:
    """An INFO line with the question's text, only when `log_questions` is on."""
    if _log_questions:
        log.info("question where=%s text=%r", where, text)


class _LibraryTextFilter(logging.Filter):
    """Keeps user text written by other libraries out of the logs (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _log_questions or record.name == "root" or record.name.startswith(OWN_LOGGERS):
            return True
        if record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        redacted = _PAYLOAD.sub("<payload redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO", json_lines: bool = False, log_questions: bool = False) -> None:
    global _log_questions
    _log_questions = log_questions
    handler = _CurrentStderrHandler()
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_LibraryTextFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
