"""Join offers: a person is *asked* to join a client's subscription or a
firm, and only their own "Gå med" (logged in as themselves) or their own
invitation link (sent to their own address) makes them a member.

Whoever asks never changes the account: not its name, mobile, personnummer,
password or open invitations. An account made together with the offer gets
an invitation link to choose its first password; choosing it accepts the
offer. An account that existed before gets an e-mail asking it to log in
and answer under "Inbjudningar" on its start page. Reads are in
firm_portal/selectors.py (`join_offers_for_user`, `join_offer_for_user`).

Invitation links are single-use and expiring: an account made together with
a join offer chooses its first password through one. The link goes by e-mail
only, to the account's own address, so using it proves control of that
address; it never replaces a password that is set, and only the invitation's
own issuer renews it.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Invitation, JoinOffer, Membership, Subscription
from clients.selectors import active_sysadmins
from firm_portal.models import Consultant, Firm, User
from firm_portal.resend_limits import Resend, ResendLimitReached, resends_count
from firm_portal.signed_links import INVITATION, Problem, link_problem, link_read, link_token
from ledger.services import Kind, ledger_record
from notifications.services import outbox_enqueue_email


def _token(invitation: Invitation) -> str:
    return link_token(INVITATION, pk=invitation.pk, nonce=invitation.nonce)


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
    """The invitation a link stands for, or why it does not open
    (firm_portal/signed_links.py)."""
    ref = link_read(INVITATION, token)
    invitation = (
        Invitation.objects.select_related("user", "invited_by").filter(pk=ref.pk).first()
        if ref is not None
        else None
    )
    if ref is None or invitation is None:
        return Checked(None, Problem.INVALID)
    if invitation.withdrawn_at is not None and invitation.accepted_at is None:
        return Checked(invitation, Problem.WITHDRAWN)
    # Left open on an account that has a password since: nothing to set.
    used = invitation.accepted_at is not None or invitation.user.has_usable_password()
    problem = link_problem(ref, nonce=invitation.nonce, used=used, expires_at=invitation.expires_at)
    return Checked(invitation, problem)


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


# --- Join offers ------------------------------------------------------------

# The e-mail of an account made with the offer: its invitation link.
INVITATION_TEMPLATES = {
    JoinOffer.Kind.CLIENT_USER: "invitation-client-user",
    JoinOffer.Kind.CONSULTANT: "invitation-consultant",
}


BUSY = gettext_lazy("Inbjudan kunde inte tas emot just nu. Ladda om sidan och försök igen.")


class JoinOfferRefused(Exception):
    """The offer cannot be accepted (any more); the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def offer_context(offer: JoinOffer) -> dict[str, object]:
    """What the offer's e-mails say: who asks, and to join what."""
    subscription = offer.subscription
    return {
        "firm": offer.firm,
        "client": subscription.client if subscription is not None else None,
        "subscription": subscription,
        "username": offer.user.username,
        "as_sysadmin": offer.as_sysadmin,
    }


def join_offer_email(*, offer: JoinOffer, reminder: bool = False) -> None:
    """Ask an account that exists: log in and answer on the start page. No
    link in it sets a password or logs anyone in."""
    outbox_enqueue_email(
        to=offer.user.email,
        template="join-offer",
        context={
            **offer_context(offer),
            "recipient": offer.user,
            "invited_by": offer.invited_by,
            "url": settings.SITE_URL + reverse("home"),
            "reminder": reminder,
        },
    )


def _own_open_invitation(offer: JoinOffer) -> Invitation | None:
    """The open invitation issued together with this offer (same subscription,
    or same firm for a consultant), locked; never anyone else's."""
    target = (
        {"subscription_id": offer.subscription_id}
        if offer.kind == JoinOffer.Kind.CLIENT_USER
        else {"firm_id": offer.firm_id, "subscription__isnull": True}
    )
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user", "invited_by")
        .filter(
            user_id=offer.user_id, accepted_at__isnull=True, withdrawn_at__isnull=True, **target
        )
        .first()
    )


def join_offer_resend(*, offer: JoinOffer) -> None:
    """ "Skicka igen": an account still without a password gets a new link of
    the invitation issued with this offer (earlier links stop working);
    anyone else gets the offer again. Never a new invitation. In the
    caller's transaction. At a resend cap (firm_portal.resend_limits)
    ResendLimitReached, and nothing is sent."""
    resends_count([Resend(item=f"offer:{offer.pk}", recipient=offer.user)])
    invitation = _own_open_invitation(offer)
    if invitation is not None and not invitation.user.has_usable_password():
        invitation_renew(invitation=invitation)
        invitation_email(
            invitation=invitation,
            template=INVITATION_TEMPLATES[JoinOffer.Kind(offer.kind)],
            context={**offer_context(offer), "reminder": True},
        )
    else:
        join_offer_email(offer=offer, reminder=True)
    offer.sent_at = timezone.now()
    offer.save(update_fields=["sent_at"])


