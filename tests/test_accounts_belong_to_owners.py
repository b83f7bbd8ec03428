"""Issue 13, "Accounts belong to their owners": the cross-tenant takeover
paths, driven through the real forms as two tenants.

Firm B (Siffror Syd AB) has just invited Vera and made her firm admin; she
has not chosen a password yet and her invitation link is in her own inbox.
Firm A (Revisorerna Norr AB) types Vera's e-mail address together with its
own name, mobile number and personnummer into "Bjud in klientanvändare",
"Skapa nytt samarbete" and "Lägg till användare". Whatever firm A types,
Vera's account (name, mobile, personnummer, password) and her invitation
(nonce, firm, subscription, expiry) stay as they were, nothing goes to the
typed number, nothing in firm A's answers tells whether an account exists,
and she becomes a member only when she accepts while logged in as herself.
"""

import re
import secrets
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.invitations.services import invitation_url
from clients.models import Invitation, Membership, Subscription
from collaboration.models import Coupling
from firm_portal.models import Consultant, User
from ledger.models import AccessEvent
from notifications.models import OutboxMessage
from notifications.sms import locmem as sms
from tests import factories
from tests.account_takeover_helpers import (
    ATTACKER_MOBILE,
    ATTACKER_MOBILE_E164,
    account_state,
    create_new_customer,
    make_offer,
    victim_invited_by_firm_b,
)
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.collaboration.new_customer_helpers import install_prices
from tests.conftest import World

pytestmark = pytest.mark.django_db

INVITE_NEW = reverse("clients:invite_new")
INVITE_EXISTING = reverse("clients:invite_existing")
HOME = reverse("home")
PASSWORD = "Vera-eget-lösen-77"
SET_PASSWORD = {"new_password1": PASSWORD, "new_password2": PASSWORD}


def make_user(**fields: Any) -> User:
    return cast(User, factories.UserFactory(**fields))


def nothing_to_the_typed_number() -> None:
    assert ATTACKER_MOBILE_E164 not in [message.to for message in sms.outbox]
    assert not OutboxMessage.objects.filter(recipient=ATTACKER_MOBILE_E164).exists()


def no_link_that_sets_a_password(user: User) -> None:
    """What went to the account's own address asks it to join; it holds no
    link that sets a password (its own invitation is the one from firm B)."""
    for message in OutboxMessage.objects.filter(recipient=user.email):
        assert "/inbjudan/" not in message.body_text, message.body_text


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def own_invitation_link(user: User) -> str:
    invitation = Invitation.objects.get(user=user, accepted_at__isnull=True)
    return urlsplit(invitation_url(invitation)).path


def join_offer_forms(html: str) -> dict[str, str]:
    """The "Inbjudningar" card on the start page: {button label: form action}."""
    forms = re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    found: dict[str, str] = {}
    for action, inner in forms:
        label = re.search(r"<button[^>]*>\s*([^<]+?)\s*</button>", inner)
        if label and label.group(1) in ("Gå med", "Avböj") and "/inbjudningar/" in action:
            found.setdefault(label.group(1), action)
    return found


