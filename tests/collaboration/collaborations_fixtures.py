"""Shared data for the "Samarbeten" tests (no tests here; imported by them).

Firm A (admin Anna, consultant Erik, responsible) collaborates with S
(Bageriet Solsidan AB, plan Smart) and pays for it with its own invoice per
customer. S has 3 Bokföring licences: Lisa (client sysadmin) and Erik hold
one each, one is unused."""

from dataclasses import dataclass
from datetime import date

from clients.models import ClientAssignment, Level, Membership
from collaboration.models import Coupling
from licensing import billing
from licensing.models import Recipient
from tests import factories
from tests.conftest import World


@dataclass
class Collab:
    coupling: Coupling
    erik_membership: Membership


def make_collab(world: World) -> Collab:
    """Use as a fixture in each test module:
    `collab = pytest.fixture(lambda world: make_collab(world))`."""
    coupling = factories.CouplingFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    erik = Membership.objects.create(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )
    # As an approved request leaves it: Erik has S in his client list.
    ClientAssignment.objects.create(consultant=world.consultant, subscription=world.subscription)
    factories.LicenseFactory(subscription=world.subscription, seats=3)
    factories.give_level(erik, "bokforing", Level.ADMIN)
    factories.give_level(world.sysadmin_membership, "bokforing", Level.ADMIN)
    billing.subscription_billing_set(
        subscription=world.subscription,
        recipient=Recipient.FIRM,
        firm=world.firm,
        consolidated=False,
        starts_on=date(2025, 1, 1),
    )
    return Collab(coupling=coupling, erik_membership=erik)
