"""Thin Celery wrappers: they take ids and call services."""

from datetime import timedelta

from celery import shared_task

from notifications import services


# The outbox row counts attempts and decides when to give up (MAX_ATTEMPTS),
# so Celery's own retry limit is off: a task re-sent by the sweeper starts
# its retry count from zero but continues the row's.
@shared_task(name="notifications.send_message", bind=True, max_retries=None)
def send_message(self, message_id: int) -> bool:  # type: ignore[no-untyped-def]
    delivery = services.outbox_deliver(message_id=message_id)
    # In-process (eager) runs leave a failed message pending for the sweeper
    # instead of retrying inside the user's request.
    if delivery.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.sent


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox(older_than_seconds: int = 60) -> int:
    """Enqueue what should have been sent by now. After a broker outage,
    `sweep_outbox.delay(older_than_seconds=0)` sends the backlog at once."""
    ids = services.outbox_sweep_overdue(older_than=timedelta(seconds=older_than_seconds))
    for message_id in ids:
        send_message.delay(message_id)
    return len(ids)
