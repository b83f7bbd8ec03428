"""Invoice lines for one payer and month, computed without queries from
what the run has loaded. See licensing/billing/__init__.py for the rules."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from clients.models import Plan, Program, Subscription
from firm_portal.models import Firm
from licensing.models import FirmCharge, InvoiceLine, SubscriptionBilling
from licensing.pricing import Month, PriceBook, dates_between, line_amount, local_date


@dataclass
class LineDraft:
    kind: str
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    is_change: bool = False
    period_start: date | None = None
    period_end: date | None = None
    days: int | None = None
    days_in_month: int | None = None
    subscription: Subscription | None = None
    firm_charge: FirmCharge | None = None


@dataclass
class Holding:
    """Something held per day: `current` now, and the changes since the month began."""

    current: int
    changes: list[tuple[date, int]] = field(default_factory=list)

    def count_on(self, day: date) -> int:
        # In force at the end of `day`: undo every change made after it.
        return max(self.current - sum(delta for when, delta in self.changes if when > day), 0)


def _layers(holding: Holding, days: list[date]) -> list[tuple[date, int]]:
    """(first day, quantity): what was held on the first day, then each change."""
    layers = []
    previous = 0
    for day in days:
        count = holding.count_on(day)
        if count != previous:
            layers.append((day, count - previous))
            previous = count
    return layers


def _priced_lines(
    *,
    kind: str,
    description: str,
    added: str,
    removed: str,
    holding: Holding,
    days: list[date],
    month: Month,
    price_on: Callable[[date], Decimal],
    subscription: Subscription | None = None,
) -> list[LineDraft]:
    lines = []
    for start, quantity in _layers(holding, days):
        covered = [day for day in days if day >= start]
        # Split where the price changes: every day at the price valid that day.
        segments: list[tuple[date, date, Decimal]] = []
        for day in covered:
            price = price_on(day)
            if segments and segments[-1][2] == price:
                segments[-1] = (segments[-1][0], day, price)
            else:
                segments.append((day, day, price))
        for first, last, price in segments:
            count = (last - first).days + 1
            lines.append(
                LineDraft(
                    kind=kind,
                    description=(
                        description if start == days[0] else added if quantity > 0 else removed
                    ),
                    quantity=quantity,
                    is_change=start != days[0],
                    unit_price=price,
                    amount=line_amount(
                        quantity=quantity, unit_price=price, days=count, days_in_month=month.days
                    ),
                    period_start=first,
                    period_end=last,
                    days=count,
                    days_in_month=month.days,
                    subscription=subscription,
                )
            )
    return lines


@dataclass
class BillableSubscription:
    subscription: Subscription
    billing: SubscriptionBilling | None
    licenses: dict[int, Holding]
    # Plan changes since the month began: (when, local date, plan before).
    plan_changes: list[tuple[datetime, date, str]] = field(default_factory=list)

    def plan_on(self, day: date) -> str:
        """The plan in force at the end of `day`: undo every change made after it."""
        plan = self.subscription.plan
        for _when, changed_on, before in sorted(self.plan_changes, reverse=True):
            if changed_on <= day:
                break
            plan = before
        return plan


def _plan_segments(item: BillableSubscription, days: list[date]) -> list[tuple[str, list[date]]]:
    """Consecutive runs of days on the same plan."""
    segments: list[tuple[str, list[date]]] = []
    for day in days:
        plan = item.plan_on(day)
        if segments and segments[-1][0] == plan:
            segments[-1][1].append(day)
        else:
            segments.append((plan, [day]))
    return segments


def subscription_lines(
    *,
    item: BillableSubscription,
    month: Month,
    book: PriceBook,
    programs: list[Program],
    reseller_on: Callable[[date], bool],
) -> list[LineDraft]:
    """The base fee and the licences of one subscription for one month."""
    subscription = item.subscription
    first = max(month.first, local_date(subscription.created_at))
    if item.billing is not None:
        first = max(first, item.billing.starts_on)
    if first > month.last:
        return []
    lines: list[LineDraft] = []
    # A plan change splits the month: each run of days is billed on its plan.
    for plan, days in _plan_segments(item, dates_between(first, month.last)):
        lines += _plan_lines(
            item=item,
            plan=plan,
            days=days,
            month=month,
            book=book,
            programs=programs,
            reseller_on=reseller_on,
        )
    return lines


def _plan_lines(
    *,
    item: BillableSubscription,
    plan: str,
    days: list[date],
    month: Month,
    book: PriceBook,
    programs: list[Program],
    reseller_on: Callable[[date], bool],
) -> list[LineDraft]:
    subscription = item.subscription
    plan_label = Plan(plan).label
    lines = _priced_lines(
        kind=InvoiceLine.Kind.PLAN,
        description=_("%(plan)s, grundavgift") % {"plan": plan_label},
        added="",
        removed="",
        holding=Holding(current=1),
        days=days,
        month=month,
        price_on=lambda day: book.plan(plan, day, reseller_on(day)),
        subscription=subscription,
    )
    for program in programs:
        holding = item.licenses.get(program.pk)
        if holding is None:
            continue
        lines += _priced_lines(
            kind=InvoiceLine.Kind.LICENSE,
            description=_("%(program)s, licenser") % {"program": program.name},
            added=_("%(program)s, tillagda licenser") % {"program": program.name},
            removed=_("%(program)s, borttagna licenser") % {"program": program.name},
            holding=holding,
            days=days,
            month=month,
            price_on=lambda day, program=program: book.program(  # type: ignore[misc]
                plan, program, day, reseller_on(day)
            ),
            subscription=subscription,
        )
    return lines


def seat_lines(
    *,
    firm: Firm,
    holding: Holding,
    month: Month,
    book: PriceBook,
    reseller_on: Callable[[date], bool],
) -> list[LineDraft]:
    first = max(month.first, local_date(firm.created_at))
    if first > month.last:
        return []
    return _priced_lines(
        kind=InvoiceLine.Kind.SEAT,
        description=_("Klienthanteraren, licenser"),
        added=_("Klienthanteraren, tillagda licenser"),
        removed=_("Klienthanteraren, borttagna licenser"),
        holding=holding,
        days=dates_between(first, month.last),
        month=month,
        price_on=lambda day: book.seat(day, reseller_on(day)),
    )


def fee_lines(charges: Iterable[FirmCharge]) -> list[LineDraft]:
    return [
        LineDraft(
            kind=InvoiceLine.Kind.FEE,
            description=charge.description,
            quantity=1,
            unit_price=charge.amount,
            amount=charge.amount,
            firm_charge=charge,
        )
        for charge in charges
    ]
