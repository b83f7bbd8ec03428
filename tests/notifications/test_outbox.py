"""The outbox: sent once, failures kept and visible, nothing lost."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from notifications import services, tasks
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def enqueue() -> OutboxMessage:
    return services.outbox_enqueue_email(
        to="kund@example.se",
        template="collaboration-expired",
        context={
            "recipient": {"full_name": "Kund"},
            "client": {"name": "Kund & Co AB"},
            "subscription": {"number": 1000001},
            "request": None,
            "firm": None,
        },
    )


def test_message_is_rendered_in_swedish_with_three_templates():
    message = enqueue()
    assert message.subject == "Er förfrågan till Kund & Co AB har gått ut"
    assert "Kund & Co AB" in message.body_text  # plain text is not HTML-escaped
    assert "Kund &amp; Co AB" in message.body_html
    assert message.status == OutboxMessage.Status.PENDING


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue()
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_delivered_once_even_when_the_task_runs_twice():
    message = enqueue()
    assert services.outbox_deliver(message_id=message.pk).sent
    assert not services.outbox_deliver(message_id=message.pk).sent
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


def test_transient_failure_stays_pending_with_error():
    message = enqueue()
    with mock.patch.object(services, "_send_email", side_effect=OSError("Connection refused")):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert delivery.retry
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.last_error == "OSError: Connection refused"
    assert services.outbox_deliver(message_id=message.pk).sent


def test_gives_up_after_max_attempts():
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    with mock.patch.object(services, "_send_email", side_effect=OSError("down")):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert not delivery.retry
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED


def test_sweeper_finds_unsent_and_stale_claims(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        old = enqueue()
        fresh = enqueue()
        stale = enqueue()
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    OutboxMessage.objects.filter(pk=stale.pk).update(
        status=OutboxMessage.Status.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.outbox_unsent_ids(older_than=timedelta(minutes=1)) == [old.pk, stale.pk]
    assert tasks.sweep_outbox() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["kund@example.se", "kund@example.se"]
    assert OutboxMessage.objects.get(pk=fresh.pk).status == OutboxMessage.Status.PENDING


def test_publish_failure_is_swallowed_and_left_for_sweeper(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.send_message, "delay", side_effect=ConnectionError("no broker")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = enqueue()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING


def test_backoff_grows_and_is_capped():
    with mock.patch("notifications.tasks.random.uniform", side_effect=lambda a, b: b):
        assert [tasks.backoff_seconds(n) for n in (0, 1, 2, 20)] == [10, 20, 40, 3600]
