"""Reads of flow 8: what the sender sees of an item ("Skickad 4 dec · påmind
2 gånger · går ut 3 jan", "Utgången", a bounced address), and the items a
sender may remind, fetched through the sender's scope (404 otherwise)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from clients.models import Invitation, JoinOffer, Membership
from collaboration.models import REQUEST_LISTED, CollaborationRequest, Coupling
from collaboration.requests.selectors import request_for_firm
from firm_portal.models import Consultant
from firm_portal.paging import PagedRows
from firm_portal.timeutils import today_in_stockholm
from notifications.models import Reminder
from notifications.selectors import addresses_bounced


@dataclass(frozen=True)
class SentState:
    """What `templates/collaboration/reminders/sent_state.html` shows."""

    sent_at: datetime
    reminded: int
    reminded_today: bool
    expires_at: datetime | None
    expired: bool
    bounced: tuple[str, ...] = ()


def _reminders(kind: Reminder.Kind, round_field: str) -> tuple[Coalesce, Exists]:
    """Annotations of a queryset of items: `reminded` (this round's
    reminders) and `reminded_today` ("Påminn nu" used today)."""
    this_round = Reminder.objects.filter(
        kind=kind, item_id=OuterRef("pk"), round=OuterRef(round_field)
    )
    reminded = Coalesce(
        Subquery(this_round.order_by().values("item_id").annotate(n=Count("*")).values("n")[:1]),
        0,
    )
    return reminded, Exists(this_round.filter(step=f"now:{today_in_stockholm()}"))


# --- Collaboration requests ----------------------------------------------------------------


def firm_sent_requests(*, consultant: Consultant) -> QuerySet[CollaborationRequest]:
    """The firm's requests on its start page, oldest first: waiting, and
    expired ones until handled ("Utgången"). Admins see all, others those
    they sent or are responsible for."""
    qs = CollaborationRequest.objects.filter(REQUEST_LISTED, firm_id=consultant.firm_id).order_by(
        "created_at", "pk"
    )
    if not consultant.sees_all_clients:
        qs = qs.filter(Q(requested_by_id=consultant.user_id) | Q(responsible_consultant=consultant))
    return qs


def sent_request_values(qs: QuerySet[CollaborationRequest]) -> QuerySet[Any, Any]:
    reminded, reminded_today = _reminders(Reminder.Kind.REQUEST, "created_at")
    return qs.annotate(reminded=reminded, reminded_today=reminded_today).values(
        "pk",
        "start_date",
        "created_at",
        "expires_at",
        "status",
        "subscription_id",
        "reminded",
        "reminded_today",
        number=F("subscription__number"),
        client_name=F("subscription__client__name"),
        responsible_name=F("responsible_consultant__user__full_name"),
    )


def sent_request_display(rows: list[dict[str, Any]]) -> None:
    """`state` (a SentState) and `start_date_text` on each row; the bounced
    addresses of the rows' sysadmins in two queries, however many rows."""
    now = timezone.now()
    addresses: dict[int, set[str]] = defaultdict(set)
    for subscription_id, email in (
        Membership.objects.sysadmins()
        .filter(subscription_id__in={row["subscription_id"] for row in rows})
        .values_list("subscription_id", "user__email")
    ):
        addresses[subscription_id].add(email.lower())
    since = min((row["created_at"] for row in rows), default=now)
    bounced = addresses_bounced(
        addresses=set().union(*addresses.values()) if addresses else set(), since=since
    )
    for row in rows:
        row["start_date_text"] = row["start_date"].isoformat() if row["start_date"] else ""
        row["state"] = SentState(
            sent_at=row["created_at"],
            reminded=row["reminded"],
            reminded_today=row["reminded_today"],
            expires_at=row["expires_at"],
            expired=row["expires_at"] <= now,
            bounced=tuple(
                sorted(
                    address
                    for address in addresses[row["subscription_id"]]
                    if address in bounced and bounced[address] >= row["created_at"]
                )
            ),
        )


def start_page_sent(*, consultant: Consultant) -> PagedRows:
    """The start page's "Skickade förfrågningar", as plain values."""
    qs = firm_sent_requests(consultant=consultant)
    return PagedRows(sent_request_values(qs), counted=qs, finish=sent_request_display)


