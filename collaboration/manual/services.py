"""Flow 6: manual couplings. Support staff register a paper form in Django
admin and perform the coupling from it (collaboration/manual/perform.py).

The fee is decided when the form is registered: 600 kr when the coupling
could have been done digitally, 0 kr when it could not. Staff may charge
another amount only with a written reason.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Now
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clients.models import Client, Subscription
from clients.selectors import active_sysadmins
from collaboration.models import CollaborationRequest, Coupling, ManualCoupling
from firm_portal.models import Consultant, Firm, User
from firm_portal.org_numbers import normalize_org_number

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
    return Coupling.objects.live().filter(firm_id=firm_id, subscription=subscription).exists()


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
