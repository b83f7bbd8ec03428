"""User-scoped reads for requests, couplings and to-do cards."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import Membership, ProgramLevel, Subscription, subscriptions_matching
from clients.selectors import record_denied
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import ClientAssignment, Consultant, User


def _pending_requests(
    related: tuple[str, ...] = ("firm", "responsible_consultant__user", "requested_by"),
) -> QuerySet[CollaborationRequest]:
    """Pending requests, oldest first, with `related` joined in (only what
    the page shows: every join costs the planner and the ORM)."""
    # Past their expiry they are gone for everyone, even before the hourly
    # task marks them expired.
    qs = CollaborationRequest.objects.filter(
        status=CollaborationRequest.Status.PENDING, expires_at__gt=Now()
    ).order_by("created_at")
    return qs.select_related(*related) if related else qs


@dataclass
class StartPageAccess:
    # Each with `pending`, its to-do cards: pending requests as plain values
    # (`firm_name`, `responsible_name`), oldest first.
    administered: list[Subscription]
    memberships: list[Membership]  # plain client memberships, with their levels


def start_page_access(*, user: User) -> StartPageAccess:
    """The start page's subscriptions the user administers (the rules of
    `subscriptions_administered_by`: a live sysadmin membership, the
    subscription not ended), each with `pending` (its to-do cards), and the
    user's live memberships as a plain member (not sysadmin, not as a
    consultant), each with its program levels prefetched.

    Both lists come from one query of the user's live memberships: the
    EXISTS nested in an EXISTS of `subscriptions_administered_by` and a
    second memberships query took twice as long to build and compile (the
    bench reports have the figures). The cards and levels are fetched only when
    there is something to fetch them for: one query for most users, at most
    three."""
    rows = list(
        Membership.objects.live()
        .filter(
            (Q(is_sysadmin=True) & ~Q(subscription__status=Subscription.Status.ENDED))
            | Q(is_sysadmin=False, consultant__isnull=True),
            user=user,
        )
        .select_related("subscription__client")
        .order_by("subscription__client__name", "subscription__number")
    )
    # At most one membership per user and subscription (a unique constraint).
    administered = [m.subscription for m in rows if m.is_sysadmin]
    memberships = [m for m in rows if not m.is_sysadmin]
    if administered:
        cards: dict[int, list[Any]] = {s.pk: [] for s in administered}
        for card in (
            _pending_requests(related=())
            .filter(subscription_id__in=list(cards))
            .values(
                "subscription_id",
                firm_name=F("firm__name"),
                responsible_name=F("responsible_consultant__user__full_name"),
            )
        ):
            cards[card["subscription_id"]].append(card)
        for subscription in administered:
            subscription.pending = cards[subscription.pk]  # type: ignore[attr-defined]
    prefetch_related_objects(
        memberships, Prefetch("levels", queryset=ProgramLevel.objects.select_related("program"))
    )
    return StartPageAccess(administered=administered, memberships=memberships)


def pending_requests_for_subscription(*, subscription: Subscription) -> list[CollaborationRequest]:
    return list(_pending_requests().filter(subscription=subscription))


def live_couplings_for_subscription(*, subscription: Subscription) -> list[Coupling]:
    return list(
        Coupling.objects.agreed()
        .filter(subscription=subscription)
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


def request_with_details(*, request_id: int) -> CollaborationRequest:
    """A request already fetched through `request_for_firm`, with what its
    confirmation page shows."""
    return CollaborationRequest.objects.select_related(
        "subscription__client", "responsible_consultant__user"
    ).get(pk=request_id)


def firm_pending_requests(*, consultant: Consultant) -> QuerySet[CollaborationRequest]:
    """Requests the firm has waiting (oldest first, for paging); admins see
    all, others those they sent or are responsible for."""
    qs = _pending_requests(related=()).filter(firm_id=consultant.firm_id)
    if not consultant.sees_all_clients:
        qs = qs.filter(requested_by_id=consultant.user_id) | qs.filter(
            responsible_consultant=consultant
        )
    return qs


class PagedRows:
    """A list for a Paginator, shown as plain values: the page's rows come
    from `rows`, a `.values()` queryset (no model instances to build, and
    plain dict lookups in the template), with `finish` (if given) adding
    their display values; the count comes from `counted`, the same queryset without the
    joins only the values need (a count keeps the joins of `.values()`,
    where it leaves out those of `select_related`)."""

    ordered = True  # both querysets are ordered; the Paginator checks

    def __init__(
        self,
        rows: QuerySet[Any, Any],
        *,
        counted: QuerySet[Any],
        finish: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.rows = rows
        self.counted = counted
        self.finish = finish

    def count(self) -> int:
        return self.counted.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        page = list(self.rows[index])
        if self.finish is not None:
            self.finish(page)
        return page

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[:])


_COUPLING_STATUS_LABELS = dict(Coupling.Status.choices)


def _coupling_display(rows: list[dict[str, Any]]) -> None:
    """`status_text` on each row: what `get_status_display` says, and for a
    scheduled coupling "från <starts_on, Y-m-d>" after it (each text
    translated once a page, not once a row)."""
    labels: dict[str, str] = {}
    starting = gettext("från %(date)s")
    for row in rows:
        status = row["status"]
        if status not in labels:
            labels[status] = str(_COUPLING_STATUS_LABELS.get(status, status))
        text = labels[status]
        if status == Coupling.Status.SCHEDULED:
            text += " " + starting % {"date": row["starts_on"].isoformat()}
        row["status_text"] = text


def start_page_clients(*, consultant: Consultant) -> PagedRows:
    """The start page's table of `consultant_clients`, as plain values."""
    qs = consultant_clients(consultant=consultant).select_related(None)
    return PagedRows(
        qs.values(
            "status",
            "starts_on",
            number=F("subscription__number"),
            client_name=F("subscription__client__name"),
            org_number=F("subscription__client__org_number"),
            responsible_name=F("responsible_consultant__user__full_name"),
        ),
        counted=qs,
        finish=_coupling_display,
    )


