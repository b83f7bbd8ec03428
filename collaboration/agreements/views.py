"""Flow 10's pages: the firm's "Avtal" (upload, versions), "Avtal per
klient" (status and "Be om bekräftelse"), the client's "Avtal" (the to-do
card's confirmation) and the downloads either side may make."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.selectors import subscription_for_sysadmin
from collaboration.agreements import certificate, selectors, services
from collaboration.agreements.forms import (
    AgreementAskForm,
    AgreementConfirmForm,
    AgreementUploadForm,
    ClientAgreementFilterForm,
)
from collaboration.agreements.services import AgreementsNotConfirmed
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.selectors import require_consultant

CLIENTS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def firm_agreements(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Avtal": the firm's agreements by kind and version; a new version."""
    consultant = require_consultant(user=request.user)
    services.require_firm_admin(consultant=consultant)
    posted = request.method == "POST"
    form = AgreementUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            document = services.agreement_upload(
                consultant=consultant,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                file=form.cleaned_data["document"],
            )
        except ValidationError as error:
            form.add_error("document", error)
        else:
            messages.success(
                request,
                _("%(title)s, version %(version)s, är uppladdat.")
                % {"title": document.title, "version": document.version},
            )
            return redirect("collaboration:firm_agreements")
    return render(
        request,
        "collaboration/agreements/firm_agreements.html",
        {"form": form, "documents": selectors.firm_documents(consultant=consultant)},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def firm_agreement_document(
    request: AuthenticatedHttpRequest, document_id: int
) -> HttpResponseBase:
    consultant = require_consultant(user=request.user)
    document = selectors.document_for_consultant(consultant=consultant, document_id=document_id)
    return certificate.stored_document_response(
        document.document, filename=f"{document.kind}-v{document.version}.pdf"
    )


@login_required
@require_GET
def client_agreements(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Avtal per klient": each client's status per kind, paged."""
    consultant = require_consultant(user=request.user)
    services.require_firm_admin(consultant=consultant)
    filters = ClientAgreementFilterForm(request.GET)
    current = {d.kind: d.version for d in selectors.current_documents(firm_id=consultant.firm_id)}
    rows = selectors.client_agreement_rows(
        consultant=consultant, current=current, missing_only=filters.missing_only
    )
    page = Paginator(rows, CLIENTS_PER_PAGE).get_page(request.GET.get("sida"))
    return render(
        request,
        "collaboration/agreements/client_agreements.html",
        {
            "filters": filters,
            "current": current,
            "page": page,
            "rows": selectors.client_agreement_status(rows=list(page.object_list), current=current),
            "max_per_send": services.MAX_SUBSCRIPTIONS_PER_SEND,
            "query_string": _without_page(request),
        },
    )


def _without_page(request: AuthenticatedHttpRequest) -> str:
    """The filters' query string for the paging links."""
    query = request.GET.copy()
    query.pop("sida", None)
    return query.urlencode()


@login_required
@require_POST
def ask_for_confirmation(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Be om bekräftelse": a to-do card at each ticked client."""
    consultant = require_consultant(user=request.user)
    services.require_firm_admin(consultant=consultant)
    form = AgreementAskForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["numbers"]))
        result = services.agreements_ask(
            consultant=consultant, numbers=form.cleaned_data["numbers"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _ask_message(result))
    return redirect("collaboration:client_agreements")


def _ask_message(result: services.AskResult) -> str:
    sent = ngettext(
        "%(count)s klient har fått ett att göra-kort med avtalen att bekräfta.",
        "%(count)s klienter har fått ett att göra-kort med avtalen att bekräfta.",
        result.asked,
    ) % {"count": result.asked}
    if result.already:
        sent += " " + ngettext(
            "%(count)s hade redan bekräftat eller fått avtalen.",
            "%(count)s hade redan bekräftat eller fått avtalen.",
            result.already,
        ) % {"count": result.already}
    return sent


@login_required
@require_http_methods(["GET", "POST"])
def subscription_agreements(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The client's "Avtal": the to-do card's agreements to confirm, one
    checkbox each, and the agreements confirmed before."""
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    asks = selectors.open_asks_for_subscription(subscription=subscription)
    form = AgreementConfirmForm(request.POST if request.method == "POST" else None, asks=asks)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.agreements_confirm(
                user=request.user, subscription=subscription, ticked=form.cleaned_data["agreement"]
            )
        except AgreementsNotConfirmed as error:
            form.add_error("agreement", error.message)
        else:
            messages.success(request, _confirmed_message(len(done)))
            return redirect("collaboration:subscription_agreements", number=subscription.number)
    confirmed = selectors.confirmed_for_subscription(subscription=subscription)
    return render(
        request,
        "collaboration/agreements/subscription_agreements.html",
        {"subscription": subscription, "form": form, "asks": asks, "confirmed": confirmed},
        status=422 if form.errors else 200,
    )


def _confirmed_message(count: int) -> str:
    return ngettext(
        "Avtalet är bekräftat. Intyget finns under Bekräftade avtal.",
        "%(count)s avtal är bekräftade. Intygen finns under Bekräftade avtal.",
        count,
    ) % {"count": count}


@login_required
@require_GET
def confirmation_document(
    request: AuthenticatedHttpRequest, confirmation_id: int
) -> HttpResponseBase:
    """The agreement as sent, for either side (the client's sysadmins, the
    firm's consultants who see the client)."""
    confirmation = selectors.confirmation_for_user(
        user=request.user, confirmation_id=confirmation_id
    )
    return certificate.document_response(confirmation)


@login_required
@require_GET
def confirmation_certificate(
    request: AuthenticatedHttpRequest, confirmation_id: int
) -> HttpResponse:
    """ "Intyg" (PDF): only for a confirmed agreement."""
    confirmation = selectors.confirmation_for_user(
        user=request.user, confirmation_id=confirmation_id, confirmed=True
    )
    return certificate.certificate_response(confirmation)
