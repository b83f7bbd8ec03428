"""Couplings and requests: active, double and one scheduled coupling, the
approved requests they came from, and the pending ones."""

from datetime import date, datetime, time, timedelta

from clients.models import Subscription
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.management.demo.specs import GBG, MALMO, NORR, REQUEST_TTL
from firm_portal.management.demo.world import MemberPlan, World
from firm_portal.models import Consultant, User
from firm_portal.timeutils import STOCKHOLM


def couple(
    world: World,
    firm_key: str,
    subscription: Subscription,
    responsible: Consultant | None = None,
    *,
    sysadmin: bool = False,
) -> Coupling:
    """An active coupling; it gives the responsible consultant a membership."""
    responsible = responsible or world.responsible_for(firm_key)
    if subscription.pk in world.first_starts:  # the second firm came later
        earliest = (world.today - world.first_starts[subscription.pk]).days - 20
        starts_on = world.past_date(7, max(earliest, 8))
    else:
        starts_on = world.past_date(90, 1100)
        world.first_starts[subscription.pk] = starts_on
    coupling = Coupling(
        firm=world.firms[firm_key],
        subscription=subscription,
        responsible_consultant=responsible,
        status=Coupling.Status.ACTIVE,
        starts_on=starts_on,
        activated_at=datetime.combine(
            starts_on,
            time(world.rng.randint(8, 16), world.rng.randrange(60)),
            tzinfo=STOCKHOLM,
        ),
    )
    world.couplings.append(coupling)
    world.members[subscription.pk].append(
        MemberPlan(
            user=responsible.user,
            role="sysadmin" if sysadmin else "consultant",
            consultant=responsible,
            is_sysadmin=sysadmin,
        )
    )
    return coupling


def plan_active_couplings(
    world: World,
    *,
    bageriet: Subscription,
    perssons: Subscription,
    fjallstugan: Subscription,
    with_sysadmin: list[Subscription],
) -> None:
    maja = world.consultants["maja@norr.demo"]
    norr_subs, gbg_subs, malmo_subs = (
        with_sysadmin[0:8],
        with_sysadmin[8:16],
        with_sysadmin[16:24],
    )
    # Fjällstugan: Maja at Norr is the only sysadmin; Göteborg joined later
    # (Maja approved their request) and Malmö is asking now.
    couple(world, NORR, fjallstugan, maja, sysadmin=True)
    gbg_fjall = couple(world, GBG, fjallstugan)
    couple(world, MALMO, bageriet)
    couple(world, GBG, perssons)
    for firm_key, group in ((NORR, norr_subs), (GBG, gbg_subs), (MALMO, malmo_subs)):
        for subscription in group:
            couple(world, firm_key, subscription)
    # More double couplings ("dubbelsammankoppling").
    couple(world, MALMO, norr_subs[0])
    couple(world, NORR, gbg_subs[0])
    couple(world, GBG, malmo_subs[0])
    # Two subscriptions without sysadmin are coupled anyway (manually, by
    # support); the other three are not coupled at all.
    couple(world, GBG, world.without_sysadmin[3])
    couple(world, MALMO, world.without_sysadmin[4])

    # Göteborg's coupling to Fjällstugan came from a request Maja approved.
    approved_at = gbg_fjall.activated_at or world.now
    approve(
        world,
        gbg_fjall,
        GBG,
        sent_at=approved_at - timedelta(hours=world.rng.randint(3, 70)),
        decided_at=approved_at,
        decided_by=maja.user,
    )


def plan_scheduled_coupling(world: World, subscription: Subscription) -> None:
    """Norr starts with a client in two weeks; the client approved three days ago."""
    erik = world.consultants["erik@norr.demo"]
    starts_on = world.today + timedelta(days=14)
    scheduled = Coupling(
        firm=world.firms[NORR],
        subscription=subscription,
        responsible_consultant=erik,
        status=Coupling.Status.SCHEDULED,
        starts_on=starts_on,
        activated_at=None,
    )
    world.couplings.append(scheduled)
    world.scheduled = scheduled
    approve(
        world,
        scheduled,
        NORR,
        sent_at=world.now - timedelta(days=3, hours=2),
        decided_at=world.now - timedelta(days=2),
        decided_by=next(m.user for m in world.members[subscription.pk] if m.is_sysadmin),
        start_date=starts_on,
    )
    # Approval gives the responsible consultant a membership straight away.
    world.members[subscription.pk].append(
        MemberPlan(user=erik.user, role="consultant", consultant=erik, with_levels=False)
    )


def plan_pending_requests(
    world: World,
    *,
    bageriet: Subscription,
    perssons_b: Subscription,
    fjallstugan: Subscription,
    with_sysadmin: list[Subscription],
) -> None:
    """All to subscriptions with an active sysadmin and from firms not coupled to them."""
    karin = world.consultants["karin@gbg.demo"]
    elin = world.consultants["elin@gbg.demo"]
    gbg_subs = with_sysadmin[8:16]
    world.pending = [
        request_row(world, GBG, bageriet, elin, requester=karin),
        request_row(world, MALMO, fjallstugan, None),
        request_row(world, GBG, perssons_b, None),
        request_row(world, NORR, with_sysadmin[25], None),
        request_row(world, MALMO, with_sysadmin[26], None),
        request_row(world, GBG, with_sysadmin[27], None),
        request_row(world, NORR, gbg_subs[1], None),
    ]


def request_row(
    world: World,
    firm_key: str,
    subscription: Subscription,
    responsible: Consultant | None,
    *,
    requester: Consultant | None = None,
) -> CollaborationRequest:
    """A pending request, sent now, answered within 30 days or expired."""
    responsible = responsible or world.responsible_for(firm_key)
    requester = requester or responsible
    return CollaborationRequest(
        firm=world.firms[firm_key],
        subscription=subscription,
        responsible_consultant=responsible,
        requested_by=requester.user,
        expires_at=world.now + REQUEST_TTL,
    )


def approve(
    world: World,
    coupling: Coupling,
    firm_key: str,
    *,
    sent_at: datetime,
    decided_at: datetime,
    decided_by: User,
    start_date: date | None = None,
) -> None:
    """Record the approved request a coupling came from."""
    responsible = coupling.responsible_consultant or world.responsible_for(firm_key)
    request = CollaborationRequest(
        firm=world.firms[firm_key],
        subscription=coupling.subscription,
        responsible_consultant=responsible,
        requested_by=responsible.user,
        start_date=start_date,
        status=CollaborationRequest.Status.APPROVED,
        expires_at=sent_at + REQUEST_TTL,
        decided_at=decided_at,
        decided_by=decided_by,
    )
    world.approved.append((coupling, request, sent_at))


def save_couplings_and_requests(world: World) -> None:
    for coupling, request, sent_at in world.approved:
        request.save()
        # created_at is auto_now_add; backdate it to when it was sent.
        CollaborationRequest.objects.filter(pk=request.pk).update(created_at=sent_at)
        coupling.request = request
    CollaborationRequest.objects.bulk_create(world.pending)
    Coupling.objects.bulk_create(world.couplings)
