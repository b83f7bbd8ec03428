"""Flow 7, "Byte av byrå": the asking firm's form (reached from "Ny klient"),
the list and page of a change for every party, and the answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.models import Subscription
from collaboration.firm_change import selectors, services
from collaboration.firm_change.forms import FirmChangeForm
from collaboration.models import FirmChange
from collaboration.requests.forms import ClientLookupForm
from collaboration.requests.selectors import Lookup, LookupOutcome, subscription_lookup
from collaboration.requests.services import CollaborationError
from collaboration.requests.views import no_seat_page
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant
from firm_portal.selectors import consultant_for_user


def _lookup(consultant: Consultant, data: QueryDict) -> Lookup | None:
    """The subscription named by the (hidden) fields, checked as "Ny klient" does."""
    form = ClientLookupForm(
        {key: data.get(key, "") for key in ("org_number", "subscription_number")}
    )
    if not form.is_valid():
        return None
    try:
        return subscription_lookup(
            consultant=consultant,
            org_number=form.cleaned_data["org_number"],
            subscription_number=form.cleaned_data["subscription_number"],
        )
    except ValidationError:
        return None


def _form_context(consultant: Consultant, subscription: Subscription) -> dict[str, object]:
    others = selectors.other_firms_coupled(subscription=subscription, firm_id=consultant.firm_id)
    own = selectors.client_has_own_sysadmin(subscription=subscription)
    return {
        "subscription": subscription,
        "client": subscription.client,
        "other_firms": len(others),
        "other_firms_message": services.other_firms_message(len(others))
        if len(others) != 1
        else "",
        "no_own_sysadmin": ""
        if own
        else selectors.no_own_sysadmin_message(subscription=subscription),
    }


def _form(
    request: AuthenticatedHttpRequest, consultant: Consultant, subscription: Subscription
) -> FirmChangeForm:
    initial = {
        "org_number": subscription.client.org_number,
        "subscription_number": subscription.number,
        "responsible_consultant": consultant.pk,
    }
    data = request.POST if request.method == "POST" else None
    return FirmChangeForm(data, initial=initial, firm_id=consultant.firm_id)


@login_required
@require_http_methods(["GET", "POST"])
def new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Byte av byrå" from "Ny klient": the responsible consultant and the date."""
    consultant = consultant_for_user(user=request.user)
    if consultant is None or not consultant.has_client_manager_seat:
        return no_seat_page(request)
    lookup = _lookup(consultant, request.POST if request.method == "POST" else request.GET)
    if lookup is None:
        messages.error(request, _("Börja om med organisationsnumret."))
        return redirect("collaboration:new_client")
    if lookup.outcome != LookupOutcome.FOUND or lookup.subscription is None:
        return render(request, "collaboration/firm_change/new.html", {"lookup": lookup})
    form = _form(request, consultant, lookup.subscription)
    if request.method == "POST" and form.is_valid():
        change = _send(request, form, consultant, lookup.subscription)
        if change is not None:
            return redirect("collaboration:firm_change_detail", change_id=change.pk)
    context = {"form": form, **_form_context(consultant, lookup.subscription)}
    status = 422 if form.errors else 200
    return render(request, "collaboration/firm_change/new.html", context, status=status)


