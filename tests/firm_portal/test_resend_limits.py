"""Caps on "Skicka igen" (firm_portal/resend_limits.py): the cap+1-th resend
sends nothing and says why; the outbox holds exactly `cap` resends."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Invitation, JoinOffer, Subscription
from firm_portal.models import Consultant, User
from tests import factories
from tests.account_takeover_helpers import create_new_customer, make_offer
from tests.clients.bulk_invitation_helpers import make_invitable, row
from tests.collaboration.new_customer_helpers import install_prices
from tests.conftest import World

pytestmark = pytest.mark.django_db

ITEM_CAP = (
    "Inget skickades: samma inbjudan kan skickas igen högst 3 gånger per dygn. Försök igen senare."
)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def resend(client: Client, url: str, data: dict | None = None, times: int = 1, *, capture) -> str:  # type: ignore[no-untyped-def, type-arg]
    text = ""
    for _ in range(times):
        with capture(execute=True):
            text = client.post(url, data or {}, follow=True).text
    return text


def test_the_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.RESENDS_PER_ITEM_PER_DAY == 3
    assert settings.RESENDS_PER_RECIPIENT_PER_DAY == 5


def test_a_consultant_offer(world: World, django_capture_on_commit_callbacks) -> None:
    offer = make_offer(world, world.other_sysadmin)
    admin = logged_in(world.firm_admin.user)
    url = reverse("firm_resend_offer", args=[offer.pk])
    resend(admin, url, times=3, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    text = resend(admin, url, capture=django_capture_on_commit_callbacks)
    assert ITEM_CAP in text
    assert "Inbjudan har skickats igen" not in text
    assert len(mail.outbox) == 3


def test_asking_again_with_lagg_till_anvandare(
    world: World, django_capture_on_commit_callbacks
) -> None:
    admin = logged_in(world.firm_admin.user)
    data = {"full_name": "Oskar", "email": world.other_sysadmin.email}
    url = reverse("firm_add_consultant")
    resend(admin, url, data, times=4, capture=django_capture_on_commit_callbacks)  # 1 + 3 again
    assert len(mail.outbox) == 4
    text = resend(admin, url, data, capture=django_capture_on_commit_callbacks)
    assert ITEM_CAP in text
    assert len(mail.outbox) == 4


def test_a_consultants_invitation(world: World, django_capture_on_commit_callbacks) -> None:
    legacy = factories.UserFactory(email="gammal@norr.se")
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
    url = reverse("firm_reinvite", args=[colleague.pk])
    resend(admin, url, times=3, capture=django_capture_on_commit_callbacks)
    nonce = Invitation.objects.get(user=legacy).nonce
    text = resend(admin, url, capture=django_capture_on_commit_callbacks)
    assert ITEM_CAP in text
    assert "En ny inbjudan har skickats" not in text
    assert len(mail.outbox) == 3
    assert Invitation.objects.get(user=legacy).nonce == nonce  # the last link still works


def test_the_new_customers_welcome(world: World, django_capture_on_commit_callbacks) -> None:
    install_prices()
    consultant = logged_in(world.consultant.user)
    with django_capture_on_commit_callbacks(execute=True):
        create_new_customer(consultant, "ny.kontakt@nyakunden.se")
    number = Subscription.objects.get(client__name="Nya Kunden AB").number
    mail.outbox.clear()
    url = reverse("collaboration:new_customer_resend", args=[number])
    resend(consultant, url, times=3, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    text = resend(consultant, url, capture=django_capture_on_commit_callbacks)
    assert ITEM_CAP in text
    assert "är skickat igen" not in text
    assert len(mail.outbox) == 3


def test_bjud_in_befintliga_anvandare(world: World, django_capture_on_commit_callbacks) -> None:
    (alfa,) = make_invitable(world, ["Alfa AB"])
    admin = logged_in(world.firm_admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("clients:invite_new"), row(alfa, "Oskar", world.other_sysadmin.email))
    offer = JoinOffer.objects.get(user=world.other_sysadmin)
    mail.outbox.clear()
    url = reverse("clients:invite_existing")
    data = {"offers": [str(offer.pk)]}
    resend(admin, url, data, times=3, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    text = resend(admin, url, data, capture=django_capture_on_commit_callbacks)
    assert ITEM_CAP in text
    assert len(mail.outbox) == 3


def test_per_recipient_whatever_the_item(
    world: World, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.RESENDS_PER_ITEM_PER_DAY = 10
    settings.RESENDS_PER_RECIPIENT_PER_DAY = 2
    oskar = world.other_sysadmin
    first = make_offer(world, oskar)
    second = make_offer(
        world, oskar, kind=JoinOffer.Kind.CLIENT_USER, subscription=world.subscription
    )
    admin = logged_in(world.firm_admin.user)
    resend(
        admin,
        reverse("firm_resend_offer", args=[first.pk]),
        times=2,
        capture=django_capture_on_commit_callbacks,
    )
    text = resend(
        admin,
        reverse("firm_resend_offer", args=[first.pk]),
        capture=django_capture_on_commit_callbacks,
    )
    assert (
        f"Inget skickades: {oskar.email} kan få högst 2 påminnelser per dygn. Försök igen senare."
        in text
    )
    assert len(mail.outbox) == 2
    assert second.pk != first.pk


def test_an_expired_links_new_link_is_capped_silently(
    world: World, django_capture_on_commit_callbacks
) -> None:
    from clients.invitations.services import invitation_create, invitation_url

    user = factories.UserFactory()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    invitation = invitation_create(user=user, invited_by=world.firm_admin.user, firm=world.firm)
    for number in range(4):
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        invitation.refresh_from_db()
        path = invitation_url(invitation).split("://", 1)[1].split("/", 1)[1]
        with django_capture_on_commit_callbacks(execute=True):
            text = Client().post(f"/{path}ny-lank/", follow=True).text
        assert "Om inbjudan fortfarande väntar på dig har vi skickat en ny länk" in text, number
    assert len(mail.outbox) == 3
