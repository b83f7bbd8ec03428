"""Flow 10 clicked through: the firm admin uploads the firm's PuB-avtal, a
request carries it, the client's sysadmin cannot approve before ticking it,
approves, and downloads the confirmation certificate; the firm sees it
confirmed per client."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from collaboration.agreements.models import AgreementConfirmation
from collaboration.models import CollaborationRequest
from collaboration.requests.services import collaboration_request_send
from tests import factories
from tests.collaboration.agreement_helpers import PDF

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_request_with_agreement_confirmed_and_certificate_downloaded(journey, world, tmp_path):
    pdf = tmp_path / "pub-avtal.pdf"
    pdf.write_bytes(PDF)
    j = journey("10-avtal")
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name="Avtal", exact=True))
    expect(j.page.get_by_role("heading", name="Avtal", level=1)).to_be_visible()
    j.click(j.page.get_by_label("PuB-avtal"))
    j.fill(j.page.get_by_label("Titel"), "Personuppgiftsbiträdesavtal 2026")
    j.page.get_by_label("Avtal (PDF)").set_input_files(str(pdf))
    j.click(j.page.get_by_role("button", name="Ladda upp"))
    expect(
        j.page.get_by_text("Personuppgiftsbiträdesavtal 2026, version 1, är uppladdat.")
    ).to_be_visible()
    j.snap("uploaded")

    request = collaboration_request_send(
        consultant=world.firm_admin,
        subscription=world.subscription,
        responsible=world.consultant,
        start_date=None,
    )
    j.page.context.clear_cookies()
    j.log_in(world.sysadmin.email, factories.PASSWORD)
    j.click(j.page.get_by_role("link", name=re.compile("Förfrågan om samarbete från Revisorerna")))
    box = j.page.get_by_label(
        "Jag bekräftar PuB-avtal ”Personuppgiftsbiträdesavtal 2026” version 1"
    )
    expect(box).to_be_visible()
    j.snap("agreement to confirm")

    # Not ticked: the browser keeps the form (required), and nothing is approved.
    j.click(j.page.get_by_role("button", name="Jag godkänner"))
    expect(j.page.get_by_role("heading", name="Byråsamarbete")).to_be_visible()
    request.refresh_from_db()
    assert request.status == CollaborationRequest.Status.PENDING

    j.click(box)
    j.click(j.page.get_by_role("button", name="Jag godkänner"))
    expect(j.page.get_by_role("heading", name="Tilldela behörigheter")).to_be_visible()
    confirmation = AgreementConfirmation.objects.get()
    assert confirmation.status == AgreementConfirmation.Status.CONFIRMED
    assert confirmation.confirmed_by == world.sysadmin

    j.click(j.page.get_by_role("link", name="Start", exact=True))
    j.click(j.page.get_by_role("link", name="Avtal", exact=True))
    expect(j.page.get_by_role("heading", name="Bekräftade avtal")).to_be_visible()
    j.snap("confirmed")
    # WeasyPrint renders the certificate: on a busy shared machine that takes a while.
    with j.page.expect_download(timeout=60_000) as download_info:
        j.click(
            j.page.get_by_role(
                "link",
                name="Ladda ned intyg för Personuppgiftsbiträdesavtal 2026 version 1",
            )
        )
    certificate = download_info.value
    assert certificate.suggested_filename == (f"intyg-pub-v1-{world.subscription.number}.pdf")
    reader = PdfReader(io.BytesIO(certificate.path().read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Intyg om bekräftat avtal" in text
    assert "Bekräftat av Lisa Sysadmin" in text

    j.page.context.clear_cookies()
    j.log_in(world.firm_admin.user.email, factories.PASSWORD)
    j.goto("/byra/avtal/klienter/?visa=alla")
    row = j.page.get_by_role("row", name=re.compile("Bageriet Solsidan AB"))
    expect(row).to_contain_text(re.compile(r"Bekräftat \d{4}-\d{2}-\d{2}, v1"))
    j.snap("firm sees it confirmed")
    # The firm's side downloads the same certificate.
    with j.page.expect_download(timeout=60_000) as firm_download:
        j.click(row.get_by_role("link", name="Ladda ned intyg för PuB-avtal, Bageriet Solsidan AB"))
    assert firm_download.value.suggested_filename == certificate.suggested_filename
