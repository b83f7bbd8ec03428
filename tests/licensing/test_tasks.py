"""The monthly beat task: previous month by default, idempotent."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from licensing import tasks
from licensing.models import Invoice
from tests.licensing.factories import Scenario

pytestmark = pytest.mark.django_db


def test_scheduled_on_the_first_of_every_month() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["licensing.run_monthly_invoicing"]
    assert entry["task"] == "licensing.run_monthly_invoicing"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1}
    assert (schedule.hour, schedule.minute) == ({3}, {0})


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_the_task_invoices_the_month_that_just_ended(scenario: Scenario, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tasks, "today_in_stockholm", lambda: date(2025, 12, 1))
    monkeypatch.setattr("licensing.billing.runs.today_in_stockholm", lambda: date(2025, 12, 1))

    assert tasks.run_monthly_invoicing.delay().get() == 1
    assert tasks.run_monthly_invoicing.delay().get() == 1  # again: nothing new

    invoice = Invoice.objects.get()
    assert invoice.month == date(2025, 11, 1)
    assert invoice.issued_on == date(2025, 12, 1)
    assert invoice.total_amount == Decimal("2363.66")


def test_a_month_can_be_given(scenario: Scenario) -> None:
    assert tasks.run_monthly_invoicing.delay(month="2025-11-01").get() == 1
    assert Invoice.objects.get().month == date(2025, 11, 1)
