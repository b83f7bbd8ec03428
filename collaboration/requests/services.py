"""Writes for Flow 1: looking up a subscription from "Ny klient", sending,
approving, rejecting, withdrawing and expiring requests, and activating
scheduled couplings. Each function is one transaction; messages go to the
outbox inside it."""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import Membership, Subscription
from clients.selectors import active_sysadmins
from clients.services import assignment_ensure, subscription_lock
from collaboration.agreements.services import request_agreements_attach, request_agreements_confirm
from collaboration.models import CollaborationRequest, Coupling
from collaboration.requests.selectors import Lookup, LookupOutcome, subscription_lookup
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_event, ledger_record, ledger_record_all
from notifications.services import outbox_batch, outbox_enqueue_email


class CollaborationError(Exception):
    """A rule said no; `message` is the Swedish text shown to the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def require_client_manager_seat(*, consultant: Consultant | None) -> Consultant:
    if consultant is None or not consultant.has_client_manager_seat:
        raise PermissionDenied(_("Du behöver en licens för Klienthanteraren."))
    return consultant


def _validate_start_date(start_date: date | None) -> None:
    if start_date is not None and start_date < today_in_stockholm():
        raise ValidationError(
            _("Startdatumet kan inte ligga i det förflutna."), code="start_date_past"
        )


def require_requestable(
    *,
    consultant: Consultant,
    subscription: Subscription,
    responsible: Consultant,
    checked: Lookup | None = None,
) -> None:
    """Whether `consultant` may ask for `subscription` with `responsible` as
    the responsible consultant: a Klienthanteraren seat, a responsible of the
    firm, and step 1's rules (`subscription_lookup`) by the caller's lookup
    of `subscription` in the same request, else by a new one. "Förfrågan om
    samarbete" and "Byte av byrå" both ask it."""
    require_client_manager_seat(consultant=consultant)
    if responsible.firm_id != consultant.firm_id or not responsible.is_active:
        raise ValidationError(
            _("Välj en ansvarig konsult från din byrå."), code="responsible_not_in_firm"
        )
    lookup = checked
    if lookup is None or lookup.subscription is None or lookup.subscription.pk != subscription.pk:
        lookup = subscription_lookup(
            consultant=consultant,
            org_number=subscription.client.org_number,
            subscription_number=subscription.number,
        )
    if lookup.outcome != LookupOutcome.FOUND:
        raise CollaborationError(lookup.message, code=lookup.outcome.value)


def collaboration_request_send(
    *,
    consultant: Consultant,
    subscription: Subscription,
    responsible: Consultant,
    start_date: date | None,
    checked: Lookup | None = None,
) -> CollaborationRequest:
    """Send "Förfrågan om samarbete" and email every active sysadmin.

    `checked` is the caller's `subscription_lookup` of this subscription in
    the same request (the view makes it to show step 2); it is not repeated.
    Either way the rules are checked before the transaction and the pending
    request's constraint settles a race."""
    _validate_start_date(start_date)
    require_requestable(
        consultant=consultant, subscription=subscription, responsible=responsible, checked=checked
    )
    try:
        with transaction.atomic():
            _require_request_allowance(firm_id=consultant.firm_id, subscription=subscription)
            request = CollaborationRequest.objects.create(
                firm_id=consultant.firm_id,
                subscription=subscription,
                responsible_consultant=responsible,
                requested_by=consultant.user,
                start_date=start_date,
                expires_at=timezone.now() + timedelta(days=settings.COLLABORATION_REQUEST_TTL_DAYS),
            )
            ledger_record(
                kind=Kind.REQUEST_SENT,
                actor=consultant.user,
                firm=consultant.firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                after={"start_date": start_date.isoformat() if start_date else None},
            )
            request_agreements_attach(request=request)  # Flow 10: the firm's agreements go along
            _tell_sysadmins(request=request, consultant=consultant)
    except IntegrityError:
        # Two colleagues sent at the same moment: the constraint let one through.
        raise CollaborationError(
            _("Er byrå har redan en förfrågan till %(client)s som väntar på svar.")
            % {"client": subscription.client.name},
            code=LookupOutcome.ALREADY_PENDING.value,
        ) from None
    return request


