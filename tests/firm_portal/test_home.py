"""Start page: the firm part, the sysadmin to-do cards, both, or neither."""

import pytest
from django.urls import reverse

from firm_portal.models import ClientAssignment
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
