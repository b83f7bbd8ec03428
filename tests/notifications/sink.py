"""A mail sink for Celery workers that tests start in another process.

Test-only: selected by tests/notifications/worker_settings.py, never by the
app. Every delivery becomes its own file, so duplicates stay countable, and
the first delivery of each X-Idempotency-Key is also accepted into an inbox,
the way a receiver that deduplicates on the key would. Every attempt leaves
a mark in started/ when it begins, so a test can tell where a worker is.
"""

import contextlib
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


def deliveries_dir(root: Path) -> Path:
    return root / "deliveries"


def inbox_dir(root: Path) -> Path:
    return root / "inbox"


def started_dir(root: Path) -> Path:
    return root / "started"


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        root = Path(file_path)
        self.deliveries = deliveries_dir(root)
        self.inbox = inbox_dir(root)
        self.started = started_dir(root)
        for directory in (self.deliveries, self.inbox, self.started):
            directory.mkdir(parents=True, exist_ok=True)
        # A slow mail server, so that a test can kill the worker mid-run:
        # before the message is accepted (the usual case: SMTP round trips)…
        self.delay = float(os.environ.get("NOTIFICATIONS_TEST_SEND_DELAY", "0"))
        # …or after, before the worker gets to record it as sent.
        self.delay_after = float(os.environ.get("NOTIFICATIONS_TEST_DELAY_AFTER_SEND", "0"))

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            key = message.extra_headers["X-Idempotency-Key"]
            (self.started / f"{key}.{uuid.uuid4().hex}").touch()  # the conversation begins
            time.sleep(self.delay)
            partial = self.deliveries / f".{uuid.uuid4().hex}.partial"
            partial.write_bytes(message.message().as_bytes())
            # Renaming is atomic: a worker killed while writing leaves only a
            # .partial file, which (like a cut SMTP session) was not delivered.
            delivered = self.deliveries / f"{key}.{uuid.uuid4().hex}.eml"
            partial.rename(delivered)
            # A duplicate finds the key in the inbox already and is dropped.
            with contextlib.suppress(FileExistsError):
                os.link(delivered, self.inbox / f"{key}.eml")
            time.sleep(self.delay_after)
        return len(email_messages)
