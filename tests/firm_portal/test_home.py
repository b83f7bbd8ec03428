"""Start page: the firm part, the sysadmin to-do cards, both, or neither."""

import pytest
from django.urls import reverse

from clients.models import ClientAssignment
from tests import factories

pytestmark = pytest.mark.django_db
HOME = reverse("home")


@pytest.fixture
def pending(world):  # type: ignore[no-untyped-def]
    return factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )


def test_sysadmin_sees_todo_card(client, world, pending):
    client.force_login(world.sysadmin)
    response = client.get(HOME)
    assert "Förfrågan om samarbete från Revisorerna Norr AB" in response.text
    assert reverse("collaboration:firm_collaboration", args=[world.subscription.number]) in (
        response.text
    )


def test_card_disappears_for_every_sysadmin_after_approval(client, world, pending):
    second = factories.MembershipFactory(subscription=world.subscription, is_sysadmin=True).user
    client.force_login(world.sysadmin)
    client.post(
        reverse("collaboration:approve_request", args=[world.subscription.number, pending.pk])
    )
    for user in (world.sysadmin, second):
        client.force_login(user)
        assert "Förfrågan om samarbete från" not in client.get(HOME).text


def test_other_sysadmin_does_not_see_the_card(client, world, pending):
    client.force_login(world.other_sysadmin)
    assert "Förfrågan om samarbete från" not in client.get(HOME).text


def test_consultant_sees_clients_and_sent_requests(client, world, pending):
    coupled = factories.CouplingFactory(firm=world.firm, subscription=world.other_subscription)
    ClientAssignment.objects.create(consultant=world.consultant, subscription=coupled.subscription)
    client.force_login(world.consultant.user)
    response = client.get(HOME)
    assert "Ny klient" in response.text
    assert "Skickade förfrågningar" in response.text
    assert "Bageriet Solsidan AB" in response.text  # pending, he is responsible
    assert "Annan Kund AB" in response.text  # coupled client


def test_plain_consultant_sees_only_own_clients_admin_sees_all(client, world):
    factories.CouplingFactory(firm=world.firm, subscription=world.other_subscription)
    client.force_login(world.consultant.user)
    assert "Annan Kund AB" not in client.get(HOME).text
    client.force_login(world.firm_admin.user)
    assert "Annan Kund AB" in client.get(HOME).text


def test_other_firm_sees_nothing_of_ours(client, world, pending):
    factories.CouplingFactory(firm=world.firm, subscription=world.other_subscription)
    client.force_login(world.other_firm_consultant.user)
    response = client.get(HOME)
    assert "Bageriet Solsidan AB" not in response.text
    assert "Annan Kund AB" not in response.text


def test_person_who_is_both_sees_both(client, world, pending):
    factories.CouplingFactory(
        firm=world.other_firm_consultant.firm, subscription=world.subscription
    )
    factories.MembershipFactory(
        subscription=world.subscription,
        user=world.other_firm_consultant.user,
        consultant=world.other_firm_consultant,
        is_sysadmin=True,
    )
    client.force_login(world.other_firm_consultant.user)
    response = client.get(HOME)
    assert "Dina abonnemang" in response.text
    assert "Förfrågan om samarbete från Revisorerna Norr AB" in response.text
    assert "Siffror Syd AB" in response.text
    assert "Ny klient" in response.text


def test_neither_gets_empty_state(client, db):
    user = factories.UserFactory()
    client.force_login(user)
    assert "Du har ingen åtkomst till något abonnemang" in client.get(HOME).text


def test_anonymous_redirected_to_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == "/logga-in/?next=/"


