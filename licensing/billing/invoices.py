"""Writing one payer's invoice: its number, OCR reference, amounts, lines and
fees, in the caller's transaction."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from stdnum import luhn

from clients.models import Counter, Plan
from licensing.billing.drafts import PayerDraft
from licensing.billing.selectors import FIRM
from licensing.invoice_lines import LineDraft, fee_lines
from licensing.models import FirmCharge, Invoice, InvoiceLine
from licensing.pricing import Month, round_ore

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


def _invoice_numbers_allocate(count: int) -> range:
    """The next `count` invoice numbers. The counter row stays locked until
    the invoices' transaction ends, so numbers are gapless and in issue order."""
    counter, _created = Counter.objects.select_for_update().get_or_create(
        name=INVOICE_COUNTER, defaults={"value": settings.INVOICE_NUMBER_START}
    )
    Counter.objects.filter(pk=counter.pk).update(value=F("value") + count)
    return range(counter.value + 1, counter.value + 1 + count)


def _issuer() -> dict[str, str]:
    return {key: str(value) for key, value in settings.INVOICE_ISSUER.items()}


def _invoice_row(
    *, draft: PayerDraft, lines: list[LineDraft], number: int, month: Month, issued_on: date
) -> Invoice:
    net = sum((line.amount for line in lines), Decimal("0.00"))
    vat = round_ore(Fraction(net) * Fraction(VAT_RATE))
    details = draft.details
    return Invoice(
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


def invoice_issue(*, draft: PayerDraft, month: Month, issued_on: date) -> Invoice | None:
    """Write one payer's invoice, or return the one already written; None
    when it has nothing to bill. In the caller's transaction, which holds
    the payer (its run row) and, once a number is taken, the invoice counter."""
    existing = Invoice.objects.filter(
        payer_kind=draft.payer_kind, payer_id=draft.payer_id, month=month.first
    ).first()
    if existing is not None:
        return existing
    charges = (
        fees_unbilled(firm_ids=[draft.payer_id], month=month) if draft.payer_kind == FIRM else {}
    )
    return invoices_issue_many(
        drafts=[(draft, charges.get(draft.payer_id, []))], month=month, issued_on=issued_on
    )[0]


def invoices_issue_many(
    *, drafts: list[tuple[PayerDraft, list[FirmCharge]]], month: Month, issued_on: date
) -> list[Invoice | None]:
    """Write the invoices of payers that have none yet (the caller checked,
    holding their run rows), each with its fees (locked by the caller), in a
    handful of queries whatever their number; None for a payer with nothing
    to bill. Numbers follow the order of `drafts`."""
    billed = [(draft, draft.lines + fee_lines(charges), charges) for draft, charges in drafts]
    count = sum(1 for _draft, lines, _charges in billed if lines)
    if not count:
        return [None] * len(billed)
    numbers = iter(_invoice_numbers_allocate(count))
    invoices: list[Invoice | None] = [
        _invoice_row(
            draft=draft, lines=lines, number=next(numbers), month=month, issued_on=issued_on
        )
        if lines
        else None
        for draft, lines, _charges in billed
    ]
    Invoice.objects.bulk_create([invoice for invoice in invoices if invoice is not None])
    InvoiceLine.objects.bulk_create(
        row
        for invoice, (_draft, lines, _charges) in zip(invoices, billed, strict=True)
        if invoice is not None
        for row in _line_rows(invoice, lines)
    )
    charged = [
        charge.pk
        for invoice, (_d, _l, charges) in zip(invoices, billed, strict=True)
        if invoice
        for charge in charges
    ]
    if charged:
        FirmCharge.objects.filter(pk__in=charged).update(invoiced_at=timezone.now())
    return invoices


def fees_unbilled(*, firm_ids: list[int], month: Month) -> dict[int, list[FirmCharge]]:
    """The firms' fees not yet invoiced, locked until the invoices are written."""
    fees: dict[int, list[FirmCharge]] = {}
    for charge in (
        FirmCharge.objects.select_for_update()
        .filter(firm_id__in=firm_ids, invoiced_at__isnull=True, created_at__lt=month.ends_at)
        .order_by("created_at", "pk")
    ):
        fees.setdefault(charge.firm_id, []).append(charge)
    return fees


def _line_rows(invoice: Invoice, lines: list[LineDraft]) -> list[InvoiceLine]:
    """The lines as written: each customer's name, number and plan copied in."""
    rows = []
    for position, line in enumerate(lines, start=1):
        subscription = line.subscription
        rows.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=line.kind,
                subscription=subscription,
                customer_name=subscription.client.name if subscription else "",
                customer_org_number=subscription.client.org_number if subscription else "",
                subscription_number=subscription.number if subscription else None,
                customer_plan=str(Plan(subscription.plan).label) if subscription else "",
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
        )
    return rows
