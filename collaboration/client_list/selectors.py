"""User-scoped reads for the firm's client list ("Hantera klienter", the
start page's client table): the couplings a consultant sees, one client, and
the filtered, sorted list with its assigned consultants."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from clients.models import ClientAssignment, Membership, subscription_matching_q
from clients.selectors import record_denied
from collaboration.models import Coupling
from firm_portal.models import Consultant
from firm_portal.paging import PagedRows

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


# The most clients a search counts ("Fler än 1 000 klienter" beyond it).
SEARCH_COUNT_CAP = 1_000

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
    `assigned_consultant_names`). A search's count stops past
    `SEARCH_COUNT_CAP`."""
    qs = consultant_clients(consultant=consultant)
    query = filters.query.strip()
    if query:
        qs = qs.filter(subscription_matching_q(query, "subscription__"))
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
        # A search or "saknar klientanvändare" over a large firm is counted
        # only so far: the count would otherwise read every match.
        cap=SEARCH_COUNT_CAP if query or filters.missing_client_users else None,
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
