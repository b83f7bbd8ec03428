"""Flow 3, "Lägg till användare": the firm asks a person to join it as a
consultant (an invitation for a new address, a join offer for an account
that exists), and asks again. Beside the other invitations: the rows it
writes are clients' (Invitation, JoinOffer)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.invitations.services import (
    invitation_create,
    invitation_email,
    invitation_renew,
    join_offer_email,
    join_offer_resend,
    offer_context,
)
from clients.models import Invitation, JoinOffer
from firm_portal.emails import normalize_email
from firm_portal.models import Consultant, User
from firm_portal.resend_limits import Resend, resends_count
from firm_portal.services import require_firm_admin


def consultant_invite(*, actor: Consultant, full_name: str, email: str, mobile: str = "") -> None:
    """ "Lägg till användare": the person is asked to join the firm as a
    consultant. A new address gets an account (the name and mobile typed
    here) and an invitation link to choose a password, which accepts; an
    account that exists is not changed and gets the offer, which it accepts
    while logged in. The firm sees both alike (invited): the answer does not
    tell whether an account existed. Asking again resends."""
    require_firm_admin(actor=actor)
    email = normalize_email(email)
    try:
        with transaction.atomic():
            user = User.objects.by_email(email)
            if user is None:
                user = User.objects.create_user(
                    email, password=None, full_name=full_name.strip(), mobile=mobile
                )
                offer = _consultant_offer(actor=actor, user=user)
                invitation = invitation_create(user=user, invited_by=actor.user, firm=actor.firm)
                invitation_email(
                    invitation=invitation,
                    template="invitation-consultant",
                    context=offer_context(offer),
                )
                return
            _refuse_own_consultant(actor=actor, user=user)
            pending = (
                JoinOffer.objects.select_for_update(of=("self",))
                .select_related("user", "firm", "invited_by")
                .filter(
                    user=user,
                    firm_id=actor.firm_id,
                    kind=JoinOffer.Kind.CONSULTANT,
                    status=JoinOffer.Status.PENDING,
                )
                .first()
            )
            if pending is not None:
                join_offer_resend(offer=pending)
            else:
                join_offer_email(offer=_consultant_offer(actor=actor, user=user))
    except IntegrityError:
        # The same address invited at this very moment by someone else.
        raise ValidationError(
            _("Inbjudan kunde inte skickas just nu. Försök igen."), code="busy"
        ) from None


def _consultant_offer(*, actor: Consultant, user: User) -> JoinOffer:
    return JoinOffer.objects.create(
        user=user,
        kind=JoinOffer.Kind.CONSULTANT,
        firm=actor.firm,
        invited_by=actor.user,
        sent_at=timezone.now(),
    )


def _refuse_own_consultant(*, actor: Consultant, user: User) -> None:
    """The firm's own consultants (its own data, no one else's) cannot be
    invited again."""
    own = Consultant.objects.filter(firm_id=actor.firm_id, user=user).first()
    if own is None:
        return
    if own.is_active:
        message = _("%(email)s är redan konsult på byrån.")
    else:
        message = _("%(email)s är avslutad som konsult på byrån och kan inte bjudas in igen.")
    raise ValidationError(message % {"email": user.email}, code="own_consultant")


@transaction.atomic
def consultant_offer_resend(*, actor: Consultant, offer: JoinOffer) -> JoinOffer:
    """ "Skicka inbjudan igen" for someone the firm has asked to join."""
    require_firm_admin(actor=actor)
    offer = (
        JoinOffer.objects.select_for_update(of=("self",))
        .select_related("user", "firm", "invited_by")
        .get(pk=offer.pk)
    )
    if offer.status != JoinOffer.Status.PENDING:
        raise ValidationError(_("Inbjudan är redan besvarad."), code="answered")
    join_offer_resend(offer=offer)
    return offer


@transaction.atomic
def consultant_reinvite(*, actor: Consultant, consultant: Consultant) -> Invitation:
    """A new link for a consultant the firm added before join offers existed:
    only the firm's own open invitation, and only while no password is set."""
    require_firm_admin(actor=actor)
    if not consultant.is_active:
        raise ValidationError(
            _("%(name)s är avslutad och kan inte bjudas in igen.")
            % {"name": consultant.user.full_name},
            code="ended",
        )
    if consultant.user.has_usable_password():
        raise ValidationError(
            _("%(name)s har redan loggat in och behöver ingen ny inbjudan.")
            % {"name": consultant.user.full_name},
            code="already_accepted",
        )
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user", "invited_by")
        .filter(
            user=consultant.user,
            firm_id=actor.firm_id,
            subscription__isnull=True,
            accepted_at__isnull=True,
        )
        .first()
    )
    if invitation is None:
        raise ValidationError(
            _("%(name)s har ingen öppen inbjudan från byrån att skicka igen.")
            % {"name": consultant.user.full_name},
            code="no_invitation",
        )
    resends_count([Resend(item=f"invitation:{invitation.pk}", recipient=consultant.user)])
    invitation_renew(invitation=invitation)
    invitation_email(
        invitation=invitation, template="invitation-consultant", context={"firm": actor.firm}
    )
    return invitation