def _tell_sysadmins(*, request: CollaborationRequest, consultant: Consultant) -> None:
    subscription = request.subscription
    recipients = {
        m.user.email: m.user
        for m in active_sysadmins(subscription=subscription)
        if m.user_id != consultant.user_id
    }
    with outbox_batch():
        for user in recipients.values():
            outbox_enqueue_email(
                to=user.email,
                template="collaboration-request",
                context={
                    "recipient": user,
                    "request": request,
                    "firm": consultant.firm,
                    "client": subscription.client,
                    "subscription": subscription,
                    "responsible": request.responsible_consultant.user,
                    "requested_by": consultant.user,
                },
            )


def _require_request_allowance(*, firm_id: int, subscription: Subscription) -> None:
    """At most COLLABORATION_REQUESTS_PER_DAY requests from a firm to one
    subscription in 24 hours, whatever became of them: sending and
    withdrawing in a loop would otherwise e-mail the customer's sysadmins and
    fill their ledger without end. (The pending-request constraint means two
    sends at once cannot both pass this count.)"""
    limit = settings.COLLABORATION_REQUESTS_PER_DAY
    sent = CollaborationRequest.objects.filter(
        firm_id=firm_id,
        subscription=subscription,
        created_at__gt=timezone.now() - timedelta(hours=24),
    ).count()
    if sent >= limit:
        raise CollaborationError(
            ngettext(
                "Er byrå har skickat %(count)s förfrågan till %(client)s det senaste dygnet. "
                "Vänta ett dygn innan ni skickar nästa: kundens systemadministratörer får ett "
                "mejl för varje.",
                "Er byrå har skickat %(count)s förfrågningar till %(client)s det senaste dygnet. "
                "Vänta ett dygn innan ni skickar nästa: kundens systemadministratörer får ett "
                "mejl för varje.",
                sent,
            )
            % {"count": sent, "client": subscription.client.name},
            code="too_many_requests",
        )


def _already_decided_message(request: CollaborationRequest) -> str:
    status = request.get_status_display().lower()
    if request.decided_by is not None and request.decided_at is not None:
        return _("Förfrågan är redan hanterad: %(status)s av %(name)s %(when)s.") % {
            "status": status,
            "name": request.decided_by.full_name,
            "when": date_format(timezone.localtime(request.decided_at), "j F Y H:i"),
        }
    return _("Förfrågan är redan hanterad (%(status)s).") % {"status": status}


def _lock_pending(
    *,
    subscription: Subscription,
    request_id: int,
    annotations: dict[str, Any] | None = None,
) -> CollaborationRequest:
    """The pending request, locked; CollaborationRequest.DoesNotExist if it is
    not to `subscription`. With annotations, `by_sysadmin` (required) and what
    else the caller needs are read in the same query."""
    request = (
        CollaborationRequest.objects.select_for_update(of=("self",))
        # Not decided_by: a row locked after waiting is re-read, its joins are
        # not, so a join would show who decided as nobody.
        .select_related("firm", "responsible_consultant__user", "requested_by")
        .annotate(**(annotations or {}))
        .get(pk=request_id, subscription=subscription)
    )
    if annotations is not None and not request.by_sysadmin:  # type: ignore[attr-defined]
        raise PermissionDenied(_("Du är inte systemadministratör i abonnemanget."))
    if (
        request.status == CollaborationRequest.Status.PENDING
        and request.expires_at <= timezone.now()
    ):
        request.status = CollaborationRequest.Status.EXPIRED
        request.decided_at = request.expires_at
        request.save(update_fields=["status", "decided_at"])
    if request.status != CollaborationRequest.Status.PENDING:
        raise CollaborationError(_already_decided_message(request), code="already_decided")
    return request


def _require_sysadmin(*, user: User, subscription: Subscription) -> None:
    if not active_sysadmins(subscription=subscription).filter(user=user).exists():
        raise PermissionDenied(_("Du är inte systemadministratör i abonnemanget."))


