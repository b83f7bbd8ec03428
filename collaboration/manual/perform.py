""" "Genomför koppling" (Flow 6): support staff perform a registered paper
form from Django admin (collaboration/manual/services.py registers it and decides the
fee). Performing creates the coupling exactly like an approved request and
puts the fee on the firm's next invoice, once, however many times (or by how
many people at once) it is clicked.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.invitations.services import (
    INVITATION_TEMPLATES,
    invitation_create,
    invitation_email,
    join_offer_email,
    offer_context,
)
from clients.models import Invitation, JoinOffer, Membership, Subscription
from clients.selectors import active_sysadmins
from clients.services import assignment_ensure, responsible_consultant_join
from collaboration.manual.services import (
    PERFORM_PERMISSION,
    STORED_LANGUAGE,
    _already_coupled_message,
    _live_coupling_exists,
    kronor,
    manual_coupling_override_note,
)
from collaboration.models import CollaborationRequest, Coupling, ManualCoupling
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_record
from licensing.models import FirmCharge
from notifications.services import outbox_enqueue_email


class PerformOutcome(enum.StrEnum):
    PERFORMED = "performed"
    ALREADY_PERFORMED = "already_performed"
    REFUSED = "refused"


@dataclass(frozen=True)
class PerformResult:
    outcome: PerformOutcome
    message: str
    manual: ManualCoupling
    coupling: Coupling | None = None
    charge: FirmCharge | None = None
    # Whether this call changed the form (performed it, or closed it as refused).
    changed: bool = False


def _refuse(manual: ManualCoupling, *, actor: User, reason: str, final: bool) -> PerformResult:
    """Refuse to perform. A final refusal (the coupling exists already, the
    subscription has ended) closes the form; otherwise it stays registered
    so staff can correct it and try again."""
    if final:
        manual.status = ManualCoupling.Status.REFUSED
        manual.refused_by = actor
        manual.refused_at = timezone.now()
        manual.refused_reason = reason[:300]
        manual.save(update_fields=["status", "refused_by", "refused_at", "refused_reason"])
    return PerformResult(
        PerformOutcome.REFUSED,
        _("Manuell koppling #%(id)s genomfördes inte: %(reason)s")
        % {"id": manual.pk, "reason": reason},
        manual,
        changed=final,
    )


def _handled_result(manual: ManualCoupling) -> PerformResult:
    """A form performed or refused before: nothing changes."""
    outcome = (
        PerformOutcome.ALREADY_PERFORMED
        if manual.status == ManualCoupling.Status.PERFORMED
        else PerformOutcome.REFUSED
    )
    return PerformResult(outcome, _handled_message(manual), manual, manual.coupling)


def _handled_message(manual: ManualCoupling) -> str:
    if manual.status == ManualCoupling.Status.PERFORMED and manual.performed_at is not None:
        return _("Manuell koppling #%(id)s är redan genomförd (%(when)s av %(name)s).") % {
            "id": manual.pk,
            "when": date_format(timezone.localtime(manual.performed_at), "j F Y H:i"),
            "name": manual.performed_by.full_name if manual.performed_by else "–",
        }
    return _("Manuell koppling #%(id)s är redan nekad: %(reason)s") % {
        "id": manual.pk,
        "reason": manual.refused_reason,
    }


@transaction.atomic
def manual_coupling_perform(*, manual_id: int, actor: User) -> PerformResult:
    """ "Genomför koppling": create the coupling exactly like an approved
    request, make the responsible consultant a member, tell the firm and the
    client's sysadmins, and charge the fee on the firm's next invoice.

    The form's row is locked first, so a double click or two staff at once
    perform it once: the others wait, then see it performed. Refusals are
    results, not errors."""
    if not actor.has_perm(PERFORM_PERMISSION):
        raise PermissionDenied(_("Du får inte genomföra manuella kopplingar."))
    # Lock the form only, without joins: a row re-read after waiting for the
    # lock would come with stale joined rows.
    manual = ManualCoupling.objects.select_for_update().get(pk=manual_id)
    if manual.status != ManualCoupling.Status.REGISTERED:
        return _handled_result(manual)
    subscription = manual.subscription
    if subscription is None:
        return _refuse(manual, actor=actor, reason=_("Blanketten saknar abonnemang."), final=False)
    refusal = _perform_refusal(manual, subscription=subscription, actor=actor)
    if refusal is not None:
        return refusal
    responsible = manual.responsible_consultant

    now = timezone.now()
    coupling = _coupling_create(manual, subscription=subscription, now=now)
    if coupling is None:
        # A request was approved for the same firm at this very moment.
        return _refuse(
            manual, actor=actor, reason=_already_coupled_message(subscription), final=True
        )

    with translation.override(STORED_LANGUAGE):
        names_sysadmin, sysadmin_offer = _members_join(
            manual, subscription=subscription, actor=actor, now=now
        )
        charge = _record_and_charge(manual, coupling=coupling, actor=actor)

    manual.status = ManualCoupling.Status.PERFORMED
    manual.performed_by = actor
    manual.performed_at = now
    manual.coupling = coupling
    manual.save(update_fields=["status", "performed_by", "performed_at", "coupling"])

    _notify(manual=manual, coupling=coupling, subscription=subscription, responsible=responsible)
    if sysadmin_offer is not None:
        sysadmin_offer()
    return PerformResult(
        PerformOutcome.PERFORMED,
        _performed_message(
            manual,
            subscription=subscription,
            charged=charge is not None,
            names_sysadmin=names_sysadmin,
        ),
        manual,
        coupling,
        charge,
        changed=True,
    )


def _perform_refusal(
    manual: ManualCoupling, *, subscription: Subscription, actor: User
) -> PerformResult | None:
    """Why a registered form cannot be performed now (None if it can)."""
    if subscription.status == Subscription.Status.ENDED:
        return _refuse(
            manual,
            actor=actor,
            reason=_("Abonnemanget %(number)s är avslutat.") % {"number": subscription.number},
            final=True,
        )
    responsible = manual.responsible_consultant
    if (
        responsible.firm_id != manual.firm_id
        or not responsible.is_active
        or not responsible.user.is_active
    ):
        return _refuse(
            manual,
            actor=actor,
            reason=_(
                "Ansvarig konsult %(name)s är inte längre aktiv på byrån. Byt ansvarig "
                "konsult och genomför kopplingen igen."
            )
            % {"name": responsible.user.full_name},
            final=False,
        )
    if _live_coupling_exists(firm_id=manual.firm_id, subscription=subscription):
        return _refuse(
            manual, actor=actor, reason=_already_coupled_message(subscription), final=True
        )
    return None


def _members_join(
    manual: ManualCoupling, *, subscription: Subscription, actor: User, now: datetime
) -> tuple[bool, Callable[[], None] | None]:
    """What a coupling brings with it: the firm's pending request closed, the
    responsible consultant a member and assigned, and the form's sysadmin
    installed or asked. Returns whether the form names the sysadmin, and the
    offer to send after the coupling's e-mails."""
    responsible = manual.responsible_consultant
    _close_pending_requests(manual=manual, subscription=subscription, actor=actor, now=now)
    responsible_consultant_join(
        subscription=subscription,
        consultant=responsible,
        actor=actor,
        detail=_("Ansvarig konsult i en manuell koppling."),
    )
    assignment_ensure(consultant=responsible, subscription_id=subscription.pk)
    # The form's sysadmin is for a subscription that has none; one that
    # has an active sysadmin keeps its own, who gives the consultant rights.
    names_sysadmin = not active_sysadmins(subscription=subscription).exists()
    sysadmin_offer = (
        _named_sysadmin_install(
            manual=manual, subscription=subscription, responsible=responsible, actor=actor
        )
        if names_sysadmin
        else None
    )
    return names_sysadmin, sysadmin_offer


