"""Flow 4: three client users invited in one submit (one with a mobile
number, who gets an SMS heads-up without the link); one opens the emailed
link, sets a password, which accepts the invitation, and lands on the
client's start page."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from notifications.sms import locmem as sms
from tests import factories
from tests.clients.bulk_invitation_helpers import make_invitable

pytestmark = pytest.mark.django_db(transaction=True)


def test_invite_three_and_accept(journey, world):
    make_invitable(world, ["Alfa AB", "Beta AB", "Gamma AB"])
    j = journey("4-bjud-in-klientanvandare")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Hantera klienter", exact=True))
    j.click(j.page.get_by_role("link", name="Bjud in klientanvändare"))
    expect(j.page.get_by_label("Lägg till nya användare och bjud in")).to_be_checked()
    j.click(j.page.get_by_role("button", name="Nästa"))

    people = [
        ("Alfa AB", "Åsa Öberg", "asa@alfa.se", "070-123 45 67"),
        ("Beta AB", "Bo Ek", "bo@beta.se", ""),
        ("Gamma AB", "Cia Lund", "cia@gamma.se", ""),
    ]
    for client, name, email, mobile in people:
        j.fill(j.page.get_by_label(f"Namn, {client}", exact=True), name)
        j.fill(j.page.get_by_label(f"Användarens e-post, {client}"), email)
        if mobile:
            j.fill(j.page.get_by_label(f"Mobilnummer, {client}"), mobile)
    # The last change event fires on leaving the field.
    j.page.get_by_label("Mobilnummer, Gamma AB").focus()
    expect(j.page.get_by_label("Användarnamn, Alfa AB")).to_have_value("asa.oberg")
    expect(j.page.get_by_label("Användarnamn, Gamma AB")).to_have_value("cia.lund")
    j.snap("rows filled")
    j.click(j.page.get_by_role("button", name="Skapa och bjud in användare"))
    expect(j.page.get_by_role("heading", name="Inbjudningar skickade")).to_be_visible()
    expect(j.page.get_by_role("cell", name="Inbjuden", exact=True)).to_have_count(3)
    j.snap("result")
    assert sorted(m.to[0] for m in mail.outbox) == ["asa@alfa.se", "bo@beta.se", "cia@gamma.se"]
    assert [s.to for s in sms.outbox] == ["+46701234567"]
    assert "http" not in sms.outbox[0].body
    j.click(j.page.get_by_role("button", name="Logga ut"))

    [invitation] = [m for m in mail.outbox if m.to == ["asa@alfa.se"]]
    j.goto(re.search(r"http://[^/]+(/inbjudan/\S+/)", invitation.body).group(1))
    j.fill(j.page.get_by_label("Nytt lösenord", exact=True), "Ett-långt-lösen-42")
    j.fill(j.page.get_by_label("Bekräfta nytt lösenord"), "Ett-långt-lösen-42")
    j.click(j.page.get_by_role("button", name="Spara lösenord och logga in"))
    # Choosing the password through her own e-mailed link accepts the invitation.
    expect(j.page.get_by_text("Du är nu användare hos Alfa AB.")).to_be_visible()
    expect(j.page.get_by_role("heading", name="Företag du har tillgång till")).to_be_visible()
    expect(j.page.get_by_role("heading", name=re.compile("Alfa AB"))).to_be_visible()
    j.snap("client start page")
