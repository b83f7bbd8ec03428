"""Billing services: who pays for a subscription, and the monthly invoicing run.

The rules an invoice follows (the tests hold them to the öre):

Days. A month is billed day by day in Europe/Stockholm dates. The quantity of
a day is the one in force at the end of that day, so a licence added on day d
is billed from d inclusive and one removed on day d is not billed for d. A
subscription is billed from the latest of the first of the month, the day it
was created and its agreement's start date; a firm's seats from the latest of
the first of the month and the day the firm was created. Only active
subscriptions are billed (pending ones wait for the customer's acceptance;
ended ones have no end date to bill up to, see the report).

Lines and pro rata. What is held on the first billed day is one line for the
rest of the month ("2 × Bokföring"); every later change is a line of its own
from its day to the month end ("+1 × Bokföring from 15 Nov"). A line covering
`days` of a month of `days_in_month` days costs

    quantity × unit price × days / days_in_month

so a licence added on day d of a 30-day month costs (30 - d + 1) / 30 of the
monthly price, and a removal is a negative line for the days no longer held.

Plans and payers. A plan change ("Variant", `PlanChange`) counts like a
licence change: each day is billed on the plan held at the end of that day,
so a change on day d splits the month into lines on the old plan (to d - 1)
and lines on the new one (from d). A change of invoice recipient
(`BillingChange`) takes effect on the first of a month: a month that ends
before it is billed to the payer before the change.

Prices. Every day is billed at the price valid that day: the reseller price
on days the payer has Samlingsfaktura (its seats: a reseller agreement) and
the firm's reseller agreement is valid, the list price otherwise. Where the
price changes inside a line's days, the line is split at the change.

Rounding. A line's amount is computed exactly (as a fraction) and rounded
once, to whole öre, half away from zero (ROUND_HALF_UP). Nothing before the
line is rounded. The net is the exact sum of the line amounts; moms is 25 % of
the net, rounded the same way (Swedish invoices state VAT on the invoice
total); "Att betala" is net + moms.

Numbers. Invoice numbers come from a counter row locked in the invoice's own
transaction, so they are sequential without gaps. The OCR reference is the
invoice number, a length digit and a Luhn check digit (see `ocr_reference`).
"""

import copy
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from stdnum import luhn

from clients.models import Counter, Plan, Program, Subscription, SubscriptionLicense
from firm_portal.metrics import (
    INVOICING_PAYERS_FAILED,
    INVOICING_RUN_PAYERS,
    INVOICING_RUN_PAYERS_DONE,
    INVOICING_RUNS,
)
from firm_portal.models import Firm
from firm_portal.timeutils import today_in_stockholm
from licensing.invoice_lines import (
    BillableSubscription,
    Holding,
    LineDraft,
    fee_lines,
    seat_lines,
    subscription_lines,
)
from licensing.models import (
    BillingChange,
    ClientManagerSeatChange,
    FirmBillingDetails,
    FirmCharge,
    Invoice,
    InvoiceLine,
    LicenseChange,
    PlanChange,
    Recipient,
    ResellerAgreement,
    SubscriptionBilling,
)
from licensing.pricing import Month, PriceBook, PriceMissing, add_months, local_date, round_ore

logger = logging.getLogger(__name__)

VAT_RATE = Decimal("0.25")
INVOICE_COUNTER = "invoice_number"


def ocr_reference(number: int) -> str:
    """The OCR reference for an invoice number, as Bankgirot's OCR control
    with length digit: the number, then a length digit (the length of the
    whole reference including both control digits, modulo 10), then a Luhn
    (modulus 10) check digit computed over everything before it. Invoice
    100001 → 100001, 8, 0 → "10000180"."""
    body = f"{number}{(len(str(number)) + 2) % 10}"
    return body + luhn.calc_check_digit(body)


# --- Who pays --------------------------------------------------------------------