def _coupling_create(
    manual: ManualCoupling, *, subscription: Subscription, now: datetime
) -> Coupling | None:
    """The active coupling, or None when the firm's live coupling was made
    at this very moment (the database's unique constraint)."""
    try:
        with transaction.atomic():
            return Coupling.objects.create(
                firm=manual.firm,
                subscription=subscription,
                responsible_consultant=manual.responsible_consultant,
                status=Coupling.Status.ACTIVE,
                starts_on=today_in_stockholm(),
                activated_at=now,
            )
    except IntegrityError:
        return None


def _record_and_charge(
    manual: ManualCoupling, *, coupling: Coupling, actor: User
) -> FirmCharge | None:
    """The ledger's event of the coupling, and the fee as a charge on the
    firm's next invoice (none when the coupling is free)."""
    subscription = coupling.subscription
    ledger_record(
        kind=Kind.MANUAL_COUPLING,
        actor=actor,
        firm=manual.firm,
        subscription=subscription,
        subject=manual.responsible_consultant.user_id,
        before=(
            {"computed_fee": str(manual.computed_fee)}
            if manual.fee != manual.computed_fee
            else None
        ),
        after={
            "manual_coupling": manual.pk,
            "coupling": coupling.status,
            "starts_on": coupling.starts_on.isoformat(),
            "form_received_on": manual.form_received_on.isoformat(),
            "fee": str(manual.fee),
        },
        detail=_ledger_detail(manual),
    )
    if manual.fee <= 0:
        return None
    return FirmCharge.objects.create(
        firm=manual.firm,
        amount=manual.fee,
        description=_("Manuell koppling: %(client)s (abonnemang %(number)s)")
        % {"client": subscription.client.name, "number": subscription.number},
        source=FirmCharge.Source.MANUAL_COUPLING,
        manual_coupling_id=manual.pk,
    )


