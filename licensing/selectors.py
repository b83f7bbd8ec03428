"""User-scoped reads of invoices. Fetching is checking: the `invoice_for_*`
getters return the invoice only to its payer and raise 404 for anyone else
(recording the attempt when the invoice exists)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from clients.models import Subscription
from clients.selectors import record_denied
from firm_portal.models import Consultant, User
from licensing.models import Invoice, InvoiceLine, Recipient


def invoices_for_firm(*, consultant: Consultant) -> QuerySet[Invoice]:
    """Every invoice addressed to the consultant's firm, newest first."""
    return (
        Invoice.objects.filter(recipient_kind=Recipient.FIRM, recipient_firm_id=consultant.firm_id)
        .select_related("subscription__client")
        .order_by("-number")
    )


def invoice_for_firm(*, consultant: Consultant, number: int) -> Invoice:
    invoice = invoices_for_firm(consultant=consultant).filter(number=number).first()
    if invoice is None:
        _deny(user=consultant.user, number=number)
    return invoice  # type: ignore[return-value]


def invoices_for_subscription(*, subscription: Subscription) -> QuerySet[Invoice]:
    """The subscription's own invoices addressed to the client (not those a
    paying firm receives), newest first."""
    return (
        Invoice.objects.filter(recipient_kind=Recipient.CLIENT, subscription=subscription)
        .select_related("subscription__client")
        .order_by("-number")
    )


def invoice_for_subscription(*, subscription: Subscription, number: int, user: User) -> Invoice:
    invoice = invoices_for_subscription(subscription=subscription).filter(number=number).first()
    if invoice is None:
        _deny(user=user, number=number)
    return invoice  # type: ignore[return-value]


def _deny(*, user: User, number: int) -> None:
    if Invoice.objects.filter(number=number).exists():
        record_denied(user=user, what="invoice", invoice_number=number)
    raise Http404("No such invoice")


@dataclass
class InvoiceSection:
    """A customer's lines on a Samlingsfaktura (or the firm's own lines)."""

    customer_name: str
    customer_org_number: str
    subscription_number: int | None
    plan: str
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def invoice_sections(*, invoice: Invoice) -> list[InvoiceSection]:
    """The lines grouped per customer in invoice order; the firm's own lines
    (seats, fees) last, in a section without a customer."""
    sections: dict[int | None, InvoiceSection] = {}
    for line in invoice.lines.order_by("position"):
        key = line.subscription_number
        if key not in sections:
            sections[key] = InvoiceSection(
                customer_name=line.customer_name,
                customer_org_number=line.customer_org_number,
                subscription_number=key,
                plan=line.customer_plan,
            )
        sections[key].lines.append(line)
    own = sections.pop(None, None)
    return [*sections.values(), *([own] if own else [])]
