""" "Återkalla inbjudan": a firm admin asks someone to join, takes it back
after a confirmation page, and the link in the e-mail then says so."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from clients.models import JoinOffer
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_firm_admin_withdraws_an_invitation(journey, world):
    j = journey("withdraw-invitation")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Byråns användare"))
    j.click(j.page.get_by_text("Lägg till användare"))
    j.fill(j.page.get_by_label("Namn"), "Sara Ny")
    j.fill(j.page.get_by_label("E-post"), "sara@byran.se")
    j.click(j.page.get_by_role("button", name="Lägg till och skicka inbjudan"))
    expect(j.page.get_by_role("cell", name="sara@byran.se", exact=True)).to_be_visible()

    j.click(j.page.get_by_role("link", name="Återkalla inbjudan till sara@byran.se"))
    expect(j.page.get_by_role("heading", name="Återkalla inbjudan", level=1)).to_be_visible()
    assert JoinOffer.objects.get().status == JoinOffer.Status.PENDING
    j.snap("asked")
    j.click(j.page.get_by_role("button", name="Ja, återkalla inbjudan"))
    expect(j.page.get_by_text("Inbjudan till sara@byran.se är återkallad.")).to_be_visible()
    expect(j.page.get_by_role("cell", name="sara@byran.se", exact=True)).to_have_count(0)
    assert JoinOffer.objects.get().status == JoinOffer.Status.WITHDRAWN
    j.snap("withdrawn")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    [invitation] = [m for m in mail.outbox if m.to == ["sara@byran.se"]]
    link = re.search(r"http://[^/]+(/inbjudan/\S+/)", invitation.body).group(1)
    j.goto(link)
    expect(j.page.get_by_role("heading", name="Inbjudan är återkallad")).to_be_visible()
    expect(j.page.get_by_label("Nytt lösenord", exact=True)).to_have_count(0)
