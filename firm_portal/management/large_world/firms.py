"""The forty firms (Storbyrån AB and its 300 consultants first), their
consultants, and the users of everyone the plan names."""

from datetime import timedelta

from firm_portal.management.large_world.names import (
    FIRM_KINDS,
    TOWNS,
)
from firm_portal.management.large_world.specs import (
    BENCH_ADMIN_EMAIL,
    BENCH_CONSULTANT_EMAIL,
    BENCH_EMAILS,
    BIG_FIRM_NAME,
    ConsultantSpec,
    ascii_slug,
    batched_create,
)
from firm_portal.management.large_world.state import WorldState
from firm_portal.models import Consultant, Firm, User


def create_firms_and_consultants(world: WorldState) -> None:
    scale = world.scale
    names = [f"{kind} {town} AB" for kind in FIRM_KINDS for town in TOWNS]
    world.rng.shuffle(names)
    firm_names = [BIG_FIRM_NAME, *names[: scale.firms - 1]]
    world.firms = [
        Firm(name=name, org_number=world.new_org_number(("556",))) for name in firm_names
    ]
    for index, firm in enumerate(world.firms):
        domain = "storbyran.bench" if index == 0 else f"{ascii_slug(firm.name)}.bench"
        if index == 0:
            specs = [
                ConsultantSpec(
                    world.named_person(BENCH_ADMIN_EMAIL, "Bench Administratör"),
                    0,
                    is_firm_admin=True,
                ),
                ConsultantSpec(world.named_person(BENCH_CONSULTANT_EMAIL, "Bench Konsult"), 0),
            ]
            for n in range(2, scale.big_firm_consultants):
                specs.append(
                    ConsultantSpec(
                        world.person(domain),
                        0,
                        is_firm_admin=n < 6,
                        is_client_manager_admin=6 <= n < 9,
                        has_seat=n < 9 or world.rng.random() < 0.9,
                    )
                )
        else:
            specs = [
                ConsultantSpec(
                    world.person(domain),
                    index,
                    is_firm_admin=n == 0,
                    has_seat=n == 0 or world.rng.random() < 0.8,
                )
                for n in range(world.rng.randint(4, 20))
            ]
        world.consultants.append(specs)
        firm.client_manager_seats = sum(c.has_seat for c in specs) + world.rng.randint(0, 10)
    batched_create(Firm, world.firms)
    world.summary.firms = len(world.firms)


def create_users(world: WorldState) -> None:
    users = [
        User(email=p.email, full_name=p.full_name, password=world.password) for p in world.people
    ]
    # The named bench users log in at once; everyone else joined earlier.
    for user in users:
        if user.email not in BENCH_EMAILS:
            user.date_joined = world.now - timedelta(days=world.rng.randint(1, 1500))
    batched_create(User, users)
    for person, user in zip(world.people, users, strict=True):
        person.user = user
    rows = [
        Consultant(
            user=spec.person.user,
            firm=world.firms[spec.firm],
            is_firm_admin=spec.is_firm_admin,
            is_client_manager_admin=spec.is_client_manager_admin,
            has_client_manager_seat=spec.has_seat,
        )
        for specs in world.consultants
        for spec in specs
    ]
    batched_create(Consultant, rows)
    for spec, row in zip((s for specs in world.consultants for s in specs), rows, strict=True):
        spec.row = row
    world.summary.users = len(users)
    world.summary.consultants = len(rows)
