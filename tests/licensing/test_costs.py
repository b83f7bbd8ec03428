"""The one cost calculator (licensing/costs.py) on plain inputs: no queries."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import translation

from clients.models import Program
from licensing.costs import Seats, monthly_cost
from licensing.pricing import PriceMissing

LON = Program(code="lon", name="Lön")
KASSA = Program(code="kassa", name="Kassa")
DAY = date(2026, 12, 7)


@dataclass
class _Prices:
    plan: Decimal | None

    def plan_price(self, plan: str, reseller: bool) -> Decimal:
        if self.plan is None:
            raise PriceMissing(plan, DAY)
        return self.plan - (Decimal("10.00") if reseller else 0)

    def program_price(self, plan: str, program: Program, reseller: bool) -> Decimal:
        if program.code == "kassa":
            raise PriceMissing(program.code, DAY)
        return Decimal("50.00") if reseller else Decimal("60.00")


def test_prices_the_plan_and_each_program_at_reseller_prices() -> None:
    with translation.override("sv"):
        costing = monthly_cost(
            plan="smart",
            programs=[Seats(LON, 3, "Attestant")],
            reseller=True,
            prices=_Prices(Decimal("200.00")),
        )
    assert costing.plan_line is not None
    assert (costing.plan_line.description, costing.plan_line.amount) == (
        "Smart, grundavgift",
        Decimal("190.00"),
    )
    assert [(x.description, x.program, x.quantity, x.role, x.amount) for x in costing.lines] == [
        ("Lön, licenser", LON, 3, "Attestant", Decimal("150.00"))
    ]
    assert costing.monthly == Decimal("340.00")
    assert costing.reseller_prices is True


def test_leaves_out_what_has_no_price() -> None:
    costing = monthly_cost(
        plan="pro",
        programs=[Seats(LON, 2), Seats(KASSA, 1)],
        reseller=False,
        prices=_Prices(None),
    )
    assert costing.plan_line is None
    assert costing.unpriced == ["Kassa"]
    assert costing.monthly == Decimal("120.00")
