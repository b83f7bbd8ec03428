"""A real Celery worker on the real Redis broker delivers a request email."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from collaboration import services
from firm_portal.celery import app
from notifications.models import OutboxMessage


@pytest.fixture
def live_worker(settings):  # type: ignore[no-untyped-def]
    assert app.connection_for_write().as_uri().startswith("redis://")
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, loglevel="WARNING", pool="solo"):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_request_email_is_delivered_by_worker(world, live_worker):
    services.collaboration_request_send(
        consultant=world.consultant,
        subscription=world.subscription,
        responsible=world.consultant,
        start_date=None,
    )
    message = OutboxMessage.objects.get()
    assert wait_for(lambda: OutboxMessage.objects.filter(pk=message.pk, status="sent").exists()), (
        OutboxMessage.objects.values("status", "last_error").get()
    )
    assert [m.to for m in mail.outbox] == [[world.sysadmin.email]]
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == str(message.idempotency_key)
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.sent_at is not None
