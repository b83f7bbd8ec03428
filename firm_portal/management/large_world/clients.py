"""The 10,000 clients, their 12,000 subscriptions (abonnemangsnummer reserved
from the counter at once) and the programs each is licensed for."""

from django.db.models import F

from clients.models import (
    Client,
    Counter,
    Plan,
    Subscription,
)
from clients.services import SUBSCRIPTION_NUMBER_START
from firm_portal.management.large_world.names import (
    LAST_NAMES,
    LEGAL_FORMS,
    PLAN_LICENSE_MIX,
    PLAN_WEIGHTS,
    TOWNS,
    TRADES,
)
from firm_portal.management.large_world.specs import (
    batched_create,
)
from firm_portal.management.large_world.state import WorldState


def create_clients_and_subscriptions(world: WorldState) -> None:
    scale = world.scale
    names = [
        f"{part} {trade} {form}"
        for part in (*TOWNS, *(f"{name}s" for name in LAST_NAMES))
        for trade in TRADES
        for form in LEGAL_FORMS
    ]
    if len(names) < scale.clients:
        raise ValueError("Not enough distinct client names for this scale")
    world.rng.shuffle(names)
    world.clients = [
        Client(name=name, org_number=world.new_org_number(("556", "559", "5568", "969")))
        for name in names[: scale.clients]
    ]
    batched_create(Client, world.clients)

    extra = scale.subscriptions - scale.clients
    second = set(world.rng.sample(range(scale.clients), extra))
    plans, weights = list(PLAN_WEIGHTS), list(PLAN_WEIGHTS.values())
    layout: list[tuple[int, str]] = []
    for index in range(scale.clients):
        world.first_subscription.append(len(layout))
        layout.append((index, world.rng.choices(plans, weights)[0]))
        if index in second:
            world.second_subscription[index] = len(layout)
            layout.append((index, Plan.FAKTURA if world.rng.random() < 0.6 else Plan.START))
    first_number = allocate_numbers(len(layout))
    world.subscriptions = [
        Subscription(
            client=world.clients[client_index],
            plan=plan,
            number=first_number + offset,
            status=Subscription.Status.ACTIVE,
        )
        for offset, (client_index, plan) in enumerate(layout)
    ]
    batched_create(Subscription, world.subscriptions)
    for index, subscription in enumerate(world.subscriptions):
        always, extras, max_extras = PLAN_LICENSE_MIX[subscription.plan]
        codes = [*always, *world.rng.sample(extras, world.rng.randint(0, max_extras))]
        world.licensed[index] = sorted(
            (world.programs[code] for code in codes), key=lambda p: p.sort_order
        )
    world.summary.clients = len(world.clients)
    world.summary.subscriptions = len(world.subscriptions)


def allocate_numbers(count: int) -> int:
    """Reserve `count` abonnemangsnummer from the counter in one UPDATE
    (as `subscription_number_allocate` does one at a time); returns the first."""
    counter, _created = Counter.objects.select_for_update().get_or_create(
        name="subscription_number", defaults={"value": SUBSCRIPTION_NUMBER_START}
    )
    Counter.objects.filter(pk=counter.pk).update(value=F("value") + count)
    return counter.value + 1
