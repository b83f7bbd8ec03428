"""Client users and memberships with their program levels, the licences that
hold those levels, and the client assignments."""

from collections import defaultdict

from clients.models import (
    ClientAssignment,
    Level,
    Membership,
    ProgramLevel,
    SubscriptionLicense,
)
from firm_portal.management.large_world.names import (
    ROLE_ORDER,
)
from firm_portal.management.large_world.specs import (
    BENCH_CONSULTANT_EMAIL,
    BENCH_SYSADMIN_EMAIL,
    PersonSpec,
    batched_create,
)
from firm_portal.management.large_world.state import WorldState


def plan_client_users(world: WorldState) -> None:
    scale = world.scale
    bench = world.bench_subscription
    others = [
        i
        for i in range(len(world.subscriptions))
        if i not in world.firm_administered and i != bench
    ]
    # A few subscriptions have no users at all (manual coupling only).
    without_users = set(world.rng.sample(others, len(others) // 50))
    client_subs = [i for i in others if i not in without_users]

    bench_consultants = sum(1 for _ in world.members_of(bench))
    bench_sysadmin = world.named_person(BENCH_SYSADMIN_EMAIL, "Bench Sysadmin")
    world.add_member(bench, bench_sysadmin, is_sysadmin=True)
    client_domain = "kund.bench"
    for n in range(scale.bench_subscription_members - bench_consultants - 1):
        world.add_member(bench, world.person(client_domain), is_sysadmin=n == 0)

    # One sysadmin per subscription; a client's two subscriptions share it.
    sysadmin_of_client: dict[int, PersonSpec] = {}
    client_of = {world.first_subscription[c]: c for c in range(len(world.clients))}
    client_of.update({s: c for c, s in world.second_subscription.items()})
    for sub in client_subs:
        client = client_of[sub]
        person = sysadmin_of_client.get(client) or world.person(client_domain)
        sysadmin_of_client[client] = person
        world.add_member(sub, person, is_sysadmin=True)
    world.client_sysadmin_subs = client_subs

    remaining = scale.memberships - len(world.members)
    while remaining > 0:
        sub = world.rng.choice(client_subs)
        if world.add_member(
            sub, world.person(client_domain), is_sysadmin=world.rng.random() < 0.08
        ):
            remaining -= 1


def create_memberships_and_levels(world: WorldState) -> None:
    rows = [
        Membership(
            subscription=world.subscriptions[m.subscription],
            user=m.person.user,
            consultant=m.consultant.row if m.consultant else None,
            is_sysadmin=m.is_sysadmin,
        )
        for m in world.members
    ]
    batched_create(Membership, rows)
    used: dict[tuple[int, int], int] = defaultdict(int)
    levels: list[ProgramLevel] = []
    order = sorted(
        range(len(world.members)),
        key=lambda i: (world.members[i].subscription, ROLE_ORDER[world.members[i].role]),
    )
    for i in order:
        spec, membership = world.members[i], rows[i]
        programs = world.licensed[spec.subscription]
        if spec.role == "sysadmin":
            picked = programs[:1] + world.rng.sample(
                programs[1:], min(world.rng.randint(0, 2), len(programs) - 1)
            )
            choices = [Level.ADMIN, Level.APPROVER]
        elif spec.role == "consultant":
            picked = world.rng.sample(programs, min(world.rng.randint(1, 3), len(programs)))
            choices = [Level.ADMIN, Level.APPROVER, Level.REPORTER]
        else:
            picked = world.rng.sample(programs, min(world.rng.randint(1, 2), len(programs)))
            choices = [Level.REPORTER, Level.READ, Level.APPROVER]
        for index, program in enumerate(picked):
            used[spec.subscription, program.pk] += 1
            level = (
                Level.ADMIN if spec.role == "sysadmin" and index == 0 else world.rng.choice(choices)
            )
            levels.append(ProgramLevel(membership=membership, program=program, level=level))
    batched_create(ProgramLevel, levels)
    # Every level holds a seat; some subscriptions have seats to spare.
    licenses = [
        SubscriptionLicense(
            subscription=world.subscriptions[sub],
            program=program,
            seats=used[sub, program.pk]
            + (2 if sub == world.bench_subscription else world.rng.randint(0, 2)),
        )
        for sub, programs in world.licensed.items()
        for program in programs
    ]
    batched_create(SubscriptionLicense, licenses)
    world.summary.memberships = len(rows)
    world.summary.levels = len(levels)
    world.summary.licenses = len(licenses)
    bench = world.subscriptions[world.bench_subscription]
    world.summary.bench_subscription_number = bench.number
    world.summary.bench_subscription_client = bench.client.name


def create_assignments(world: WorldState) -> None:
    rows = [
        ClientAssignment(
            consultant=world.consultants[firm][consultant].row,
            subscription=world.subscriptions[sub],
        )
        for firm, consultant, sub in sorted(world.assignments)
    ]
    batched_create(ClientAssignment, rows)
    world.summary.assignments = len(rows)
    world.summary.bench_consultant_clients = sum(
        1
        for firm, consultant, _sub in world.assignments
        if firm == 0 and world.consultants[0][consultant].person.email == BENCH_CONSULTANT_EMAIL
    )
