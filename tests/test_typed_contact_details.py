"""Follow-ups to issue 13 ("Accounts belong to their owners"), driven through
the real forms as two tenants:

- a contact account "Skapa nytt samarbete" made for a typed address stays
  claimable by the address's owner after the request is cancelled or its
  link expired (password reset, a later firm's invitation), and what the
  firm typed about the person (name, mobile, personnummer) never sits on the
  account before the owner accepts;
- a later firm's new customer for the organisationsnummer of a cancelled
  attempt takes the new firm's company name;
- a mobile number a firm types stays unconfirmed until the owner confirms it
  ("Mina uppgifter"), and another tenant's SMS never goes to it;
- the wizard's SMS allowance is claimed per typed mobile number, whoever's
  the address is.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Client as ClientRow
from clients.models import JoinOffer, Membership
from clients.services import assignment_ensure
from collaboration.models import Coupling, CustomerAcceptance
from firm_portal.models import FirmSmsDay, User
from firm_portal.org_numbers import normalize_org_number
from firm_portal.timeutils import today_in_stockholm
from notifications.models import OutboxMessage
from notifications.sms import locmem as sms
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.collaboration.new_customer_helpers import STEP_DATA, install_prices
from tests.collaboration.new_customer_helpers import post as wizard_post
from tests.conftest import World

pytestmark = pytest.mark.django_db

EMAIL = "karin@nyakunden.se"
ORG = normalize_org_number(STEP_DATA["customer"]["org_number"])
A_MOBILE = "070-123 45 67"
A_MOBILE_E164 = "+46701234567"
B_MOBILE = "070-999 88 77"
PASSWORD = "Karins-eget-lösen-42"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_new_customer(client: Client, **customer: str) -> Any:
    """ "Skapa nytt samarbete" through every step of the wizard."""
    wizard_post(client, "plan")
    wizard_post(client, "licenses")
    response = wizard_post(client, "customer", **customer)
    assert 'class="error"' not in response.text, response.text
    wizard_post(client, "payment")
    return wizard_post(client, "summary", action="create")


def awaiting(firm_id: int) -> Coupling:
    return Coupling.objects.get(firm_id=firm_id, status=Coupling.Status.AWAITING_CUSTOMER)


def reset_password(email: str, captured: Any) -> Client:
    """ "Glömt lösenordet?" as the address's owner: the link in the mail,
    a new password, then a real login."""
    owner = Client()
    mail.outbox.clear()
    with captured(execute=True):
        owner.post(reverse("password_reset"), {"email": email})
    assert [m.to for m in mail.outbox] == [[email]]
    link = re.search(r"https?://[^/\s]+(/losenord/aterstall/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = owner.get(link.group(1), follow=True)
    response = owner.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    fresh = Client()
    response = fresh.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return fresh


@pytest.fixture
def firm_a(world: World) -> Client:
    install_prices()
    return logged_in(world.consultant.user)


class TestContactAccountOfACancelledOrExpiredRequest:
    def test_typed_details_never_reach_the_account_before_consent(
        self, world: World, firm_a: Client
    ) -> None:
        create_new_customer(firm_a)
        karin = User.objects.get(email=EMAIL)
        assert (karin.full_name, karin.mobile, karin.personal_number) == ("", "", "")
        assert not karin.is_active and not karin.has_usable_password()

    def test_cancelled_the_owner_claims_the_account_and_a_later_invitation(
        self, world: World, firm_a: Client, django_capture_on_commit_callbacks: Any
    ) -> None:
        create_new_customer(firm_a)
        coupling = awaiting(world.firm.pk)
        firm_a.post(
            reverse("collaboration:new_customer_cancel", args=[coupling.subscription.number])
        )
        acceptance = CustomerAcceptance.objects.get(coupling=coupling)
        assert (
            acceptance.contact_name,
            acceptance.contact_mobile,
            acceptance.contact_personal_number,
        ) == ("", "", "")
        karin = User.objects.get(email=EMAIL)
        assert (karin.full_name, karin.mobile, karin.personal_number) == ("", "", "")

        # Firm B later asks the same address to join one of its clients.
        (alfa,) = make_invitable_for_b(world, ["Alfa AB"])
        firm_b = logged_in(world.other_firm_consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            firm_b.post(reverse("clients:invite_new"), row(alfa, "Karin K", EMAIL))
        assert JoinOffer.objects.filter(user=karin, status=JoinOffer.Status.PENDING).exists()

        # The owner claims the account through "Glömt lösenordet?"…
        owner = reset_password(EMAIL, django_capture_on_commit_callbacks)
        karin.refresh_from_db()
        assert karin.is_active and karin.check_password(PASSWORD)
        # …and answers firm B's invitation as herself.
        home = owner.get(reverse("home")).text
        assert "Alfa AB" in home and "Gå med" in home
        offer = JoinOffer.objects.get(user=karin, subscription=alfa)
        owner.post(reverse("join_offer_accept", args=[offer.pk]))
        assert Membership.objects.filter(subscription=alfa, user=karin).exists()

    def test_expired_the_owner_claims_the_account_and_accepts_as_herself(
        self, world: World, firm_a: Client, django_capture_on_commit_callbacks: Any
    ) -> None:
        create_new_customer(firm_a)
        coupling = awaiting(world.firm.pk)
        CustomerAcceptance.objects.filter(coupling=coupling).update(
            expires_at=timezone.now() - timedelta(days=1)
        )
        owner = reset_password(EMAIL, django_capture_on_commit_callbacks)
        karin = User.objects.get(email=EMAIL)
        assert karin.is_active
        assert (karin.full_name, karin.mobile, karin.personal_number) == ("", "", "")
        # Firm A sends the welcome again; she accepts, logged in as herself:
        # only now does what firm A typed fill the account (mobile unconfirmed).
        with django_capture_on_commit_callbacks(execute=True):
            firm_a.post(
                reverse("collaboration:new_customer_resend", args=[coupling.subscription.number])
            )
        link = re.search(r"https?://[^/\s]+(/\S*godkann\S*/)", mail.outbox[-1].body)
        assert link, mail.outbox[-1].body
        response = owner.post(link.group(1), {"accept_terms": "on"}, follow=True)
        assert response.status_code == 200
        karin.refresh_from_db()
        assert Membership.objects.filter(
            subscription=coupling.subscription, user=karin, is_sysadmin=True
        ).exists()
        assert (karin.full_name, karin.mobile, karin.personal_number, karin.mobile_confirmed) == (
            "Karin Kontakt",
            A_MOBILE_E164,
            "198112289874",
            False,
        )

    def test_a_later_firm_names_the_company_of_a_cancelled_attempt(
        self, world: World, firm_a: Client
    ) -> None:
        create_new_customer(firm_a, name="Felstavat Namn AB")
        coupling = awaiting(world.firm.pk)
        firm_a.post(
            reverse("collaboration:new_customer_cancel", args=[coupling.subscription.number])
        )
        firm_b = logged_in(world.other_firm_consultant.user)
        response = create_new_customer(firm_b, name="Nya Kunden AB")
        assert response.status_code == 302, response.text
        client = ClientRow.objects.get(org_number=ORG)
        assert client.name == "Nya Kunden AB"

    def test_a_real_customers_name_is_kept(self, world: World, firm_a: Client) -> None:
        """An organisationsnummer whose ended subscription was a real one
        (accepted, or made by support) keeps its name."""
        client = ClientRow.objects.create(name="Riktiga Namnet AB", org_number=ORG)
        from tests import factories

        factories.SubscriptionFactory(client=client, status="ended")
        response = create_new_customer(firm_a, name="Något Annat AB")
        assert response.status_code == 302
        client.refresh_from_db()
        assert client.name == "Riktiga Namnet AB"


def make_invitable_for_b(world: World, names: list[str]) -> list[Any]:
    """Clients of firm B where Olle (firm B) is sysadmin."""
    from tests import factories

    subscriptions = []
    for name in names:
        coupling = factories.CouplingFactory(
            firm=world.other_firm_consultant.firm, subscription__client__name=name
        )
        Membership.objects.create(
            subscription=coupling.subscription,
            user=world.other_firm_consultant.user,
            consultant=world.other_firm_consultant,
            is_sysadmin=True,
        )
        assignment_ensure(
            consultant=world.other_firm_consultant, subscription_id=coupling.subscription.pk
        )
        subscriptions.append(coupling.subscription)
    return subscriptions


class TestTypedMobileNumbers:
    def test_firm_bs_welcome_sends_nothing_to_the_number_firm_a_typed(
        self, world: World, django_capture_on_commit_callbacks: Any
    ) -> None:
        install_prices()
        # Firm A adds Petra with a mobile number ("Lägg till användare").
        firm_admin = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            firm_admin.post(
                reverse("firm_add_consultant"),
                {"full_name": "Petra P", "email": "petra@exempel.se", "mobile": A_MOBILE},
            )
        petra = User.objects.get(email="petra@exempel.se")
        assert (petra.mobile, petra.mobile_confirmed) == (A_MOBILE_E164, False)
        # Firm B makes her primary contact of a new customer, with and without
        # a mobile number of its own.
        sms.outbox.clear()
        firm_b = logged_in(world.other_firm_consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = create_new_customer(
                firm_b, contact_email="petra@exempel.se", contact_mobile=B_MOBILE
            )
        assert response.status_code == 302
        coupling = awaiting(world.other_firm_consultant.firm_id)
        with django_capture_on_commit_callbacks(execute=True):
            firm_b.post(
                reverse("collaboration:new_customer_resend", args=[coupling.subscription.number])
            )
        assert sms.outbox == []
        assert not OutboxMessage.objects.filter(recipient=A_MOBILE_E164).exists()
        assert not OutboxMessage.objects.filter(recipient="+46709998877").exists()
        petra.refresh_from_db()
        assert (petra.mobile, petra.mobile_confirmed) == (A_MOBILE_E164, False)

    def test_once_the_owner_confirms_it_other_tenants_sms_go_there(
        self, world: World, django_capture_on_commit_callbacks: Any
    ) -> None:
        install_prices()
        petra = User.objects.create_user(
            "petra@exempel.se", password=PASSWORD, full_name="Petra P", mobile=A_MOBILE_E164
        )
        owner = logged_in(petra)
        page = owner.get(reverse("my_details")).text
        assert "Mina uppgifter" in page and "inte bekräftat" in page
        response = owner.post(reverse("my_details"), {"mobile": "070-555 44 33"}, follow=True)
        assert "Ditt mobilnummer är sparat och bekräftat." in response.text
        assert "bekräftat av dig" in response.text
        petra.refresh_from_db()
        assert (petra.mobile, petra.mobile_confirmed) == ("+46705554433", True)
        firm_b = logged_in(world.other_firm_consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(firm_b, contact_email="petra@exempel.se", contact_mobile=B_MOBILE)
        # Her own number, never the one firm B typed.
        assert [message.to for message in sms.outbox] == ["+46705554433"]

    def test_bulk_invitation_rows_store_the_number_unconfirmed(self, world: World) -> None:
        (alfa,) = make_invitable(world, ["Alfa AB"])
        assignment_ensure(consultant=world.consultant, subscription_id=alfa.pk)
        logged_in(world.consultant.user).post(
            reverse("clients:invite_new"), row(alfa, "Rut R", "rut@alfa.se", mobile=A_MOBILE)
        )
        rut = User.objects.get(email="rut@alfa.se")
        assert (rut.mobile, rut.mobile_confirmed) == (A_MOBILE_E164, False)


class TestSmsAllowancePerTypedMobile:
    def test_a_typed_mobile_is_claimed_whoever_the_address_belongs_to(
        self, world: World, settings: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        """An existing account without a confirmed number gets no SMS, yet
        the typed number counts: the limit must not tell whose address it is."""
        install_prices()
        settings.SMS_DAILY_LIMIT_PER_FIRM = 5
        User.objects.create_user("petra@exempel.se", password=PASSWORD, full_name="Petra P")
        firm_b = logged_in(world.other_firm_consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(firm_b, contact_email="petra@exempel.se", contact_mobile=B_MOBILE)
        day = FirmSmsDay.objects.get(
            firm=world.other_firm_consultant.firm, day=today_in_stockholm()
        )
        assert day.sent == 1
        assert sms.outbox == []


def test_an_invited_account_whose_link_expired_is_claimed_by_password_reset(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """The same rule for "Lägg till användare": the account made for a typed
    address (no password yet) is its owner's to claim whenever they like,
    also after the firm's invitation link expired. Django's reset skipped
    accounts without a password."""
    from clients.models import Invitation

    logged_in(world.firm_admin.user).post(
        reverse("firm_add_consultant"),
        {"full_name": "Petra P", "email": "petra@exempel.se", "mobile": ""},
    )
    Invitation.objects.filter(user__email="petra@exempel.se").update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    reset_password("petra@exempel.se", django_capture_on_commit_callbacks)
    assert User.objects.get(email="petra@exempel.se").check_password(PASSWORD)


def test_the_migration_moves_what_was_typed_off_unclaimed_accounts(
    world: World, firm_a: Client
) -> None:
    """collaboration 0013: requests made before this change wrote the typed
    details onto the account; they move to the open request's acceptance
    row (off a cancelled one's account altogether), and a claimed account
    keeps its own."""
    from importlib import import_module

    from django.apps import apps

    create_new_customer(firm_a)
    coupling = awaiting(world.firm.pk)
    karin = User.objects.get(email=EMAIL)
    # As the code before it left things.
    User.objects.filter(pk=karin.pk).update(
        full_name="Karin Kontakt", mobile=A_MOBILE_E164, personal_number="198112289874"
    )
    CustomerAcceptance.objects.filter(coupling=coupling).update(
        contact_name="", contact_mobile="", contact_personal_number=""
    )
    claimed = User.objects.create_user("egen@exempel.se", password=PASSWORD, full_name="Egen")
    migration = import_module(
        "collaboration.migrations.0014_typed_contact_details_off_unclaimed_accounts"
    )
    migration.move_typed_details(apps, None)
    karin.refresh_from_db()
    assert (karin.full_name, karin.mobile, karin.personal_number) == ("", "", "")
    acceptance = CustomerAcceptance.objects.get(coupling=coupling)
    assert (
        acceptance.contact_name,
        acceptance.contact_mobile,
        acceptance.contact_personal_number,
    ) == ("Karin Kontakt", A_MOBILE_E164, "198112289874")
    claimed.refresh_from_db()
    assert claimed.full_name == "Egen"
