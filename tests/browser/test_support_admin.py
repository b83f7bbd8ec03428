"""Flow 6 clicked through as support staff do it: Django admin, by visible
Swedish labels."""

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from collaboration.models import Coupling, ManualCoupling
from firm_portal.timeutils import today_in_stockholm
from licensing.models import FirmCharge
from tests import factories
from tests.browser.conftest import two_factor_app

pytestmark = pytest.mark.django_db(transaction=True)

support_migration = importlib.import_module("collaboration.migrations.0006_support_group")


def test_support_registers_and_performs_a_manual_coupling(journey, world):
    # Made by a migration, but an earlier transactional test may have flushed it.
    support_migration.support_group_ensure(apps, "default")
    support = factories.UserFactory(is_staff=True, full_name="Stina Support")
    support.groups.add(Group.objects.get(name="Support"))

    two_factor_app(support.email)
    j = journey("6-manuell-koppling")
    j.goto("/admin/")
    j.fill(j.page.get_by_label("E-post"), support.email)
    j.fill(j.page.get_by_label("Lösenord"), factories.PASSWORD)
    j.click(j.page.get_by_role("button", name="Logga in"))
    j.second_step(support.email)  # the code from the app: admin needs a verified session
    j.snap("admin start")

    j.click(j.page.get_by_role("link", name="Manuella kopplingar").first)
    j.click(j.page.get_by_role("link", name=re.compile("Lägg till manuell koppling")))
    j.fill(j.page.get_by_label("Byrå"), str(world.firm.pk))
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.fill(j.page.get_by_label("Ansvarig konsult"), str(world.consultant.pk))
    j.fill(j.page.get_by_label("Blankett mottagen"), today_in_stockholm().isoformat())
    j.snap("form filled in")
    j.click(j.page.get_by_role("button", name="Spara och fortsätt redigera"))

    expect(j.page.get_by_text("Beräknad avgift 600,00 kr.")).to_be_visible()
    reason = "Kunde ha gjorts digitalt: abonnemanget har en aktiv systemadministratör."
    expect(j.page.locator(".field-fee_reason")).to_contain_text(reason)
    expect(j.page.locator(".field-computed_fee_display")).to_contain_text("600,00 kr")
    j.snap("registered with computed fee")
    manual = ManualCoupling.objects.get()
    assert manual.fee == 600

    j.click(j.page.get_by_role("link", name="Manuella kopplingar").first)
    j.click(j.page.get_by_role("checkbox", name=re.compile("Välj detta objekt för en åtgärd")))
    j.select(j.page.get_by_role("combobox", name=re.compile("Åtgärd")), "Genomför koppling")
    j.snap("action chosen")
    j.click(j.page.get_by_role("button", name="Kör"))

    expect(
        j.page.get_by_text(
            f"Manuell koppling #{manual.pk} genomförd: Revisorerna Norr AB är sammankopplad "
            "med Bageriet Solsidan AB"
        )
    ).to_be_visible()
    expect(j.page.get_by_role("cell", name="Genomförd")).to_be_visible()
    j.snap("performed")
    assert Coupling.objects.get().firm == world.firm

    j.goto("/admin/")
    j.click(j.page.get_by_role("link", name="Avgifter").first)
    j.fill(j.page.locator("#searchbar"), "Revisorerna Norr")
    j.click(j.page.get_by_role("button", name="Sök"))
    row = j.page.get_by_role("row", name=re.compile("Revisorerna Norr AB"))
    expect(row).to_contain_text("600,00 kr")
    expect(row).to_contain_text("Väntar på nästa faktura")
    j.snap("charge pending on the next invoice")
    assert FirmCharge.objects.get().invoiced_at is None
    assert j.interactions <= 22  # 20, plus the code from the app at login
