"""Åtkomstgranskning (flow 9) in the browser, as a firm admin: start a
review, decide every row (Behåll, Ta bort, Begränsa), complete it, download
the report, and see the change in "Tilldela behörigheter" and in the
ledger; the client's sysadmin answers the firm's requested removal."""

import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from clients.models import Membership
from collaboration.access_review.models import AccessReview
from firm_portal.timeutils import today_in_stockholm
from tests import factories
from tests.collaboration.access_review_fixtures import review_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_whole_review(journey) -> None:  # type: ignore[no-untyped-def]
    rw = review_world()
    j = journey("access-review")
    j.log_in(rw.admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Åtkomstgranskning"))
    due = (today_in_stockholm() + timedelta(days=14)).isoformat()
    j.fill(j.page.get_by_label("Klar senast"), due)
    j.click(j.page.get_by_role("button", name="Starta granskning"))
    expect(j.page.get_by_text("Åtkomstgranskningen har startat.")).to_be_visible()
    expect(j.page.get_by_text("0 av 3 rader har beslut.")).to_be_visible()
    j.snap("started")

    j.click(j.page.get_by_role("button", name="Behåll: Maja Sysadmin hos Bageriet AB"))
    expect(j.page.get_by_text("1 av 3 rader har beslut.")).to_be_visible()
    j.click(j.page.get_by_role("button", name="Ta bort: Erik Konsult hos Fjällstugan AB"))
    expect(j.page.get_by_text("2 av 3 rader har beslut.")).to_be_visible()
    j.click(j.page.get_by_role("link", name="Begränsa: Erik Konsult hos Bageriet AB"))
    j.select(j.page.get_by_label("Bokföring"), "Läs")
    j.click(j.page.get_by_role("button", name="Spara Begränsa"))
    expect(j.page.get_by_text("Beslutet är sparat: Begränsa.")).to_be_visible()
    expect(j.page.get_by_text("3 av 3 rader har beslut.")).to_be_visible()
    j.snap("decided")

    j.click(j.page.get_by_role("button", name="Slutför granskningen"))
    expect(j.page.get_by_text("Granskningen är slutförd och kan inte ändras.")).to_be_visible()
    j.snap("completed")
    assert AccessReview.objects.get().status == AccessReview.Status.COMPLETED
    with j.page.expect_download() as download:
        j.click(j.page.get_by_role("link", name="Ladda ned rapporten (PDF)"))
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Åtkomstgranskning" in text
    assert "Begränsa (Bokföring: Läs)" in text
    assert "Väntar hos kunden" in text and "Fjällstugan AB" in text

    # The restriction is in "Tilldela behörigheter" (Maja is Bageriet's sysadmin) ...
    j.page.context.clear_cookies()
    j.enter_as(rw.maja.user)
    j.goto(f"/abonnemang/{rw.own.number}/behorigheter/")
    expect(j.page.get_by_label("Bokföring för Erik Konsult")).to_have_value("read")
    j.snap("permissions")
    # ... and in the firm's ledger, with the review named.
    j.page.context.clear_cookies()
    j.enter_as(rw.admin.user)
    j.goto("/byra/behorighetslogg/")
    changed = j.page.locator("td", has_text="Behörighet ändrad").first
    expect(changed).to_contain_text("Åtkomstgranskning")
    j.snap("ledger")

    # Fjällstugan's sysadmin carries out the firm's requested removal.
    j.page.context.clear_cookies()
    j.enter_as(rw.lisa)
    j.goto("/")
    expect(
        j.page.get_by_text("begär i sin åtkomstgranskning att Erik Konsult inte längre")
    ).to_be_visible()
    j.click(j.page.get_by_role("button", name="Genomför: Erik Konsult hos Fjällstugan AB"))
    expect(j.page.get_by_text("Ändringen är genomförd.")).to_be_visible()
    assert not Membership.objects.filter(pk=rw.erik_other.pk).exists()
    j.snap("removed-at-client")
