"""A real Celery worker (in a thread) on the real Redis broker: it delivers,
retries transient errors with backoff, gives up on permanent ones, and
sends what waited in the outbox while the broker was down."""

import itertools
import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db.models import F

from collaboration.models import CollaborationRequest
from collaboration.requests.services import collaboration_request_send
from firm_portal.celery import app
from notifications import services, tasks
from notifications.models import OutboxMessage
from tests.notifications.worker_thread import running_worker, status_of, wait_for

# Nothing listens here: publishing fails fast (CELERY_BROKER_TRANSPORT_OPTIONS).
UNREACHABLE_BROKER = "redis://127.0.0.1:6399/0"


@contextmanager
def not_eager() -> Iterator[None]:
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def _forget_broker_connections() -> None:
    # The app caches its connection and producer pools, made for the broker
    # it first talked to. Dropped (not closed: kombu shares them per URL),
    # the next publish builds them for the current broker_url.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    original = app.conf.broker_url
    _forget_broker_connections()
    app.conf.update(broker_url=url)
    try:
        yield
    finally:
        _forget_broker_connections()
        app.conf.update(broker_url=original)


def enqueue() -> OutboxMessage:
    return services.outbox_enqueue_email(
        to="kund@example.se",
        template="collaboration-expired",
        context={"recipient": {"full_name": "Kund"}, "client": {"name": "Kund AB"}},
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_request_email_is_delivered_by_worker(world):
    with running_worker():
        collaboration_request_send(
            consultant=world.consultant,
            subscription=world.subscription,
            responsible=world.consultant,
            start_date=None,
        )
        message = OutboxMessage.objects.get()
        assert wait_for(lambda: status_of(message) == "sent"), OutboxMessage.objects.values(
            "status", "last_error"
        ).get()
    assert [m.to for m in mail.outbox] == [[world.sysadmin.email]]
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == str(message.idempotency_key)
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.sent_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_down_during_a_request_then_the_sweeper_sends_once(world, caplog):
    with broker_at(UNREACHABLE_BROKER), not_eager():
        started = time.monotonic()
        request = collaboration_request_send(
            consultant=world.consultant,
            subscription=world.subscription,
            responsible=world.consultant,
            start_date=None,
        )
        took = time.monotonic() - started
    # The change is saved, the email waits in the outbox, the user is not kept waiting.
    assert CollaborationRequest.objects.filter(pk=request.pk).exists()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)
    assert f"Could not publish outbox message {message.pk}" in caplog.text
    assert "Connection refused" in caplog.text
    assert took < 10, f"publishing to a dead broker held the request for {took:.1f} s"
    assert mail.outbox == []

    # Minutes later the broker is back, and so is beat with its sweep.
    OutboxMessage.objects.update(created_at=F("created_at") - timedelta(minutes=2))
    with running_worker():
        tasks.sweep_outbox.delay()
        assert wait_for(lambda: status_of(message) == "sent"), OutboxMessage.objects.values(
            "status", "last_error"
        ).get()
        assert tasks.sweep_outbox() == 0  # nothing left for the next sweep
    assert [m.to for m in mail.outbox] == [[world.sysadmin.email]]
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == str(message.idempotency_key)
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_retries_a_transient_error_with_backoff_then_fails_visibly():
    attempts_at: list[float] = []

    def server_gone(_message: OutboxMessage) -> None:
        attempts_at.append(time.monotonic())
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with (
        mock.patch.object(services, "MAX_ATTEMPTS", 3),
        mock.patch.object(services, "backoff_seconds", side_effect=lambda n: 0.3 * 2**n),
        mock.patch.object(services, "_send_email", side_effect=server_gone),
        running_worker(),
    ):
        message = enqueue()
        assert wait_for(lambda: status_of(message) == "failed")
    message.refresh_from_db()
    assert message.attempts == 3
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert len(attempts_at) == 3
    waits = [later - earlier for earlier, later in itertools.pairwise(attempts_at)]
    assert waits[0] >= 0.3 and waits[1] >= 0.6, waits  # the task's countdown was honoured
    assert mail.outbox == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_does_not_retry_a_permanent_error():
    refused = smtplib.SMTPRecipientsRefused({"kund@example.se": (550, b"5.1.1 User unknown")})
    with (
        mock.patch.object(services, "backoff_seconds", return_value=0.05),
        mock.patch.object(services, "_send_email", side_effect=refused) as send,
        running_worker(),
    ):
        message = enqueue()
        assert wait_for(lambda: status_of(message) == "failed")
        time.sleep(0.5)  # a retry, were there one, would have run by now
    assert send.call_count == 1
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error.startswith("SMTPRecipientsRefused: {'kund@example.se': (550")
