"""Writes for Flow 2: per-program levels, the sysadmin flag, licences, and
time-boxed access (end date, pause/resume, ending expired memberships).

Every change locks the subscription row first, so seat counting and the
"last sysadmin" rule hold when two sysadmins click at the same time."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import (
    ClientAssignment,
    Counter,
    Level,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.selectors import active_sysadmins, subscriptions_left_without_sysadmin
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_record
from notifications.services import outbox_enqueue_email

SUBSCRIPTION_NUMBER_START = 1_000_000


class NoFreeSeat(ValidationError):
    def __init__(self, *, program: Program, seats: int) -> None:
        super().__init__(
            _(
                "Det finns ingen ledig licens för %(program)s (%(seats)s av %(seats)s används). "
                "Lägg till en licens först."
            )
            % {"program": program.name, "seats": seats},
            code="no_free_seat",
        )
        self.program = program


def _firm_of(membership: Membership) -> int | None:
    """The firm a consultant's membership belongs to (None for client users)."""
    return membership.consultant.firm_id if membership.consultant else None


def subscription_lock(subscription: Subscription) -> None:
    """The subscription row, locked: every write that changes who has access
    to a subscription takes this lock first, so writes on one subscription
    queue in one order and never deadlock."""
    Subscription.objects.select_for_update().filter(pk=subscription.pk).values_list("pk").get()


@transaction.atomic
def subscription_number_allocate() -> int:
    """Next abonnemangsnummer; numbers are never reused, even after deletes."""
    counter, _created = Counter.objects.select_for_update().get_or_create(
        name="subscription_number", defaults={"value": SUBSCRIPTION_NUMBER_START}
    )
    Counter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    return counter.value + 1


@transaction.atomic
def subscription_create(
    *, client_id: int, plan: str, status: str = Subscription.Status.ACTIVE
) -> Subscription:
    return Subscription.objects.create(
        client_id=client_id, plan=plan, status=status, number=subscription_number_allocate()
    )


@transaction.atomic
def program_level_set(
    *,
    actor: User,
    subscription: Subscription,
    membership: Membership,
    program: Program,
    level: str,
    detail: str = "",
) -> ProgramLevel | None:
    """Set a member's level on a program ("" removes it). A new level takes a
    licence seat of that program; with none free, NoFreeSeat is raised."""
    if level and level not in Level.values:
        raise ValidationError(_("Välj en giltig behörighet."), code="invalid_level")
    subscription_lock(subscription)
    existing = ProgramLevel.objects.filter(membership=membership, program=program).first()
    before = existing.level if existing else None
    if (level or None) == before:
        return existing

    def record() -> None:
        ledger_record(
            kind=Kind.LEVEL_CHANGED,
            actor=actor,
            firm=_firm_of(membership),
            subscription=subscription,
            subject=membership.user_id,
            before={"program": program.code, "level": before},
            after={"program": program.code, "level": level or None},
            detail=detail,
        )

    if not level:
        if existing is not None:
            existing.delete()
        record()
        return None
    if existing is not None:
        existing.level = level
        existing.save(update_fields=["level"])
        record()
        return existing
    seats = (
        SubscriptionLicense.objects.filter(subscription=subscription, program=program)
        .values_list("seats", flat=True)
        .first()
    ) or 0
    used = (
        ProgramLevel.objects.filter(membership__subscription=subscription, program=program)
        .seats_used_by_program()
        .get(program.pk, 0)
    )
    if used >= seats:
        raise NoFreeSeat(program=program, seats=seats)
    created = ProgramLevel.objects.create(membership=membership, program=program, level=level)
    record()
    return created


@transaction.atomic
def responsible_consultant_join(
    *, subscription: Subscription, consultant: Consultant, actor: User | None, detail: str
) -> bool:
    """A coupling's responsible consultant becomes a member of the subscription
    (with no levels yet) unless they already are; the ledger says why. Returns
    whether a membership was added."""
    _membership, created = Membership.objects.get_or_create(
        subscription=subscription, user=consultant.user, defaults={"consultant": consultant}
    )
    if created:
        ledger_record(
            kind=Kind.MEMBER_ADDED,
            actor=actor,
            firm=consultant.firm_id,
            subscription=subscription,
            subject=consultant.user_id,
            detail=detail,
        )
    return created


@transaction.atomic
def membership_set_sysadmin(
    *, actor: User, subscription: Subscription, membership: Membership, is_sysadmin: bool
) -> Membership:
    """Grant or revoke "Systemadministratör"; the last one cannot be removed."""
    subscription_lock(subscription)
    membership.refresh_from_db(fields=["is_sysadmin"])
    if membership.is_sysadmin == is_sysadmin:
        return membership
    if not is_sysadmin:
        _refuse_last_sysadmin(
            subscription=subscription,
            membership=membership,
            message=_(
                "%(name)s är den enda systemadministratören. Gör någon annan till "
                "systemadministratör först."
            ),
        )
    membership.is_sysadmin = is_sysadmin
    membership.save(update_fields=["is_sysadmin"])
    ledger_record(
        kind=Kind.SYSADMIN_CHANGED,
        actor=actor,
        firm=_firm_of(membership),
        subscription=subscription,
        subject=membership.user_id,
        before={"is_sysadmin": not is_sysadmin},
        after={"is_sysadmin": is_sysadmin},
    )
    return membership


