"""Flow 3: a firm admin adds a seat and invites a consultant, who joins by
choosing a password through the e-mailed link; the admin gives her a seat,
a program admin assigns two clients, and she sees exactly those."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_seat_consultant_assignment_and_first_login(journey, world):
    world.firm.client_manager_seats = 3  # Anna, Erik and Pia: all taken
    world.firm.save()
    program_admin = factories.ConsultantFactory(
        firm=world.firm, is_client_manager_admin=True, user__full_name="Pia Programadmin"
    )
    for name in ("Alfa AB", "Beta AB", "Gamma AB"):
        factories.CouplingFactory(firm=world.firm, subscription__client__name=name)

    j = journey("3-klienthanteraren")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråns användare"))
    expect(j.page.get_by_text("3 av 3 licenser används.")).to_be_visible()
    j.fill(j.page.get_by_label("Antal licenser"), "1")
    j.click(j.page.get_by_role("button", name="Lägg till licenser"))
    expect(j.page.get_by_text("1 licens har lagts till. Byrån har nu 4.")).to_be_visible()
    j.snap("seat added")

    j.click(j.page.get_by_text("Lägg till användare"))
    j.fill(j.page.get_by_label("Namn"), "Sara Ny")
    j.fill(j.page.get_by_label("E-post"), "sara@byran.se")
    j.click(j.page.get_by_role("button", name="Lägg till och skicka inbjudan"))
    expect(j.page.get_by_text("Sara Ny har fått en inbjudan till byrån.")).to_be_visible()
    expect(j.page.get_by_role("cell", name="sara@byran.se", exact=True)).to_be_visible()
    j.snap("consultant invited")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    # Sara chooses her password through the e-mailed link: she has joined.
    [invitation] = [m for m in mail.outbox if m.to == ["sara@byran.se"]]
    link = re.search(r"http://[^/]+(/inbjudan/\S+/)", invitation.body).group(1)
    j.goto(link)
    j.fill(j.page.get_by_label("Nytt lösenord", exact=True), "Ett-långt-lösen-42")
    j.fill(j.page.get_by_label("Bekräfta nytt lösenord"), "Ett-långt-lösen-42")
    j.click(j.page.get_by_role("button", name="Spara lösenord och logga in"))
    expect(j.page.get_by_text("Ditt lösenord är sparat och du är inloggad.")).to_be_visible()
    expect(j.page.get_by_text("Du är nu konsult på Revisorerna Norr AB.")).to_be_visible()
    j.click(j.page.get_by_role("button", name="Logga ut"))

    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråns användare"))
    j.click(j.page.get_by_role("button", name="Ge licens till Sara Ny"))
    expect(j.page.get_by_text("Sara Ny har fått en licens för Klienthanteraren.")).to_be_visible()
    j.snap("seat given")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    j.log_in(program_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråns användare"))
    j.click(j.page.get_by_role("link", name="Klienthanteraren: klienter för Sara Ny"))
    j.click(j.page.get_by_label(re.compile("Alfa AB")))
    j.click(j.page.get_by_label(re.compile("Gamma AB")))
    j.snap("assignment panel")
    j.click(j.page.get_by_role("button", name="Spara", exact=True))
    expect(j.page.get_by_text("Sparat: 2 tillagda, 0 borttagna.")).to_be_visible()
    j.snap("assigned")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    j.log_in("sara@byran.se", "Ett-långt-lösen-42")
    j.click(j.page.get_by_role("link", name="Hantera klienter", exact=True))
    expect(j.page.get_by_text("2 klienter")).to_be_visible()
    j.snap("consultant sees two clients")
    rows = j.page.locator("#client-results tbody tr th")
    expect(rows).to_have_text(["Alfa AB", "Gamma AB"])
