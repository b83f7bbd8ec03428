"""Reads about what subscriptions cost: the monthly cost preview shown before a
firm sends a request and before a sysadmin approves one, and the report
"Oanvända licenser". Prices are today's (kronor per month, excluding VAT);
each read is a fixed number of queries whatever the number of rows.

Which price applies. A subscription is priced at list prices, or at reseller
prices when it is on a firm's Samlingsfaktura and that firm's
återförsäljaravtal is valid today (as the invoicing run does per day).

Unused licences ("Oanvända licenser"). Per subscription and program: the
seats bought (`SubscriptionLicense.seats`) minus the program levels held in
the subscription (`ProgramLevel`, one seat each), when that is above zero.

Licences left behind after a collaboration ended ("Kvar efter avslutat
samarbete"). Ending a collaboration records, on its `COUPLING_ENDED` ledger
event, per program how many levels the firm's consultants held (`freed`) and
how many seats were unused just before (`unused_before`). For a subscription
and program, with F the seats freed (summed over the endings counted) and B
the `unused_before` of the earliest of them, the seats left behind today are

    min(F, max(0, unused today - B))

so seats that were spare already are not blamed on the ending, and seats
the customer has given to someone else or removed since count as reused
first: once they are, nothing is left behind. A sysadmin sees every
ended collaboration of the subscription; a firm sees those it ended or that
were ended while it paid, for `LEFT_BEHIND_DAYS` days.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Plan, Program, ProgramLevel, Subscription, SubscriptionLicense
from firm_portal.models import Firm
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from licensing.costs import BookPrices, CostLine, Seats, monthly_cost
from licensing.models import BillingChange, Recipient, ResellerAgreement, SubscriptionBilling
from licensing.pricing import Month, PriceBook, PriceMissing

LEFT_BEHIND_DAYS = 90


def _firms_with_agreement(firm_ids: set[int], on: date) -> set[int]:
    if not firm_ids:
        return set()
    return set(
        ResellerAgreement.objects.filter(firm_id__in=firm_ids, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("firm_id", flat=True)
    )


def _billing(subscription: Subscription) -> SubscriptionBilling | None:
    return getattr(subscription, "billing", None)


def _uses_reseller_prices(billing: SubscriptionBilling | None, reseller_firms: set[int]) -> bool:
    return bool(billing and billing.consolidated and billing.firm_id in reseller_firms)


def payer_label(billing: SubscriptionBilling | None, client_name: str) -> str:
    """ "Kunden (Bageriet AB)", "Redovisningsbyrån Norr AB (samlingsfaktura)"…"""
    if billing is None or billing.recipient == Recipient.CLIENT or billing.firm is None:
        return _("Kunden (%(client)s)") % {"client": client_name}
    if billing.consolidated:
        return _("%(firm)s (samlingsfaktura)") % {"firm": billing.firm.name}
    return _("%(firm)s (egen faktura per kund)") % {"firm": billing.firm.name}


# --- Cost preview --------------------------------------------------------------


@dataclass(frozen=True)
class CostPreview:
    """What a subscription costs per month today and who pays it."""

    subscription: Subscription
    plan_label: str
    plan_price: Decimal | None
    lines: list[CostLine]
    unpriced: list[str]
    payer_is_client: bool
    payer_name: str
    reseller_prices: bool
    renews_on: date | None
    period_months: int | None

    @property
    def total(self) -> Decimal:
        return (self.plan_price or Decimal("0.00")) + sum(
            (line.amount for line in self.lines), Decimal("0.00")
        )


def collaboration_cost(*, subscription: Subscription, on: date | None = None) -> CostPreview:
    """The monthly cost of `subscription` on `on` (today), for the preview
    before a request is sent ("Ny klient") or approved ("Byråsamarbete").

    A collaboration with an existing customer keeps the customer's plan,
    licences and invoice recipient (Visma scenario 1): the preview shows
    what is paid today and by whom; the firm pays nothing until renewal.
    Five queries; three for a subscription from
    `collaboration.changes.selectors.subscription_with_details` (its payer and
    licences are already loaded)."""
    on = on or today_in_stockholm()
    preloaded = hasattr(subscription, "license_rows")
    billing = (
        _billing(subscription)
        if preloaded
        else SubscriptionBilling.objects.filter(subscription=subscription)
        .select_related("firm")
        .first()
    )
    reseller = _uses_reseller_prices(
        billing,
        _firms_with_agreement({billing.firm_id} if billing and billing.firm_id else set(), on),
    )
    rows = (
        subscription.license_rows  # type: ignore[attr-defined]
        if preloaded
        else SubscriptionLicense.objects.filter(subscription=subscription, seats__gt=0)
        .select_related("program")
        .order_by("program__sort_order", "program__name")
    )
    costing = monthly_cost(
        plan=subscription.plan,
        programs=[Seats(row.program, row.seats) for row in rows],
        reseller=reseller,
        prices=BookPrices(PriceBook(Month.of(on), seats=False), on),
    )
    return CostPreview(
        subscription=subscription,
        plan_label=str(Plan(subscription.plan).label),
        plan_price=costing.plan_line.unit_price if costing.plan_line else None,
        lines=costing.lines,
        unpriced=costing.unpriced,
        payer_is_client=billing is None or billing.recipient == Recipient.CLIENT,
        payer_name=payer_label(billing, subscription.client.name),
        reseller_prices=reseller,
        renews_on=billing.renews_on if billing else None,
        period_months=billing.period_months if billing else None,
    )


# --- "Lägg till licens" ----------------------------------------------------------


@dataclass(frozen=True)
class LicenseQuote:
    """What one more licence of `program` costs per month from `on` and who
    pays it, shown before "Lägg till licens" is confirmed. `monthly_price`
    None: the price list has no price for it that day (it cannot be added)."""

    program: Program
    monthly_price: Decimal | None
    payer_name: str
    payer_is_client: bool
    reseller_prices: bool
    on: date


def _billing_on(subscription: Subscription, on: date) -> SubscriptionBilling | None:
    """Who pays on `on`: `SubscriptionBilling` holds the newest choice at
    once, but a change of payer takes effect on its `effective_on` (the
    first of a month); before that the invoice goes to the payer before it,
    as the invoicing run does (licensing/billing/__init__.py)."""
    billing = (
        SubscriptionBilling.objects.filter(subscription=subscription).select_related("firm").first()
    )
    pending = (
        BillingChange.objects.filter(subscription=subscription, effective_on__gt=on)
        .select_related("firm_before")
        .order_by("effective_on", "created_at", "pk")
        .first()
    )
    if pending is None:
        return billing
    return SubscriptionBilling(
        subscription=subscription,
        recipient=pending.recipient_before,
        firm=pending.firm_before,
        consolidated=pending.consolidated_before,
    )


def license_quote(
    *, subscription: Subscription, program: Program, on: date | None = None
) -> LicenseQuote:
    """The monthly price of one more licence of `program` on `subscription`
    on `on` (today): the price list's price for the subscription's plan, the
    reseller price when the payer that day has Samlingsfaktura under a valid
    återförsäljaravtal (as the invoicing run prices the day), and the payer
    ("Fakturamottagare") that day. Four queries."""
    on = on or today_in_stockholm()
    billing = _billing_on(subscription, on)
    reseller = _uses_reseller_prices(
        billing,
        _firms_with_agreement({billing.firm_id} if billing and billing.firm_id else set(), on),
    )
    costing = monthly_cost(
        plan=subscription.plan,
        programs=[Seats(program, 1)],
        reseller=reseller,
        prices=BookPrices(PriceBook(Month.of(on), seats=False), on),
    )
    price = costing.lines[0].unit_price if costing.lines else None
    return LicenseQuote(
        program=program,
        monthly_price=price,
        payer_name=payer_label(billing, subscription.client.name),
        payer_is_client=billing is None or billing.recipient == Recipient.CLIENT,
        reseller_prices=reseller,
        on=on,
    )


# --- "Oanvända licenser" --------------------------------------------------------


class RowKind:
    UNUSED = "unused"
    LEFT_BEHIND = "left_behind"


@dataclass(frozen=True)
class UnusedLicenseRow:
    kind: str
    client_name: str
    org_number: str
    subscription_number: int
    program: str
    seats: int
    used: int
    count: int  # unused seats, or seats left behind
    unit_price: Decimal | None
    payer: str
    ended_firms: str = ""

    @property
    def monthly_cost(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.count

    @property
    def kind_label(self) -> str:
        if self.kind == RowKind.LEFT_BEHIND:
            return _("Kvar efter avslutat samarbete")
        return _("Oanvänd")


@dataclass(frozen=True)
class UnusedLicenseReport:
    unused: list[UnusedLicenseRow]
    left_behind: list[UnusedLicenseRow]

    @property
    def rows(self) -> list[UnusedLicenseRow]:
        return self.unused + self.left_behind

    @property
    def unused_cost(self) -> Decimal:
        return sum((row.monthly_cost or Decimal("0.00") for row in self.unused), Decimal("0.00"))

    @property
    def left_behind_cost(self) -> Decimal:
        return sum(
            (row.monthly_cost or Decimal("0.00") for row in self.left_behind), Decimal("0.00")
        )


@dataclass
class _Endings:
    """What ended collaborations left, per (subscription, program code): the
    seats freed, the seats unused just before the earliest ending, and per
    subscription the names of the firms whose collaboration ended."""

    freed: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    spare_before: dict[tuple[int, str], int] = field(default_factory=dict)
    ended_firms: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, events: list[AccessEvent]) -> "_Endings":
        endings = cls()
        for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
            after = event.after or {}
            for code, count in (after.get("freed") or {}).items():
                endings.freed[(event.subscription_id, code)] += int(count)  # type: ignore[index]
                endings.spare_before.setdefault(
                    (event.subscription_id, code),  # type: ignore[arg-type]
                    int((after.get("unused_before") or {}).get(code, 0)),
                )
            if event.firm_name is not None:  # type: ignore[attr-defined]
                endings.ended_firms[event.subscription_id].add(event.firm_name)  # type: ignore[attr-defined,index]
        return endings

    def left_behind(self, key: tuple[int, str], free: int) -> int:
        """min(F, max(0, unused today - B)), as the module's docstring says."""
        return min(self.freed.get(key, 0), max(0, free - self.spare_before.get(key, 0)))