@transaction.atomic
def collaboration_request_approve(
    *, user: User, subscription: Subscription, request_id: int, ticked: list[str] | None = None
) -> Coupling:
    """Approve ("Jag godkänner"): one coupling however many sysadmins click at
    once. CollaborationRequest.DoesNotExist for a request not to `subscription`;
    AgreementsNotConfirmed unless every agreement it carries is `ticked`."""
    subscription_lock(subscription)  # first, like Byte av byrå: one lock order
    sysadmin = active_sysadmins(subscription=subscription).filter(user=user)
    responsible_member = Membership.objects.filter(
        subscription=subscription, user_id=OuterRef("responsible_consultant__user_id")
    )
    request = _lock_pending(
        subscription=subscription,
        request_id=request_id,
        annotations={
            "by_sysadmin": Exists(sysadmin),
            "responsible_is_member": Exists(responsible_member),
        },
    )
    request_agreements_confirm(request=request, user=user, ticked=ticked or [])
    now = timezone.now()
    coupling = _couple(request=request, subscription=subscription, now=now)
    request.status = CollaborationRequest.Status.APPROVED
    request.decided_at = now
    request.decided_by = user
    request.save(update_fields=["status", "decided_at", "decided_by"])
    _responsible_joins(request=request, coupling=coupling, user=user)
    _tell_approved(request=request, coupling=coupling, approved_by=user)
    return coupling


def _couple(
    *, request: CollaborationRequest, subscription: Subscription, now: datetime
) -> Coupling:
    """The approved request's coupling: active today, or scheduled from its
    start date; CollaborationError if the firm is coupled already."""
    today = today_in_stockholm()
    starts_on = request.start_date if request.start_date and request.start_date > today else today
    try:
        # No savepoint: a conflict ends the whole transaction anyway.
        return Coupling.objects.create(
            firm=request.firm,
            subscription=subscription,
            request=request,
            responsible_consultant=request.responsible_consultant,
            status=(Coupling.Status.SCHEDULED if starts_on > today else Coupling.Status.ACTIVE),
            starts_on=starts_on,
            activated_at=None if starts_on > today else now,
        )
    except IntegrityError:
        raise CollaborationError(
            _("%(firm)s är redan sammankopplad med abonnemanget.") % {"firm": request.firm.name},
            code="already_coupled",
        ) from None


def _responsible_joins(*, request: CollaborationRequest, coupling: Coupling, user: User) -> None:
    """The request's responsible consultant becomes a member (unless one
    already) and is assigned the client; the ledger records the approval."""
    subscription = coupling.subscription
    responsible = request.responsible_consultant
    events = [
        ledger_event(
            kind=Kind.REQUEST_APPROVED,
            actor=user,
            firm=request.firm_id,
            subscription=subscription,
            subject=responsible.user_id,
            after={"coupling": coupling.status, "starts_on": coupling.starts_on.isoformat()},
        )
    ]
    if not request.responsible_is_member:  # type: ignore[attr-defined]
        # Checked under the request's lock; a member added meanwhile by
        # someone else is kept as it is.
        Membership.objects.bulk_create(
            [Membership(subscription=subscription, user=responsible.user, consultant=responsible)],
            ignore_conflicts=True,
        )
        events.append(
            ledger_event(
                kind=Kind.MEMBER_ADDED,
                actor=user,
                firm=request.firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                detail=_("Ansvarig konsult i den godkända förfrågan."),
            )
        )
    ledger_record_all(events)
    assignment_ensure(consultant=responsible, subscription_id=subscription.pk)


def _tell_approved(*, request: CollaborationRequest, coupling: Coupling, approved_by: User) -> None:
    responsible = request.responsible_consultant
    recipients = {
        request.requested_by.email: request.requested_by,
        responsible.user.email: responsible.user,
    }
    with outbox_batch():
        for recipient in recipients.values():
            outbox_enqueue_email(
                to=recipient.email,
                template="collaboration-approved",
                context={
                    "recipient": recipient,
                    "request": request,
                    "coupling": coupling,
                    "firm": request.firm,
                    "client": coupling.subscription.client,
                    "subscription": coupling.subscription,
                    "approved_by": approved_by,
                },
            )


