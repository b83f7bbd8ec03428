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


def _unbilled_fees(*, firm_id: int, month: Month) -> list[FirmCharge]:
    return list(
        FirmCharge.objects.select_for_update()
        .filter(firm_id=firm_id, invoiced_at__isnull=True, created_at__lt=month.ends_at)
        .order_by("created_at", "pk")
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
        _unbilled_fees(firm_id=draft.payer_id, month=month) if (draft.payer_kind == FIRM) else []
    )
    lines = draft.lines + fee_lines(charges)
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
    InvoiceLine.objects.bulk_create(_line_rows(invoice, lines))
    if charges:
        FirmCharge.objects.filter(pk__in=[charge.pk for charge in charges]).update(
            invoiced_at=timezone.now()
        )
    return invoice


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
