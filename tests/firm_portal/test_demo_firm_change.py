"""The demo's "Byte av byrå" (flow 7): after seed_demo, seed_firm_change
names a subscription where Redovisningsbyrån Norr AB can ask to take over,
and it can."""

import io
import re

import pytest
from django.core.management import call_command

from clients.models import Subscription
from collaboration.firm_change import services
from collaboration.models import FirmChange
from firm_portal.models import Consultant
from licensing.models import Recipient
from tests.firm_portal.demo_helpers import seed

pytestmark = pytest.mark.django_db


def firm_change_command() -> str:
    out = io.StringIO()
    call_command("seed_firm_change", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # its lock, really (tests/lock_coverage.py)
def test_the_demo_has_a_subscription_to_change_firm_on(empty_database_after_migrate):  # type: ignore[no-untyped-def]
    assert "kör seed_demo först" in firm_change_command()
    seed()
    printed = firm_change_command()
    line = next(line for line in printed.splitlines() if line.startswith("Byte av byrå:"))
    org_number = re.search(r"`(\d{6}-\d{4})`", line).group(1)  # type: ignore[union-attr]
    anna = Consultant.objects.get(user__email="anna@norr.demo")
    subscription = Subscription.objects.get(client__org_number=org_number)
    assert subscription.billing.recipient == Recipient.FIRM

    change = services.firm_change_send(
        consultant=anna, subscription=subscription, responsible=anna, starts_on=None
    )

    assert change.status == FirmChange.Status.PENDING
    assert change.old_firm.name in line
