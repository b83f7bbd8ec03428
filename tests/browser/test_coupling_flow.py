"""Flows 1 and 2 clicked through as people do, by visible Swedish labels."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import Level, ProgramLevel
from collaboration.models import CollaborationRequest, Coupling
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_consultant_sends_request_from_ny_klient(journey, world):
    factories.ConsultantFactory(firm=world.firm, user__full_name="Eva Ekström")
    j = journey("1-ny-klient")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    expect(j.page.get_by_role("heading", name="Välkommen, Erik")).to_be_visible()
    j.snap("start page")

    j.click(j.page.get_by_role("link", name="Ny klient").first)
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.snap("organisationsnummer")
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(j.page.get_by_text("Sammankoppling med befintligt abonnemang")).to_be_visible()
    j.snap("step two")

    j.fill(j.page.get_by_label("Sök ansvarig konsult"), "ekst")
    eva = j.page.get_by_label(re.compile("Eva Ekström"))
    expect(eva).to_be_visible()
    expect(j.page.get_by_label(re.compile("Erik Konsult"))).to_have_count(0)
    j.click(eva)
    j.snap("consultant chosen")
    j.click(j.page.get_by_role("button", name="Skicka förfrågan"))

    expect(
        j.page.get_by_text("Förfrågan om samarbete är skickad till Bageriet Solsidan AB.")
    ).to_be_visible()
    j.snap("sent")
    request = CollaborationRequest.objects.get()
    assert request.responsible_consultant.user.full_name == "Eva Ekström"
    assert OutboxMessage.objects.filter(recipient=world.sysadmin.email).count() == 1
    assert j.interactions <= 10


def test_sysadmin_approves_and_assigns_a_level(journey, world):
    factories.LicenseFactory(subscription=world.subscription, seats=1)
    factories.CollaborationRequestFactory(
        firm=world.firm,
        subscription=world.subscription,
        responsible_consultant=world.consultant,
        requested_by=world.firm_admin.user,
    )
    j = journey("2-godkann-och-behorigheter")
    j.log_in(world.sysadmin.email, factories.PASSWORD)
    card = j.page.get_by_role("link", name=re.compile("Förfrågan om samarbete från Revisorerna"))
    expect(card).to_be_visible()
    j.snap("to-do card")

    j.click(card)
    expect(j.page.get_by_role("heading", name="Byråsamarbete")).to_be_visible()
    expect(j.page.get_by_text("Erik Konsult")).to_be_visible()
    j.snap("byrasamarbete")
    j.click(j.page.get_by_role("button", name="Jag godkänner"))

    expect(j.page.get_by_role("heading", name="Tilldela behörigheter")).to_be_visible()
    expect(j.page.get_by_text("Samarbetet med Revisorerna Norr AB är godkänt.")).to_be_visible()
    j.snap("tilldela behorigheter")
    assert Coupling.objects.get().status == Coupling.Status.ACTIVE

    j.select(j.page.get_by_label("Bokföring för Erik Konsult"), "Attestansvarig")
    expect(j.page.get_by_role("status").filter(has_text="Sparat")).to_be_visible()
    expect(j.page.locator("#usage-bokforing")).to_have_text("1 av 1 licens")
    j.snap("level saved")
    level = ProgramLevel.objects.get(membership__user=world.consultant.user)
    assert level.level == Level.APPROVER

    # The seat is now taken: the next level is refused with a way to add one.
    j.select(j.page.get_by_label("Bokföring för Klas Klientanvändare"), "Läs")
    expect(j.page.get_by_text("Det finns ingen ledig licens för Bokföring")).to_be_visible()
    j.snap("no free seat")
    assert j.interactions <= 10


def test_two_requests_are_told_apart(journey, world):
    """Issue 14, item 11: two pending requests on "Byråsamarbete" each say
    whose they are: the firm in the cost box's heading and in the accessible
    name of "Jag godkänner" (its visible label unchanged)."""
    for consultant in (world.consultant, world.other_firm_consultant):
        factories.CollaborationRequestFactory(
            firm=consultant.firm,
            subscription=world.subscription,
            responsible_consultant=consultant,
            requested_by=consultant.user,
        )
    j = journey("11-tva-forfragningar")
    j.log_in(world.sysadmin.email, factories.PASSWORD)
    j.goto(f"/abonnemang/{world.subscription.number}/byrasamarbete/")
    headings = j.page.locator("section.cost-preview h4")
    expect(headings).to_have_text(
        [
            "Vad samarbetet med Revisorerna Norr AB kostar",
            "Vad samarbetet med Siffror Syd AB kostar",
        ]
    )
    north = j.page.get_by_role("button", name="Jag godkänner – Revisorerna Norr AB", exact=True)
    south = j.page.get_by_role("button", name="Jag godkänner – Siffror Syd AB", exact=True)
    expect(north).to_have_text("Jag godkänner")
    expect(south).to_have_text("Jag godkänner")
    expect(
        j.page.get_by_role("region", name="Vad samarbetet med Siffror Syd AB kostar")
    ).to_be_visible()
    j.snap("two requests")

    j.click(south)
    expect(j.page.get_by_role("heading", name="Tilldela behörigheter")).to_be_visible()
    coupling = Coupling.objects.get()
    assert coupling.firm == world.other_firm_consultant.firm
