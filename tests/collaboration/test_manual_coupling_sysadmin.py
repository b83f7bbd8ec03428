"""Issue 14, item 4: a free manual coupling (a subscription with no
sysadmin) leads somewhere. The paper form names the subscription's system
administrator: the firm's responsible consultant (made sysadmin when the
coupling is performed) or a person at the client by e-mail and name, who is
*asked* (issue 13's account rule): an existing account gets a join offer it
accepts as itself, a new address an invitation to its own address."""

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from clients.invitations.services import join_offer_accept
from clients.models import Invitation, JoinOffer, Membership
from collaboration.bulk_invitations import invitable_subscriptions
from collaboration.manual.perform import manual_coupling_perform
from collaboration.manual.services import NamedSysadmin
from collaboration.models import ManualCoupling
from collaboration.selectors import firm_coupled
from firm_portal.models import User
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from ledger.services import Kind
from tests import factories
from tests.collaboration.manual_coupling_helpers import add_form_data, support_migration

pytestmark = pytest.mark.django_db

ADD_URL = "admin:collaboration_manualcoupling_add"
PERSON = ManualCoupling.SysadminNamed.CLIENT_PERSON


@pytest.fixture
def support(db):  # type: ignore[no-untyped-def]
    support_migration.support_group_ensure(global_apps, "default")
    user = factories.UserFactory(is_staff=True, full_name="Stina Support")
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def lonely(world):  # type: ignore[no-untyped-def]
    """A subscription with no sysadmin (the free manual coupling)."""
    return factories.SubscriptionFactory(client__name="Utan Admin AB")


def _perform(world, support, lonely, sysadmin=None):  # type: ignore[no-untyped-def]
    manual = factories.manual_coupling_register(
        actor=support,
        firm=world.firm,
        org_number=lonely.client.org_number,
        responsible=world.consultant,
        form_received_on=today_in_stockholm(),
        sysadmin=sysadmin,
    )
    return manual_coupling_perform(manual_id=manual.pk, actor=support)


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_the_responsible_consultant_becomes_sysadmin_and_the_client_is_usable_at_once(
    world, support, lonely, client
):  # type: ignore[no-untyped-def]
    result = _perform(world, support, lonely)

    membership = Membership.objects.get(subscription=lonely, user=world.consultant.user)
    assert membership.is_sysadmin
    assert result.message.endswith("Erik Konsult är systemadministratör enligt blanketten.")
    assert AccessEvent.objects.filter(
        kind=Kind.SYSADMIN_CHANGED, subscription_id=lonely.pk, subject_id=world.consultant.user.pk
    ).exists()
    # "Bjud in klientanvändare" offers the client now.
    assert lonely in invitable_subscriptions(consultant=world.consultant)
    # "Redigera" no longer sends them to a sysadmin who does not exist.
    client.force_login(world.consultant.user)
    page = client.get(reverse("collaboration:client_detail", args=[lonely.number]))
    assert page.status_code == 200
    assert "Be klientens systemadministratör" not in page.content.decode()
    # And the consultant can give itself rights.
    grid = client.get(reverse("clients:permissions", args=[lonely.number]))
    assert grid.status_code == 200


