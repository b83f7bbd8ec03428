"""Writes of flow 8: the reminders the beat task sends when they are due,
"Påminn nu", and what the firm does with an expired request.

Each reminder is claimed by inserting its `Reminder` row (unique per item,
round and step) in the transaction that enqueues its messages: two runs, or
two clicks, at the same moment give one reminder. The item's row is locked
first and must still be unanswered, so an answer stops its reminders; an
address whose e-mail bounced for good (`OutboxMessage.bounced_at`) gets none."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.invitations.services import (
    INVITATION_TEMPLATES,
    invitation_email,
    join_offer_email,
    offer_context,
)
from clients.models import Invitation, JoinOffer
from clients.selectors import active_sysadmins
from collaboration.models import CollaborationRequest, Coupling, CustomerAcceptance
from collaboration.new_customer.services import new_customer_welcome
from collaboration.requests.services import (
    CollaborationError,
    collaboration_request_send,
    collaboration_requests_expire,
)
from firm_portal.metrics import REMINDERS_SENT
from firm_portal.models import Consultant, User
from firm_portal.resend_limits import Resend, ResendLimitReached, resends_count
from firm_portal.timeutils import today_in_stockholm
from notifications.models import Reminder
from notifications.selectors import addresses_bounced
from notifications.services import outbox_enqueue_email

logger = logging.getLogger(__name__)


@dataclass
class Item:
    """An unanswered item, its row locked: whom to remind and how."""

    kind: Reminder.Kind
    pk: int
    round: datetime  # when it was (last) sent: the schedule counts from here
    expires_at: datetime | None
    recipients: list[User]
    send: Callable[[list[User]], None]
    resend_key: str  # its key in firm_portal.resend_limits


class ReminderRefused(Exception):
    """ "Påminn nu" could not be done; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def due_step(*, sent_at: datetime, expires_at: datetime | None, now: datetime) -> str | None:
    """The latest step of the schedule that has come and not passed, or None:
    REMINDER_DAYS days after sending ("after:3"), and REMINDER_DAYS_BEFORE_EXPIRY
    days before expiry ("before:2"). A run that missed a step sends only the
    latest one, never a burst."""
    if expires_at is not None and now >= expires_at:
        return None
    steps = [(sent_at + timedelta(days=days), f"after:{days}") for days in settings.REMINDER_DAYS]
    before = settings.REMINDER_DAYS_BEFORE_EXPIRY
    if expires_at is not None and before:
        steps.append((expires_at - timedelta(days=before), f"before:{before}"))
    come = [(at, step) for at, step in steps if sent_at < at <= now]
    return max(come)[1] if come else None


# --- The items ---------------------------------------------------------------------------


def _request_item(pk: int, *, skip_locked: bool) -> Item | None:
    request = (
        CollaborationRequest.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related(
            "firm", "subscription__client", "responsible_consultant__user", "requested_by"
        )
        .filter(pk=pk, status=CollaborationRequest.Status.PENDING)
        .first()
    )
    if request is None:
        return None
    sysadmins = [
        m.user
        for m in active_sysadmins(subscription=request.subscription)
        if m.user_id != request.requested_by_id
    ]

    def send(users: list[User]) -> None:
        for user in users:
            outbox_enqueue_email(
                to=user.email,
                template="collaboration-request",
                context={
                    "recipient": user,
                    "request": request,
                    "firm": request.firm,
                    "client": request.subscription.client,
                    "subscription": request.subscription,
                    "responsible": request.responsible_consultant.user,
                    "requested_by": request.requested_by,
                    "reminder": True,
                },
            )

    return Item(
        Reminder.Kind.REQUEST,
        pk,
        request.created_at,
        request.expires_at,
        sysadmins,
        send,
        f"request:{pk}",
    )


def offer_link(offer: JoinOffer) -> Invitation | None:
    """The open invitation link issued with the offer, while its account has
    no password (then the reminder carries the link, and the offer expires
    with it); None for an account that answers on its start page."""
    if offer.user.has_usable_password():
        return None
    target = (
        {"subscription_id": offer.subscription_id}
        if offer.kind == JoinOffer.Kind.CLIENT_USER
        else {"firm_id": offer.firm_id, "subscription__isnull": True}
    )
    return (
        Invitation.objects.select_related("user", "invited_by")
        .filter(
            user_id=offer.user_id, accepted_at__isnull=True, withdrawn_at__isnull=True, **target
        )
        .first()
    )


