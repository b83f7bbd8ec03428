"""Flow 2 rules: levels take seats, licences, the last sysadmin."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients import services
from clients.models import Level, ProgramLevel, seats_used_of
from clients.services import NoFreeSeat
from tests import factories

pytestmark = pytest.mark.django_db


def set_level(world, membership, code, level):  # type: ignore[no-untyped-def]
    return services.program_level_set(
        actor=world.sysadmin,
        subscription=world.subscription,
        membership=membership,
        program=factories.program(code),
        level=level,
    )


class TestLevels:
    def test_level_takes_a_seat_and_none_free_is_refused(self, world):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        set_level(world, world.sysadmin_membership, "bokforing", Level.ADMIN)
        other = world.subscription.memberships.get(user=world.client_user)
        with pytest.raises(NoFreeSeat) as error:
            set_level(world, other, "bokforing", Level.READ)
        assert error.value.messages == [
            "Det finns ingen ledig licens för Bokföring (1 av 1 används). "
            "Lägg till en licens först."
        ]
        assert ProgramLevel.objects.count() == 1

    def test_no_licence_row_means_no_seat(self, world):
        with pytest.raises(NoFreeSeat):
            set_level(world, world.sysadmin_membership, "lon", Level.READ)

    def test_changing_a_level_keeps_the_seat(self, world):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        set_level(world, world.sysadmin_membership, "bokforing", Level.READ)
        set_level(world, world.sysadmin_membership, "bokforing", Level.APPROVER)
        assert list(ProgramLevel.objects.values_list("level", flat=True)) == [Level.APPROVER]

    def test_removing_frees_the_seat(self, world):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        set_level(world, world.sysadmin_membership, "bokforing", Level.READ)
        assert set_level(world, world.sysadmin_membership, "bokforing", "") is None
        other = world.subscription.memberships.get(user=world.client_user)
        set_level(world, other, "bokforing", Level.READ)
        assert ProgramLevel.objects.get().membership == other

    def test_unknown_level_refused(self, world):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        with pytest.raises(ValidationError) as error:
            set_level(world, world.sysadmin_membership, "bokforing", "owner")
        assert error.value.messages == ["Välj en giltig behörighet."]

    def test_seats_are_per_subscription(self, world):
        factories.LicenseFactory(subscription=world.other_subscription, seats=5)
        with pytest.raises(NoFreeSeat):
            set_level(world, world.sysadmin_membership, "bokforing", Level.READ)


class TestSysadmin:
    def test_last_sysadmin_cannot_be_removed(self, world):
        with pytest.raises(ValidationError) as error:
            services.membership_set_sysadmin(
                actor=world.sysadmin,
                subscription=world.subscription,
                membership=world.sysadmin_membership,
                is_sysadmin=False,
            )
        assert error.value.messages == [
            "Lisa Sysadmin är den enda systemadministratören. Gör någon annan till "
            "systemadministratör först."
        ]
        world.sysadmin_membership.refresh_from_db()
        assert world.sysadmin_membership.is_sysadmin

    @pytest.mark.django_db(transaction=True)
    def test_the_flag_is_saved_without_a_surrounding_transaction(self, world):
        """The HTMX cell calls the service outside any transaction: its row
        lock needs the service's own (a 500 on every click before)."""
        other = world.subscription.memberships.get(user=world.client_user)
        services.membership_set_sysadmin(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=other,
            is_sysadmin=True,
        )
        other.refresh_from_db()
        assert other.is_sysadmin

    def test_handover_then_remove(self, world):
        other = world.subscription.memberships.get(user=world.client_user)
        services.membership_set_sysadmin(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=other,
            is_sysadmin=True,
        )
        services.membership_set_sysadmin(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=world.sysadmin_membership,
            is_sysadmin=False,
        )
        assert list(
            world.subscription.memberships.filter(is_sysadmin=True).values_list("user", flat=True)
        ) == [world.client_user.pk]

    def test_inactive_other_sysadmin_does_not_count(self, world):
        other = world.subscription.memberships.get(user=world.client_user)
        other.is_sysadmin = True
        other.save(update_fields=["is_sysadmin"])
        world.client_user.is_active = False
        world.client_user.save(update_fields=["is_active"])
        with pytest.raises(ValidationError):
            services.membership_set_sysadmin(
                actor=world.sysadmin,
                subscription=world.subscription,
                membership=world.sysadmin_membership,
                is_sysadmin=False,
            )


def test_subscription_numbers_are_unique_and_increasing(db):
    numbers = [services.subscription_number_allocate() for _ in range(5)]
    assert numbers == sorted(set(numbers))
    assert all(n > services.SUBSCRIPTION_NUMBER_START for n in numbers)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("556036-0793", "556036-0793"),
        ("5560360793", "556036-0793"),
        ("165560360793", "556036-0793"),
        (" 556036 0793 ", "556036-0793"),
        ("19811228-9874", "811228-9874"),
    ],
)
def test_org_number_forms(raw, normalized):
    from firm_portal.org_numbers import normalize_org_number

    assert normalize_org_number(raw) == normalized


class TestSeatsUsed:
    def test_one_seat_per_level_per_subscription_and_program_whoever_holds_it(self, world):
        # The rule's one home (`ProgramLevel.objects.seats_used()`): a paused
        # member's level still takes its seat; other subscriptions' levels
        # are counted apart.
        bokforing, lon = factories.program("bokforing"), factories.program("lon")
        other = world.subscription.memberships.get(user=world.client_user)
        other.suspended_at = timezone.now()
        other.save(update_fields=["suspended_at"])
        for membership, program in [
            (world.sysadmin_membership, bokforing),
            (other, bokforing),
            (other, lon),
        ]:
            ProgramLevel.objects.create(membership=membership, program=program, level=Level.READ)
        elsewhere = factories.MembershipFactory(user=world.client_user)
        ProgramLevel.objects.create(membership=elsewhere, program=lon, level=Level.READ)

        rows = {
            (row["subscription_id"], row["program_id"]): row["used"]
            for row in ProgramLevel.objects.seats_used()
        }
        assert rows == {
            (world.subscription.pk, bokforing.pk): 2,
            (world.subscription.pk, lon.pk): 1,
            (elsewhere.subscription_id, lon.pk): 1,
        }
        assert ProgramLevel.objects.filter(
            membership__subscription=world.subscription
        ).seats_used_by_program() == {bokforing.pk: 2, lon.pk: 1}
        levels = ProgramLevel.objects.filter(membership__subscription=world.subscription)
        assert seats_used_of(levels) == {bokforing.pk: 2, lon.pk: 1}
