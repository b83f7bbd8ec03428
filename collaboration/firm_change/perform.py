"""The date of a "Byte av byrå" (flow 7): one transaction that ends the old
firm's coupling and its consultants' access, activates the new firm's
coupling with its responsible consultant, and moves the invoice from the
old firm to the new one, each event in the ledger with the change's id
(`after["firm_change"]`: the case that links them).

Lock order, as everywhere a subscription's access changes: the subscription
row first (`collaboration_end`, `clients.services` take the same lock), then
the change, then the couplings. So "Avsluta samarbete" by the old firm and
the change never interleave: whichever comes second sees what the first did.
"""

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import ClientAssignment, Membership, Subscription
from clients.services import assignment_ensure
from collaboration.firm_change.selectors import (
    billing_month_from,
    firm_change_deciders,
    old_firm_memberships,
)
from collaboration.models import Coupling, FirmChange
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from ledger.services import Kind, ledger_event, ledger_record_all
from licensing.billing.services import billing_validate
from licensing.models import BillingChange, Recipient, SubscriptionBilling
from notifications.services import outbox_batch, outbox_enqueue_email


def case(change: FirmChange, **after: object) -> dict[str, object]:
    """The ledger's `after` of every event of the change: its id first."""
    return {"firm_change": change.pk, **after}


def case_detail(change: FirmChange) -> str:
    return _("Byte av byrå #%(id)s") % {"id": change.pk}


def notify(
    change: FirmChange, template: str, recipients: Iterable[User], **context: object
) -> None:
    """One e-mail per address through the outbox, in the caller's transaction."""
    unique = {user.email: user for user in recipients if user.email}
    with outbox_batch():
        for user in unique.values():
            outbox_enqueue_email(
                to=user.email,
                template=template,
                context={
                    "recipient": user,
                    "change": change,
                    "subscription": change.subscription,
                    "client": change.subscription.client,
                    "old_firm": change.old_firm,
                    "new_firm": change.new_firm,
                    **context,
                },
            )


def firm_people(firm_id: int, *also: User | None) -> list[User]:
    """A firm's admins (who answer for its clients), and `also`."""
    admins = [
        c.user
        for c in Consultant.objects.filter(
            firm_id=firm_id, is_firm_admin=True, is_active=True, user__is_active=True
        ).select_related("user")
    ]
    return admins + [user for user in also if user is not None]