def _require_consultant_membership(membership: Membership) -> None:
    if membership.consultant_id is None:
        raise ValidationError(
            _(
                "%(name)s är klientanvändare. Bara konsulters åtkomst kan tidsbegränsas "
                "eller pausas."
            )
            % {"name": membership.user.full_name},
            code="client_user",
        )


def _refuse_last_sysadmin(
    *, subscription: Subscription, membership: Membership, message: str
) -> None:
    """Raise ValidationError when taking `membership`'s access away would
    leave the subscription without a system administrator (the rule:
    `subscriptions_left_without_sysadmin`). `message` says so when no other
    sysadmin is live; when the others all have an end date, one message says
    that instead. Call with the subscription locked."""
    left = subscriptions_left_without_sysadmin(leaving=[membership])
    if subscription.pk not in left:
        return
    if left[subscription.pk]:  # the others all have an end date
        message = _(
            "%(name)s är den enda systemadministratören med åtkomst tills vidare – de andra har "
            "ett slutdatum. Ta bort ett slutdatum eller gör någon annan till "
            "systemadministratör först."
        )
    raise ValidationError(message % {"name": membership.user.full_name}, code="last_sysadmin")


@transaction.atomic
def membership_set_end_date(
    *,
    actor: User,
    subscription: Subscription,
    membership: Membership,
    ends_on: date | None,
    detail: str = "",
) -> Membership:
    """ "Åtkomst till och med": the consultant keeps access through `ends_on`
    (None: tills vidare); the day after, `memberships_end_expired` removes it."""
    _require_consultant_membership(membership)
    if ends_on is not None and ends_on < today_in_stockholm():
        raise ValidationError(_("Datumet kan inte ligga i det förflutna."), code="ends_on_past")
    subscription_lock(subscription)
    membership.refresh_from_db(fields=["ends_on"])
    if ends_on is not None:
        _refuse_last_sysadmin(
            subscription=subscription,
            membership=membership,
            message=_(
                "%(name)s är den enda systemadministratören. Gör någon annan till "
                "systemadministratör innan du sätter ett slutdatum."
            ),
        )
    before = membership.ends_on
    membership.ends_on = ends_on
    membership.save(update_fields=["ends_on"])
    if before != ends_on:
        ledger_record(
            kind=Kind.MEMBER_END_DATE,
            actor=actor,
            firm=_firm_of(membership),
            subscription=subscription,
            subject=membership.user_id,
            before={"ends_on": before.isoformat() if before else None},
            after={"ends_on": ends_on.isoformat() if ends_on else None},
            detail=detail,
        )
    return membership


@transaction.atomic
def membership_suspend(
    *, actor: User, subscription: Subscription, membership: Membership
) -> Membership:
    """ "Pausa åtkomst": the membership stays, with its levels, but gives no
    access until resumed. The last system administrator cannot be paused."""
    _require_consultant_membership(membership)
    subscription_lock(subscription)
    membership.refresh_from_db(fields=["is_sysadmin", "suspended_at"])
    if membership.suspended_at is not None:
        return membership
    _refuse_last_sysadmin(
        subscription=subscription,
        membership=membership,
        message=_(
            "%(name)s är den enda systemadministratören. Gör någon annan till "
            "systemadministratör innan du pausar åtkomsten."
        ),
    )
    membership.suspended_at = timezone.now()
    membership.save(update_fields=["suspended_at"])
    ledger_record(
        kind=Kind.MEMBER_SUSPENDED,
        actor=actor,
        firm=_firm_of(membership),
        subscription=subscription,
        subject=membership.user_id,
    )
    return membership


@transaction.atomic
def membership_resume(
    *, actor: User, subscription: Subscription, membership: Membership
) -> Membership:
    """ "Återuppta åtkomst"."""
    _require_consultant_membership(membership)
    subscription_lock(subscription)
    membership.refresh_from_db(fields=["suspended_at"])
    if membership.suspended_at is not None:
        membership.suspended_at = None
        membership.save(update_fields=["suspended_at"])
        ledger_record(
            kind=Kind.MEMBER_RESUMED,
            actor=actor,
            firm=_firm_of(membership),
            subscription=subscription,
            subject=membership.user_id,
        )
    return membership