# --- Withdrawing ("Återkalla inbjudan") ------------------------------------------------


class JoinOfferNotPending(Exception):
    """Answered or withdrawn a moment ago: nothing to withdraw."""


@transaction.atomic
def join_offer_withdraw(*, actor: User, offer: JoinOffer) -> JoinOffer:
    """The asking side takes back a pending offer (the caller has checked the
    actor may, through the scoped selector). The invitation link issued with
    this offer stops working and says so; every other tenant's offer to, or
    invitation of, the same person stays as it is. Raises JoinOfferNotPending."""
    locked = (
        JoinOffer.objects.select_for_update(of=("self",))
        .filter(pk=offer.pk, status=JoinOffer.Status.PENDING)
        .first()
    )
    if locked is None:
        raise JoinOfferNotPending
    now = timezone.now()
    invitation = _own_open_invitation(locked)
    if invitation is not None:
        invitation.withdrawn_at = now
        invitation.save(update_fields=["withdrawn_at"])
    locked.status = JoinOffer.Status.WITHDRAWN
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at"])
    ledger_record(
        kind=Kind.INVITATION_WITHDRAWN,
        actor=actor,
        firm=locked.firm_id,
        subscription=locked.subscription_id,
        subject=locked.user_id,
        before={"invited_as": locked.kind},
        detail=_("Länken i inbjudan slutade gälla.") if invitation is not None else "",
    )
    return locked


# --- Answering -------------------------------------------------------------------------


def _lock_pending(*, offer_id: int, user: User) -> JoinOffer:
    offer = (
        JoinOffer.objects.select_for_update(of=("self",))
        .select_related("firm", "subscription__client", "user")
        .filter(pk=offer_id, user=user)
        .first()
    )
    if offer is None or offer.status != JoinOffer.Status.PENDING:
        raise JoinOfferRefused(_("Inbjudan är redan besvarad."))
    return offer


class FirmCoupled(Protocol):
    """Whether the firm collaborates with the subscription now (an agreed
    coupling): `collaboration.selectors.firm_coupled`, passed in by the
    pages, since collaboration sits above clients (README, "Layers")."""

    def __call__(self, *, firm_id: int, subscription_id: int) -> bool: ...


def _target_name(offer: JoinOffer) -> str:
    if offer.subscription is not None:
        return offer.subscription.client.name
    return offer.firm.name


def _join_subscription(offer: JoinOffer, firm_coupled: FirmCoupled) -> str:
    subscription = offer.subscription
    assert subscription is not None  # noqa: S101 – a database constraint
    if offer.as_sysadmin:
        return _join_as_sysadmin(offer, subscription, firm_coupled)
    joined = _("Du är nu användare hos %(client)s.") % {"client": subscription.client.name}
    if Membership.objects.filter(subscription=subscription, user=offer.user).exists():
        return joined
    if subscription.status == Subscription.Status.ENDED:
        raise JoinOfferRefused(
            _("Abonnemanget för %(client)s är avslutat, så inbjudan gäller inte längre.")
            % {"client": subscription.client.name}
        )
    if (
        not active_sysadmins(subscription=subscription)
        .filter(consultant__firm_id=offer.firm_id)
        .exists()
    ):
        raise JoinOfferRefused(
            _(
                "%(firm)s är inte längre systemadministratör hos %(client)s, så inbjudan "
                "gäller inte längre."
            )
            % {"firm": offer.firm.name, "client": subscription.client.name}
        )
    Membership.objects.create(subscription=subscription, user=offer.user)
    ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=offer.user,
        firm=offer.firm_id,
        subscription=subscription,
        subject=offer.user,
        detail=_("Bjud in klientanvändare"),
    )
    return joined


def _join_as_sysadmin(
    offer: JoinOffer, subscription: Subscription, firm_coupled: FirmCoupled
) -> str:
    """The system administrator a manual coupling's paper form names: a
    member with "Systemadministratör", while the firm's coupling is live
    (`firm_coupled`: collaboration knows, above; the page passes it in)."""
    if subscription.status == Subscription.Status.ENDED:
        raise JoinOfferRefused(
            _("Abonnemanget för %(client)s är avslutat, så inbjudan gäller inte längre.")
            % {"client": subscription.client.name}
        )
    if not firm_coupled(firm_id=offer.firm_id, subscription_id=subscription.pk):
        raise JoinOfferRefused(
            _(
                "%(firm)s är inte längre sammankopplad med %(client)s, så inbjudan gäller "
                "inte längre."
            )
            % {"firm": offer.firm.name, "client": subscription.client.name}
        )
    membership, created = Membership.objects.select_for_update().get_or_create(
        subscription=subscription, user=offer.user, defaults={"is_sysadmin": True}
    )
    if created:
        ledger_record(
            kind=Kind.MEMBER_ADDED,
            actor=offer.user,
            firm=offer.firm_id,
            subscription=subscription,
            subject=offer.user,
            detail=_("Systemadministratör enligt blanketten"),
        )
    changed = created
    if not membership.is_sysadmin:
        membership.is_sysadmin = changed = True
        membership.save(update_fields=["is_sysadmin"])
    if changed:
        ledger_record(
            kind=Kind.SYSADMIN_CHANGED,
            actor=offer.user,
            firm=offer.firm_id,
            subscription=subscription,
            subject=offer.user,
            before={"is_sysadmin": False},
            after={"is_sysadmin": True},
            detail=_("Systemadministratör enligt blanketten"),
        )
    return _("Du är nu systemadministratör hos %(client)s.") % {"client": subscription.client.name}


