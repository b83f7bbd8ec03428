"""Flow 6: manual couplings. Support staff register a paper form in Django
admin and perform the coupling from it.

The fee is decided when the form is registered: 600 kr when the coupling
could have been done digitally, 0 kr when it could not. Staff may charge
another amount only with a written reason. Performing creates the coupling
exactly like an approved request and puts the fee on the firm's next invoice,
once, however many times (or by how many people at once) it is clicked.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from clients.models import Client, Membership, Subscription
from clients.selectors import active_sysadmins
from clients.services import responsible_consultant_join
from clients.validators import normalize_org_number
from collaboration.ledger import Kind, ledger_record
from collaboration.models import CollaborationRequest, Coupling, ManualCoupling
from firm_portal.invitations import invitation_create, invitation_email
from firm_portal.join_offers import INVITATION_TEMPLATES, join_offer_email, offer_context
from firm_portal.models import Consultant, Firm, Invitation, JoinOffer, User
from firm_portal.services import assignment_ensure
from firm_portal.timeutils import today_in_stockholm
from licensing.models import FirmCharge
from notifications.services import outbox_enqueue_email

# What a manual coupling costs when the firm could have coupled digitally
# (SEK, excluding VAT); one that could not be done digitally is free.
MANUAL_COUPLING_FEE = Decimal("600.00")
NO_FEE = Decimal("0.00")

PERFORM_PERMISSION = "collaboration.perform_manualcoupling"

# Texts stored in the database (the fee reason, ledger details, invoice lines)
# are written in the product language, whatever language the staff member uses.
STORED_LANGUAGE = "sv"


def kronor(amount: Decimal) -> str:
    """600.00 -> "600,00 kr" in Swedish (localized)."""
    return _("%(amount)s kr") % {"amount": number_format(amount, 2)}


@dataclass(frozen=True)
class FeeDecision:
    could_be_digital: bool
    fee: Decimal
    reason: str


def manual_coupling_fee_decide(*, firm: Firm, subscription: Subscription) -> FeeDecision:
    """Whether the firm could have coupled digitally ("Ny klient" → a request
    an active sysadmin approves), and so what the manual coupling costs.

    A pending request from the firm does not make it free: it is the digital
    route, waiting only for the client's sysadmin."""
    with translation.override(STORED_LANGUAGE):
        if subscription.status != Subscription.Status.ACTIVE:
            return FeeDecision(
                False,
                NO_FEE,
                _("Kunde inte göras digitalt: abonnemanget är inte aktivt."),
            )
        if not active_sysadmins(subscription=subscription).exists():
            return FeeDecision(
                False,
                NO_FEE,
                _("Kunde inte göras digitalt: abonnemanget saknar aktiv systemadministratör."),
            )
        pending = CollaborationRequest.objects.filter(
            firm=firm,
            subscription=subscription,
            status=CollaborationRequest.Status.PENDING,
            expires_at__gt=Now(),
        ).exists()
        if pending:
            return FeeDecision(
                True,
                MANUAL_COUPLING_FEE,
                _(
                    "Kunde ha gjorts digitalt: abonnemanget har en aktiv systemadministratör, "
                    "och byråns förfrågan väntar på svar."
                ),
            )
        return FeeDecision(
            True,
            MANUAL_COUPLING_FEE,
            _("Kunde ha gjorts digitalt: abonnemanget har en aktiv systemadministratör."),
        )


def _live_coupling_exists(*, firm_id: int, subscription: Subscription) -> bool:
    return Coupling.objects.filter(
        firm_id=firm_id,
        subscription=subscription,
        status__in=[Coupling.Status.ACTIVE, Coupling.Status.SCHEDULED],
    ).exists()


def _already_coupled_message(subscription: Subscription) -> str:
    return _("Byrån är redan sammankopplad med abonnemanget %(number)s (%(client)s).") % {
        "number": subscription.number,
        "client": subscription.client.name,
    }


def manual_coupling_check_responsible(*, firm: Firm | None, responsible: Consultant | None) -> None:
    """The responsible consultant must be an active consultant of the firm."""
    if responsible is None or firm is None:
        return
    if responsible.firm_id != firm.pk:
        message = _(
            "Ansvarig konsult hör inte till byrån: %(name)s är konsult på %(other)s. "
            "Välj en aktiv konsult på %(firm)s."
        ) % {"name": responsible.user.full_name, "other": responsible.firm.name, "firm": firm.name}
        code = "other_firm"
    elif not (responsible.is_active and responsible.user.is_active):
        message, code = _("Ansvarig konsult är inte längre aktiv på byrån."), "inactive"
    else:
        return
    raise ValidationError({"responsible_consultant": ValidationError(message, code=code)})


