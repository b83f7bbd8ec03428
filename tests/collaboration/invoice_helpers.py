"""Reading the invoices of the "Samarbeten" and "Byte av byrå" billing tests
(tests/collaboration/test_collaborations_billing.py, test_firm_change_billing.py;
their prices: the `billing_prices` fixture in conftest.py)."""

from datetime import date
from decimal import Decimal

from licensing.models import Invoice


def nov(day: int) -> date:
    return date(2025, 11, day)


def lines(invoice: Invoice) -> list[tuple[str, int, Decimal, object, object, Decimal]]:
    return [
        (
            line.description,
            line.quantity,
            line.unit_price,
            line.period_start,
            line.period_end,
            line.amount,
        )
        for line in invoice.lines.order_by("position")
    ]
