"""Licence writes (licensing/services.py): "Lägg till licens" adds seats and
records the billable change."""

import pytest
from django.core.exceptions import ValidationError

from clients.models import SubscriptionLicense
from licensing.models import LicenseChange
from licensing.services import license_add
from tests import factories

pytestmark = pytest.mark.django_db


class TestLicenses:
    def test_add_license_records_billable_change(self, world):
        program = factories.program("lon")
        row = license_add(actor=world.sysadmin, subscription=world.subscription, program=program)
        row = license_add(
            actor=world.sysadmin, subscription=world.subscription, program=program, count=2
        )
        assert row.seats == 3
        assert SubscriptionLicense.objects.get(program=program).seats == 3
        assert list(LicenseChange.objects.order_by("pk").values_list("delta", "seats_after")) == [
            (1, 1),
            (2, 3),
        ]

    @pytest.mark.parametrize("count", [0, -1, 101])
    def test_add_license_bounds(self, world, count):
        with pytest.raises(ValidationError) as error:
            license_add(
                actor=world.sysadmin,
                subscription=world.subscription,
                program=factories.program("lon"),
                count=count,
            )
        assert error.value.messages == ["Ange ett antal mellan 1 och 100."]
        assert not LicenseChange.objects.exists()