def _report(
    *,
    unused_ids: set[int],
    left_events: list[AccessEvent],
    on: date,
) -> UnusedLicenseReport:
    """Build the report for the subscriptions in `unused_ids` (unused seats)
    and those of `left_events` (seats left behind)."""
    endings = _Endings.of(left_events)
    ids = unused_ids | {sid for sid, _code in endings.freed}
    subscriptions = {
        s.pk: s
        for s in Subscription.objects.filter(pk__in=ids)
        .exclude(status=Subscription.Status.ENDED)
        .select_related("client", "billing__firm")
    }
    used = {
        (row["subscription_id"], row["program_id"]): row["used"]
        for row in ProgramLevel.objects.filter(
            membership__subscription_id__in=subscriptions
        ).seats_used()
    }
    reseller_firms = _firms_with_agreement(
        {b.firm_id for s in subscriptions.values() if (b := _billing(s)) and b.firm_id}, on
    )
    book = PriceBook(Month.of(on))
    unused: list[UnusedLicenseRow] = []
    left_behind: list[UnusedLicenseRow] = []
    licenses = (
        SubscriptionLicense.objects.filter(subscription_id__in=subscriptions, seats__gt=0)
        .select_related("program")
        .order_by("program__sort_order", "program__name")
    )
    for row in licenses:
        subscription = subscriptions[row.subscription_id]
        holders = used.get((row.subscription_id, row.program_id), 0)
        free = row.seats - holders
        if free <= 0:
            continue
        common = _row_values(book, subscription, row, holders, on, reseller_firms)
        if row.subscription_id in unused_ids:
            unused.append(UnusedLicenseRow(kind=RowKind.UNUSED, count=free, **common))  # type: ignore[arg-type]
        left = endings.left_behind((row.subscription_id, row.program.code), free)
        if left > 0:
            left_behind.append(
                UnusedLicenseRow(
                    kind=RowKind.LEFT_BEHIND,
                    count=left,
                    ended_firms=", ".join(sorted(endings.ended_firms[row.subscription_id])),
                    **common,  # type: ignore[arg-type]
                )
            )

    def order(row: UnusedLicenseRow) -> tuple[str, int]:
        return (row.client_name, row.subscription_number)

    return UnusedLicenseReport(
        unused=sorted(unused, key=order), left_behind=sorted(left_behind, key=order)
    )


