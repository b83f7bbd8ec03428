"""The outbox: sent once, failures kept and visible, nothing lost."""

import smtplib
import ssl
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import services, tasks
from notifications.models import OutboxMessage
from notifications.sms import SmsDeliveryError

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


def test_email_carries_the_idempotency_key_and_a_stable_message_id():
    message = enqueue()
    assert services.outbox_deliver(message_id=message.pk).sent
    [email] = mail.outbox
    assert email.extra_headers["X-Idempotency-Key"] == str(message.idempotency_key)
    assert email.message()["Message-ID"] == f"<{message.idempotency_key}@byraportalen.se>"


def test_delivered_once_even_when_the_task_runs_twice():
    message = enqueue()
    assert services.outbox_deliver(message_id=message.pk).sent
    assert not services.outbox_deliver(message_id=message.pk).sent
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


def test_the_celery_task_delivered_twice_sends_once():
    message = enqueue()
    assert tasks.send_message.apply(args=(message.pk,)).get() is True
    assert tasks.send_message.apply(args=(message.pk,)).get() is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_messages_send_each_once():
    with mock.patch.object(services, "_enqueue_after_commit"):  # the threads are the workers
        messages = [enqueue() for _ in range(10)]
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for message in messages:
                barrier.wait(timeout=10)  # both threads claim each message together
                results.append(tasks.send_message.apply(args=(message.pk,)).get())
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False] * 10 + [True] * 10
    assert sorted(m.extra_headers["X-Idempotency-Key"] for m in mail.outbox) == sorted(
        str(m.idempotency_key) for m in messages
    )
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


TRANSIENT_ERRORS = [
    OSError("Connection refused"),
    TimeoutError("timed out"),
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    smtplib.SMTPResponseException(421, b"Service not available"),
    smtplib.SMTPRecipientsRefused({"kund@example.se": (450, b"Greylisted, try later")}),
    ssl.SSLCertVerificationError("certificate has expired"),
    SmsDeliveryError("46elks answered 503", permanent=False),
    RuntimeError("something we did not foresee"),
]
PERMANENT_ERRORS = [
    smtplib.SMTPRecipientsRefused({"kund@example.se": (550, b"5.1.1 User unknown")}),
    smtplib.SMTPSenderRefused(553, b"Sender not allowed", "noreply@byraportalen.se"),
    smtplib.SMTPDataError(554, b"Message rejected as spam"),
    smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
    ValueError("Not a phone number in E.164 form"),
    UnicodeEncodeError("ascii", "Å", 0, 1, "ordinal not in range(128)"),
    SmsDeliveryError("46elks answered 400: Invalid to number", permanent=True),
]


@pytest.mark.parametrize("error", TRANSIENT_ERRORS, ids=repr)
def test_transient_failure_stays_pending_with_error_and_a_due_time(error):
    message = enqueue()
    with mock.patch.object(services, "_send_email", side_effect=error):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert delivery.retry
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error == f"{type(error).__name__}: {error}"
    assert message.claimed_until is None
    due = timezone.now() + timedelta(seconds=delivery.retry_in)
    assert abs(message.next_attempt_at - due) < timedelta(seconds=2)
    assert services.outbox_deliver(message_id=message.pk).sent
    message.refresh_from_db()
    assert (message.status, message.last_error, message.next_attempt_at) == ("sent", "", None)


@pytest.mark.parametrize("error", PERMANENT_ERRORS, ids=repr)
def test_permanent_failure_fails_at_once_and_is_not_retried(error):
    message = enqueue()
    with mock.patch.object(services, "_send_email", side_effect=error):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert not delivery.retry
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 1)
    assert message.last_error == f"{type(error).__name__}: {error}"
    assert not services.outbox_deliver(message_id=message.pk).sent  # a later task: no-op
    assert mail.outbox == []


def test_gives_up_after_max_attempts():
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    with mock.patch.object(services, "_send_email", side_effect=OSError("down")):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert not delivery.retry
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert message.last_error == "OSError: down"


def test_a_worker_that_lost_its_claim_does_not_overwrite_the_new_owner():
    message = enqueue()
    send_for_real = services._send_email

    def slow_send_taken_over(claimed: OutboxMessage) -> None:
        if claimed.attempts > 1:  # the other worker
            return send_for_real(claimed)
        # While this send hangs, its claim runs out and another worker sends.
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=timezone.now() - timedelta(seconds=1)
        )
        assert services.outbox_deliver(message_id=message.pk).sent
        raise TimeoutError("timed out")

    with mock.patch.object(services, "_send_email", side_effect=slow_send_taken_over):
        delivery = services.outbox_deliver(message_id=message.pk)
    assert (delivery.sent, delivery.retry) == (False, False)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_task_retries_transient_failures_with_the_outbox_backoff():
    message = enqueue()
    with (
        mock.patch.object(services, "_send_email", side_effect=OSError("down")),
        mock.patch.object(services, "backoff_seconds", return_value=12.5),
        mock.patch.object(tasks.send_message, "retry", side_effect=RuntimeError) as retry,
    ):
        # The request context a worker gives the task (celery-types omits the kwargs).
        tasks.send_message.push_request(is_eager=False, retries=0)  # type: ignore[call-arg]
        try:
            with pytest.raises(RuntimeError):
                tasks.send_message.run(message.pk)
        finally:
            tasks.send_message.pop_request()
    retry.assert_called_once_with(countdown=12.5)


