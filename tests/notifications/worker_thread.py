"""A Celery worker in a thread of this process, on a queue of its own, and
waiting for what it does (tests/notifications/test_worker.py,
tests/firm_portal/test_request_context.py)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker

from firm_portal.celery import app
from notifications.models import OutboxMessage
from tests.notifications import worker_process


@contextmanager
def running_worker() -> Iterator[None]:
    """A worker thread consuming a queue of its own, where tasks published
    from this process go meanwhile: no other worker on the same Redis
    (another test run, say) can take them."""
    assert app.connection_for_write().as_uri().startswith("redis://")
    queue = worker_process.new_queue_name("thread")
    try:
        with (
            worker_process.publishing_to(queue),
            start_worker(
                app, queues=[queue], perform_ping_check=False, loglevel="WARNING", pool="solo"
            ),
        ):
            yield
    finally:
        app.amqp.queues._consume_from = None  # start_worker selected `queue` app-wide


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def status_of(message: OutboxMessage) -> str:
    return OutboxMessage.objects.values_list("status", flat=True).get(pk=message.pk)
