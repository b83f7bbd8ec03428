"""User-scoped reads for subscriptions, memberships and licences.

Fetching is checking: every function that takes a user returns only what that
user may see, and the `*_for_*` getters raise Http404 for anything else.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from clients.catalogue import plan_program_codes, program_can_be_given
from clients.models import (
    ClientAssignment,
    Invitation,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
    live_membership_q,
    seats_used_of,
)
from firm_portal.models import Consultant, ConsultantOffboarding, User
from ledger.services import ledger_record_denied


def subscriptions_left_without_sysadmin(*, leaving: Iterable[Membership]) -> dict[int, bool]:
    """The "last live sysadmin" rule, its one home: the subscriptions that
    would be left without a system administrator if the memberships `leaving`
    lost their access — removed, paused, given an end date or stripped of
    the flag. Every change of that kind is refused for these subscriptions.

    That is where one of them is a live sysadmin now
    (`Membership.objects.sysadmins()`) and no other live sysadmin has access
    tills vidare: one with an end date only puts off the day the subscription
    has none. Keyed by subscription id, each with whether other live
    sysadmins remain, all with an end date (the refusal says so). Two
    queries, whatever the number of memberships."""
    own = {m.pk for m in leaving}
    own_live = set(
        Membership.objects.sysadmins().filter(pk__in=own).values_list("subscription_id", flat=True)
    )
    if not own_live:
        return {}
    others = list(
        Membership.objects.sysadmins()
        .filter(subscription_id__in=own_live)
        .exclude(pk__in=own)
        .values_list("subscription_id", "ends_on")
    )
    lasting = {subscription_id for subscription_id, ends_on in others if ends_on is None}
    ending = {subscription_id for subscription_id, _ends_on in others}
    return {pk: pk in ending for pk in own_live - lasting}


def active_sysadmins(*, subscription: Subscription) -> QuerySet[Membership]:
    return (
        Membership.objects.sysadmins()
        .filter(subscription=subscription)
        .select_related("user", "consultant__firm")
        .order_by("user__full_name")
    )


def subscriptions_administered_by(*, user: User) -> QuerySet[Subscription]:
    """Subscriptions where the user is an active system administrator."""
    memberships = Membership.objects.sysadmins().filter(user=user, subscription_id=OuterRef("pk"))
    return (
        Subscription.objects.filter(Exists(memberships))
        .exclude(status=Subscription.Status.ENDED)
        .select_related("client")
        .order_by("client__name", "number")
    )


def subscription_for_sysadmin(
    *, user: User, number: int, select_related: tuple[str, ...] = ()
) -> Subscription:
    """The subscription if `user` is an active sysadmin in it, else 404.

    The same rules as `subscriptions_administered_by` (a live membership as
    `live_membership_q` defines it, and a subscription not ended), asked as
    one query of plain joins: `live_membership_q(coupling_join=True)` joins
    the firm's active coupling through the subscription's couplings instead
    of an EXISTS nested in an EXISTS, which is cheaper to build and compile
    on every request of a sysadmin page. tests/clients/test_views.py::TestSysadminAccess holds every
    refusal. `select_related`: more of the subscription to fetch with it
    (e.g. "billing__firm")."""
    related = ["subscription__client", *(f"subscription__{name}" for name in select_related)]
    memberships = Membership.objects.filter(
        live_membership_q(coupling_join=True),
        ~Q(subscription__status=Subscription.Status.ENDED),
        user=user,
        is_sysadmin=True,
        subscription__number=number,
    ).select_related(*related)
    membership = next(iter(memberships[:1]), None)
    if membership is None:
        record_denied(user=user, subscription_number=number, what="subscription_admin")
        raise Http404("No such subscription")
    return membership.subscription


def record_denied(
    *, user: User, subscription_number: int | None = None, what: str, **extra: object
) -> None:
    """A failed authorization attempt goes to the access ledger (when the
    object exists: probing for numbers that do not is not an attempt on
    anyone), counted per actor, subscription and window so that repeating it
    does not flood the subscription's ledger (`ledger_record_denied`)."""
    subscription_id = None
    if subscription_number is not None:
        subscription_id = (
            Subscription.objects.filter(number=subscription_number)
            .values_list("pk", flat=True)
            .first()
        )
        if subscription_id is None:
            return
    ledger_record_denied(
        actor=user if user.is_authenticated else None,
        subscription=subscription_id,
        attempt={"what": what, **extra},
    )


