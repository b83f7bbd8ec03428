"""Sixty small clients coupled to Norr, whose subscriptions Norr runs: Johan
is their only sysadmin and they have no users of their own, so Norr may
invite their first users ("Bjud in klientanvändare": more rows than the 50
one send takes). From a random generator of their own, so the rest of the
world stays as the README describes it."""

import random
from datetime import datetime, time, timedelta

from clients.models import (
    Client,
    ClientAssignment,
    Level,
    Membership,
    Plan,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import subscription_create
from collaboration.models import Coupling
from firm_portal.management.demo.specs import (
    FIRM_MANAGED_NAMES,
    FIRM_MANAGED_SYSADMIN,
    NORR,
    PLAN_LICENSE_MIX,
    SEED,
)
from firm_portal.management.demo.world import World
from firm_portal.timeutils import STOCKHOLM


def create_firm_managed_clients(world: World) -> None:
    rng = random.Random(SEED + 1)
    Client.objects.bulk_create(
        Client(name=name, org_number=world.new_org_number("559", rng))
        for name in FIRM_MANAGED_NAMES
    )
    clients = Client.objects.filter(name__in=FIRM_MANAGED_NAMES).order_by("name")
    plans = [Plan.FAKTURA, Plan.START, Plan.SMART]
    subscriptions = [
        subscription_create(client_id=client.pk, plan=rng.choices(plans, weights=[40, 45, 15])[0])
        for client in clients
    ]
    first_programs = _create_licenses(world, rng, subscriptions)
    _couple_to_norr(world, rng, subscriptions, first_programs)
    world.subscriptions += subscriptions
    world.clients.update({client.name: client for client in clients})


def _create_licenses(
    world: World, rng: random.Random, subscriptions: list[Subscription]
) -> dict[int, Program]:
    """The plan's always-licensed programs, one or two seats each; returns
    each subscription's first program (Johan's Admin level)."""
    licenses: list[SubscriptionLicense] = []
    first_programs: dict[int, Program] = {}
    for subscription in subscriptions:
        always = PLAN_LICENSE_MIX[subscription.plan][0]
        for code in always:
            licenses.append(
                SubscriptionLicense(
                    subscription=subscription,
                    program=world.programs[code],
                    seats=rng.randint(1, 2),
                )
            )
        first_programs[subscription.pk] = world.programs[always[0]]
    SubscriptionLicense.objects.bulk_create(licenses)
    return first_programs


def _couple_to_norr(
    world: World,
    rng: random.Random,
    subscriptions: list[Subscription],
    first_programs: dict[int, Program],
) -> None:
    """Active couplings to Norr, Johan as responsible consultant, sysadmin
    with Admin in the first program, and assigned the client."""
    norr = world.firms[NORR]
    johan = world.consultants[FIRM_MANAGED_SYSADMIN]
    couplings = []
    for subscription in subscriptions:
        starts_on = world.today - timedelta(days=rng.randint(60, 900))
        couplings.append(
            Coupling(
                firm=norr,
                subscription=subscription,
                responsible_consultant=johan,
                status=Coupling.Status.ACTIVE,
                starts_on=starts_on,
                activated_at=datetime.combine(
                    starts_on, time(rng.randint(8, 16), rng.randrange(60)), tzinfo=STOCKHOLM
                ),
            )
        )
    Coupling.objects.bulk_create(couplings)
    world.couplings += couplings
    memberships = Membership.objects.bulk_create(
        Membership(subscription=s, user=johan.user, consultant=johan, is_sysadmin=True)
        for s in subscriptions
    )
    ProgramLevel.objects.bulk_create(
        ProgramLevel(
            membership=membership,
            program=first_programs[membership.subscription_id],
            level=Level.ADMIN,
        )
        for membership in memberships
    )
    world.level_count += len(memberships)
    ClientAssignment.objects.bulk_create(
        ClientAssignment(consultant=johan, subscription=s) for s in subscriptions
    )
