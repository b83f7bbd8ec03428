"""Flow 4, "Bjud in klientanvändare": a firm invites client users in bulk to
the clients where it has system-administrator rights and the client has no
users of its own."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Membership, Subscription
from clients.selectors import live_membership_q
from collaboration.ledger import Kind, ledger_record
from collaboration.models import AccessEvent
from collaboration.selectors import consultant_clients
from firm_portal.invitations import (
    invitation_email,
    invitation_send,
    invitation_url,
    invitations_create_many,
)
from firm_portal.models import Consultant, Invitation, User
from firm_portal.request_data import parse_id
from notifications.services import outbox_batch, outbox_enqueue_email, outbox_enqueue_sms

MAX_ROWS_PER_SEND = 50


ROWS_GONE_MESSAGE = gettext_lazy(
    "Ingen har bjudits in: en eller flera av raderna kan inte längre få nya användare – "
    "kanske har någon annan just bjudit in dem. Kontrollera listan och "
    "”Bjud in befintliga användare”."
)


def row_id(key: str) -> int | None:
    """The subscription id of a posted row field (`r<id>-<field>`), or None."""
    prefix, _sep, _field = key.partition("-")
    return parse_id(prefix[1:]) if prefix.startswith("r") else None


def filled_rows_gone(*, data: Mapping[str, str], invitable_ids: set[int]) -> bool:
    """Whether a posted row with Namn or e-post filled in is not among the
    clients that can still be invited to (user-scoped: ids outside the
    caller's reach count as gone too, and nothing about them is told)."""
    for key, value in data.items():
        _prefix, _sep, field_name = key.partition("-")
        if field_name not in ("full_name", "email") or not str(value).strip():
            continue
        subscription_id = row_id(key)
        if subscription_id is not None and subscription_id not in invitable_ids:
            return True
    return False


class BulkInviteError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _firm_is_sysadmin(consultant: Consultant) -> Exists:
    return Exists(
        Membership.objects.filter(
            live_membership_q(),
            subscription_id=OuterRef("pk"),
            consultant__firm_id=consultant.firm_id,
            is_sysadmin=True,
        )
    )


def _has_client_users() -> Exists:
    return Exists(
        Membership.objects.filter(subscription_id=OuterRef("pk"), consultant__isnull=True)
    )


def invitable_subscriptions(*, consultant: Consultant, query: str = "") -> QuerySet[Subscription]:
    """The consultant's clients where the firm has sysadmin rights and the
    client has no users of its own."""
    visible = consultant_clients(consultant=consultant).values("subscription_id")
    qs = (
        Subscription.objects.filter(pk__in=visible)
        .filter(_firm_is_sysadmin(consultant))
        .exclude(_has_client_users())
        .select_related("client")
        .order_by("client__name", "number")
    )
    query = query.strip()
    if query:
        qs = qs.filter(client__name__icontains=query) | qs.filter(
            client__org_number__startswith=query
        )
    return qs


def pending_client_users(*, consultant: Consultant) -> QuerySet[Membership]:
    """Client users of the consultant's clients (where the firm is sysadmin)
    who have not yet accepted their invitation."""
    visible = consultant_clients(consultant=consultant).values("subscription_id")
    subscriptions = Subscription.objects.filter(pk__in=visible).filter(
        _firm_is_sysadmin(consultant)
    )
    return (
        Membership.objects.filter(
            subscription__in=subscriptions,
            consultant__isnull=True,
            user__invitations__accepted_at__isnull=True,
        )
        .select_related("user", "subscription__client")
        .order_by("subscription__client__name", "user__full_name")
        .distinct()
    )


@dataclass(frozen=True)
class NewUserRow:
    subscription: Subscription
    full_name: str
    email: str
    username: str
    mobile: str = ""


@dataclass
class RowResult:
    row: NewUserRow
    outcome: str  # "invited", "added" (existing account), "reinvited"
    sms: bool = False


@dataclass
class BulkResult:
    results: list[RowResult] = field(default_factory=list)


def client_users_invite(*, actor: Consultant, rows: list[NewUserRow]) -> BulkResult:
    """Create users, memberships and invitations for every row in one
    transaction; email each (and SMS those with a mobile number). New users
    are written with one INSERT per table, so 50 rows cost a fixed number of
    queries; a row for an existing account is handled on its own."""
    if len(rows) > MAX_ROWS_PER_SEND:
        raise BulkInviteError(
            _("Du kan bjuda in högst %(max)s användare per utskick.") % {"max": MAX_ROWS_PER_SEND}
        )
    result = BulkResult()
    try:
        with transaction.atomic(), outbox_batch():
            eligible = set(
                invitable_subscriptions(consultant=actor)
                .select_for_update(of=("self",))
                .filter(pk__in=[row.subscription.pk for row in rows])
                .values_list("pk", flat=True)
            )
            for row in rows:
                if row.subscription.pk not in eligible:
                    raise BulkInviteError(
                        _(
                            "%(client)s kan inte längre få nya användare från er byrå. "
                            "Ladda om sidan."
                        )
                        % {"client": row.subscription.client.name}
                    )
            existing = {
                user.email: user
                for user in User.objects.filter(email__in=[row.email for row in rows])
            }
            new_rows = [row for row in rows if row.email not in existing]
            result.results.extend(_invite_new_users(actor=actor, rows=new_rows))
            for row in rows:
                if row.email in existing:
                    result.results.append(
                        _invite_existing_user(actor=actor, row=row, user=existing[row.email])
                    )
    except IntegrityError:
        # Someone created the same user or membership at the same moment.
        raise BulkInviteError(
            _(
                "Några av användarna skapades samtidigt av någon annan. "
                "Ladda om sidan och försök igen."
            )
        ) from None
    return result


def _context(actor: Consultant, row: NewUserRow, user: User) -> dict[str, object]:
    return {
        "firm": actor.firm,
        "client": row.subscription.client,
        "subscription": row.subscription,
        "username": user.username,
    }


def _invite_new_users(*, actor: Consultant, rows: list[NewUserRow]) -> list[RowResult]:
    if not rows:
        return []
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=row.email,
            full_name=row.full_name,
            username=row.username or None,
            mobile=row.mobile,
            password=unusable,
        )
        for row in rows
    )
    Membership.objects.bulk_create(
        Membership(subscription=row.subscription, user=user)
        for row, user in zip(rows, users, strict=True)
    )
    AccessEvent.objects.bulk_create(
        AccessEvent(
            kind=Kind.MEMBER_ADDED,
            actor_id=actor.user_id,
            firm_id=actor.firm_id,
            subscription_id=row.subscription.pk,
            subject_id=user.pk,
            detail=_("Bjud in klientanvändare"),
        )
        for row, user in zip(rows, users, strict=True)
    )
    invitations = invitations_create_many(
        users=users, invited_by=actor.user, subscription_ids=[row.subscription.pk for row in rows]
    )
    results = []
    for row, user, invitation in zip(rows, users, invitations, strict=True):
        context = _context(actor, row, user)
        invitation_email(invitation=invitation, template="invitation-client-user", context=context)
        if row.mobile:
            outbox_enqueue_sms(
                to=row.mobile,
                template="invitation-client-user",
                context={**context, "url": invitation_url(invitation), "invited_by": actor.user},
            )
        results.append(RowResult(row=row, outcome="invited", sms=bool(row.mobile)))
    return results