def test_login_with_email_any_case(client, world):
    response = client.post(
        reverse("login"),
        {"username": world.sysadmin.email.upper(), "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_wrong_password_message(client, world):
    response = client.post(reverse("login"), {"username": world.sysadmin.email, "password": "x"})
    assert "Fel e-post eller lösenord. Försök igen." in response.text


@pytest.mark.parametrize("size", [3, 300])
def test_home_query_count_constant(client, world, django_assert_num_queries, size):
    subscriptions = factories.SubscriptionFactory.create_batch(size)
    for subscription in subscriptions:
        factories.CouplingFactory(firm=world.firm, subscription=subscription)
        factories.MembershipFactory(
            subscription=subscription,
            user=world.firm_admin.user,
            consultant=world.firm_admin,
            is_sysadmin=True,
        )
        factories.CollaborationRequestFactory(subscription=subscription)
    client.force_login(world.firm_admin.user)
    # user, consultant, the user's memberships (administered subscriptions
    # and client memberships in one) + the administered ones' pending
    # requests, client count + page, firm pending requests, the user's
    # invitations to join ("Inbjudningar").
    with django_assert_num_queries(8):
        response = client.get(HOME)
    assert response.status_code == 200


class TestConsultantWithoutSeat:
    """Issue 14 item 5: no "Ny klient" button, so no advice to click it; the
    start page names the firm's admins, as "Licens saknas" (/klienter/ny/) does."""

    ADVICE = (
        "För att använda Klienthanteraren, till exempel Ny klient, behöver du en licens "
        "från Revisorerna Norr AB."
    )

    @pytest.fixture
    def admins(self, world):  # type: ignore[no-untyped-def]
        second = factories.ConsultantFactory(
            firm=world.firm,
            is_firm_admin=True,
            user__full_name="Björn Byråadmin",
            user__email="bjorn@norr.example",
        )
        factories.ConsultantFactory(  # ended: not asked
            firm=world.firm, is_firm_admin=True, is_active=False, user__full_name="Gammal Admin"
        )
        factories.ConsultantFactory(  # another firm's admin
            firm=world.other_firm_consultant.firm,
            is_firm_admin=True,
            user__full_name="Sylvia Sydadmin",
        )
        return [world.firm_admin, second]

    def _admin_items(self, text: str) -> list[str]:
        import re

        block = re.search(r'<ul class="firm-admins">(.*?)</ul>', text, re.S)
        assert block is not None
        return [" ".join(item.split()) for item in re.findall(r"<li>(.*?)</li>", block[1], re.S)]

    def test_start_page_names_the_admins(self, client, world, admins):
        client.force_login(world.no_seat_consultant.user)
        response = client.get(HOME)
        text = response.text
        assert "Klicka på Ny klient" not in text
        assert "Be din byråadministratör" not in text
        assert "Du har ingen licens för Klienthanteraren." in text
        assert self.ADVICE in text
        assert "Be någon av byråns administratörer om en licens:" in text
        assert "Inga klienter ännu." in text
        anna = world.firm_admin.user.email
        assert self._admin_items(text) == [
            f'Anna Admin – <a href="mailto:{anna}">{anna}</a>',
            'Björn Byråadmin – <a href="mailto:bjorn@norr.example">bjorn@norr.example</a>',
        ]
        assert 'href="/klienter/ny/"' not in text

    def test_no_seat_page_says_the_same(self, client, world, admins):
        client.force_login(world.no_seat_consultant.user)
        response = client.get(reverse("collaboration:new_client"))
        assert response.status_code == 403
        assert self.ADVICE in response.text
        home = client.get(HOME)
        assert self._admin_items(response.text) == self._admin_items(home.text)

    def test_firm_without_active_admin(self, client, world):
        world.firm_admin.is_firm_admin = False
        world.firm_admin.save(update_fields=["is_firm_admin"])
        client.force_login(world.no_seat_consultant.user)
        text = client.get(HOME).text
        assert "Byrån har ingen aktiv administratör. Kontakta vår support." in text
        assert "firm-admins" not in text

    def test_seated_consultant_still_told_to_click_ny_klient(self, client, world):
        client.force_login(world.consultant.user)
        text = client.get(HOME).text
        told = "Inga klienter ännu. Klicka på Ny klient för att skicka en förfrågan om samarbete."
        assert told in text
        assert "Be någon av byråns administratörer" not in text
