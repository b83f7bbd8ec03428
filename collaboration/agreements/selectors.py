"""User-scoped reads for Flow 10: the firm's agreements, its clients'
status per kind ("Saknas", "Bekräftat 2026-12-01, v3", "Ny version finns"),
the client's open asks and confirmations, and one document or confirmation
for whoever may see it (else 404, and the denial is recorded)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Subscription
from clients.selectors import record_denied, subscriptions_administered_by
from collaboration.agreements.models import (
    AgreementConfirmation,
    AgreementDocument,
    AgreementKind,
)
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import Consultant, User
from firm_portal.selectors import consultant_for_user


def current_documents(*, firm_id: int) -> QuerySet[AgreementDocument]:
    """The firm's current agreements: the newest version of each kind."""
    newest = (
        AgreementDocument.objects.filter(firm_id=OuterRef("firm_id"), kind=OuterRef("kind"))
        .order_by("-version")
        .values("version")[:1]
    )
    return AgreementDocument.objects.filter(firm_id=firm_id, version=Subquery(newest)).order_by(
        "kind"
    )


def firm_documents(*, consultant: Consultant) -> list[AgreementDocument]:
    """Every version of the firm's agreements, newest first per kind, each
    with `confirmed` (how many confirmations it has)."""
    return list(
        AgreementDocument.objects.filter(firm_id=consultant.firm_id)
        .select_related("uploaded_by")
        .annotate(
            confirmed=Count(
                "confirmations",
                filter=Q(confirmations__status=AgreementConfirmation.Status.CONFIRMED),
            )
        )
        .order_by("kind", "-version")
    )


def document_for_consultant(*, consultant: Consultant, document_id: int) -> AgreementDocument:
    """One of the consultant's own firm's agreements, else 404."""
    document = AgreementDocument.objects.filter(pk=document_id, firm_id=consultant.firm_id).first()
    if document is None:
        if AgreementDocument.objects.filter(pk=document_id).exists():
            record_denied(user=consultant.user, what="agreement_document", document=document_id)
        raise Http404("No such agreement")
    return document


def _confirmations_for_user(user: User) -> "QuerySet[AgreementConfirmation]":
    """Either side: the client's live sysadmins, and the firm's consultants
    who see the client (`Coupling.objects.visible_to`)."""
    reach = Q(subscription__in=subscriptions_administered_by(user=user).values("pk"))
    consultant = consultant_for_user(user=user)
    if consultant is not None:
        seen = Coupling.objects.visible_to(consultant).values("subscription_id")
        reach |= Q(firm_id=consultant.firm_id, subscription__in=seen)
    return AgreementConfirmation.objects.filter(reach)


def confirmation_for_user(
    *, user: User, confirmation_id: int, confirmed: bool = False
) -> AgreementConfirmation:
    """One confirmation (or open ask) for either side, else 404; with
    `confirmed`, only a confirmed one (the certificate)."""
    qs = _confirmations_for_user(user).select_related(
        "firm", "subscription__client", "document", "requested_by"
    )
    if confirmed:
        qs = qs.filter(status=AgreementConfirmation.Status.CONFIRMED)
    confirmation = qs.filter(pk=confirmation_id).first()
    if confirmation is None:
        number = (
            AgreementConfirmation.objects.filter(pk=confirmation_id)
            .values_list("subscription__number", flat=True)
            .first()
        )
        if number is not None:
            record_denied(
                user=user,
                subscription_number=number,
                what="agreement_confirmation",
                confirmation=confirmation_id,
            )
        raise Http404("No such agreement confirmation")
    return confirmation


def open_asks_for_subscription(*, subscription: Subscription) -> list[AgreementConfirmation]:
    """The to-do card's asks (not those carried by a request: they are
    confirmed with "Jag godkänner")."""
    return list(
        AgreementConfirmation.objects.open()
        .filter(subscription=subscription, request__isnull=True)
        .select_related("firm", "requested_by")
        .order_by("firm__name", "kind", "pk")
    )


def confirmed_for_subscription(*, subscription: Subscription) -> list[AgreementConfirmation]:
    return list(
        AgreementConfirmation.objects.confirmed()
        .filter(subscription=subscription)
        .select_related("firm")
        .order_by("firm__name", "kind", "-version")
    )


def request_agreements_prefetch(*, requests: list[CollaborationRequest]) -> None:
    """Each pending request's agreements, as `request.agreements` (a prefetch
    of one query for all of them), with only the fields its boxes show."""
    prefetch_related_objects(
        requests,
        Prefetch(
            "agreement_confirmations",
            queryset=AgreementConfirmation.objects.filter(
                status=AgreementConfirmation.Status.PENDING
            )
            .only("request_id", "kind", "title", "version")
            .order_by("kind", "pk"),
            to_attr="agreements",
        ),
    )


