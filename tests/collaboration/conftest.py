"""Fixtures shared by the collaboration tests: the price lists they sell at."""

import pytest

from clients.catalogue import programs_ensure
from tests.collaboration.new_customer_helpers import install_prices
from tests.conftest import World
from tests.licensing.factories import replace_price_list


@pytest.fixture
def prices(world: World) -> None:
    """Round prices for every plan and program ("Skapa nytt samarbete")."""
    install_prices()


@pytest.fixture
def billing_prices() -> None:
    """Smart and Pro with Bokföring, the list prices the billing tests
    count in öre (test_collaborations_billing.py, test_firm_change_billing.py)."""
    programs_ensure()
    replace_price_list(
        plans={"smart": ("300.00", "240.00"), "pro": ("450.00", "360.00")},
        programs={
            ("smart", "bokforing"): ("150.00", "119.00"),
            ("pro", "bokforing"): ("180.00", "139.00"),
        },
    )
