"""Writes for Flow 2: per-program levels, the sysadmin flag and licences.

Every change locks the subscription row first, so seat counting and the
"last sysadmin" rule hold when two sysadmins click at the same time."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from clients.models import (
    Counter,
    Level,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.selectors import live_membership_q
from firm_portal.models import User
from licensing.models import LicenseChange

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


def _lock(subscription: Subscription) -> None:
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
    *, actor: User, subscription: Subscription, membership: Membership, program: Program, level: str
) -> ProgramLevel | None:
    """Set a member's level on a program ("" removes it). A new level takes a
    licence seat of that program; with none free, NoFreeSeat is raised."""
    if level and level not in Level.values:
        raise ValidationError(_("Välj en giltig behörighet."), code="invalid_level")
    _lock(subscription)
    existing = ProgramLevel.objects.filter(membership=membership, program=program).first()
    if not level:
        if existing is not None:
            existing.delete()
        return None
    if existing is not None:
        if existing.level != level:
            existing.level = level
            existing.save(update_fields=["level"])
        return existing
    seats = (
        SubscriptionLicense.objects.filter(subscription=subscription, program=program)
        .values_list("seats", flat=True)
        .first()
    ) or 0
    used = ProgramLevel.objects.filter(
        membership__subscription=subscription, program=program
    ).count()
    if used >= seats:
        raise NoFreeSeat(program=program, seats=seats)
    return ProgramLevel.objects.create(membership=membership, program=program, level=level)


@transaction.atomic
def membership_set_sysadmin(
    *, actor: User, subscription: Subscription, membership: Membership, is_sysadmin: bool
) -> Membership:
    """Grant or revoke "Systemadministratör"; the last one cannot be removed."""
    _lock(subscription)
    membership.refresh_from_db(fields=["is_sysadmin"])
    if membership.is_sysadmin == is_sysadmin:
        return membership
    if not is_sysadmin:
        others = (
            Membership.objects.filter(
                live_membership_q(), subscription=subscription, is_sysadmin=True
            )
            .exclude(pk=membership.pk)
            .exists()
        )
        if not others:
            raise ValidationError(
                _(
                    "%(name)s är den enda systemadministratören. Gör någon annan till "
                    "systemadministratör först."
                )
                % {"name": membership.user.full_name},
                code="last_sysadmin",
            )
    membership.is_sysadmin = is_sysadmin
    membership.save(update_fields=["is_sysadmin"])
    return membership


@transaction.atomic
def license_add(
    *, actor: User, subscription: Subscription, program: Program, count: int = 1
) -> SubscriptionLicense:
    """Add seats ("Lägg till licens"): more seats, recorded as a billable change."""
    if count < 1 or count > 100:
        raise ValidationError(_("Ange ett antal mellan 1 och 100."), code="invalid_count")
    _lock(subscription)
    license_row, _created = SubscriptionLicense.objects.get_or_create(
        subscription=subscription, program=program
    )
    SubscriptionLicense.objects.filter(pk=license_row.pk).update(seats=F("seats") + count)
    license_row.refresh_from_db(fields=["seats"])
    LicenseChange.objects.create(
        subscription=subscription,
        program=program,
        delta=count,
        seats_after=license_row.seats,
        actor=actor,
    )
    return license_row