def result_outcomes(html: str) -> list[str]:
    """The "Resultat" cell of each row on "Inbjudningar skickade"."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cells[-1]).split())
        for cells in (re.findall(r"<td>(.*?)</td>", tr, re.S) for tr in body.split("</tr>"))
        if cells
    ]


# --- 1. "Bjud in klientanvändare" ------------------------------------------------------------


class TestBulkInvite:
    def test_another_firms_invited_admin_is_only_asked_to_join(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        vera = victim_invited_by_firm_b(world)
        before = account_state(vera)
        alfa, beta = make_invitable(world, ["Alfa AB", "Beta AB"])
        attacker = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = attacker.post(
                INVITE_NEW,
                {
                    **row(alfa, "Anna Angripare", vera.email.upper(), mobile=ATTACKER_MOBILE),
                    **row(beta, "Ny Person", "ny.person@beta.se", mobile="070-444 55 66"),
                },
                follow=True,
            )
        assert response.status_code == 200
        # The same answer for a new and an existing account: no probing.
        outcomes = result_outcomes(response.text)
        assert len(outcomes) == 2 and outcomes[0] == outcomes[1], outcomes
        assert account_state(vera) == before
        nothing_to_the_typed_number()
        no_link_that_sets_a_password(vera)
        assert not Membership.objects.filter(subscription=alfa, user=vera).exists()
        assert not AccessEvent.objects.filter(subject_id=vera.pk).exists()
        # Her own link still works; she chooses her password there…
        owner = Client()
        response = owner.post(own_invitation_link(vera), SET_PASSWORD, follow=True)
        assert response.status_code == 200
        vera.refresh_from_db()
        assert vera.check_password(PASSWORD)
        # …and, logged in as herself (a firm admin: past the code step too),
        # is asked whether she wants to join Alfa AB.
        owner = logged_in(vera)
        home = owner.get(HOME).text
        assert "Inbjudningar" in home and "Alfa AB" in home
        assert not Membership.objects.filter(subscription=alfa, user=vera).exists()
        forms = join_offer_forms(home)
        # Somebody else cannot accept it for her.
        assert attacker.post(forms["Gå med"]).status_code == 404
        assert not Membership.objects.filter(subscription=alfa, user=vera).exists()
        response = owner.post(forms["Gå med"], follow=True)
        assert "Du är nu användare hos Alfa AB." in response.text
        membership = Membership.objects.get(subscription=alfa, user=vera)
        assert (membership.is_sysadmin, membership.consultant) == (False, None)
        event = AccessEvent.objects.get(kind=AccessEvent.Kind.MEMBER_ADDED, subject_id=vera.pk)
        assert (event.actor_id, event.firm_id, event.subscription_id) == (
            vera.pk,
            world.firm.pk,
            alfa.pk,
        )

    def test_an_active_user_of_another_tenant_is_not_added_silently(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        before = account_state(oskar)
        (alfa,) = make_invitable(world, ["Alfa AB"])
        attacker = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            attacker.post(
                INVITE_NEW, row(alfa, "Anna Angripare", oskar.email, mobile=ATTACKER_MOBILE)
            )
        assert account_state(oskar) == before
        nothing_to_the_typed_number()
        assert not Membership.objects.filter(subscription=alfa, user=oskar).exists()
        [message] = mail.outbox
        assert message.to == [oskar.email]
        assert "Gå med" in message.body
        # He says no: nothing changes, and the card is gone.
        owner = logged_in(oskar)
        forms = join_offer_forms(owner.get(HOME).text)
        response = owner.post(forms["Avböj"], follow=True)
        assert "Du har tackat nej till inbjudan till Alfa AB." in response.text
        assert "Inbjudningar" not in owner.get(HOME).text
        assert account_state(oskar) == before

    def test_the_form_does_not_tell_whether_the_username_check_was_skipped(
        self, world: World
    ) -> None:
        """A taken username is refused on the row whether or not an account
        exists for the e-mail (it used to be skipped for existing ones)."""
        factories.UserFactory(username="upptaget1")
        factories.UserFactory(username="upptaget2")
        alfa, beta = make_invitable(world, ["Alfa AB", "Beta AB"])
        attacker = logged_in(world.firm_admin.user)
        response = attacker.post(
            INVITE_NEW,
            {
                **row(alfa, "A B", world.other_sysadmin.email, username="upptaget1"),
                **row(beta, "C D", "ingen@finns.se", username="upptaget2"),
            },
        )
        assert "Användarnamnet upptaget1 är upptaget." in response.text
        assert "Användarnamnet upptaget2 är upptaget." in response.text


# --- 4. "Bjud in befintliga användare" -------------------------------------------------------


class TestResend:
    def test_only_this_subscriptions_open_invitation_is_resent(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        """A client user of firm A's client who has a password, and one whose
        open invitation firm B issued: neither is listed, and posting their
        memberships creates, renews and sends nothing."""
        (alfa,) = make_invitable(world, ["Alfa AB"])
        with_password = make_user(email="har.losen@alfa.se")
        vera = victim_invited_by_firm_b(world)
        ids = [
            Membership.objects.create(subscription=alfa, user=user).pk
            for user in (with_password, vera)
        ]
        before = [account_state(with_password), account_state(vera)]
        attacker = logged_in(world.firm_admin.user)
        page = attacker.get(INVITE_EXISTING).text
        assert with_password.email not in page and vera.email not in page
        with django_capture_on_commit_callbacks(execute=True):
            for name in ("memberships", "offers"):
                attacker.post(INVITE_EXISTING, {name: [str(pk) for pk in ids]})
        assert [account_state(with_password), account_state(vera)] == before
        assert mail.outbox == []
        assert not Invitation.objects.filter(user=with_password).exists()


# --- 2. "Skapa nytt samarbete" ---------------------------------------------------------------


def accept_link(user: User) -> str:
    message = OutboxMessage.objects.filter(
        recipient=user.email, template="new-customer-welcome"
    ).latest("pk")
    match = re.search(r"/samarbeten/godkann/[^/\s]+/", message.body_text)
    assert match, message.body_text
    return match.group(0)


def victims(world: World) -> dict[str, User]:
    staff_without_password = make_user(email="support.ny@byraportalen.se", is_staff=True)
    staff_without_password.set_unusable_password()
    staff_without_password.save(update_fields=["password"])
    staff = make_user(email="support@byraportalen.se", is_staff=True)
    closed = make_user(email="stangd@kund.se", is_active=False)
    return {
        "invited firm admin without password": victim_invited_by_firm_b(world),
        "active user of another tenant": world.other_sysadmin,
        "staff without password": staff_without_password,
        "staff": staff,
        "closed account": closed,
    }


VICTIMS = [
    "invited firm admin without password",
    "active user of another tenant",
    "staff without password",
    "staff",
    "closed account",
]


class TestNewCustomer:
    @pytest.fixture(autouse=True)
    def _prices(self, world: World) -> None:
        install_prices()

    @pytest.mark.parametrize("who", VICTIMS)
    def test_existing_account_as_primary_contact_is_never_changed(
        self, world: World, who: str, django_capture_on_commit_callbacks
    ) -> None:
        victim = victims(world)[who]
        before = account_state(victim)
        attacker = logged_in(world.consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = create_new_customer(attacker, victim.email.upper())
        # The same answer as for a brand-new contact (no staff message, no
        # "cannot be primary contact", no "already contact elsewhere").
        assert response.status_code == 302, response.text
        page = attacker.get(response["Location"]).text
        assert (
            f"Samarbetet med Nya Kunden AB är skapat. {victim.email} har fått ett "
            "välkomstmejl för att godkänna villkoren."
        ) in page
        assert "Anna Angripare" not in page and victim.full_name not in page
        assert account_state(victim) == before
        nothing_to_the_typed_number()
        subscription = Subscription.objects.get(client__name="Nya Kunden AB")
        assert not Membership.objects.filter(subscription=subscription).exists()
        assert not AccessEvent.objects.filter(subject_id=victim.pk).exists()
        assert not User.objects.filter(personal_number="198112289874").exists()
        # The link went to the account's own address only, and it cannot set
        # a password or log anyone in: it asks the owner to log in first.
        link = accept_link(victim)
        assert [m.recipient for m in OutboxMessage.objects.filter(channel="email")] == [
            victim.email
        ]
        anonymous = Client()
        assert 'name="new_password1"' not in anonymous.get(link).text
        anonymous.post(link, {**SET_PASSWORD, "accept_terms": "on"})
        assert account_state(victim) == before
        assert Subscription.objects.get(pk=subscription.pk).status == "pending"
        assert "_auth_user_id" not in anonymous.session
        # The firm that created it cannot accept it either.
        assert attacker.post(link, {"accept_terms": "on"}).status_code == 403
        assert Subscription.objects.get(pk=subscription.pk).status == "pending"

    def test_the_owner_accepts_while_logged_in_as_herself(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        before = account_state(oskar)
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(logged_in(world.consultant.user), oskar.email)
        link = accept_link(oskar)
        response = Client().get(link)
        assert response.status_code == 302
        assert response["Location"].startswith("/logga-in/?next=")
        owner = logged_in(oskar)
        assert 'name="new_password1"' not in owner.get(link).text
        response = owner.post(link, {"accept_terms": "on"}, follow=True)
        assert "Villkoren är godkända" in response.text
        subscription = Subscription.objects.get(client__name="Nya Kunden AB")
        assert subscription.status == "active"
        membership = Membership.objects.get(subscription=subscription, user=oskar)
        assert membership.is_sysadmin
        assert dict(membership.levels.values_list("program__code", "level")) == {
            "bokforing": "admin",
            "fakturering": "reporter",
        }
        after = account_state(oskar)
        assert after["account"] == before["account"]
        assert after["invitations"] == before["invitations"]
        event = AccessEvent.objects.get(
            kind=AccessEvent.Kind.MEMBER_ADDED, subject_id=oskar.pk, subscription_id=subscription.pk
        )
        assert event.actor_id == oskar.pk

    def test_the_sms_carries_no_link(self, world: World, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(logged_in(world.consultant.user), "ny.kontakt@nyakunden.se")
        [message] = sms.outbox
        assert message.to == ATTACKER_MOBILE_E164  # the new account's own number
        assert "http" not in message.body and "/godkann/" not in message.body
        assert message.body.endswith("Öppna e-posten från Byråportalen för att komma igång.")

    def test_a_new_contact_never_gets_an_existing_accounts_personnummer(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        User.objects.filter(pk=world.other_sysadmin.pk).update(personal_number="198112289874")
        with django_capture_on_commit_callbacks(execute=True):
            response = create_new_customer(
                logged_in(world.consultant.user), "ny.kontakt@nyakunden.se"
            )
        assert response.status_code == 302
        contact = User.objects.get(email="ny.kontakt@nyakunden.se")
        assert contact.personal_number == ""
        assert list(
            User.objects.filter(personal_number="198112289874").values_list("pk", flat=True)
        ) == [world.other_sysadmin.pk]

    def test_a_new_contact_still_sets_a_password_through_the_welcome_link(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(logged_in(world.consultant.user), "ny.kontakt@nyakunden.se")
        contact = User.objects.get(email="ny.kontakt@nyakunden.se")
        assert not Invitation.objects.filter(user=contact).exists()
        client = Client()
        response = client.post(
            accept_link(contact), {**SET_PASSWORD, "accept_terms": "on"}, follow=True
        )
        assert "Villkoren är godkända" in response.text
        contact.refresh_from_db()
        assert contact.check_password(PASSWORD) and contact.is_active
        assert Coupling.objects.get(subscription__client__name="Nya Kunden AB").status == "active"


# --- 3. "Lägg till användare" (the firm's consultants) ----------------------------------------


class TestAddConsultant:
    def add(self, client: Client, email: str) -> Any:
        return client.post(
            reverse("firm_add_consultant"),
            {"full_name": "Anna Angripare", "email": email, "mobile": ATTACKER_MOBILE},
            follow=True,
        )

    def test_an_existing_account_is_asked_and_the_answer_is_the_same(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        before = account_state(oskar)
        admin = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            existing = self.add(admin, oskar.email)
            new = self.add(admin, "helt.ny@norr.se")
        for response, email in ((existing, oskar.email), (new, "helt.ny@norr.se")):
            assert (
                f"Anna Angripare har fått en inbjudan till byrån. Den har skickats till {email}."
            ) in response.text
            assert "Det finns redan" not in response.text
        assert account_state(oskar) == before
        nothing_to_the_typed_number()
        no_link_that_sets_a_password(oskar)
        assert not Consultant.objects.filter(user=oskar).exists()
        # He accepts while logged in as himself: now he is firm A's consultant.
        owner = logged_in(oskar)
        response = owner.post(join_offer_forms(owner.get(HOME).text)["Gå med"], follow=True)
        assert "Du är nu konsult på Revisorerna Norr AB." in response.text
        consultant = Consultant.objects.get(user=oskar)
        assert (consultant.firm, consultant.is_active, consultant.is_firm_admin) == (
            world.firm,
            True,
            False,
        )

    def test_a_consultant_of_another_firm_is_refused_at_acceptance(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        olle = world.other_firm_consultant.user
        before = account_state(olle)
        admin = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.add(admin, olle.email)
        assert "Anna Angripare har fått en inbjudan till byrån." in response.text
        owner = logged_in(olle)
        response = owner.post(join_offer_forms(owner.get(HOME).text)["Gå med"], follow=True)
        assert (
            "Du är redan konsult på Siffror Syd AB. Man kan vara konsult på en byrå i taget: "
            "be Siffror Syd AB avsluta dig som konsult först, eller tacka nej till inbjudan."
        ) in response.text
        assert account_state(olle) == before


# --- 6. The same class elsewhere -------------------------------------------------------------


def test_an_invitation_link_never_replaces_a_password_that_is_set(world: World) -> None:
    """An open invitation left on an account that has a password (made
    before these fixes) cannot be used to replace it."""
    oskar = world.other_sysadmin
    now = timezone.now()
    invitation = Invitation.objects.create(
        user=oskar,
        invited_by=world.firm_admin.user,
        subscription=world.subscription,
        nonce=secrets.token_urlsafe(24),
        sent_at=now,
        expires_at=now + timedelta(days=14),
    )
    link = urlsplit(invitation_url(invitation)).path
    client = Client()
    assert 'name="new_password1"' not in client.get(link).text
    client.post(link, SET_PASSWORD)
    oskar.refresh_from_db()
    assert oskar.check_password(factories.PASSWORD)
    assert "_auth_user_id" not in client.session


# --- The join offer routes, and every new row lock on PostgreSQL ------------------------------


class TestJoinOfferRoutes:
    def test_answered_unknown_and_wrong_method(self, world: World) -> None:
        oskar = world.other_sysadmin
        offer = make_offer(world, oskar)
        owner = logged_in(oskar)
        accept = reverse("join_offer_accept", args=[offer.pk])
        decline = reverse("join_offer_decline", args=[offer.pk])
        assert owner.get(accept).status_code == 405
        assert owner.get(decline).status_code == 405
        assert owner.post(reverse("join_offer_accept", args=[10**30])).status_code == 404
        assert owner.post(decline).status_code == 302
        # Answered: gone from the start page, and a second answer is a 404.
        assert owner.post(accept).status_code == 404
        assert owner.post(decline).status_code == 404
        assert not Consultant.objects.filter(user=oskar).exists()
        assert "Inbjudningar" not in owner.get(HOME).text

    def test_a_client_offer_lapses_when_the_firm_is_no_longer_sysadmin(self, world: World) -> None:
        (alfa,) = make_invitable(world, ["Alfa AB"])
        offer = make_offer(world, world.other_sysadmin, kind="client_user", subscription=alfa)
        Membership.objects.filter(subscription=alfa, consultant=world.consultant).update(
            is_sysadmin=False
        )
        owner = logged_in(world.other_sysadmin)
        response = owner.post(reverse("join_offer_accept", args=[offer.pk]), follow=True)
        assert (
            "Revisorerna Norr AB är inte längre systemadministratör hos Alfa AB, så inbjudan "
            "gäller inte längre."
        ) in response.text
        assert not Membership.objects.filter(subscription=alfa, user=world.other_sysadmin).exists()


@pytest.mark.django_db(transaction=True)
class TestRowLocks:
    """The paths that lock rows, outside a test transaction (a missing
    atomic is an error on PostgreSQL there)."""

    def test_answer_resend_and_renew(self, world: World, django_capture_on_commit_callbacks):
        from clients.models import JoinOffer

        admin = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(2):  # the second time resends the pending offer
                admin.post(
                    reverse("firm_add_consultant"),
                    {"full_name": "Oskar", "email": world.other_sysadmin.email},
                )
            admin.post(reverse("firm_add_consultant"), {"full_name": "Ny", "email": "ny@norr.se"})
            offer = JoinOffer.objects.get(user=world.other_sysadmin)
            assert admin.post(reverse("firm_resend_offer", args=[offer.pk])).status_code == 302
        assert len(mail.outbox) == 4
        owner = logged_in(world.other_sysadmin)
        assert owner.post(reverse("join_offer_decline", args=[offer.pk])).status_code == 302
        assert JoinOffer.objects.get(pk=offer.pk).status == "declined"
        # The new address's link, expired and renewed, then used.
        new = JoinOffer.objects.get(user__email="ny@norr.se")
        Invitation.objects.filter(user=new.user).update(expires_at=timezone.now())
        link = own_invitation_link(new.user)
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(link + "ny-lank/")
        response = Client().post(own_invitation_link(new.user), SET_PASSWORD, follow=True)
        assert "Du är nu konsult på Revisorerna Norr AB." in response.text

    def test_client_users_resend_and_accept(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        from clients.models import JoinOffer

        (alfa,) = make_invitable(world, ["Alfa AB"])
        admin = logged_in(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            admin.post(INVITE_NEW, row(alfa, "Oskar", world.other_sysadmin.email))
            offer = JoinOffer.objects.get(user=world.other_sysadmin)
            admin.post(INVITE_EXISTING, {"offers": [str(offer.pk)]})
        assert [m.to for m in mail.outbox] == [[world.other_sysadmin.email]] * 2
        owner = logged_in(world.other_sysadmin)
        owner.post(reverse("join_offer_accept", args=[offer.pk]))
        owner.post(reverse("join_offer_accept", args=[offer.pk]))  # a second click
        assert Membership.objects.filter(subscription=alfa, user=world.other_sysadmin).count() == 1
        assert (
            AccessEvent.objects.filter(
                kind="member_added", subject_id=world.other_sysadmin.pk
            ).count()
            == 1
        )

    def test_new_customer_resend_cancel_and_accept(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        install_prices()
        consultant = logged_in(world.consultant.user)
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(consultant, world.other_sysadmin.email)
            number = Subscription.objects.get(client__name="Nya Kunden AB").number
            consultant.post(reverse("collaboration:new_customer_resend", args=[number]))
        link = accept_link(world.other_sysadmin)
        owner = logged_in(world.other_sysadmin)
        assert owner.post(link, {"accept_terms": "on"}).status_code == 302
        assert Subscription.objects.get(number=number).status == "active"
        assert owner.post(link, {"accept_terms": "on"}).status_code == 410
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(consultant, "ny@andra.se", org_number="5561417071", name="Andra AB")
        other = Subscription.objects.get(client__name="Andra AB")
        consultant.post(reverse("collaboration:new_customer_cancel", args=[other.number]))
        assert Subscription.objects.get(pk=other.pk).status == "ended"
        assert Client().get(accept_link(User.objects.get(email="ny@andra.se"))).status_code == 410
        # A legacy consultant's link: only the firm's own invitation is renewed.
        legacy = make_user(email="gammal@norr.se")
        legacy.set_unusable_password()
        legacy.save(update_fields=["password"])
        colleague = Consultant.objects.create(user=legacy, firm=world.firm)
        Invitation.objects.create(
            user=legacy,
            invited_by=world.firm_admin.user,
            firm=world.firm,
            nonce="byrans-egen",
            sent_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=1),
        )
        admin = logged_in(world.firm_admin.user)
        admin.post(reverse("firm_reinvite", args=[colleague.pk]))
        assert Invitation.objects.get(user=legacy).nonce != "byrans-egen"


def historical_apps(migration: tuple[str, str]) -> Any:
    """The models as a migration saw them (its data functions take these)."""
    return MigrationExecutor(connection).loader.project_state(migration).apps


class TestMigratingOpenLinks:
    """Rows made before join offers and acceptance rows existed."""

    def test_an_awaiting_customers_invitation_becomes_its_acceptance(self, world: World) -> None:
        from importlib import import_module

        from collaboration.models import CustomerAcceptance

        migration = import_module("collaboration.migrations.0010_customer_acceptance")
        # Its models as they were then (Invitation was firm_portal's); same tables.
        apps = historical_apps(("collaboration", "0010_customer_acceptance"))
        coupling = factories.CouplingFactory(
            firm=world.firm,
            subscription__status="pending",
            status=Coupling.Status.AWAITING_CUSTOMER,
            activated_at=None,
        )
        contact = make_user(email="kontakt@gammal.se", is_active=False)
        contact.set_unusable_password()
        contact.save(update_fields=["password"])
        membership = Membership.objects.create(
            subscription=coupling.subscription, user=contact, is_sysadmin=True
        )
        factories.give_level(membership, "bokforing", "admin")
        now = timezone.now()
        Invitation.objects.create(
            user=contact,
            invited_by=world.consultant.user,
            firm=world.firm,
            subscription=coupling.subscription,
            nonce="gammal",
            sent_at=now,
            expires_at=now + timedelta(days=3),
        )
        migration.acceptances_for_awaiting_customers(apps, None)
        acceptance = CustomerAcceptance.objects.get(coupling=coupling)
        assert (acceptance.contact, acceptance.created_contact, acceptance.levels) == (
            contact,
            True,
            {"bokforing": "admin"},
        )
        assert acceptance.nonce not in ("", "gammal")
        assert not Invitation.objects.filter(user=contact).exists()

    def test_an_open_client_user_invitation_gets_its_offer(self, world: World) -> None:
        from importlib import import_module

        from clients.models import JoinOffer

        migration = import_module("firm_portal.migrations.0007_join_offers")
        apps = historical_apps(("firm_portal", "0007_join_offers"))
        (alfa,) = make_invitable(world, ["Alfa AB"])
        invited = make_user(email="inbjuden@alfa.se")
        Membership.objects.create(subscription=alfa, user=invited)
        now = timezone.now()
        Invitation.objects.create(
            user=invited,
            invited_by=world.firm_admin.user,
            subscription=alfa,
            nonce="gammal",
            sent_at=now,
            expires_at=now + timedelta(days=3),
        )
        migration.offers_for_open_client_user_invitations(apps, None)
        offer = JoinOffer.objects.get(user=invited)
        assert (offer.kind, offer.firm, offer.subscription, offer.status) == (
            "client_user",
            world.firm,
            alfa,
            "pending",
        )
        assert Invitation.objects.get(user=invited).nonce == "gammal"
