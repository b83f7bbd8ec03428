"""The national set's year of invoices (issue 18) against the app's own
billing: each month's invoices have the lines the monthly run would draft
(`licensing.billing.drafts`), and their totals are what the cost calculator
(`licensing.costs.monthly_cost`) says the subscriptions and seats cost."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command

from clients.models import Counter, Subscription
from firm_portal.models import Firm
from licensing.billing import VAT_RATE, ocr_reference
from licensing.billing.drafts import firm_draft, subscription_draft
from licensing.billing.invoices import INVOICE_COUNTER
from licensing.billing.selectors import chunk_data
from licensing.costs import BookPrices, Seats, monthly_cost
from licensing.models import Invoice, ResellerAgreement, SubscriptionBilling
from licensing.pricing import Month, PriceBook, round_ore

pytestmark = pytest.mark.django_db
SCALE = 0.0002
TODAY = "2026-12-01"


@pytest.fixture
def seeded() -> None:
    call_command("seed_national", scale=SCALE, today=TODAY, stdout=StringIO())


def months() -> list[date]:
    return sorted(set(Invoice.objects.values_list("month", flat=True)))


def test_every_payer_has_one_invoice_a_month_for_the_year_before(seeded: None) -> None:
    assert months() == [date(2025, 12, 1)] + [date(2026, n, 1) for n in range(1, 12)]
    consolidated = SubscriptionBilling.objects.filter(consolidated=True)
    own = Subscription.objects.exclude(pk__in=consolidated.values("subscription_id"))
    for month in months():
        invoices = Invoice.objects.filter(month=month)
        assert invoices.filter(payer_kind="firm").count() == Firm.objects.count()
        assert set(
            invoices.filter(payer_kind="subscription").values_list("payer_id", flat=True)
        ) == set(own.values_list("pk", flat=True))
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # no gaps
    assert Counter.objects.get(name=INVOICE_COUNTER).value == numbers[-1]
    for invoice in Invoice.objects.order_by("?")[:50]:
        assert invoice.ocr == ocr_reference(invoice.number)


def lines_of(invoice: Invoice) -> list[tuple]:
    return [
        (line.kind, line.description, line.quantity, line.unit_price, line.amount)
        for line in invoice.lines.order_by("position")
    ]


def drafted(lines: list) -> list[tuple]:
    return [(ln.kind, ln.description, ln.quantity, ln.unit_price, ln.amount) for ln in lines]


def test_a_months_invoices_have_the_lines_the_monthly_run_drafts(seeded: None) -> None:
    month = Month(months()[4])
    invoices = Invoice.objects.filter(month=month.first)
    data = chunk_data(
        month,
        firm_ids=list(Firm.objects.values_list("pk", flat=True)),
        subscription_ids=list(Subscription.objects.values_list("pk", flat=True)),
    )
    for invoice in invoices:
        if invoice.payer_kind == "firm":
            draft = firm_draft(data, invoice.payer_id)
        else:
            draft = subscription_draft(data, invoice.payer_id)
        assert draft is not None
        assert lines_of(invoice) == drafted(draft.lines), invoice
        assert (invoice.recipient_name, invoice.is_consolidated) == (
            draft.name,
            draft.is_consolidated,
        )


def expected_net(invoice: Invoice, month: Month) -> Decimal:
    """Independently: the cost calculator per subscription, plus the seats."""
    book = PriceBook(month)
    prices = BookPrices(book, month.first)
    if invoice.payer_kind == "subscription":
        subscriptions = [invoice.subscription]
        reseller = False
    else:
        subscriptions = list(
            Subscription.objects.filter(
                billing__firm_id=invoice.payer_id, billing__consolidated=True
            )
        )
        reseller = ResellerAgreement.objects.filter(
            firm_id=invoice.payer_id, valid_from__lte=month.first
        ).exists()
    net = Decimal("0.00")
    for subscription in subscriptions:
        seats = [Seats(lic.program, lic.seats) for lic in subscription.licenses.all()]
        net += monthly_cost(
            plan=subscription.plan, programs=seats, reseller=reseller, prices=prices
        ).monthly
    if invoice.payer_kind == "firm":
        firm = Firm.objects.get(pk=invoice.payer_id)
        net += firm.client_manager_seats * book.seat(month.first, reseller)
    return net


def test_a_sample_of_invoice_totals_match_the_cost_calculator(seeded: None) -> None:
    sample: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in Invoice.objects.select_related("subscription").order_by("number"):
        if len(sample[invoice.payer_kind]) < 25 and invoice.number % 7 in (0, 3):
            sample[invoice.payer_kind].append(invoice)
    assert len(sample["firm"]) >= 3
    assert len(sample["subscription"]) == 25
    for invoice in [*sample["firm"], *sample["subscription"]]:
        net = expected_net(invoice, Month(invoice.month))
        vat = round_ore(Fraction(net) * Fraction(VAT_RATE))
        assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
            net,
            vat,
            net + vat,
        ), invoice
    # Riksbyrån's Samlingsfaktura is among them, at reseller prices.
    big = Invoice.objects.filter(recipient_name="Riksbyrån AB").first()
    assert big is not None and big.is_consolidated
    assert expected_net(big, Month(big.month)) == big.net_amount
