from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clients.models import Subscription
from clients.selectors import subscription_for_sysadmin
from collaboration.agreements.selectors import request_agreements_prefetch
from collaboration.agreements.services import AgreementsNotConfirmed
from collaboration.changes.selectors import BILLING, subscription_with_details
from collaboration.firm_change.selectors import open_changes_for_subscription, other_firms_coupled
from collaboration.models import CollaborationRequest, Coupling
from collaboration.requests import selectors, services
from collaboration.requests.forms import (
    ClientLookupForm,
    CollaborationRequestForm,
    ConsultantSearchForm,
)
from collaboration.requests.selectors import Lookup, LookupOutcome
from collaboration.requests.services import CollaborationError
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.selectors import (
    consultant_for_user,
    firm_admins,
    firm_consultants_search,
    require_consultant,
)
from licensing.reports import collaboration_cost


def _consultant_with_seat(request: AuthenticatedHttpRequest) -> Consultant:
    consultant = consultant_for_user(user=request.user)
    return services.require_client_manager_seat(consultant=consultant)


def no_seat_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    consultant = consultant_for_user(user=request.user)
    admins = firm_admins(firm_id=consultant.firm_id) if consultant else []
    return render(
        request,
        "collaboration/no_seat.html",
        {"consultant": consultant, "firm_admins": admins},
        status=403,
    )


def _step2_context(
    form: CollaborationRequestForm,
    consultant: Consultant,
    subscription: Subscription,
    search: ConsultantSearchForm,
) -> dict[str, object]:
    matches = (
        list(firm_consultants_search(consultant=consultant, query=search.query))
        if search.is_valid()
        else []
    )
    selected = form["responsible_consultant"].value()
    return {
        "step": 2,
        "form": form,
        "subscription": subscription,
        "client": subscription.client,
        "matches": matches,
        "search_errors": search.error_list,
        "selected_consultant": str(selected) if selected else "",
        # Coupled to another firm: "Byte av byrå" is offered beside it (flow 7).
        "firm_change_offered": bool(
            other_firms_coupled(subscription=subscription, firm_id=consultant.firm_id)
        ),
        # No cost preview: before the client's consent the firm learns that a
        # subscription exists and what the request costs the firm itself
        # (nothing until renewal), never the client's plan, licences, prices
        # or who pays them (README, Security). The sysadmin sees the full
        # preview before "Jag godkänner".
    }


def _render_wizard(
    request: AuthenticatedHttpRequest, context: dict[str, object], status: int = 200
) -> HttpResponse:
    """The whole page, or only the wizard when HTMX swaps it in place."""
    template = "collaboration/new_client.html"
    if request.htmx:
        template += "#wizard"
    return render(request, template, context, status=status)


def _lookup_context(consultant: Consultant, lookup: Lookup) -> dict[str, object]:
    """After "Fortsätt": step 2 for a subscription found, else why not."""
    if lookup.outcome != LookupOutcome.FOUND or lookup.subscription is None:
        return {"lookup": lookup, "needs_number": lookup.outcome == LookupOutcome.NEEDS_NUMBER}
    step2 = CollaborationRequestForm(
        initial={
            "org_number": lookup.subscription.client.org_number,
            "subscription_number": lookup.subscription.number,
            "responsible_consultant": consultant.pk,
        },
        firm_id=consultant.firm_id,
    )
    return _step2_context(step2, consultant, lookup.subscription, ConsultantSearchForm(QueryDict()))