def _performed_message(
    manual: ManualCoupling, *, subscription: Subscription, charged: bool, names_sysadmin: bool
) -> str:
    """What staff are told once the coupling is made: the fee, and who is
    (or is asked to become) the subscription's system administrator."""
    if charged:
        message = _(
            "Manuell koppling #%(id)s genomförd: %(firm)s är sammankopplad med %(client)s "
            "(abonnemang %(number)s). Avgiften %(fee)s läggs på byråns nästa faktura."
        )
    else:
        message = _(
            "Manuell koppling #%(id)s genomförd: %(firm)s är sammankopplad med %(client)s "
            "(abonnemang %(number)s). Kopplingen är kostnadsfri."
        )
    message = message % {
        "id": manual.pk,
        "firm": manual.firm.name,
        "client": subscription.client.name,
        "number": subscription.number,
        "fee": kronor(manual.fee),
    }
    if not names_sysadmin:
        sysadmin_text = ""
    elif manual.sysadmin_named == ManualCoupling.SysadminNamed.CLIENT_PERSON:
        sysadmin_text = _(
            "%(name)s (%(email)s) har fått en inbjudan att bli systemadministratör och blir "
            "det när inbjudan accepteras."
        ) % {"name": manual.sysadmin_name, "email": manual.sysadmin_email}
    else:
        sysadmin_text = _("%(name)s är systemadministratör enligt blanketten.") % {
            "name": manual.responsible_consultant.user.full_name
        }
    return f"{message} {sysadmin_text}".strip()


def _named_sysadmin_install(
    *, manual: ManualCoupling, subscription: Subscription, responsible: Consultant, actor: User
) -> Callable[[], None] | None:
    """The system administrator the form names. The responsible consultant,
    a member through the coupling like after an approved request, is made
    sysadmin at once. A person at the client is *asked* (issue 13's account
    rule): an account that exists gets a join offer to accept under
    "Inbjudningar" as itself; a new address gets an account without a
    password and an invitation link to its own address. Either becomes
    sysadmin on accepting. Returns what to send after the coupling's e-mails."""
    if manual.sysadmin_named != ManualCoupling.SysadminNamed.CLIENT_PERSON:
        membership = Membership.objects.select_for_update().get(
            subscription=subscription, user=responsible.user
        )
        if not membership.is_sysadmin:
            membership.is_sysadmin = True
            membership.save(update_fields=["is_sysadmin"])
            ledger_record(
                kind=Kind.SYSADMIN_CHANGED,
                actor=actor,
                firm=manual.firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                before={"is_sysadmin": False},
                after={"is_sysadmin": True},
                detail=_("Systemadministratör enligt blanketten (manuell koppling #%(id)s).")
                % {"id": manual.pk},
            )
        return None
    return sysadmin_offer_make(
        email=manual.sysadmin_email,
        full_name=manual.sysadmin_name,
        firm=manual.firm,
        subscription=subscription,
        invited_by=actor,
    )


