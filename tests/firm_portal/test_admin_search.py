"""Support's searches in Django admin: an organisationsnummer in every format
"Ny klient" accepts, and a member's e-mail address on Abonnemang."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

ORG = "556141-7071"
FORMATS = ["556141-7071", "5561417071", "16556141-7071", "165561417071", " 556141-7071 "]


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def subscription():  # type: ignore[no-untyped-def]
    subscription = factories.SubscriptionFactory(
        client__name="Bageriet Solsidan AB", client__org_number=ORG
    )
    factories.SubscriptionFactory(client__name="Annan Kund AB")
    return subscription


def search(client: Client, url_name: str, term: str) -> str:
    response = client.get(reverse(url_name), {"q": term})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("term", FORMATS)
def test_klienter_by_org_number_in_every_format(staff_client, subscription, term):  # type: ignore[no-untyped-def]
    page = search(staff_client, "admin:clients_client_changelist", term)
    assert "Bageriet Solsidan AB" in page
    assert "Annan Kund AB" not in page


@pytest.mark.parametrize("term", FORMATS)
def test_abonnemang_by_org_number_in_every_format(staff_client, subscription, term):  # type: ignore[no-untyped-def]
    page = search(staff_client, "admin:clients_subscription_changelist", term)
    assert reverse("admin:clients_subscription_change", args=[subscription.pk]) in page
    assert "Annan Kund AB" not in page


def test_abonnemang_by_a_member_s_email(staff_client, subscription):  # type: ignore[no-untyped-def]
    factories.MembershipFactory(subscription=subscription, user__email="lisa@bageriet.se")
    factories.MembershipFactory(subscription=subscription, user__email="klas@bageriet.se")

    page = search(staff_client, "admin:clients_subscription_changelist", "lisa@bageriet.se")

    change = reverse("admin:clients_subscription_change", args=[subscription.pk])
    assert page.count(f'href="{change}') == 1  # one row, though two members match the join
    assert "Annan Kund AB" not in page


def test_klienter_by_a_member_s_email(staff_client, subscription):  # type: ignore[no-untyped-def]
    factories.MembershipFactory(subscription=subscription, user__email="lisa@bageriet.se")
    page = search(staff_client, "admin:clients_client_changelist", "lisa@bageriet.se")
    assert "Bageriet Solsidan AB" in page


@pytest.mark.parametrize("term", ["5561417071", "16556141-7071"])
def test_firm_side_lists_by_org_number(staff_client, term):  # type: ignore[no-untyped-def]
    factories.FirmFactory(name="Revisorerna Norr AB", org_number=ORG)
    factories.FirmFactory(name="Siffror Syd AB")
    page = search(staff_client, "admin:firm_portal_firm_changelist", term)
    assert "Revisorerna Norr AB" in page
    assert "Siffror Syd AB" not in page


def test_a_name_still_searches_as_before(staff_client, subscription):  # type: ignore[no-untyped-def]
    page = search(staff_client, "admin:clients_client_changelist", "Bageriet")
    assert "Bageriet Solsidan AB" in page
    assert "Annan Kund AB" not in page
