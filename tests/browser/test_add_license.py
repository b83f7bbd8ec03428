"""Issue 14, item 8: "Lägg till licens" in "Tilldela behörigheter" asks
first (price and payer), then gives the member the level just chosen."""

import pytest
from playwright.sync_api import expect

from clients.models import Level, ProgramLevel
from licensing.models import LicenseChange
from tests import factories
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_free_seat_asks_before_billing_and_keeps_the_level(journey, world):
    # Transactional tests flush the seeded price list: a small one of our own.
    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", "bokforing"): ("1150.00", "119.00")},
    )
    factories.LicenseFactory(subscription=world.subscription, seats=1)
    factories.give_level(world.sysadmin_membership, "bokforing", Level.ADMIN)
    klas = world.subscription.memberships.get(user=world.client_user)

    j = journey("8-lagg-till-licens")
    j.log_in(world.sysadmin.email, factories.PASSWORD)
    j.goto(f"/abonnemang/{world.subscription.number}/behorigheter/")
    j.select(j.page.get_by_label("Bokföring för Klas Klientanvändare"), "Rapportör")
    cell = j.page.locator("td.cell.has-error")
    expect(cell).to_contain_text("Det finns ingen ledig licens för Bokföring")
    j.click(cell.get_by_role("link", name="Lägg till licens"))

    box = j.page.get_by_role("region", name="Lägg till licens för Bokföring")
    expect(box).to_be_visible()
    expect(box).to_contain_text("1\u00a0150,00 kr per månad exkl. moms")
    expect(box).to_contain_text("Kunden (Bageriet Solsidan AB)")
    expect(box).to_contain_text("Rapportör för Klas Klientanvändare")
    j.snap("confirmation")
    assert not LicenseChange.objects.exists()

    j.click(box.get_by_role("button", name="Bekräfta och lägg till licens"))
    expect(
        j.page.get_by_text(
            "En licens för Bokföring är tillagd. Abonnemanget har nu 2. "
            "Klas Klientanvändare har nu behörigheten Rapportör i Bokföring."
        )
    ).to_be_visible()
    expect(j.page.locator("#usage-bokforing")).to_have_text("2 av 2 licenser")
    expect(j.page.get_by_label("Bokföring för Klas Klientanvändare")).to_have_value(Level.REPORTER)
    j.snap("added")
    assert LicenseChange.objects.count() == 1
    assert ProgramLevel.objects.get(membership=klas).level == Level.REPORTER

    # The confirmation as the page of its own that it is without JavaScript
    # (audited like every page).
    j.goto(f"/abonnemang/{world.subscription.number}/licenser/bokforing/")
    expect(j.page.get_by_role("heading", level=1)).to_have_text("Lägg till licens för Bokföring")


def test_without_javascript_the_confirmation_is_a_page(browser, live_server, world):
    """JavaScript off: the header's "Lägg till licens" opens a page of its
    own; "Bekräfta och lägg till licens" adds the licence."""
    from tests.browser.conftest import Journey

    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", "lon"): ("95.00", "76.00")},
    )
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        # No audit here: axe-core needs JavaScript (the page itself is
        # audited with JavaScript on in the test above).
        j = Journey(context.new_page(), live_server.url, "8-lagg-till-licens-utan-js")
        j.log_in(world.sysadmin.email, factories.PASSWORD)
        j.goto(f"/abonnemang/{world.subscription.number}/behorigheter/")
        j.click(j.page.get_by_role("link", name="Lägg till licens för Lön"))
        expect(j.page.get_by_role("heading", level=1)).to_have_text("Lägg till licens för Lön")
        expect(j.page.get_by_text("95,00 kr per månad exkl. moms")).to_be_visible()
        assert not LicenseChange.objects.exists()
        j.click(j.page.get_by_role("button", name="Bekräfta och lägg till licens"))
        expect(
            j.page.get_by_text("En licens för Lön är tillagd. Abonnemanget har nu 1.")
        ).to_be_visible()
        assert LicenseChange.objects.get().program.code == "lon"
    finally:
        context.close()