def _join_firm(offer: JoinOffer) -> str:
    firm = offer.firm
    roles = list(Consultant.objects.filter(user=offer.user).select_related("firm"))
    elsewhere = next((c for c in roles if c.is_active and c.firm_id != firm.pk), None)
    if elsewhere is not None:
        raise JoinOfferRefused(
            _(
                "Du är redan konsult på %(other)s. Man kan vara konsult på en byrå i taget: "
                "be %(other)s avsluta dig som konsult först, eller tacka nej till inbjudan."
            )
            % {"other": elsewhere.firm.name}
        )
    here = next((c for c in roles if c.firm_id == firm.pk), None)
    if here is not None and not here.is_active:
        raise JoinOfferRefused(
            _(
                "Du har avslutats som konsult på %(firm)s och kan inte gå med igen genom en "
                "inbjudan. Kontakta byrån."
            )
            % {"firm": firm.name}
        )
    if here is None:
        Consultant.objects.create(user=offer.user, firm=firm)
    return _("Du är nu konsult på %(firm)s.") % {"firm": firm.name}


def _accept(offer: JoinOffer, firm_coupled: FirmCoupled) -> str:
    if offer.kind == JoinOffer.Kind.CLIENT_USER:
        message = _join_subscription(offer, firm_coupled)
    else:
        message = _join_firm(offer)
    offer.status = JoinOffer.Status.ACCEPTED
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_at"])
    return message


def join_offer_accept(*, offer_id: int, user: User, firm_coupled: FirmCoupled) -> str:
    """ "Gå med", logged in as the person asked. Returns the message to show;
    raises JoinOfferRefused (nothing changed) when it cannot be done."""
    try:
        with transaction.atomic():
            return _accept(_lock_pending(offer_id=offer_id, user=user), firm_coupled)
    except IntegrityError:
        # Made a consultant elsewhere at this very moment (one active firm each).
        raise JoinOfferRefused(str(BUSY)) from None


@transaction.atomic
def join_offer_decline(*, offer_id: int, user: User) -> str:
    """ "Avböj": nothing about the account or its access changes."""
    offer = _lock_pending(offer_id=offer_id, user=user)
    offer.status = JoinOffer.Status.DECLINED
    offer.decided_at = timezone.now()
    offer.save(update_fields=["status", "decided_at"])
    return _("Du har tackat nej till inbjudan till %(target)s.") % {"target": _target_name(offer)}


@dataclass(frozen=True)
class Claimed:
    user: User
    joined: str = ""  # the message of the offer accepted with it
    refused: str = ""  # why it could not be (it stays on the start page)


def join_offer_accept_by_invitation(
    *, token: str, password: str, firm_coupled: FirmCoupled
) -> Claimed | None:
    """The invitation link of an account made with an offer: choose the
    first password and accept the offer it came with, in one transaction.
    None when the link is not valid (any more). An offer that cannot be
    accepted any more stays pending on the start page; the password is set."""
    with transaction.atomic():
        invitation = invitation_claim(token=token, password=password)
        if invitation is None:
            return None
        target = (
            {"subscription_id": invitation.subscription_id}
            if invitation.subscription_id is not None
            else {"firm_id": invitation.firm_id, "kind": JoinOffer.Kind.CONSULTANT}
        )
        offer_id = (
            JoinOffer.objects.filter(
                user_id=invitation.user_id, status=JoinOffer.Status.PENDING, **target
            )
            .values_list("pk", flat=True)
            .first()
        )
        user = invitation.user
        if offer_id is None:
            return Claimed(user)
        try:
            with transaction.atomic():
                joined = _accept(_lock_pending(offer_id=offer_id, user=user), firm_coupled)
        except JoinOfferRefused as refused:
            return Claimed(user, refused=refused.message)
        except IntegrityError:
            return Claimed(user, refused=str(BUSY))
        return Claimed(user, joined=joined)
