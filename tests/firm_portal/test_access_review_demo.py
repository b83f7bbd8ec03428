"""The demo has an "Åtkomstgranskning" in progress (issue 17): Norr's review,
some rows decided, Erik named reviewer of Nils; no e-mail written. (The
reset goes through `access_review_demo_delete` first; `seed_demo --reset`
itself is tested in test_seed_demo.py.)"""

import pytest
from django.urls import reverse

from collaboration.access_review.models import AccessReview, AccessReviewRow, Decision
from firm_portal.models import Consultant
from notifications.models import OutboxMessage
from tests.firm_portal.demo_helpers import logged_in, seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_has_a_review_in_progress(empty_database_after_migrate) -> None:  # type: ignore[no-untyped-def]
    seed()
    review = AccessReview.objects.get(firm__name="Redovisningsbyrån Norr AB")
    assert review.status == AccessReview.Status.OPEN
    rows = AccessReviewRow.objects.filter(review=review)
    decisions = set(rows.exclude(decision="").values_list("decision", flat=True))
    assert decisions == {Decision.KEEP, Decision.REMOVE, Decision.RESTRICT}
    assert rows.filter(decision="").exists()
    nils = Consultant.objects.get(user__email="nils@norr.demo")
    assert set(rows.filter(consultant=nils).values_list("reviewer__user__email", flat=True)) <= {
        "erik@norr.demo"
    }
    assert not OutboxMessage.objects.filter(template="access-review").exists()
    page = logged_in("anna@norr.demo").get(reverse("collaboration:access_review", args=[review.pk]))
    assert "rader har beslut." in page.text