def reseller_agreement_active(*, firm_id: int, on: date) -> bool:
    return (
        ResellerAgreement.objects.filter(firm_id=firm_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .exists()
    )


def billing_validate(
    *,
    recipient: str,
    firm: Firm | None,
    consolidated: bool,
    period_months: int,
    starts_on: date,
    today: date | None = None,
) -> None:
    """Raise ValidationError (per field, in Swedish) unless the choice is allowed.

    Samlingsfaktura needs the paying firm to have a reseller agreement valid
    today and, when the subscription's agreement starts later, on that day too."""
    today = today or today_in_stockholm()
    errors: dict[str, list[str]] = defaultdict(list)
    if recipient not in Recipient.values:
        errors["recipient"].append(_("Välj vem som ska få fakturan."))
    if period_months not in (3, 12):
        errors["period_months"].append(_("Avtalsperioden är 3 eller 12 månader."))
    if recipient == Recipient.FIRM and firm is None:
        errors["firm"].append(_("Välj byrån när byrån är fakturamottagare."))
    if recipient == Recipient.CLIENT and firm is not None:
        errors["firm"].append(_("Ange ingen byrå när kunden är fakturamottagare."))
    if consolidated:
        if recipient != Recipient.FIRM:
            errors["consolidated"].append(
                _("Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare.")
            )
        elif firm is not None and not all(
            reseller_agreement_active(firm_id=firm.pk, on=day)
            for day in {today, max(today, starts_on)}
        ):
            errors["consolidated"].append(
                _(
                    "%(firm)s har inget aktivt återförsäljaravtal. Samlingsfaktura kräver ett "
                    "återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att "
                    "teckna avtal."
                )
                % {"firm": firm.name}
            )
    if errors:
        raise ValidationError(dict(errors))


@transaction.atomic
def subscription_billing_set(
    *,
    subscription: Subscription,
    recipient: str,
    firm: Firm | None = None,
    consolidated: bool = False,
    period_months: int = 12,
    starts_on: date | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    invoice_email: str = "",
    reference: str = "",
) -> SubscriptionBilling:
    """Choose who pays for a subscription ("Fakturamottagare", "Samlingsfaktura",
    "Avtalsperiod"). The renewal date is the start plus the period."""
    starts_on = starts_on or today_in_stockholm()
    billing_validate(
        recipient=recipient,
        firm=firm,
        consolidated=consolidated,
        period_months=period_months,
        starts_on=starts_on,
    )
    billing, _created = SubscriptionBilling.objects.update_or_create(
        subscription=subscription,
        defaults={
            "recipient": recipient,
            "firm": firm if recipient == Recipient.FIRM else None,
            "consolidated": consolidated,
            "period_months": period_months,
            "starts_on": starts_on,
            "renews_on": add_months(starts_on, period_months),
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "invoice_email": invoice_email,
            "reference": reference,
        },
    )
    return billing


def subscription_billings_renew(*, today: date | None = None) -> int:
    """Agreements renew by themselves for another period ("förnyas"): move
    every renewal date that has passed to the next one after `today`, counted
    in whole periods from the start (so 31 January stays the 31st, or the
    month's last day). Returns how many moved."""
    today = today or today_in_stockholm()
    moved = 0
    for billing in SubscriptionBilling.objects.filter(renews_on__lte=today).only(
        "pk", "starts_on", "renews_on", "period_months"
    ):
        periods = 1
        while (
            renews_on := add_months(billing.starts_on, periods * billing.period_months)
        ) <= today:
            periods += 1
        # Compare-and-set: a concurrent change of the agreement wins.
        moved += SubscriptionBilling.objects.filter(
            pk=billing.pk, renews_on=billing.renews_on
        ).update(renews_on=renews_on)
    return moved


# --- The run ----------------------------------------------------------------------


@dataclass
class PayerDraft:
    payer_kind: str
    payer_id: int
    recipient_kind: str
    recipient_firm: Firm | None
    subscription: Subscription | None
    is_consolidated: bool
    lines: list[LineDraft]
    name: str
    org_number: str
    details: FirmBillingDetails | SubscriptionBilling | None


class _RunData:
    """Everything the run reads, in a fixed number of queries."""

    def __init__(self, month: Month) -> None:
        self.month = month
        self.book = PriceBook(month)
        self.programs = list(Program.objects.all())
        self.agreements: dict[int, list[ResellerAgreement]] = defaultdict(list)
        for agreement in ResellerAgreement.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=month.first), valid_from__lte=month.last
        ):
            self.agreements[agreement.firm_id].append(agreement)
        live = Q(status=Subscription.Status.ACTIVE, created_at__lt=month.ends_at)
        self.subscriptions = list(
            Subscription.objects.filter(live)
            .select_related("client", "billing__firm__billing_details")
            .order_by("client__name", "number")
        )
        holdings: dict[int, dict[int, Holding]] = defaultdict(dict)
        for subscription_id, program_id, seats in SubscriptionLicense.objects.filter(
            subscription__status=Subscription.Status.ACTIVE,
            subscription__created_at__lt=month.ends_at,
        ).values_list("subscription_id", "program_id", "seats"):
            holdings[subscription_id][program_id] = Holding(current=seats)
        for subscription_id, program_id, created_at, delta in LicenseChange.objects.filter(
            created_at__gte=month.starts_at
        ).values_list("subscription_id", "program_id", "created_at", "delta"):
            holding = holdings[subscription_id].setdefault(program_id, Holding(current=0))
            holding.changes.append((local_date(created_at), delta))
        self.holdings = holdings
        self.plan_changes: dict[int, list[tuple[datetime, date, str]]] = defaultdict(list)
        for subscription_id, created_at, plan_before in PlanChange.objects.filter(
            created_at__gte=month.starts_at
        ).values_list("subscription_id", "created_at", "plan_before"):
            self.plan_changes[subscription_id].append(
                (created_at, local_date(created_at), plan_before)
            )
        # Who paid in this month: the earliest change that takes effect after it.
        self.billing_changes: dict[int, BillingChange] = {}
        for change in BillingChange.objects.filter(effective_on__gt=month.last).order_by(
            "effective_on", "created_at", "pk"
        ):
            self.billing_changes.setdefault(change.subscription_id, change)
        self.firms = {
            firm.pk: firm
            for firm in Firm.objects.filter(created_at__lt=month.ends_at).select_related(
                "billing_details"
            )
        }
        self.seat_holdings = {
            pk: Holding(current=firm.client_manager_seats) for pk, firm in self.firms.items()
        }
        for firm_id, created_at, delta in ClientManagerSeatChange.objects.filter(
            created_at__gte=month.starts_at
        ).values_list("firm_id", "created_at", "delta"):
            if firm_id in self.seat_holdings:
                self.seat_holdings[firm_id].changes.append((local_date(created_at), delta))
        self.firms_with_charges = set(
            FirmCharge.objects.filter(
                invoiced_at__isnull=True, created_at__lt=month.ends_at
            ).values_list("firm_id", flat=True)
        )
        self.existing = {
            (invoice.payer_kind, invoice.payer_id): invoice
            for invoice in Invoice.objects.filter(month=month.first)
        }

    def billing_in_force(self, subscription: Subscription) -> SubscriptionBilling | None:
        """The subscription's payer for the month billed: the current choice,
        or the one before a change that takes effect after the month."""
        billing: SubscriptionBilling | None = getattr(subscription, "billing", None)
        change = self.billing_changes.get(subscription.pk)
        if billing is None or change is None:
            return billing
        in_force = copy.copy(billing)  # Django copies the relation cache too
        in_force.recipient = change.recipient_before
        in_force.consolidated = change.consolidated_before
        in_force.firm = self.firms.get(change.firm_before_id) if change.firm_before_id else None
        in_force.firm_id = change.firm_before_id
        return in_force

    def reseller_on(self, firm_id: int) -> Callable[[date], bool]:
        agreements = self.agreements.get(firm_id, [])
        return lambda day: any(agreement.is_valid_on(day) for agreement in agreements)


