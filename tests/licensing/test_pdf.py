"""The invoice PDF (WeasyPrint), read back with pypdf."""

import io
from decimal import Decimal

import pytest
from django.utils.translation import override
from pypdf import PdfReader

from clients.models import Plan
from licensing import billing
from licensing.pdf import invoice_html, invoice_pdf
from licensing.templatetags.invoice_format import format_kronor
from tests.licensing.factories import (
    ISSUED,
    NOVEMBER,
    Scenario,
    billed_subscription,
    consolidate,
)

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Thousands are separated by no-break spaces; compare with plain ones.
    return " ".join(text.replace("\xa0", " ").split())


def test_samlingsfaktura_pdf_shows_customers_lines_and_totals(scenario: Scenario) -> None:
    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    pdf = invoice_pdf(invoice=invoice)

    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in [
        "Faktura",
        "Samlingsfaktura",
        f"Fakturanummer {invoice.number}",
        "Fakturadatum 2025-12-01",
        "Förfallodatum 2025-12-31",
        f"OCR {invoice.ocr}",
        "Period november 2025",
        # Us, and the payer.
        "Byråportalen AB",
        "Org.nr 559261-4373",
        "Godkänd för F-skatt",
        "Bankgiro 505-1057",
        "Revisorerna Norr AB",
        f"Org.nr {scenario.firm.org_number}",
        "Storgatan 1",
        "903 26 Umeå",
        "Er referens: Anna Admin",
        # Each customer with org.nr, abonnemangsnummer and plan.
        "Bageriet Solsidan AB",
        f"Org.nr {scenario.bakery.client.org_number} · Abonnemang {scenario.bakery.number} · Smart",
        "Cykelverkstaden i Umeå AB",
        f"Abonnemang {scenario.bikes.number} · Start",
        # Lines: the price change and the added licence, pro rata.
        "Bokföring, licenser 1–9 nov (9/30 dagar) 2 119,00 71,40",
        "Bokföring, licenser 10–30 nov (21/30 dagar) 2 127,00 177,80",
        "Bokföring, tillagda licenser 15–30 nov (16/30 dagar) +1 127,00 67,73",
        "Summa Bageriet Solsidan AB 641,93",
        "Summa Cykelverkstaden i Umeå AB 249,00",
        "Byråns egna tjänster",
        "Klienthanteraren, licenser 1–30 nov 2 200,00 400,00",
        "Manuell koppling (blankett): Bageriet Solsidan AB 1 600,00 600,00",
        # Totals.
        "Summa exkl. moms 1 890,93 kr",
        "Moms 25 % 472,73 kr",
        "Att betala 2 363,66 kr",
    ]:
        assert expected in text, expected


def test_a_long_samlingsfaktura_runs_over_pages_with_numbers(scenario: Scenario) -> None:
    for n in range(40):
        customer = billed_subscription(f"Kund {n:02d} AB", Plan.SMART, {"bokforing": 1})
        consolidate(customer, scenario.firm)
    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    reader = PdfReader(io.BytesIO(invoice_pdf(invoice=invoice)))

    pages = len(reader.pages)
    assert pages > 1
    assert f"sida {pages} av {pages}" in reader.pages[-1].extract_text()
    assert "Att betala" in reader.pages[-1].extract_text()


def test_the_html_escapes_customer_names(scenario: Scenario) -> None:
    scenario.bakery.client.name = '<img src="file:///etc/passwd">'
    scenario.bakery.client.save(update_fields=["name"])
    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    html = invoice_html(invoice=invoice)

    assert "<img" not in html
    assert "&lt;img" in html
    invoice_pdf(invoice=invoice)  # renders without fetching anything


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "0,00"),
        ("1890.93", "1\xa0890,93"),
        ("-33.33", "-33,33"),
        ("1234567.5", "1\xa0234\xa0567,50"),
    ],
)
def test_kronor_format(value: str, text: str) -> None:
    assert format_kronor(Decimal(value)) == text


def test_the_pdf_is_swedish_whatever_the_language(scenario: Scenario) -> None:
    (invoice,) = billing.invoicing_run(month=NOVEMBER, issued_on=ISSUED)

    with override("en"):
        html = invoice_html(invoice=invoice)

    assert "november 2025" in html
    assert "Att betala" in html