@dataclass(frozen=True)
class NamedSysadmin:
    """Who the form names as the subscription's system administrator."""

    named: str = ManualCoupling.SysadminNamed.RESPONSIBLE
    email: str = ""
    name: str = ""


def manual_coupling_check_sysadmin(
    *, named: str | None, email: str | None, name: str | None
) -> NamedSysadmin:
    """The responsible consultant, or a person at the client by e-mail and
    name. Raises ValidationError per form field."""
    if named != ManualCoupling.SysadminNamed.CLIENT_PERSON:
        return NamedSysadmin()
    email = (email or "").strip().lower()
    name = " ".join((name or "").split())
    errors: dict[str, ValidationError] = {}
    if not email:
        errors["sysadmin_email"] = ValidationError(
            _("Ange e-postadressen till den som blanketten utser till systemadministratör."),
            code="sysadmin_email_missing",
        )
    else:
        try:
            validate_email(email)
        except ValidationError as error:
            errors["sysadmin_email"] = error
    if not name:
        errors["sysadmin_name"] = ValidationError(
            _("Ange namnet på den som blanketten utser till systemadministratör."),
            code="sysadmin_name_missing",
        )
    if errors:
        raise ValidationError(errors)
    return NamedSysadmin(ManualCoupling.SysadminNamed.CLIENT_PERSON, email, name)


@dataclass(frozen=True)
class Registration:
    """A checked paper form: the client's normalized organisationsnummer, the
    subscription it names and the fee rule's decision for it."""

    org_number: str
    client: Client
    subscription: Subscription
    decision: FeeDecision