def _pending_display(rows: list[dict[str, Any]]) -> None:
    """`start_date_text` and `created_on` ("Y-m-d", the latter in the current
    time zone, as the template's `date` filter shows it) on each row."""
    for row in rows:
        row["start_date_text"] = row["start_date"].isoformat() if row["start_date"] else ""
        row["created_on"] = timezone.localtime(row["created_at"]).date().isoformat()


def start_page_pending(*, consultant: Consultant) -> PagedRows:
    """The start page's table of `firm_pending_requests`, as plain values."""
    qs = firm_pending_requests(consultant=consultant)
    return PagedRows(
        qs.values(
            "pk",
            "start_date",
            "created_at",
            number=F("subscription__number"),
            client_name=F("subscription__client__name"),
            responsible_name=F("responsible_consultant__user__full_name"),
        ),
        counted=qs,
        finish=_pending_display,
    )


def consultant_clients(
    *, consultant: Consultant, statuses: Sequence[str] = Coupling.AGREED_STATUSES
) -> QuerySet[Coupling]:
    """The firm's agreed couplings to the clients the consultant sees
    (`Coupling.objects.visible_to`). "Samarbeten" also asks for the ones
    awaiting the customer (`statuses`)."""
    return (
        Coupling.objects.visible_to(consultant)
        .filter(status__in=statuses)
        .select_related("subscription__client", "responsible_consultant__user")
        .order_by("subscription__client__name", "subscription__number")
    )


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


def client_list(*, consultant: Consultant, filters: ClientFilter) -> PagedRows:
    """ "Hantera klienter" with "Utökad sökning", as plain values: a constant
    number of queries per page (count, rows, assigned consultants) whatever
    the firm's size. Each row has the client's `client_name`, `org_number`
    and subscription `number`, the coupling's `status` (and `status_text`,
    see `_coupling_display`) and `consultant_names` (see
    `assigned_consultant_names`)."""
    qs = consultant_clients(consultant=consultant)
    query = filters.query.strip()
    if query:
        qs = qs.filter(subscription_id__in=subscriptions_matching(query))
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
    if filters.status in Coupling.AGREED_STATUSES:
        qs = qs.filter(status=filters.status)
    if filters.missing_client_users:
        qs = qs.exclude(
            Exists(
                Membership.objects.filter(
                    subscription_id=OuterRef("subscription_id"), consultant__isnull=True
                )
            )
        )
    qs = qs.select_related(None).order_by(*SORTS.get(filters.sort, SORTS["namn"]))

    def finish(rows: list[dict[str, Any]]) -> None:
        _coupling_display(rows)
        assigned_consultant_names(firm_id=consultant.firm_id, rows=rows)

    return PagedRows(
        qs.values(
            "subscription_id",
            "status",
            "starts_on",
            number=F("subscription__number"),
            client_name=F("subscription__client__name"),
            org_number=F("subscription__client__org_number"),
        ),
        counted=qs,
        finish=finish,
    )


def assigned_consultant_names(*, firm_id: int, rows: list[dict[str, Any]]) -> None:
    """Set `consultant_names` on each row of a page of the client list: the
    firm's consultants assigned to its subscription, by name, joined with
    ", " ("" for none), in one query of plain values."""
    names: dict[int, list[str]] = {row["subscription_id"]: [] for row in rows}
    assigned = (
        ClientAssignment.objects.filter(
            consultant__firm_id=firm_id, subscription_id__in=list(names)
        )
        .order_by("consultant__user__full_name")
        .values_list("subscription_id", "consultant__user__full_name")
    )
    for subscription_id, name in assigned:
        names[subscription_id].append(name)
    for row in rows:
        row["consultant_names"] = ", ".join(names[row["subscription_id"]])
