"""What the invoicing run reads: the month's payers, and everything one chunk
of payers needs, in a fixed number of queries per chunk whatever its size."""

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from clients.models import Program, Subscription, SubscriptionLicense
from firm_portal.models import Firm
from licensing.invoice_lines import Holding
from licensing.models import (
    BillingChange,
    ClientManagerSeatChange,
    FirmCharge,
    Invoice,
    LicenseChange,
    PlanChange,
    ResellerAgreement,
    SubscriptionBilling,
)
from licensing.pricing import Month, PriceBook, local_date

FIRM = Invoice.PayerKind.FIRM
SUBSCRIPTION = Invoice.PayerKind.SUBSCRIPTION


def live_subscriptions(month: Month) -> Q:
    """The subscriptions billed for `month`: active, created before it ended."""
    return Q(status=Subscription.Status.ACTIVE, created_at__lt=month.ends_at)


def _earliest_changes_after(month: Month, changes: Iterable[BillingChange]) -> dict:
    # Who paid in the month: the earliest change that takes effect after it.
    earliest: dict[int, BillingChange] = {}
    for change in changes:
        earliest.setdefault(change.subscription_id, change)
    return earliest


def month_payers(month: Month) -> list[tuple[str, int, int]]:
    """Every payer that may have an invoice for `month`, in invoice order:
    subscriptions not on a Samlingsfaktura (by customer name and number),
    then every firm (by name). Each with its weight, the subscriptions its
    invoice carries (a firm: those on its Samlingsfaktura, plus one), so
    chunks can be cut by work rather than by payers. Three queries,
    whatever the size."""
    changes = _earliest_changes_after(
        month,
        BillingChange.objects.filter(effective_on__gt=month.last)
        .order_by("effective_on", "created_at", "pk")
        .only("subscription_id", "consolidated_before", "firm_before_id"),
    )
    subscriptions: list[tuple[str, int, int]] = []
    carried: dict[int, int] = defaultdict(int)
    for pk, consolidated, firm_id in (
        Subscription.objects.filter(live_subscriptions(month))
        .order_by("client__name", "number")
        .values_list("pk", "billing__consolidated", "billing__firm_id")
    ):
        change = changes.get(pk)
        if change is not None:
            consolidated, firm_id = change.consolidated_before, change.firm_before_id
        if consolidated and firm_id is not None:
            carried[firm_id] += 1
        else:
            subscriptions.append((str(SUBSCRIPTION), pk, 1))
    firms = Firm.objects.filter(created_at__lt=month.ends_at).order_by("name", "pk")
    return subscriptions + [
        (str(FIRM), pk, 1 + carried[pk]) for pk in firms.values_list("pk", flat=True)
    ]


@dataclass
class ChunkData:
    """Everything one chunk of payers needs, loaded up front."""

    month: Month
    book: PriceBook
    programs: list[Program]
    agreements: dict[int, list[ResellerAgreement]]
    subscriptions: dict[int, Subscription]
    consolidated: dict[int, list[Subscription]]
    billing: dict[int, SubscriptionBilling | None]
    holdings: dict[int, dict[int, Holding]]
    plan_changes: dict[int, list[tuple[datetime, date, str]]]
    firms: dict[int, Firm]
    seat_holdings: dict[int, Holding]
    firms_with_charges: set[int]

    def reseller_on(self, firm_id: int) -> Callable[[date], bool]:
        agreements = self.agreements.get(firm_id, [])
        return lambda day: any(agreement.is_valid_on(day) for agreement in agreements)


