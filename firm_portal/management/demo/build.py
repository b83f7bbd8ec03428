"""The demo world, step by step. One random generator runs through the
steps, so their order is part of the world: change it and every later
name, number and level changes too."""

from firm_portal.management.demo import billing, clients, couplings, firm_managed, firms, members
from firm_portal.management.demo.agreements import create_demo_agreements
from firm_portal.management.demo.reminders import remind_demo_request
from firm_portal.management.demo.world import World


def world_build() -> World:
    world = World()
    firms.create_firms_and_consultants(world)
    clients.create_clients_and_subscriptions(world)
    clients.create_licenses(world)
    plan_world(world)
    couplings.save_couplings_and_requests(world)
    members.create_memberships_and_levels(world)
    members.create_assignments(world)
    billing.create_billing(world)
    firm_managed.create_firm_managed_clients(world)
    billing.backdate(world)
    billing.invoice_last_month(world)
    remind_demo_request(world.pending[0])  # flow 8: reminded after 3 and 10 days
    create_demo_agreements(world)  # flow 10: confirmed agreements (its own module)
    return world


def plan_world(world: World) -> None:
    """Decide who is member where, the couplings and the requests."""
    subs = world.subscriptions
    bageriet, perssons_a, fjallstugan = subs[0], subs[1], subs[2]
    perssons_b = subs[-1]
    generic = subs[3:-1]
    world.rng.shuffle(generic)
    world.without_sysadmin = generic[:5]
    with_sysadmin = generic[5:]
    members.plan_client_users(
        world, bageriet=bageriet, perssons=(perssons_a, perssons_b), with_sysadmin=with_sysadmin
    )
    couplings.plan_active_couplings(
        world,
        bageriet=bageriet,
        perssons=perssons_a,
        fjallstugan=fjallstugan,
        with_sysadmin=with_sysadmin,
    )
    scheduled = with_sysadmin[24]
    couplings.plan_scheduled_coupling(world, scheduled)
    couplings.plan_pending_requests(
        world,
        bageriet=bageriet,
        perssons_b=perssons_b,
        fjallstugan=fjallstugan,
        with_sysadmin=with_sysadmin,
    )
    world.free_subscriptions = with_sysadmin[28:]
    world.named = {
        "bageriet": bageriet,
        "perssons_a": perssons_a,
        "perssons_b": perssons_b,
        "fjallstugan": fjallstugan,
        "manual": world.without_sysadmin[0],
        "scheduled": scheduled,
    }
