"""Issue 13, "Accounts belong to their owners" (tests/test_accounts_belong_to_owners.py
and the tests that drive the same takeover paths): Vera, invited by firm B
and not yet logged in; what firm A types as its own; what must stay as it
was; and firm A's "Skapa nytt samarbete" and join offers."""

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from clients.models import Invitation, JoinOffer, Membership
from firm_portal.models import Consultant, User
from tests.collaboration.new_customer_helpers import post as wizard_post
from tests.collaboration.new_customer_helpers import walk_to
from tests.conftest import World

ATTACKER_MOBILE = "070-111 22 33"
ATTACKER_MOBILE_E164 = "+46701112233"
ATTACKER_PERSONAL_NUMBER = "811228-9874"


def victim_invited_by_firm_b(world: World, **fields: Any) -> User:
    """Vera: invited by firm B ("Lägg till användare") and made its firm
    admin; no password yet, her open invitation waiting in her inbox."""
    values: dict[str, Any] = {
        "email": "vera@siffror.se",
        "full_name": "Vera Victim",
        "mobile": "+46709876543",
        "personal_number": "197001011236",
        "password": make_password(None),
    }
    values.update(fields)
    user = User.objects.create(**values)
    Consultant.objects.create(user=user, firm=world.other_firm_consultant.firm, is_firm_admin=True)
    now = timezone.now()
    Invitation.objects.create(
        user=user,
        invited_by=world.other_firm_consultant.user,
        firm=world.other_firm_consultant.firm,
        nonce=secrets.token_urlsafe(24),
        sent_at=now,
        expires_at=now + timedelta(days=14),
    )
    return user


def account_state(user: User) -> dict[str, Any]:
    """What another tenant must never change: the account and its links."""
    fresh = User.objects.get(pk=user.pk)
    return {
        "account": (
            fresh.email,
            fresh.full_name,
            fresh.username,
            fresh.mobile,
            fresh.personal_number,
            fresh.password,
            fresh.is_active,
            fresh.is_staff,
        ),
        "invitations": sorted(
            Invitation.objects.filter(user=user).values_list(
                "pk",
                "nonce",
                "firm_id",
                "subscription_id",
                "invited_by_id",
                "sent_at",
                "expires_at",
                "accepted_at",
            )
        ),
        "memberships": sorted(
            Membership.objects.filter(user=user).values_list("subscription_id", "is_sysadmin")
        ),
        "consultancies": sorted(
            Consultant.objects.filter(user=user).values_list("firm_id", "is_active")
        ),
    }


def create_new_customer(client: Client, contact_email: str, **customer: str) -> Any:
    walk_to(client, "customer")
    response = wizard_post(
        client,
        "customer",
        contact_name="Anna Angripare",
        contact_email=contact_email,
        contact_mobile=ATTACKER_MOBILE,
        contact_personal_number=ATTACKER_PERSONAL_NUMBER,
        **customer,
    )
    assert response.status_code == 200 and 'class="error"' not in response.text, response.text
    wizard_post(client, "payment")
    return wizard_post(client, "summary", action="create")


def make_offer(world: World, user: User, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "user": user,
        "kind": JoinOffer.Kind.CONSULTANT,
        "firm": world.firm,
        "invited_by": world.firm_admin.user,
        "sent_at": timezone.now(),
    }
    values.update(fields)
    return JoinOffer.objects.create(**values)
