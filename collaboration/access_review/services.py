"""Writes of "Åtkomstgranskning" (DESIGN.md, flow 9): starting a review
(a firm's, or a subscription's by its sysadmins), decisions per row and in
bulk, naming reviewers, completing, applying the decisions in bounded
batches, the clients' answers to the firm's requested changes, reminders and
the quarterly start.

Every change of access goes through the clients services
(`membership_remove`, `program_level_set`, `membership_set_end_date`), so
the ledger records it as any other change, with the review in its detail."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import Level, Membership, Program, ProgramLevel, Subscription
from clients.services import membership_remove
from collaboration.access_review.apply import change_apply, review_detail, review_finish_now
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewRow,
    Decision,
    NamedReviewer,
    Outcome,
    RemovalRequest,
)
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import STOCKHOLM, today_in_stockholm
from ledger.models import AccessEvent
from notifications.services import outbox_enqueue_email

LEVEL_RANK: dict[str, int] = {Level.READ: 1, Level.REPORTER: 2, Level.APPROVER: 3, Level.ADMIN: 4}
ROW_INSERT_BATCH = 2000


def _create(**fields: Any) -> AccessReview:
    try:
        with transaction.atomic():
            return AccessReview.objects.create(**fields)
    except IntegrityError:
        raise ValidationError(
            _("En åtkomstgranskning pågår redan. Slutför den innan du startar en ny."),
            code="review_open",
        ) from None


def default_due_on() -> date:
    return today_in_stockholm() + timedelta(days=settings.ACCESS_REVIEW_DUE_DAYS)


def _validate_due_on(due_on: date) -> None:
    today = today_in_stockholm()
    if not today <= due_on <= today + timedelta(days=366):
        raise ValidationError(
            _("Välj ett datum från i dag och högst ett år framåt."), code="due_on_range"
        )


@transaction.atomic
def review_start(
    *, firm_id: int, actor: User | None, due_on: date | None = None, notify: bool = True
) -> AccessReview:
    """A firm's review: one row per consultant × subscription where one of
    the firm's active consultants is a member (paused and end-dated ones
    too). Its reviewers are told by e-mail (`notify`: not in the demo)."""
    due_on = due_on or default_due_on()
    _validate_due_on(due_on)
    review = _create(firm_id=firm_id, started_by=actor, due_on=due_on)
    memberships = Membership.objects.filter(consultant__firm_id=firm_id, consultant__is_active=True)
    reviewers = dict(
        NamedReviewer.objects.filter(
            consultant__firm_id=firm_id, reviewer__is_active=True
        ).values_list("consultant_id", "reviewer_id")
    )
    _rows_create(review, memberships, reviewers=reviewers, events=Q(firm_id=firm_id))
    review.reminded_on = today_in_stockholm()
    review.save(update_fields=["rows_total", "reminded_on"])
    if notify:
        _notify_reviewers(review, started=True)
    return review


@transaction.atomic
def subscription_review_start(*, subscription: Subscription, actor: User) -> AccessReview:
    """A subscription's sysadmins review everyone of every coupled firm who
    is a member; their decisions take effect at once."""
    review = _create(
        subscription=subscription,
        started_by=actor,
        due_on=default_due_on(),
    )
    memberships = Membership.objects.filter(subscription=subscription, consultant__isnull=False)
    _rows_create(review, memberships, reviewers={}, events=Q(subscription_id=subscription.pk))
    review.save(update_fields=["rows_total"])
    return review


def _rows_create(
    review: AccessReview,
    memberships: QuerySet[Membership],
    *,
    reviewers: Mapping[int, int],
    events: Q,
) -> None:
    """The rows, as the access stands now: four queries and one INSERT per
    ROW_INSERT_BATCH rows, whatever the firm's size."""
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    for membership_id, code, level in ProgramLevel.objects.filter(
        membership__in=memberships.values("pk")
    ).values_list("membership_id", "program__code", "level"):
        levels[membership_id][code] = level
    granted = _grants(events)
    rows = [
        AccessReviewRow(
            review=review,
            membership_id=m["pk"],
            firm_id=m["consultant__firm_id"],
            subscription_id=m["subscription_id"],
            consultant_id=m["consultant_id"],
            user_id=m["user_id"],
            reviewer_id=reviewers.get(m["consultant_id"]),
            levels=levels.get(m["pk"], {}),
            is_sysadmin=m["is_sysadmin"],
            ends_on=m["ends_on"],
            suspended=m["suspended_at"] is not None,
            granted_at=granted.get((m["subscription_id"], m["user_id"]), (m["created_at"], ""))[0],
            granted_by=granted.get((m["subscription_id"], m["user_id"]), (None, ""))[1],
            last_login=m["user__last_login"],
        )
        for m in memberships.values(
            "pk",
            "subscription_id",
            "consultant_id",
            "consultant__firm_id",
            "user_id",
            "is_sysadmin",
            "ends_on",
            "suspended_at",
            "created_at",
            "user__last_login",
        ).order_by("consultant__user__full_name", "subscription__client__name", "pk")
    ]
    AccessReviewRow.objects.bulk_create(rows, batch_size=ROW_INSERT_BATCH)
    review.rows_total = len(rows)


