"""Who is a member where: the client users, the memberships with their
program levels (within the licensed seats) and the consultants' client
assignments (Klienthanteraren)."""

import random
from collections import defaultdict

from clients.models import ClientAssignment, Level, Membership, Program, ProgramLevel, Subscription
from firm_portal.management.demo.specs import DEMO_EMAIL_SUFFIX, ROLE_ORDER
from firm_portal.management.demo.world import MemberPlan, World, ascii_slug
from firm_portal.models import User


def plan_client_users(
    world: World,
    *,
    bageriet: Subscription,
    perssons: tuple[Subscription, Subscription],
    with_sysadmin: list[Subscription],
) -> None:
    """Lisa, Per and a few users per client (none in `world.without_sysadmin`)."""
    new_users: list[User] = [
        world.user_row("lisa@kund.demo", "Lisa Ek"),
        world.user_row("per@kund.demo", "Per Persson"),
    ]
    client_members: list[tuple[Subscription, str, bool]] = [
        (bageriet, "lisa@kund.demo", True),
        (perssons[0], "per@kund.demo", True),
        (perssons[1], "per@kund.demo", True),
    ]
    # (subscription, how many more client users, whether the first of them is sysadmin)
    staffing = [(bageriet, 1, False), (perssons[0], 1, False)] + [
        (s, world.rng.randint(1, 4), True) for s in with_sysadmin
    ]
    for subscription, count, first_is_sysadmin in staffing:
        domain = ascii_slug(subscription.client.name.removesuffix(" AB")) + DEMO_EMAIL_SUFFIX
        for index in range(count):
            email, full_name = world.random_person(domain)
            new_users.append(world.user_row(email, full_name))
            # The first user is sysadmin; sometimes a second one is too.
            sysadmin = first_is_sysadmin and (
                index == 0 or (index == 1 and world.rng.random() < 0.3)
            )
            client_members.append((subscription, email, sysadmin))
    world.save_users(new_users)
    for subscription, email, sysadmin in client_members:
        world.members[subscription.pk].append(
            MemberPlan(
                user=world.users[email],
                role="sysadmin" if sysadmin else "user",
                is_sysadmin=sysadmin,
            )
        )


def create_memberships_and_levels(world: World) -> None:
    Membership.objects.bulk_create(
        Membership(
            subscription_id=subscription_id,
            user=plan.user,
            consultant=plan.consultant,
            is_sysadmin=plan.is_sysadmin,
        )
        for subscription_id, plans in world.members.items()
        for plan in plans
    )
    membership_ids = {
        (m.subscription_id, m.user_id): m.pk
        for m in Membership.objects.filter(subscription_id__in=list(world.members))
    }
    used: dict[tuple[int, int], int] = defaultdict(int)
    levels: list[ProgramLevel] = []
    for subscription_id, plans in world.members.items():
        programs = world.licensed[subscription_id]
        # Sysadmins first, then consultants, then the other client users.
        for plan in sorted(plans, key=lambda p: ROLE_ORDER[p.role]):
            if not plan.with_levels:
                continue
            picked, choices = _programs_and_levels(world.rng, plan.role, programs)
            membership_id = membership_ids[subscription_id, plan.user.pk]
            for index, program in enumerate(picked):
                key = (subscription_id, program.pk)
                if used[key] >= world.seats[key]:
                    continue  # every seat of this program is taken
                used[key] += 1
                level = (
                    Level.ADMIN
                    if plan.role == "sysadmin" and index == 0
                    else world.rng.choice(choices)
                )
                levels.append(
                    ProgramLevel(membership_id=membership_id, program=program, level=level)
                )
    ProgramLevel.objects.bulk_create(levels)
    world.level_count = len(levels)


def _programs_and_levels(
    rng: random.Random, role: str, programs: list[Program]
) -> tuple[list[Program], list[Level]]:
    """The programs a member of this role gets a level in, and the levels to
    pick from (a sysadmin's first program is always Admin)."""
    if role == "sysadmin":
        count, choices = rng.randint(1, 3), [Level.ADMIN, Level.APPROVER]
        picked = programs[:1] + rng.sample(programs[1:], min(count - 1, len(programs) - 1))
    elif role == "consultant":
        count = rng.randint(1, 3)
        choices = [Level.ADMIN, Level.APPROVER, Level.REPORTER]
        picked = rng.sample(programs, min(count, len(programs)))
    else:
        count = rng.randint(1, 2)
        choices = [Level.REPORTER, Level.READ, Level.APPROVER]
        picked = rng.sample(programs, min(count, len(programs)))
    return picked, choices


def create_assignments(world: World) -> None:
    """Consultants see the clients assigned to them (Klienthanteraren): each
    consultant member and each coupling's responsible consultant."""
    assignments = {
        (plan.consultant.pk, subscription_id)
        for subscription_id, plans in world.members.items()
        for plan in plans
        if plan.consultant is not None
    } | {
        (coupling.responsible_consultant_id, coupling.subscription_id)
        for coupling in world.couplings
        if coupling.responsible_consultant_id
    }
    ClientAssignment.objects.bulk_create(
        ClientAssignment(consultant_id=consultant_id, subscription_id=subscription_id)
        for consultant_id, subscription_id in sorted(assignments)
    )