@transaction.atomic
def membership_remove(
    *, actor: User | None, subscription: Subscription, membership: Membership, detail: str = ""
) -> None:
    """A consultant leaves the subscription (their levels go with them,
    freeing licence seats); refused for the last live sysadmin."""
    _require_consultant_membership(membership)
    subscription_lock(subscription)
    membership.refresh_from_db(fields=["is_sysadmin", "ends_on", "suspended_at"])
    _refuse_last_sysadmin(
        subscription=subscription,
        membership=membership,
        message=_(
            "%(name)s är den enda systemadministratören. Gör någon annan till "
            "systemadministratör innan åtkomsten tas bort."
        ),
    )
    levels = dict(
        ProgramLevel.objects.filter(membership=membership).values_list("program__code", "level")
    )
    Membership.objects.filter(pk=membership.pk).delete()
    ledger_record(
        kind=Kind.MEMBER_REMOVED,
        actor=actor,
        firm=_firm_of(membership),
        subscription=subscription,
        subject=membership.user_id,
        before={"is_sysadmin": membership.is_sysadmin, "levels": levels},
        detail=detail,
    )


@dataclass(frozen=True)
class EndedAccess:
    consultant_name: str
    client: str
    org_number: str
    subscription_number: int
    ends_on: date
    was_sysadmin: bool


@transaction.atomic
def memberships_end_expired() -> int:
    """Delete memberships whose "till och med" date has passed (Stockholm time)
    and tell each affected firm's active firm admins, one email each per run.
    Safe to run any number of times, also concurrently: a row is locked by
    the run that ends it and skipped by the others. Returns how many ended."""
    due = list(
        Membership.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(ends_on__lt=today_in_stockholm())
        .select_related("user", "consultant", "subscription__client")
        .order_by("subscription__client__name", "subscription__number", "user__full_name")
    )
    if not due:
        return 0
    Membership.objects.filter(pk__in=[m.pk for m in due]).delete()
    for membership in due:
        ledger_record(
            kind=Kind.MEMBER_REMOVED,
            firm=_firm_of(membership),
            subscription=membership.subscription_id,
            subject=membership.user_id,
            before={"ends_on": membership.ends_on.isoformat() if membership.ends_on else None},
            detail=_("Åtkomsten upphörde efter slutdatumet."),
        )

    ended_by_firm: dict[int, list[EndedAccess]] = defaultdict(list)
    for membership in due:
        if membership.consultant is None or membership.ends_on is None:
            continue  # a client user: no firm to tell
        ended_by_firm[membership.consultant.firm_id].append(
            EndedAccess(
                consultant_name=membership.user.full_name,
                client=membership.subscription.client.name,
                org_number=membership.subscription.client.org_number,
                subscription_number=membership.subscription.number,
                ends_on=membership.ends_on,
                was_sysadmin=membership.is_sysadmin,
            )
        )
    admins = Consultant.objects.filter(
        firm_id__in=ended_by_firm, is_firm_admin=True, is_active=True, user__is_active=True
    ).select_related("user", "firm")
    for admin in admins:
        outbox_enqueue_email(
            to=admin.user.email,
            template="access-ended",
            context={
                "recipient": admin.user,
                "firm": admin.firm,
                "endings": ended_by_firm[admin.firm_id],
                "any_was_sysadmin": any(e.was_sysadmin for e in ended_by_firm[admin.firm_id]),
            },
        )
    return len(due)


def assignment_ensure(*, consultant: Consultant, subscription_id: int) -> None:
    # One INSERT … ON CONFLICT DO NOTHING (get_or_create costs four queries).
    ClientAssignment.objects.bulk_create(
        [ClientAssignment(consultant=consultant, subscription_id=subscription_id)],
        ignore_conflicts=True,
    )


@transaction.atomic
def consultant_add_to_subscription(
    *, actor_user: User, subscription: Subscription, consultant: Consultant
) -> Membership:
    """ "Lägg till konsult": a sysadmin who is a consultant of the same firm adds
    a colleague to the client's subscription (and to their client list)."""
    sysadmin = active_sysadmins(subscription=subscription).filter(user=actor_user).first()
    if sysadmin is None or sysadmin.consultant is None:
        raise PermissionDenied(_("Du är inte systemadministratör i abonnemanget."))
    if consultant.firm_id != sysadmin.consultant.firm_id or not consultant.is_active:
        raise ValidationError(_("Välj en konsult från din byrå."), code="other_firm")
    membership, created = Membership.objects.get_or_create(
        subscription=subscription, user=consultant.user, defaults={"consultant": consultant}
    )
    if not created:
        raise ValidationError(
            _("%(name)s finns redan i abonnemanget.") % {"name": consultant.user.full_name},
            code="already_member",
        )
    ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=actor_user,
        firm=consultant.firm_id,
        subscription=subscription,
        subject=consultant.user_id,
        detail=_("Lägg till konsult"),
    )
    assignment_ensure(consultant=consultant, subscription_id=subscription.pk)
    return membership