@login_required
@require_http_methods(["GET", "POST"])
def new_client(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1 of "Ny klient": organisationsnummer, then "Fortsätt"."""
    try:
        consultant = _consultant_with_seat(request)
    except PermissionDenied:
        return no_seat_page(request)
    form = ClientLookupForm(request.POST or None)
    context: dict[str, object] = {"step": 1, "lookup_form": form}
    if request.method == "POST" and form.is_valid():
        try:
            lookup = selectors.subscription_lookup(
                consultant=consultant,
                org_number=form.cleaned_data["org_number"],
                subscription_number=form.cleaned_data["subscription_number"],
            )
        except ValidationError as error:
            form.add_error("subscription_number", error)
        else:
            context.update(_lookup_context(consultant, lookup))
    if form.errors.get("subscription_number"):
        context["needs_number"] = True
    return _render_wizard(request, context)


@login_required
@require_GET
def consultant_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Live search over the firm's consultants (HTMX fragment)."""
    try:
        consultant = _consultant_with_seat(request)
    except PermissionDenied:
        return no_seat_page(request)
    search = ConsultantSearchForm(request.GET)
    # Plain values in the shape the fragment reads (match.pk,
    # match.user.full_name, match.user.email): no model instances to build,
    # and dict lookups in the template.
    matches = (
        [
            {"pk": pk, "user": {"full_name": full_name, "email": email}}
            for pk, full_name, email in firm_consultants_search(
                consultant=consultant, query=search.query
            ).values_list("pk", "user__full_name", "user__email")
        ]
        if search.is_valid()
        else []
    )
    return render(
        request,
        "collaboration/new_client.html#consultant-results",
        {
            "matches": matches,
            "search_errors": search.error_list,
            "selected_consultant": request.GET.get("responsible_consultant", ""),
        },
    )


def _posted_lookup(
    consultant: Consultant, data: QueryDict
) -> tuple[ClientLookupForm, Lookup] | None:
    """Step 1 again with the numbers step 2 carried; None when they no
    longer hold (start over)."""
    lookup_form = ClientLookupForm(
        {
            "org_number": data.get("org_number", ""),
            "subscription_number": data.get("subscription_number", ""),
        }
    )
    if not lookup_form.is_valid():
        return None
    try:
        lookup = selectors.subscription_lookup(
            consultant=consultant,
            org_number=lookup_form.cleaned_data["org_number"],
            subscription_number=lookup_form.cleaned_data["subscription_number"],
        )
    except ValidationError:
        return None
    return lookup_form, lookup


def _send(
    form: CollaborationRequestForm,
    consultant: Consultant,
    subscription: Subscription,
    lookup: Lookup,
) -> bool:
    """Send the request of a valid form; False with the refusal on the form."""
    try:
        services.collaboration_request_send(
            consultant=consultant,
            subscription=subscription,
            responsible=form.cleaned_data["responsible_consultant"],
            start_date=form.cleaned_data["start_date"],
            checked=lookup,
        )
    except ValidationError as error:
        form.add_error(None, error)
    except CollaborationError as error:
        form.add_error(None, error.message)
    else:
        return True
    return False


def _sent(request: AuthenticatedHttpRequest, subscription: Subscription) -> HttpResponse:
    messages.success(
        request,
        _(
            "Förfrågan om samarbete är skickad till %(client)s. "
            "Systemadministratörerna har fått ett mejl."
        )
        % {"client": subscription.client.name},
    )
    if request.htmx:
        return HttpResponseClientRedirect("/")
    return redirect("home")


@login_required
@require_POST
def send_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send the request ("Skicka förfrågan"), or without JavaScript search ("Sök")."""
    try:
        consultant = _consultant_with_seat(request)
    except PermissionDenied:
        return no_seat_page(request)
    posted = _posted_lookup(consultant, request.POST)
    if posted is None:
        messages.error(request, _("Börja om med organisationsnumret."))
        return redirect("collaboration:new_client")
    lookup_form, lookup = posted
    context: dict[str, object] = {"step": 1, "lookup_form": lookup_form}
    subscription = lookup.subscription
    if lookup.outcome != LookupOutcome.FOUND or subscription is None:
        context["lookup"] = lookup
        return _render_wizard(request, context)
    search = ConsultantSearchForm(request.POST)
    form = CollaborationRequestForm(request.POST, firm_id=consultant.firm_id)
    if request.POST.get("action") == "search":
        form = CollaborationRequestForm(initial=request.POST.dict(), firm_id=consultant.firm_id)
    elif form.is_valid() and _send(form, consultant, subscription, lookup):
        return _sent(request, subscription)
    context.update(_step2_context(form, consultant, subscription, search))
    return _render_wizard(request, context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw_request(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """ "Återkalla": a confirmation page (as "Avsluta samarbete" and
    "Avsluta konsult" have), then the withdrawal on its "Ja" button."""
    consultant = require_consultant(user=request.user)
    collaboration_request = selectors.request_for_firm(consultant=consultant, request_id=request_id)
    if request.method == "GET":
        return render(
            request,
            "collaboration/withdraw_request.html",
            {
                "collaboration_request": selectors.request_with_details(
                    request_id=collaboration_request.pk
                ),
                "pending": collaboration_request.status == CollaborationRequest.Status.PENDING,
            },
        )
    try:
        services.collaboration_request_withdraw(
            consultant=consultant, request_id=collaboration_request.pk
        )
    except CollaborationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Förfrågan är återkallad."))
    return redirect("home")


@login_required
@require_GET
def firm_collaboration(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The "Byråsamarbete" page: pending requests and live couplings of a subscription."""
    subscription = subscription_for_sysadmin(
        user=request.user, number=number, select_related=BILLING
    )
    details = subscription_with_details(subscription=subscription)
    pending = selectors.pending_requests_for_subscription(subscription=subscription)
    request_agreements_prefetch(requests=pending)
    couplings = selectors.live_couplings_for_subscription(subscription=subscription)
    cost = collaboration_cost(subscription=details)
    return render(
        request,
        "collaboration/firm_collaboration.html",
        {
            "subscription": subscription,
            "pending": pending,
            "couplings": couplings,
            # Flow 5: what the subscription costs and its terms, before approving or changing.
            "cost": cost,
            "details": details,
            "firm_changes": open_changes_for_subscription(subscription=subscription),
        },
    )


@login_required
@require_POST
def approve_request(
    request: AuthenticatedHttpRequest, number: int, request_id: int
) -> HttpResponse:
    """Approve ("Jag godkänner"), then straight on to "Tilldela behörigheter"."""
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    try:
        coupling = services.collaboration_request_approve(
            user=request.user,
            subscription=subscription,
            request_id=request_id,
            ticked=request.POST.getlist("agreement"),
        )
    except CollaborationRequest.DoesNotExist:
        raise Http404("No such request") from None
    except (CollaborationError, AgreementsNotConfirmed) as error:
        messages.warning(request, error.message)
        return redirect("collaboration:firm_collaboration", number=subscription.number)
    messages.success(request, _approved_message(coupling))
    return redirect("clients:permissions", number=subscription.number)


@login_required
@require_POST
def reject_request(request: AuthenticatedHttpRequest, number: int, request_id: int) -> HttpResponse:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    collaboration_request = selectors.request_for_sysadmin(
        subscription=subscription, request_id=request_id
    )
    try:
        services.collaboration_request_reject(
            user=request.user,
            subscription=subscription,
            request_id=collaboration_request.pk,
        )
    except CollaborationError as error:
        messages.warning(request, error.message)
    else:
        messages.success(
            request,
            _("Förfrågan från %(firm)s är avböjd. Byrån har fått besked.")
            % {"firm": collaboration_request.firm.name},
        )
    return redirect("collaboration:firm_collaboration", number=subscription.number)


def _approved_message(coupling: Coupling) -> str:
    if coupling.status == coupling.Status.SCHEDULED:
        return _(
            "Samarbetet med %(firm)s är godkänt och börjar %(date)s. "
            "Tilldela behörigheter till konsulten."
        ) % {"firm": coupling.firm.name, "date": coupling.starts_on.isoformat()}
    return _("Samarbetet med %(firm)s är godkänt. Tilldela behörigheter till konsulten.") % {
        "firm": coupling.firm.name
    }
