"""The demo's "Åtkomstgranskning" (flow 9), called by `seed_demo` once the
demo world is built: Redovisningsbyrån Norr AB has a review in progress,
started by Anna a week ago and due in a week, with Erik named reviewer of
Nils and some rows decided (Behåll, one Ta bort where Norr is no sysadmin,
one Begränsa), so "Åtkomstgranskning" shows progress, and completing it
shows both outcomes: a change applied and a request on the client's to-do
card. No e-mail is sent (the demo writes no outbox messages)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from clients.models import Level, Membership
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewRow,
    Decision,
    NamedReviewer,
    RemovalRequest,
)
from collaboration.access_review.services import review_start
from firm_portal.models import Consultant, Firm
from firm_portal.timeutils import today_in_stockholm

FIRM = "Redovisningsbyrån Norr AB"
KEEP_ROWS = 12


def access_review_demo() -> AccessReview | None:
    """Norr's review in progress (None when Norr is not in the database)."""
    firm = Firm.objects.filter(name=FIRM).first()
    if firm is None:
        return None
    anna = Consultant.objects.select_related("user").get(firm=firm, user__email="anna@norr.demo")
    erik = Consultant.objects.get(firm=firm, user__email="erik@norr.demo")
    nils = Consultant.objects.get(firm=firm, user__email="nils@norr.demo")
    NamedReviewer.objects.update_or_create(consultant=nils, defaults={"reviewer": erik})
    review = review_start(
        firm_id=firm.pk,
        actor=anna.user,
        due_on=today_in_stockholm() + timedelta(days=7),
        notify=False,
    )
    AccessReview.objects.filter(pk=review.pk).update(started_at=timezone.now() - timedelta(days=7))
    _decide_some(review, anna)
    return review


def _decide_some(review: AccessReview, anna: Consultant) -> None:
    rows = AccessReviewRow.objects.filter(review=review).order_by("pk")
    now = timezone.now()
    decided = {"decided_by": anna.user, "decided_at": now}
    keep = list(rows.filter(reviewer__isnull=True).values_list("pk", flat=True)[:KEEP_ROWS])
    rows.filter(pk__in=keep).update(decision=Decision.KEEP, **decided)
    # Ta bort where Norr is no sysadmin: completing asks the client's sysadmins.
    norr_sysadmin = Membership.objects.sysadmins().filter(consultant__firm__name=FIRM)
    elsewhere = (
        rows.filter(decision="")
        .exclude(subscription_id__in=norr_sysadmin.values("subscription_id"))
        .first()
    )
    if elsewhere is not None:
        rows.filter(pk=elsewhere.pk).update(decision=Decision.REMOVE, **decided)
    # Begränsa a level down to Läs where Norr is sysadmin (applied on completion).
    higher = ~Q(levels={}) & Q(is_sysadmin=False)
    restricted = rows.filter(higher, decision="").first()
    if restricted is not None:
        rows.filter(pk=restricted.pk).update(
            decision=Decision.RESTRICT,
            restrict_levels={code: Level.READ for code in restricted.levels},
            **decided,
        )


def access_review_demo_delete() -> None:
    """For `seed_demo --reset`: open reviews go, with the requests made by
    reviews (a completed review is evidence and refuses, like the ledger)."""
    RemovalRequest.objects.all().delete()
    AccessReview.objects.exclude(status=AccessReview.Status.COMPLETED).delete()
