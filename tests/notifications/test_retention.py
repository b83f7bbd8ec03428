"""Retention (issue 18): a sent message's subject and body are emptied after
OUTBOX_BODY_RETENTION_DAYS, in bounded batches; metadata stays, and nothing
unsent is touched."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from notifications import services, tasks
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def message(status: str, *, sent_days_ago: int | None = None) -> OutboxMessage:
    sent_at = timezone.now() - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient="kund@example.se",
        template="collaboration-expired",
        subject="Anna Andersson har bjudit in dig",
        body_text="Hej Anna, personnummer och allt.",
        body_html="<p>Hej Anna</p>",
        status=status,
        attempts=1,
        sent_at=sent_at,
    )


def test_sent_bodies_past_the_period_are_emptied_and_metadata_kept() -> None:
    old = message(Status.SENT, sent_days_ago=31)
    recent = message(Status.SENT, sent_days_ago=29)
    untouched = [
        message(Status.PENDING),
        message(Status.SENDING),
        message(Status.HELD),
        message(Status.FAILED, sent_days_ago=None),
    ]
    for row in untouched:  # old, but not sent: kept whole
        OutboxMessage.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(days=90)
        )

    purged = services.outbox_bodies_purge(
        older_than=timedelta(days=30), batch_size=100, max_batches=10
    )

    assert purged == 1
    old.refresh_from_db()
    assert (old.subject, old.body_text, old.body_html) == ("", "", "")
    assert old.body_purged_at is not None
    assert (old.recipient, old.template, old.status, old.attempts) == (
        "kund@example.se",
        "collaboration-expired",
        Status.SENT,
        1,
    )
    assert old.sent_at is not None
    for row in [recent, *untouched]:
        row.refresh_from_db()
        assert row.body_text == "Hej Anna, personnummer och allt."
        assert row.subject == "Anna Andersson har bjudit in dig"
        assert row.body_purged_at is None


def test_batches_are_bounded_and_the_next_call_goes_on(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        message(Status.SENT, sent_days_ago=40)

    # Two batches of two: the fifth waits for the next call.
    with django_assert_max_num_queries(2 * 4):
        assert (
            services.outbox_bodies_purge(older_than=timedelta(days=30), batch_size=2, max_batches=2)
            == 4
        )
    assert OutboxMessage.objects.filter(body_purged_at__isnull=True).count() == 1
    assert (
        services.outbox_bodies_purge(older_than=timedelta(days=30), batch_size=2, max_batches=2)
        == 1
    )
    # Twice is harmless: nothing is left, nothing is purged again.
    assert (
        services.outbox_bodies_purge(older_than=timedelta(days=30), batch_size=2, max_batches=2)
        == 0
    )


@override_settings(
    OUTBOX_BODY_RETENTION_DAYS=7, OUTBOX_PURGE_BATCH_SIZE=1, OUTBOX_PURGE_MAX_BATCHES=3
)
@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_the_beat_task_uses_the_configured_period_and_bounds() -> None:
    week_old = [message(Status.SENT, sent_days_ago=8) for _ in range(4)]
    message(Status.SENT, sent_days_ago=6)

    assert tasks.purge_sent_bodies.delay().get() == 3
    assert tasks.purge_sent_bodies.delay().get() == 1
    assert tasks.purge_sent_bodies.delay().get() == 0
    assert {m.pk for m in OutboxMessage.objects.filter(body_purged_at__isnull=False)} == {
        m.pk for m in week_old
    }


def test_retention_runs_on_beat_with_a_30_day_default() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["notifications.purge_sent_bodies"]
    assert entry["task"] == "notifications.purge_sent_bodies"
    assert entry["schedule"].minute == {0, 10, 20, 30, 40, 50}
    assert settings.OUTBOX_BODY_RETENTION_DAYS == 30


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_two_purges_at_once_each_take_their_own_rows() -> None:
    for _ in range(30):
        message(Status.SENT, sent_days_ago=40)
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def purge() -> None:
        try:
            start.wait(timeout=10)
            counts.append(
                services.outbox_bodies_purge(
                    older_than=timedelta(days=30), batch_size=5, max_batches=10
                )
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(counts) == 30
    assert not OutboxMessage.objects.filter(body_purged_at__isnull=True).exists()
