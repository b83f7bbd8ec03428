"""The monthly invoicing run: exact amounts, payers, fees and re-runs.

November 2025 has 30 days. The firm has a reseller agreement and takes two
customers on its Samlingsfaktura; Bokföring's price changes on 10 November
and a Bokföring licence is added on 15 November.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from stdnum import luhn

from clients.catalogue import programs_ensure
from clients.models import Plan, Subscription
from firm_portal.models import Firm
from licensing import billing, pricing
from licensing.models import (
    ClientManagerSeatChange,
    FirmCharge,
    Invoice,
    InvoiceLine,
    PlanPrice,
    Recipient,
    ResellerAgreement,
    SubscriptionBilling,
)
from tests import factories
from tests.licensing.factories import (
    ISSUED,
    NOVEMBER,
    START,
    Scenario,
    backdate,
    billed_subscription,
    consolidate,
    manual_coupling_fee,
    replace_price_list,
)

pytestmark = pytest.mark.django_db


def _rows(invoice: Invoice) -> list[tuple[object, ...]]:
    return [
        (
            line.subscription_number,
            line.description,
            line.period_start.day if line.period_start else None,
            line.period_end.day if line.period_end else None,
            line.quantity,
            line.unit_price,
            line.amount,
        )
        for line in invoice.lines.order_by("position")
    ]


def test_consolidated_invoice_to_the_ore(scenario: Scenario) -> None:
    invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert len(invoices) == 1
    invoice = invoices[0]
    bakery, bikes = scenario.bakery.number, scenario.bikes.number
    assert _rows(invoice) == [
        (bakery, "Smart, grundavgift", 1, 30, 1, Decimal("240.00"), Decimal("240.00")),
        # 2 × 119.00 × 9/30, then 2 × 127.00 × 21/30 after the price change.
        (bakery, "Bokföring, licenser", 1, 9, 2, Decimal("119.00"), Decimal("71.40")),
        (bakery, "Bokföring, licenser", 10, 30, 2, Decimal("127.00"), Decimal("177.80")),
        # Added on the 15th: 16 of 30 days, 127.00 × 16/30 = 67.7333… → 67.73.
        (bakery, "Bokföring, tillagda licenser", 15, 30, 1, Decimal("127.00"), Decimal("67.73")),
        (bakery, "Lön, licenser", 1, 30, 1, Decimal("85.00"), Decimal("85.00")),
        (bikes, "Start, grundavgift", 1, 30, 1, Decimal("150.00"), Decimal("150.00")),
        (bikes, "Bokföring, licenser", 1, 30, 1, Decimal("99.00"), Decimal("99.00")),
        (None, "Klienthanteraren, licenser", 1, 30, 2, Decimal("200.00"), Decimal("400.00")),
        (
            None,
            "Manuell koppling (blankett): Bageriet Solsidan AB",
            None,
            None,
            1,
            Decimal("600.00"),
            Decimal("600.00"),
        ),
    ]
    # 641.93 + 249.00 + 400.00 + 600.00; moms 472.7325 → 472.73.
    assert invoice.net_amount == Decimal("1890.93")
    assert invoice.vat_amount == Decimal("472.73")
    assert invoice.total_amount == Decimal("2363.66")
    assert invoice.is_consolidated
    assert (invoice.payer_kind, invoice.payer_id) == (Invoice.PayerKind.FIRM, scenario.firm.pk)
    assert invoice.recipient_firm == scenario.firm
    assert invoice.recipient_name == "Revisorerna Norr AB"
    assert invoice.recipient_address == ["Storgatan 1", "903 26 Umeå"]
    assert invoice.recipient_reference == "Anna Admin"
    assert invoice.issued_on == ISSUED
    assert invoice.due_on == date(2025, 12, 31)
    assert invoice.issuer["name"] == "Byråportalen AB"
    line = invoice.lines.get(description="Bokföring, tillagda licenser")
    assert (line.is_change, line.days, line.days_in_month) == (True, 16, 30)
    bakery_line = invoice.lines.filter(subscription_number=bakery).first()
    assert bakery_line.customer_name == "Bageriet Solsidan AB"
    assert bakery_line.customer_org_number == scenario.bakery.client.org_number
    assert bakery_line.customer_plan == "Smart"
    scenario.fee.refresh_from_db()
    assert scenario.fee.invoiced_at is not None
    assert scenario.fee.invoice_line.invoice == invoice


def test_a_second_run_creates_nothing_and_returns_the_same_invoices(scenario: Scenario) -> None:
    first = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    fee_invoiced_at = FirmCharge.objects.get().invoiced_at
    # Something is billed to someone new meanwhile; November stays as it was.
    manual_coupling_fee(firm=scenario.firm, subscription=scenario.bikes, day=date(2025, 11, 30))

    second = billing.invoicing_run(month=NOVEMBER, issued_on=date(2025, 12, 2))

    assert [i.pk for i in second] == [i.pk for i in first]
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.count() == 9
    assert Invoice.objects.get().total_amount == Decimal("2363.66")
    assert FirmCharge.objects.filter(invoiced_at__isnull=False).count() == 1
    assert FirmCharge.objects.get(pk=scenario.fee.pk).invoiced_at == fee_invoiced_at
    assert InvoiceLine.objects.filter(firm_charge__isnull=False).count() == 1


def test_fees_are_invoiced_once_even_across_months(scenario: Scenario) -> None:
    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    december = billing.invoicing_run(month=date(2025, 12, 1), issued_on=date(2026, 1, 1))

    firm_invoice = next(i for i in december if i.payer_kind == Invoice.PayerKind.FIRM)
    assert not firm_invoice.lines.filter(kind=InvoiceLine.Kind.FEE).exists()
    assert InvoiceLine.objects.filter(firm_charge=scenario.fee).count() == 1


def test_invoice_numbers_are_sequential_with_a_valid_ocr(scenario: Scenario) -> None:
    client_paid = billed_subscription("Annans Kund AB", Plan.SMART, {})

    invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    numbers = sorted(invoice.number for invoice in invoices)
    assert len(numbers) == 2 and numbers[1] == numbers[0] + 1
    for invoice in invoices:
        digits = str(invoice.number)
        assert invoice.ocr.startswith(digits)
        assert invoice.ocr[len(digits)] == str((len(digits) + 2) % 10)  # length digit
        assert len(invoice.ocr) == len(digits) + 2
        assert luhn.is_valid(invoice.ocr)
    assert Invoice.objects.get(subscription=client_paid).recipient_name == "Annans Kund AB"


def test_ocr_reference_has_length_and_check_digit() -> None:
    assert billing.ocr_reference(100001) == "10000180"
    reference = billing.ocr_reference(12345678)
    assert reference[:8] == "12345678" and reference[8] == "0" and luhn.is_valid(reference)


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_client_pays_list_prices_on_its_own_invoice() -> None:
    programs_ensure()
    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", "bokforing"): ("150.00", "119.00")},
    )
    subscription = billed_subscription("Frisören AB", Plan.SMART, {"bokforing": 3})

    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert (invoice.payer_kind, invoice.recipient_kind) == ("subscription", "client")
    assert invoice.subscription == subscription
    assert invoice.recipient_firm is None
    assert not invoice.is_consolidated
    assert [line.amount for line in invoice.lines.all()] == [Decimal("300.00"), Decimal("450.00")]
    assert invoice.net_amount == Decimal("750.00")
    assert invoice.vat_amount == Decimal("187.50")
    assert invoice.total_amount == Decimal("937.50")


def test_firm_without_samlingsfaktura_gets_one_invoice_per_customer_at_list_price(
    scenario: Scenario,
) -> None:
    SubscriptionBilling.objects.filter(subscription=scenario.bikes).update(consolidated=False)

    invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    bikes_invoice = Invoice.objects.get(subscription=scenario.bikes)
    assert bikes_invoice in invoices
    assert bikes_invoice.recipient_kind == Recipient.FIRM
    assert bikes_invoice.recipient_firm == scenario.firm
    assert bikes_invoice.recipient_name == "Revisorerna Norr AB"
    assert [line.amount for line in bikes_invoice.lines.all()] == [
        Decimal("200.00"),
        Decimal("130.00"),
    ]
    samlingsfaktura = Invoice.objects.get(payer_kind=Invoice.PayerKind.FIRM)
    assert not samlingsfaktura.lines.filter(subscription=scenario.bikes).exists()


def test_reseller_prices_only_on_days_the_agreement_is_valid(scenario: Scenario) -> None:
    ResellerAgreement.objects.update(valid_to=date(2025, 11, 15))

    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    lines = Invoice.objects.get().lines.filter(subscription=scenario.bikes)
    assert [(line.period_start.day, line.unit_price, line.amount) for line in lines] == [
        (1, Decimal("150.00"), Decimal("75.00")),  # 15/30 at the reseller price
        (16, Decimal("200.00"), Decimal("100.00")),  # 15/30 at the list price
        (1, Decimal("99.00"), Decimal("49.50")),
        (16, Decimal("130.00"), Decimal("65.00")),
    ]


def test_seats_added_and_removed_mid_month_are_pro_rata(scenario: Scenario) -> None:
    Firm.objects.filter(pk=scenario.firm.pk).update(client_manager_seats=4)
    added = ClientManagerSeatChange.objects.create(firm=scenario.firm, delta=3, seats_after=5)
    backdate(added, date(2025, 11, 21))
    removed = ClientManagerSeatChange.objects.create(firm=scenario.firm, delta=-1, seats_after=4)
    backdate(removed, date(2025, 11, 26))

    billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    seats = Invoice.objects.get().lines.filter(kind=InvoiceLine.Kind.SEAT)
    assert [
        (line.description, line.quantity, line.period_start.day, line.amount) for line in seats
    ] == [
        ("Klienthanteraren, licenser", 2, 1, Decimal("400.00")),
        ("Klienthanteraren, tillagda licenser", 3, 21, Decimal("200.00")),  # 10/30
        ("Klienthanteraren, borttagna licenser", -1, 26, Decimal("-33.33")),  # 5/30
    ]


def test_a_subscription_created_mid_month_is_billed_from_that_day() -> None:
    programs_ensure()
    replace_price_list(plans={"pro": ("450.00", "360.00")}, programs={})
    subscription = factories.SubscriptionFactory(client__name="Nystartat AB", plan=Plan.PRO)
    backdate(subscription, date(2025, 11, 21))

    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    (line,) = invoice.lines.all()
    assert (line.period_start, line.days, line.amount) == (
        date(2025, 11, 21),
        10,
        Decimal("150.00"),
    )


def test_pending_and_ended_subscriptions_are_not_billed() -> None:
    programs_ensure()
    replace_price_list(plans={"smart": ("300.00", "240.00")}, programs={})
    for status in (Subscription.Status.PENDING, Subscription.Status.ENDED):
        backdate(factories.SubscriptionFactory(status=status), START)

    assert billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED) == []


def test_a_missing_price_skips_that_payer_until_the_price_list_is_fixed(scenario: Scenario) -> None:
    other = billed_subscription("Utan Pris AB", Plan.PRO, {})

    invoices = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    assert [i.payer_kind for i in invoices] == [Invoice.PayerKind.FIRM]
    PlanPrice.objects.create(
        plan="pro", list_price=Decimal("450.00"), reseller_price=Decimal("360.00"), valid_from=START
    )
    again = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)
    assert len(again) == 2
    assert Invoice.objects.get(subscription=other).net_amount == Decimal("450.00")


def test_a_month_that_has_not_ended_is_refused(db: None) -> None:
    from firm_portal.timeutils import today_in_stockholm

    with pytest.raises(ValueError, match="has not ended"):
        billing.invoicing_run(month=today_in_stockholm())


def test_the_run_reads_in_a_fixed_number_of_queries(
    scenario: Scenario, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(20):
        consolidate(
            billed_subscription(f"Kund {n:02d} AB", Plan.SMART, {"bokforing": 1}), scenario.firm
        )
    # One firm invoice, whatever the number of customers on it: planning the
    # run (~12: the run, its payers, three reads of who pays, one insert, the
    # counts), the chunk's reads (~14, incl. plan and payer changes), one write
    # transaction (~15) and the counts and invoices at the end (~4). It was 27
    # before the run had rows of its own (issue 18).
    with django_assert_max_num_queries(47):
        billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        ("1/200", "0.01"),
        ("-1/200", "-0.01"),
        ("1/300", "0.00"),
        ("2032/30", "67.73"),
        ("189093/400", "472.73"),
    ],
)
def test_rounding_is_half_away_from_zero_to_ore(exact: str, rounded: str) -> None:
    assert pricing.round_ore(Fraction(exact)) == Decimal(rounded)


def test_renewal_dates() -> None:
    assert pricing.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert pricing.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert pricing.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