def _never(day: date) -> bool:
    return False


@dataclass
class Drafts:
    """The run's plan: a draft or the existing invoice per payer, in order."""

    entries: list[PayerDraft | Invoice] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _log_missing(month: Month, payer: str, error: PriceMissing) -> None:
    logger.error("Invoicing %s: no invoice for %s: %s", f"{month.first:%Y-%m}", payer, error)


def _drafts(data: _RunData) -> Drafts:
    """Each payer's lines (without fees, which are claimed when written)."""
    month, book = data.month, data.book
    drafts = Drafts()
    consolidated: dict[int, list[LineDraft]] = defaultdict(list)
    broken_firms: set[int] = set()
    for subscription in data.subscriptions:
        billing = data.billing_in_force(subscription)
        item = BillableSubscription(
            subscription=subscription,
            billing=billing,
            licenses=data.holdings.get(subscription.pk, {}),
            plan_changes=data.plan_changes.get(subscription.pk, []),
        )
        if billing is not None and billing.consolidated and billing.firm_id is not None:
            firm_id = billing.firm_id
            if (Invoice.PayerKind.FIRM, firm_id) in data.existing or firm_id in broken_firms:
                continue
            try:
                consolidated[firm_id] += subscription_lines(
                    item=item,
                    month=month,
                    book=book,
                    programs=data.programs,
                    reseller_on=data.reseller_on(firm_id),
                )
            except PriceMissing as error:
                # Half a Samlingsfaktura would be wrong: the firm waits for the fix.
                broken_firms.add(firm_id)
                drafts.failed.append(f"firm {firm_id}")
                _log_missing(month, f"firm {firm_id} (subscription {subscription.number})", error)
            continue
        existing = data.existing.get((Invoice.PayerKind.SUBSCRIPTION, subscription.pk))
        if existing is not None:
            drafts.entries.append(existing)
            continue
        try:
            # Without Samlingsfaktura there are no reseller prices.
            lines = subscription_lines(
                item=item, month=month, book=book, programs=data.programs, reseller_on=_never
            )
        except PriceMissing as error:
            drafts.failed.append(f"subscription {subscription.number}")
            _log_missing(month, f"subscription {subscription.number}", error)
            continue
        if not lines:
            continue
        pays = billing.firm if billing is not None and billing.recipient == Recipient.FIRM else None
        drafts.entries.append(
            PayerDraft(
                payer_kind=Invoice.PayerKind.SUBSCRIPTION,
                payer_id=subscription.pk,
                recipient_kind=Recipient.FIRM if pays else Recipient.CLIENT,
                recipient_firm=pays,
                subscription=subscription,
                is_consolidated=False,
                lines=lines,
                name=pays.name if pays else subscription.client.name,
                org_number=pays.org_number if pays else subscription.client.org_number,
                details=getattr(pays, "billing_details", None) if pays else billing,
            )
        )
    for firm in sorted(data.firms.values(), key=lambda firm: (firm.name, firm.pk)):
        existing = data.existing.get((Invoice.PayerKind.FIRM, firm.pk))
        if existing is not None:
            drafts.entries.append(existing)
            continue
        if firm.pk in broken_firms:
            continue
        try:
            lines = consolidated.get(firm.pk, []) + seat_lines(
                firm=firm,
                holding=data.seat_holdings[firm.pk],
                month=month,
                book=book,
                reseller_on=data.reseller_on(firm.pk),
            )
        except PriceMissing as error:
            drafts.failed.append(f"firm {firm.pk}")
            _log_missing(month, f"firm {firm.pk}", error)
            continue
        if not lines and firm.pk not in data.firms_with_charges:
            continue
        drafts.entries.append(
            PayerDraft(
                payer_kind=Invoice.PayerKind.FIRM,
                payer_id=firm.pk,
                recipient_kind=Recipient.FIRM,
                recipient_firm=firm,
                subscription=None,
                is_consolidated=firm.pk in consolidated,
                lines=lines,
                name=firm.name,
                org_number=firm.org_number,
                details=getattr(firm, "billing_details", None),
            )
        )
    return drafts


