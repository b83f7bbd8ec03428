"""Issue 8, point 4: every failed authorization on an existing object writes
exactly one ledger event, on every route with an object in it (walked from
the URL resolver through the access matrix's rules). Approvals, permission
changes and couplings, one event each: tests/collaboration/test_ledger.py (TestOneEventPerChange)
and tests/collaboration/test_manual_coupling.py ("Genomför koppling")."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from collaboration.models import AccessEvent
from tests.conftest import World
from tests.test_access_matrix import RULES, all_routes
from tests.test_access_matrix import objects as objects

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind


# Every denial on an existing object writes one event, also when the person
# is no consultant at all and is turned away before the object is looked up
# (firm_portal/denials.py).
KNOWN_GAPS: dict[str, set[str]] = {"other_firm_consultant": set(), "other_sysadmin": set()}


def denied_count() -> int:
    return AccessEvent.objects.filter(kind=Kind.ACCESS_DENIED).count()


@pytest.mark.parametrize("role", ["other_firm_consultant", "other_sysadmin"])
def test_each_denied_request_writes_exactly_one_event(
    world: World, objects: dict[str, Any], role: str
) -> None:
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
        url = reverse(name, kwargs=RULES[name](world, objects))
        for method in ("get", "post"):
            before = denied_count()
            response = getattr(client, method)(url, HTTP_HX_REQUEST="true")
            written = denied_count() - before
            if response.status_code == 404:
                tried += 1
                if written == 0:
                    missing.add(f"{method.upper()} {name}")
                elif written != 1:
                    wrong.append(f"{method.upper()} {name}: {written} events")
            elif written:
                wrong.append(f"{method.upper()} {name}: {response.status_code} with {written}")
    assert tried >= len(RULES)
    assert wrong == []  # never two events for one denial
    assert missing == KNOWN_GAPS[role]
    events = AccessEvent.objects.filter(kind=Kind.ACCESS_DENIED)
    assert events.count() >= tried - len(missing)
    assert set(events.values_list("actor", flat=True)) == {user.pk}