def _grants(events: Q) -> dict[tuple[int | None, int | None], tuple[datetime, str]]:
    """When each member was last added, and by whom, from the ledger."""
    added = list(
        AccessEvent.objects.filter(events, kind=AccessEvent.Kind.MEMBER_ADDED)
        .exclude(subject_id=None)
        .order_by("occurred_at", "pk")
        .values_list("subscription_id", "subject_id", "occurred_at", "actor_id")
    )
    names = dict(
        User.objects.filter(pk__in={a for *_x, a in added if a}).values_list("pk", "full_name")
    )
    return {(s, u): (at, names.get(a, "") if a else _("Systemet")) for s, u, at, a in added}


def _require_open(review: AccessReview) -> None:
    if review.status != AccessReview.Status.OPEN:
        raise ValidationError(_("Granskningen är redan slutförd."), code="review_closed")


def restriction_clean(
    *, row: AccessReviewRow, levels: Mapping[str, str], ends_on: date | None
) -> dict[str, str]:
    """The levels "Begränsa" changes (program code → lower level, "" for
    none), checked against the row: only lower, an end date not past and
    not later than one already set, and something must change."""
    changed: dict[str, str] = {}
    for code, level in levels.items():
        current = row.levels.get(code)
        if current is None or level == current:
            continue
        if level and LEVEL_RANK.get(level, 99) >= LEVEL_RANK.get(current, 0):
            raise ValidationError(
                _("Begränsa kan bara sänka en behörighet eller ta bort den."), code="not_lower"
            )
        changed[code] = level
    if ends_on is not None:
        if ends_on < today_in_stockholm():
            raise ValidationError(_("Datumet kan inte ligga i det förflutna."), code="past")
        if row.ends_on is not None and ends_on >= row.ends_on:
            raise ValidationError(
                _("Slutdatumet måste ligga före det nuvarande (%(date)s).")
                % {"date": f"{row.ends_on:%Y-%m-%d}"},
                code="not_earlier",
            )
    if not changed and ends_on is None:
        raise ValidationError(
            _("Sänk minst en behörighet eller ange ett slutdatum."), code="nothing_restricted"
        )
    return changed


@transaction.atomic
def row_decide(
    *,
    row: AccessReviewRow,
    actor: User,
    decision: str,
    levels: Mapping[str, str] | None = None,
    ends_on: date | None = None,
) -> AccessReviewRow:
    """ "Behåll", "Ta bort" or "Begränsa" for one row. In a subscription's
    own review the decision takes effect at once."""
    review = AccessReview.objects.select_for_update().get(pk=row.review_id)
    _require_open(review)
    if decision not in Decision.values:
        raise ValidationError(_("Välj Behåll, Ta bort eller Begränsa."), code="decision")
    row.restrict_levels = None
    row.restrict_ends_on = None
    if decision == Decision.RESTRICT:
        if review.subscription_id is not None:
            raise ValidationError(_("Välj Behåll eller Ta bort."), code="decision")
        row.restrict_levels = restriction_clean(row=row, levels=levels or {}, ends_on=ends_on)
        row.restrict_ends_on = ends_on
    row.decision = decision
    row.decided_by = actor
    row.decided_at = timezone.now()
    fields = ["decision", "restrict_levels", "restrict_ends_on", "decided_by", "decided_at"]
    if review.subscription_id is not None:
        _apply_now(review, row, actor)
        fields += ["outcome", "outcome_detail", "applied_at"]
    row.save(update_fields=fields)
    return row