def membership_in_subscription(*, subscription: Subscription, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(subscription=subscription, pk=membership_id)
        .select_related("user", "consultant__firm")
        .first()
    )
    if membership is None:
        raise Http404("No such member")
    return membership


def program_by_code(*, code: str) -> Program:
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise Http404("No such program")
    return program


@dataclass
class LicenseUsage:
    program: Program
    seats: int
    used: int
    # The plan includes the program, so "Lägg till licens" is offered.
    addable: bool = True

    @property
    def free(self) -> int:
        return max(self.seats - self.used, 0)


@dataclass
class PermissionGrid:
    subscription: Subscription
    programs: list[Program]
    client_users: list[Membership]
    consultants: list[Membership]
    licenses: dict[int, LicenseUsage] = field(default_factory=dict)
    # Membership id → program id → the member's level there.
    levels: dict[int, dict[int, ProgramLevel]] = field(default_factory=dict)

    @property
    def members(self) -> list[Membership]:
        return self.client_users + self.consultants

    def levels_of(self, member: Membership) -> dict[int, ProgramLevel]:
        """The member's levels by program id."""
        return self.levels.get(member.pk, {})

    def user_rows(self, members: list[Membership]) -> list["UserRow"]:
        """Each member with the label of their level per program, in the grid's order."""
        rows = []
        for member in members:
            by_program = self.levels_of(member)
            levels = [
                (program, by_program[program.id].get_level_display())
                for program in self.programs
                if program.id in by_program
            ]
            rows.append(UserRow(member=member, levels=levels, has_levels=bool(by_program)))
        return rows


@dataclass(frozen=True)
class UserRow:
    """A member's row of "Administrera användare" (and of a client's page in
    Klienthanteraren); `levels`: (program, level label) for the programs the
    member has a level in, in the grid's order."""

    member: Membership
    levels: list[tuple[Program, str]]
    has_levels: bool


@dataclass(frozen=True)
class LevelCell:
    """One cell of "Tilldela behörigheter": a program and the member's level
    code on it ("" for none)."""

    program: Program
    level: str


@dataclass(frozen=True)
class GridRow:
    """A member's row of "Tilldela behörigheter": a cell per program of the grid."""

    member: Membership
    cells: list[LevelCell]
    has_levels: bool


def license_usage(*, subscription: Subscription, program: Program) -> LicenseUsage:
    """Seats and seats used of one program, in one query (one cell's header)."""
    seats = SubscriptionLicense.objects.filter(
        subscription=subscription, program_id=OuterRef("pk")
    ).values("seats")[:1]
    used = (
        ProgramLevel.objects.filter(
            membership__subscription=subscription, program_id=OuterRef("pk")
        )
        .seats_used()
        .values("used")  # type: ignore[misc]  # the annotation of seats_used()
    )
    seat_count, used_count = (
        Program.objects.filter(pk=program.pk)
        .annotate(seat_count=Coalesce(Subquery(seats), 0), used_count=Coalesce(Subquery(used), 0))
        .values_list("seat_count", "used_count")
        .get()
    )
    return LicenseUsage(program=program, seats=seat_count, used=used_count)


