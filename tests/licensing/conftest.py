"""The billing scenario most tests share.

November 2025 has 30 days. Firm "Revisorerna Norr AB" has a reseller agreement
and takes two customers on its Samlingsfaktura; Bokföring on Smart costs more
from 10 November, and the bakery adds a Bokföring licence on 15 November; a
600 kr manual-coupling fee was charged on 20 November.
"""

from datetime import date
from decimal import Decimal

import pytest

from clients.catalogue import programs_ensure
from clients.models import Plan
from licensing.models import FirmBillingDetails, ProgramPrice, ResellerAgreement
from tests import factories
from tests.licensing.factories import (
    START,
    Scenario,
    add_license,
    backdate,
    billed_subscription,
    consolidate,
    manual_coupling_fee,
    replace_price_list,
)


@pytest.fixture
def scenario() -> Scenario:
    programs_ensure()
    replace_price_list(
        plans={"smart": ("300.00", "240.00"), "start": ("200.00", "150.00")},
        programs={
            ("smart", "bokforing"): ("150.00", "119.00"),
            ("smart", "lon"): ("100.00", "85.00"),
            ("start", "bokforing"): ("130.00", "99.00"),
        },
        seat=("250.00", "200.00"),
    )
    # Bokföring on Smart costs more from 10 November.
    ProgramPrice.objects.filter(plan="smart", program__code="bokforing").update(
        valid_to=date(2025, 11, 9)
    )
    ProgramPrice.objects.create(
        plan="smart",
        program=factories.program("bokforing"),
        list_price=Decimal("159.00"),
        reseller_price=Decimal("127.00"),
        valid_from=date(2025, 11, 10),
    )
    firm = factories.FirmFactory(name="Revisorerna Norr AB", client_manager_seats=2)
    backdate(firm, START)
    FirmBillingDetails.objects.create(
        firm=firm, street="Storgatan 1", postal_code="903 26", city="Umeå", reference="Anna Admin"
    )
    ResellerAgreement.objects.create(firm=firm, valid_from=START, reference="ÅF-1001")
    bakery = billed_subscription("Bageriet Solsidan AB", Plan.SMART, {"bokforing": 2, "lon": 1})
    add_license(bakery, "bokforing", date(2025, 11, 15))
    bikes = billed_subscription("Cykelverkstaden i Umeå AB", Plan.START, {"bokforing": 1})
    consolidate(bakery, firm)
    consolidate(bikes, firm)
    fee = manual_coupling_fee(firm=firm, subscription=bakery, day=date(2025, 11, 20))
    return Scenario(firm=firm, bakery=bakery, bikes=bikes, fee=fee)
