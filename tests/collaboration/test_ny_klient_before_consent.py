"""Before the client's consent, "Ny klient" tells the asking firm only what it
needs and is entitled to know: the client's name as on record, that a
subscription exists and what the request costs the firm itself. Never the
client's plan, licences, seat counts, prices or who pays (another tenant's
data). The sysadmin, who owns it, still sees the full cost before "Jag
godkänner"."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from firm_portal.timeutils import today_in_stockholm
from licensing.models import Recipient, SubscriptionBilling
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

NEW = reverse("collaboration:new_client")
SEND = reverse("collaboration:send_request")
HTMX = {"HTTP_HX_REQUEST": "true"}
AMOUNT = re.compile(r"\d[\d\s\xa0]*,\d\d")


def firm_a_client(world: World) -> None:
    """Firm A's client: Smart, 7 Bokföring licences, paid by firm A."""
    factories.LicenseFactory(subscription=world.subscription, seats=7)
    SubscriptionBilling.objects.update_or_create(
        subscription=world.subscription,
        defaults={
            "recipient": Recipient.FIRM,
            "firm": world.firm,
            "period_months": 12,
            "starts_on": today_in_stockholm(),
            "renews_on": today_in_stockholm() + timedelta(days=365),
        },
    )


def assert_nothing_of_the_subscription(html: str) -> None:
    page = re.sub(r"<[^>]+>", " ", html)
    assert "Bageriet Solsidan AB" in page  # the name as on record
    for secret in ("Smart", "Bokföring", "Grundavgift", "Revisorerna Norr AB", " kr"):
        assert secret not in page, secret
    assert not AMOUNT.search(page), AMOUNT.search(page)
    assert not re.search(r"\b7\b", page)  # the seat count


def send_data(world: World, **overrides: str) -> dict[str, object]:
    return {
        "org_number": world.subscription.client.org_number,
        "subscription_number": world.subscription.number,
        "kind": "existing",
        "consultant_query": "",
        "responsible_consultant": world.other_firm_consultant.pk,
        "start": "direct",
        "start_date": "",
        **overrides,
    }


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["without-javascript", "htmx"])
def test_firm_b_sees_no_plan_licences_or_costs_of_firm_as_client(
    client, world: World, headers: dict[str, str]
) -> None:
    firm_a_client(world)
    client.force_login(world.other_firm_consultant.user)
    pages = [
        # Step 1 answered: step 2 with the request form.
        client.post(NEW, {"org_number": world.subscription.client.org_number}, **headers),
        # "Sök" without JavaScript, and an answer with an error.
        client.post(SEND, send_data(world, action="search", consultant_query="olle"), **headers),
        client.post(SEND, send_data(world, start="date", start_date=""), **headers),
    ]
    for response in pages:
        assert "Skicka förfrågan" in response.text
        assert "Vad samarbetet kostar byrån" in response.text
        assert "Förfrågan kostar inget för er byrå" in response.text
        assert_nothing_of_the_subscription(response.text)


def test_the_sysadmins_approval_page_keeps_the_full_cost(client, world: World) -> None:
    firm_a_client(world)
    factories.CollaborationRequestFactory(
        firm=world.other_firm_consultant.firm, subscription=world.subscription
    )
    client.force_login(world.sysadmin)
    page = client.get(
        reverse("collaboration:firm_collaboration", args=[world.subscription.number])
    ).text
    assert "Jag godkänner" in page
    assert "Grundavgift, variant Smart" in page
    assert re.search(r"Bokföring</td>\s*<td>7</td>", page)
    assert "Revisorerna Norr AB" in page  # who pays
    assert AMOUNT.search(page)
