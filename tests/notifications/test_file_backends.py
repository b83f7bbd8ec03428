"""The development backends of `make run`: a file per email in var/mail/
(EMAIL_BACKEND=file) and a file per SMS in var/sms/ (SMS_BACKEND=file).

Issue 14: Django's file backend wrote every message one connection sent into
one file, so a batch from the outbox (one connection) became one file with
several messages although the README promises one per message."""

import email
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from notifications import services, tasks
from notifications.mail.file import EmailBackend
from notifications.models import OutboxMessage
from notifications.sms import Sms, get_sms_backend

pytestmark = pytest.mark.django_db


def enqueue(number: int) -> OutboxMessage:
    return services.outbox_enqueue_email(
        to=f"kund{number}@example.se",
        template="collaboration-expired",
        context={
            "recipient": {"full_name": f"Kund {number}"},
            "client": {"name": "Kund & Co AB"},
            "subscription": {"number": 1000001},
        },
    )


def messages_in(folder: Path) -> list[list[email.message.Message]]:
    """Each file's messages (the file backend's separator line splits them)."""
    found = []
    for path in sorted(folder.iterdir()):
        parts = [part for part in path.read_bytes().split(b"-" * 79 + b"\n") if part.strip()]
        found.append([email.message_from_bytes(part) for part in parts])
    return found


def test_a_batch_over_one_connection_is_a_file_per_message(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": {
            "BACKEND": "notifications.mail.file.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    ids = [enqueue(number).pk for number in range(3)]
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING)
    assert tasks.send_messages.apply(args=(ids,)).get() == 3
    files = messages_in(tmp_path)
    assert [len(messages) for messages in files] == [1, 1, 1]
    assert sorted(messages[0]["To"] for messages in files) == [
        "kund0@example.se",
        "kund1@example.se",
        "kund2@example.se",
    ]


def test_one_backend_used_twice_writes_two_files(tmp_path):  # type: ignore[no-untyped-def]
    backend = EmailBackend(alias="default", file_path=str(tmp_path))
    first = mail.EmailMessage("Ett", "Första", to=["a@example.se"])
    second = mail.EmailMessage("Tre", "Andra", to=["b@example.se"])
    backend.open()
    assert backend.send_messages([first]) == 1
    assert backend.send_messages([second]) == 1
    backend.close()
    assert backend.send_messages([first, second]) == 2
    files = messages_in(tmp_path)
    assert [len(messages) for messages in files] == [1, 1, 1, 1]
    assert sorted(messages[0]["Subject"] for messages in files) == ["Ett", "Ett", "Tre", "Tre"]


def test_the_sms_backend_writes_a_file_per_sms_and_prints_it(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    backend = get_sms_backend()
    printed = io.StringIO()
    backend.stream = printed  # type: ignore[attr-defined]
    for key, body in (("k1", "Hej Åsa!"), ("k2", "Hej igen.")):
        backend.send(Sms(to="+46701234567", body=body, sender="Byraportal", idempotency_key=key))
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    texts = sorted(path.read_text(encoding="utf-8") for path in files)
    assert texts == [
        "From: Byraportal\nTo: +46701234567\nIdempotency-Key: k1\n\nHej Åsa!\n",
        "From: Byraportal\nTo: +46701234567\nIdempotency-Key: k2\n\nHej igen.\n",
    ]
    assert "Hej Åsa!" in printed.getvalue() and "Hej igen." in printed.getvalue()


def test_make_run_texts_to_files() -> None:
    """The embedded default (no DJANGO_ENV, as `make run`) is the file backend."""
    import subprocess
    import sys

    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='firm_portal.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.SMS_BACKEND, settings.SMS_FILE_PATH, "
        "settings.MAILERS['default']['BACKEND'])"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_ENV": "development"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "file",
        str(Path(django_settings.BASE_DIR) / "var" / "sms"),
        "notifications.mail.file.EmailBackend",
    ]
