"""Months, money and the price list: the arithmetic every invoice line uses.

See licensing/billing/__init__.py for the rules (days, pro rata, rounding)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q

from clients.models import Program
from firm_portal.timeutils import STOCKHOLM
from licensing.models import ClientManagerSeatPrice, PlanPrice, PricePeriod, ProgramPrice


@dataclass(frozen=True)
class Month:
    first: date

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.replace(day=1))

    @property
    def next_first(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)

    @property
    def last(self) -> date:
        return self.next_first - timedelta(days=1)

    @property
    def days(self) -> int:
        return self.last.day

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=STOCKHOLM)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the month (exclusive end)."""
        return datetime.combine(self.next_first, time.min, tzinfo=STOCKHOLM)

    def previous(self) -> "Month":
        return Month.of(self.first - timedelta(days=1))


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months, kept inside the month (31 Jan + 1 → 28/29 Feb)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    first = date(year, month_index + 1, 1)
    return min(first + timedelta(days=day.day - 1), Month(first).last)


def round_ore(value: Fraction) -> Decimal:
    """Round an exact amount of kronor to öre, half away from zero (ROUND_HALF_UP)."""
    ore = value * 100
    whole, remainder = divmod(abs(ore.numerator), ore.denominator)
    if 2 * remainder >= ore.denominator:
        whole += 1
    return Decimal(-whole if ore < 0 else whole).scaleb(-2)


def line_amount(*, quantity: int, unit_price: Decimal, days: int, days_in_month: int) -> Decimal:
    return round_ore(Fraction(quantity) * Fraction(unit_price) * days / days_in_month)


def local_date(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()


def dates_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# --- Prices --------------------------------------------------------------------


class PriceMissing(Exception):
    """The price list has no price for something on a day it is billed."""

    def __init__(self, what: str, day: date) -> None:
        super().__init__(f"No price for {what} on {day.isoformat()}")
        self.what = what
        self.day = day


class PriceBook:
    """Every price row that is valid on some day of a month, looked up per day."""

    def __init__(self, month: Month, *, seats: bool = True) -> None:
        """`seats=False`: without client-manager seat prices (one query less,
        for what prices only plans and licences)."""

        def valid(model: type[PricePeriod]) -> list[PricePeriod]:
            return list(
                model._default_manager.filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gte=month.first),
                    valid_from__lte=month.last,
                ).order_by("-valid_from")
            )

        self._plans: dict[str, list[PricePeriod]] = defaultdict(list)
        for row in valid(PlanPrice):
            self._plans[row.plan].append(row)  # type: ignore[attr-defined]
        self._programs: dict[tuple[str, int], list[PricePeriod]] = defaultdict(list)
        for row in valid(ProgramPrice):
            self._programs[(row.plan, row.program_id)].append(row)  # type: ignore[attr-defined]
        self._seats: list[PricePeriod] | None = valid(ClientManagerSeatPrice) if seats else None

    @staticmethod
    def _pick(rows: list[PricePeriod], day: date, reseller: bool, what: str) -> Decimal:
        for row in rows:  # newest first: periods do not overlap, but be deterministic
            if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
                return row.price(reseller=reseller)
        raise PriceMissing(what, day)

    def plan(self, plan: str, day: date, reseller: bool) -> Decimal:
        return self._pick(self._plans[plan], day, reseller, f"plan {plan}")

    def program(self, plan: str, program: Program, day: date, reseller: bool) -> Decimal:
        return self._pick(
            self._programs[(plan, program.pk)], day, reseller, f"{program.code} on plan {plan}"
        )

    def seat(self, day: date, reseller: bool) -> Decimal:
        if self._seats is None:
            raise TypeError("PriceBook made with seats=False")
        return self._pick(self._seats, day, reseller, "client-manager seats")


@dataclass(frozen=True)
class PriceQuote:
    """Monthly prices on one day, for showing in a form (e.g. the wizard)."""

    plan_price: Decimal
    program_prices: dict[str, Decimal]


def price_quote(*, plan: str, on: date, reseller: bool) -> PriceQuote:
    """The plan's base price and every program's licence price valid on `on`."""
    book = PriceBook(Month.of(on))
    program_prices = {}
    for program in Program.objects.all():
        try:
            program_prices[program.code] = book.program(plan, program, on, reseller)
        except PriceMissing:
            continue  # not sold on this plan
    return PriceQuote(plan_price=book.plan(plan, on, reseller), program_prices=program_prices)
