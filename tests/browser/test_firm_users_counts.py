"""Issue 14 item 3: after "Spara" in a consultant's client panel the row's
"N klienter" link shows the new count at once, without a reload."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import ClientAssignment
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_client_count_follows_the_saved_panel(journey, world):
    subscriptions = [
        factories.CouplingFactory(firm=world.firm, subscription__client__name=name).subscription
        for name in ("Alfa AB", "Beta AB", "Gamma AB", "Delta AB")
    ]
    for subscription in subscriptions[:3]:
        ClientAssignment.objects.create(consultant=world.consultant, subscription=subscription)

    j = journey("firm-users-client-count")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråns användare"))
    link = j.page.get_by_role("link", name="Klienthanteraren: klienter för Erik Konsult")
    expect(link).to_have_text("3 klienter")
    j.click(link)
    j.click(j.page.get_by_label(re.compile("Delta AB")))
    j.click(j.page.get_by_role("button", name="Spara", exact=True))
    expect(j.page.get_by_text("Sparat: 1 tillagd, 0 borttagna.")).to_be_visible()
    expect(link).to_have_text("4 klienter")
    j.snap("count updated")
    # Unticking two brings it down the same way.
    j.click(j.page.get_by_label(re.compile("Alfa AB")))
    j.click(j.page.get_by_label(re.compile("Beta AB")))
    j.click(j.page.get_by_role("button", name="Spara", exact=True))
    expect(j.page.get_by_text("Sparat: 0 tillagda, 2 borttagna.")).to_be_visible()
    expect(link).to_have_text("2 klienter")