def _invoice_number_allocate() -> int:
    """The next invoice number. The counter row stays locked until the
    invoice's transaction ends, so numbers are gapless and in issue order."""
    counter, _created = Counter.objects.select_for_update().get_or_create(
        name=INVOICE_COUNTER, defaults={"value": settings.INVOICE_NUMBER_START}
    )
    Counter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    return counter.value + 1


def _issuer() -> dict[str, str]:
    return {key: str(value) for key, value in settings.INVOICE_ISSUER.items()}


def _issue(*, draft: PayerDraft, month: Month, issued_on: date) -> Invoice | None:
    """Write one payer's invoice, or return the one already written."""
    with transaction.atomic():
        # One writer per payer: a concurrent run waits here, then finds the invoice.
        if draft.payer_kind == Invoice.PayerKind.FIRM:
            Firm.objects.select_for_update().filter(pk=draft.payer_id).values_list("pk").get()
        else:
            Subscription.objects.select_for_update().filter(pk=draft.payer_id).values_list(
                "pk"
            ).get()
        existing = Invoice.objects.filter(
            payer_kind=draft.payer_kind, payer_id=draft.payer_id, month=month.first
        ).first()
        if existing is not None:
            return existing
        lines = list(draft.lines)
        charges: list[FirmCharge] = []
        if draft.payer_kind == Invoice.PayerKind.FIRM:
            charges = list(
                FirmCharge.objects.select_for_update()
                .filter(
                    firm_id=draft.payer_id, invoiced_at__isnull=True, created_at__lt=month.ends_at
                )
                .order_by("created_at", "pk")
            )
            lines += fee_lines(charges)
        if not lines:
            return None
        net = sum((line.amount for line in lines), Decimal("0.00"))
        vat = round_ore(Fraction(net) * Fraction(VAT_RATE))
        number = _invoice_number_allocate()
        details = draft.details
        invoice = Invoice.objects.create(
            number=number,
            ocr=ocr_reference(number),
            payer_kind=draft.payer_kind,
            payer_id=draft.payer_id,
            month=month.first,
            is_consolidated=draft.is_consolidated,
            recipient_kind=draft.recipient_kind,
            recipient_firm=draft.recipient_firm,
            subscription=draft.subscription,
            recipient_name=draft.name,
            recipient_org_number=draft.org_number,
            recipient_address=details.address_lines if details else [],
            recipient_email=details.invoice_email if details else "",
            recipient_reference=details.reference if details else "",
            issuer=_issuer(),
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
            net_amount=net,
            vat_rate=VAT_RATE,
            vat_amount=vat,
            total_amount=net + vat,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=line.kind,
                subscription=line.subscription,
                customer_name=line.subscription.client.name if line.subscription else "",
                customer_org_number=(
                    line.subscription.client.org_number if line.subscription else ""
                ),
                subscription_number=line.subscription.number if line.subscription else None,
                customer_plan=(
                    str(Plan(line.subscription.plan).label) if line.subscription else ""
                ),
                description=line.description,
                quantity=line.quantity,
                is_change=line.is_change,
                unit_price=line.unit_price,
                period_start=line.period_start,
                period_end=line.period_end,
                days=line.days,
                days_in_month=line.days_in_month,
                amount=line.amount,
                firm_charge=line.firm_charge,
            )
            for position, line in enumerate(lines, start=1)
        )
        if charges:
            FirmCharge.objects.filter(pk__in=[charge.pk for charge in charges]).update(
                invoiced_at=timezone.now()
            )
        return invoice