def agreement_cards(*, subscription_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The start page's to-do cards: per subscription, one per firm that
    asks for agreements to be confirmed (`firm_name`, `count`)."""
    cards: dict[int, list[dict[str, Any]]] = {pk: [] for pk in subscription_ids}
    rows = (
        AgreementConfirmation.objects.open()
        .filter(subscription_id__in=subscription_ids, request__isnull=True)
        .values("subscription_id", "firm__name")
        .annotate(count=Count("pk"))
        .order_by("subscription_id", "firm__name")
    )
    for row in rows:
        cards[row["subscription_id"]].append(
            {"firm_name": row["firm__name"], "count": row["count"]}
        )
    return cards


# --- The firm's clients and their agreements -------------------------------


def _latest_confirmed(kind: str, field: str) -> Subquery:
    return Subquery(
        AgreementConfirmation.objects.confirmed()
        .filter(firm_id=OuterRef("firm_id"), subscription_id=OuterRef("subscription_id"), kind=kind)
        .order_by("-version", "-confirmed_at")
        .values(field)[:1]
    )


def client_agreement_rows(
    *, consultant: Consultant, current: dict[str, int], missing_only: bool
) -> "QuerySet[Coupling, dict[str, Any]]":
    """The firm's agreed couplings the consultant sees, as values: the
    client, and per kind the newest confirmed version, its date, and whether
    an ask is open. `missing_only`: those lacking a kind's current version.
    Constant queries however many clients (paged by the caller)."""
    annotations: dict[str, Any] = {}
    for kind in AgreementKind.values:
        annotations[f"{kind}_version"] = _latest_confirmed(kind, "version")
        annotations[f"{kind}_at"] = _latest_confirmed(kind, "confirmed_at")
        annotations[f"{kind}_id"] = _latest_confirmed(kind, "pk")
        annotations[f"{kind}_open"] = Exists(
            AgreementConfirmation.objects.open().filter(
                firm_id=OuterRef("firm_id"),
                subscription_id=OuterRef("subscription_id"),
                kind=kind,
            )
        )
    qs = (
        Coupling.objects.agreed()
        .visible_to(consultant)
        .annotate(**annotations)
        .values(
            "subscription__number",
            "subscription__client__name",
            "subscription__client__org_number",
            *annotations,
        )
        .order_by("subscription__client__name", "subscription__number")
    )
    if missing_only and current:
        lacking = Q()
        for kind, version in current.items():
            lacking |= Q(**{f"{kind}_version__isnull": True}) | Q(
                **{f"{kind}_version__lt": version}
            )
        qs = qs.filter(lacking)
    return qs


@dataclass(frozen=True)
class StatusCell:
    state: str  # "missing", "pending", "new_version", "confirmed", "none"
    label: str
    detail: str = ""
    confirmation_id: int | None = None  # the newest confirmed: its certificate
    kind_label: str = ""


def status_cell(
    *,
    version: int | None,
    at: datetime | None,
    open_: bool,
    current: int | None,
    confirmation_id: int | None = None,
    kind: str = "",
) -> StatusCell:
    """One client's status for one kind, in the firm's words."""
    cell = _status_cell(version=version, at=at, open_=open_, current=current)
    kind_label = str(AgreementKind(kind).label) if kind else ""
    return StatusCell(cell.state, cell.label, cell.detail, confirmation_id, kind_label)


def _status_cell(
    *, version: int | None, at: datetime | None, open_: bool, current: int | None
) -> StatusCell:
    if current is None:
        return StatusCell("none", "–")
    confirmed = ""
    if version is not None and at is not None:
        confirmed = _("Bekräftat %(date)s, v%(version)s") % {
            "date": timezone.localtime(at).date().isoformat(),
            "version": version,
        }
    if version is not None and version >= current:
        return StatusCell("confirmed", confirmed)
    if open_:
        return StatusCell("pending", _("Väntar på bekräftelse"), confirmed)
    if version is not None:
        return StatusCell("new_version", _("Ny version finns"), confirmed)
    return StatusCell("missing", _("Saknas"))


@dataclass(frozen=True)
class ClientAgreementRow:
    number: int
    client_name: str
    org_number: str
    cells: list[StatusCell]
    complete: bool


def client_agreement_status(
    *, rows: list[dict[str, Any]], current: dict[str, int]
) -> list[ClientAgreementRow]:
    """A page of `client_agreement_rows` for the template, one cell per kind."""
    result = []
    for row in rows:
        cells = [
            status_cell(
                version=row[f"{kind}_version"],
                at=row[f"{kind}_at"],
                open_=row[f"{kind}_open"],
                current=current.get(kind),
                confirmation_id=row[f"{kind}_id"],
                kind=kind,
            )
            for kind in AgreementKind.values
        ]
        result.append(
            ClientAgreementRow(
                number=row["subscription__number"],
                client_name=row["subscription__client__name"],
                org_number=row["subscription__client__org_number"],
                cells=cells,
                complete=all(cell.state in ("confirmed", "none") for cell in cells),
            )
        )
    return result
