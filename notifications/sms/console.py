"""Development: print each SMS instead of sending it."""

import sys
import threading
from typing import TextIO

from notifications.sms import BaseSmsBackend, Sms

_lock = threading.Lock()


class SmsBackend(BaseSmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, sms: Sms) -> str:
        with _lock:
            self.stream.write(
                f"SMS from {sms.sender} to {sms.to} (key {sms.idempotency_key}):\n"
                f"{sms.body}\n{'-' * 79}\n"
            )
            self.stream.flush()
        return ""
