"""Flow 4, "Bjud in klientanvändare": a firm asks people in bulk to join the
clients where it has system-administrator rights and the client has no
users of its own (join offers: clients/invitations/services.py). Here
because "the consultant's clients" hang on the firm's couplings
(`collaboration.selectors.subscriptions_visible_to`); the rows it takes are
clients' (clients/bulk_invitations.py)."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.bulk_invitations import MAX_ROWS_PER_SEND, NewUserRow
from clients.invitations.services import (
    invitation_email,
    invitations_create_many,
    join_offer_email,
    join_offer_resend,
)
from clients.models import JoinOffer, Membership, Subscription
from clients.selectors import record_denied
from collaboration.selectors import subscriptions_visible_to
from firm_portal.models import Consultant, User
from firm_portal.request_data import parse_id
from firm_portal.resend_limits import Resend, ResendLimitReached, resends_check
from firm_portal.sms_allowance import SmsAllowance, firm_sms_allowance
from notifications.services import outbox_batch

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
        Membership.objects.sysadmins().filter(
            subscription_id=OuterRef("pk"), consultant__firm_id=consultant.firm_id
        )
    )


def _has_client_users() -> Exists:
    return Exists(
        Membership.objects.filter(subscription_id=OuterRef("pk"), consultant__isnull=True)
    )


def _has_invited_users() -> Exists:
    """Someone has been asked to join as a client user and has not answered."""
    return Exists(
        JoinOffer.objects.filter(
            subscription_id=OuterRef("pk"),
            kind=JoinOffer.Kind.CLIENT_USER,
            status=JoinOffer.Status.PENDING,
        )
    )


def _firm_sysadmin_subscriptions(*, consultant: Consultant) -> QuerySet[Subscription]:
    """The consultant's clients where the firm has sysadmin rights."""
    return subscriptions_visible_to(consultant=consultant).filter(_firm_is_sysadmin(consultant))


def invitable_subscriptions(*, consultant: Consultant, query: str = "") -> QuerySet[Subscription]:
    """The consultant's clients where the firm has sysadmin rights and the
    client has no users of its own, nor anyone invited who has not answered."""
    qs = (
        _firm_sysadmin_subscriptions(consultant=consultant)
        .exclude(_has_client_users())
        .exclude(_has_invited_users())
        .select_related("client")
        .order_by("client__name", "number")
    )
    query = query.strip()
    if query:
        qs = qs.filter(client__name__icontains=query) | qs.filter(
            client__org_number__startswith=query
        )
    return qs


def pending_client_offers(*, consultant: Consultant) -> QuerySet[JoinOffer]:
    """ "Bjud in befintliga användare": those asked to join one of the
    consultant's clients (where the firm is sysadmin) as a client user who
    have not answered yet."""
    return (
        JoinOffer.objects.filter(
            subscription__in=_firm_sysadmin_subscriptions(consultant=consultant),
            kind=JoinOffer.Kind.CLIENT_USER,
            status=JoinOffer.Status.PENDING,
        )
        .select_related("user", "subscription__client", "firm", "invited_by")
        .order_by("subscription__client__name", "user__email")
    )


def pending_client_offer(*, consultant: Consultant, offer_id: int) -> JoinOffer:
    """One of `pending_client_offers`, else 404; another's offer is an
    attempt on it (the ledger of its subscription counts it)."""
    offer = pending_client_offers(consultant=consultant).filter(pk=offer_id).first()
    if offer is None:
        found = JoinOffer.objects.filter(pk=offer_id).values_list("subscription__number").first()
        if found is not None:
            aimed_at = found[0]
            record_denied(
                user=consultant.user,
                subscription_number=aimed_at,
                what="join_offer",
                offer_id=offer_id,
            )
        raise Http404("No such offer")
    return offer


@dataclass(frozen=True)
class BulkInviteSent:
    # How many of the rows' typed mobile numbers the firm's SMS limit for
    # the day did not cover: their SMS are held (firm_portal/sms_allowance.py);
    # the e-mails all went.
    sms_held: int


