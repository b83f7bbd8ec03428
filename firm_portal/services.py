"""Writes for the firm's own administration (Flow 3): client-manager seats,
consultant accounts and their flags, client assignments, "Lägg till konsult"."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.invitations.services import (
    invitation_create,
    invitation_email,
    invitation_renew,
    join_offer_email,
    join_offer_resend,
    offer_context,
)
from clients.models import ClientAssignment, Invitation, JoinOffer, Membership, Subscription
from collaboration.models import Coupling
from firm_portal.emails import normalize_email
from firm_portal.models import Consultant, Firm, User
from firm_portal.resend_limits import Resend, resends_count
from ledger.models import AccessEvent
from ledger.services import Kind, ledger_record
from licensing.models import ClientManagerSeatChange

MAX_SEAT_CHANGE = 500


def require_firm_admin(*, actor: Consultant) -> None:
    if not actor.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer kan göra det."))


def require_assignment_admin(*, actor: Consultant) -> None:
    if not actor.sees_all_clients:
        raise PermissionDenied(_("Bara programadministratörer kan tilldela klienter."))


def _lock_firm(firm_id: int) -> Firm:
    return Firm.objects.select_for_update().get(pk=firm_id)


def seats_used(*, firm_id: int) -> int:
    return Consultant.objects.filter(
        firm_id=firm_id, is_active=True, has_client_manager_seat=True
    ).count()


@transaction.atomic
def firm_seats_change(*, actor: Consultant, delta: int) -> Firm:
    """ "Lägg till licenser" (delta > 0, billed) or release unused ones (delta < 0)."""
    require_firm_admin(actor=actor)
    if delta == 0 or abs(delta) > MAX_SEAT_CHANGE:
        raise ValidationError(
            _("Ange ett antal mellan 1 och %(max)s.") % {"max": MAX_SEAT_CHANGE},
            code="invalid_count",
        )
    firm = _lock_firm(actor.firm_id)
    if delta < 0:
        free = firm.client_manager_seats - seats_used(firm_id=firm.pk)
        if -delta > free:
            raise ValidationError(
                ngettext(
                    "Bara %(free)s licens är ledig. Ta först bort licensen från de "
                    "konsulter som inte ska använda Klienthanteraren.",
                    "Bara %(free)s licenser är lediga. Ta först bort licensen från de "
                    "konsulter som inte ska använda Klienthanteraren.",
                    free,
                )
                % {"free": free},
                code="seats_in_use",
            )
    Firm.objects.filter(pk=firm.pk).update(client_manager_seats=F("client_manager_seats") + delta)
    firm.refresh_from_db(fields=["client_manager_seats"])
    ClientManagerSeatChange.objects.create(
        firm=firm, delta=delta, seats_after=firm.client_manager_seats, actor=actor.user
    )
    ledger_record(
        kind=Kind.SEATS_CHANGED,
        actor=actor.user,
        firm=firm,
        before={"seats": firm.client_manager_seats - delta},
        after={"seats": firm.client_manager_seats},
    )
    return firm


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


@transaction.atomic
def consultant_set_seat(*, actor: Consultant, consultant: Consultant, has_seat: bool) -> Consultant:
    """Assign or withdraw a client-manager seat."""
    require_firm_admin(actor=actor)
    firm = _lock_firm(actor.firm_id)
    consultant.refresh_from_db(fields=["has_client_manager_seat", "is_active"])
    if consultant.has_client_manager_seat == has_seat:
        return consultant
    if has_seat:
        if not consultant.is_active:
            raise ValidationError(_("Konsulten är avslutad."), code="inactive")
        if seats_used(firm_id=firm.pk) >= firm.client_manager_seats:
            raise ValidationError(
                ngettext(
                    "Byråns %(seats)s licens för Klienthanteraren används. Lägg till licenser "
                    "först.",
                    "Alla %(seats)s licenser för Klienthanteraren används. Lägg till licenser "
                    "först.",
                    firm.client_manager_seats,
                )
                % {"seats": firm.client_manager_seats},
                code="no_free_seat",
            )
    consultant.has_client_manager_seat = has_seat
    consultant.save(update_fields=["has_client_manager_seat"])
    ledger_record(
        kind=Kind.SEAT_ASSIGNED,
        actor=actor.user,
        firm=actor.firm_id,
        subject=consultant.user_id,
        before={"has_seat": not has_seat},
        after={"has_seat": has_seat},
    )
    return consultant


@transaction.atomic
def consultant_set_roles(
    *,
    actor: Consultant,
    consultant: Consultant,
    is_firm_admin: bool,
    is_client_manager_admin: bool,
) -> Consultant:
    """Firm-admin and program-admin flags; the last firm admin stays."""
    require_firm_admin(actor=actor)
    _lock_firm(actor.firm_id)
    consultant.refresh_from_db(fields=["is_firm_admin", "is_client_manager_admin"])
    if consultant.is_firm_admin and not is_firm_admin:
        others = (
            Consultant.objects.filter(firm_id=actor.firm_id, is_active=True, is_firm_admin=True)
            .exclude(pk=consultant.pk)
            .exists()
        )
        if not others:
            raise ValidationError(
                _(
                    "%(name)s är byråns enda administratör. Gör någon annan till "
                    "administratör först."
                )
                % {"name": consultant.user.full_name},
                code="last_firm_admin",
            )
    before = {
        "is_firm_admin": consultant.is_firm_admin,
        "is_client_manager_admin": consultant.is_client_manager_admin,
    }
    after = {"is_firm_admin": is_firm_admin, "is_client_manager_admin": is_client_manager_admin}
    if before == after:
        return consultant
    consultant.is_firm_admin = is_firm_admin
    consultant.is_client_manager_admin = is_client_manager_admin
    consultant.save(update_fields=["is_firm_admin", "is_client_manager_admin"])
    ledger_record(
        kind=Kind.ROLE_CHANGED,
        actor=actor.user,
        firm=actor.firm_id,
        subject=consultant.user_id,
        before=before,
        after=after,
    )
    return consultant


def firm_subscriptions(*, firm_id: int):  # type: ignore[no-untyped-def]
    """Subscriptions the firm is coupled to (active or scheduled)."""
    return Subscription.objects.filter(
        couplings__firm_id=firm_id,
        couplings__status__in=Coupling.AGREED_STATUSES,
    )


@transaction.atomic
def assignments_update(
    *, actor: Consultant, consultant: Consultant, shown: set[int], checked: set[int]
) -> tuple[int, int]:
    """Tick/untick clients for a consultant among those `shown` in the panel.
    Returns (added, removed)."""
    require_assignment_admin(actor=actor)
    valid = set(
        firm_subscriptions(firm_id=actor.firm_id)
        .filter(pk__in=shown | checked)
        .values_list("pk", flat=True)
    )
    wanted = checked & valid
    removable = (shown & valid) - wanted
    removed_ids = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=removable
        ).values_list("subscription_id", flat=True)
    )
    removed, _details = ClientAssignment.objects.filter(
        consultant=consultant, subscription_id__in=removed_ids
    ).delete()
    existing = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=wanted
        ).values_list("subscription_id", flat=True)
    )
    added = wanted - existing
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=pk) for pk in added],
        ignore_conflicts=True,
    )
    _record_assignments(actor=actor, consultant=consultant, added=added, removed=removed_ids)
    return len(added), removed


@transaction.atomic
def assignments_select_all(
    *, actor: Consultant, consultant: Consultant, subscription_ids: list[int]
) -> int:
    """ "Markera alla" for the filtered set."""
    require_assignment_admin(actor=actor)
    valid = set(
        firm_subscriptions(firm_id=actor.firm_id)
        .filter(pk__in=subscription_ids)
        .values_list("pk", flat=True)
    )
    existing = set(
        ClientAssignment.objects.filter(
            consultant=consultant, subscription_id__in=valid
        ).values_list("subscription_id", flat=True)
    )
    added = valid - existing
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=pk) for pk in added],
        ignore_conflicts=True,
    )
    _record_assignments(actor=actor, consultant=consultant, added=added, removed=set())
    return len(added)


def _record_assignments(
    *, actor: Consultant, consultant: Consultant, added: set[int], removed: set[int]
) -> None:
    """One ledger event per client whose assignment changed."""
    AccessEvent.objects.bulk_create(
        AccessEvent(
            kind=Kind.ASSIGNMENT_CHANGED,
            actor_id=actor.user_id,
            firm_id=actor.firm_id,
            subscription_id=subscription_id,
            subject_id=consultant.user_id,
            before={"assigned": subscription_id in removed},
            after={"assigned": subscription_id in added},
        )
        for subscription_id in sorted(added | removed)
    )


def assignment_ensure(*, consultant: Consultant, subscription_id: int) -> None:
    # One INSERT … ON CONFLICT DO NOTHING (get_or_create costs four queries).
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=subscription_id)],
        ignore_conflicts=True,
    )


@transaction.atomic
def consultant_add_to_subscription(
    *, actor_user: User, subscription: Subscription, consultant: Consultant
) -> Membership:
    """ "Lägg till konsult": a sysadmin who is a consultant of the same firm adds
    a colleague to the client's subscription (and to their client list)."""
    from clients.selectors import active_sysadmins

    sysadmin = active_sysadmins(subscription=subscription).filter(user=actor_user).first()
    if sysadmin is None or sysadmin.consultant is None:
        raise PermissionDenied(_("Du är inte systemadministratör i abonnemanget."))
    if consultant.firm_id != sysadmin.consultant.firm_id or not consultant.is_active:
        raise ValidationError(_("Välj en konsult från din byrå."), code="other_firm")
    membership, created = Membership.objects.get_or_create(
        subscription=subscription, user=consultant.user, defaults={"consultant": consultant}
    )
    if not created:
        raise ValidationError(
            _("%(name)s finns redan i abonnemanget.") % {"name": consultant.user.full_name},
            code="already_member",
        )
    ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=actor_user,
        firm=consultant.firm_id,
        subscription=subscription,
        subject=consultant.user_id,
        detail=_("Lägg till konsult"),
    )
    assignment_ensure(consultant=consultant, subscription_id=subscription.pk)
    return membership
