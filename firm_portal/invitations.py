"""Single-use, expiring invitation links: an account made together with a
join offer (firm_portal/join_offers.py) chooses its first password through
one. The link goes by e-mail only, to the account's own address, so using it
proves control of that address; it never replaces a password that is set,
and only the invitation's own issuer renews it."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from firm_portal.models import Firm, Invitation, User
from firm_portal.resend_limits import Resend, ResendLimitReached, resends_count
from notifications.services import outbox_enqueue_email

SALT = "firm_portal.invitation"


def _token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[_token(invitation)])


def invitation_create(
    *, user: User, invited_by: User, firm: Firm | None = None, subscription_id: int | None = None
) -> Invitation:
    """The first invitation of an account made a moment ago (no other tenant
    can have issued one yet)."""
    invitation = Invitation(
        user=user, invited_by=invited_by, firm=firm, subscription_id=subscription_id
    )
    _renew(invitation, timezone.now())
    invitation.save()
    return invitation


def invitation_renew(*, invitation: Invitation) -> Invitation:
    """A new link for this very invitation (the caller has checked it is its
    own to renew, and holds its row lock): earlier links stop working."""
    _renew(invitation, timezone.now())
    invitation.save(update_fields=["nonce", "sent_at", "expires_at"])
    return invitation


def _renew(invitation: Invitation, now: datetime) -> None:
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)


def invitations_create_many(
    *, users: list[User], invited_by: User, subscription_ids: list[int]
) -> list[Invitation]:
    """First invitations for brand-new users, written with one INSERT."""
    now = timezone.now()
    invitations = []
    for user, subscription_id in zip(users, subscription_ids, strict=True):
        invitation = Invitation(user=user, invited_by=invited_by, subscription_id=subscription_id)
        _renew(invitation, now)
        invitations.append(invitation)
    return Invitation.objects.bulk_create(invitations)


def invitation_email(
    *, invitation: Invitation, template: str, context: Mapping[str, object]
) -> None:
    outbox_enqueue_email(
        to=invitation.user.email,
        template=template,
        context={
            **context,
            "recipient": invitation.user,
            "invited_by": invitation.invited_by,
            "url": invitation_url(invitation),
            "expires_at": invitation.expires_at,
        },
    )


@dataclass(frozen=True)
class Checked:
    invitation: Invitation | None
    problem: str = ""  # "", "invalid", "expired", "used", "withdrawn"


def invitation_check(*, token: str) -> Checked:
    try:
        data = signing.loads(token, salt=SALT)
        invitation_id, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return Checked(None, "invalid")
    invitation = (
        Invitation.objects.select_related("user", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return Checked(None, "invalid")
    if invitation.withdrawn_at is not None and invitation.accepted_at is None:
        return Checked(invitation, "withdrawn")
    if invitation.accepted_at is not None or not nonce or invitation.nonce != nonce:
        return Checked(invitation, "used")
    if invitation.user.has_usable_password():
        # Left open on an account that has a password since: nothing to set.
        return Checked(invitation, "used")
    if invitation.expires_at <= timezone.now():
        return Checked(invitation, "expired")
    return Checked(invitation)


def invitation_claim(*, token: str, password: str) -> Invitation | None:
    """Set the first password and close the invitation, in the caller's
    transaction; None if the link is no longer valid (used, replaced or
    expired, also when two tabs race) or the account already has a password:
    an invitation link never replaces a password that is set."""
    checked = invitation_check(token=token)
    if checked.problem or checked.invitation is None:
        return None
    invitation = checked.invitation
    user = User.objects.select_for_update().get(pk=invitation.user_id)
    if user.has_usable_password():
        return None
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        nonce=invitation.nonce,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
    ).update(accepted_at=timezone.now(), nonce="")
    if not claimed:
        return None
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.user = user
    return invitation


def invitation_renew_expired(*, token: str) -> None:
    """ "Skicka en ny länk" from an expired link: the same invitation gets a
    new link, to the account's own address. Does nothing for any other link."""
    checked = invitation_check(token=token)
    if checked.problem != "expired" or checked.invitation is None:
        return
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "invited_by")
            .filter(pk=checked.invitation.pk, nonce=checked.invitation.nonce)
            .filter(accepted_at__isnull=True, withdrawn_at__isnull=True)
            .first()
        )
        if invitation is None:
            return
        try:
            resends_count([Resend(item=f"invitation:{invitation.pk}", recipient=invitation.user)])
        except ResendLimitReached:
            return  # the page says the same whatever happened
        invitation_renew(invitation=invitation)
        invitation_email(invitation=invitation, template="invitation-renewed", context={})