def _offer_item(pk: int, *, skip_locked: bool) -> Item | None:
    offer = (
        JoinOffer.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("user", "firm", "subscription__client", "invited_by")
        .filter(pk=pk, status=JoinOffer.Status.PENDING)
        .first()
    )
    if offer is None:
        return None
    link = offer_link(offer)

    def send(users: list[User]) -> None:
        if link is None:
            join_offer_email(offer=offer, reminder=True)
            return
        invitation_email(
            invitation=link,
            template=INVITATION_TEMPLATES[JoinOffer.Kind(offer.kind)],
            context={**offer_context(offer), "reminder": True},
        )

    return Item(
        Reminder.Kind.OFFER,
        pk,
        link.sent_at if link is not None else offer.sent_at,
        link.expires_at if link is not None else None,
        [offer.user],
        send,
        f"offer:{pk}",
    )


def _welcome_item(pk: int, *, skip_locked: bool) -> Item | None:
    acceptance = (
        CustomerAcceptance.objects.select_for_update(of=("self",), skip_locked=skip_locked)
        .select_related("contact", "created_by", "coupling__firm", "coupling__subscription__client")
        .filter(
            pk=pk,
            accepted_at__isnull=True,
            coupling__status=Coupling.Status.AWAITING_CUSTOMER,
        )
        .exclude(nonce="")
        .first()
    )
    if acceptance is None:
        return None

    def send(users: list[User]) -> None:
        # The link as it is: neither renewed nor extended.
        new_customer_welcome(acceptance=acceptance, reminder=True)

    return Item(
        Reminder.Kind.WELCOME,
        pk,
        acceptance.sent_at,
        acceptance.expires_at,
        [acceptance.contact],
        send,
        f"acceptance:{pk}",
    )


LOADERS: dict[Reminder.Kind, Callable[..., Item | None]] = {
    Reminder.Kind.REQUEST: _request_item,
    Reminder.Kind.OFFER: _offer_item,
    Reminder.Kind.WELCOME: _welcome_item,
}


# --- Sending -------------------------------------------------------------------------------


def _deliverable(item: Item) -> tuple[list[User], list[str]]:
    """(recipients whose address takes mail, the addresses that bounced)."""
    bounced = addresses_bounced(addresses=[u.email for u in item.recipients], since=item.round)
    return [u for u in item.recipients if u.email.lower() not in bounced], sorted(bounced)


def _claim(item: Item, step: str, recipients: int) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(
                kind=item.kind, item_id=item.pk, round=item.round, step=step, recipients=recipients
            )
    except IntegrityError:
        return False
    return True


def _remind(item: Item, step: str) -> bool:
    """Claim the step and enqueue the reminder, in the caller's transaction."""
    recipients, _bounced = _deliverable(item)
    if not recipients or not _claim(item, step, len(recipients)):
        return False
    item.send(recipients)
    transaction.on_commit(REMINDERS_SENT.inc)
    return True


def _candidates(now: datetime) -> list[tuple[Reminder.Kind, int]]:
    """Unanswered items some step may have come for (each is checked again
    under its lock)."""
    first = timedelta(days=min(settings.REMINDER_DAYS))
    before = timedelta(days=settings.REMINDER_DAYS_BEFORE_EXPIRY)
    soon = Q(created_at__lte=now - first) | Q(expires_at__lte=now + before)
    requests = CollaborationRequest.objects.filter(
        soon, status=CollaborationRequest.Status.PENDING, expires_at__gt=now
    )
    offer_first = min(first, timedelta(days=settings.INVITATION_TTL_DAYS) - before)
    offers = JoinOffer.objects.filter(
        status=JoinOffer.Status.PENDING, sent_at__lte=now - offer_first
    )
    welcomes = CustomerAcceptance.objects.filter(
        Q(sent_at__lte=now - first) | Q(expires_at__lte=now + before),
        accepted_at__isnull=True,
        expires_at__gt=now,
        coupling__status=Coupling.Status.AWAITING_CUSTOMER,
    )
    return [
        *((Reminder.Kind.REQUEST, pk) for pk in requests.values_list("pk", flat=True)),
        *((Reminder.Kind.OFFER, pk) for pk in offers.values_list("pk", flat=True)),
        *((Reminder.Kind.WELCOME, pk) for pk in welcomes.values_list("pk", flat=True)),
    ]


