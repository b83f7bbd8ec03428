"""User-scoped reads for requests, couplings and to-do cards."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Now
from django.http import Http404

from clients.models import Membership, Subscription
from clients.selectors import record_denied, subscriptions_administered_by
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import ClientAssignment, Consultant, User

LIVE_COUPLING_STATUSES = (Coupling.Status.ACTIVE, Coupling.Status.SCHEDULED)


def _pending_requests() -> QuerySet[CollaborationRequest]:
    return (
        # Past their expiry they are gone for everyone, even before the hourly
        # task marks them expired.
        CollaborationRequest.objects.filter(
            status=CollaborationRequest.Status.PENDING, expires_at__gt=Now()
        )
        .select_related("firm", "responsible_consultant__user", "requested_by")
        .order_by("created_at")
    )


def sysadmin_overview(*, user: User) -> list[Subscription]:
    """Subscriptions the user administers, each with `pending` (its to-do
    cards: pending requests) prefetched. Three queries in all."""
    return list(
        subscriptions_administered_by(user=user).prefetch_related(
            Prefetch("collaboration_requests", queryset=_pending_requests(), to_attr="pending")
        )
    )


def pending_requests_for_subscription(*, subscription: Subscription) -> list[CollaborationRequest]:
    return list(_pending_requests().filter(subscription=subscription))


def live_couplings_for_subscription(*, subscription: Subscription) -> list[Coupling]:
    return list(
        Coupling.objects.filter(subscription=subscription, status__in=LIVE_COUPLING_STATUSES)
        .select_related("firm", "responsible_consultant__user")
        .order_by("status", "firm__name")
    )


def request_for_sysadmin(*, subscription: Subscription, request_id: int) -> CollaborationRequest:
    """A request to `subscription` (already fetched through
    `subscription_for_sysadmin`), in any status, else 404."""
    found = (
        CollaborationRequest.objects.filter(pk=request_id, subscription=subscription)
        .select_related("firm", "decided_by", "responsible_consultant__user")
        .first()
    )
    if found is None:
        raise Http404("No such request")
    return found


def request_for_firm(*, consultant: Consultant, request_id: int) -> CollaborationRequest:
    found = CollaborationRequest.objects.filter(pk=request_id, firm_id=consultant.firm_id).first()
    if found is None:
        another_firms = (
            CollaborationRequest.objects.filter(pk=request_id)
            .values_list("subscription__number", flat=True)
            .first()
        )
        if another_firms is not None:
            record_denied(
                user=consultant.user,
                subscription_number=another_firms,
                what="collaboration_request",
                request_id=request_id,
            )
        raise Http404("No such request")
    return found


def firm_pending_requests(*, consultant: Consultant) -> QuerySet[CollaborationRequest]:
    """Requests the firm has waiting (oldest first, for paging); admins see
    all, others those they sent or are responsible for."""
    qs = (
        _pending_requests()
        .filter(firm_id=consultant.firm_id)
        .select_related("subscription__client")
    )
    if not consultant.sees_all_clients:
        qs = qs.filter(requested_by_id=consultant.user_id) | qs.filter(
            responsible_consultant=consultant
        )
    return qs


def consultant_clients(
    *, consultant: Consultant, statuses: tuple[str, ...] = LIVE_COUPLING_STATUSES
) -> QuerySet[Coupling]:
    """The firm's live couplings the consultant works with: all of them for
    firm admins and client-manager program admins, otherwise those assigned
    to the consultant. "Samarbeten" also asks for the ones awaiting the
    customer (`statuses`)."""
    qs = (
        Coupling.objects.filter(firm_id=consultant.firm_id, status__in=statuses)
        .select_related("subscription__client", "responsible_consultant__user")
        .order_by("subscription__client__name", "subscription__number")
    )
    if not consultant.sees_all_clients:
        qs = qs.filter(
            Exists(
                ClientAssignment.objects.filter(
                    subscription_id=OuterRef("subscription_id"), consultant=consultant
                )
            )
        )
    return qs


def client_for_consultant(*, consultant: Consultant, number: int) -> Coupling:
    """One client (the firm's live coupling to subscription `number`) the
    consultant may see, else 404."""
    coupling = consultant_clients(consultant=consultant).filter(subscription__number=number).first()
    if coupling is None:
        record_denied(user=consultant.user, subscription_number=number, what="client")
        raise Http404("No such client")
    return coupling


SORTS = {
    "namn": ("subscription__client__name", "subscription__number"),
    "-namn": ("-subscription__client__name", "-subscription__number"),
    "orgnr": ("subscription__client__org_number", "subscription__number"),
    "abonnemang": ("subscription__number",),
}


@dataclass(frozen=True)
class ClientFilter:
    query: str = ""
    consultant_id: int | None = None
    status: str = ""
    missing_client_users: bool = False
    sort: str = "namn"


def _subscriptions_matching(query: str) -> QuerySet[Subscription, Any]:
    """Subscriptions whose client name contains `query`, or whose client's
    organisationsnummer or own number it gives, as a UNION of one subquery per
    condition: each uses its own index (pg_trgm on the name, a prefix index on
    the organisationsnummer, the number's unique index), where one OR over the
    joined tables would read every client and subscription."""
    by_name = Subscription.objects.filter(client__name__icontains=query).values("pk")
    digits = "".join(ch for ch in query if ch.isdigit())
    if not digits:
        return by_name
    others = [
        Subscription.objects.filter(client__org_number__startswith=query).values("pk"),
        Subscription.objects.filter(number=int(digits[:18])).values("pk"),
    ]
    if len(digits) == 10:
        org_number = f"{digits[:6]}-{digits[6:]}"
        others.append(Subscription.objects.filter(client__org_number=org_number).values("pk"))
    return by_name.union(*others)


def client_list(*, consultant: Consultant, filters: ClientFilter) -> QuerySet[Coupling]:
    """ "Hantera klienter" with "Utökad sökning": a constant number of queries
    per page (rows, assigned consultants) whatever the firm's size."""
    qs = consultant_clients(consultant=consultant)
    query = filters.query.strip()
    if query:
        qs = qs.filter(subscription_id__in=_subscriptions_matching(query))
    if filters.consultant_id:
        qs = qs.filter(
            Exists(
                ClientAssignment.objects.filter(
                    subscription_id=OuterRef("subscription_id"),
                    consultant_id=filters.consultant_id,
                    consultant__firm_id=consultant.firm_id,
                )
            )
        )
    if filters.status in LIVE_COUPLING_STATUSES:
        qs = qs.filter(status=filters.status)
    if filters.missing_client_users:
        qs = qs.exclude(
            Exists(
                Membership.objects.filter(
                    subscription_id=OuterRef("subscription_id"), consultant__isnull=True
                )
            )
        )
    # The list shows no responsible consultant: leave out that join.
    qs = qs.select_related(None).select_related("subscription__client")
    return qs.order_by(*SORTS.get(filters.sort, SORTS["namn"]))


def assigned_consultant_names(*, firm_id: int, couplings: list[Coupling]) -> None:
    """Set `consultant_names` on each coupling of a page of the client list:
    the firm's consultants assigned to its subscription, by name, in one query
    of plain values (no model instances)."""
    names: dict[int, list[str]] = {c.subscription_id: [] for c in couplings}
    rows = (
        ClientAssignment.objects.filter(
            consultant__firm_id=firm_id, subscription_id__in=list(names)
        )
        .order_by("consultant__user__full_name")
        .values_list("subscription_id", "consultant__user__full_name")
    )
    for subscription_id, name in rows:
        names[subscription_id].append(name)
    for coupling in couplings:
        coupling.consultant_names = names[coupling.subscription_id]  # type: ignore[attr-defined]
