"""User-scoped reads of "Åtkomstgranskning": a firm's reviews for its admins
and named reviewers, a subscription's for its sysadmins, the rows as pages
of plain values (constant queries whatever the review's size), progress,
the to-do cards of requested changes and the overdue reviews of the start
page. Fetching is checking: anything else is a 404, and the attempt is
counted in the ledger."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from clients.models import Level, Program, Subscription, subscription_matching_q
from clients.selectors import record_denied
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewRow,
    Decision,
    NamedReviewer,
    Outcome,
    RemovalRequest,
)
from collaboration.access_review.report import levels_text
from firm_portal.models import Consultant, User
from firm_portal.paging import PagedRows
from firm_portal.timeutils import today_in_stockholm


def _denied(*, user: User, review_id: int, subscription_number: int | None = None) -> Http404:
    if AccessReview.objects.filter(pk=review_id).exists():
        record_denied(
            user=user,
            subscription_number=subscription_number,
            what="access_review",
            review_id=review_id,
        )
    return Http404("No such review")


def firm_review(*, actor: Consultant, review_id: int) -> AccessReview:
    """One of the actor's firm's reviews, for its admins and for the
    consultants named as reviewers in it (403 for the firm's others)."""
    review = (
        AccessReview.objects.filter(pk=review_id, firm_id=actor.firm_id)
        .select_related("started_by", "completed_by")
        .first()
    )
    if review is None:
        raise _denied(user=actor.user, review_id=review_id)
    if not actor.is_firm_admin and not reviewer_rows(review=review, actor=actor).exists():
        raise PermissionDenied
    return review


def reviewer_rows(*, review: AccessReview, actor: Consultant) -> QuerySet[AccessReviewRow]:
    """The rows the actor decides: all of them for a firm admin, otherwise
    those of the consultants they are named reviewer of."""
    rows = AccessReviewRow.objects.filter(review=review)
    return rows if actor.is_firm_admin else rows.filter(reviewer=actor)


def review_row(*, rows: QuerySet[AccessReviewRow], row_id: int) -> AccessReviewRow:
    row = rows.filter(pk=row_id).select_related("consultant__user", "subscription__client").first()
    if row is None:
        raise Http404("No such row")
    return row


def firm_reviews(*, actor: Consultant, limit: int = 50) -> list[AccessReview]:
    reviews = AccessReview.objects.filter(firm_id=actor.firm_id)
    if not actor.is_firm_admin:
        reviews = reviews.filter(rows__reviewer=actor).distinct()
    return list(
        reviews.select_related("started_by", "completed_by").order_by("-started_at")[:limit]
    )


def subscription_reviews(*, subscription: Subscription, limit: int = 50) -> list[AccessReview]:
    return list(
        AccessReview.objects.filter(subscription=subscription)
        .select_related("started_by", "completed_by")
        .order_by("-started_at")[:limit]
    )


def subscription_review(*, user: User, subscription: Subscription, review_id: int) -> AccessReview:
    review = (
        AccessReview.objects.filter(pk=review_id, subscription=subscription)
        .select_related("started_by", "completed_by", "subscription__client")
        .first()
    )
    if review is None:
        raise _denied(
            user=user,
            review_id=review_id,
            subscription_number=subscription.number,
        )
    return review


@dataclass(frozen=True)
class Progress:
    total: int
    decided: int

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def progress(*, rows: QuerySet[AccessReviewRow]) -> Progress:
    counts = rows.aggregate(total=Count("pk"), decided=Count("pk", filter=~Q(decision="")))
    return Progress(total=counts["total"], decided=counts["decided"])


ROW_FIELDS = (
    "pk",
    "consultant_id",
    "subscription_id",
    "levels",
    "is_sysadmin",
    "ends_on",
    "suspended",
    "granted_at",
    "granted_by",
    "last_login",
    "decision",
    "restrict_levels",
    "restrict_ends_on",
    "outcome",
    "outcome_detail",
)


def rows_filtered(
    *, rows: QuerySet[AccessReviewRow], filters: dict[str, Any] | None
) -> QuerySet[AccessReviewRow]:
    """The rows a page's filters leave (refused filters: none)."""
    if filters is None:
        return rows.none()
    if filters.get("konsult"):
        rows = rows.filter(consultant_id=filters["konsult"])
    if filters.get("q"):
        rows = rows.filter(subscription_matching_q(filters["q"].strip(), "subscription__"))
    if filters.get("visa") == "obeslutade":
        rows = rows.filter(decision="")
    elif filters.get("visa") == "beslutade":
        rows = rows.exclude(decision="")
    return rows


def rows_page(*, rows: QuerySet[AccessReviewRow]) -> PagedRows:
    """Rows as plain values for a Paginator: the count, one page and the
    program names, three queries whatever the review's size."""
    # The rows were written in the order of consultant and client names
    # (`_rows_create`): by pk is that order, without sorting the review's
    # joined names for every page (2.3 s for a page of a 30,000-row review).
    ordered = rows.order_by("pk")
    return PagedRows(
        ordered.values(
            *ROW_FIELDS,
            consultant_name=F("consultant__user__full_name"),
            firm_name=F("firm__name"),
            client_name=F("subscription__client__name"),
            org_number=F("subscription__client__org_number"),
            number=F("subscription__number"),
        ),
        counted=rows,
        finish=_row_display,
    )


def _row_display(page: list[dict[str, Any]]) -> None:
    if not page:
        return
    programs = dict(Program.objects.values_list("code", "name"))
    decisions = dict(Decision.choices)
    outcomes = dict(Outcome.choices)
    for row in page:
        row["levels_text"] = levels_text(row["levels"], programs)
        row["restrict_text"] = (
            levels_text(row["restrict_levels"], programs) if row["restrict_levels"] else ""
        )
        row["decision_text"] = str(decisions.get(row["decision"], ""))
        row["outcome_text"] = str(outcomes.get(row["outcome"], "")) if row["outcome"] else ""


def review_consultants(*, rows: QuerySet[AccessReviewRow]) -> list[tuple[int, str]]:
    """(consultant id, name) of the consultants with rows: the "Konsult"
    filter and the bulk actions (at most the firm's consultants)."""
    return list(
        rows.order_by("consultant__user__full_name", "consultant_id")
        .values_list("consultant_id", "consultant__user__full_name")
        .distinct()
    )


def named_reviewers(*, firm_id: int) -> list[dict[str, Any]]:
    return [
        dict(entry)
        for entry in NamedReviewer.objects.filter(consultant__firm_id=firm_id)
        .order_by("consultant__user__full_name")
        .values(
            consultant_name=F("consultant__user__full_name"),
            reviewer_name=F("reviewer__user__full_name"),
        )
    ]


def restrict_choices(row: AccessReviewRow) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """For "Begränsa": (program code, name, lower choices) of each program
    the row has a level on, the current level first."""
    programs = dict(Program.objects.filter(code__in=row.levels).values_list("code", "name"))
    order = list(Level.values)
    labels = dict(Level.choices)
    result = []
    for code, level in sorted(row.levels.items(), key=lambda item: programs.get(item[0], "")):
        lower = order[: order.index(level) + 1] if level in order else []
        choices = [(value, str(labels[value])) for value in reversed(lower)]
        result.append((code, programs.get(code, code), [*choices, ("", "–")]))
    return result


def removal_cards(*, user: User, subscription_ids: list[int]) -> list[dict[str, Any]]:
    """The start page's to-do cards: the pending changes firms asked of the
    subscriptions the user administers (ids from `start_page_access`)."""
    if not subscription_ids:
        return []
    cards: list[dict[str, Any]] = [
        dict(card)
        for card in RemovalRequest.objects.filter(
            status=RemovalRequest.Status.PENDING, subscription_id__in=subscription_ids
        )
        .order_by("created_at", "pk")
        .values(
            "pk",
            "decision",
            "levels",
            "ends_on",
            firm_name=F("firm__name"),
            person=F("user__full_name"),
            client_name=F("subscription__client__name"),
            number=F("subscription__number"),
        )
    ]
    # Program names only when a card restricts levels (most start pages have none).
    programs = (
        dict(Program.objects.values_list("code", "name")) if any(c["levels"] for c in cards) else {}
    )
    for card in cards:
        card["levels_text"] = levels_text(card["levels"], programs) if card["levels"] else ""
    return cards


def removal_for_sysadmin(
    *, subscription: Subscription, removal_id: int, user: User
) -> RemovalRequest:
    removal = RemovalRequest.objects.filter(
        pk=removal_id, subscription=subscription, status=RemovalRequest.Status.PENDING
    ).first()
    if removal is None:
        if RemovalRequest.objects.filter(pk=removal_id).exclude(subscription=subscription).exists():
            record_denied(
                user=user,
                subscription_number=subscription.number,
                what="access_review_request",
                removal_id=removal_id,
            )
        raise Http404("No such request")
    return removal


def overdue_reviews(*, consultant: Consultant) -> list[AccessReview]:
    """The firm's open reviews past their due date, for its admins' start page."""
    if not consultant.is_firm_admin:
        return []
    return list(
        AccessReview.objects.open()
        .filter(firm_id=consultant.firm_id, due_on__lt=today_in_stockholm())
        .order_by("due_on")
    )
