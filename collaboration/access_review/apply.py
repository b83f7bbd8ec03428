"""Applying a completed review's decisions (DESIGN.md, flow 9): in bounded
batches, each row in a savepoint of its own, through the clients services
(so the ledger records every change with the review named); requests to the
clients' sysadmins where the firm is no sysadmin; then the report, and the
review completed. Called by the Celery tasks (tasks.py) and, for a
subscription's own review, by `review_complete`."""

from collections.abc import Mapping
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Membership, Program
from clients.services import membership_remove, membership_set_end_date, program_level_set
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewRow,
    Decision,
    Outcome,
    RemovalRequest,
)
from collaboration.access_review.report import report_store
from firm_portal.models import User


def review_detail(review: AccessReview) -> str:
    """What the ledger says about a change made by the review."""
    return _("Åtkomstgranskning %(date)s") % {"date": f"{review.started_at:%Y-%m-%d}"}


@transaction.atomic
def review_apply_batch(*, review_id: int) -> bool:
    """Apply the next ACCESS_REVIEW_BATCH_SIZE decisions of a completed
    firm review, each in a savepoint of its own (a refusal, such as the last
    sysadmin, is recorded on its row, not raised). Returns whether more rows
    may wait (then `review_finish` once none do). Safe to run twice: the
    review is locked and applied rows are skipped."""
    review = (
        AccessReview.objects.select_for_update()
        .filter(pk=review_id, status=AccessReview.Status.APPLYING, firm__isnull=False)
        .first()
    )
    if review is None:
        return False
    batch = settings.ACCESS_REVIEW_BATCH_SIZE
    rows = list(AccessReviewRow.objects.filter(review=review, outcome="").order_by("pk")[:batch])
    if rows:
        _apply_rows(review, rows)
        review.rows_applied = F("rows_applied") + len(rows)
        review.save(update_fields=["rows_applied"])
        review.refresh_from_db(fields=["rows_applied"])
    return len(rows) == batch


@transaction.atomic
def review_finish(*, review_id: int) -> bool:
    """Once every decision of a firm review is applied: the report, and the
    review completed. A task of its own, as rendering the PDF of a large
    firm's review takes longer than a batch. Returns whether it finished."""
    review = (
        AccessReview.objects.select_for_update()
        .filter(pk=review_id, status=AccessReview.Status.APPLYING, firm__isnull=False)
        .first()
    )
    if review is None or AccessReviewRow.objects.filter(review=review, outcome="").exists():
        return False
    review_finish_now(review)
    return True


def _apply_rows(review: AccessReview, rows: list[AccessReviewRow]) -> None:
    changing = [row for row in rows if row.decision != Decision.KEEP]
    subscription_ids = {row.subscription_id for row in changing}
    firm_is_sysadmin = set(
        Membership.objects.sysadmins()
        .filter(consultant__firm_id=review.firm_id or 0, subscription_id__in=subscription_ids)
        .values_list("subscription_id", flat=True)
    )
    memberships = Membership.objects.select_related("user", "consultant", "subscription").in_bulk(
        [row.membership_id for row in changing]
    )
    programs = Program.objects.in_bulk(field_name="code") if changing else {}
    now = timezone.now()
    requests = []
    for row in rows:
        membership = memberships.get(row.membership_id)
        if row.decision == Decision.KEEP:
            row.outcome = Outcome.UNCHANGED
        elif membership is None or membership.subscription_id != row.subscription_id:
            row.outcome = Outcome.GONE
        elif row.subscription_id not in firm_is_sysadmin:
            row.outcome = Outcome.REQUESTED
            requests.append(_request_for(row))
        else:
            _apply_change(review, row, membership, programs)
        row.applied_at = now
    RemovalRequest.objects.bulk_create(requests)
    AccessReviewRow.objects.bulk_update(rows, ["outcome", "outcome_detail", "applied_at"])


def _request_for(row: AccessReviewRow) -> RemovalRequest:
    return RemovalRequest(
        row=row,
        firm_id=row.firm_id,
        subscription_id=row.subscription_id,
        user_id=row.user_id,
        membership_id=row.membership_id,
        decision=row.decision,
        levels=row.restrict_levels,
        ends_on=row.restrict_ends_on,
    )


def _apply_change(
    review: AccessReview,
    row: AccessReviewRow,
    membership: Membership,
    programs: Mapping[str, Program],
) -> None:
    try:
        with transaction.atomic():
            change_apply(
                actor=review.completed_by,
                membership=membership,
                decision=row.decision,
                levels=row.restrict_levels or {},
                ends_on=row.restrict_ends_on,
                programs=programs,
                detail=review_detail(review),
            )
    except ValidationError as error:
        row.outcome = Outcome.FAILED
        row.outcome_detail = " ".join(error.messages)[:300]
    else:
        row.outcome = Outcome.APPLIED


def change_apply(
    *,
    actor: User | None,
    membership: Membership,
    decision: str,
    levels: Mapping[str, str],
    ends_on: date | None,
    programs: Mapping[str, Program],
    detail: str,
) -> None:
    """ "Ta bort" or "Begränsa" through the clients services (the ledger
    records each change)."""
    subscription = membership.subscription
    if decision == Decision.REMOVE:
        membership_remove(
            actor=actor, subscription=subscription, membership=membership, detail=detail
        )
        return
    for code, level in levels.items():
        if code in programs:
            program_level_set(
                actor=actor,  # type: ignore[arg-type]
                subscription=subscription,
                membership=membership,
                program=programs[code],
                level=level,
                detail=detail,
            )
    if ends_on is not None:
        membership_set_end_date(
            actor=actor,  # type: ignore[arg-type]
            subscription=subscription,
            membership=membership,
            ends_on=ends_on,
            detail=detail,
        )


def review_finish_now(review: AccessReview) -> None:
    """The report, then the review is completed (and unchangeable)."""
    completed_at = timezone.now()
    review.completed_at = completed_at
    report_store(review=review)
    AccessReview.objects.filter(pk=review.pk).update(
        status=AccessReview.Status.COMPLETED, completed_at=completed_at
    )
