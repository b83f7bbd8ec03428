"""One e-mail address, one account: look-alike forms of an address typed at
any entry point (fullwidth letters, invisible format characters, case, an IDN
domain) are either refused with a plain message or resolve to the same
single account (firm_portal/emails.py)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from clients.models import JoinOffer
from firm_portal.emails import normalize_email
from firm_portal.models import User
from tests import factories
from tests.account_takeover_helpers import create_new_customer
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.collaboration.new_customer_helpers import errors, walk_to
from tests.collaboration.new_customer_helpers import post as wizard_post
from tests.conftest import World

pytestmark = pytest.mark.django_db

INVISIBLE = (
    "E-postadressen innehåller osynliga tecken eller styrtecken. Skriv in den igen för hand."
)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def zero_width(email: str) -> str:
    local, domain = email.split("@")
    return f"{local[:1]}\u200b{local[1:]}@{domain}"


def look_alikes(email: str) -> list[str]:
    return [fullwidth(email), email.upper(), f" {email.title()} "]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_normaliser() -> None:
    assert normalize_email(fullwidth("Anna@Example.se")) == "anna@example.se"
    assert normalize_email("anna@EXÄMPLE.se") == "anna@xn--exmple-cua.se"
    assert normalize_email("anna@xn--exmple-cua.se") == "anna@xn--exmple-cua.se"
    for hidden in ("\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\x07"):
        with pytest.raises(Exception, match="osynliga tecken"):
            normalize_email(f"an{hidden}na@example.se")


def test_an_idn_account_is_stored_once_in_its_ascii_form(db: None) -> None:
    user = User.objects.create_user("Anna@Exämple.SE", password=None, full_name="Anna")
    assert user.email == "anna@xn--exmple-cua.se"
    assert User.objects.by_email("ANNA@exämple.se") == user


class TestLogin:
    def test_look_alikes_log_in_to_the_same_account(self, world: World) -> None:
        email = world.sysadmin.email
        for typed in look_alikes(email):
            client = Client()
            response = client.post(
                reverse("login"), {"username": typed, "password": factories.PASSWORD}
            )
            assert response.status_code == 302, typed
            assert int(client.session["_auth_user_id"]) == world.sysadmin.pk

    def test_invisible_characters_are_refused(self, world: World) -> None:
        response = Client().post(
            reverse("login"),
            {"username": zero_width(world.sysadmin.email), "password": factories.PASSWORD},
        )
        assert response.status_code == 200
        assert INVISIBLE in response.text

    def test_admin_login_with_a_look_alike_is_the_same_account(self, world: World) -> None:
        staff = factories.UserFactory(is_staff=True)
        client = Client()
        response = client.post(
            "/admin/login/", {"username": fullwidth(staff.email), "password": factories.PASSWORD}
        )
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == staff.pk


class TestPasswordReset:
    def test_a_look_alike_resets_the_real_account(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(reverse("password_reset"), {"email": fullwidth(world.sysadmin.email)})
        [message] = mail.outbox
        assert message.to == [world.sysadmin.email]

    def test_invisible_characters_are_refused(self, world: World) -> None:
        response = Client().post(
            reverse("password_reset"), {"email": zero_width(world.sysadmin.email)}
        )
        assert INVISIBLE in response.text
        assert mail.outbox == []


class TestAddConsultant:
    def test_look_alikes_ask_the_existing_account(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        users = User.objects.count()
        admin = logged_in(world.firm_admin.user)
        for typed in look_alikes(oskar.email):
            with django_capture_on_commit_callbacks(execute=True):
                admin.post(
                    reverse("firm_add_consultant"), {"full_name": "Oskar Kopia", "email": typed}
                )
        assert User.objects.count() == users
        assert JoinOffer.objects.filter(user=oskar, firm=world.firm).count() == 1
        assert {tuple(m.to) for m in mail.outbox} == {(oskar.email,)}

    def test_invisible_characters_are_refused(self, world: World) -> None:
        users = User.objects.count()
        response = logged_in(world.firm_admin.user).post(
            reverse("firm_add_consultant"),
            {"full_name": "Oskar Kopia", "email": zero_width(world.other_sysadmin.email)},
        )
        assert INVISIBLE in response.text
        assert User.objects.count() == users


class TestBulkInvite:
    def test_look_alikes_ask_the_existing_account(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        users = User.objects.count()
        subscriptions = make_invitable(world, ["Alfa AB", "Beta AB", "Gamma AB"])
        admin = logged_in(world.firm_admin.user)
        for subscription, typed in zip(subscriptions, look_alikes(oskar.email), strict=True):
            with django_capture_on_commit_callbacks(execute=True):
                admin.post(reverse("clients:invite_new"), row(subscription, "Oskar Kopia", typed))
        assert User.objects.count() == users
        assert JoinOffer.objects.filter(user=oskar).count() == 3

    def test_the_same_person_twice_in_look_alike_forms_is_one_row_too_many(
        self, world: World
    ) -> None:
        alfa, beta = make_invitable(world, ["Alfa AB", "Beta AB"])
        response = logged_in(world.firm_admin.user).post(
            reverse("clients:invite_new"),
            {
                **row(alfa, "Ny Person", "ny.person@alfa.se"),
                **row(beta, "Ny Person", fullwidth("Ny.Person@alfa.se")),
            },
        )
        assert "Samma e-post finns på en annan rad." in response.text
        assert not User.objects.filter(full_name="Ny Person").exists()

    def test_invisible_characters_are_refused(self, world: World) -> None:
        (alfa,) = make_invitable(world, ["Alfa AB"])
        users = User.objects.count()
        response = logged_in(world.firm_admin.user).post(
            reverse("clients:invite_new"),
            row(alfa, "Oskar Kopia", zero_width(world.other_sysadmin.email)),
        )
        assert INVISIBLE in response.text
        assert User.objects.count() == users


class TestNewCustomerContact:
    def test_a_look_alike_is_the_existing_account(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        oskar = world.other_sysadmin
        users = User.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            create_new_customer(logged_in(world.consultant.user), fullwidth(oskar.email))
        assert User.objects.count() == users

    def test_invisible_characters_are_refused(self, world: World) -> None:
        client = logged_in(world.consultant.user)
        walk_to(client, "customer")
        response = wizard_post(
            client, "customer", contact_email=zero_width(world.other_sysadmin.email)
        )
        assert INVISIBLE in errors(response.text)


class TestSupportsUserForm:
    def test_a_look_alike_of_an_existing_address_is_refused(self, world: World) -> None:
        staff = factories.UserFactory(is_staff=True, is_superuser=True)
        existing = User.objects.create_user("per@exämple.se", password=None, full_name="Per")
        users = User.objects.count()
        support = logged_in(staff)
        for typed in ("PER@EXÄMPLE.se", fullwidth("per@") + "Exämple.SE"):
            response = support.post(
                reverse("admin:firm_portal_user_add"),
                {
                    "email": typed,
                    "full_name": "Per Kopia",
                    "password1": "Ett-långt-lösen-77",
                    "password2": "Ett-långt-lösen-77",
                },
            )
            assert response.status_code == 200, typed
            assert "Användare med detta E-post finns redan." in response.text, typed
        assert User.objects.count() == users
        response = support.post(
            reverse("admin:firm_portal_user_add"),
            {
                "email": zero_width("ny@example.se"),
                "full_name": "Ny",
                "password1": "Ett-långt-lösen-77",
                "password2": "Ett-långt-lösen-77",
            },
        )
        assert INVISIBLE in response.text
        assert User.objects.count() == users
        assert existing.email == "per@xn--exmple-cua.se"
