""" "Byte av byrå" and the invoices: every month is billed once, to the firm
that held it, across the change (plan and licence changes in the same
months). November 2025 has 30 days, December 31. Smart: 300 kr base,
Bokföring 150 kr; Pro: 450 kr base, Bokföring 180 kr (list prices: no
Samlingsfaktura, so no reseller prices)."""

from datetime import date
from decimal import Decimal

import pytest

from clients.models import Plan
from collaboration.changes import services as changes
from collaboration.firm_change import services
from collaboration.firm_change.perform import firm_changes_perform_due
from collaboration.models import FirmChange
from licensing import billing
from licensing.models import BillingChange, Invoice, LicenseChange, PlanChange, Recipient
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.invoice_helpers import lines, nov
from tests.conftest import World
from tests.licensing.factories import add_license, backdate, billed_subscription

pytestmark = pytest.mark.django_db

D = Decimal
NOVEMBER, DECEMBER, JANUARY = date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)


def dec(day: int) -> date:
    return date(2025, 12, day)


def bakery_invoice(subscription, month: date, issued_on: date) -> Invoice:  # type: ignore[no-untyped-def]
    """The month's one invoice with lines for `subscription` (the firms'
    client-manager seats are invoiced too, on invoices of their own)."""
    billing.invoicing_run(month=month, issued_on=issued_on)
    (invoice,) = Invoice.objects.filter(month=month, lines__subscription=subscription).distinct()
    return invoice


def firm_change(world: World, subscription, starts_on: date | None):  # type: ignore[no-untyped-def]
    """The old firm pays for `subscription` and is coupled to it; the world's
    firm asks to take over and the client's sysadmin approves. The change's
    date is written directly: it lies in the past of the test's clock."""
    old_firm = factories.FirmFactory(name="Gamla Byrån AB")
    factories.ConsultantFactory(firm=old_firm, is_firm_admin=True)
    backdate(old_firm, date(2025, 1, 1))
    backdate(world.firm, date(2025, 1, 1))
    billing.subscription_billing_set(
        subscription=subscription,
        recipient=Recipient.FIRM,
        firm=old_firm,
        starts_on=date(2025, 1, 1),
    )
    factories.CouplingFactory(firm=old_firm, subscription=subscription)
    factories.MembershipFactory(subscription=subscription, is_sysadmin=True, user=world.sysadmin)
    change = services.firm_change_send(
        consultant=world.consultant,
        subscription=subscription,
        responsible=world.consultant,
        starts_on=None,
    )
    FirmChange.objects.filter(pk=change.pk).update(starts_on=starts_on)
    return old_firm, change


