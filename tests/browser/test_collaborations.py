"""Flow 5, "Samarbeten": a firm admin opens the overview, changes the number
of licences and ends the collaboration; the customer's sysadmin sees it gone."""

import pytest
from playwright.sync_api import expect

from collaboration.models import Coupling
from licensing.models import LicenseChange
from tests import factories
from tests.collaboration.collaborations_fixtures import make_collab
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db(transaction=True)


def test_firm_admin_changes_licences_and_ends_the_collaboration(journey, world):
    # Transactional tests flush the seeded price list: a small one of our own.
    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", "bokforing"): ("150.00", "119.00")},
    )
    collab = make_collab(world)

    j = journey("5-samarbeten")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Samarbeten", exact=True))
    row = j.page.locator("tr", has_text="Bageriet Solsidan AB")
    expect(row).to_contain_text("Bokföring 3")
    expect(row).to_contain_text("12 månader")
    j.snap("samarbeten")

    j.click(row.get_by_role("link", name="Visa och ändra"))
    expect(j.page.get_by_text("Vad samarbetet kostar")).to_be_visible()
    expect(j.page.get_by_text("750,00 kr")).to_be_visible()  # 300 + 3 × 150
    j.fill(j.page.get_by_label("Bokföring", exact=True), "4")
    j.click(j.page.get_by_role("button", name="Spara licenser"))
    expect(j.page.get_by_text("Licenserna är ändrade: Bokföring 3 → 4.")).to_be_visible()
    expect(j.page.get_by_text("900,00 kr")).to_be_visible()
    j.snap("licences changed")

    j.click(j.page.get_by_role("link", name="Avsluta samarbete"))
    expect(j.page.get_by_text("Erik Konsult")).to_be_visible()
    j.snap("confirm ending")
    j.click(j.page.get_by_role("button", name="Ja, avsluta samarbetet"))
    expect(j.page.get_by_text("Samarbetet med Bageriet Solsidan AB är avslutat.")).to_be_visible()
    expect(j.page.get_by_text("Byrån har inga samarbeten ännu.")).to_be_visible()
    j.snap("ended")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    j.log_in(world.sysadmin.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråsamarbete"))
    expect(j.page.get_by_text("Ingen byrå är sammankopplad med abonnemanget.")).to_be_visible()
    j.snap("sysadmin sees it gone")

    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ENDED
    assert list(LicenseChange.objects.values_list("delta", "seats_after")) == [(1, 4)]
