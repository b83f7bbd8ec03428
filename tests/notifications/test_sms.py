"""SMS through the outbox: E.164 only, backends by setting, and 46elks spoken
to over HTTP — here a stand-in on 127.0.0.1, never the internet."""

import base64
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.urls import reverse

from notifications import services
from notifications.models import OutboxMessage
from notifications.sms import Sms, console, elks46, get_sms_backend, locmem

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = {
    "firm": {"name": "Revisorerna Norr AB"},
    "client": {"name": "Bageriet Solsidan AB"},
    "subscription": {"number": 1000001},
}


def enqueue_sms(to: str = "+46701234567") -> OutboxMessage:
    return services.outbox_enqueue_sms(to=to, template="collaboration-request", context=CONTEXT)


def test_sms_is_rendered_stored_and_sent_after_commit(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue_sms()
        assert locmem.outbox == []
    assert message.channel == OutboxMessage.Channel.SMS
    assert message.body_text == (
        "Byråportalen: Revisorerna Norr AB vill samarbeta med Bageriet Solsidan AB. "
        "Logga in för att godkänna eller avböja: "
        f"{settings.SITE_URL}{reverse('collaboration:firm_collaboration', args=[1000001])}"
    )
    assert locmem.outbox == [
        Sms(
            to="+46701234567",
            body=message.body_text,
            sender="Byraportal",
            idempotency_key=str(message.idempotency_key),
        )
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "number", ["0701234567", "+46 70 123 45 67", "46701234567", "+4670", "+46701234567x", ""]
)
def test_sms_needs_an_e164_number(number):
    with pytest.raises(ValueError, match=r"Not a phone number in E\.164 form"):
        enqueue_sms(to=number)
    assert not OutboxMessage.objects.exists()


def test_an_invalid_number_found_at_send_time_fails_without_retrying(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue_sms()
    OutboxMessage.objects.filter(pk=message.pk).update(recipient="+4670")
    assert not services.outbox_deliver(message_id=message.pk).retry
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.last_error == (
        "ValueError: Not a phone number in E.164 form (+46701234567): '+4670'"
    )
    assert locmem.outbox == []


@pytest.mark.parametrize(
    ("name", "backend_class"),
    [
        ("console", console.SmsBackend),
        ("locmem", locmem.SmsBackend),
        ("46elks", elks46.SmsBackend),
        ("notifications.sms.locmem.SmsBackend", locmem.SmsBackend),
    ],
)
def test_backend_is_chosen_by_short_name_or_dotted_path(settings, name, backend_class):
    settings.SMS_BACKEND = name
    assert type(get_sms_backend()) is backend_class


def test_console_backend_prints_the_message():
    stream = io.StringIO()
    console.SmsBackend(stream=stream).send(
        Sms(to="+46701234567", body="Hej!", sender="Byraportal", idempotency_key="k-1")
    )
    assert stream.getvalue().startswith("SMS from Byraportal to +46701234567 (key k-1):\nHej!\n")


# --- 46elks ----------------------------------------------------------------


@dataclass
class FakeElks:
    """46elks' SMS endpoint on 127.0.0.1: records requests, answers in turn."""

    url: str
    requests: list[dict[str, object]] = field(default_factory=list)
    # (status, body, seconds to wait before answering)
    answers: list[tuple[int, str, float]] = field(default_factory=list)


@pytest.fixture
def elks(settings) -> Iterator[FakeElks]:  # type: ignore[no-untyped-def]
    fake = FakeElks(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            fake.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers["Authorization"],
                    "content_type": self.headers["Content-Type"],
                    "form": {k: v[0] for k, v in parse_qs(body).items()},
                }
            )
            status, text, delay = (
                fake.answers.pop(0) if fake.answers else (200, '{"id": "s1"}', 0.0)
            )
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
            pass  # the client gave up (the timeout test): nothing to report

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/a1/sms"
    settings.SMS_BACKEND = "46elks"
    settings.SMS_46ELKS_URL = fake.url
    settings.SMS_46ELKS_USERNAME = "u0123456789abcdef"
    settings.SMS_46ELKS_PASSWORD = "hemligt"
    settings.SMS_TIMEOUT_SECONDS = 1
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def deliver_sms() -> tuple[services.Delivery, OutboxMessage]:
    """Store an SMS and make one delivery attempt, as the task would."""
    with mock.patch.object(services, "_enqueue_after_commit"):
        message = enqueue_sms()
    delivery = services.outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    return delivery, message


def test_46elks_gets_a_form_post_with_basic_auth(elks):
    delivery, message = deliver_sms()
    assert delivery.sent
    assert message.status == OutboxMessage.Status.SENT
    credentials = base64.b64encode(b"u0123456789abcdef:hemligt").decode()
    assert elks.requests == [
        {
            "path": "/a1/sms",
            "authorization": f"Basic {credentials}",
            "content_type": "application/x-www-form-urlencoded",
            "form": {"from": "Byraportal", "to": "+46701234567", "message": message.body_text},
        }
    ]


def test_46elks_backend_returns_the_provider_id(elks):
    elks.answers.append((200, json.dumps({"id": "s17a6dafb12d6b1cabc053d57dac2b9d8"}), 0.0))
    sms = Sms(to="+46701234567", body="Hej", sender="Byraportal", idempotency_key="k")
    assert elks46.SmsBackend().send(sms) == "s17a6dafb12d6b1cabc053d57dac2b9d8"


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_46elks_client_errors_are_permanent(elks, status):
    elks.answers.append((status, "Invalid to number", 0.0))
    delivery, message = deliver_sms()
    assert not delivery.retry
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 1)
    assert message.last_error == f"SmsDeliveryError: 46elks answered {status}: Invalid to number"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_46elks_server_errors_and_throttling_are_retried(elks, status):
    elks.answers.append((status, "Try again later", 0.0))
    delivery, message = deliver_sms()
    assert delivery.retry
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert message.last_error == f"SmsDeliveryError: 46elks answered {status}: Try again later"
    assert services.outbox_deliver(message_id=message.pk).sent  # the next attempt goes through
    assert len(elks.requests) == 2