def test_a_change_on_the_first_bills_each_month_to_the_firm_that_held_it(
    world: World, billing_prices: None
) -> None:
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 2})
    actor = factories.UserFactory()
    # November, with the old firm: Smart → Pro on the 16th, a third licence on the 21st.
    changes.collaboration_plan_change(actor=actor, subscription=bakery, plan=Plan.PRO)
    backdate(PlanChange.objects.get(), nov(16))
    changes.collaboration_licenses_set(
        actor=actor, subscription=bakery, seats={factories.program("bokforing").pk: 3}
    )
    backdate(LicenseChange.objects.get(), nov(21))
    old_firm, change = firm_change(world, bakery, DECEMBER)
    # Approved on 20 November, performed on 1 December.
    services.firm_change_approve(
        user=world.sysadmin, subscription=bakery, change_id=change.pk, today=nov(20)
    )
    assert FirmChange.objects.get().status == FirmChange.Status.APPROVED
    # The old firm is told the last month it pays, the new one its first.
    told_old = OutboxMessage.objects.get(template="firm-change-scheduled").body_text
    assert "Den sista månaden ni betalar för är november 2025." in told_old
    told_new = OutboxMessage.objects.filter(template="firm-change-decided").first()
    assert told_new is not None
    assert "Er byrå blir fakturamottagare från och med december 2025." in told_new.body_text
    assert firm_changes_perform_due(today=DECEMBER) == 1
    # December, with the new firm: a fourth licence on the 10th.
    add_license(bakery, "bokforing", dec(10))

    november = bakery_invoice(bakery, NOVEMBER, DECEMBER)
    december = bakery_invoice(bakery, DECEMBER, JANUARY)

    assert (november.recipient_firm, november.net_amount) == (old_firm, D("765.00"))
    assert lines(november) == [
        ("Smart, grundavgift", 1, D("300.00"), nov(1), nov(15), D("150.00")),
        ("Bokföring, licenser", 2, D("150.00"), nov(1), nov(15), D("150.00")),
        ("Pro, grundavgift", 1, D("450.00"), nov(16), nov(30), D("225.00")),
        ("Bokföring, licenser", 2, D("180.00"), nov(16), nov(30), D("180.00")),
        ("Bokföring, tillagda licenser", 1, D("180.00"), nov(21), nov(30), D("60.00")),
    ]
    assert (december.recipient_firm, december.recipient_name) == (world.firm, "Revisorerna Norr AB")
    assert lines(december) == [
        ("Pro, grundavgift", 1, D("450.00"), dec(1), dec(31), D("450.00")),
        ("Bokföring, licenser", 3, D("180.00"), dec(1), dec(31), D("540.00")),
        # 22 of 31 days: 180 × 22 / 31 = 127.7419… → 127.74
        ("Bokföring, tillagda licenser", 1, D("180.00"), dec(10), dec(31), D("127.74")),
    ]
    assert (december.net_amount, december.vat_amount, december.total_amount) == (
        D("1117.74"),
        D("279.44"),
        D("1397.18"),
    )
    assert list(BillingChange.objects.values_list("effective_on", "firm_before", "firm_after")) == [
        (DECEMBER, old_firm.pk, world.firm.pk)
    ]


def test_a_change_in_the_middle_of_a_month_leaves_that_month_with_the_old_firm(
    world: World, billing_prices: None
) -> None:
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 1})
    old_firm, change = firm_change(world, bakery, None)
    # "Direkt vid godkännande" on 20 November, with a plan change the same day.
    services.firm_change_approve(
        user=world.sysadmin, subscription=bakery, change_id=change.pk, today=nov(20)
    )
    changes.collaboration_plan_change(
        actor=world.consultant.user, subscription=bakery, plan=Plan.PRO
    )
    backdate(PlanChange.objects.get(), nov(20))
    assert FirmChange.objects.get().billing_from == DECEMBER

    november = bakery_invoice(bakery, NOVEMBER, DECEMBER)
    december = bakery_invoice(bakery, DECEMBER, JANUARY)

    # November: 19 days Smart, 11 days Pro, all to the old firm.
    assert november.recipient_firm == old_firm
    assert [amount for *_rest, amount in lines(november)] == [
        D("190.00"),  # 300 × 19/30
        D("95.00"),  # 150 × 19/30
        D("165.00"),  # 450 × 11/30
        D("66.00"),  # 180 × 11/30
    ]
    assert november.net_amount == D("516.00")
    assert december.recipient_firm == world.firm
    assert december.net_amount == D("630.00")  # 450 + 180, the whole month


def test_the_customer_who_pays_keeps_paying(world: World, billing_prices: None) -> None:
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 1})
    _old_firm, change = firm_change(world, bakery, None)
    billing.subscription_billing_set(
        subscription=bakery, recipient=Recipient.CLIENT, starts_on=date(2025, 1, 1)
    )
    services.firm_change_approve(
        user=world.sysadmin, subscription=bakery, change_id=change.pk, today=nov(20)
    )

    november = bakery_invoice(bakery, NOVEMBER, DECEMBER)
    december = bakery_invoice(bakery, DECEMBER, JANUARY)

    assert not BillingChange.objects.exists()
    assert (november.recipient_kind, december.recipient_kind) == (Recipient.CLIENT,) * 2
    assert november.net_amount == december.net_amount == D("450.00")