def _invite_existing_user(*, actor: Consultant, row: NewUserRow, user: User) -> RowResult:
    """An account that already exists elsewhere: add it to the client; it
    keeps its username and password (or gets a fresh link if it never set one)."""
    Membership.objects.create(subscription=row.subscription, user=user)
    ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=actor.user,
        firm=actor.firm_id,
        subscription=row.subscription,
        subject=user,
        detail=_("Bjud in klientanvändare"),
    )
    context = _context(actor, row, user)
    if user.has_usable_password():
        outbox_enqueue_email(
            to=user.email,
            template="client-user-added",
            context={**context, "recipient": user, "invited_by": actor.user},
        )
        return RowResult(row=row, outcome="added")
    invitation = invitation_send(
        user=user,
        invited_by=actor.user,
        subscription_id=row.subscription.pk,
        template="invitation-client-user",
        context=context,
    )
    if row.mobile:
        outbox_enqueue_sms(
            to=row.mobile,
            template="invitation-client-user",
            context={**context, "url": invitation_url(invitation), "invited_by": actor.user},
        )
    return RowResult(row=row, outcome="reinvited", sms=bool(row.mobile))


def client_users_reinvite(*, actor: Consultant, membership_ids: list[int]) -> list[Membership]:
    """ "Bjud in befintliga användare": a new link to those who have not accepted."""
    if len(membership_ids) > MAX_ROWS_PER_SEND:
        raise BulkInviteError(
            _("Du kan bjuda in högst %(max)s användare per utskick.") % {"max": MAX_ROWS_PER_SEND}
        )
    memberships = list(pending_client_users(consultant=actor).filter(pk__in=membership_ids))
    with transaction.atomic():
        for membership in memberships:
            invitation = Invitation.objects.filter(
                user=membership.user, accepted_at__isnull=True
            ).first()
            invitation_send(
                user=membership.user,
                invited_by=actor.user,
                subscription_id=membership.subscription_id,
                template="invitation-client-user",
                context={
                    "firm": actor.firm,
                    "client": membership.subscription.client,
                    "subscription": membership.subscription,
                    "username": membership.user.username,
                    "reminder": invitation is not None,
                },
            )
    return memberships