def chunk_data(month: Month, *, firm_ids: list[int], subscription_ids: list[int]) -> ChunkData:
    """The chunk's own subscriptions, and every subscription on the
    Samlingsfaktura of one of its firms in the month (today's choice, or the
    one before a change that takes effect after the month)."""
    consolidated_before = BillingChange.objects.filter(
        effective_on__gt=month.last, firm_before_id__in=firm_ids, consolidated_before=True
    ).values("subscription_id")
    subscriptions = {
        subscription.pk: subscription
        for subscription in Subscription.objects.filter(live_subscriptions(month))
        .filter(
            Q(pk__in=subscription_ids)
            | Q(billing__consolidated=True, billing__firm_id__in=firm_ids)
            | Q(pk__in=consolidated_before)
        )
        .select_related("client", "billing__firm__billing_details")
        .order_by("client__name", "number")
    }
    changes = _earliest_changes_after(
        month,
        BillingChange.objects.filter(
            effective_on__gt=month.last, subscription_id__in=list(subscriptions)
        ).order_by("effective_on", "created_at", "pk"),
    )
    firms = _firms(month, firm_ids, {change.firm_before_id for change in changes.values()})
    billing = {
        pk: _billing_in_force(subscription, changes.get(pk), firms)
        for pk, subscription in subscriptions.items()
    }
    consolidated: dict[int, list[Subscription]] = defaultdict(list)
    for pk, subscription in subscriptions.items():
        in_force = billing[pk]
        if in_force is not None and in_force.consolidated and in_force.firm_id is not None:
            consolidated[in_force.firm_id].append(subscription)
    holdings, plan_changes = _subscription_changes(month, list(subscriptions))
    return ChunkData(
        month=month,
        book=PriceBook(month),
        programs=list(Program.objects.all()),
        agreements=_agreements(month, [*firm_ids, *(b.firm_id for b in billing.values() if b)]),
        subscriptions=subscriptions,
        consolidated=consolidated,
        billing=billing,
        holdings=holdings,
        plan_changes=plan_changes,
        firms=firms,
        seat_holdings=_seat_holdings(month, firms, firm_ids),
        firms_with_charges=set(
            FirmCharge.objects.filter(
                firm_id__in=firm_ids, invoiced_at__isnull=True, created_at__lt=month.ends_at
            ).values_list("firm_id", flat=True)
        ),
    )


def _firms(month: Month, firm_ids: list[int], others: set[int | None]) -> dict[int, Firm]:
    wanted = set(firm_ids) | {pk for pk in others if pk is not None}
    return {
        firm.pk: firm
        for firm in Firm.objects.filter(pk__in=wanted, created_at__lt=month.ends_at)
        .select_related("billing_details")
        .order_by("pk")
    }


def _billing_in_force(
    subscription: Subscription, change: BillingChange | None, firms: dict[int, Firm]
) -> SubscriptionBilling | None:
    """The subscription's payer for the month billed: the current choice,
    or the one before a change that takes effect after the month."""
    billing: SubscriptionBilling | None = getattr(subscription, "billing", None)
    if billing is None or change is None:
        return billing
    in_force = copy.copy(billing)  # Django copies the relation cache too
    in_force.recipient = change.recipient_before
    in_force.consolidated = change.consolidated_before
    in_force.firm = firms.get(change.firm_before_id) if change.firm_before_id else None
    in_force.firm_id = change.firm_before_id
    return in_force


def _agreements(month: Month, firm_ids: Iterable[int | None]) -> dict:
    agreements: dict[int, list[ResellerAgreement]] = defaultdict(list)
    for agreement in ResellerAgreement.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=month.first),
        valid_from__lte=month.last,
        firm_id__in={pk for pk in firm_ids if pk is not None},
    ):
        agreements[agreement.firm_id].append(agreement)
    return agreements


def _subscription_changes(month: Month, subscription_ids: list[int]) -> tuple[dict, dict]:
    """Licences held now with the month's changes, and the month's plan changes."""
    holdings: dict[int, dict[int, Holding]] = defaultdict(dict)
    for subscription_id, program_id, seats in SubscriptionLicense.objects.filter(
        subscription_id__in=subscription_ids
    ).values_list("subscription_id", "program_id", "seats"):
        holdings[subscription_id][program_id] = Holding(current=seats)
    for subscription_id, program_id, created_at, delta in LicenseChange.objects.filter(
        created_at__gte=month.starts_at, subscription_id__in=subscription_ids
    ).values_list("subscription_id", "program_id", "created_at", "delta"):
        holding = holdings[subscription_id].setdefault(program_id, Holding(current=0))
        holding.changes.append((local_date(created_at), delta))
    plan_changes: dict[int, list[tuple[datetime, date, str]]] = defaultdict(list)
    for subscription_id, created_at, plan_before in PlanChange.objects.filter(
        created_at__gte=month.starts_at, subscription_id__in=subscription_ids
    ).values_list("subscription_id", "created_at", "plan_before"):
        plan_changes[subscription_id].append((created_at, local_date(created_at), plan_before))
    return holdings, plan_changes


def _seat_holdings(month: Month, firms: dict[int, Firm], firm_ids: list[int]) -> dict:
    seat_holdings = {
        pk: Holding(current=firms[pk].client_manager_seats) for pk in firm_ids if pk in firms
    }
    for firm_id, created_at, delta in ClientManagerSeatChange.objects.filter(
        created_at__gte=month.starts_at, firm_id__in=firm_ids
    ).values_list("firm_id", "created_at", "delta"):
        if firm_id in seat_holdings:
            seat_holdings[firm_id].changes.append((local_date(created_at), delta))
    return seat_holdings
