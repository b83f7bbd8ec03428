"""Thin Celery wrappers: they take ids and call services."""

import random
from datetime import timedelta

from celery import shared_task

from notifications import services


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with full jitter: up to 10 s, 20 s, 40 s … capped at 1 h."""
    return random.uniform(0, min(3600, 10 * 2**retries))  # noqa: S311 - jitter, not crypto


@shared_task(name="notifications.send_message", bind=True, max_retries=services.MAX_ATTEMPTS)
def send_message(self, message_id: int) -> bool:  # type: ignore[no-untyped-def]
    delivery = services.outbox_deliver(message_id=message_id)
    # In-process (eager) runs leave a failed message pending for the sweeper
    # instead of retrying inside the user's request.
    if delivery.retry and not self.request.is_eager:
        raise self.retry(countdown=backoff_seconds(self.request.retries))
    return delivery.sent


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    ids = services.outbox_unsent_ids(older_than=timedelta(minutes=1))
    for message_id in ids:
        send_message.delay(message_id)
    return len(ids)
