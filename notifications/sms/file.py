"""Development (`make run`): every SMS in a file of its own in var/sms/
(SMS_FILE_PATH), and printed like the console backend, so a demo shows what
was texted without a provider."""

import secrets
from datetime import datetime
from pathlib import Path
from typing import TextIO

from django.conf import settings

from notifications.sms import Sms
from notifications.sms.console import SmsBackend as ConsoleSmsBackend


class SmsBackend(ConsoleSmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.folder = Path(settings.SMS_FILE_PATH)

    def send(self, sms: Sms) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.txt"  # noqa: DTZ005 - a file name in local time, like var/mail/'s
        # Created exclusively: a file per SMS, never appended to.
        with (self.folder / name).open("x", encoding="utf-8") as file:
            file.write(
                f"From: {sms.sender}\nTo: {sms.to}\nIdempotency-Key: {sms.idempotency_key}\n\n"
                f"{sms.body}\n"
            )
        super().send(sms)
        return name
