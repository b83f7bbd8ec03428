"""The one cost calculator: what a plan and its licences cost per month, in
kronor excluding VAT, at list or reseller prices. It takes plain inputs (a
plan, programs with seat counts, whether reseller prices apply) and a price
source, and does no queries of its own, so it prices both a subscription that
does not exist yet (the "Ny klient" wizard's "Sammanfattning", prices from
`collaboration.new_customer.selectors.Offers`) and an existing one (the
preview before "Jag godkänner", `licensing.reports.selectors.collaboration_cost`, prices
from a `PriceBook`). Reseller prices apply only with Samlingsfaktura under a
valid återförsäljaravtal; the caller decides that and passes `reseller`."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from clients.models import Plan, Program
from licensing.pricing import PriceBook, PriceMissing


class Prices(Protocol):
    """A price source: raises `PriceMissing` when there is no price."""

    def plan_price(self, plan: str, reseller: bool) -> Decimal: ...

    def program_price(self, plan: str, program: Program, reseller: bool) -> Decimal: ...


@dataclass(frozen=True)
class BookPrices:
    """The price list's prices on `on`."""

    book: PriceBook
    on: date

    def plan_price(self, plan: str, reseller: bool) -> Decimal:
        return self.book.plan(plan, self.on, reseller)

    def program_price(self, plan: str, program: Program, reseller: bool) -> Decimal:
        return self.book.program(plan, program, self.on, reseller)


@dataclass(frozen=True)
class Seats:
    program: Program
    seats: int
    role: str = ""  # the primary contact's level in the program, if shown


@dataclass(frozen=True)
class CostLine:
    """One line of a cost preview: the plan's base fee (`program` None) or
    the licences of one program."""

    description: str
    quantity: int
    unit_price: Decimal
    program: Program | None = None
    role: str = ""

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Costing:
    """`plan_line` None: no price for the plan; `unpriced`: the names of
    programs without a price (left out of `lines`)."""

    plan_line: CostLine | None
    lines: list[CostLine]
    unpriced: list[str]
    reseller_prices: bool

    @property
    def monthly(self) -> Decimal:
        return (self.plan_line.amount if self.plan_line else Decimal("0.00")) + sum(
            (line.amount for line in self.lines), Decimal("0.00")
        )


def monthly_cost(
    *, plan: str, programs: Iterable[Seats], reseller: bool, prices: Prices
) -> Costing:
    """The plan's base fee and each program's licences at `prices`."""
    label = str(Plan(plan).label)
    try:
        plan_line: CostLine | None = CostLine(
            description=_("%(plan)s, grundavgift") % {"plan": label},
            quantity=1,
            unit_price=prices.plan_price(plan, reseller),
        )
    except PriceMissing:
        plan_line = None
    lines, unpriced = [], []
    for item in programs:
        try:
            unit_price = prices.program_price(plan, item.program, reseller)
        except PriceMissing:
            unpriced.append(item.program.name)
            continue
        lines.append(
            CostLine(
                description=_("%(program)s, licenser") % {"program": item.program.name},
                quantity=item.seats,
                unit_price=unit_price,
                program=item.program,
                role=item.role,
            )
        )
    return Costing(plan_line=plan_line, lines=lines, unpriced=unpriced, reseller_prices=reseller)