def test_46elks_that_does_not_answer_in_time_is_retried(elks):
    elks.answers.append((200, '{"id": "late"}', 3.0))  # longer than SMS_TIMEOUT_SECONDS=1
    started = time.monotonic()
    delivery, message = deliver_sms()
    assert time.monotonic() - started < 2.5
    assert delivery.retry
    assert message.status == OutboxMessage.Status.PENDING
    assert message.last_error.startswith("SmsDeliveryError: 46elks not reached: TimeoutError")


def test_46elks_unreachable_is_retried(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_BACKEND = "46elks"
    settings.SMS_46ELKS_URL = f"http://127.0.0.1:{port}/a1/sms"
    delivery, message = deliver_sms()
    assert delivery.retry
    assert message.status == OutboxMessage.Status.PENDING
    assert message.last_error.startswith(
        "SmsDeliveryError: 46elks not reached: ConnectionRefusedError"
    )


# --- Settings ----------------------------------------------------------------

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 30 + "-production-like-secret-key-" + "y" * 30,
    "ALLOWED_HOSTS": "portal.example.se",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "SMS_"))
    }
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SMS_BACKEND)"],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "firm_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [{}, {"SMS_46ELKS_USERNAME": "u0123"}],
    ids=["no credentials", "no password"],
)
def test_production_refuses_46elks_without_credentials(env):
    result = production_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SMS_BACKEND is 46elks: set SMS_46ELKS_USERNAME and " in (
        result.stderr
    )


def test_production_sends_sms_through_46elks_with_credentials():
    result = production_settings(SMS_46ELKS_USERNAME="u0123", SMS_46ELKS_PASSWORD="hemligt")
    assert (result.returncode, result.stdout) == (0, "46elks\n"), result.stderr