def test_a_new_address_gets_an_invitation_to_its_own_address_and_becomes_sysadmin_on_it(
    world, support, lonely, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        result = _perform(
            world,
            support,
            lonely,
            NamedSysadmin(
                ManualCoupling.SysadminNamed.CLIENT_PERSON, "Vera@UtanAdmin.se", "Vera Vd"
            ),
        )
    assert "Vera Vd (vera@utanadmin.se) har fått en inbjudan" in result.message

    vera = User.objects.get(email="vera@utanadmin.se")
    assert vera.full_name == "Vera Vd"
    assert not vera.has_usable_password()
    assert Invitation.objects.filter(user=vera, subscription=lonely).count() == 1
    offer = JoinOffer.objects.get(user=vera, subscription=lonely)
    assert offer.as_sysadmin and offer.status == JoinOffer.Status.PENDING
    # Nothing before she accepts: not a member, the consultant not sysadmin.
    assert not Membership.objects.filter(user=vera).exists()
    assert not Membership.objects.get(subscription=lonely, user=world.consultant.user).is_sysadmin
    to_vera = [m for m in mail.outbox if m.to == ["vera@utanadmin.se"]]
    assert len(to_vera) == 1
    assert "utsett dig till systemadministratör" in to_vera[0].body
    assert "/inbjudan/" in to_vera[0].body  # her own link to choose a password


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_an_existing_account_is_asked_not_added_and_accepts_as_itself(
    world, support, lonely, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    existing = factories.UserFactory(email="olle@example.se", full_name="Olle Egen")
    password_before = existing.password

    with django_capture_on_commit_callbacks(execute=True):
        _perform(
            world,
            support,
            lonely,
            NamedSysadmin(
                ManualCoupling.SysadminNamed.CLIENT_PERSON, "olle@example.se", "Fel Namn"
            ),
        )

    existing.refresh_from_db()
    assert (existing.full_name, existing.password) == ("Olle Egen", password_before)
    assert not Invitation.objects.filter(user=existing).exists()
    assert not Membership.objects.filter(user=existing).exists()
    offer = JoinOffer.objects.get(user=existing, subscription=lonely)
    assert offer.as_sysadmin
    (email,) = [m for m in mail.outbox if m.to == ["olle@example.se"]]
    assert "Inbjudningar" in email.body

    message = join_offer_accept(offer_id=offer.pk, user=existing, firm_coupled=firm_coupled)

    assert message == "Du är nu systemadministratör hos Utan Admin AB."
    assert Membership.objects.get(subscription=lonely, user=existing).is_sysadmin
    assert AccessEvent.objects.filter(
        kind=Kind.SYSADMIN_CHANGED,
        subscription_id=lonely.pk,
        subject_id=existing.pk,
        actor_id=existing.pk,
    ).exists()


def test_the_home_page_card_says_sysadmin(world, support, lonely, client):  # type: ignore[no-untyped-def]
    existing = factories.UserFactory(email="olle@example.se")
    _perform(
        world,
        support,
        lonely,
        NamedSysadmin(PERSON, "olle@example.se", "Olle"),
    )
    client.force_login(existing)
    page = client.get(reverse("home")).content.decode()
    assert (
        "Utan Admin AB har på en blankett om manuell koppling med Revisorerna Norr AB utsett "
        "dig till systemadministratör."
    ) in page


def test_a_subscription_with_a_sysadmin_keeps_its_own(world, support):  # type: ignore[no-untyped-def]
    result = _perform(world, support, world.subscription)
    assert not Membership.objects.get(
        subscription=world.subscription, user=world.consultant.user
    ).is_sysadmin
    assert "enligt blanketten" not in result.message


def test_the_admin_form_needs_e_mail_and_name_for_a_person_at_the_client(world, support, lonely):  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(support)
    response = browser.post(
        reverse(ADD_URL),
        add_form_data(
            world,
            org_number=lonely.client.org_number,
            sysadmin_named="client_person",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ange e-postadressen till den som blanketten utser till systemadministratör." in page
    assert "Ange namnet på den som blanketten utser till systemadministratör." in page
    assert not ManualCoupling.objects.exists()

    response = browser.post(
        reverse(ADD_URL),
        add_form_data(
            world,
            org_number=lonely.client.org_number,
            sysadmin_named="client_person",
            sysadmin_email="Vera@UtanAdmin.se",
            sysadmin_name="Vera  Vd",
        ),
    )
    assert response.status_code == 302
    manual = ManualCoupling.objects.get()
    assert (manual.sysadmin_named, manual.sysadmin_email, manual.sysadmin_name) == (
        "client_person",
        "vera@utanadmin.se",
        "Vera Vd",
    )


def test_the_service_refuses_a_malformed_address(world, support, lonely):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        _perform(world, support, lonely, NamedSysadmin(PERSON, "inte-en-adress", "Vera Vd"))
    assert list(caught.value.message_dict) == ["sysadmin_email"]
    assert not ManualCoupling.objects.exists()
    assert not User.objects.filter(email="inte-en-adress").exists()
