"""The forty clients, their subscriptions and licences."""

from clients.models import Client, Plan, SubscriptionLicense
from clients.services import subscription_create
from firm_portal.management.demo.specs import CLIENT_NAMES, PERSSONS, PLAN_LICENSE_MIX
from firm_portal.management.demo.world import World


def create_clients_and_subscriptions(world: World) -> None:
    if len(set(CLIENT_NAMES)) != 40:
        raise ValueError("The demo needs 40 distinct client names")
    Client.objects.bulk_create(
        Client(name=name, org_number=world.new_org_number(world.rng.choice(("556", "559"))))
        for name in CLIENT_NAMES
    )
    world.clients = {c.name: c for c in Client.objects.filter(name__in=CLIENT_NAMES)}
    plans = [Plan.FAKTURA, Plan.START, Plan.SMART, Plan.PRO]
    for name in CLIENT_NAMES:
        plan = world.rng.choices(plans, weights=[15, 30, 35, 20])[0]
        world.subscriptions.append(subscription_create(client_id=world.clients[name].pk, plan=plan))
    # Perssons Rör & Värme has a second subscription for its service company.
    world.subscriptions.append(
        subscription_create(client_id=world.clients[PERSSONS].pk, plan=Plan.FAKTURA)
    )
    clients_by_id = {c.pk: c for c in world.clients.values()}
    for subscription in world.subscriptions:
        subscription.client = clients_by_id[subscription.client_id]


def create_licenses(world: World) -> None:
    rows: list[SubscriptionLicense] = []
    for subscription in world.subscriptions:
        always, extras, max_extras = PLAN_LICENSE_MIX[subscription.plan]
        codes = list(always) + world.rng.sample(extras, world.rng.randint(0, max_extras))
        for code in sorted(codes, key=lambda c: world.programs[c].sort_order):
            program = world.programs[code]
            seats = world.rng.randint(2, 5)
            world.seats[subscription.pk, program.pk] = seats
            world.licensed[subscription.pk].append(program)
            rows.append(
                SubscriptionLicense(subscription=subscription, program=program, seats=seats)
            )
    SubscriptionLicense.objects.bulk_create(rows)