def _row_values(
    book: PriceBook,
    subscription: Subscription,
    row: SubscriptionLicense,
    holders: int,
    on: date,
    reseller_firms: set[int],
) -> dict[str, object]:
    """A licence row's columns, whichever kind of row it becomes; the price
    None when the price list has none that day."""
    billing = _billing(subscription)
    try:
        price: Decimal | None = book.program(
            subscription.plan, row.program, on, _uses_reseller_prices(billing, reseller_firms)
        )
    except PriceMissing:
        price = None
    return {
        "client_name": subscription.client.name,
        "org_number": subscription.client.org_number,
        "subscription_number": subscription.number,
        "program": row.program.name,
        "seats": row.seats,
        "used": holders,
        "unit_price": price,
        "payer": payer_label(billing, subscription.client.name),
    }


def _ended_events() -> QuerySet[AccessEvent]:
    """Ended couplings in the ledger, with the firm's name (the ledger keeps its id)."""
    firm = Firm.objects.filter(pk=OuterRef("firm_id"))
    return AccessEvent.objects.filter(kind=AccessEvent.Kind.COUPLING_ENDED).annotate(
        firm_name=Subquery(firm.values("name")[:1])
    )


def unused_licenses_for_firm(
    *, firm: Firm, live: Iterable[int], on: date | None = None
) -> UnusedLicenseReport:
    """For the firm's admins: unused seats in every subscription the firm
    collaborates with now (`live`, the page asks collaboration:
    `firm_coupled_subscription_ids`), and seats left behind by collaborations
    of the firm ended in the last `LEFT_BEHIND_DAYS` days."""
    on = on or today_in_stockholm()
    events = list(
        _ended_events().filter(
            firm_id=firm.pk, occurred_at__gte=timezone.now() - timedelta(days=LEFT_BEHIND_DAYS)
        )
    )
    return _report(unused_ids=set(live), left_events=events, on=on)


