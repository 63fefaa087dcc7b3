"""Slack reachability for `serve`: the API must start and keep answering while Slack is down.

`SlackConnection` calls `auth.test` in a background thread, retrying with backoff until Slack
answers; `/readyz` reports its state (`ok`, `connecting` or `degraded` with the reason)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackStatus:
    state: str  # "connecting" | "ok" | "degraded"
    detail: str | None = None


class SlackConnection:
    def __init__(self, client: WebClient, first_retry: float = 2.0, max_retry: float = 60.0) -> None:
        self.client = client
        self.first_retry, self.max_retry = first_retry, max_retry
        self._status = SlackStatus("connecting")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def status(self) -> SlackStatus:
        return self._status

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="slack-auth-test", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> bool:
        """One auth.test; updates the status. True when Slack accepted the token."""
        try:
            self.client.auth_test()
        except SlackApiError as exc:
            reason = f"Slack refused the bot token ({exc.response.get('error', 'error')})"
        except (SlackClientError, OSError) as exc:  # unreachable: DNS, refused, timeout, TLS
            reason = f"Slack API unreachable ({exc.__class__.__name__})"
        else:
            if self._status.state != "ok":
                logger.info("slack connected")
            self._status = SlackStatus("ok")
            return True
        if self._status.state != "degraded":
            logger.warning("slack degraded: %s; retrying in the background", reason)
        self._status = SlackStatus("degraded", reason)
        return False

    def _run(self) -> None:
        delay = self.first_retry
        while not self._stop.is_set() and not self.check():
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_retry)
