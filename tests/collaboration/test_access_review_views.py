"""Åtkomstgranskning's pages: the firm's (start, rows, decisions, bulk,
reviewers, completion, report) and the subscription's own, the to-do card
of a requested change, and the overdue review on the start page."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from clients.models import Membership, ProgramLevel
from collaboration.access_review import services
from collaboration.access_review.models import (
    AccessReview,
    AccessReviewRow,
    NamedReviewer,
    RemovalRequest,
)
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from tests import factories
from tests.collaboration.access_review_fixtures import ReviewWorld, review_world

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rw() -> ReviewWorld:
    return review_world()


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _started(rw: ReviewWorld) -> AccessReview:
    return services.review_start(firm_id=rw.firm.pk, actor=rw.admin.user)


def _row(review: AccessReview, membership: Membership) -> AccessReviewRow:
    return AccessReviewRow.objects.get(review=review, membership_id=membership.pk)


def test_firm_admin_starts_a_review(rw: ReviewWorld) -> None:
    client = login(rw.admin.user)
    url = reverse("collaboration:access_reviews")
    assert client.get(url).status_code == 200
    due = (today_in_stockholm() + timedelta(days=14)).isoformat()

    response = client.post(url, {"due_on": due})

    review = AccessReview.objects.get(firm=rw.firm)
    assert response["Location"] == reverse("collaboration:access_review", args=[review.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Erik Konsult" in page and "Fjällstugan AB" in page
    assert "0 av 3 rader har beslut." in page


def test_start_refuses_a_past_due_date_and_non_admins(rw: ReviewWorld) -> None:
    url = reverse("collaboration:access_reviews")
    response = login(rw.admin.user).post(url, {"due_on": "2000-01-01"})
    assert "Välj ett datum från i dag och högst ett år framåt." in response.content.decode()
    assert login(rw.erik.user).post(url, {"due_on": "2030-01-01"}).status_code == 403
    assert not AccessReview.objects.exists()


def test_keep_and_remove_per_row_with_and_without_htmx(rw: ReviewWorld) -> None:
    review = _started(rw)
    client = login(rw.admin.user)
    row = _row(review, rw.erik_own)
    url = reverse("collaboration:access_review_row", args=[review.pk, row.pk])

    response = client.post(url, {"decision": "keep"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.decision == "keep"

    response = client.post(url, {"decision": "remove"}, **HTMX)
    assert response.status_code == 200
    assert f'id="rad-{row.pk}"' in response.content.decode()
    assert "<strong>Ta bort</strong>" in response.content.decode()
    assert client.get(url.replace("rader", "rader"), {"decision": "x"}).status_code == 200
    assert client.put(url).status_code == 405


def test_restrict_form(rw: ReviewWorld) -> None:
    review = _started(rw)
    client = login(rw.admin.user)
    row = _row(review, rw.erik_own)
    url = reverse("collaboration:access_review_row", args=[review.pk, row.pk])
    page = client.get(url).content.decode()
    assert "Bokföring" in page and 'value="admin"' not in page  # only lower levels

    bad = client.post(url, {"decision": "restrict", "niva_bokforing": "approver"})
    assert "Sänk minst en behörighet eller ange ett slutdatum." in bad.content.decode()
    higher = client.post(url, {"decision": "restrict", "niva_bokforing": "admin"})
    assert "Välj ett giltigt alternativ" in higher.content.decode()

    ends = (today_in_stockholm() + timedelta(days=5)).isoformat()
    response = client.post(url, {"decision": "restrict", "niva_bokforing": "read", "ends_on": ends})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.decision, row.restrict_levels) == ("restrict", {"bokforing": "read"})


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_bulk_per_consultant_and_per_client(rw: ReviewWorld) -> None:
    review = _started(rw)
    client = login(rw.admin.user)
    url = reverse("collaboration:access_review_bulk", args=[review.pk])

    client.post(url, {"decision": "keep", "konsult": rw.erik.pk})
    assert set(
        AccessReviewRow.objects.filter(review=review, consultant=rw.erik).values_list(
            "decision", flat=True
        )
    ) == {"keep"}
    client.post(url, {"decision": "remove", "klient": rw.own.number})
    assert _row(review, rw.maja_own).decision == "remove"

    response = client.post(url, {"decision": "keep"}, follow=True)
    assert "Välj en konsult eller ange ett abonnemangsnummer." in response.content.decode()


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_named_reviewer_sees_only_their_rows(rw: ReviewWorld) -> None:
    review = _started(rw)
    admin = login(rw.admin.user)
    response = admin.post(
        reverse("collaboration:access_review_reviewer", args=[review.pk]),
        {"konsult": rw.erik.pk, "granskare": rw.maja.pk},
        follow=True,
    )
    assert "Granskaren är sparad." in response.content.decode()
    assert NamedReviewer.objects.get(consultant=rw.erik).reviewer == rw.maja

    maja = login(rw.maja.user)
    page = maja.get(reverse("collaboration:access_review", args=[review.pk])).content.decode()
    assert "0 av 2 rader har beslut." in page
    maja_row = _row(review, rw.maja_own)
    url = reverse("collaboration:access_review_row", args=[review.pk, maja_row.pk])
    assert maja.post(url, {"decision": "keep"}).status_code == 404
    # Someone of the firm who reviews nothing is forbidden, not told more.
    outsider = factories.ConsultantFactory(firm=rw.firm)
    assert (
        login(outsider.user)
        .get(reverse("collaboration:access_review", args=[review.pk]))
        .status_code
        == 403
    )


def _decided(rw: ReviewWorld) -> AccessReview:
    review = _started(rw)
    services.row_decide(
        row=_row(review, rw.erik_own),
        actor=rw.admin.user,
        decision="restrict",
        levels={"bokforing": "read"},
    )
    services.row_decide(row=_row(review, rw.erik_other), actor=rw.admin.user, decision="remove")
    services.row_decide(row=_row(review, rw.maja_own), actor=rw.admin.user, decision="keep")
    return review


def test_completion_applies_and_keeps_the_report(
    rw: ReviewWorld, django_capture_on_commit_callbacks
) -> None:
    review = _decided(rw)
    client = login(rw.admin.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("collaboration:access_review_complete", args=[review.pk]), follow=True
        )

    assert "Granskningen är slutförd." in response.content.decode()
    review.refresh_from_db()
    assert review.status == AccessReview.Status.COMPLETED
    assert ProgramLevel.objects.get(membership=rw.erik_own).level == "read"
    pdf = client.get(reverse("collaboration:access_review_pdf", args=[review.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    for expected in [
        "Åtkomstgranskning",
        "Redovisningsbyrån Norr AB",
        "Anna Admin",
        "Erik Konsult",
        "Bageriet AB",
        "Begränsa",
        "Väntar hos kunden",
        "Fjällstugan AB",
        "Begärd hos kunden",
        "Genomförd",
    ]:
        assert expected in text, expected
    csv = client.get(reverse("collaboration:access_review_csv", args=[review.pk]))
    assert csv.content.decode("utf-8-sig").startswith("Konsult;Byrå;Klient")
    assert b"private" in csv["Cache-Control"].encode()


def test_completion_refused_with_rows_left(rw: ReviewWorld) -> None:
    review = _started(rw)
    response = login(rw.admin.user).post(
        reverse("collaboration:access_review_complete", args=[review.pk]), follow=True
    )
    assert "3 rader saknar beslut." in response.content.decode()
    assert (
        login(rw.admin.user)
        .get(reverse("collaboration:access_review_pdf", args=[review.pk]))
        .status_code
        == 404
    )


def test_client_sysadmin_gets_a_card_and_carries_out_the_request(
    rw: ReviewWorld, django_capture_on_commit_callbacks
) -> None:
    review = _decided(rw)
    with django_capture_on_commit_callbacks(execute=True):
        login(rw.admin.user).post(reverse("collaboration:access_review_complete", args=[review.pk]))
    lisa = login(rw.lisa)
    home = lisa.get(reverse("home")).content.decode()
    assert "begär i sin åtkomstgranskning att Erik Konsult inte längre ska ha åtkomst" in home
    removal = RemovalRequest.objects.get()

    response = lisa.post(
        reverse("collaboration:access_removal_answer", args=[rw.other.number, removal.pk]),
        {"svar": "genomfor"},
        follow=True,
    )

    assert "Ändringen är genomförd." in response.content.decode()
    assert not Membership.objects.filter(pk=rw.erik_other.pk).exists()
    assert "begär i sin åtkomstgranskning" not in response.content.decode()
    # The firm's own admin is no sysadmin of Fjällstugan: not theirs to answer.
    assert (
        login(rw.admin.user)
        .post(reverse("collaboration:access_removal_answer", args=[rw.other.number, removal.pk]))
        .status_code
        == 404
    )


def test_overdue_review_on_the_firm_admins_start_page(rw: ReviewWorld) -> None:
    review = _started(rw)
    AccessReview.objects.filter(pk=review.pk).update(
        due_on=today_in_stockholm() - timedelta(days=1)
    )
    home = login(rw.admin.user).get(reverse("home")).content.decode()
    assert "är försenad" in home
    assert "är försenad" not in login(rw.erik.user).get(reverse("home")).content.decode()


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_subscription_review_by_its_sysadmin(rw: ReviewWorld) -> None:
    client = login(rw.lisa)
    url = reverse("collaboration:subscription_access_reviews", args=[rw.other.number])
    assert client.get(url).status_code == 200
    response = client.post(url)
    review = AccessReview.objects.get(subscription=rw.other)
    row = AccessReviewRow.objects.get(review=review)
    page = client.get(response["Location"]).content.decode()
    assert "Erik Konsult" in page and "Redovisningsbyrån Norr AB" in page

    client.post(
        reverse(
            "collaboration:subscription_access_review_row",
            args=[rw.other.number, review.pk, row.pk],
        ),
        {"decision": "remove"},
    )
    assert not Membership.objects.filter(pk=rw.erik_other.pk).exists()
    assert AccessEvent.objects.filter(
        kind=AccessEvent.Kind.MEMBER_REMOVED, subscription_id=rw.other.pk, actor_id=rw.lisa.pk
    ).exists()
    client.post(
        reverse(
            "collaboration:subscription_access_review_complete", args=[rw.other.number, review.pk]
        )
    )
    pdf = client.get(
        reverse("collaboration:subscription_access_review_pdf", args=[rw.other.number, review.pk])
    )
    assert pdf.content.startswith(b"%PDF-")


@pytest.mark.parametrize("consultants", [2, 30])
def test_review_page_queries_do_not_grow_with_rows(
    rw: ReviewWorld, django_assert_num_queries, consultants: int
) -> None:
    for n in range(consultants):
        extra = factories.ConsultantFactory(firm=rw.firm)
        for subscription in (rw.own, rw.other):
            membership = Membership.objects.create(
                subscription=subscription, user=extra.user, consultant=extra
            )
            factories.give_level(membership, "bokforing", "read")
        if n % 2:
            NamedReviewer.objects.create(consultant=extra, reviewer=rw.maja)
    review = _started(rw)
    client = login(rw.admin.user)
    url = reverse("collaboration:access_review", args=[review.pk])
    client.get(url)
    with django_assert_num_queries(QUERIES):
        response = client.get(url, {"sida": "1"})
    assert response.status_code == 200


# Session, user, consultant, review, consultants, progress, count, page,
# program names, named reviewers, firm consultants for the reviewer form;
# the same for 7 rows and 63 (three pages).
QUERIES = 11
