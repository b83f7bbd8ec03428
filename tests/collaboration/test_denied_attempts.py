"""Issue 13: a refused request repeated by an outsider is counted, and the
ledger the victim's administrators read gets one "Nekad åtkomst" event per
actor, subscription and window, not one per request."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccessEvent, DeniedAttempt
from ledger.services import ledger_record_denied
from tests.conftest import World

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind

# In the middle of an hour: the loop below never straddles a window's end.
NOON = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    moment = [NOON]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])
    return moment


def denied_in_ledger_of(subscription: object) -> int:
    return AccessEvent.objects.filter(
        kind=Kind.ACCESS_DENIED, subscription_id=subscription.pk
    ).count()


def test_fifty_refused_requests_leave_one_event_in_the_victims_ledger(
    client: Client, world: World, clock: list[datetime]
) -> None:
    outsider = world.other_firm_consultant.user
    client.force_login(outsider)
    pages = [
        reverse("clients:permissions", args=[world.subscription.number]),
        reverse("clients:users", args=[world.subscription.number]),
    ]
    for attempt in range(50):
        assert client.get(pages[attempt % 2]).status_code == 404

    assert denied_in_ledger_of(world.subscription) == 1
    counted = DeniedAttempt.objects.get()
    assert (counted.actor_id, counted.subscription_id, counted.attempts) == (
        outsider.pk,
        world.subscription.pk,
        50,
    )
    assert counted.last_attempt == {"what": "subscription_admin"}
    assert counted.event.actor_id == outsider.pk

    # The victim's sysadmin still sees who tried, and how often.
    client.force_login(world.sysadmin)
    page = client.get(
        reverse("collaboration:subscription_ledger", args=[world.subscription.number])
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Nekad åtkomst" in body and "Olle Annanbyrå" in body
    assert "Antal försök: 50<br>" in body
    csv = client.get(
        reverse("collaboration:subscription_ledger", args=[world.subscription.number]),
        {"format": "csv"},
    )
    assert "Antal försök: 50;" in csv.content.decode("utf-8-sig")


def test_the_next_window_gets_a_new_event(world: World, clock: list[datetime]) -> None:
    outsider = world.other_firm_consultant.user
    for _ in range(3):
        ledger_record_denied(actor=outsider, subscription=world.subscription, attempt={"what": "x"})
    clock[0] = NOON + timedelta(hours=1)
    ledger_record_denied(actor=outsider, subscription=world.subscription, attempt={"what": "y"})

    assert denied_in_ledger_of(world.subscription) == 2
    assert list(
        DeniedAttempt.objects.order_by("window_start").values_list("attempts", flat=True)
    ) == [
        3,
        1,
    ]


def test_each_actor_and_subscription_is_counted_apart(world: World, clock: list[datetime]) -> None:
    for actor in (world.other_firm_consultant.user, world.other_sysadmin, None):
        for subscription in (world.subscription, world.other_subscription, None):
            for _ in range(2):
                ledger_record_denied(actor=actor, subscription=subscription, attempt={"what": "x"})

    assert DeniedAttempt.objects.count() == 9
    assert set(DeniedAttempt.objects.values_list("attempts", flat=True)) == {2}
    assert AccessEvent.objects.filter(kind=Kind.ACCESS_DENIED).count() == 9


def test_the_ledger_row_is_never_changed_afterwards(world: World, clock: list[datetime]) -> None:
    """The count lives beside the append-only ledger; the event stays as written."""
    outsider = world.other_firm_consultant.user
    ledger_record_denied(actor=outsider, subscription=world.subscription, attempt={"what": "a"})
    event = AccessEvent.objects.get()
    ledger_record_denied(actor=outsider, subscription=world.subscription, attempt={"what": "b"})

    event_after = AccessEvent.objects.get()
    assert (event_after.pk, event_after.after, event_after.occurred_at) == (
        event.pk,
        {"what": "a"},
        event.occurred_at,
    )
    assert DeniedAttempt.objects.get().last_attempt == {"what": "b"}


@pytest.mark.django_db(transaction=True)
def test_first_attempts_at_the_same_moment_claim_the_window_once(world: World) -> None:
    """Ten first attempts at once on PostgreSQL: one row, one event, all counted."""
    outsider = world.other_firm_consultant.user
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            ledger_record_denied(
                actor=outsider, subscription=world.subscription, attempt={"what": "x"}
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = list(DeniedAttempt.objects.values_list("attempts", flat=True))
    # Ten at once land in one window unless the clock crossed an hour meanwhile.
    assert sum(rows) == 10 and len(rows) in (1, 2)
    assert denied_in_ledger_of(world.subscription) == len(rows)