def old_firm_people(change: FirmChange) -> list[User]:
    """The replaced firm's admins and the old coupling's responsible consultant."""
    responsible_id = change.old_coupling.responsible_consultant_id
    responsible = (
        Consultant.objects.filter(pk=responsible_id, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
        if responsible_id is not None
        else None
    )
    return firm_people(change.old_firm_id, responsible.user if responsible else None)


def lock_change(subscription: Subscription, change_id: int) -> tuple[Subscription, FirmChange]:
    """The subscription, then the change, locked; FirmChange.DoesNotExist if
    the change is not to `subscription`."""
    subscription = (
        Subscription.objects.select_for_update().select_related("client").get(pk=subscription.pk)
    )
    change = (
        FirmChange.objects.select_for_update(of=("self",))
        .select_related("new_firm", "old_firm", "responsible_consultant__user", "requested_by")
        .get(pk=change_id, subscription=subscription)
    )
    change.subscription = subscription
    return subscription, change


def firm_changes_perform_due(*, today: date | None = None) -> int:
    """The beat task's work: every approved change whose date (Stockholm)
    has come. Each change is claimed under its lock, so two runs at once, or
    a run after a run, perform each once; each change is its own
    transaction. Returns how many were performed."""
    today = today or today_in_stockholm()
    due = list(
        FirmChange.objects.filter(status=FirmChange.Status.APPROVED, starts_on__lte=today)
        .order_by("starts_on", "pk")
        .values_list("pk", "subscription_id")
    )
    done = 0
    for change_id, subscription_id in due:
        with transaction.atomic():
            _subscription, change = lock_change(
                Subscription(pk=subscription_id), change_id=change_id
            )
            if change.status == FirmChange.Status.APPROVED:
                firm_change_perform(change=change, actor=None, today=today)
                done += 1
    return done


def firm_change_perform(*, change: FirmChange, actor: User | None, today: date) -> FirmChange:
    """The change itself; the caller holds the locks of `lock_change` and has
    checked that the change is approved."""
    subscription = change.subscription
    old = Coupling.objects.select_for_update(of=("self",)).get(pk=change.old_coupling_id)
    leaving = old_firm_memberships(subscription_id=subscription.pk, firm_id=change.old_firm_id)
    # Read before anyone leaves: the client's sysadmins to tell afterwards.
    client_sysadmins = [
        m.user
        for m in firm_change_deciders(subscription=subscription, old_firm_id=change.old_firm_id)
        if m.consultant_id is None
    ]
    events = _old_firm_leaves(change, actor, old, leaving)
    new_coupling = _new_coupling(change, today)
    events += _responsible_joins(change, actor, new_coupling, leaving)
    billing_from = billing_month_from(change.starts_on or today)
    billing_event = _invoice_moves(change, actor, billing_from, today)
    if billing_event is not None:
        events.append(billing_event)
    change.status = FirmChange.Status.DONE
    change.done_at = timezone.now()
    change.new_coupling = new_coupling
    change.billing_from = billing_from
    change.save(update_fields=["status", "done_at", "new_coupling", "billing_from"])
    ledger_record_all(events)
    assignment_ensure(consultant=change.responsible_consultant, subscription_id=subscription.pk)
    _tell_done(change, client_sysadmins, removed=[m.user.full_name for m in leaving])
    return change


def _old_firm_leaves(
    change: FirmChange, actor: User | None, old: Coupling, leaving: list[Membership]
) -> list[AccessEvent]:
    """The old coupling ends (unless the old firm ended it already); its
    consultants leave with their levels (the seats are freed) and their
    client assignments."""
    subscription = change.subscription
    events = [
        ledger_event(
            kind=Kind.MEMBER_REMOVED,
            actor=actor,
            firm=change.old_firm_id,
            subscription=subscription,
            subject=m.user_id,
            before={
                "is_sysadmin": m.is_sysadmin,
                "levels": {lvl.program.code: lvl.level for lvl in m.levels.all()},
            },
            after=case(change),
            detail=case_detail(change),
        )
        for m in leaving
    ]
    Membership.objects.filter(pk__in=[m.pk for m in leaving]).delete()
    ClientAssignment.objects.filter(
        subscription=subscription, consultant__firm_id=change.old_firm_id
    ).delete()
    if old.status in Coupling.AGREED_STATUSES:
        status_before = old.status
        old.status = Coupling.Status.ENDED
        old.ended_at = timezone.now()
        old.save(update_fields=["status", "ended_at"])
        events.append(
            ledger_event(
                kind=Kind.COUPLING_ENDED,
                actor=actor,
                firm=change.old_firm_id,
                subscription=subscription,
                before={"status": status_before},
                after=case(change, side="firm_change", new_firm=change.new_firm_id),
                detail=case_detail(change),
            )
        )
    return events


def _live_coupling_of_new_firm(change: FirmChange) -> Coupling | None:
    return (
        Coupling.objects.live()
        .select_for_update(of=("self",))
        .filter(firm_id=change.new_firm_id, subscription=change.subscription)
        .first()
    )


def _new_coupling(change: FirmChange, today: date) -> Coupling:
    """The new firm's coupling, active from today. One it made meanwhile
    (a dubbelsammankoppling approved while the change waited) is the one
    used; if such an approval commits at this very moment, the unique
    constraint of live couplings refuses ours and theirs is used."""
    live = _live_coupling_of_new_firm(change)
    if live is None:
        try:
            with transaction.atomic():
                return Coupling.objects.create(
                    firm=change.new_firm,
                    subscription=change.subscription,
                    responsible_consultant=change.responsible_consultant,
                    status=Coupling.Status.ACTIVE,
                    starts_on=today,
                    activated_at=timezone.now(),
                )
        except IntegrityError:
            live = _live_coupling_of_new_firm(change)
            if live is None:
                raise
    if live.status != Coupling.Status.ACTIVE:
        live.status = Coupling.Status.ACTIVE
        live.activated_at = timezone.now()
        live.save(update_fields=["status", "activated_at"])
    return live


def _responsible_joins(
    change: FirmChange, actor: User | None, coupling: Coupling, leaving: list[Membership]
) -> list[AccessEvent]:
    """The new coupling's events and its responsible consultant in the
    subscription; a sysadmin when nobody else would be one (never zero)."""
    subscription = change.subscription
    responsible = change.responsible_consultant
    events = [
        ledger_event(
            kind=Kind.COUPLING_ACTIVATED,
            actor=actor,
            firm=change.new_firm_id,
            subscription=subscription,
            subject=responsible.user_id,
            after=case(change, starts_on=coupling.starts_on.isoformat()),
            detail=case_detail(change),
        )
    ]
    remaining = (
        Membership.objects.sysadmins()
        .filter(subscription=subscription)
        .exclude(pk__in=[m.pk for m in leaving])
        .exclude(user_id=responsible.user_id)
    )
    becomes_sysadmin = not remaining.exists()
    membership, created = Membership.objects.get_or_create(
        subscription=subscription,
        user=responsible.user,
        defaults={"consultant": responsible, "is_sysadmin": becomes_sysadmin},
    )
    if created:
        events.append(
            ledger_event(
                kind=Kind.MEMBER_ADDED,
                actor=actor,
                firm=change.new_firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                after=case(change, is_sysadmin=becomes_sysadmin),
                detail=case_detail(change),
            )
        )
    elif becomes_sysadmin and not membership.is_sysadmin:
        membership.is_sysadmin = True
        membership.save(update_fields=["is_sysadmin"])
        events.append(
            ledger_event(
                kind=Kind.SYSADMIN_CHANGED,
                actor=actor,
                firm=change.new_firm_id,
                subscription=subscription,
                subject=responsible.user_id,
                before={"is_sysadmin": False},
                after=case(change, is_sysadmin=True),
                detail=case_detail(change),
            )
        )
    return events


def _invoice_moves(
    change: FirmChange, actor: User | None, billing_from: date, today: date
) -> AccessEvent | None:
    """The old firm's invoice becomes the new firm's from `billing_from` (a
    first of a month, `billing_month_from`): the invoicing run bills every
    month before it to the payer before (`BillingChange`) and every month
    from it to the new one. The customer, or a third firm, who pays stays."""
    billing = (
        SubscriptionBilling.objects.select_for_update()
        .filter(subscription=change.subscription)
        .first()
    )
    if billing is None or not (
        billing.recipient == Recipient.FIRM and billing.firm_id == change.old_firm_id
    ):
        return None
    billing_validate(
        recipient=Recipient.FIRM,
        firm=change.new_firm,
        consolidated=False,
        period_months=billing.period_months,
        starts_on=billing_from,
        today=today,
    )
    before = {"recipient": billing.recipient, "firm": billing.firm_id}
    consolidated_before = billing.consolidated
    billing.firm, billing.consolidated = change.new_firm, False
    billing.save(update_fields=["firm", "consolidated"])
    BillingChange.objects.create(
        subscription=change.subscription,
        effective_on=billing_from,
        recipient_before=Recipient.FIRM,
        firm_before_id=change.old_firm_id,
        consolidated_before=consolidated_before,
        recipient_after=Recipient.FIRM,
        firm_after=change.new_firm,
        consolidated_after=False,
        actor=actor,
    )
    return ledger_event(
        kind=Kind.RECIPIENT_CHANGED,
        actor=actor,
        firm=change.new_firm_id,
        subscription=change.subscription,
        before={**before, "consolidated": consolidated_before},
        after=case(
            change,
            recipient=Recipient.FIRM,
            firm=change.new_firm_id,
            consolidated=False,
            effective_on=billing_from.isoformat(),
        ),
        detail=case_detail(change),
    )


def _tell_done(change: FirmChange, client_sysadmins: list[User], removed: list[str]) -> None:
    """The new firm, the old firm and the client's sysadmins: it is done."""
    context = {"removed": removed, "billing_from": change.billing_from}
    notify(
        change,
        "firm-change-done",
        firm_people(change.new_firm_id, change.requested_by, change.responsible_consultant.user),
        side="new",
        **context,
    )
    notify(change, "firm-change-done", old_firm_people(change), side="old", **context)
    notify(change, "firm-change-done", client_sysadmins, side="client", **context)
