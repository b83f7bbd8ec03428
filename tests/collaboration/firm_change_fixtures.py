"""Test data for "Byte av byrå" (flow 7): the old firm coupled to the
world's subscription with two consultants in it, the new firm is the
world's firm (Revisorerna Norr AB, Erik Konsult responsible)."""

from dataclasses import dataclass
from datetime import date

from clients.models import ClientAssignment, Level, Membership, Subscription
from collaboration.firm_change import services
from collaboration.models import Coupling, FirmChange
from firm_portal.models import Consultant, Firm
from tests import factories
from tests.conftest import World


@dataclass
class Change:
    old_firm: Firm
    old_admin: Consultant
    old_coupling: Coupling
    greta: Membership  # the old firm's sysadmin in the subscription, Bokföring Attestansvarig
    gustav: Membership  # the old firm's consultant, Bokföring Läs


def old_firm_coupled(world: World, subscription: Subscription | None = None) -> Change:
    subscription = subscription or world.subscription
    firm = factories.FirmFactory(name="Gamla Byrån AB")
    admin = factories.ConsultantFactory(firm=firm, is_firm_admin=True, user__full_name="Alva Admin")
    coupling = factories.CouplingFactory(
        firm=firm, subscription=subscription, responsible_consultant=admin
    )
    factories.LicenseFactory(subscription=subscription, seats=3)
    members = []
    for name, level, sysadmin in (
        ("Greta Gammal", Level.APPROVER, True),
        ("Gustav Gammal", Level.READ, False),
    ):
        consultant = factories.ConsultantFactory(firm=firm, user__full_name=name)
        member = Membership.objects.create(
            subscription=subscription,
            user=consultant.user,
            consultant=consultant,
            is_sysadmin=sysadmin,
        )
        factories.give_level(member, "bokforing", level)
        ClientAssignment.objects.create(consultant=consultant, subscription=subscription)
        members.append(member)
    return Change(firm, admin, coupling, members[0], members[1])


def send(world: World, starts_on: date | None = None) -> FirmChange:
    return services.firm_change_send(
        consultant=world.consultant,
        subscription=world.subscription,
        responsible=world.consultant,
        starts_on=starts_on,
    )
