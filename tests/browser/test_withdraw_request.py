"""Issue 14 item 12: "Återkalla" on the start page asks before it withdraws
a pending request, with the keyboard as with the mouse."""

import pytest
from playwright.sync_api import expect

from collaboration.models import CollaborationRequest
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_withdraw_asks_first_then_withdraws(journey, world):
    pending = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    j = journey("withdraw-request")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    withdraw = j.page.get_by_role("link", name="Återkalla förfrågan till Bageriet Solsidan AB")
    j.click(withdraw)
    expect(j.page.get_by_role("heading", name="Återkalla förfrågan", level=1)).to_be_visible()
    pending.refresh_from_db()
    assert pending.status == CollaborationRequest.Status.PENDING
    j.snap("asked")
    # "Avbryt" changes nothing.
    j.click(j.page.get_by_role("link", name="Avbryt"))
    expect(withdraw).to_be_visible()
    pending.refresh_from_db()
    assert pending.status == CollaborationRequest.Status.PENDING

    # With the keyboard alone: Tab to "Återkalla", Enter, Tab to "Ja", Enter.
    j.tab_to(withdraw)
    j.press("Enter")
    confirm = j.page.get_by_role("button", name="Ja, återkalla förfrågan")
    j.tab_to(confirm)
    j.press("Enter")
    expect(j.page.get_by_text("Förfrågan är återkallad.")).to_be_visible()
    expect(j.page.get_by_text("Inga förfrågningar väntar på svar.")).to_be_visible()
    pending.refresh_from_db()
    assert pending.status == CollaborationRequest.Status.WITHDRAWN
    j.snap("withdrawn")
