"""Thin Celery wrappers: they take ids and call services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from notifications import services


# The outbox row counts attempts and decides when to give up (MAX_ATTEMPTS),
# so Celery's own retry limit is off: a task re-sent by the sweeper starts
# its retry count from zero but continues the row's.
@shared_task(name=services.SEND_MESSAGE, bind=True, max_retries=None)
def send_message(self, message_id: int) -> bool:  # type: ignore[no-untyped-def]
    delivery = services.outbox_deliver(message_id=message_id)
    # In-process (eager) runs leave a failed message pending for the sweeper
    # instead of retrying inside the user's request.
    if delivery.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.sent


@shared_task(name=services.SEND_MESSAGES, bind=True)
def send_messages(self, message_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Several messages over one mail connection (a batch enqueued together,
    or the sweeper's backlog). A message that failed transiently is retried
    on its own, with its backoff, as a `send_message` task."""
    deliveries = services.outbox_deliver_many(message_ids=message_ids)
    if not self.request.is_eager:
        for message_id, delivery in zip(message_ids, deliveries, strict=True):
            if delivery.retry_in is not None:
                send_message.apply_async((message_id,), countdown=delivery.retry_in)
    return sum(1 for delivery in deliveries if delivery.sent)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox(older_than_seconds: int = 60) -> int:
    """Enqueue what should have been sent by now. After a broker outage,
    `sweep_outbox.delay(older_than_seconds=0)` sends the backlog at once."""
    ids = services.outbox_sweep_overdue(older_than=timedelta(seconds=older_than_seconds))
    if ids:
        services.outbox_publish(message_ids=ids)
    return len(ids)


@shared_task(name="notifications.purge_sent_bodies")
def purge_sent_bodies() -> int:
    """Retention, on beat: sent messages' contents after
    OUTBOX_BODY_RETENTION_DAYS, in bounded batches (the rest next time)."""
    return services.outbox_bodies_purge(
        older_than=timedelta(days=settings.OUTBOX_BODY_RETENTION_DAYS),
        batch_size=settings.OUTBOX_PURGE_BATCH_SIZE,
        max_batches=settings.OUTBOX_PURGE_MAX_BATCHES,
    )
