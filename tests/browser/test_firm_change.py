"""Flow 7, "Byte av byrå", clicked through by visible Swedish labels: the new
firm asks from "Ny klient", the old firm sees it coming, the client's
sysadmin approves, the date comes (the test moves time by running the beat
task's work for that day), and all three see the result."""

import re

import pytest
from playwright.sync_api import expect

from clients.models import Membership
from collaboration.firm_change.perform import firm_changes_perform_due
from collaboration.models import Coupling, FirmChange
from firm_portal.timeutils import today_in_stockholm
from licensing.pricing import Month
from notifications.models import OutboxMessage
from tests.collaboration.firm_change_fixtures import old_firm_coupled

pytestmark = pytest.mark.django_db(transaction=True)


def as_user(j, user) -> None:  # type: ignore[no-untyped-def]
    j.page.context.clear_cookies()
    j.enter_as(user)


def test_a_firm_change_from_request_to_the_date(journey, world):  # type: ignore[no-untyped-def]
    old = old_firm_coupled(world)
    first = Month.of(today_in_stockholm()).next_first
    j = journey("7-byte-av-byra")

    # The new firm (Revisorerna Norr AB) asks in "Ny klient".
    as_user(j, world.consultant.user)
    j.goto("/")
    j.click(j.page.get_by_role("link", name="Ny klient").first)
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(
        j.page.get_by_role("heading", name="Abonnemanget är redan sammankopplat med en annan byrå")
    ).to_be_visible()
    j.snap("choice")
    j.click(j.page.get_by_role("link", name="Byte av byrå", exact=True).last)
    expect(j.page.get_by_label("Datum för bytet")).to_have_value(first.isoformat())
    j.snap("form")
    j.click(j.page.get_by_role("button", name="Begär byte av byrå"))
    expect(
        j.page.get_by_text("Begäran om byte av byrå är skickad till Bageriet Solsidan AB.")
    ).to_be_visible()
    expect(j.page.get_by_text("Väntar på kundens svar")).to_be_visible()
    j.snap("sent")
    change = FirmChange.objects.get()
    assert OutboxMessage.objects.filter(
        template="firm-change-request", recipient=world.sysadmin.email
    ).exists()

    # The old firm (Gamla Byrån AB) sees it coming.
    as_user(j, old.old_admin.user)
    j.goto("/")
    j.click(j.page.get_by_role("link", name="Byte av byrå"))
    row = j.page.get_by_role("row", name=re.compile("Bageriet Solsidan AB"))
    expect(row).to_contain_text("Väntar på kundens svar")
    j.snap("old firm sees it")

    # The client's sysadmin opens it (the e-mail's link), sees what happens, approves.
    as_user(j, world.sysadmin)
    j.goto(f"/byte-av-byra/{change.pk}/")
    expect(j.page.get_by_role("heading", name=re.compile("Det här händer"))).to_be_visible()
    expect(j.page.get_by_role("cell", name="Greta Gammal")).to_be_visible()
    expect(j.page.get_by_text("Kostnad per månad")).to_be_visible()
    j.snap("what happens")
    j.click(j.page.get_by_role("button", name="Jag godkänner"))
    expect(
        j.page.get_by_text(f"Bytet av byrå är godkänt och sker {first.isoformat()}.")
    ).to_be_visible()
    j.snap("approved")

    # The date comes.
    assert firm_changes_perform_due(today=first) == 1

    # The client: done, and the new firm's consultant is in "Tilldela behörigheter".
    j.goto(f"/byte-av-byra/{change.pk}/")
    expect(j.page.get_by_text("Genomfört").first).to_be_visible()
    j.goto(f"/abonnemang/{world.subscription.number}/behorigheter/")
    expect(j.page.get_by_label("Bokföring för Erik Konsult")).to_be_visible()
    expect(j.page.get_by_label("Bokföring för Greta Gammal")).to_have_count(0)
    j.snap("client after")

    # The old firm: done, its consultants gone.
    as_user(j, old.old_admin.user)
    j.goto(f"/byte-av-byra/{change.pk}/")
    expect(j.page.get_by_text("Genomfört").first).to_be_visible()
    j.snap("old firm after")

    # The new firm: done, the client is theirs.
    as_user(j, world.consultant.user)
    j.goto("/")
    j.click(j.page.get_by_role("link", name="Byte av byrå"))
    expect(j.page.get_by_role("row", name=re.compile("Bageriet Solsidan AB"))).to_contain_text(
        "Genomfört"
    )
    j.snap("new firm after")

    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ENDED
    assert not Membership.objects.filter(consultant__firm=old.old_firm).exists()
    assert Coupling.objects.active().filter(firm=world.firm).count() == 1
