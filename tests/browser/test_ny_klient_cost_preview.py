"""Issue 14, item 15: "Ny klient" step 2 answered with an error lost the cost
note, without JavaScript (the page re-rendered) and with it (the fragment
swapped in). Since the follow-ups to issue 13 the note says what the request
costs the firm and nothing of the client's plan, licences or prices."""

import pytest
from playwright.sync_api import Browser, expect

from tests import factories
from tests.browser.conftest import Journey
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


def cost_stays_after_an_error(j: Journey, world: World) -> None:
    factories.LicenseFactory(subscription=world.subscription, seats=7)
    j.goto("/klienter/ny/")
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    cost = j.page.get_by_role("heading", name="Vad samarbetet kostar byrån")
    expect(cost).to_be_visible()
    nothing_of_the_clients_subscription(j)
    j.click(j.page.get_by_label("Från ett visst datum"))
    j.click(j.page.get_by_role("button", name="Skicka förfrågan"))
    expect(j.page.get_by_text("Ange ett startdatum.", exact=True)).to_be_visible()
    expect(cost).to_be_visible()
    nothing_of_the_clients_subscription(j)
    j.snap("error with the cost note")


def nothing_of_the_clients_subscription(j: Journey) -> None:
    """Before consent: not the client's plan, licences or prices."""
    html = j.page.content()
    for secret in ("Grundavgift", "Smart", "Bokföring", " kr<", ",00"):
        assert secret not in html, secret


def test_with_javascript(journey, world):
    j = journey("14-ny-klient-kostnad-med-javascript")
    j.enter_as(world.other_firm_consultant.user)
    cost_stays_after_an_error(j, world)


def test_without_javascript(browser: Browser, live_server, world):  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        j = Journey(context.new_page(), live_server.url, "14-ny-klient-kostnad-utan-javascript")
        j.enter_as(world.other_firm_consultant.user)
        cost_stays_after_an_error(j, world)
    finally:
        context.close()