def manual_coupling_check(
    *,
    firm: Firm | None,
    org_number: str,
    subscription_number: int | None,
    responsible: Consultant | None,
    exclude_pk: int | None = None,
) -> Registration:
    """Check a form before it is registered (or changed). Raises
    ValidationError with a Swedish message per form field. `firm` and
    `responsible` are None when their own field was already rejected."""
    errors: dict[str, list[ValidationError]] = {}

    def reject(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    try:
        manual_coupling_check_responsible(firm=firm, responsible=responsible)
    except ValidationError as error:
        errors.update(error.error_dict)

    try:
        normalized = normalize_org_number(org_number)
    except ValidationError as error:
        errors.setdefault("org_number", []).extend(error.error_list)
        raise ValidationError(errors) from None

    client = Client.objects.filter(org_number=normalized).first()
    subscriptions = (
        list(client.subscriptions.exclude(status=Subscription.Status.ENDED).order_by("number"))
        if client is not None
        else []
    )
    subscription: Subscription | None = None
    if client is None:
        reject(
            "org_number",
            _("Det finns ingen kund med organisationsnummer %(org)s.") % {"org": normalized},
            "no_client",
        )
    elif not subscriptions:
        reject(
            "org_number",
            _("%(client)s (%(org)s) har inget abonnemang hos oss.")
            % {"client": client.name, "org": normalized},
            "no_subscription",
        )
    elif subscription_number is not None:
        subscription = next((s for s in subscriptions if s.number == subscription_number), None)
        if subscription is None:
            reject(
                "subscription_number_given",
                _("Abonnemangsnumret %(number)s hör inte till %(client)s.")
                % {"number": subscription_number, "client": client.name},
                "subscription_mismatch",
            )
    elif len(subscriptions) > 1:
        reject(
            "subscription_number_given",
            _("Kunden har flera abonnemang – ange abonnemangsnummer (%(numbers)s).")
            % {"numbers": ", ".join(str(s.number) for s in subscriptions)},
            "needs_number",
        )
    else:
        subscription = subscriptions[0]

    if subscription is not None and firm is not None:
        if _live_coupling_exists(firm_id=firm.pk, subscription=subscription):
            reject("firm", _already_coupled_message(subscription), "already_coupled")
        else:
            open_forms = ManualCoupling.objects.filter(
                firm=firm, subscription=subscription, status=ManualCoupling.Status.REGISTERED
            )
            if exclude_pk is not None:
                open_forms = open_forms.exclude(pk=exclude_pk)
            open_form = open_forms.values_list("pk", flat=True).first()
            if open_form is not None:
                reject(
                    NON_FIELD_ERRORS,
                    _(
                        "Blanketten är redan registrerad: manuell koppling #%(id)s för samma "
                        "byrå och abonnemang väntar på att genomföras."
                    )
                    % {"id": open_form},
                    "already_registered",
                )
    if errors or client is None or subscription is None or firm is None:
        # No firm without an error means its own field was rejected already.
        raise ValidationError(errors)
    return Registration(
        org_number=normalized,
        client=client,
        subscription=subscription,
        decision=manual_coupling_fee_decide(firm=firm, subscription=subscription),
    )


def manual_coupling_fee_settle(
    *, decision: FeeDecision, fee: Decimal | None, override_reason: str
) -> tuple[Decimal, str]:
    """The fee to charge and the reason for overriding the computed one.
    None charges the computed fee; another amount needs a written reason."""
    override_reason = override_reason.strip()
    if fee is None:
        if override_reason:
            raise ValidationError(
                {
                    "fee": ValidationError(
                        _("Ange den avgift som ska gälla i stället för den beräknade."),
                        code="fee_missing",
                    )
                }
            )
        return decision.fee, ""
    if fee < 0:
        raise ValidationError(
            {"fee": ValidationError(_("Avgiften kan inte vara negativ."), code="fee_negative")}
        )
    if fee != decision.fee and not override_reason:
        raise ValidationError(
            {
                "fee_override_reason": ValidationError(
                    _("Motivera varför avgiften avviker från den beräknade (%(fee)s).")
                    % {"fee": kronor(decision.fee)},
                    code="override_reason_missing",
                )
            }
        )
    return fee, override_reason if fee != decision.fee else ""


def manual_coupling_apply(
    *,
    manual: ManualCoupling,
    registration: Registration,
    fee: Decimal,
    fee_override_reason: str,
    actor: User,
) -> bool:
    """Put a checked registration on `manual` (not saved). Returns whether
    the fee override is new or changed, which the caller logs."""
    stored = ManualCoupling.objects.filter(pk=manual.pk).values_list("fee", "fee_override_reason")
    before = stored.first() if manual.pk else None
    manual.org_number = registration.org_number
    manual.subscription = registration.subscription
    manual.computed_fee = registration.decision.fee
    manual.fee_reason = registration.decision.reason
    manual.fee = fee
    manual.fee_override_reason = fee_override_reason
    overridden = fee != registration.decision.fee
    override_changed = overridden and before != (fee, fee_override_reason)
    if override_changed:
        manual.fee_overridden_by = actor
    elif not overridden:
        manual.fee_overridden_by = None
    if manual.pk is None:
        manual.registered_by = actor
    return override_changed


def manual_coupling_override_note(manual: ManualCoupling) -> str:
    """The override in words, for the admin history and the ledger."""
    return _("Avgiften ändrad från beräknade %(computed)s till %(fee)s: %(reason)s") % {
        "computed": kronor(manual.computed_fee),
        "fee": kronor(manual.fee),
        "reason": manual.fee_override_reason,
    }


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
        outcome = (
            PerformOutcome.ALREADY_PERFORMED
            if manual.status == ManualCoupling.Status.PERFORMED
            else PerformOutcome.REFUSED
        )
        return PerformResult(outcome, _handled_message(manual), manual, manual.coupling)

    subscription = manual.subscription
    if subscription is None:
        return _refuse(manual, actor=actor, reason=_("Blanketten saknar abonnemang."), final=False)
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

    now = timezone.now()
    today = today_in_stockholm()
    firm = manual.firm
    try:
        with transaction.atomic():
            coupling = Coupling.objects.create(
                firm=firm,
                subscription=subscription,
                responsible_consultant=responsible,
                status=Coupling.Status.ACTIVE,
                starts_on=today,
                activated_at=now,
            )
    except IntegrityError:
        # A request was approved for the same firm at this very moment.
        return _refuse(
            manual, actor=actor, reason=_already_coupled_message(subscription), final=True
        )

    with translation.override(STORED_LANGUAGE):
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

        ledger_record(
            kind=Kind.MANUAL_COUPLING,
            actor=actor,
            firm=firm,
            subscription=subscription,
            subject=responsible.user_id,
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
        charge = None
        if manual.fee > 0:
            charge = FirmCharge.objects.create(
                firm=firm,
                amount=manual.fee,
                description=_("Manuell koppling: %(client)s (abonnemang %(number)s)")
                % {"client": subscription.client.name, "number": subscription.number},
                source=FirmCharge.Source.MANUAL_COUPLING,
                manual_coupling=manual,
            )

    manual.status = ManualCoupling.Status.PERFORMED
    manual.performed_by = actor
    manual.performed_at = now
    manual.coupling = coupling
    manual.save(update_fields=["status", "performed_by", "performed_at", "coupling"])

    _notify(manual=manual, coupling=coupling, subscription=subscription, responsible=responsible)
    if sysadmin_offer is not None:
        sysadmin_offer()

    if charge is not None:
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
        "firm": firm.name,
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
            "name": responsible.user.full_name
        }
    return PerformResult(
        PerformOutcome.PERFORMED,
        f"{message} {sysadmin_text}".strip(),
        manual,
        coupling,
        charge,
        changed=True,
    )


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