def _issue_once(*, draft: PayerDraft, month: Month, issued_on: date) -> Invoice | None:
    try:
        return _issue(draft=draft, month=month, issued_on=issued_on)
    except IntegrityError:
        # Another run wrote it between our read and our lock.
        invoice = Invoice.objects.filter(
            payer_kind=draft.payer_kind, payer_id=draft.payer_id, month=month.first
        ).first()
        if invoice is None:
            raise
        return invoice


def invoicing_run(*, month: date, issued_on: date | None = None) -> list[Invoice]:
    """Invoice every payer for `month` (any day in it) and return the month's
    invoices, new and existing. A month that has not ended is refused.

    Safe to run again: a payer that already has its invoice for the month
    keeps it and nothing new is written. Each payer is written in its own
    transaction; a payer whose price is missing from the price list, or whose
    invoice the database refuses, is logged, counted in
    `byraportalen_invoicing_payers_failed_total` and skipped, the run goes on
    with the next payer, and a run after the fix invoices it. Only a lost
    database connection fails the whole run."""
    target = Month.of(month)
    today = today_in_stockholm()
    issued_on = issued_on or today
    if target.last >= today or issued_on <= target.last:
        raise ValueError(f"{target.first:%Y-%m} has not ended; it cannot be invoiced yet")
    invoices: list[Invoice] = []
    try:
        # Invoice texts are Swedish whatever language the caller uses.
        with override("sv"):
            drafts = _drafts(_RunData(target))
            INVOICING_RUN_PAYERS.set(len(drafts.entries))
            INVOICING_RUN_PAYERS_DONE.set(0)
            for done, entry in enumerate(drafts.entries, start=1):
                if isinstance(entry, Invoice):
                    invoice: Invoice | None = entry
                else:
                    try:
                        invoice = _issue_once(draft=entry, month=target, issued_on=issued_on)
                    except (OperationalError, InterfaceError):
                        # The database itself is unreachable: every later payer
                        # would fail too, so the run fails (and is counted so).
                        raise
                    except Exception:
                        # One payer's error (its transaction is rolled back) must
                        # not leave the payers after it without their invoices.
                        payer = f"{entry.payer_kind} {entry.payer_id}"
                        drafts.failed.append(payer)
                        logger.exception(
                            "Invoicing %s: no invoice for %s", f"{target.first:%Y-%m}", payer
                        )
                        invoice = None
                if invoice is not None:
                    invoices.append(invoice)
                INVOICING_RUN_PAYERS_DONE.set(done)
    except Exception:
        INVOICING_RUNS.labels(outcome="failed").inc()
        raise
    INVOICING_RUNS.labels(outcome="completed").inc()
    INVOICING_PAYERS_FAILED.inc(len(drafts.failed))
    logger.info(
        "Invoicing %s: %d invoices; payers left without an invoice: %s",
        f"{target.first:%Y-%m}",
        len(invoices),
        ", ".join(drafts.failed) or "none",
    )
    return invoices