@transaction.atomic
def collaboration_request_reject(
    *, user: User, subscription: Subscription, request_id: int
) -> CollaborationRequest:
    """Reject ("Avböj"): the requester is told; nothing else changes."""
    _require_sysadmin(user=user, subscription=subscription)
    request = _lock_pending(subscription=subscription, request_id=request_id)
    request.status = CollaborationRequest.Status.REJECTED
    request.decided_at = timezone.now()
    request.decided_by = user
    request.save(update_fields=["status", "decided_at", "decided_by"])
    ledger_record(
        kind=Kind.REQUEST_REJECTED,
        actor=user,
        firm=request.firm_id,
        subscription=subscription,
        subject=request.responsible_consultant.user_id,
    )
    outbox_enqueue_email(
        to=request.requested_by.email,
        template="collaboration-rejected",
        context={
            "recipient": request.requested_by,
            "request": request,
            "firm": request.firm,
            "client": subscription.client,
            "subscription": subscription,
        },
    )
    return request


@transaction.atomic
def collaboration_request_withdraw(*, consultant: Consultant, request_id: int) -> None:
    """The firm takes back a pending request; its to-do cards disappear."""
    pending = CollaborationRequest.objects.filter(
        pk=request_id, firm_id=consultant.firm_id, status=CollaborationRequest.Status.PENDING
    )
    withdrawn = pending.update(
        status=CollaborationRequest.Status.WITHDRAWN,
        decided_at=timezone.now(),
        decided_by=consultant.user,
    )
    if not withdrawn:
        raise CollaborationError(
            _("Förfrågan väntar inte längre på svar och kan inte återkallas."),
            code="not_pending",
        )
    subscription_id, subject_id = (
        CollaborationRequest.objects.filter(pk=request_id)
        .values_list("subscription_id", "responsible_consultant__user_id")
        .get()
    )
    ledger_record(
        kind=Kind.REQUEST_WITHDRAWN,
        actor=consultant.user,
        firm=consultant.firm_id,
        subscription=subscription_id,
        subject=subject_id,
    )


@transaction.atomic
def collaboration_requests_expire() -> int:
    """Expire requests unanswered for 30 days and tell the requester. Safe to
    run any number of times, also concurrently."""
    now = timezone.now()
    due = list(
        CollaborationRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CollaborationRequest.Status.PENDING, expires_at__lte=now)
        .select_related("firm", "requested_by", "subscription__client")
    )
    for request in due:
        request.status = CollaborationRequest.Status.EXPIRED
        request.decided_at = now
        request.save(update_fields=["status", "decided_at"])
        ledger_record(
            kind=Kind.REQUEST_EXPIRED,
            firm=request.firm_id,
            subscription=request.subscription_id,
            subject=request.requested_by_id,
        )
        outbox_enqueue_email(
            to=request.requested_by.email,
            template="collaboration-expired",
            context={
                "recipient": request.requested_by,
                "request": request,
                "firm": request.firm,
                "client": request.subscription.client,
                "subscription": request.subscription,
            },
        )
    return len(due)


@transaction.atomic
def couplings_activate_due() -> int:
    """Activate scheduled couplings whose start date (Stockholm) has come.
    Rows are locked by the run that activates them and skipped by any other:
    running it twice, or in two workers, activates each once."""
    due = list(
        Coupling.objects.select_for_update(skip_locked=True)
        .filter(status=Coupling.Status.SCHEDULED, starts_on__lte=today_in_stockholm())
        .values_list("pk", "firm_id", "subscription_id", "starts_on")
    )
    Coupling.objects.filter(pk__in=[pk for pk, *_rest in due]).update(
        status=Coupling.Status.ACTIVE, activated_at=timezone.now()
    )
    for _pk, firm_id, subscription_id, starts_on in due:
        ledger_record(
            kind=Kind.COUPLING_ACTIVATED,
            firm=firm_id,
            subscription=subscription_id,
            after={"starts_on": starts_on.isoformat()},
        )
    return len(due)
