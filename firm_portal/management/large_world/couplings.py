"""Couplings (Storbyrån, the other firms, the bench sysadmin's subscription)
and the pending requests."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import F

from clients.models import (
    Plan,
)
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.large_world.specs import (
    BENCH_CONSULTANT_EMAIL,
    REQUEST_TTL,
    batched_create,
)
from firm_portal.management.large_world.state import WorldState


def plan_couplings(world: WorldState) -> None:
    scale = world.scale
    big = world.consultants[0]
    firm_count = len(world.firms)
    # The bench sysadmin's subscription: not coupled to Storbyrån.
    big_clients = world.rng.sample(range(scale.clients), scale.big_firm_clients + 1)
    bench_client = big_clients.pop()
    world.bench_subscription = world.first_subscription[bench_client]
    world.licensed[world.bench_subscription] = sorted(
        world.programs.values(), key=lambda p: p.sort_order
    )
    world.subscriptions[world.bench_subscription].plan = Plan.PRO
    big_subs = [world.first_subscription[c] for c in big_clients]

    # Storbyrån: who works with which clients (Klienthanteraren).
    assigned: dict[int, list[int]] = defaultdict(list)  # sub -> consultant indexes
    for index, spec in enumerate(big):
        if spec.sees_all:
            continue
        if spec.person.email == BENCH_CONSULTANT_EMAIL:
            count = scale.bench_consultant_clients
        else:
            count = world.rng.randint(20, 200)
        for sub in world.rng.sample(big_subs, count):
            world.assignments.add((0, index, sub))
            assigned[sub].append(index)
    world.firm_administered = set(world.rng.sample(big_subs, scale.firm_administered))
    fallback = world.seated(0, non_admin=True)
    for sub in big_subs:
        candidates = [big[i] for i in assigned[sub] if big[i].has_seat]
        responsible = world.rng.choice(candidates or fallback)
        world.couple(0, sub, responsible)

    # The other firms, in proportion to their size; some of their
    # clients are Storbyrån's too ("dubbelsammankoppling").
    sizes = [len(world.consultants[f]) for f in range(1, firm_count)]
    quotas = [round(scale.other_firm_couplings * s / sum(sizes)) for s in sizes]
    pool = [i for i in range(len(world.subscriptions)) if i != world.bench_subscription]
    for firm, quota in zip(range(1, firm_count), quotas, strict=True):
        seated = world.seated(firm)
        for sub in world.rng.sample(pool, quota):
            responsible = world.rng.choice(seated)
            status = world.couple(firm, sub, responsible)
            if status == Coupling.Status.ACTIVE and world.rng.random() < 0.05:
                # Now and then the client made the firm's consultant sysadmin.
                world.members[-1].is_sysadmin = True

    # The bench sysadmin's subscription: three coupled firms, five
    # consultants of theirs among its members.
    bench = world.bench_subscription
    for firm in world.rng.sample(range(1, firm_count), 3):
        seated = world.seated(firm)
        world.couple(firm, bench, seated[0])
        if len(world.consultants[firm]) > 1 and sum(1 for m in world.members_of(bench)) < 5:
            extra = next(c for c in world.consultants[firm] if c is not seated[0])
            world.add_member(bench, extra.person, consultant=extra)
            world.assignments.add((firm, world.consultants[firm].index(extra), bench))


def create_couplings(world: WorldState) -> None:
    rows = [
        Coupling(
            firm=world.firms[spec.firm],
            subscription=world.subscriptions[spec.subscription],
            responsible_consultant=spec.responsible.row,
            status=spec.status,
            starts_on=spec.starts_on,
            activated_at=spec.activated_at,
        )
        for spec in world.couplings
    ]
    batched_create(Coupling, rows)
    world.summary.couplings = len(rows)


def create_pending_requests(world: WorldState) -> None:
    """Pending requests to subscriptions with a client sysadmin, from firms
    not coupled to them, at most one per firm and subscription."""
    scale = world.scale
    bench = world.bench_subscription
    pairs: set[tuple[int, int]] = set()
    wanted: list[tuple[int, int]] = []

    def want(firm: int, sub: int) -> bool:
        if (firm, sub) in pairs or (firm, sub) in world.coupled:
            return False
        pairs.add((firm, sub))
        wanted.append((firm, sub))
        return True

    # The bench sysadmin's to-do cards: Storbyrån and four more firms.
    firms = [0, *world.rng.sample(range(1, len(world.firms)), len(world.firms) - 1)]
    for firm in firms:
        if len(wanted) == scale.bench_subscription_pending:
            break
        want(firm, bench)
    targets = [s for s in world.client_sysadmin_subs if s != bench]
    big_quota = scale.big_firm_pending - 1
    while big_quota > 0:
        if want(0, world.rng.choice(targets)):
            big_quota -= 1
    while len(wanted) < scale.pending_requests:
        want(world.rng.randrange(1, len(world.firms)), world.rng.choice(targets))

    rows = []
    for firm, sub in wanted:
        responsible = world.rng.choice(world.seated(firm, non_admin=firm == 0))
        sent = world.now - timedelta(minutes=world.rng.randint(5, 29 * 24 * 60))
        start_date = (
            world.today + timedelta(days=world.rng.randint(31, 90))
            if world.rng.random() < 0.1
            else None
        )
        rows.append(
            CollaborationRequest(
                firm=world.firms[firm],
                subscription=world.subscriptions[sub],
                responsible_consultant=responsible.row,
                requested_by=responsible.person.user,
                start_date=start_date,
                expires_at=sent + REQUEST_TTL,
            )
        )
    batched_create(CollaborationRequest, rows)
    # created_at is auto_now_add: backdate it to when each was sent.
    CollaborationRequest.objects.filter(pk__in=[r.pk for r in rows]).update(
        created_at=F("expires_at") - REQUEST_TTL
    )
    world.summary.pending_requests = len(rows)
