"""Billing test data: a price list of our own, back-dated rows, invoices."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import cast

from django.db.models import Model

from clients.models import Program, Subscription, SubscriptionLicense
from firm_portal.models import Firm
from firm_portal.timeutils import STOCKHOLM
from licensing import billing
from licensing.billing import ocr_reference
from licensing.models import (
    ClientManagerSeatPrice,
    FirmCharge,
    Invoice,
    InvoiceLine,
    LicenseChange,
    PlanPrice,
    ProgramPrice,
    Recipient,
)
from licensing.pricing import Month
from tests import factories

START = date(2025, 1, 1)
NOVEMBER = date(2025, 11, 1)
ISSUED = date(2025, 12, 1)


def at(day: date, hour: int = 10) -> datetime:
    """An aware moment on `day`, Stockholm time."""
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM)


def backdate(instance: Model, day: date, field: str = "created_at") -> None:
    """Set an auto_now_add timestamp, which save() would not let us choose."""
    type(instance)._default_manager.filter(pk=instance.pk).update(**{field: at(day)})
    instance.refresh_from_db(fields=[field])


def replace_price_list(
    *,
    plans: dict[str, tuple[str, str]],
    programs: dict[tuple[str, str], tuple[str, str]],
    seat: tuple[str, str] = ("250.00", "200.00"),
    valid_from: date = START,
) -> None:
    """Swap the seeded price list for round test prices (list, reseller)."""
    PlanPrice.objects.all().delete()
    ProgramPrice.objects.all().delete()
    ClientManagerSeatPrice.objects.all().delete()
    for plan, (list_price, reseller_price) in plans.items():
        PlanPrice.objects.create(
            plan=plan,
            list_price=Decimal(list_price),
            reseller_price=Decimal(reseller_price),
            valid_from=valid_from,
        )
    for (plan, code), (list_price, reseller_price) in programs.items():
        ProgramPrice.objects.create(
            plan=plan,
            program=Program.objects.get(code=code),
            list_price=Decimal(list_price),
            reseller_price=Decimal(reseller_price),
            valid_from=valid_from,
        )
    ClientManagerSeatPrice.objects.create(
        list_price=Decimal(seat[0]), reseller_price=Decimal(seat[1]), valid_from=valid_from
    )


_numbers = iter(range(900001, 999999))


def make_invoice(*, firm=None, subscription=None, month: date = date(2025, 10, 1)) -> Invoice:  # type: ignore[no-untyped-def]
    """An issued invoice written directly (for access tests): the firm's own
    invoice (`firm`), a subscription's invoice to its client (`subscription`),
    or one the paying firm gets for a subscription (both)."""
    number = next(_numbers)
    if subscription is not None:
        payer = {
            "payer_kind": Invoice.PayerKind.SUBSCRIPTION,
            "payer_id": subscription.pk,
            "subscription": subscription,
        }
    else:
        payer = {"payer_kind": Invoice.PayerKind.FIRM, "payer_id": firm.pk}
    if firm is not None:
        recipient = {"recipient_kind": Recipient.FIRM, "recipient_firm": firm}
        name, org_number = firm.name, firm.org_number
    else:
        recipient = {"recipient_kind": Recipient.CLIENT}
        name, org_number = subscription.client.name, subscription.client.org_number
    invoice = Invoice.objects.create(
        number=number,
        ocr=ocr_reference(number),
        month=month,
        recipient_name=name,
        recipient_org_number=org_number,
        issuer={"name": "Byråportalen AB"},
        issued_on=Month(month).next_first,
        due_on=Month(month).next_first + timedelta(days=30),
        net_amount=Decimal("100.00"),
        vat_rate=Decimal("0.25"),
        vat_amount=Decimal("25.00"),
        total_amount=Decimal("125.00"),
        **payer,
        **recipient,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind=InvoiceLine.Kind.FEE,
        description="Testavgift",
        quantity=1,
        unit_price=Decimal("100.00"),
        amount=Decimal("100.00"),
    )
    return invoice


def manual_coupling_fee(*, firm, subscription, day: date, amount: str = "600.00"):  # type: ignore[no-untyped-def]
    """A 600 kr manual-coupling fee on the firm, created on `day` (a
    FirmCharge of that source must point at its ManualCoupling)."""
    from collaboration.models import ManualCoupling

    staff = factories.UserFactory(is_staff=True)
    coupling = ManualCoupling.objects.create(
        firm=firm,
        org_number=subscription.client.org_number,
        subscription=subscription,
        responsible_consultant=factories.ConsultantFactory(firm=firm),
        form_received_on=day,
        computed_fee=Decimal(amount),
        fee=Decimal(amount),
        fee_reason="Kopplingen kunde ha gjorts digitalt.",
        registered_by=staff,
    )
    charge = FirmCharge.objects.create(
        firm=firm,
        amount=Decimal(amount),
        description=f"Manuell koppling (blankett): {subscription.client.name}",
        source=FirmCharge.Source.MANUAL_COUPLING,
        manual_coupling_id=coupling.pk,
    )
    backdate(charge, day)
    return charge


@dataclass
class Scenario:
    firm: Firm
    bakery: Subscription
    bikes: Subscription
    fee: FirmCharge


def billed_subscription(name: str, plan: str, licenses: dict[str, int]) -> Subscription:
    subscription = cast(Subscription, factories.SubscriptionFactory(client__name=name, plan=plan))
    backdate(subscription, START)
    for code, seats in licenses.items():
        SubscriptionLicense.objects.create(
            subscription=subscription, program=factories.program(code), seats=seats
        )
    return subscription


def add_license(subscription: Subscription, code: str, day: date, count: int = 1) -> None:
    row = SubscriptionLicense.objects.get(subscription=subscription, program__code=code)
    row.seats += count
    row.save(update_fields=["seats"])
    change = LicenseChange.objects.create(
        subscription=subscription,
        program=row.program,
        delta=count,
        seats_after=row.seats,
    )
    backdate(change, day)


def consolidate(subscription: Subscription, firm: Firm) -> None:
    billing.subscription_billing_set(
        subscription=subscription,
        recipient=Recipient.FIRM,
        firm=firm,
        consolidated=True,
        starts_on=START,
    )
