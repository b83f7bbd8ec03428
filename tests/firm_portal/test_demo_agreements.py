"""The demo's agreements (Flow 10, firm_portal/management/demo/agreements.py):
what README's "Agreements (Flow 10)" paragraph promises is there."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from collaboration.models import AgreementConfirmation, AgreementDocument
from tests.firm_portal.demo_helpers import logged_in, seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_has_confirmed_agreements(empty_database_after_migrate, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    seed()

    norr = AgreementDocument.objects.filter(firm__name="Redovisningsbyrån Norr AB")
    assert sorted(norr.values_list("kind", "version")) == [
        ("engagement", 1),
        ("pub", 1),
        ("pub", 2),
    ]
    confirmed = AgreementConfirmation.objects.confirmed().get(
        subscription__client__name="Perssons Rör & Värme AB", kind="pub"
    )
    assert confirmed.confirmed_by_email == "per@kund.demo"
    with confirmed.document.document.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-")

    per = logged_in("per@kund.demo")
    page = per.get(
        reverse("collaboration:subscription_agreements", args=[confirmed.subscription.number])
    )
    assert "PuB-avtal Siffror &amp; Skatt" in page.text
    certificate = per.get(reverse("collaboration:confirmation_certificate", args=[confirmed.pk]))
    text = " ".join(PdfReader(io.BytesIO(certificate.content)).pages[0].extract_text().split())
    assert "Bekräftat av Per Persson" in text

    status = logged_in("anna@norr.demo").get(
        reverse("collaboration:client_agreements"), {"visa": "alla"}
    )
    for label in ("Bekräftat", ", v2", "Ny version finns", "Väntar på bekräftelse"):
        assert label in status.text, label
