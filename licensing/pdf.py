"""Invoices as PDF (WeasyPrint), always in Swedish.

The HTML template carries its own CSS and loads nothing: the URL fetcher only
allows data: URLs, so no invoice text can make the renderer read a file or
call the network.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import override

from licensing.models import Invoice
from licensing.selectors import invoice_sections

TEMPLATE = "licensing/invoice_pdf.html"


def invoice_html(*, invoice: Invoice) -> str:
    with override("sv"):
        return render_to_string(
            TEMPLATE, {"invoice": invoice, "sections": invoice_sections(invoice=invoice)}
        )


def invoice_pdf(*, invoice: Invoice) -> bytes:
    # Imported here: WeasyPrint is heavy, and only this needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=invoice_html(invoice=invoice), url_fetcher=fetcher)
    pdf = document.write_pdf()
    if pdf is None:  # only when given a target to write to
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def invoice_filename(invoice: Invoice) -> str:
    return f"faktura-{invoice.number}.pdf"


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The PDF as a download (kept by no cache: firm_portal.middleware.PrivateNoStoreMiddleware)."""
    response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
    return response
