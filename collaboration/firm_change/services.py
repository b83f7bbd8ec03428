"""Writes for "Byte av byrå" (flow 7): the new firm asks, the client decides
("Jag godkänner" / "Avböj"), the asking firm or the client cancels before the
date, unanswered requests expire. The date itself: `perform.py`.

Each function is one transaction that locks the subscription row first (as
`perform.py` and `collaboration_end` do); one open change per subscription
is a database constraint, so two firms asking at once give one change."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.models import Subscription
from collaboration.firm_change.perform import (
    case,
    case_detail,
    firm_change_perform,
    firm_people,
    lock_change,
    notify,
    old_firm_people,
)
from collaboration.firm_change.selectors import (
    client_has_own_sysadmin,
    firm_change_deciders,
    firm_change_preview,
    other_firms_coupled,
)
from collaboration.models import FirmChange
from collaboration.requests.services import CollaborationError, require_requestable
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_record


def _already_open_message(subscription: Subscription, firm_id: int) -> str:
    if FirmChange.objects.open().filter(subscription=subscription, new_firm_id=firm_id).exists():
        return _("Er byrå har redan begärt byte av byrå för %(client)s.") % {
            "client": subscription.client.name
        }
    return _(
        "Ett byte av byrå för %(client)s är redan på gång. Ett nytt byte kan begäras när "
        "det är genomfört eller avbrutet."
    ) % {"client": subscription.client.name}


def firm_change_send(
    *,
    consultant: Consultant,
    subscription: Subscription,
    responsible: Consultant,
    starts_on: date | None,
) -> FirmChange:
    """ "Byte av byrå": ask to take `subscription` over from the firm coupled
    today on `starts_on` (None: "Direkt vid godkännande"). The client's own
    sysadmins are asked, or, when it has none, the sysadmins it has."""
    # The rules of "Ny klient"; the change's own (exactly one other firm
    # coupled today) are checked under the subscription's lock below.
    require_requestable(consultant=consultant, subscription=subscription, responsible=responsible)
    if starts_on is not None and starts_on < today_in_stockholm():
        raise ValidationError(_("Datumet kan inte ligga i det förflutna."), code="past")
    try:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
            others = other_firms_coupled(subscription=subscription, firm_id=consultant.firm_id)
            if len(others) != 1:
                raise CollaborationError(other_firms_message(len(others)), code="other_firms")
            change = FirmChange.objects.create(
                subscription=subscription,
                new_firm_id=consultant.firm_id,
                old_firm=others[0].firm,
                old_coupling=others[0],
                responsible_consultant=responsible,
                requested_by=consultant.user,
                starts_on=starts_on,
                expires_at=timezone.now() + timedelta(days=settings.COLLABORATION_REQUEST_TTL_DAYS),
                decided_by_old_firm=not client_has_own_sysadmin(subscription=subscription),
            )
            ledger_record(
                kind=Kind.REQUEST_SENT,
                actor=consultant.user,
                firm=consultant.firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                after=case(change, starts_on=starts_on.isoformat() if starts_on else None),
                detail=case_detail(change),
            )
            deciders = firm_change_deciders(
                subscription=subscription, old_firm_id=change.old_firm_id
            )
            notify(change, "firm-change-request", [m.user for m in deciders])
    except IntegrityError:
        raise CollaborationError(
            _already_open_message(subscription, consultant.firm_id), code="already_open"
        ) from None
    return change


def other_firms_message(count: int) -> str:
    if count == 0:
        return _(
            "Abonnemanget är inte sammankopplat med någon annan byrå just nu. Välj "
            "Sammankoppling med befintligt abonnemang."
        )
    return _(
        "Abonnemanget är sammankopplat med flera byråer. Byte av byrå ersätter en byrå; skicka "
        "en vanlig förfrågan och be kunden avsluta samarbetet med den byrå som ska sluta."
    )


def _pending(change: FirmChange) -> FirmChange:
    """Refuse a change that no longer waits for an answer (expired on the way)."""
    if change.status == FirmChange.Status.PENDING and change.expires_at <= timezone.now():
        change.status = FirmChange.Status.EXPIRED
        change.decided_at = change.expires_at
        change.save(update_fields=["status", "decided_at"])
    if change.status != FirmChange.Status.PENDING:
        raise CollaborationError(
            _("Bytet av byrå väntar inte längre på svar (%(status)s).")
            % {"status": change.get_status_display().lower()},
            code="not_pending",
        )
    return change


def _require_decider(change: FirmChange, user: User) -> None:
    deciders = firm_change_deciders(
        subscription=change.subscription, old_firm_id=change.old_firm_id
    )
    if not any(m.user_id == user.pk for m in deciders):
        raise PermissionDenied(_("Bytet av byrå godkänns av kundens egna systemadministratörer."))


@transaction.atomic
def firm_change_approve(
    *, user: User, subscription: Subscription, change_id: int, today: date | None = None
) -> FirmChange:
    """ "Jag godkänner": the change is scheduled for its date, or performed at
    once ("Direkt vid godkännande", or a date already come). The old firm
    cannot undo it; only the asking firm or the client can cancel it."""
    today = today or today_in_stockholm()
    subscription, change = lock_change(subscription, change_id)
    _pending(change)
    _require_decider(change, user)
    preview = firm_change_preview(change=change, today=today)
    change.status = FirmChange.Status.APPROVED
    change.decided_at = timezone.now()
    change.decided_by = user
    change.save(update_fields=["status", "decided_at", "decided_by"])
    ledger_record(
        kind=Kind.REQUEST_APPROVED,
        actor=user,
        firm=change.new_firm_id,
        subscription=subscription,
        subject=change.responsible_consultant.user_id,
        after=case(change, day=preview.day.isoformat()),
        detail=case_detail(change),
    )
    notify(
        change,
        "firm-change-decided",
        firm_people(change.new_firm_id, change.requested_by),
        approved=True,
        preview=preview,
    )
    notify(change, "firm-change-scheduled", old_firm_people(change), preview=preview)
    if change.starts_on is None or change.starts_on <= today:
        firm_change_perform(change=change, actor=user, today=today)
    return change


@transaction.atomic
def firm_change_refuse(*, user: User, subscription: Subscription, change_id: int) -> FirmChange:
    """ "Avböj": the asking firm is told; nothing else changes."""
    subscription, change = lock_change(subscription, change_id)
    _pending(change)
    _require_decider(change, user)
    change.status = FirmChange.Status.REFUSED
    change.decided_at = timezone.now()
    change.decided_by = user
    change.save(update_fields=["status", "decided_at", "decided_by"])
    ledger_record(
        kind=Kind.REQUEST_REJECTED,
        actor=user,
        firm=change.new_firm_id,
        subscription=subscription,
        subject=change.responsible_consultant.user_id,
        after=case(change),
        detail=case_detail(change),
    )
    notify(
        change,
        "firm-change-decided",
        firm_people(change.new_firm_id, change.requested_by),
        approved=False,
    )
    return change


@transaction.atomic
def firm_change_cancel(
    *, user: User, subscription: Subscription, change_id: int, by_new_firm: bool
) -> FirmChange:
    """ "Avbryt bytet" before the date, by the asking firm or the client
    (the view decides who may: `firm_change_roles`). The other parties who
    know of it are told."""
    subscription, change = lock_change(subscription, change_id)
    if change.status not in FirmChange.OPEN_STATUSES:
        raise CollaborationError(
            _("Bytet av byrå kan inte längre avbrytas (%(status)s).")
            % {"status": change.get_status_display().lower()},
            code="not_open",
        )
    was_approved = change.status == FirmChange.Status.APPROVED
    change.status = FirmChange.Status.CANCELLED
    change.cancelled_by = user
    change.decided_at = change.decided_at or timezone.now()
    change.save(update_fields=["status", "cancelled_by", "decided_at"])
    ledger_record(
        kind=Kind.REQUEST_WITHDRAWN,
        actor=user,
        firm=change.new_firm_id,
        subscription=subscription,
        subject=change.responsible_consultant.user_id,
        after=case(change, by="new_firm" if by_new_firm else "client"),
        detail=case_detail(change),
    )
    deciders = firm_change_deciders(subscription=subscription, old_firm_id=change.old_firm_id)
    told = [m.user for m in deciders] if by_new_firm else []
    if not by_new_firm:
        told += firm_people(change.new_firm_id, change.requested_by)
    if was_approved:
        told += old_firm_people(change)
    notify(change, "firm-change-cancelled", [u for u in told if u.pk != user.pk], cancelled_by=user)
    return change


@transaction.atomic
def firm_changes_expire() -> int:
    """Expire changes unanswered for COLLABORATION_REQUEST_TTL_DAYS and tell
    the asking firm. Safe to run any number of times, also concurrently."""
    now = timezone.now()
    due = list(
        FirmChange.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=FirmChange.Status.PENDING, expires_at__lte=now)
        .select_related("subscription__client", "new_firm", "old_firm", "requested_by")
    )
    for change in due:
        change.status = FirmChange.Status.EXPIRED
        change.decided_at = now
        change.save(update_fields=["status", "decided_at"])
        ledger_record(
            kind=Kind.REQUEST_EXPIRED,
            firm=change.new_firm_id,
            subscription=change.subscription_id,
            subject=change.requested_by_id,
            after=case(change),
            detail=case_detail(change),
        )
        notify(change, "firm-change-expired", [change.requested_by])
    return len(due)


def starts_on_label(starts_on: date | None) -> str:
    if starts_on is None:
        return _("Direkt vid godkännande")
    return date_format(starts_on, "j F Y")