def client_users_invite(*, actor: Consultant, rows: list[NewUserRow]) -> BulkInviteSent:
    """Ask the person on every row to join the row's client, in one
    transaction. A new address gets an account (the name, username and
    mobile typed on the row), an invitation link to choose a password (by
    e-mail; a mobile number gets a heads-up without the link) which accepts;
    an account that exists is not changed, gets no invitation and no SMS,
    and is asked by e-mail to log in and answer. Either way the membership
    exists only once the person accepts. Every table is written with one
    INSERT, so 50 rows cost a fixed number of queries.

    The firm's SMS allowance is claimed for every row with a mobile number,
    an existing account's too (which gets none): whether the day's limit was
    reached must not tell which addresses already had an account."""
    if len(rows) > MAX_ROWS_PER_SEND:
        raise BulkInviteError(
            _("Du kan bjuda in högst %(max)s användare per utskick.") % {"max": MAX_ROWS_PER_SEND}
        )
    try:
        with transaction.atomic(), outbox_batch():
            _lock_eligible(actor=actor, rows=rows)
            existing = {
                user.email: user
                for user in User.objects.filter(email__in=[row.email for row in rows])
            }
            new_rows = [row for row in rows if row.email not in existing]
            users = {**existing, **_create_users(new_rows)}
            now = timezone.now()
            offers = JoinOffer.objects.bulk_create(
                JoinOffer(
                    user=users[row.email],
                    kind=JoinOffer.Kind.CLIENT_USER,
                    firm=actor.firm,
                    subscription=row.subscription,
                    invited_by=actor.user,
                    sent_at=now,
                )
                for row in rows
            )
            sms = firm_sms_allowance(
                firm_id=actor.firm_id, wanted=sum(1 for row in rows if row.mobile)
            )
            _invite_new_users(actor=actor, rows=new_rows, users=users, sms=sms)
            for offer in offers:
                if offer.user.email in existing:
                    join_offer_email(offer=offer)
    except IntegrityError:
        # Someone created the same user or offer at the same moment.
        raise BulkInviteError(
            _(
                "Några av användarna skapades samtidigt av någon annan. "
                "Ladda om sidan och försök igen."
            )
        ) from None
    return BulkInviteSent(sms_held=sms.wanted - sms.granted)


def _lock_eligible(*, actor: Consultant, rows: list[NewUserRow]) -> None:
    """Lock the rows' subscriptions; BulkInviteError when one of them may no
    longer get users from the firm (changed since the page was shown)."""
    eligible = set(
        invitable_subscriptions(consultant=actor)
        .select_for_update(of=("self",))
        .filter(pk__in=[row.subscription.pk for row in rows])
        .values_list("pk", flat=True)
    )
    for row in rows:
        if row.subscription.pk not in eligible:
            raise BulkInviteError(
                _("%(client)s kan inte längre få nya användare från er byrå. Ladda om sidan.")
                % {"client": row.subscription.client.name}
            )


def _create_users(rows: list[NewUserRow]) -> dict[str, User]:
    unusable = make_password(None)
    created = User.objects.bulk_create(
        User(
            email=row.email,
            full_name=row.full_name,
            username=row.username or None,
            mobile=row.mobile,
            password=unusable,
        )
        for row in rows
    )
    return {user.email: user for user in created}


def _invite_new_users(
    *, actor: Consultant, rows: list[NewUserRow], users: dict[str, User], sms: SmsAllowance
) -> None:
    """Their invitation links (one INSERT), by e-mail; an SMS heads-up to a
    new account's own mobile number, without the link."""
    if not rows:
        return
    invitations = invitations_create_many(
        users=[users[row.email] for row in rows],
        invited_by=actor.user,
        subscription_ids=[row.subscription.pk for row in rows],
    )
    for row, invitation in zip(rows, invitations, strict=True):
        context = {
            "firm": actor.firm,
            "client": row.subscription.client,
            "subscription": row.subscription,
            "username": invitation.user.username,
        }
        invitation_email(invitation=invitation, template="invitation-client-user", context=context)
        if row.mobile:
            sms.send(
                to=row.mobile,
                template="invitation-client-user",
                context={**context, "invited_by": actor.user},
            )


def client_users_reinvite(*, actor: Consultant, offer_ids: list[int]) -> list[JoinOffer]:
    """ "Bjud in befintliga användare": again to those who have not answered.
    Only the invitation this subscription issued gets a new link (and only
    while no password is set); everyone else is asked again. Never a new
    invitation."""
    if len(offer_ids) > MAX_ROWS_PER_SEND:
        raise BulkInviteError(
            _("Du kan bjuda in högst %(max)s användare per utskick.") % {"max": MAX_ROWS_PER_SEND}
        )
    with transaction.atomic():
        offers = list(
            pending_client_offers(consultant=actor)
            .filter(pk__in=offer_ids)
            .select_for_update(of=("self",))
            .select_related("user")
        )
        try:
            # All or nothing: at a cap no one in the batch gets anything.
            resends_check(
                [Resend(item=f"offer:{offer.pk}", recipient=offer.user) for offer in offers]
            )
            for offer in offers:
                join_offer_resend(offer=offer)
        except ResendLimitReached as error:
            raise BulkInviteError(" ".join(error.messages)) from None
    return offers
