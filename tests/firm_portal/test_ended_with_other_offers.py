""" "Avsluta konsult" by firm A must not block an invitation from firm B:
Erik, ended by Revisorerna Norr AB (A), is asked by Siffror Syd AB (B) to
join as a consultant and as a user of B's client. He logs in with a session
that only answers the others' invitations (firm_portal/offers_only.py): A's
pages and A's own invitation stay closed; B's offer can be accepted and
gives him B's access, and nothing of A's. Driven through the real forms."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import JoinOffer, Membership
from firm_portal.models import Consultant
from firm_portal.offers_only import OFFERS_ONLY
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

ENDED_BY_A = (
    "Ditt konto har avslutats av Revisorerna Norr AB och kan inte längre användas för att logga in."
)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def end_erik(world: World) -> None:
    response = logged_in(world.firm_admin.user).post(
        reverse("firm_offboard", args=[world.consultant.pk])
    )
    assert response.status_code == 302
    world.consultant.refresh_from_db()
    assert not world.consultant.is_active


def firm_b_asks(world: World) -> JoinOffer:
    b_admin = factories.ConsultantFactory(
        firm=world.other_firm_consultant.firm, is_firm_admin=True, user__full_name="Bea Badmin"
    )
    response = logged_in(b_admin.user).post(
        reverse("firm_add_consultant"),
        {"full_name": "Vad som helst", "email": world.consultant.user.email, "mobile": ""},
    )
    assert response.status_code in (200, 302)
    return JoinOffer.objects.get(user=world.consultant.user, firm=b_admin.firm)


def firm_as_own_offer(world: World) -> JoinOffer:
    """An offer of firm A's (to one of A's clients)."""
    return JoinOffer.objects.create(
        user=world.consultant.user,
        kind=JoinOffer.Kind.CLIENT_USER,
        firm=world.firm,
        subscription=world.subscription,
        invited_by=world.firm_admin.user,
        sent_at=timezone.now(),
    )


def password_login(user: Any) -> tuple[Client, Any]:
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.email, "password": factories.PASSWORD}
    )
    return client, response


def test_firm_as_pages_stay_closed_and_bs_offer_gives_b_only(world: World) -> None:
    before = firm_as_own_offer(world)
    end_erik(world)
    # Ending withdraws A's unanswered asks.
    assert not JoinOffer.objects.filter(pk=before.pk).exists()
    a_offer = firm_as_own_offer(world)  # one A made after ending him
    b_offer = firm_b_asks(world)
    erik, response = password_login(world.consultant.user)
    assert response.status_code == 302, re.findall(r'role="alert"[^>]*>(.*?)<', response.text)
    assert erik.session[OFFERS_ONLY] is True

    home = erik.get(reverse("home")).text
    assert "Ditt konto har avslutats av Revisorerna Norr AB." in home
    assert "Siffror Syd AB" in home and "Gå med" in home
    # A's own offer is not his to answer now.
    assert reverse("join_offer_accept", args=[a_offer.pk]) not in home
    assert erik.post(reverse("join_offer_accept", args=[a_offer.pk])).status_code == 404
    assert not Membership.objects.filter(user=world.consultant.user).exists()
    # A's pages (and every other page) lead back to the start page.
    for url in (
        reverse("firm_users"),
        reverse("collaboration:client_list"),
        reverse("collaboration:new_client"),
        reverse("password_change"),
        reverse("my_details"),
    ):
        response = erik.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("home")), url

    # "Gå med" on B's offer: a consultant of B, nothing of A's.
    response = erik.post(reverse("join_offer_accept", args=[b_offer.pk]), follow=True)
    assert "Du är nu konsult på Siffror Syd AB." in response.text
    assert OFFERS_ONLY not in erik.session
    roles = dict(
        Consultant.objects.filter(user=world.consultant.user).values_list("firm", "is_active")
    )
    assert roles == {world.firm.pk: False, world.other_firm_consultant.firm_id: True}
    start = erik.get(reverse("home"))
    assert start.status_code == 200
    assert "Siffror Syd AB" in start.text  # his firm now
    a_client = erik.get(reverse("collaboration:client_detail", args=[world.subscription.number]))
    assert a_client.status_code in (403, 404)
    assert "Bageriet Solsidan AB" not in a_client.text
    a_offer.refresh_from_db()
    assert a_offer.status == JoinOffer.Status.PENDING


def test_declining_bs_offer_keeps_the_ending(world: World) -> None:
    end_erik(world)
    b_offer = firm_b_asks(world)
    erik, response = password_login(world.consultant.user)
    assert response.status_code == 302
    erik.post(reverse("join_offer_decline", args=[b_offer.pk]))
    assert erik.session[OFFERS_ONLY] is True
    assert erik.get(reverse("firm_users")).status_code == 302
    # With no offer of others left, the login is refused again.
    _client, response = password_login(world.consultant.user)
    assert ENDED_BY_A in response.text


def test_only_firm_as_own_offer_does_not_open_the_login(world: World) -> None:
    end_erik(world)
    firm_as_own_offer(world)
    client, response = password_login(world.consultant.user)
    assert response.status_code == 200
    assert ENDED_BY_A in response.text
    assert client.get(reverse("home")).status_code == 302
