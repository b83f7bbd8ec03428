"""Billing: Norr's återförsäljaravtal and the clients it pays for, the
backdating the invoicing run needs, and last month's invoices."""

from datetime import datetime, time, timedelta

from clients.models import Subscription
from collaboration.models import Coupling
from firm_portal.management.demo.specs import NORR
from firm_portal.management.demo.world import World
from firm_portal.models import Firm
from firm_portal.timeutils import STOCKHOLM
from licensing.billing import invoicing_run
from licensing.models import FirmBillingDetails, Recipient, ResellerAgreement, SubscriptionBilling
from licensing.pricing import add_months


def create_billing(world: World) -> None:
    """Norr has an återförsäljaravtal and pays for three of its clients
    (two on its Samlingsfaktura), so "Samarbeten", the cost preview and
    "Oanvända licenser" have something to show."""
    norr = world.firms[NORR]
    ResellerAgreement.objects.create(
        firm=norr, reference="ÅF-2024-017", valid_from=world.today - timedelta(days=400)
    )
    FirmBillingDetails.objects.create(
        firm=norr,
        street="Storgatan 12",
        postal_code="903 26",
        city="Umeå",
        invoice_email="faktura@norr.demo",
        reference="Anna Lindberg",
    )
    paid = [
        c
        for c in world.couplings
        if c.firm_id == norr.pk and c.status == Coupling.Status.ACTIVE
        and c.subscription_id != world.named["fjallstugan"].pk
    ][:3]  # fmt: skip
    world.firm_paid = [c.subscription for c in paid]
    for coupling, consolidated, period in zip(paid, (True, True, False), (12, 3, 12), strict=True):
        starts_on = coupling.starts_on
        periods = 1
        while (renews_on := add_months(starts_on, periods * period)) <= world.today:
            periods += 1
        SubscriptionBilling.objects.create(
            subscription=coupling.subscription,
            recipient=Recipient.FIRM,
            firm=norr,
            consolidated=consolidated,
            period_months=period,
            starts_on=starts_on,
            renews_on=renews_on,
        )


def backdate(world: World) -> None:
    """Firms and subscriptions existed long before their couplings, so the
    invoicing run finds them in last month (it bills what existed then)."""
    Firm.objects.filter(pk__in=[firm.pk for firm in world.firms.values()]).update(
        created_at=datetime.combine(world.today - timedelta(days=2000), time(9), STOCKHOLM)
    )
    Subscription.objects.filter(pk__in=[s.pk for s in world.subscriptions]).update(
        created_at=datetime.combine(world.today - timedelta(days=1200), time(9), STOCKHOLM)
    )


def invoice_last_month(world: World) -> None:
    """Last month's invoicing run, as beat runs it on the 1st: an invoice
    per payer, Norr's Samlingsfaktura among them."""
    month = world.invoiced_month
    world.invoices = invoicing_run(month=month.first, issued_on=month.next_first)