def sysadmin_offer_make(
    *, email: str, full_name: str, firm: Firm, subscription: Subscription, invited_by: User
) -> Callable[[], None]:
    """Ask the person at `email` to become the subscription's sysadmin (a
    join offer, and for a new address an account and an invitation). In the
    caller's transaction; returns the sending of the e-mail."""
    user = User.objects.filter(email__iexact=email).first()
    now = timezone.now()
    if user is None:
        user = User.objects.create(email=email, full_name=full_name, password=make_password(None))
        invitation: Invitation | None = invitation_create(
            user=user, invited_by=invited_by, subscription_id=subscription.pk
        )
    else:
        invitation = None
    offer = JoinOffer.objects.filter(
        user=user,
        subscription=subscription,
        kind=JoinOffer.Kind.CLIENT_USER,
        status=JoinOffer.Status.PENDING,
    ).first()
    if offer is None:
        offer = JoinOffer.objects.create(
            user=user,
            kind=JoinOffer.Kind.CLIENT_USER,
            firm=firm,
            subscription=subscription,
            invited_by=invited_by,
            as_sysadmin=True,
            sent_at=now,
        )
    else:
        offer.as_sysadmin = True
        offer.sent_at = now
        offer.save(update_fields=["as_sysadmin", "sent_at"])

    def send() -> None:
        if invitation is not None:
            invitation_email(
                invitation=invitation,
                template=INVITATION_TEMPLATES[JoinOffer.Kind.CLIENT_USER],
                context=offer_context(offer),
            )
        else:
            join_offer_email(offer=offer)

    return send


def _ledger_detail(manual: ManualCoupling) -> str:
    received = date_format(manual.form_received_on, "Y-m-d")
    if manual.fee != manual.computed_fee:
        fee_text = manual_coupling_override_note(manual)
    else:
        fee_text = _("Avgift %(fee)s. %(reason)s") % {
            "fee": kronor(manual.fee),
            "reason": manual.fee_reason,
        }
    return _("Blankett mottagen %(date)s. %(fee)s") % {"date": received, "fee": fee_text}


def _close_pending_requests(
    *, manual: ManualCoupling, subscription: Subscription, actor: User, now: datetime
) -> None:
    """A pending request from the firm is answered by the manual coupling:
    withdraw it, so its to-do cards disappear for the sysadmins."""
    pending = list(
        CollaborationRequest.objects.select_for_update()
        .filter(
            firm_id=manual.firm_id,
            subscription=subscription,
            status=CollaborationRequest.Status.PENDING,
        )
        .values_list("pk", "responsible_consultant__user_id")
    )
    if not pending:
        return
    CollaborationRequest.objects.filter(pk__in=[pk for pk, _user in pending]).update(
        status=CollaborationRequest.Status.WITHDRAWN, decided_at=now, decided_by=actor
    )
    for _pk, subject_id in pending:
        ledger_record(
            kind=Kind.REQUEST_WITHDRAWN,
            actor=actor,
            firm=manual.firm_id,
            subscription=subscription,
            subject=subject_id,
            detail=_("Ersatt av en manuell koppling."),
        )


def _notify(
    *,
    manual: ManualCoupling,
    coupling: Coupling,
    subscription: Subscription,
    responsible: Consultant,
) -> None:
    """Email the firm (the responsible consultant and its active firm admins)
    and every active sysadmin of the subscription, once per address."""
    recipients: dict[str, tuple[User, str]] = {responsible.user.email: (responsible.user, "firm")}
    firm_admins = Consultant.objects.filter(
        firm_id=manual.firm_id, is_firm_admin=True, is_active=True, user__is_active=True
    ).select_related("user")
    for admin in firm_admins:
        recipients.setdefault(admin.user.email, (admin.user, "firm"))
    for membership in active_sysadmins(subscription=subscription):
        recipients.setdefault(membership.user.email, (membership.user, "sysadmin"))
    for email, (user, audience) in recipients.items():
        outbox_enqueue_email(
            to=email,
            template="manual-coupling",
            context={
                "recipient": user,
                "audience": audience,
                "manual": manual,
                "coupling": coupling,
                "firm": manual.firm,
                "client": subscription.client,
                "subscription": subscription,
                "responsible": responsible.user,
                "fee": manual.fee,
            },
        )
