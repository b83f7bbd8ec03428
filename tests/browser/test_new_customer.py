"""Flow 5 clicked through by visible Swedish labels: a consultant creates a
new customer with "Skapa nytt samarbete", the customer's primary contact
opens the emailed link, accepts the terms, sets up two-factor authentication
(she is sysadmin now) and lands logged in."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clients.catalogue import PLAN_PROGRAMS
from clients.models import Subscription
from collaboration.models import Coupling
from firm_portal.timeutils import today_in_stockholm
from notifications.models import OutboxMessage
from tests import factories
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_customer_created_and_accepted(journey, world):
    replace_price_list(
        plans={"faktura": ("100.00", "80.00"), "start": ("200.00", "160.00"),
               "smart": ("300.00", "240.00"), "pro": ("450.00", "360.00")},
        programs={(plan, code): ("150.00", "120.00")
                  for plan, codes in PLAN_PROGRAMS.items() for code in codes},
        valid_from=today_in_stockholm() - timedelta(days=400),
    )  # fmt: skip
    j = journey("5-skapa-nytt-samarbete")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Skapa nytt samarbete"))
    expect(j.page.get_by_role("heading", name=re.compile("Steg 1 av 5"))).to_be_visible()
    j.snap("variant")

    j.click(j.page.get_by_label("Smart – grundavgift"))
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(j.page.get_by_role("heading", name=re.compile("Steg 2 av 5"))).to_be_visible()
    j.fill(j.page.get_by_label("Antal licenser för Bokföring"), "2")
    j.select(j.page.get_by_label("Behörighet i Bokföring"), "Attestansvarig")
    j.snap("licenser")
    j.click(j.page.get_by_role("button", name="Fortsätt"))

    expect(j.page.get_by_role("heading", name=re.compile("Steg 3 av 5"))).to_be_visible()
    j.fill(j.page.get_by_label("Organisationsnummer"), "556036-0793")
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(j.page.get_by_text("556036-0793 har inget abonnemang hos oss")).to_be_visible()
    for label, value in [
        ("Företagsnamn", "Fjällbageriet AB"),
        ("Utdelningsadress", "Storgatan 1"),
        ("Postnummer", "903 26"),
        ("Ort", "Umeå"),
        ("E-post för fakturor", "faktura@fjallbageriet.se"),
        ("Namn", "Karin Kontakt"),
        ("E-post", "karin@fjallbageriet.se"),
    ]:
        j.fill(j.page.get_by_label(label, exact=True), value)
    j.snap("kunden")
    j.click(j.page.get_by_role("button", name="Fortsätt"))

    expect(j.page.get_by_role("heading", name=re.compile("Steg 4 av 5"))).to_be_visible()
    j.click(j.page.get_by_label("Kunden", exact=True))
    j.click(j.page.get_by_label("3 månader"))
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(j.page.get_by_role("heading", name=re.compile("Steg 5 av 5"))).to_be_visible()
    # Back and forward again: nothing typed is lost.
    j.click(j.page.get_by_role("button", name="Tillbaka"))
    expect(j.page.get_by_label("3 månader")).to_be_checked()
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    summary = j.page.locator(".summary")
    expect(summary).to_contain_text("Fjällbageriet AB, 556036-0793")
    expect(j.page.get_by_text("Kostnad per månad", exact=True)).to_be_visible()
    expect(j.page.locator("tfoot")).to_contain_text("600,00 kr")  # 300 + 2 × 150
    expect(j.page.locator("tfoot")).to_contain_text("1\xa0800,00 kr")  # 3 months
    j.snap("sammanfattning")
    assert not Subscription.objects.filter(client__org_number="556036-0793").exists()

    j.click(j.page.get_by_role("button", name="Skapa samarbete"))
    expect(j.page.get_by_text("Samarbetet med Fjällbageriet AB är skapat.")).to_be_visible()
    expect(j.page.locator(".lead")).to_contain_text("Väntar på kundens godkännande")
    expect(j.page.get_by_role("button", name="Skicka igen till Fjällbageriet AB")).to_be_visible()
    j.snap("skapat")
    subscription = Subscription.objects.get(client__org_number="556036-0793")
    assert subscription.status == Subscription.Status.PENDING
    j.click(j.page.get_by_role("button", name="Logga ut"))

    # The customer opens the link from the welcome email.
    welcome = OutboxMessage.objects.get(recipient="karin@fjallbageriet.se")
    link = re.search(r"/samarbeten/godkann/\S+/", welcome.body_text)
    assert link is not None
    j.goto(link.group(0))
    expect(j.page.get_by_role("heading", name="Godkänn villkoren")).to_be_visible()
    expect(j.page.get_by_text("Bokföring: 2 licenser")).to_be_visible()
    j.snap("villkor")
    j.fill(j.page.get_by_label("Nytt lösenord", exact=True), "Fjällstuga-2025")
    j.fill(j.page.get_by_label("Bekräfta nytt lösenord"), "Fjällstuga-2025")
    j.click(j.page.get_by_label("Jag godkänner villkoren"))
    j.click(j.page.get_by_role("button", name="Godkänn och kom igång"))

    expect(
        j.page.get_by_text("Villkoren är godkända och samarbetet med Revisorerna Norr AB är igång")
    ).to_be_visible()
    # As sysadmin she grants access to others: an authenticator app first.
    expect(j.page.get_by_text("Din roll kräver tvåstegsverifiering.")).to_be_visible()
    j.snap("tvastegsverifiering")
    j.set_up_app()
    expect(j.page.get_by_role("heading", name="Dina abonnemang")).to_be_visible()
    expect(j.page.get_by_role("heading", name=re.compile("Fjällbageriet AB"))).to_be_visible()
    j.snap("inloggad")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert Coupling.objects.get(subscription=subscription).status == Coupling.Status.ACTIVE
    assert j.interactions <= 37
