"""Development: every email in a file of its own in var/mail/ (EMAIL_BACKEND=file).

Django's file backend writes everything sent over one connection into one
file, and names the file by the second and the backend's id(), so a later
connection can append to an earlier one's file: the outbox sends a batch
over one connection, and var/mail/ had files holding several messages. Here
each message gets a new file, named by the time to the microsecond and a
random part and created exclusively (never appended to), whatever the
connection does."""

import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends import filebased


class EmailBackend(filebased.EmailBackend):
    """Django's file backend (its options and checks of `file_path`), one file per message."""

    def open(self) -> bool:
        return False  # a file is opened for each message instead

    def close(self) -> None:
        pass

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                self.write_file(message)
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def write_file(self, message: EmailMessage) -> Path:
        name = f"{datetime.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(4)}.log"  # noqa: DTZ005 - a file name in local time, like Django's
        path = Path(self.file_path) / name
        with path.open("xb") as file:
            file.write(message.message().as_bytes())
        return path
