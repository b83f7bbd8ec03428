"""Fakturor: a firm's invoices ("/byra/fakturor/", firm admins) and a
subscription's invoices ("/abonnemang/<n>/fakturor/", its sysadmins), each
with its PDF. Anything not addressed to the caller is a 404."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clients.selectors import subscription_for_sysadmin
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.selectors import require_consultant
from licensing import pdf, selectors

LIST_TEMPLATE = "licensing/invoices.html"
PAGE_SIZE = 50


def _require_firm_admin(consultant: Consultant) -> None:
    if not consultant.is_firm_admin:
        raise PermissionDenied(_("Bara byråns administratörer kan se byråns fakturor."))


@login_required
@require_GET
def firm_invoices(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultant = require_consultant(user=request.user)
    _require_firm_admin(consultant)
    return render(
        request,
        LIST_TEMPLATE,
        {
            "heading": _("Fakturor"),
            "payer_name": consultant.firm.name,
            "page": Paginator(
                selectors.invoices_for_firm(consultant=consultant), PAGE_SIZE
            ).get_page(request.GET.get("sida")),
            "pdf_url_name": "licensing:firm_invoice_pdf",
            "subscription": None,
        },
    )


@login_required
@require_GET
def firm_invoice_pdf(request: AuthenticatedHttpRequest, invoice_number: int) -> HttpResponse:
    consultant = require_consultant(user=request.user)
    # Looked up first: another firm's invoice is a 404 whoever asks.
    invoice = selectors.invoice_for_firm(consultant=consultant, number=invoice_number)
    _require_firm_admin(consultant)
    return pdf.invoice_pdf_response(invoice)


@login_required
@require_GET
def subscription_invoices(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    return render(
        request,
        LIST_TEMPLATE,
        {
            "heading": _("Fakturor"),
            "payer_name": subscription.client.name,
            "page": Paginator(
                selectors.invoices_for_subscription(subscription=subscription), PAGE_SIZE
            ).get_page(request.GET.get("sida")),
            "pdf_url_name": "licensing:subscription_invoice_pdf",
            "subscription": subscription,
        },
    )


@login_required
@require_GET
def subscription_invoice_pdf(
    request: AuthenticatedHttpRequest, number: int, invoice_number: int
) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    invoice = selectors.invoice_for_subscription(
        subscription=subscription, number=invoice_number, user=request.user
    )
    return pdf.invoice_pdf_response(invoice)
