"""Changes made on "Samarbeten" are invoiced correctly, to the öre.

November 2025 has 30 days. Smart: 300 kr base, Bokföring 150 kr; Pro: 450 kr
base, Bokföring 180 kr (list prices; the customer pays, so no reseller price)."""

from datetime import date
from decimal import Decimal

import pytest

from clients.models import Plan
from collaboration.changes import services
from licensing import billing
from licensing.models import BillingChange, LicenseChange, PlanChange, Recipient
from tests import factories
from tests.collaboration.invoice_helpers import lines, nov
from tests.licensing.factories import backdate, billed_subscription

pytestmark = pytest.mark.django_db

NOVEMBER, DECEMBER = date(2025, 11, 1), date(2025, 12, 1)


D = Decimal


def test_plan_and_licence_changes_mid_month_are_billed_per_day(billing_prices: None) -> None:
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 2})
    actor = factories.UserFactory()
    # 16 November: Smart → Pro. 21 November: a third Bokföring licence.
    services.collaboration_plan_change(actor=actor, subscription=bakery, plan=Plan.PRO)
    backdate(PlanChange.objects.get(), date(2025, 11, 16))
    services.collaboration_licenses_set(
        actor=actor, subscription=bakery, seats={factories.program("bokforing").pk: 3}
    )
    backdate(LicenseChange.objects.get(), date(2025, 11, 21))

    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=DECEMBER)

    assert lines(invoice) == [
        ("Smart, grundavgift", 1, D("300.00"), nov(1), nov(15), D("150.00")),
        ("Bokföring, licenser", 2, D("150.00"), nov(1), nov(15), D("150.00")),
        ("Pro, grundavgift", 1, D("450.00"), nov(16), nov(30), D("225.00")),
        ("Bokföring, licenser", 2, D("180.00"), nov(16), nov(30), D("180.00")),
        ("Bokföring, tillagda licenser", 1, D("180.00"), nov(21), nov(30), D("60.00")),
    ]
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        Decimal("765.00"),
        Decimal("191.25"),
        Decimal("956.25"),
    )


def test_the_next_month_is_billed_on_the_new_plan_only(billing_prices: None) -> None:
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 2})
    services.collaboration_plan_change(
        actor=factories.UserFactory(), subscription=bakery, plan=Plan.PRO
    )
    backdate(PlanChange.objects.get(), date(2025, 11, 16))

    (invoice,) = billing.invoicing_run(month=DECEMBER, issued_on=date(2026, 1, 1))

    assert [(d, q, a) for d, q, _p, _s, _e, a in lines(invoice)] == [
        ("Pro, grundavgift", 1, Decimal("450.00")),
        ("Bokföring, licenser", 2, Decimal("360.00")),
    ]


def test_a_new_invoice_recipient_pays_from_the_next_month(billing_prices: None) -> None:
    firm = factories.FirmFactory(name="Revisorerna Norr AB", client_manager_seats=0)
    backdate(firm, date(2025, 1, 1))
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 1})
    billing.subscription_billing_set(
        subscription=bakery, recipient=Recipient.FIRM, firm=firm, starts_on=date(2025, 1, 1)
    )
    # On 20 November the firm hands the invoice to the customer, from 1 December.
    services.collaboration_recipient_change(
        actor=factories.UserFactory(),
        subscription=bakery,
        choice=services.RecipientChoice.CLIENT,
        firm=None,
    )
    BillingChange.objects.update(effective_on=DECEMBER)

    (november,) = billing.invoicing_run(month=NOVEMBER, issued_on=DECEMBER)
    (december,) = billing.invoicing_run(month=DECEMBER, issued_on=date(2026, 1, 1))

    assert (november.recipient_kind, november.recipient_firm, november.recipient_name) == (
        Recipient.FIRM,
        firm,
        "Revisorerna Norr AB",
    )
    assert november.net_amount == Decimal("450.00")
    assert (december.recipient_kind, december.recipient_firm, december.recipient_name) == (
        Recipient.CLIENT,
        None,
        "Bageriet Solsidan AB",
    )
    assert december.net_amount == Decimal("450.00")