def _apply_now(review: AccessReview, row: AccessReviewRow, actor: User) -> None:
    """A subscription's own review: the sysadmin's decision now (a refusal,
    such as the last sysadmin, is raised and nothing is written)."""
    membership = _membership(row)
    if row.decision == Decision.KEEP:
        row.outcome = Outcome.UNCHANGED
    elif membership is None:
        row.outcome = Outcome.GONE
    else:
        membership_remove(
            actor=actor,
            subscription=membership.subscription,
            membership=membership,
            detail=review_detail(review),
        )
        row.outcome = Outcome.APPLIED
    row.applied_at = timezone.now()


def _membership(row: AccessReviewRow | RemovalRequest) -> Membership | None:
    return (
        Membership.objects.filter(pk=row.membership_id, subscription_id=row.subscription_id)
        .select_related("user", "consultant", "subscription")
        .first()
    )


def rows_decide_bulk(
    *,
    review: AccessReview,
    rows: QuerySet[AccessReviewRow],
    actor: User,
    decision: str,
) -> int:
    """ "Behåll alla" / "Ta bort alla" for the rows given (one consultant's or
    one client's, as far as the actor reviews them): one UPDATE."""
    if decision not in (Decision.KEEP, Decision.REMOVE):
        raise ValidationError(_("Välj Behåll eller Ta bort."), code="decision")
    with transaction.atomic():
        locked = AccessReview.objects.select_for_update().get(pk=review.pk)
        _require_open(locked)
        return rows.filter(review=review).update(
            decision=decision,
            restrict_levels=None,
            restrict_ends_on=None,
            decided_by=actor,
            decided_at=timezone.now(),
        )


@transaction.atomic
def reviewer_set(
    *, review: AccessReview, consultant: Consultant, reviewer: Consultant | None
) -> int:
    """Name the reviewer of a consultant (None: the firm's admins), for this
    review's rows and the firm's reviews to come. Both of the review's firm."""
    locked = AccessReview.objects.select_for_update().get(pk=review.pk)
    _require_open(locked)
    if consultant.firm_id != review.firm_id or (
        reviewer is not None and (reviewer.firm_id != review.firm_id or not reviewer.is_active)
    ):
        raise ValidationError(_("Välj en konsult på byrån."), code="reviewer")
    if reviewer is None:
        NamedReviewer.objects.filter(consultant=consultant).delete()
    else:
        NamedReviewer.objects.update_or_create(
            consultant=consultant, defaults={"reviewer": reviewer}
        )
    return AccessReviewRow.objects.filter(review=review, consultant=consultant).update(
        reviewer=reviewer
    )


@transaction.atomic
def review_complete(*, review: AccessReview, actor: User) -> AccessReview:
    """ "Slutför granskningen": refused while a row has no decision. A
    subscription's review is done at once (its decisions took effect when
    made); a firm's goes on to `review_apply_batch` (a Celery task, enqueued
    by the caller after commit)."""
    locked = AccessReview.objects.select_for_update().get(pk=review.pk)
    _require_open(locked)
    undecided = AccessReviewRow.objects.filter(review=locked, decision="").count()
    if undecided:
        raise ValidationError(
            ngettext("%(count)s rad saknar beslut.", "%(count)s rader saknar beslut.", undecided)
            % {"count": undecided},
            code="undecided",
        )
    locked.status = AccessReview.Status.APPLYING
    locked.completed_by = actor
    if locked.subscription_id is not None:
        locked.rows_applied = locked.rows_total
    locked.save(update_fields=["status", "completed_by", "rows_applied"])
    if locked.subscription_id is not None:
        review_finish_now(locked)
    return locked


