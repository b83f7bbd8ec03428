"""Overlapping runs of the reminder task, and two "Påminn nu" at once, on
real PostgreSQL transactions: each reminder goes out once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from collaboration.models import CollaborationRequest
from collaboration.reminders import services
from collaboration.reminders.services import ReminderRefused
from notifications.models import OutboxMessage, Reminder
from tests import factories

THREADS = 6


def _in_threads(work) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(THREADS)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            try:
                result: object = work()
            except ReminderRefused as refused:
                result = refused.message
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _request(world, days: float):  # type: ignore[no-untyped-def]
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    CollaborationRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return request


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_send_one_reminder(world):
    request = _request(world, 3.5)
    results = _in_threads(services.reminders_send_due)
    assert sorted(results) == [0] * (THREADS - 1) + [1]  # type: ignore[type-var]
    assert Reminder.objects.filter(item_id=request.pk).count() == 1
    assert (
        OutboxMessage.objects.filter(
            recipient=world.sysadmin.email, subject__startswith="Påminnelse:"
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_simultaneous_remind_now_sends_one(world):
    request = _request(world, 1)
    results = _in_threads(
        lambda: services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
    )
    refused = "Du har redan påmint om den här i dag. Du kan påminna igen i morgon."
    assert results.count(refused) == THREADS - 1
    assert (
        OutboxMessage.objects.filter(
            recipient=world.sysadmin.email, subject__startswith="Påminnelse:"
        ).count()
        == 1
    )