def unused_licenses_for_subscription(
    *, subscription: Subscription, on: date | None = None
) -> UnusedLicenseReport:
    """For a subscription's sysadmins: its unused seats, and the seats left
    behind by every collaboration that has ended in it."""
    on = on or today_in_stockholm()
    events = list(_ended_events().filter(subscription_id=subscription.pk))
    return _report(unused_ids={subscription.pk}, left_events=events, on=on)


def unused_licenses_csv_rows(report: UnusedLicenseReport) -> tuple[list[str], list[list[object]]]:
    header = [
        _("Typ"),
        _("Klient"),
        _("Organisationsnummer"),
        _("Abonnemang"),
        _("Program"),
        _("Licenser"),
        _("Används"),
        _("Antal"),
        _("Pris per licens och månad"),
        _("Kostnad per månad"),
        _("Betalas av"),
        _("Avslutat samarbete med"),
    ]
    rows: list[list[object]] = [
        [
            row.kind_label,
            row.client_name,
            row.org_number,
            row.subscription_number,
            row.program,
            row.seats,
            row.used,
            row.count,
            _money(row.unit_price),
            _money(row.monthly_cost),
            row.payer,
            row.ended_firms,
        ]
        for row in report.rows
    ]
    return header, rows


def _money(value: Decimal | None) -> str:
    # Swedish Excel reads a decimal comma.
    return "" if value is None else f"{value:.2f}".replace(".", ",")
