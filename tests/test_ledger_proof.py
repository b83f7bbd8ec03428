"""Issue 8, point 4, and issue 13: every failed authorization on an existing
object is recorded, on every route with an object in it (walked from the URL
resolver through the access matrix's rules), and the ledger of the
subscription it was aimed at gets one "Nekad åtkomst" event per actor and
window however many there were (ledger.services.ledger_record_denied;
the flood itself: tests/collaboration/test_denied_attempts.py). Approvals,
permission changes and couplings, one event each:
tests/collaboration/test_ledger.py (TestOneEventPerChange) and
tests/collaboration/test_manual_coupling.py ("Genomför koppling")."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models import Count, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.models import AccessEvent, DeniedAttempt
from tests.access_routes import RULES, all_routes
from tests.conftest import World

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind


# Every denial on an existing object is counted, also when the person is no
# consultant at all and is turned away before the object is looked up
# (clients/middleware.py).
KNOWN_GAPS: dict[str, set[str]] = {"other_firm_consultant": set(), "other_sysadmin": set()}


def counted() -> int:
    return DeniedAttempt.objects.aggregate(total=Sum("attempts", default=0))["total"]


@pytest.mark.parametrize("role", ["other_firm_consultant", "other_sysadmin"])
def test_each_denied_request_is_counted_once_and_logged_once_per_window(
    world: World, matrix: dict[str, Any], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One window for the whole walk (it takes seconds; an hour's end could fall in it).
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 2, 11, 30, tzinfo=UTC))
    actor = getattr(world, role)
    user = getattr(actor, "user", actor)
    client = Client()
    client.force_login(user)
    wrong: list[str] = []
    missing: set[str] = set()
    tried = 0
    for name, _pattern in all_routes():
        if name not in RULES:
            continue
        url = reverse(name, kwargs=RULES[name](world, matrix))
        for method in ("get", "post"):
            before = counted()
            response = getattr(client, method)(url, HTTP_HX_REQUEST="true")
            written = counted() - before
            if response.status_code == 404:
                tried += 1
                if written == 0:
                    missing.add(f"{method.upper()} {name}")
                elif written != 1:
                    wrong.append(f"{method.upper()} {name}: counted {written} times")
            elif written:
                wrong.append(f"{method.upper()} {name}: {response.status_code} counted {written}")
    assert tried >= len(RULES)
    assert wrong == []  # never two counts for one denial
    assert missing == KNOWN_GAPS[role]
    assert counted() == tried - len(missing)
    # One event per actor and subscription (one window here), each the one
    # its counter row was claimed with, whatever the number of attempts.
    events = AccessEvent.objects.filter(kind=Kind.ACCESS_DENIED)
    per_subscription = dict(
        events.values_list("subscription_id")
        .annotate(n=Count("id"))
        .values_list("subscription_id", "n")
    )
    assert set(per_subscription.values()) == {1}
    assert sorted(DeniedAttempt.objects.values_list("event_id", flat=True)) == sorted(
        events.values_list("pk", flat=True)
    )
    assert events.count() < tried
    assert set(events.values_list("actor_id", flat=True)) == {user.pk}