def test_eager_task_leaves_a_transient_failure_to_the_sweeper():
    message = enqueue()
    with mock.patch.object(services, "_send_email", side_effect=OSError("down")):
        assert tasks.send_message.apply(args=(message.pk,)).get() is False
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxMessage.Status.PENDING


def test_sweeper_finds_unsent_and_stale_claims(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        old = enqueue()
        fresh = enqueue()
        stale = enqueue()
        backing_off = enqueue()
        retry_due = enqueue()
    long_ago = timezone.now() - timedelta(minutes=5)
    OutboxMessage.objects.filter(pk__in=[old.pk, backing_off.pk, retry_due.pk]).update(
        created_at=long_ago
    )
    OutboxMessage.objects.filter(pk=stale.pk).update(
        status=OutboxMessage.Status.SENDING, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk=backing_off.pk).update(
        attempts=3, next_attempt_at=timezone.now() + timedelta(minutes=2)
    )
    OutboxMessage.objects.filter(pk=retry_due.pk).update(
        attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert tasks.sweep_outbox() == 3
    assert sorted(m.extra_headers["X-Idempotency-Key"] for m in mail.outbox) == sorted(
        str(m.idempotency_key) for m in (old, stale, retry_due)
    )
    assert OutboxMessage.objects.get(pk=fresh.pk).status == OutboxMessage.Status.PENDING
    assert OutboxMessage.objects.get(pk=backing_off.pk).status == OutboxMessage.Status.PENDING


def test_sweeper_marks_what_it_enqueued_so_the_next_sweep_takes_others(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        first, second = enqueue(), enqueue()
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.outbox_sweep_overdue(older_than=timedelta(minutes=1), limit=1) == [first.pk]
    assert services.outbox_sweep_overdue(older_than=timedelta(minutes=1), limit=1) == [second.pk]
    assert services.outbox_sweep_overdue(older_than=timedelta(minutes=1), limit=1) == []


def test_sweeper_fails_a_message_whose_worker_died_on_every_attempt(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING,
        attempts=services.MAX_ATTEMPTS,
        claimed_until=timezone.now() - timedelta(seconds=1),
    )
    assert not services.outbox_deliver(message_id=message.pk).sent
    assert tasks.sweep_outbox() == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.last_error == (
        "Gave up: the worker stopped (killed or timed out) during attempt 8 of 8, "
        "which may have gone out."
    )
    assert mail.outbox == []


def test_publish_failure_is_swallowed_and_left_for_sweeper(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.send_message, "delay", side_effect=ConnectionError("no broker")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = enqueue()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING


def test_backoff_grows_and_is_capped():
    with mock.patch("notifications.services.random.uniform", side_effect=lambda a, b: b):
        assert [services.backoff_seconds(n) for n in (0, 1, 2, 20)] == [10, 20, 40, 3600]


def test_backoff_is_jittered_between_zero_and_the_cap():
    waits = {services.backoff_seconds(3) for _ in range(50)}
    assert len(waits) > 40
    assert all(0 <= wait <= 80 for wait in waits)


def test_a_batch_is_sent_over_one_connection_and_each_message_recorded(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        services.outbox_batch(),
    ):
        for _ in range(3):
            enqueue()
    assert len(callbacks) == 1  # one send_messages task for the three
    ids = sorted(OutboxMessage.objects.values_list("pk", flat=True))
    backend = mail.mailers.default
    with (
        mock.patch.object(services, "mailers", mock.Mock(default=backend)),
        mock.patch.object(backend, "send_messages", wraps=backend.send_messages) as sent,
    ):
        assert tasks.send_messages.apply(args=(ids,)).get() == 3
    assert sent.call_count == 3  # one backend (connection) for the batch
    assert len(mail.outbox) == 3
    assert (
        list(
            OutboxMessage.objects.order_by("pk").values_list("status", "attempts", "claimed_until")
        )
        == [("sent", 1, None)] * 3
    )
    # The same batch delivered again (a duplicated task) sends nothing.
    assert tasks.send_messages.apply(args=(ids,)).get() == 0
    assert len(mail.outbox) == 3


def test_a_transient_failure_in_a_batch_leaves_that_message_pending_and_sends_the_rest():
    messages = [enqueue() for _ in range(3)]
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING, attempts=0, sent_at=None)
    mail.outbox.clear()
    send_for_real = services._send_email

    def refuse_the_second(message, connection=None):  # type: ignore[no-untyped-def]
        if message.pk == messages[1].pk:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        send_for_real(message, connection)

    with mock.patch.object(services, "_send_email", side_effect=refuse_the_second):
        deliveries = services.outbox_deliver_many(message_ids=[m.pk for m in messages])
    assert [d.sent for d in deliveries] == [True, False, True]
    assert deliveries[1].retry_in is not None
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert [statuses[m.pk] for m in messages] == ["sent", "pending", "sent"]
    assert OutboxMessage.objects.get(pk=messages[1].pk).last_error == (
        "SMTPServerDisconnected: Connection unexpectedly closed"
    )
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("error", PERMANENT_ERRORS + TRANSIENT_ERRORS, ids=repr)
def test_only_a_refused_recipient_is_recorded_as_bounced(error):
    """Flow 8: an address refused for good (SMTP 5xx for the recipient)
    stops its reminders; a spam refusal or a network error says nothing
    about the address."""
    message = enqueue()
    with mock.patch.object(services, "_send_email", side_effect=error):
        services.outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    refused_for_good = isinstance(error, smtplib.SMTPRecipientsRefused) and "550" in str(error)
    assert (message.bounced_at is not None) == refused_for_good