def sent_request_row(*, consultant: Consultant, request_id: int) -> dict[str, Any]:
    """One row of `firm_sent_requests` (after "Påminn nu" with HTMX), else 404."""
    rows = list(
        sent_request_values(firm_sent_requests(consultant=consultant).filter(pk=request_id))
    )
    if not rows:
        raise Http404("No such request")
    sent_request_display(rows)
    return rows[0]


def request_for_sender(*, consultant: Consultant, request_id: int) -> CollaborationRequest:
    """A request of the consultant's firm that the consultant sees on the
    start page (any status: the service says what can be done), else 404."""
    request = request_for_firm(consultant=consultant, request_id=request_id)
    if not consultant.sees_all_clients and consultant.user_id not in (
        request.requested_by_id,
        request.responsible_consultant.user_id,
    ):
        raise Http404("No such request")
    return request


# --- Join offers ------------------------------------------------------------------------------


def _open_links(offers: list[JoinOffer]) -> dict[int, datetime]:
    """Offer id → the expiry of the open invitation link issued with it
    (the rule of `offer_link`), for accounts still without a password."""
    rows = list(
        Invitation.objects.filter(
            user_id__in=[o.user_id for o in offers if not o.user.has_usable_password()],
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
        ).values_list("user_id", "firm_id", "subscription_id", "expires_at")
    )
    links = {}
    for offer in offers:
        for user_id, firm_id, subscription_id, expires_at in rows:
            same_target = (
                subscription_id == offer.subscription_id
                if offer.kind == JoinOffer.Kind.CLIENT_USER
                else (firm_id == offer.firm_id and subscription_id is None)
            )
            if user_id == offer.user_id and same_target:
                links[offer.pk] = expires_at
    return links


@dataclass(frozen=True)
class _Sent:
    pk: int
    sent_at: datetime
    expires_at: datetime | None
    email: str


def _states(kind: Reminder.Kind, items: list[_Sent]) -> dict[int, SentState]:
    """The state of each item sent to one address: two queries, however many."""
    now = timezone.now()
    today = f"now:{today_in_stockholm()}"
    reminders: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for item_id, round_, step in Reminder.objects.filter(
        kind=kind, item_id__in=[item.pk for item in items]
    ).values_list("item_id", "round", "step"):
        reminders[item_id].append((round_, step))
    bounced = addresses_bounced(
        addresses=[item.email for item in items],
        since=min((item.sent_at for item in items), default=now),
    )
    states = {}
    for item in items:
        bounced_at = bounced.get(item.email.lower())
        this_round = [step for round_, step in reminders[item.pk] if round_ >= item.sent_at]
        states[item.pk] = SentState(
            sent_at=item.sent_at,
            reminded=len(this_round),
            reminded_today=today in this_round,
            expires_at=item.expires_at,
            expired=item.expires_at is not None and item.expires_at <= now,
            bounced=(item.email,) if bounced_at and bounced_at >= item.sent_at else (),
        )
    return states


def offer_states(*, offers: list[JoinOffer]) -> dict[int, SentState]:
    """The state of each of these pending offers (`user` selected): its
    reminders, its invitation link's expiry (an account without password),
    and whether its address bounced since it was sent. Three queries,
    however many offers."""
    links = _open_links(offers)
    return _states(
        Reminder.Kind.OFFER,
        [_Sent(o.pk, o.sent_at, links.get(o.pk), o.user.email) for o in offers],
    )


def offers_with_states(*, offers: list[JoinOffer]) -> list[tuple[JoinOffer, SentState]]:
    states = offer_states(offers=offers) if offers else {}
    return [(offer, states[offer.pk]) for offer in offers]


def welcome_states(*, couplings: list[Coupling]) -> list[tuple[Coupling, SentState | None]]:
    """Collaborations awaiting the customer (each with `customer_acceptance`
    and its `contact` selected), each with the state of its welcome link
    (None without one). Two queries, however many."""
    acceptances = {
        coupling.pk: acceptance
        for coupling in couplings
        if (acceptance := getattr(coupling, "customer_acceptance", None)) is not None
    }
    states = _states(
        Reminder.Kind.WELCOME,
        [_Sent(a.pk, a.sent_at, a.expires_at, a.contact.email) for a in acceptances.values()],
    )
    return [
        (coupling, states[acceptances[coupling.pk].pk] if coupling.pk in acceptances else None)
        for coupling in couplings
    ]
