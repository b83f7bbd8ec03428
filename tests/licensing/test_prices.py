"""The price list: seeded prices, validity periods, no overlaps."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.catalogue import PROGRAMS, programs_ensure
from clients.models import Plan
from licensing.models import ClientManagerSeatPrice, PlanPrice, ProgramPrice, ResellerAgreement
from licensing.pricing import Month, PriceBook, PriceMissing, price_quote
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_seeded_price_list_prices_every_plan_and_program() -> None:
    day = date(2026, 6, 1)
    book = PriceBook(Month.of(day))
    for plan in Plan.values:
        quote = price_quote(plan=plan, on=day, reseller=False)
        assert quote.plan_price > 0
        assert set(quote.program_prices) == {code for code, _name in PROGRAMS}
        for code, list_price in quote.program_prices.items():
            reseller = book.program(plan, factories.program(code), day, reseller=True)
            assert Decimal(0) < reseller < list_price
    assert book.seat(day, reseller=False) == Decimal("249.00")
    assert book.seat(day, reseller=True) == Decimal("199.00")
    assert price_quote(plan="smart", on=day, reseller=True).plan_price == Decimal("239.00")


def test_each_day_gets_the_price_valid_that_day_valid_to_inclusive() -> None:
    PlanPrice.objects.filter(plan="pro").update(valid_to=date(2026, 3, 14))
    PlanPrice.objects.create(
        plan="pro",
        list_price=Decimal("499.00"),
        reseller_price=Decimal("399.00"),
        valid_from=date(2026, 3, 15),
    )
    book = PriceBook(Month.of(date(2026, 3, 1)))

    assert book.plan("pro", date(2026, 3, 14), reseller=False) == Decimal("449.00")
    assert book.plan("pro", date(2026, 3, 15), reseller=False) == Decimal("499.00")
    assert book.plan("pro", date(2026, 3, 31), reseller=True) == Decimal("399.00")


def test_no_price_before_the_first_period() -> None:
    book = PriceBook(Month.of(date(2024, 12, 1)))
    with pytest.raises(PriceMissing):
        book.plan("smart", date(2024, 12, 31), reseller=False)


def _new_price(**overrides: object) -> PlanPrice:
    values: dict[str, object] = {
        "plan": "start",
        "list_price": Decimal("219.00"),
        "reseller_price": Decimal("175.00"),
        "valid_from": date(2026, 1, 1),
    }
    values.update(overrides)
    return PlanPrice(**values)  # type: ignore[arg-type]


def test_an_overlapping_period_is_refused_with_a_swedish_message() -> None:
    price = _new_price()  # the seeded Start price is open-ended from 2025-01-01

    with pytest.raises(ValidationError) as caught:
        price.full_clean()

    assert caught.value.messages == [
        "Perioden överlappar ett annat pris för samma sak (2025-01-01 – tills vidare). "
        "Avsluta det andra priset dagen före, eller ändra datumen."
    ]


def test_adjacent_periods_are_fine_and_other_keys_do_not_clash() -> None:
    PlanPrice.objects.filter(plan="start").update(valid_to=date(2025, 12, 31))

    _new_price().full_clean()  # from the day after the old one ends
    # Ending Pro's Bokföring price frees that key only; Smart's stays open.
    ProgramPrice.objects.filter(plan="pro", program__code="bokforing").update(
        valid_to=date(2025, 12, 31)
    )
    next_price = ProgramPrice(
        plan="pro",
        program=factories.program("bokforing"),
        list_price=Decimal("189.00"),
        reseller_price=Decimal("149.00"),
        valid_from=date(2026, 1, 1),
    )
    next_price.full_clean()
    next_price.save()
    next_price.plan = "smart"
    with pytest.raises(ValidationError):
        next_price.full_clean()


def test_the_database_refuses_overlaps_too() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _new_price().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientManagerSeatPrice.objects.create(
            list_price=Decimal("1.00"), reseller_price=Decimal("1.00"), valid_from=date(2030, 1, 1)
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_to": date(2025, 12, 1)}, "Slutdatumet kan inte vara före startdatumet."),
        (
            {"reseller_price": Decimal("300.00")},
            "Återförsäljarpriset kan inte vara högre än listpriset.",
        ),
    ],
)
def test_period_and_price_checks(overrides: dict[str, object], message: str) -> None:
    PlanPrice.objects.filter(plan="start").update(valid_to=date(2025, 12, 31))
    with pytest.raises(ValidationError) as caught:
        _new_price(**overrides).full_clean()
    assert message in caught.value.messages


def test_reseller_agreements_of_a_firm_do_not_overlap() -> None:
    programs_ensure()
    firm = factories.FirmFactory()
    ResellerAgreement.objects.create(
        firm=firm, valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31)
    )

    with pytest.raises(ValidationError) as caught:
        ResellerAgreement(firm=firm, valid_from=date(2025, 6, 1)).full_clean()

    assert caught.value.messages == [
        "Byrån har redan ett återförsäljaravtal som gäller under en del av perioden."
    ]
    ResellerAgreement(firm=firm, valid_from=date(2026, 1, 1)).full_clean()
    ResellerAgreement(firm=factories.FirmFactory(), valid_from=date(2025, 6, 1)).full_clean()
