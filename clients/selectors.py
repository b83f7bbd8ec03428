"""User-scoped reads for subscriptions, memberships and licences.

Fetching is checking: every function that takes a user returns only what that
user may see, and the `*_for_*` getters raise Http404 for anything else.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from clients.models import Membership, Program, ProgramLevel, Subscription, SubscriptionLicense
from collaboration.models import Coupling
from firm_portal.models import User
from firm_portal.timeutils import today_in_stockholm


def live_membership_q(prefix: str = "") -> Q:
    """Memberships that grant access now: not suspended, not past their end
    date, and either an active client user or an active consultant whose firm
    has an active coupling to the subscription."""
    live_coupling = Coupling.objects.filter(
        firm_id=OuterRef(f"{prefix}consultant__firm_id"),
        subscription_id=OuterRef(f"{prefix}subscription_id"),
        status=Coupling.Status.ACTIVE,
    )
    return (
        Q(**{f"{prefix}user__is_active": True, f"{prefix}suspended_at__isnull": True})
        & (
            Q(**{f"{prefix}ends_on__isnull": True})
            | Q(**{f"{prefix}ends_on__gte": today_in_stockholm()})
        )
        & (
            Q(**{f"{prefix}consultant__isnull": True})
            | (Q(**{f"{prefix}consultant__is_active": True}) & Q(Exists(live_coupling)))
        )
    )


def active_sysadmins(*, subscription: Subscription) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(live_membership_q(), subscription=subscription, is_sysadmin=True)
        .select_related("user", "consultant__firm")
        .order_by("user__full_name")
    )


def subscriptions_administered_by(*, user: User) -> QuerySet[Subscription]:
    """Subscriptions where the user is an active system administrator."""
    memberships = Membership.objects.filter(
        live_membership_q(), user=user, is_sysadmin=True, subscription_id=OuterRef("pk")
    )
    return (
        Subscription.objects.filter(Exists(memberships))
        .exclude(status=Subscription.Status.ENDED)
        .select_related("client")
        .order_by("client__name", "number")
    )


def subscription_for_sysadmin(*, user: User, number: int) -> Subscription:
    """The subscription if `user` is an active sysadmin in it, else 404."""
    subscription = subscriptions_administered_by(user=user).filter(number=number).first()
    if subscription is None:
        record_denied(user=user, subscription_number=number, what="subscription_admin")
        raise Http404("No such subscription")
    return subscription


def record_denied(
    *, user: User, subscription_number: int | None = None, what: str, **extra: object
) -> None:
    """A failed authorization attempt goes to the access ledger (when the
    object exists: probing for numbers that do not is not an attempt on anyone)."""
    from collaboration.ledger import Kind, ledger_record

    subscription_id = None
    if subscription_number is not None:
        subscription_id = (
            Subscription.objects.filter(number=subscription_number)
            .values_list("pk", flat=True)
            .first()
        )
        if subscription_id is None:
            return
    ledger_record(
        kind=Kind.ACCESS_DENIED,
        actor=user if user.is_authenticated else None,
        subscription=subscription_id,
        after={"what": what, **extra},
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

    @property
    def members(self) -> list[Membership]:
        return self.client_users + self.consultants


def license_usage(*, subscription: Subscription, program: Program) -> LicenseUsage:
    """Seats and seats used of one program, in one query (one cell's header)."""
    seats = SubscriptionLicense.objects.filter(
        subscription=subscription, program_id=OuterRef("pk")
    ).values("seats")[:1]
    used = (
        ProgramLevel.objects.filter(
            membership__subscription=subscription, program_id=OuterRef("pk")
        )
        .values("program_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    seat_count, used_count = (
        Program.objects.filter(pk=program.pk)
        .annotate(seat_count=Coalesce(Subquery(seats), 0), used_count=Coalesce(Subquery(used), 0))
        .values_list("seat_count", "used_count")
        .get()
    )
    return LicenseUsage(program=program, seats=seat_count, used=used_count)


def permission_grid(*, subscription: Subscription) -> PermissionGrid:
    """Members × programs with their levels, and seat usage per program.

    A fixed number of queries whatever the size of the subscription.
    """
    programs = list(Program.objects.all())
    memberships = list(
        Membership.objects.filter(subscription=subscription)
        .select_related("user", "consultant__firm")
        .prefetch_related(Prefetch("levels", queryset=ProgramLevel.objects.all()))
        .order_by("user__full_name")
    )
    seats = {
        lic.program_id: lic.seats
        for lic in SubscriptionLicense.objects.filter(subscription=subscription)
    }
    used = dict(
        ProgramLevel.objects.filter(membership__subscription=subscription)
        .values_list("program_id")
        .annotate(n=Count("id"))
        .values_list("program_id", "n")
    )
    for membership in memberships:
        membership.level_by_program = {lvl.program_id: lvl for lvl in membership.levels.all()}  # type: ignore[attr-defined]
    return PermissionGrid(
        subscription=subscription,
        programs=programs,
        client_users=[m for m in memberships if m.consultant_id is None],
        consultants=sorted(
            (m for m in memberships if m.consultant_id is not None),
            key=lambda m: (m.consultant.firm.name, m.user.full_name),  # type: ignore[union-attr]
        ),
        licenses={
            p.id: LicenseUsage(program=p, seats=seats.get(p.id, 0), used=used.get(p.id, 0))
            for p in programs
        },
    )


def client_memberships(*, user: User) -> list[Membership]:
    """The user's live memberships as a plain member (not sysadmin, not as a
    consultant), each with its program levels, for the client's start page."""
    return list(
        Membership.objects.filter(
            live_membership_q(), user=user, is_sysadmin=False, consultant__isnull=True
        )
        .select_related("subscription__client")
        .prefetch_related(
            Prefetch("levels", queryset=ProgramLevel.objects.select_related("program"))
        )
        .order_by("subscription__client__name")
    )
