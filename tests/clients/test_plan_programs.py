"""Issue 13: which programs a plan includes is one rule (clients.catalogue),
asked by every place that sells licences: "Lägg till licens" on "Tilldela
behörigheter" added billable licences for programs the plan does not
include, which "Ändra abonnemang" refused."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse

from clients.catalogue import PLAN_PROGRAMS, PROGRAMS, plan_includes
from clients.models import Plan, Program, Subscription, SubscriptionLicense
from collaboration.changes.services import collaboration_licenses_set, collaboration_plan_change
from firm_portal.management.demo import specs
from firm_portal.management.large_world import names
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from licensing.models import LicenseChange, PlanChange
from licensing.services import license_add
from tests import factories
from tests.collaboration.new_customer_helpers import PLAN_PRICES
from tests.conftest import World
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db

# world.subscription is on Smart, which does not include Lager.
NOT_IN_SMART = "Lager ingår inte i varianten Smart."


def nothing_billed(world: World) -> bool:
    return (
        not SubscriptionLicense.objects.filter(
            subscription=world.subscription, program__code="lager"
        ).exists()
        and not LicenseChange.objects.exists()
        and not AccessEvent.objects.filter(kind=AccessEvent.Kind.LICENSES_CHANGED).exists()
    )


class TestAddLicense:
    def test_a_program_outside_the_plan_is_refused(self, client: Client, world: World) -> None:
        client.force_login(world.sysadmin)
        url = reverse("clients:add_license", args=[world.subscription.number, "lager"])
        confirmation = client.get(url)
        assert NOT_IN_SMART in confirmation.text
        assert "Bekräfta och lägg till licens" not in confirmation.text
        # Confirmed anyway (a crafted post): refused by the service.
        replace_price_list(
            plans={"smart": ("300.00", "240.00")},
            programs={("smart", "lager"): ("80.00", "64.00")},
        )
        response = client.post(url, {"pris": "80.00", "bekrafta": "1"}, follow=True)
        assert NOT_IN_SMART in response.text
        assert nothing_billed(world)

    def test_the_service_refuses_it_too(self, world: World) -> None:
        with pytest.raises(ValidationError) as caught:
            license_add(
                actor=world.sysadmin,
                subscription=world.subscription,
                program=factories.program("lager"),
            )
        assert caught.value.messages == [NOT_IN_SMART]
        assert nothing_billed(world)

    def test_a_program_of_the_plan_is_added(self, client: Client, world: World) -> None:
        client.force_login(world.sysadmin)
        response = factories.add_license_confirmed(client, world.subscription, "lon")
        assert "En licens för Lön är tillagd. Abonnemanget har nu 1." in response.text
        assert LicenseChange.objects.get().program.code == "lon"

    def test_the_grid_offers_it_only_for_the_plans_programs(
        self, client: Client, world: World
    ) -> None:
        # Offert & Order from before the rule: shown (its seats count), never offered.
        factories.LicenseFactory(
            subscription=world.subscription, program=factories.program("offert-order"), seats=1
        )
        client.force_login(world.sysadmin)
        page = client.get(reverse("clients:permissions", args=[world.subscription.number])).text
        for code in PLAN_PROGRAMS["smart"]:
            assert reverse("clients:add_license", args=[world.subscription.number, code]) in page
        for code in ("lager", "offert-order"):
            assert (
                reverse("clients:add_license", args=[world.subscription.number, code]) not in page
            )
        assert "Offert &amp; Order" in page and "Lager" not in page
        assert "Ingår inte i varianten" in page


class TestChangeSubscription:
    """ "Ändra abonnemang" asks the same rule (it asked the price list, which
    prices every program on every plan)."""

    @pytest.fixture(autouse=True)
    def prices(self, world: World) -> None:
        # As the real price list (licensing 0005) is: every program priced on every plan.
        replace_price_list(
            plans=PLAN_PRICES,
            programs={
                (plan, code): ("50.00", "40.00") for plan in Plan.values for code, _ in PROGRAMS
            },
            valid_from=today_in_stockholm() - timedelta(days=400),
        )

    def test_more_licences_of_a_program_outside_the_plan_are_refused(self, world: World) -> None:
        lager = factories.program("lager")
        with pytest.raises(ValidationError) as caught:
            collaboration_licenses_set(
                actor=world.sysadmin, subscription=world.subscription, seats={lager.pk: 2}
            )
        assert caught.value.message_dict == {"seats_lager": [NOT_IN_SMART]}
        assert nothing_billed(world)

    def test_the_form_lists_the_plans_programs(self, client: Client, world: World) -> None:
        client.force_login(world.sysadmin)
        page = client.get(
            reverse("collaboration:subscription_change", args=[world.subscription.number])
        ).text
        assert 'name="seats_lon"' in page
        assert 'name="seats_lager"' not in page

    def test_a_plan_without_a_licensed_program_is_refused(self, world: World) -> None:
        factories.LicenseFactory(
            subscription=world.subscription, program=factories.program("lon"), seats=1
        )
        with pytest.raises(ValidationError) as caught:
            collaboration_plan_change(
                actor=world.sysadmin, subscription=world.subscription, plan=Plan.START
            )
        assert caught.value.message_dict == {
            "plan": ["Varianten Start omfattar inte Lön. Ta bort de licenserna först."]
        }
        assert not PlanChange.objects.exists()


class TestSupportAdmin:
    @pytest.fixture
    def request_(self, rf: RequestFactory) -> Any:
        request = rf.get("/admin/")
        request.user = factories.UserFactory(is_staff=True, is_superuser=True)  # type: ignore[assignment]
        return request

    def test_licence_form_refuses_a_program_outside_the_plan(
        self, world: World, request_: Any
    ) -> None:
        form_class = admin.site._registry[SubscriptionLicense].get_form(request_)
        form = form_class(
            data={
                "subscription": world.subscription.pk,
                "program": factories.program("lager").pk,
                "seats": 3,
            }
        )
        assert form.errors == {"program": [NOT_IN_SMART]}
        form = form_class(
            data={
                "subscription": world.subscription.pk,
                "program": factories.program("lon").pk,
                "seats": 3,
            }
        )
        assert form.is_valid(), form.errors

    def test_licence_form_may_lower_seats_outside_the_plan(
        self, world: World, request_: Any
    ) -> None:
        row = factories.LicenseFactory(
            subscription=world.subscription, program=factories.program("lager"), seats=3
        )
        form_class = admin.site._registry[SubscriptionLicense].get_form(request_, row)
        data = {"subscription": world.subscription.pk, "program": row.program_id}
        assert form_class(instance=row, data={**data, "seats": 1}).is_valid()
        assert form_class(instance=row, data={**data, "seats": 4}).errors == {
            "program": [NOT_IN_SMART]
        }

    def test_subscription_page_refuses_licences_and_plans_outside_the_rule(
        self, client: Client, world: World
    ) -> None:
        factories.LicenseFactory(subscription=world.subscription, seats=2)  # Bokföring
        client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
        url = reverse("admin:clients_subscription_change", args=[world.subscription.pk])
        row = SubscriptionLicense.objects.get(subscription=world.subscription)
        base = {
            "client": world.subscription.client_id,
            "plan": "smart",
            "status": "active",
            "licenses-TOTAL_FORMS": "2",
            "licenses-INITIAL_FORMS": "1",
            "licenses-0-id": row.pk,
            "licenses-0-subscription": world.subscription.pk,
            "licenses-0-program": row.program_id,
            "licenses-0-seats": "2",
            "licenses-1-subscription": world.subscription.pk,
            "licenses-1-program": factories.program("lager").pk,
            "licenses-1-seats": "1",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
        response = client.post(url, base)
        assert response.status_code == 200
        # Lager is not offered on Smart (issue 14, item 16): a forged choice is refused.
        assert "Välj ett giltigt alternativ" in response.text
        assert not SubscriptionLicense.objects.filter(program__code="lager").exists()
        # Faktura does not include Bokföring, which it has licences of.
        response = client.post(url, {**base, "plan": "faktura", "licenses-TOTAL_FORMS": "1"})
        assert response.status_code == 200
        assert "Varianten Faktura omfattar inte Bokföring. Ta bort de licenserna först." in (
            response.text
        )
        world.subscription.refresh_from_db()
        assert world.subscription.plan == Plan.SMART
        assert list(SubscriptionLicense.objects.values_list("program__code", "seats")) == [
            ("bokforing", 2)
        ]
        # A program of the plan is fine.
        response = client.post(
            url,
            {**base, "licenses-1-program": factories.program("lon").pk},
        )
        assert response.status_code == 302
        assert Subscription.objects.get(pk=world.subscription.pk).licenses.count() == 2


@pytest.mark.parametrize("mixes", [specs.PLAN_LICENSE_MIX, names.PLAN_LICENSE_MIX])
def test_demo_and_bench_data_hold_licences_of_their_plans_only(
    mixes: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]], db: None
) -> None:
    for plan, (always, extras, _count) in mixes.items():
        for code in always + extras:
            assert plan_includes(plan=plan, program_code=code), (plan, code)
    assert set(PLAN_PROGRAMS) == set(Plan.values)
    assert {code for codes in PLAN_PROGRAMS.values() for code in codes} <= set(
        Program.objects.values_list("code", flat=True)
    )