def _send(
    request: AuthenticatedHttpRequest,
    form: FirmChangeForm,
    consultant: Consultant,
    subscription: Subscription,
) -> FirmChange | None:
    try:
        change = services.firm_change_send(
            consultant=consultant,
            subscription=subscription,
            responsible=form.cleaned_data["responsible_consultant"],
            starts_on=form.cleaned_data["starts_on"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    except CollaborationError as error:
        form.add_error(None, error.message)
        return None
    messages.success(
        request,
        _("Begäran om byte av byrå är skickad till %(client)s.")
        % {"client": subscription.client.name},
    )
    return change


@login_required
@require_GET
def changes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Byte av byrå": every change the user is a party to."""
    consultant = consultant_for_user(user=request.user)
    rows = selectors.firm_changes_for_user(user=request.user, consultant=consultant)[:100]
    return render(request, "collaboration/firm_change/list.html", {"changes": rows})


def _fetch(request: AuthenticatedHttpRequest, change_id: int) -> tuple[FirmChange, selectors.Roles]:
    consultant = consultant_for_user(user=request.user)
    change = selectors.firm_change_for_user(
        user=request.user, consultant=consultant, change_id=change_id
    )
    return change, selectors.firm_change_roles(
        change=change, user=request.user, consultant=consultant
    )


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, change_id: int) -> HttpResponse:
    """One change: what happens on the date, and the answers the user may give."""
    change, roles = _fetch(request, change_id)
    preview = None
    if change.status in FirmChange.OPEN_STATUSES and roles.sees_details:
        preview = selectors.firm_change_preview(change=change)
    return render(
        request,
        "collaboration/firm_change/detail.html",
        {"change": change, "roles": roles, "preview": preview},
    )


def _done_message(change: FirmChange) -> str:
    return _(
        "Bytet av byrå är genomfört: %(firm)s har tagit över. Tilldela behörigheter till konsulten."
    ) % {"firm": change.new_firm.name}


@login_required
@require_POST
def approve(request: AuthenticatedHttpRequest, change_id: int) -> HttpResponse:
    """ "Jag godkänner"."""
    change, roles = _fetch(request, change_id)
    if not roles.decides:
        raise PermissionDenied(_("Bytet av byrå godkänns av kundens egna systemadministratörer."))
    try:
        change = services.firm_change_approve(
            user=request.user, subscription=change.subscription, change_id=change.pk
        )
    except CollaborationError as error:
        messages.warning(request, error.message)
        return redirect("collaboration:firm_change_detail", change_id=change.pk)
    if change.status == FirmChange.Status.DONE:
        messages.success(request, _done_message(change))
        # The old firm's sysadmin who approved has left the subscription.
        if change.decided_by_old_firm:
            return redirect("home")
        return redirect("clients:permissions", number=change.subscription.number)
    messages.success(
        request,
        _("Bytet av byrå är godkänt och sker %(date)s.") % {"date": change.starts_on},
    )
    return redirect("collaboration:firm_change_detail", change_id=change.pk)


@login_required
@require_POST
def refuse(request: AuthenticatedHttpRequest, change_id: int) -> HttpResponse:
    """ "Avböj"."""
    change, roles = _fetch(request, change_id)
    if not roles.decides:
        raise PermissionDenied(_("Bytet av byrå godkänns av kundens egna systemadministratörer."))
    try:
        services.firm_change_refuse(
            user=request.user, subscription=change.subscription, change_id=change.pk
        )
    except CollaborationError as error:
        messages.warning(request, error.message)
    else:
        messages.success(
            request,
            _("Bytet till %(firm)s är avböjt. Byrån har fått besked.")
            % {"firm": change.new_firm.name},
        )
    return redirect("collaboration:firm_change_detail", change_id=change.pk)


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: AuthenticatedHttpRequest, change_id: int) -> HttpResponse:
    """ "Avbryt bytet": a confirmation page, then the cancellation on "Ja"."""
    change, roles = _fetch(request, change_id)
    if not roles.cancels:
        raise PermissionDenied(_("Bytet av byrå kan avbrytas av den nya byrån och av kunden."))
    if request.method == "GET":
        return render(request, "collaboration/firm_change/cancel.html", {"change": change})
    try:
        services.firm_change_cancel(
            user=request.user,
            subscription=change.subscription,
            change_id=change.pk,
            by_new_firm=roles.new_firm,
        )
    except CollaborationError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Bytet av byrå är avbrutet. Inget ändras."))
    return redirect("collaboration:firm_change_detail", change_id=change.pk)
