"""The confirmation certificate ("Intyg om bekräftat avtal") as PDF
(WeasyPrint), always in Swedish, and the agreement itself as a download.

As with the invoices (licensing/pdf.py), the HTML template carries its own
CSS and loads nothing: the URL fetcher only allows data: URLs, so nothing a
firm or a client typed can make the renderer read a file or call the
network."""

from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import override

from collaboration.agreements.models import AgreementConfirmation

TEMPLATE = "collaboration/agreements/certificate_pdf.html"


def certificate_html(*, confirmation: AgreementConfirmation) -> str:
    with override("sv"):
        return render_to_string(
            TEMPLATE,
            {
                "confirmation": confirmation,
                "confirmed_at": timezone.localtime(confirmation.confirmed_at),
                "issued_at": timezone.localtime(),
            },
        )


def certificate_pdf(*, confirmation: AgreementConfirmation) -> bytes:
    # Imported here as in licensing/pdf.py: WeasyPrint is heavy, and only this needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=certificate_html(confirmation=confirmation), url_fetcher=fetcher).write_pdf()
    if pdf is None:  # only when given a target to write to
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf


def certificate_filename(confirmation: AgreementConfirmation) -> str:
    return (
        f"intyg-{confirmation.kind}-v{confirmation.version}-{confirmation.subscription.number}.pdf"
    )


def certificate_response(confirmation: AgreementConfirmation) -> HttpResponse:
    """The PDF as a download (kept by no cache: PrivateNoStoreMiddleware)."""
    response = HttpResponse(
        certificate_pdf(confirmation=confirmation), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(confirmation)}"'
    return response


def document_response(confirmation: AgreementConfirmation) -> FileResponse:
    """The agreement exactly as it was sent (the version the ask names)."""
    return stored_document_response(
        confirmation.document.document,
        filename=f"{confirmation.kind}-v{confirmation.version}.pdf",
    )


def stored_document_response(stored, *, filename: str) -> FileResponse:  # type: ignore[no-untyped-def]
    stored.open("rb")
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    return response
