"""Issue 13: the two takeover attempts, clicked through as two tenants.

Firm B has invited Vera and made her firm admin; she has not chosen a
password yet. Firm A types her e-mail address with its own mobile number
into "Bjud in klientanvändare", and someone else's address with its own
mobile and personnummer into "Skapa nytt samarbete". Neither changes the
account, its invitation, or sends anything to the typed number; the owners
accept while logged in as themselves."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from clients.catalogue import PLAN_PROGRAMS
from clients.invitations.services import invitation_url
from clients.models import Invitation, Membership, Subscription
from firm_portal.timeutils import today_in_stockholm
from notifications.models import OutboxMessage
from notifications.sms import locmem as sms
from tests import factories
from tests.account_takeover_helpers import (
    ATTACKER_MOBILE,
    ATTACKER_MOBILE_E164,
    account_state,
    victim_invited_by_firm_b,
)
from tests.browser.conftest import two_factor_app
from tests.clients.bulk_invitation_helpers import make_invitable
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db(transaction=True)


def nothing_to_the_typed_number() -> None:
    assert ATTACKER_MOBILE_E164 not in [message.to for message in sms.outbox]
    assert not OutboxMessage.objects.filter(recipient=ATTACKER_MOBILE_E164).exists()


def test_bulk_invite_of_another_firms_admin(journey, world):
    vera = victim_invited_by_firm_b(world)
    before = account_state(vera)
    make_invitable(world, ["Alfa AB"])

    j = journey("13-bjud-in-annan-byras-admin")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Hantera klienter", exact=True))
    j.click(j.page.get_by_role("link", name="Bjud in klientanvändare"))
    j.click(j.page.get_by_role("button", name="Nästa"))
    j.fill(j.page.get_by_label("Namn, Alfa AB", exact=True), "Anna Angripare")
    j.fill(j.page.get_by_label("Användarens e-post, Alfa AB"), vera.email)
    j.fill(j.page.get_by_label("Mobilnummer, Alfa AB"), ATTACKER_MOBILE)
    j.snap("typed")
    j.click(j.page.get_by_role("button", name="Skapa och bjud in användare"))
    expect(j.page.get_by_role("heading", name="Inbjudningar skickade")).to_be_visible()
    expect(j.page.get_by_role("cell", name="Inbjuden", exact=True)).to_have_count(1)
    j.snap("result reads as for anyone")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    assert account_state(vera) == before
    nothing_to_the_typed_number()
    assert not Membership.objects.filter(user=vera).exists()

    # Vera opens her own invitation from firm B, chooses her password…
    invitation = Invitation.objects.get(user=vera, accepted_at__isnull=True)
    two_factor_app(vera.email)
    j.goto(urlsplit(invitation_url(invitation)).path)
    j.fill(j.page.get_by_label("Nytt lösenord", exact=True), "Veras-eget-lösen-7")
    j.fill(j.page.get_by_label("Bekräfta nytt lösenord"), "Veras-eget-lösen-7")
    j.click(j.page.get_by_role("button", name="Spara lösenord och logga in"))
    j.second_step(vera.email)
    # …and is asked, on her own start page, whether she wants to join Alfa AB.
    expect(j.page.get_by_role("heading", name="Inbjudningar")).to_be_visible()
    expect(j.page.get_by_text("bjuder in dig som användare hos Alfa AB")).to_be_visible()
    j.snap("asked")
    j.click(j.page.get_by_role("button", name="Gå med"))
    expect(j.page.get_by_text("Du är nu användare hos Alfa AB.")).to_be_visible()
    j.snap("joined")
    assert Membership.objects.filter(user=vera, subscription__client__name="Alfa AB").exists()


def test_new_customer_with_someone_elses_address(journey, world):
    replace_price_list(
        plans={"faktura": ("100.00", "80.00"), "start": ("200.00", "160.00"),
               "smart": ("300.00", "240.00"), "pro": ("450.00", "360.00")},
        programs={(plan, code): ("150.00", "120.00")
                  for plan, codes in PLAN_PROGRAMS.items() for code in codes},
        valid_from=today_in_stockholm() - timedelta(days=400),
    )  # fmt: skip
    oskar = world.other_sysadmin
    before = account_state(oskar)

    j = journey("13-nytt-samarbete-annans-adress")
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Skapa nytt samarbete"))
    j.click(j.page.get_by_label("Smart – grundavgift"))
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    j.fill(j.page.get_by_label("Antal licenser för Bokföring"), "2")
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    j.fill(j.page.get_by_label("Organisationsnummer"), "556036-0793")
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    for label, value in [
        ("Företagsnamn", "Fjällbageriet AB"),
        ("Utdelningsadress", "Storgatan 1"),
        ("Postnummer", "903 26"),
        ("Ort", "Umeå"),
        ("E-post för fakturor", "faktura@fjallbageriet.se"),
        ("Namn", "Anna Angripare"),
        ("E-post", oskar.email),
        ("Mobilnummer", ATTACKER_MOBILE),
        ("Personnummer", "811228-9874"),
    ]:
        j.fill(j.page.get_by_label(label, exact=True), value)
    j.snap("someone else's address")
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    j.click(j.page.get_by_label("Kunden", exact=True))
    j.click(j.page.get_by_label("12 månader"))
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    j.click(j.page.get_by_role("button", name="Skapa samarbete"))
    expect(
        j.page.get_by_text(
            f"Samarbetet med Fjällbageriet AB är skapat. {oskar.email} har fått ett "
            "välkomstmejl för att godkänna villkoren."
        )
    ).to_be_visible()
    j.snap("created, same answer as for anyone")
    j.click(j.page.get_by_role("button", name="Logga ut"))

    assert account_state(oskar) == before
    nothing_to_the_typed_number()
    subscription = Subscription.objects.get(client__name="Fjällbageriet AB")
    assert not Membership.objects.filter(subscription=subscription).exists()

    # The link went to Oskar's own address; opened by anyone it asks to log in.
    welcome = OutboxMessage.objects.get(recipient=oskar.email, template="new-customer-welcome")
    link = re.search(r"/samarbeten/godkann/\S+/", welcome.body_text)
    assert link is not None
    two_factor_app(oskar.email)
    j.goto(link.group(0))
    expect(j.page.get_by_label("Nytt lösenord", exact=True)).to_have_count(0)
    j.fill(j.page.get_by_label("E-post"), oskar.email)
    j.fill(j.page.get_by_label("Lösenord"), factories.PASSWORD)
    j.click(j.page.get_by_role("button", name="Logga in"))
    j.second_step(oskar.email)
    expect(j.page.get_by_role("heading", name="Godkänn villkoren")).to_be_visible()
    expect(j.page.get_by_label("Nytt lösenord", exact=True)).to_have_count(0)
    j.snap("the owner, logged in")
    j.click(j.page.get_by_label("Jag godkänner villkoren"))
    j.click(j.page.get_by_role("button", name="Godkänn och kom igång"))
    expect(
        j.page.get_by_text("Villkoren är godkända och samarbetet med Revisorerna Norr AB är igång")
    ).to_be_visible()
    j.snap("accepted")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert Membership.objects.get(subscription=subscription, user=oskar).is_sysadmin
    after = account_state(oskar)
    assert (after["account"], after["invitations"]) == (before["account"], before["invitations"])
