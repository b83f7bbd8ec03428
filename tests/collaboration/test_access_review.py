"""Åtkomstgranskning (flow 9): the services, end to end through the ledger."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from clients.models import Membership, ProgramLevel
from clients.services import responsible_consultant_join
from collaboration.access_review import apply, services
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewReport,
    AccessReviewRow,
    Decision,
    NamedReviewer,
    Outcome,
    RemovalRequest,
)
from collaboration.tasks import access_reviews_daily
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.access_review_fixtures import ReviewWorld, review_world

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind


@pytest.fixture
def rw() -> ReviewWorld:
    return review_world()


def _row(review: AccessReview, membership: Membership) -> AccessReviewRow:
    return AccessReviewRow.objects.get(review=review, membership_id=membership.pk)


def _apply(review: AccessReview) -> None:
    while apply.review_apply_batch(review_id=review.pk):
        pass
    apply.review_finish(review_id=review.pk)


def test_start_lists_every_consultant_client_access_with_its_details(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)

    assert review.rows_total == 3
    row = _row(review, rw.erik_own)
    assert row.levels == {"bokforing": "approver"}
    assert row.is_sysadmin is False
    assert _row(review, rw.maja_own).is_sysadmin is True
    assert row.granted_at is not None
    assert review.due_on == today_in_stockholm() + timedelta(days=30)
    # The firm admin is told (through the outbox) how many rows wait.
    message = OutboxMessage.objects.get(recipient=rw.admin.user.email, template="access-review")
    assert "3 åtkomster att granska" in message.body_text


def test_granted_by_comes_from_the_ledger(rw: ReviewWorld) -> None:
    newcomer = factories.ConsultantFactory(firm=rw.firm, user__full_name="Nils Ny")
    responsible_consultant_join(
        subscription=rw.own, consultant=newcomer, actor=rw.admin.user, detail="test"
    )
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)

    row = AccessReviewRow.objects.get(review=review, consultant=newcomer)
    assert row.granted_by == "Anna Admin"


def test_one_review_under_way_per_firm(rw: ReviewWorld) -> None:
    services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    with pytest.raises(ValidationError, match="En åtkomstgranskning pågår redan"):
        services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)


def test_due_date_must_be_within_a_year(rw: ReviewWorld) -> None:
    with pytest.raises(ValidationError, match="högst ett år framåt"):
        services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user, due_on=date(2000, 1, 1))
    assert not AccessReview.objects.exists()


def test_restrict_only_lowers(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    row = _row(review, rw.erik_own)
    with pytest.raises(ValidationError, match="bara sänka"):
        services.row_decide(
            row=row, actor=rw.admin.user, decision="restrict", levels={"bokforing": "admin"}
        )
    with pytest.raises(ValidationError, match="Sänk minst en behörighet"):
        services.row_decide(row=row, actor=rw.admin.user, decision="restrict", levels={})
    with pytest.raises(ValidationError, match="förflutna"):
        services.row_decide(
            row=row,
            actor=rw.admin.user,
            decision="restrict",
            levels={},
            ends_on=today_in_stockholm() - timedelta(days=1),
        )
    row.refresh_from_db()
    assert row.decision == ""


def test_completion_is_refused_while_rows_lack_a_decision(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    services.row_decide(row=_row(review, rw.erik_own), actor=rw.admin.user, decision="keep")
    with pytest.raises(ValidationError, match="2 rader saknar beslut"):
        services.review_complete(review=review, actor=rw.admin.user)


def _decide_all(rw: ReviewWorld, review: AccessReview) -> None:
    services.row_decide(
        row=_row(review, rw.erik_own),
        actor=rw.admin.user,
        decision="restrict",
        levels={"bokforing": "read"},
        ends_on=today_in_stockholm() + timedelta(days=10),
    )
    services.row_decide(row=_row(review, rw.erik_other), actor=rw.admin.user, decision="remove")
    services.row_decide(row=_row(review, rw.maja_own), actor=rw.admin.user, decision="keep")


def test_completion_applies_where_the_firm_is_sysadmin_and_asks_elsewhere(
    rw: ReviewWorld,
) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    _decide_all(rw, review)
    services.review_complete(review=review, actor=rw.admin.user)
    _apply(review)

    review.refresh_from_db()
    assert review.status == AccessReview.Status.COMPLETED
    assert review.rows_applied == 3
    # Bageriet: the firm is sysadmin, so the restriction is applied, in the ledger.
    assert ProgramLevel.objects.get(membership=rw.erik_own).level == "read"
    rw.erik_own.refresh_from_db()
    assert rw.erik_own.ends_on == today_in_stockholm() + timedelta(days=10)
    events = AccessEvent.objects.filter(subscription_id=rw.own.pk, subject_id=rw.erik.user_id)
    assert set(events.values_list("kind", flat=True)) >= {Kind.LEVEL_CHANGED, Kind.MEMBER_END_DATE}
    assert _row(review, rw.erik_own).outcome == Outcome.APPLIED
    # Fjällstugan: not the firm's to change; Lisa gets a to-do card.
    assert Membership.objects.filter(pk=rw.erik_other.pk).exists()
    request = RemovalRequest.objects.get(subscription=rw.other)
    assert request.status == RemovalRequest.Status.PENDING
    assert _row(review, rw.erik_other).outcome == Outcome.REQUESTED
    # The report is kept.
    report = AccessReviewReport.objects.get(review=review)
    assert bytes(report.pdf).startswith(b"%PDF-")
    assert "Begärd hos kunden" in bytes(report.csv).decode("utf-8-sig")


def test_client_sysadmin_carries_out_the_firms_request(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    _decide_all(rw, review)
    services.review_complete(review=review, actor=rw.admin.user)
    _apply(review)
    request = RemovalRequest.objects.get(subscription=rw.other)

    services.removal_request_answer(removal=request, actor=rw.lisa, accept=True)

    assert not Membership.objects.filter(pk=rw.erik_other.pk).exists()
    event = AccessEvent.objects.get(subscription_id=rw.other.pk, kind=Kind.MEMBER_REMOVED)
    assert event.actor_id == rw.lisa.pk
    assert event.subject_id == rw.erik.user_id
    request.refresh_from_db()
    assert request.status == RemovalRequest.Status.DONE
    with pytest.raises(ValidationError, match="redan besvarad"):
        services.removal_request_answer(removal=request, actor=rw.lisa, accept=False)


def test_removing_the_last_sysadmin_fails_on_its_row_not_the_batch(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    for row in AccessReviewRow.objects.filter(review=review):
        services.row_decide(row=row, actor=rw.admin.user, decision="remove")
    services.review_complete(review=review, actor=rw.admin.user)
    _apply(review)

    maja = _row(review, rw.maja_own)
    assert maja.outcome == Outcome.FAILED
    assert "enda systemadministratören" in maja.outcome_detail
    assert Membership.objects.filter(pk=rw.maja_own.pk).exists()
    assert not Membership.objects.filter(pk=rw.erik_own.pk).exists()


@override_settings(ACCESS_REVIEW_BATCH_SIZE=1)
def test_decisions_are_applied_in_bounded_batches(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    _decide_all(rw, review)
    services.review_complete(review=review, actor=rw.admin.user)

    assert apply.review_apply_batch(review_id=review.pk) is True
    assert apply.review_finish(review_id=review.pk) is False  # rows still wait
    review.refresh_from_db()
    assert (review.status, review.rows_applied) == (AccessReview.Status.APPLYING, 1)
    _apply(review)
    review.refresh_from_db()
    assert (review.status, review.rows_applied) == (AccessReview.Status.COMPLETED, 3)


def test_a_completed_review_cannot_be_changed(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    _decide_all(rw, review)
    services.review_complete(review=review, actor=rw.admin.user)
    _apply(review)
    review = AccessReview.objects.get(pk=review.pk)
    row = AccessReviewRow.objects.filter(review=review).first()
    assert row is not None
    with pytest.raises(PermissionError):
        review.save()
    with pytest.raises(PermissionError):
        review.delete()
    with pytest.raises(PermissionError):
        AccessReview.objects.filter(pk=review.pk).update(due_on=date(2030, 1, 1))
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        AccessReviewRow.objects.filter(review=review).update(decision="keep")
    with pytest.raises(PermissionError):
        AccessReviewRow.objects.filter(review=review).delete()
    with pytest.raises(PermissionError):
        AccessReviewReport.objects.filter(review=review).delete()
    with pytest.raises(ValidationError, match="redan slutförd"):
        services.row_decide(row=row, actor=rw.admin.user, decision="keep")


def test_bulk_decides_a_consultants_rows(rw: ReviewWorld) -> None:
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    rows = AccessReviewRow.objects.filter(review=review, consultant=rw.erik)
    assert (
        services.rows_decide_bulk(review=review, rows=rows, actor=rw.admin.user, decision="remove")
        == 2
    )
    assert set(rows.values_list("decision", flat=True)) == {Decision.REMOVE}
    with pytest.raises(ValidationError):
        services.rows_decide_bulk(review=review, rows=rows, actor=rw.admin.user, decision="x")


def test_named_reviewer_gets_the_consultants_rows_and_the_reminder(rw: ReviewWorld) -> None:
    NamedReviewer.objects.create(consultant=rw.erik, reviewer=rw.maja)
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)

    assert set(
        AccessReviewRow.objects.filter(review=review, consultant=rw.erik).values_list(
            "reviewer", flat=True
        )
    ) == {rw.maja.pk}
    assert OutboxMessage.objects.filter(recipient=rw.maja.user.email).count() == 1
    # A week later: reminded once, however often the task runs that day.
    later = today_in_stockholm() + timedelta(days=7)
    assert services.access_reviews_remind(today=later) == 2
    assert services.access_reviews_remind(today=later) == 0
    assert OutboxMessage.objects.filter(recipient=rw.maja.user.email).count() == 2


def test_quarterly_start_once_per_quarter(rw: ReviewWorld) -> None:
    assert services.access_reviews_start_quarterly() == 1
    review = AccessReview.objects.get(firm=rw.firm)
    assert review.started_by is None
    assert services.access_reviews_start_quarterly() == 0
    with override_settings(ACCESS_REVIEW_QUARTERLY=False):
        assert services.access_reviews_start_quarterly() == 0


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_subscription_review_applies_at_once(rw: ReviewWorld) -> None:
    review = services.subscription_review_start(subscription=rw.other, actor=rw.lisa)
    assert review.rows_total == 1  # Erik; Lisa herself is a client user
    row = AccessReviewRow.objects.get(review=review)
    with pytest.raises(ValidationError, match="Behåll eller Ta bort"):
        services.row_decide(row=row, actor=rw.lisa, decision="restrict", levels={})

    services.row_decide(row=row, actor=rw.lisa, decision="remove")

    assert not Membership.objects.filter(pk=rw.erik_other.pk).exists()
    assert AccessEvent.objects.filter(
        subscription_id=rw.other.pk, kind=Kind.MEMBER_REMOVED, actor_id=rw.lisa.pk
    ).exists()
    services.review_complete(review=review, actor=rw.lisa)
    review.refresh_from_db()
    assert review.status == AccessReview.Status.COMPLETED
    assert AccessReviewReport.objects.filter(review=review).exists()


@pytest.mark.django_db(transaction=True)
def test_bulk_and_reviewer_under_real_transactions() -> None:
    """The row locks of the bulk decision and of naming a reviewer, in
    transactions of their own (tests/lock_coverage.py)."""
    rw = review_world()
    review = services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)
    rows = AccessReviewRow.objects.filter(review=review, consultant=rw.erik)
    services.reviewer_set(review=review, consultant=rw.erik, reviewer=rw.maja)
    assert (
        services.rows_decide_bulk(review=review, rows=rows, actor=rw.maja.user, decision="keep")
        == 2
    )
    assert set(rows.values_list("reviewer", "decision")) == {(rw.maja.pk, "keep")}
    services.reviewer_set(review=review, consultant=rw.erik, reviewer=None)
    assert not NamedReviewer.objects.exists()


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_daily_task_starts_reminds_and_resumes(rw: ReviewWorld) -> None:
    assert access_reviews_daily() == {"started": 1, "reminded": 0, "resumed": 0}
    review = AccessReview.objects.get(firm=rw.firm)
    AccessReviewRow.objects.filter(review=review).update(decision="keep")
    services.review_complete(review=review, actor=rw.admin.user)
    # The task enqueued after commit was lost: the daily run takes it up.
    assert access_reviews_daily()["resumed"] == 1
    review.refresh_from_db()
    assert review.status == AccessReview.Status.COMPLETED
