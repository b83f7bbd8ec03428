"""Single-use, expiring invitation links (consultants and client users)."""

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
from notifications.services import outbox_enqueue_email

SALT = "firm_portal.invitation"


def _token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[_token(invitation)])


def invitation_send(
    *,
    user: User,
    invited_by: User,
    template: str,
    context: Mapping[str, object],
    firm: Firm | None = None,
    subscription_id: int | None = None,
) -> Invitation:
    """Create (or renew) the user's open invitation and email the link.
    Renewing rotates the nonce: earlier links stop working."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(user=user, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            invitation = Invitation(
                user=user, invited_by=invited_by, firm=firm, subscription_id=subscription_id
            )
        _renew(invitation, now)
        invitation.save()
        invitation_email(invitation=invitation, template=template, context=context)
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
    problem: str = ""  # "", "invalid", "expired", "used"


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
    if invitation.accepted_at is not None or not nonce or invitation.nonce != nonce:
        return Checked(invitation, "used")
    if invitation.expires_at <= timezone.now():
        return Checked(invitation, "expired")
    return Checked(invitation)


def invitation_accept(*, token: str, password: str) -> User | None:
    """Set the password and close the invitation; None if the link is no
    longer valid (used, replaced or expired) — also when two tabs race."""
    checked = invitation_check(token=token)
    if checked.problem or checked.invitation is None:
        return None
    invitation = checked.invitation
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, nonce=invitation.nonce, accepted_at__isnull=True
        ).update(accepted_at=timezone.now(), nonce="")
        if not claimed:
            return None
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
    return user
