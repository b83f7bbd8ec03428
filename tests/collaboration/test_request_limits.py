"""Issue 13, the same class as the denied attempts: "Skicka förfrågan" then
"Återkalla", in a loop, put two events per round in the ledger of another
tenant's subscription and an e-mail per round in each of its sysadmins'
mailboxes. A firm may send at most COLLABORATION_REQUESTS_PER_DAY requests
to one subscription in 24 hours."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collaboration.models import CollaborationRequest
from ledger.models import AccessEvent
from tests.collaboration.send_request_helpers import SEND, login, send_data
from tests.conftest import World

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind
REFUSED = (
    "Er byrå har skickat 3 förfrågningar till Bageriet Solsidan AB det senaste dygnet. "
    "Vänta ett dygn innan ni skickar nästa: kundens systemadministratörer får ett mejl "
    "för varje."
)


def send_and_withdraw(client: Client, world: World) -> str:
    response = client.post(SEND, send_data(world), follow=True)
    pending = CollaborationRequest.objects.filter(status=CollaborationRequest.Status.PENDING)
    if pending.exists():
        client.post(reverse("collaboration:withdraw_request", args=[pending.get().pk]))
    return response.text


def in_victims_ledger(kind: str, world: World) -> int:
    return AccessEvent.objects.filter(kind=kind, subscription_id=world.subscription.pk).count()


def test_send_and_withdraw_in_a_loop_stops_at_the_daily_limit(
    client: Client, world: World, django_capture_on_commit_callbacks: object
) -> None:
    login(client, world.consultant.user)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        pages = [send_and_withdraw(client, world) for _ in range(10)]

    assert all("Förfrågan om samarbete är skickad" in page for page in pages[:3])
    assert all(REFUSED in page for page in pages[3:])
    assert CollaborationRequest.objects.count() == 3
    assert len(mail.outbox) == 3
    assert in_victims_ledger(Kind.REQUEST_SENT, world) == 3
    assert in_victims_ledger(Kind.REQUEST_WITHDRAWN, world) == 3


def test_a_day_later_the_firm_may_send_again(
    client: Client, world: World, settings: object
) -> None:
    login(client, world.consultant.user)
    for _ in range(3):
        send_and_withdraw(client, world)
    assert REFUSED in client.post(SEND, send_data(world), follow=True).text
    CollaborationRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    page = client.post(SEND, send_data(world), follow=True).text
    assert "Förfrågan om samarbete är skickad" in page


def test_the_limit_is_per_subscription_and_from_the_setting(
    client: Client, world: World, settings: object
) -> None:
    settings.COLLABORATION_REQUESTS_PER_DAY = 1  # type: ignore[attr-defined]
    login(client, world.consultant.user)
    send_and_withdraw(client, world)
    assert "Er byrå har skickat 1 förfrågan till Bageriet Solsidan AB det senaste dygnet." in (
        client.post(SEND, send_data(world), follow=True).text
    )
    # Another firm is not held back by firm A's requests.
    login(client, world.other_firm_consultant.user)
    data = send_data(world, responsible_consultant=world.other_firm_consultant.pk)
    page = client.post(SEND, data, follow=True).text
    assert "Förfrågan om samarbete är skickad" in page