def permission_grid(*, subscription: Subscription) -> PermissionGrid:
    """Members × programs with their levels, and seat usage per program: the
    programs the plan includes, and any other the subscription still has
    seats or levels in (from before a rule or by support), shown without
    "Lägg till licens".

    Four queries whatever the size of the subscription: programs, members,
    the levels in the subscription (each member's, and counted per program
    they are the seats used), and the seats bought.
    """
    catalogue = list(Program.objects.all())
    memberships = list(
        Membership.objects.filter(subscription=subscription)
        .select_related("user", "consultant__firm")
        .order_by("user__full_name")
    )
    level_by_member: dict[int, dict[int, ProgramLevel]] = {m.pk: {} for m in memberships}
    levels = list(ProgramLevel.objects.filter(membership__subscription=subscription))
    for level in levels:
        level_by_member.setdefault(level.membership_id, {})[level.program_id] = level
    used = seats_used_of(levels)
    seats = dict(
        SubscriptionLicense.objects.filter(subscription=subscription).values_list(
            "program_id", "seats"
        )
    )
    included = set(plan_program_codes(subscription.plan))
    programs = [
        p
        for p in catalogue
        if program_can_be_given(
            plan=subscription.plan,
            program_code=p.code,
            seats=seats.get(p.id, 0),
            held=used.get(p.id, 0),
        )
    ]
    return PermissionGrid(
        subscription=subscription,
        programs=programs,
        levels=level_by_member,
        client_users=[m for m in memberships if m.consultant_id is None],
        consultants=sorted(
            (m for m in memberships if m.consultant_id is not None),
            key=lambda m: (m.consultant.firm.name, m.user.full_name),  # type: ignore[union-attr]
        ),
        licenses={
            p.id: LicenseUsage(
                program=p,
                seats=seats.get(p.id, 0),
                used=used.get(p.id, 0),
                addable=p.code in included,
            )
            for p in programs
        },
    )


def firm_consultant_rows(*, actor: Consultant) -> QuerySet[Consultant]:
    """ "Administrera användare" for the firm: every consultant, active ones
    first, by name. A page's rows get their facts from `firm_consultant_facts`."""
    return (
        Consultant.objects.filter(firm_id=actor.firm_id)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "pk")
    )


def firm_consultant_facts(*, actor: Consultant, rows: list[dict[str, Any]]) -> None:
    """Set on each row (plain values with the consultant's "pk") of one page
    of `firm_consultant_rows`: `invited` (the firm's own invitation not yet
    accepted), `offboarded` (ended with "Avsluta konsult", so there is a
    report) and `assigned_count`. One query for the page's consultants only:
    as annotations of the list, PostgreSQL worked them out for every
    consultant of the firm before sorting out the page."""
    open_invitation = Invitation.objects.filter(
        user_id=OuterRef("user_id"), firm_id=OuterRef("firm_id"), accepted_at__isnull=True
    )
    assigned = (
        ClientAssignment.objects.filter(consultant_id=OuterRef("pk"))
        .values("consultant_id")
        .annotate(n=Count("*"))  # COUNT(*): the consultant_id index alone answers it
        .values("n")
    )
    facts = (
        Consultant.objects.filter(firm_id=actor.firm_id, pk__in=[row["pk"] for row in rows])
        .annotate(
            invited=Exists(open_invitation),
            offboarded=Exists(ConsultantOffboarding.objects.filter(consultant_id=OuterRef("pk"))),
            assigned_count=Coalesce(Subquery(assigned), 0),
        )
        .order_by()
        .values("pk", "invited", "offboarded", "assigned_count")
    )
    by_pk = {fact["pk"]: fact for fact in facts}
    for row in rows:
        fact = by_pk[row["pk"]]
        row.update(
            invited=fact["invited"],
            offboarded=fact["offboarded"],
            assigned_count=fact["assigned_count"],
        )


def consultant_assigned_count(*, consultant: Consultant) -> int:
    """How many clients the consultant is assigned to (the row's "3 klienter")."""
    return ClientAssignment.objects.filter(consultant_id=consultant.pk).count()
