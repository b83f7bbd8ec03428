"""Licence writes: "Lägg till licens" adds seats, a billable change
(LicenseChange, read by billing), and the firm's "Lägg till licenser" adds or
releases client-manager seats (ClientManagerSeatChange). Here and not in
clients or firm_portal because a seat is a licence: licensing sits above both
(README, "Layers")."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.catalogue import require_program_in_plan
from clients.models import Membership, Program, ProgramLevel, Subscription, SubscriptionLicense
from clients.services import program_level_set
from firm_portal.models import Consultant, Firm, User
from firm_portal.services import lock_firm, require_firm_admin, seats_used
from ledger.services import Kind, ledger_record
from licensing.models import ClientManagerSeatChange, LicenseChange

MAX_SEAT_CHANGE = 500


@transaction.atomic
def license_add(
    *, actor: User, subscription: Subscription, program: Program, count: int = 1
) -> SubscriptionLicense:
    """Add seats ("Lägg till licens"): more seats, recorded as a billable
    change; only for a program the plan includes (as it stands under the lock)."""
    if count < 1 or count > 100:
        raise ValidationError(_("Ange ett antal mellan 1 och 100."), code="invalid_count")
    plan = (
        Subscription.objects.select_for_update()
        .filter(pk=subscription.pk)
        .values_list("plan", flat=True)
        .get()
    )
    require_program_in_plan(plan=plan, program=program)
    license_row, _created = SubscriptionLicense.objects.get_or_create(
        subscription=subscription, program=program
    )
    SubscriptionLicense.objects.filter(pk=license_row.pk).update(seats=F("seats") + count)
    license_row.refresh_from_db(fields=["seats"])
    ledger_record(
        kind=Kind.LICENSES_CHANGED,
        actor=actor,
        subscription=subscription,
        before={"program": program.code, "seats": license_row.seats - count},
        after={"program": program.code, "seats": license_row.seats},
    )
    LicenseChange.objects.create(
        subscription=subscription,
        program=program,
        delta=count,
        seats_after=license_row.seats,
        actor=actor,
    )
    return license_row


@transaction.atomic
def license_add_and_grant(
    *,
    actor: User,
    subscription: Subscription,
    program: Program,
    membership: Membership | None = None,
    level: str = "",
) -> tuple[SubscriptionLicense, ProgramLevel | None]:
    """ "Lägg till licens", confirmed: one more seat of `program` (billed),
    then, when the sysadmin came from a member's cell, that member gets the
    level they chose there, in the same transaction: the new seat cannot be
    taken by someone else in between, and a refused level adds no seat."""
    license_row = license_add(actor=actor, subscription=subscription, program=program)
    granted = None
    if membership is not None and level:
        granted = program_level_set(
            actor=actor,
            subscription=subscription,
            membership=membership,
            program=program,
            level=level,
        )
    return license_row, granted


@transaction.atomic
def firm_seats_change(*, actor: Consultant, delta: int) -> Firm:
    """ "Lägg till licenser" (delta > 0, billed) or release unused ones (delta < 0)."""
    require_firm_admin(actor=actor)
    if delta == 0 or abs(delta) > MAX_SEAT_CHANGE:
        raise ValidationError(
            _("Ange ett antal mellan 1 och %(max)s.") % {"max": MAX_SEAT_CHANGE},
            code="invalid_count",
        )
    firm = lock_firm(actor.firm_id)
    if delta < 0:
        free = firm.client_manager_seats - seats_used(firm_id=firm.pk)
        if -delta > free:
            raise ValidationError(
                ngettext(
                    "Bara %(free)s licens är ledig. Ta först bort licensen från de "
                    "konsulter som inte ska använda Klienthanteraren.",
                    "Bara %(free)s licenser är lediga. Ta först bort licensen från de "
                    "konsulter som inte ska använda Klienthanteraren.",
                    free,
                )
                % {"free": free},
                code="seats_in_use",
            )
    Firm.objects.filter(pk=firm.pk).update(client_manager_seats=F("client_manager_seats") + delta)
    firm.refresh_from_db(fields=["client_manager_seats"])
    ClientManagerSeatChange.objects.create(
        firm=firm, delta=delta, seats_after=firm.client_manager_seats, actor=actor.user
    )
    ledger_record(
        kind=Kind.SEATS_CHANGED,
        actor=actor.user,
        firm=firm,
        before={"seats": firm.client_manager_seats - delta},
        after={"seats": firm.client_manager_seats},
    )
    return firm
