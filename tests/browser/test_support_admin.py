"""Flow 6 clicked through as support staff do it: Django admin, by visible
Swedish labels."""

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from clients.models import Membership
from collaboration.models import Coupling, ManualCoupling
from firm_portal.timeutils import today_in_stockholm
from licensing.models import FirmCharge
from tests import factories
from tests.browser.conftest import two_factor_app

pytestmark = pytest.mark.django_db(transaction=True)

support_migration = importlib.import_module("collaboration.migrations.0006_support_group")


def choose(j, field: str, search: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """An autocomplete field ("Byrå", "Ansvarig konsult"): open it, type,
    pick the option by its visible text."""
    j.click(j.page.locator(f".field-{field} .select2-selection"))
    label = {"firm": "byrå", "responsible_consultant": "ansvarig konsult"}[field]
    j.fill(j.page.get_by_role("searchbox", name=f"Sök {label}"), search)
    j.click(j.page.get_by_role("option", name=option))
    expect(j.page.locator(f"#select2-id_{field}-container")).to_have_text(
        re.compile(re.escape(option))
    )


def log_in_as_support(j, world):  # type: ignore[no-untyped-def]
    support_migration.support_group_ensure(apps, "default")
    support = factories.UserFactory(is_staff=True, full_name="Stina Support")
    support.groups.add(Group.objects.get(name="Support"))
    two_factor_app(support.email)
    j.goto("/admin/")
    j.fill(j.page.get_by_label("E-post"), support.email)
    j.fill(j.page.get_by_label("Lösenord"), factories.PASSWORD)
    j.click(j.page.get_by_role("button", name="Logga in"))
    j.second_step(support.email)
    return support


def test_a_free_manual_coupling_is_usable_at_once(journey, world, tmp_path, settings):
    """Issue 14 item 4: a subscription with no sysadmin, the form names the
    responsible consultant; the scan is uploaded; after "Genomför koppling"
    the consultant is sysadmin and can work with the client."""
    settings.MEDIA_ROOT = tmp_path
    lonely = factories.SubscriptionFactory(client__name="Utan Admin AB")
    scan = tmp_path / "blankett.pdf"
    scan.write_bytes(b"%PDF-1.4\n% blankett\n")

    j = journey("6-manuell-koppling-utan-sysadmin")
    log_in_as_support(j, world)
    j.click(j.page.get_by_role("link", name="Manuella kopplingar").first)
    j.click(j.page.get_by_role("link", name=re.compile("Lägg till manuell koppling")))
    j.page.wait_for_load_state("load")  # the search fields are made when the page has loaded
    choose(j, "firm", "Norr", "Revisorerna Norr AB")
    # Only the chosen firm's active consultants are offered.
    j.click(j.page.locator(".field-responsible_consultant .select2-selection"))
    expect(j.page.get_by_role("option", name="Erik Konsult (Revisorerna Norr AB)")).to_be_visible()
    expect(j.page.get_by_role("option", name=re.compile("Siffror Syd"))).to_have_count(0)
    j.click(j.page.get_by_role("option", name="Erik Konsult (Revisorerna Norr AB)"))
    j.fill(j.page.get_by_label("Organisationsnummer"), lonely.client.org_number)
    j.fill(j.page.get_by_label("Blankett mottagen"), today_in_stockholm().isoformat())
    expect(j.page.get_by_role("radio", name="Ansvarig konsult")).to_be_checked()
    j.page.get_by_label("Inskannad blankett").set_input_files(str(scan))
    j.snap("free coupling filled in")
    j.click(j.page.get_by_role("button", name="Spara och fortsätt redigera"))

    expect(j.page.get_by_text("Beräknad avgift 0,00 kr.")).to_be_visible()
    manual = ManualCoupling.objects.get()
    expect(j.page.get_by_role("link", name="blankett.pdf")).to_have_attribute(
        "href", f"/admin/collaboration/manualcoupling/{manual.pk}/blankett/"
    )
    j.select(j.page.get_by_role("combobox", name=re.compile("Åtgärd")), "Genomför koppling")
    j.click(j.page.get_by_role("button", name="Kör"))
    expect(
        j.page.get_by_text("Erik Konsult är systemadministratör enligt blanketten.")
    ).to_be_visible()
    j.snap("performed, consultant is sysadmin")
    assert Membership.objects.get(subscription=lonely, user=world.consultant.user).is_sysadmin

    # The consultant: "Redigera" no longer sends them to a sysadmin who does not exist.
    j.page.context.clear_cookies()
    j.enter_as(world.consultant.user)
    j.goto(f"/klienter/{lonely.number}/")
    expect(j.page.get_by_role("button", name="Lägg till konsult")).to_be_visible()
    expect(j.page.get_by_text("Be klientens systemadministratör")).to_have_count(0)
    j.snap("consultant can administer the client")


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
    j.page.wait_for_load_state("load")  # the search fields are made when the page has loaded
    choose(j, "firm", "Norr", "Revisorerna Norr AB")
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    choose(j, "responsible_consultant", "Erik", "Erik Konsult (Revisorerna Norr AB)")
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
    assert j.interactions <= 26  # 20, the code from the app at login, two searches
