"""The cost preview and "Oanvända licenser" (licensing/reports/)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Level, Membership
from collaboration.changes import services
from collaboration.selectors import firm_coupled_subscription_ids
from licensing import billing
from licensing.models import Recipient, ResellerAgreement
from licensing.reports import selectors
from tests import factories
from tests.collaboration.collaborations_fixtures import Collab, make_collab
from tests.conftest import World
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def collab(world: World) -> Collab:
    return make_collab(world)


BOM = "\ufeff"


@pytest.fixture
def prices(world: World) -> None:
    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={
            ("smart", "bokforing"): ("150.00", "119.00"),
            ("smart", "lon"): ("100.00", "85.00"),
        },
    )


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


# --- Cost preview ---------------------------------------------------------------------------


def test_cost_at_list_prices_for_a_customer_who_pays(world: World, prices: None) -> None:
    factories.LicenseFactory(subscription=world.subscription, seats=2)
    factories.LicenseFactory(
        subscription=world.subscription, program=factories.program("lon"), seats=1
    )

    cost = selectors.collaboration_cost(subscription=world.subscription)

    assert (cost.plan_price, cost.total) == (Decimal("300.00"), Decimal("700.00"))
    assert [(line.program.code, line.quantity, line.amount) for line in cost.lines] == [
        ("bokforing", 2, Decimal("300.00")),
        ("lon", 1, Decimal("100.00")),
    ]
    assert cost.payer_is_client and cost.payer_name == "Kunden (Bageriet Solsidan AB)"
    assert not cost.reseller_prices


def test_cost_at_reseller_prices_on_samlingsfaktura(world: World, prices: None) -> None:
    factories.LicenseFactory(subscription=world.subscription, seats=2)
    ResellerAgreement.objects.create(firm=world.firm, valid_from=date(2025, 1, 1))
    billing.subscription_billing_set(
        subscription=world.subscription,
        recipient=Recipient.FIRM,
        firm=world.firm,
        consolidated=True,
        starts_on=date(2025, 1, 1),
    )

    cost = selectors.collaboration_cost(subscription=world.subscription)

    assert cost.total == Decimal("478.00")  # 240 + 2 × 119
    assert cost.payer_name == "Revisorerna Norr AB (samlingsfaktura)"
    assert cost.reseller_prices and not cost.payer_is_client


# --- Unused and left behind ------------------------------------------------------------


def test_unused_seats_are_seats_minus_levels(world: World, collab: Collab, prices: None) -> None:
    report = selectors.unused_licenses_for_subscription(subscription=world.subscription)

    (row,) = report.unused
    assert (row.program, row.seats, row.used, row.count) == ("Bokföring", 3, 2, 1)
    assert (row.unit_price, row.monthly_cost) == (Decimal("150.00"), Decimal("150.00"))
    assert row.payer == "Revisorerna Norr AB (egen faktura per kund)"
    assert report.left_behind == []


def test_seats_left_behind_after_ending_until_reused(
    world: World, collab: Collab, prices: None
) -> None:
    services.collaboration_end(
        actor=world.sysadmin, coupling=collab.coupling, side=services.Side.CLIENT
    )

    report = selectors.unused_licenses_for_subscription(subscription=world.subscription)
    assert [(r.count, r.ended_firms) for r in report.unused] == [(2, "")]
    assert [(r.count, r.ended_firms, r.monthly_cost) for r in report.left_behind] == [
        (1, "Revisorerna Norr AB", Decimal("150.00"))
    ]
    # Klas gets a seat: one seat was spare before the end, so what he takes
    # counts as reused, and nothing is left behind any more.
    klas = Membership.objects.get(subscription=world.subscription, user=world.client_user)
    factories.give_level(klas, "bokforing", Level.READ)
    report = selectors.unused_licenses_for_subscription(subscription=world.subscription)
    assert [r.count for r in report.unused] == [1]
    assert report.left_behind == []


def test_firm_report_shows_its_clients_and_recent_endings(
    world: World, collab: Collab, prices: None
) -> None:
    other = factories.CouplingFactory(firm=world.firm, subscription__client__name="Annan AB")
    factories.LicenseFactory(subscription=other.subscription, seats=4)
    stranger = factories.SubscriptionFactory(client__name="Främling AB")
    factories.LicenseFactory(subscription=stranger, seats=9)

    report = _firm_report(world)

    assert [(r.client_name, r.count) for r in report.unused] == [
        ("Annan AB", 4),
        ("Bageriet Solsidan AB", 1),
    ]
    services.collaboration_end(
        actor=world.firm_admin.user, coupling=collab.coupling, side=services.Side.FIRM
    )
    report = _firm_report(world)
    assert [r.client_name for r in report.unused] == ["Annan AB"]
    assert [(r.client_name, r.count) for r in report.left_behind] == [("Bageriet Solsidan AB", 1)]


# --- Views ---------------------------------------------------------------------------------


def test_firm_report_page_and_csv(world: World, collab: Collab, prices: None) -> None:
    client = logged_in(world.firm_admin)

    page = client.get(reverse("licensing:firm_unused_licenses"))
    download = client.get(reverse("licensing:firm_unused_licenses_csv"))

    assert page.status_code == 200
    assert "Oanvända licenser" in page.content.decode() and "150,00" in page.content.decode()
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download.content.decode("utf-8") == (
        BOM + "Typ;Klient;Organisationsnummer;Abonnemang;Program;Licenser;Används;Antal;"
        "Pris per licens och månad;Kostnad per månad;Betalas av;Avslutat samarbete med\r\n"
        f"Oanvänd;Bageriet Solsidan AB;{world.subscription.client.org_number};"
        f"{world.subscription.number};Bokföring;3;2;1;150,00;150,00;"
        "Revisorerna Norr AB (egen faktura per kund);\r\n"
    )


def test_firm_report_is_for_firm_admins(world: World) -> None:
    url = reverse("licensing:firm_unused_licenses")
    response = logged_in(world.consultant).get(url)
    assert response.status_code == 403
    assert logged_in(world.sysadmin).get(url).status_code == 404
    assert logged_in(world.firm_admin).post(url).status_code == 405


def test_subscription_report_for_its_sysadmins(world: World, collab: Collab, prices: None) -> None:
    url = reverse("licensing:subscription_unused_licenses", args=[world.subscription.number])

    response = logged_in(world.sysadmin).get(url)

    assert response.status_code == 200 and "Bokföring" in response.content.decode()
    assert logged_in(world.client_user).get(url).status_code == 404
    assert logged_in(world.firm_admin).get(url).status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_firm_report_query_count_is_constant(
    world: World, prices: None, django_assert_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    for _n in range(size):
        coupling = factories.CouplingFactory(firm=world.firm)
        factories.LicenseFactory(subscription=coupling.subscription, seats=2)
        billing.subscription_billing_set(
            subscription=coupling.subscription, recipient=Recipient.FIRM, firm=world.firm
        )
    client = logged_in(world.firm_admin)
    # user, consultant; couplings, ended events, subscriptions, levels,
    # agreements, the price book (3), licences
    with django_assert_num_queries(11):
        response = client.get(reverse("licensing:firm_unused_licenses"))
    assert response.status_code == 200


def test_left_behind_window(world: World, collab: Collab, prices: None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    services.collaboration_end(
        actor=world.firm_admin.user, coupling=collab.coupling, side=services.Side.FIRM
    )
    later = timezone.now() + timedelta(days=selectors.LEFT_BEHIND_DAYS, hours=1)
    monkeypatch.setattr(selectors.timezone, "now", lambda: later)

    assert _firm_report(world).left_behind == []
    # The customer's own report keeps them until they are reused or removed.
    subscription_report = selectors.unused_licenses_for_subscription(
        subscription=world.subscription
    )
    assert [r.count for r in subscription_report.left_behind] == [1]


def _firm_report(world: World) -> selectors.UnusedLicenseReport:
    """The firm's report as its page asks for it (the live couplings from
    collaboration)."""
    live = firm_coupled_subscription_ids(firm_id=world.firm.pk)
    return selectors.unused_licenses_for_firm(firm=world.firm, live=live)
