"""Writes for "Samarbeten" (Flow 5): change a collaboration's licences, plan
or invoice recipient, and end a collaboration from either side.

Each function is one transaction that locks the subscription row first (the
same lock every membership and licence change in clients.services takes), so
seat counting, the payer check and the "last sysadmin" rule hold when two
people click at once. Who may call them is decided by the views through
fetching (`subscription_for_sysadmin`, `collaboration_for_consultant` and
`firm_rights`); a firm-side change also passes `paying_firm_id`, re-checked
under the lock, because the firm may change things only while it pays.

Billing. Licence changes are `LicenseChange` rows and plan changes
`PlanChange` rows, both in force from the day they are made and billed pro
rata by the invoicing run. A change of invoice recipient takes effect on the
first of the next month (`BillingChange`): the current month stays with the
payer who had it. Ending a collaboration the firm paid for makes the
customer the invoice recipient from the first of the next month.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.catalogue import require_plan_includes_all, require_program_in_plan
from clients.models import ClientAssignment, Membership, Plan, Program, ProgramLevel, Subscription
from clients.models import SubscriptionLicense as License
from clients.selectors import active_sysadmins, subscriptions_left_without_sysadmin
from collaboration.models import Coupling
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_record
from licensing.billing import billing_validate
from licensing.models import (
    AgreementPeriod,
    BillingChange,
    LicenseChange,
    PlanChange,
    Recipient,
    SubscriptionBilling,
)
from licensing.pricing import Month, PriceMissing, add_months, local_date, price_quote
from notifications.services import outbox_enqueue_email

MAX_SEATS = 999


def _lock(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().select_related("client").get(pk=subscription.pk)


def next_month_first(today: date | None = None) -> date:
    """When a change of invoice recipient takes effect."""
    return Month.of(today or today_in_stockholm()).next_first


def _require_paying_firm(subscription: Subscription, paying_firm_id: int | None) -> None:
    """Under the lock: a firm-side change needs the firm to be the payer still."""
    if paying_firm_id is None:
        return
    if not SubscriptionBilling.objects.filter(
        subscription=subscription, recipient=Recipient.FIRM, firm_id=paying_firm_id
    ).exists():
        raise ValidationError(
            _(
                "Kunden är fakturamottagare, så licenser, variant och fakturamottagare ändras "
                "av kundens systemadministratör."
            ),
            code="not_payer",
        )


# --- Licences -----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenseChangeResult:
    program: Program
    before: int
    after: int


@transaction.atomic
def collaboration_licenses_set(
    *,
    actor: User,
    subscription: Subscription,
    seats: dict[int, int],
    firm_id: int | None = None,
    paying_firm_id: int | None = None,
) -> list[LicenseChangeResult]:
    """Set the number of licences per program (`seats`: program id → count),
    up or down. Never below the seats in use; a program the plan does not
    sell cannot be added. Each change is a billable `LicenseChange` (pro
    rata from today) and a ledger event. Returns what changed (maybe nothing).

    Raises ValidationError with one message per program field
    (`seats_<code>`), and nothing is written."""
    subscription = _lock(subscription)
    _require_paying_firm(subscription, paying_firm_id)
    programs = {p.pk: p for p in Program.objects.filter(pk__in=seats)}
    current = dict(
        License.objects.filter(subscription=subscription).values_list("program_id", "seats")
    )
    used = Counter(
        ProgramLevel.objects.filter(membership__subscription=subscription).seats_used_by_program()
    )
    errors: dict[str, list[str]] = {}
    changes: list[LicenseChangeResult] = []
    for program_id, wanted in seats.items():
        program = programs.get(program_id)
        if program is None:
            continue
        field = f"seats_{program.code}"
        before = current.get(program_id, 0)
        if wanted == before:
            continue
        if not 0 <= wanted <= MAX_SEATS:
            errors[field] = [_("Ange ett antal mellan 0 och %(max)s.") % {"max": MAX_SEATS}]
            continue
        if wanted < used[program_id]:
            errors[field] = [
                ngettext(
                    "%(program)s används av %(used)s person, så antalet licenser kan inte "
                    "bli lägre än %(used)s. Ta bort behörigheter i Tilldela behörigheter först.",
                    "%(program)s används av %(used)s personer, så antalet licenser kan inte "
                    "bli lägre än %(used)s. Ta bort behörigheter i Tilldela behörigheter först.",
                    used[program_id],
                )
                % {"program": program.name, "used": used[program_id]}
            ]
            continue
        if wanted > before:
            try:
                require_program_in_plan(plan=subscription.plan, program=program)
            except ValidationError as error:
                errors[field] = error.messages
                continue
        changes.append(LicenseChangeResult(program=program, before=before, after=wanted))
    if errors:
        raise ValidationError(errors)
    for change in changes:
        License.objects.update_or_create(
            subscription=subscription, program=change.program, defaults={"seats": change.after}
        )
        LicenseChange.objects.create(
            subscription=subscription,
            program=change.program,
            delta=change.after - change.before,
            seats_after=change.after,
            actor=actor,
        )
        ledger_record(
            kind=Kind.LICENSES_CHANGED,
            actor=actor,
            firm=firm_id,
            subscription=subscription,
            before={"program": change.program.code, "seats": change.before},
            after={"program": change.program.code, "seats": change.after},
        )
    return changes


# --- Plan --------------------------------------------------------------------------


@transaction.atomic
def collaboration_plan_change(
    *,
    actor: User,
    subscription: Subscription,
    plan: str,
    firm_id: int | None = None,
    paying_firm_id: int | None = None,
) -> PlanChange:
    """Change the plan ("Variant"), in force from today: the invoicing run
    bills the days before today on the old plan and from today on the new
    one. Refused when the new plan does not include a program the
    subscription has licences of (`clients.catalogue`), or has no price
    today. Raises ValidationError (field `plan`)."""
    if plan not in Plan.values:
        raise ValidationError({"plan": [_("Välj en variant.")]})
    subscription = _lock(subscription)
    _require_paying_firm(subscription, paying_firm_id)
    before = subscription.plan
    label = Plan(plan).label
    if plan == before:
        raise ValidationError(
            {"plan": [_("Abonnemanget har redan varianten %(plan)s.") % {"plan": label}]}
        )
    try:
        price_quote(plan=plan, on=today_in_stockholm(), reseller=False)
    except PriceMissing:
        raise ValidationError(
            {
                "plan": [
                    _("Varianten %(plan)s finns inte i prislistan just nu. Kontakta oss.")
                    % {"plan": label}
                ]
            }
        ) from None
    licensed = (
        License.objects.filter(subscription=subscription, seats__gt=0)
        .select_related("program")
        .order_by("program__sort_order")
    )
    try:
        require_plan_includes_all(plan=plan, programs=(row.program for row in licensed))
    except ValidationError as error:
        raise ValidationError({"plan": error.messages}) from None
    subscription.plan = plan
    subscription.save(update_fields=["plan"])
    change = PlanChange.objects.create(
        subscription=subscription, plan_before=before, plan_after=plan, actor=actor
    )
    ledger_record(
        kind=Kind.PLAN_CHANGED,
        actor=actor,
        firm=firm_id,
        subscription=subscription,
        before={"plan": before},
        after={"plan": plan},
    )
    return change


# --- Invoice recipient -------------------------------------------------------------


class RecipientChoice:
    CLIENT = "client"
    FIRM = "firm"
    FIRM_CONSOLIDATED = "firm_consolidated"

    values = (CLIENT, FIRM, FIRM_CONSOLIDATED)


def recipient_choice_of(billing: SubscriptionBilling | None) -> str:
    if billing is None or billing.recipient == Recipient.CLIENT:
        return RecipientChoice.CLIENT
    return RecipientChoice.FIRM_CONSOLIDATED if billing.consolidated else RecipientChoice.FIRM


def _renewal_after(starts_on: date, period_months: int, today: date) -> date:
    periods = 1
    while (renews_on := add_months(starts_on, periods * period_months)) <= today:
        periods += 1
    return renews_on


@transaction.atomic
def collaboration_recipient_change(
    *,
    actor: User,
    subscription: Subscription,
    choice: str,
    firm: Firm | None,
    firm_id: int | None = None,
    paying_firm_id: int | None = None,
) -> BillingChange:
    """Change who pays ("Fakturamottagare"): the customer, or `firm` with its
    own invoice per customer or on its Samlingsfaktura (which needs an
    återförsäljaravtal, checked by `billing_validate`). In force from the
    first of next month; the agreement period and renewal date stay.
    Raises ValidationError (field `recipient`)."""
    if choice not in RecipientChoice.values or (choice != RecipientChoice.CLIENT and not firm):
        raise ValidationError({"recipient": [_("Välj vem som ska få fakturan.")]})
    subscription = _lock(subscription)
    _require_paying_firm(subscription, paying_firm_id)
    return _recipient_set(
        actor=actor,
        subscription=subscription,
        recipient=Recipient.CLIENT if choice == RecipientChoice.CLIENT else Recipient.FIRM,
        firm=None if choice == RecipientChoice.CLIENT else firm,
        consolidated=choice == RecipientChoice.FIRM_CONSOLIDATED,
        firm_id=firm_id,
    )


def _recipient_set(
    *,
    actor: User | None,
    subscription: Subscription,
    recipient: str,
    firm: Firm | None,
    consolidated: bool,
    firm_id: int | None,
    detail: str = "",
) -> BillingChange:
    """Record and apply a change of payer from the first of next month.
    The caller holds the subscription lock."""
    today = today_in_stockholm()
    effective_on = next_month_first(today)
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    before = (
        (billing.recipient, billing.firm_id, billing.consolidated)
        if billing
        else (Recipient.CLIENT, None, False)
    )
    after = (recipient, firm.pk if firm else None, consolidated)
    if before == after:
        raise ValidationError(
            {"recipient": [_("Det är redan den fakturamottagaren. Välj en annan.")]},
        )
    period = billing.period_months if billing else AgreementPeriod.TWELVE_MONTHS
    try:
        billing_validate(
            recipient=recipient,
            firm=firm,
            consolidated=consolidated,
            period_months=period,
            starts_on=effective_on,
            today=today,
        )
    except ValidationError as error:
        raise ValidationError({"recipient": error.messages}) from None
    if billing is None:
        starts_on = local_date(subscription.created_at)
        billing = SubscriptionBilling(
            subscription=subscription,
            period_months=period,
            starts_on=starts_on,
            renews_on=_renewal_after(starts_on, period, today),
        )
    billing.recipient, billing.firm, billing.consolidated = recipient, firm, consolidated
    billing.save()
    change = BillingChange.objects.create(
        subscription=subscription,
        effective_on=effective_on,
        recipient_before=before[0],
        firm_before_id=before[1],
        consolidated_before=before[2],
        recipient_after=recipient,
        firm_after=firm,
        consolidated_after=consolidated,
        actor=actor,
    )
    ledger_record(
        kind=Kind.RECIPIENT_CHANGED,
        actor=actor,
        firm=firm_id,
        subscription=subscription,
        before={"recipient": before[0], "firm": before[1], "consolidated": before[2]},
        after={
            "recipient": recipient,
            "firm": after[1],
            "consolidated": consolidated,
            "effective_on": effective_on.isoformat(),
        },
        detail=detail,
    )
    return change


# --- Ending ----------------------------------------------------------------------


class Side:
    FIRM = "firm"
    CLIENT = "client"


@dataclass(frozen=True)
class EndPreview:
    """What ending a collaboration removes, and why it cannot be done yet."""

    coupling: Coupling
    memberships: list[Membership]
    freed: dict[str, int]
    unused_before: dict[str, int]
    firm_pays: bool
    refusal: str

    @property
    def can_end(self) -> bool:
        return not self.refusal


def _firm_memberships(coupling: Coupling) -> list[Membership]:
    return list(
        Membership.objects.filter(
            subscription_id=coupling.subscription_id, consultant__firm_id=coupling.firm_id
        )
        .select_related("user")
        .prefetch_related("levels__program")
        .order_by("user__full_name")
    )


def collaboration_end_preview(*, coupling: Coupling) -> EndPreview:
    memberships = _firm_memberships(coupling)
    freed = Counter(level.program.code for m in memberships for level in m.levels.all())
    seats = dict(
        License.objects.filter(
            subscription_id=coupling.subscription_id, program__code__in=freed
        ).values_list("program__code", "seats")
    )
    code_of = {
        level.program_id: level.program.code for m in memberships for level in m.levels.all()
    }
    used = Counter(
        {
            code_of[program_id]: n
            for program_id, n in ProgramLevel.objects.filter(
                membership__subscription_id=coupling.subscription_id, program_id__in=code_of
            )
            .seats_used_by_program()
            .items()
        }
    )
    refusal = ""
    if coupling.subscription_id in subscriptions_left_without_sysadmin(leaving=memberships):
        refusal = _(
            "Det går inte att avsluta samarbetet: konsulter från %(firm)s är de enda "
            "systemadministratörerna i abonnemanget %(number)s. Kunden behöver först göra någon "
            "annan till systemadministratör."
        ) % {"firm": coupling.firm.name, "number": coupling.subscription.number}
    return EndPreview(
        coupling=coupling,
        memberships=memberships,
        freed=dict(freed),
        unused_before={code: max(seats.get(code, 0) - used[code], 0) for code in freed},
        firm_pays=SubscriptionBilling.objects.filter(
            subscription_id=coupling.subscription_id,
            recipient=Recipient.FIRM,
            firm_id=coupling.firm_id,
        ).exists(),
        refusal=refusal,
    )


class CollaborationEndRefused(ValidationError):
    pass


@transaction.atomic
def collaboration_end(*, actor: User, coupling: Coupling, side: str) -> Coupling:
    """End ("Avsluta samarbete") from the firm's side or the customer's, all
    or nothing: the coupling ends, the firm's consultants leave the
    subscription (their levels go too, freeing the seats), their client
    assignments go, and if the firm paid the customer becomes invoice
    recipient from the first of next month. The other side is emailed.

    Refused (CollaborationEndRefused with the Swedish reason, nothing
    written) when the subscription would be left with no active sysadmin,
    or when the collaboration is no longer live."""
    subscription = _lock(coupling.subscription)
    coupling = (
        Coupling.objects.select_for_update(of=("self",))
        .select_related("firm", "responsible_consultant__user")
        .get(pk=coupling.pk)
    )
    coupling.subscription = subscription
    status_before = coupling.status
    if coupling.status not in Coupling.AGREED_STATUSES:
        raise CollaborationEndRefused(
            _("Samarbetet med %(firm)s är redan avslutat.") % {"firm": coupling.firm.name},
            code="not_live",
        )
    preview = collaboration_end_preview(coupling=coupling)
    if preview.refusal:
        raise CollaborationEndRefused(preview.refusal, code="last_sysadmin")
    # Who to tell, read before the firm's consultants leave.
    client_side = [
        m.user
        for m in active_sysadmins(subscription=subscription)
        if m.consultant is None or m.consultant.firm_id != coupling.firm_id
    ]

    _end_and_leave(actor=actor, coupling=coupling, memberships=preview.memberships)
    effective_on = _end_record(
        actor=actor, coupling=coupling, preview=preview, side=side, status_before=status_before
    )
    _end_notify(
        actor=actor,
        coupling=coupling,
        side=side,
        client_side=client_side,
        customer_pays_from=effective_on,
        removed_count=len(preview.memberships),
    )
    return coupling


def _end_and_leave(*, actor: User, coupling: Coupling, memberships: list[Membership]) -> None:
    """The coupling ends; the firm's consultants leave the subscription
    (levels and client assignments with them), each leaving in the ledger."""
    subscription = coupling.subscription
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    ClientAssignment.objects.filter(
        subscription=subscription, consultant__firm_id=coupling.firm_id
    ).delete()
    coupling.status = Coupling.Status.ENDED
    coupling.ended_at = timezone.now()
    coupling.save(update_fields=["status", "ended_at"])
    for membership in memberships:
        ledger_record(
            kind=Kind.MEMBER_REMOVED,
            actor=actor,
            firm=coupling.firm_id,
            subscription=subscription,
            subject=membership.user_id,
            before={
                "is_sysadmin": membership.is_sysadmin,
                "levels": {lvl.program.code: lvl.level for lvl in membership.levels.all()},
            },
            detail=_("Samarbetet avslutades"),
        )


def _end_record(
    *, actor: User, coupling: Coupling, preview: EndPreview, side: str, status_before: str
) -> date | None:
    """If the firm paid, the customer is invoice recipient from the first of
    next month (that day is returned); the end goes into the ledger."""
    subscription = coupling.subscription
    effective_on = None
    if preview.firm_pays:
        effective_on = next_month_first()
        _recipient_set(
            actor=actor,
            subscription=subscription,
            recipient=Recipient.CLIENT,
            firm=None,
            consolidated=False,
            firm_id=coupling.firm_id,
            detail=_("Samarbetet avslutades"),
        )
    ledger_record(
        kind=Kind.COUPLING_ENDED,
        actor=actor,
        firm=coupling.firm_id,
        subscription=subscription,
        before={"status": status_before},
        after={
            "side": side,
            "freed": preview.freed,
            "unused_before": preview.unused_before,
            "firm_paid": preview.firm_pays,
        },
    )
    return effective_on


def _end_notify(
    *,
    actor: User,
    coupling: Coupling,
    side: str,
    client_side: list[User],
    customer_pays_from: date | None,
    removed_count: int,
) -> None:
    """Email the other side: the client's sysadmins when the firm ended it,
    the firm's admins and the responsible consultant when the customer did;
    never the one who ended it."""
    subscription = coupling.subscription
    context = {
        "firm": coupling.firm,
        "client": subscription.client,
        "subscription": subscription,
        "ended_by": actor,
        "side": side,
        "customer_pays_from": customer_pays_from,
        "removed_count": removed_count,
    }
    if side == Side.FIRM:
        recipients = {user.email: user for user in client_side}
    else:
        admins = Consultant.objects.filter(
            firm_id=coupling.firm_id, is_firm_admin=True, is_active=True, user__is_active=True
        ).select_related("user")
        recipients = {admin.user.email: admin.user for admin in admins}
        responsible = coupling.responsible_consultant
        if responsible is not None and responsible.is_active:
            recipients.setdefault(responsible.user.email, responsible.user)
    for user in recipients.values():
        if user.pk == actor.pk:
            continue
        outbox_enqueue_email(
            to=user.email, template="collaboration-ended", context={"recipient": user, **context}
        )
