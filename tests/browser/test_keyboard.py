"""The two main journeys with the keyboard alone: Tab and Shift+Tab to move,
typing into the focused field, Enter, Space and the arrow keys to act; no
mouse, no filling of fields the keyboard did not reach. After every key the
focused element shows a visible focus indicator (Journey.press)."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import Level, ProgramLevel
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import User
from firm_portal.two_factor.services import two_factor_required
from tests import factories
from tests.browser.conftest import Journey, two_factor_app
from tests.two_factor_helpers import app_code, app_device

pytestmark = pytest.mark.django_db(transaction=True)


def log_in_by_keyboard(j: Journey, email: str) -> None:
    """The password, and for those who must use two-factor authentication
    (a sysadmin does) the code from their app, typed in the focused field."""
    two_factor_app(email)
    j.goto("/")
    j.tab_to(j.page.get_by_label("E-post"))
    j.type(email)
    j.tab_to(j.page.get_by_label("Lösenord"))
    j.type(factories.PASSWORD)
    j.press("Enter")
    user = User.objects.get(email=email)
    if two_factor_required(user=user):
        j.page.wait_for_url("**/tvastegsverifiering/verifiera/**")
        j.tab_to(j.page.get_by_label("Verifieringskod"))
        j.type(app_code(app_device(user)))
        j.press("Enter")


def test_ny_klient_to_skicka_forfragan_by_keyboard(journey, world):
    factories.ConsultantFactory(firm=world.firm, user__full_name="Eva Ekström")
    j = journey("tangentbord-ny-klient")
    log_in_by_keyboard(j, world.consultant.user.email)
    expect(j.page.get_by_role("heading", name="Välkommen, Erik")).to_be_visible()

    j.tab_to(j.page.get_by_role("navigation").get_by_role("link", name="Ny klient"))
    j.press("Enter")
    j.tab_to(j.page.get_by_label("Organisationsnummer"))
    j.type(world.subscription.client.org_number)
    j.press("Enter")
    expect(j.page.get_by_text("Sammankoppling med befintligt abonnemang")).to_be_visible()
    j.snap("step two")

    j.tab_to(j.page.get_by_label("Sök ansvarig konsult"))
    j.type("ekst")
    eva = j.page.get_by_label(re.compile("Eva Ekström"))
    j.tab_to(eva)
    j.press("Space")
    expect(eva).to_be_checked()
    # "Direkt vid godkännande" is chosen; the arrow keys move within the group.
    j.tab_to(j.page.get_by_label("Direkt vid godkännande"))
    j.press("ArrowDown")
    expect(j.page.get_by_label("Från ett visst datum")).to_be_checked()
    j.press("ArrowUp")
    expect(j.page.get_by_label("Direkt vid godkännande")).to_be_checked()
    j.snap("consultant chosen")
    j.tab_to(j.page.get_by_role("button", name="Skicka förfrågan"))
    j.press("Enter")

    expect(
        j.page.get_by_text("Förfrågan om samarbete är skickad till Bageriet Solsidan AB.")
    ).to_be_visible()
    j.snap("sent")
    request = CollaborationRequest.objects.get()
    assert request.responsible_consultant.user.full_name == "Eva Ekström"
    assert request.start_date is None


def test_jag_godkanner_to_a_level_by_keyboard(journey, world):
    factories.LicenseFactory(subscription=world.subscription, seats=1)
    factories.CollaborationRequestFactory(
        firm=world.firm,
        subscription=world.subscription,
        responsible_consultant=world.consultant,
        requested_by=world.firm_admin.user,
    )
    # A second firm asks too: "Byråsamarbete" shows two requests (and must
    # not repeat an id for it, which the accessibility audit checks).
    factories.CollaborationRequestFactory(
        firm=world.other_firm_consultant.firm,
        subscription=world.subscription,
        responsible_consultant=world.other_firm_consultant,
        requested_by=world.other_firm_consultant.user,
    )
    j = journey("tangentbord-godkann")
    log_in_by_keyboard(j, world.sysadmin.email)

    j.tab_to(j.page.get_by_role("link", name=re.compile("Förfrågan om samarbete från Revisorerna")))
    j.press("Enter")
    expect(j.page.get_by_role("heading", name="Byråsamarbete")).to_be_visible()
    ours = j.page.locator("article").filter(has_text="Revisorerna Norr AB")
    j.tab_to(ours.get_by_role("button", name="Jag godkänner"))
    j.press("Enter")

    expect(j.page.get_by_role("heading", name="Tilldela behörigheter")).to_be_visible()
    assert Coupling.objects.get(firm=world.firm).status == Coupling.Status.ACTIVE
    j.tab_to(j.page.get_by_label("Bokföring för Erik Konsult"))
    j.press("ArrowDown")  # Ingen → Läs, saved on change
    expect(j.page.get_by_role("status").filter(has_text="Sparat")).to_be_visible()
    expect(j.page.locator("#usage-bokforing")).to_have_text("1 av 1 licens")
    j.snap("level saved")
    level = ProgramLevel.objects.get(membership__user=world.consultant.user)
    assert level.level == Level.READ