def reminders_send_due(*, now: datetime | None = None) -> int:
    """The beat task: every reminder that is due, each once (also when two
    runs overlap), each item in a transaction of its own. Returns how many.
    `now` is for the demo data only (seed_demo), which shows a request as
    the beat task would have reminded it over the past days."""
    now = now or timezone.now()
    sent = 0
    for kind, pk in _candidates(now):
        try:
            sent += _remind_if_due(kind, pk, now)
        except Exception:
            # One item that cannot be reminded must not stop the others.
            logger.exception("Reminder of %s %s failed", kind, pk)
    return sent


@transaction.atomic
def _remind_if_due(kind: Reminder.Kind, pk: int, now: datetime) -> bool:
    # Locked by another run right now: that run reminds it, if anyone does.
    item = LOADERS[kind](pk, skip_locked=True)
    if item is None:
        return False
    step = due_step(sent_at=item.round, expires_at=item.expires_at, now=now)
    return step is not None and _remind(item, step)


def reminder_send_now(*, kind: Reminder.Kind, item_id: int) -> list[User]:
    """ "Påminn nu" (the caller fetched the item through its scoped selector):
    at most once a day per item, within the resend caps. Returns who was
    reminded; raises ReminderRefused, with nothing sent."""
    with transaction.atomic():
        item = LOADERS[kind](item_id, skip_locked=False)
        if item is None:
            raise ReminderRefused(
                _("Den är redan besvarad eller återkallad. Ingen påminnelse skickades.")
            )
        if item.expires_at is not None and item.expires_at <= timezone.now():
            raise ReminderRefused(_("Den har gått ut. Använd Skicka igen i stället."))
        recipients, bounced = _deliverable(item)
        if not recipients:
            raise ReminderRefused(
                _(
                    "E-post till %(emails)s kommer inte fram (adressen tar inte emot e-post). "
                    "Ingen påminnelse skickades."
                )
                % {"emails": ", ".join(bounced)}
            )
        if not _claim(item, f"now:{today_in_stockholm().isoformat()}", len(recipients)):
            raise ReminderRefused(
                _("Du har redan påmint om den här i dag. Du kan påminna igen i morgon.")
            )
        try:
            resends_count([Resend(item=item.resend_key, recipient=user) for user in recipients])
        except ResendLimitReached as error:
            raise ReminderRefused(" ".join(error.messages)) from None
        item.send(recipients)
        transaction.on_commit(REMINDERS_SENT.inc)
    return recipients


# --- Expired requests ----------------------------------------------------------------------


def _lock_expired(request_id: int) -> CollaborationRequest:
    """The request, expired and still listed, locked. Past its expiry it is
    marked expired first (the hourly task may not have run yet)."""
    collaboration_requests_expire()
    request = (
        CollaborationRequest.objects.select_for_update(of=("self",))
        .select_related("subscription__client", "responsible_consultant")
        .filter(
            pk=request_id,
            status=CollaborationRequest.Status.EXPIRED,
            expiry_handled_at__isnull=True,
        )
        .first()
    )
    if request is None:
        raise CollaborationError(
            _("Förfrågan har inte gått ut, eller är redan hanterad."), code="not_expired"
        )
    return request


@transaction.atomic
def expired_request_send_again(*, consultant: Consultant, request_id: int) -> CollaborationRequest:
    """ "Skicka igen": a new request like the expired one (same subscription
    and responsible consultant, or the sender if that one has left; its start
    date if still ahead), with the rules of a new one; the expired one leaves
    the list. Raises CollaborationError (nothing changed)."""
    expired = _lock_expired(request_id)
    responsible = expired.responsible_consultant
    if not responsible.is_active:
        responsible = consultant
    start = expired.start_date
    if start is not None and start < today_in_stockholm():
        start = None
    sent = collaboration_request_send(
        consultant=consultant,
        subscription=expired.subscription,
        responsible=responsible,
        start_date=start,
    )
    expired.expiry_handled_at = timezone.now()
    expired.save(update_fields=["expiry_handled_at"])
    return sent


@transaction.atomic
def expired_request_dismiss(*, request_id: int) -> CollaborationRequest:
    """ "Ta bort från listan": the expired request leaves the start page."""
    expired = _lock_expired(request_id)
    expired.expiry_handled_at = timezone.now()
    expired.save(update_fields=["expiry_handled_at"])
    return expired