@transaction.atomic
def removal_request_answer(*, removal: RemovalRequest, actor: User, accept: bool) -> RemovalRequest:
    """A client's sysadmin answers the firm's request: "Genomför" applies it
    through the clients services, "Avböj" leaves the access as it is."""
    locked = RemovalRequest.objects.select_for_update().get(pk=removal.pk)
    if locked.status != RemovalRequest.Status.PENDING:
        raise ValidationError(_("Begäran är redan besvarad."), code="answered")
    locked.status = RemovalRequest.Status.DECLINED
    if accept:
        membership = _membership(locked)
        locked.status = RemovalRequest.Status.GONE
        if membership is not None:
            change_apply(
                actor=actor,
                membership=membership,
                decision=locked.decision,
                levels=locked.levels or {},
                ends_on=locked.ends_on,
                programs=Program.objects.in_bulk(field_name="code"),
                detail=_("Begärd i åtkomstgranskning av byrån"),
            )
            locked.status = RemovalRequest.Status.DONE
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


def _notify_reviewers(review: AccessReview, *, started: bool) -> int:
    """An e-mail (through the outbox) to each reviewer with rows left: named
    reviewers for their consultants' rows, the firm's admins for the rest."""
    counts: dict[int | None, int] = dict(
        AccessReviewRow.objects.filter(review=review, decision="")
        .values("reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "n")
    )
    if not counts:
        return 0
    reviewers = Consultant.objects.filter(is_active=True, user__is_active=True).filter(
        Q(pk__in=[pk for pk in counts if pk]) | Q(firm_id=review.firm_id, is_firm_admin=True)
    )
    sent = 0
    for reviewer in reviewers.select_related("user", "firm"):
        count = counts.get(reviewer.pk, 0) + (counts.get(None, 0) if reviewer.is_firm_admin else 0)
        if count:
            outbox_enqueue_email(
                to=reviewer.user.email,
                template="access-review",
                context={
                    "recipient": reviewer.user,
                    "firm": reviewer.firm,
                    "review": review,
                    "count": count,
                    "started": started,
                },
            )
            sent += 1
    return sent


def access_reviews_remind(*, today: date | None = None) -> int:
    """Remind the reviewers of open firm reviews every
    ACCESS_REVIEW_REMINDER_DAYS (the start counts as the first)."""
    today = today or today_in_stockholm()
    since = today - timedelta(days=settings.ACCESS_REVIEW_REMINDER_DAYS)
    sent = 0
    for review in AccessReview.objects.open().filter(firm__isnull=False, reminded_on__lte=since):
        with transaction.atomic():
            claimed = AccessReview.objects.filter(pk=review.pk, reminded_on__lte=since).update(
                reminded_on=today
            )
            if claimed:
                sent += _notify_reviewers(review, started=False)
    return sent


def access_reviews_start_quarterly(*, today: date | None = None) -> int:
    """Each firm whose consultants have access gets a review once a quarter
    (ACCESS_REVIEW_QUARTERLY), unless one was started this quarter or is
    still under way."""
    if not settings.ACCESS_REVIEW_QUARTERLY:
        return 0
    today = today or today_in_stockholm()
    quarter = datetime(today.year, 3 * ((today.month - 1) // 3) + 1, 1, tzinfo=STOCKHOLM)
    reviews = AccessReview.objects.filter(firm_id=OuterRef("pk"))
    firms = (
        Firm.objects.filter(
            Exists(
                Membership.objects.filter(
                    consultant__firm_id=OuterRef("pk"), consultant__is_active=True
                )
            )
        )
        .exclude(Exists(reviews.filter(started_at__gte=quarter)))
        .exclude(Exists(reviews.exclude(status=AccessReview.Status.COMPLETED)))
        .values_list("pk", flat=True)
    )
    started = 0
    for firm_id in firms:
        try:
            review_start(firm_id=firm_id, actor=None)
        except ValidationError:
            continue  # one was started meanwhile
        started += 1
    return started


def reviews_applying() -> list[int]:
    """Completed firm reviews whose decisions are still being applied (a
    task lost with a broker outage is taken up again by the daily run)."""
    return list(
        AccessReview.objects.filter(status=AccessReview.Status.APPLYING).values_list(
            "pk", flat=True
        )
    )
