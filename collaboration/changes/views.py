""" "Samarbeten": the firm's collaborations (/byra/samarbeten/), one
collaboration with its changes (/klienter/<n>/samarbete/), the customer's
side of the same changes (/abonnemang/<n>/andra/) and ending a collaboration
from either side, each behind a confirmation page.

Who: the firm's staff see the collaborations of the clients they see
(`consultant_clients`); the firm changes licences, plan and invoice recipient
only while it pays, through its admins or the responsible consultant, and
only firm admins end a collaboration (`firm_rights`). A subscription's
active sysadmins always may. Everyone else gets 404.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from clients.catalogue import plan_includes
from clients.models import Plan, Program, ProgramLevel, Subscription, SubscriptionLicense
from clients.selectors import subscription_for_sysadmin
from collaboration.changes import selectors, services
from collaboration.changes.forms import LicensesForm, PlanForm, RecipientForm
from collaboration.models import Coupling
from firm_portal.http import AuthenticatedHttpRequest
from firm_portal.models import Consultant, Firm
from firm_portal.request_data import SearchForm
from firm_portal.selectors import require_consultant
from licensing.reports.selectors import collaboration_cost

PER_PAGE = 25
DETAIL_TEMPLATE = "collaboration/collaborations_detail.html"
END_TEMPLATE = "collaboration/collaborations_end.html"


@login_required
@require_GET
def collaborations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Samarbeten" for the whole firm, paged, with search."""
    consultant = require_consultant(user=request.user)
    search = SearchForm(request.GET)
    query = search.query
    couplings = selectors.collaborations_for_consultant(consultant=consultant, query=query)
    if not search.is_valid():
        couplings = couplings.none()
    page = Paginator(couplings, PER_PAGE).get_page(request.GET.get("sida"))
    template = "collaboration/collaborations.html"
    if request.htmx and request.htmx.target == "collaboration-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "search_errors": search.error_list,
            "query_string": urlencode({"q": query}) if query else "",
            "consultant": consultant,
        },
    )


# --- One collaboration: the page and its three changes -----------------------------------


@dataclass
class Target:
    """The subscription being changed, seen from one side."""

    subscription: Subscription
    side: str
    coupling: Coupling | None = None  # the firm's collaboration (firm side)
    consultant: Consultant | None = None
    change_refusal: str = ""
    end_refusal: str = ""
    offered_firm: Firm | None = None  # the firm the recipient form offers

    @property
    def firm_id(self) -> int | None:
        return self.consultant.firm_id if self.consultant else None

    @property
    def paying_firm_id(self) -> int | None:
        return self.firm_id  # a firm-side change needs the firm to pay

    @property
    def url_licenses(self) -> str:
        return self.url("licenses")

    @property
    def url_plan(self) -> str:
        return self.url("plan")

    @property
    def url_recipient(self) -> str:
        return self.url("recipient")

    def url(self, kind: str) -> str:
        number = self.subscription.number
        if self.side == services.Side.FIRM:
            names = {
                "page": "collaboration:collaboration_detail",
                "licenses": "collaboration:collaboration_licenses",
                "plan": "collaboration:collaboration_plan",
                "recipient": "collaboration:collaboration_recipient",
            }
        else:
            names = {
                "page": "collaboration:subscription_change",
                "licenses": "collaboration:subscription_licenses",
                "plan": "collaboration:subscription_plan",
                "recipient": "collaboration:subscription_recipient",
            }
        return reverse(names[kind], kwargs={"number": number})


def _firm_target(request: AuthenticatedHttpRequest, number: int) -> Target:
    consultant = require_consultant(user=request.user)
    coupling = selectors.collaboration_for_consultant(consultant=consultant, number=number)
    rights = selectors.firm_rights(consultant=consultant, coupling=coupling)
    return Target(
        subscription=coupling.subscription,
        side=services.Side.FIRM,
        coupling=coupling,
        consultant=consultant,
        change_refusal=rights.change_refusal,
        end_refusal=rights.end_refusal,
        offered_firm=consultant.firm,
    )


def _client_target(request: AuthenticatedHttpRequest, number: int) -> Target:
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    subscription = selectors.subscription_with_details(subscription=subscription)
    billing = selectors.billing_of(subscription)
    return Target(
        subscription=subscription,
        side=services.Side.CLIENT,
        # A sysadmin can hand the invoice back to the customer, or move it
        # between the paying firm's invoice kinds; not to a firm that does not pay.
        offered_firm=billing.firm if billing and billing.firm_id else None,
    )


def _forms(target: Target, data: Any = None, bound: str = "") -> dict[str, Form]:
    subscription = target.subscription
    seats = dict(
        SubscriptionLicense.objects.filter(subscription=subscription).values_list(
            "program_id", "seats"
        )
    )
    # The plan's programs, and any other it still has licences of (to lower them).
    programs = [
        program
        for program in Program.objects.all()
        if plan_includes(plan=subscription.plan, program_code=program.code) or seats.get(program.pk)
    ]
    used = ProgramLevel.objects.filter(
        membership__subscription=subscription
    ).seats_used_by_program()
    billing = selectors.billing_of(subscription)
    return {
        "licenses_form": LicensesForm(
            data if bound == "licenses" else None, programs=programs, seats=seats, used=used
        ),
        "plan_form": PlanForm(data if bound == "plan" else None, subscription=subscription),
        "recipient_form": RecipientForm(
            data if bound == "recipient" else None, billing=billing, firm=target.offered_firm
        ),
    }


def _render_page(
    request: AuthenticatedHttpRequest,
    target: Target,
    forms: dict[str, Form] | None = None,
    *,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    subscription = target.subscription
    context: dict[str, Any] = {
        "target": target,
        "subscription": subscription,
        "coupling": target.coupling,
        "billing": selectors.billing_of(subscription),
        "cost": collaboration_cost(subscription=subscription),
        "effective_on": services.next_month_first(),
        "notice": notice,
        "plans": Plan.choices,
        **(forms or _forms(target)),
    }
    template = DETAIL_TEMPLATE
    if request.htmx:
        template += "#collaboration"
    return render(request, template, context, status=status)


@login_required
@require_GET
def collaboration_detail(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """One collaboration of the firm: what it is, what it costs, and the changes."""
    return _render_page(request, _firm_target(request, number))


@login_required
@require_GET
def subscription_change(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Ändra abonnemang" for the subscription's sysadmins."""
    return _render_page(request, _client_target(request, number))


def _refused(request: AuthenticatedHttpRequest, target: Target, message: str) -> HttpResponse:
    return _render_page(request, target, status=403, notice=message)


def _change(request: AuthenticatedHttpRequest, target: Target, kind: str) -> HttpResponse:
    """Apply one change from its form; the page again with errors, or the
    page (fragment for HTMX) with the confirmation."""
    if target.change_refusal:
        return _refused(request, target, target.change_refusal)
    forms = _forms(target, request.POST, bound=kind)
    form = forms[f"{kind}_form"]
    if form.is_valid():
        try:
            message = _apply(request, target, kind, form)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if request.htmx:
                # Fresh data for the whole fragment, with the confirmation in it.
                if target.side == services.Side.FIRM:
                    target = _firm_target(request, target.subscription.number)
                else:
                    target = _client_target(request, target.subscription.number)
                return _render_page(request, target, notice=message)
            messages.success(request, message)
            return redirect(target.url("page"))
    return _render_page(request, target, forms, status=422)


def _add_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _apply(request: AuthenticatedHttpRequest, target: Target, kind: str, form: Form) -> str:
    common: dict[str, Any] = {
        "actor": request.user,
        "subscription": target.subscription,
        "firm_id": target.firm_id,
        "paying_firm_id": target.paying_firm_id,
    }
    if isinstance(form, LicensesForm):
        changes = services.collaboration_licenses_set(seats=form.seats_by_program(), **common)
        return _licenses_changed_text(changes)
    if kind == "plan":
        change = services.collaboration_plan_change(plan=form.cleaned_data["plan"], **common)
        return _(
            "Varianten är ändrad från %(before)s till %(after)s. Den nya varianten gäller från "
            "i dag och faktureras per dag."
        ) % {
            "before": Plan(change.plan_before).label,
            "after": Plan(change.plan_after).label,
        }
    billing_change = services.collaboration_recipient_change(
        choice=form.cleaned_data["recipient"], firm=target.offered_firm, **common
    )
    return _("Fakturamottagaren är ändrad. Ändringen gäller från och med %(date)s.") % {
        "date": date_format(billing_change.effective_on, "j F Y")
    }


def _licenses_changed_text(changes: list[services.LicenseChangeResult]) -> str:
    if not changes:
        return _("Inga ändringar: antalet licenser är detsamma som förut.")
    summary = ", ".join(
        _("%(program)s %(before)s → %(after)s")
        % {"program": c.program.name, "before": c.before, "after": c.after}
        for c in changes
    )
    return _(
        "Licenserna är ändrade: %(summary)s. Ändringen gäller från i dag och faktureras per dag."
    ) % {"summary": summary}


def _post_view(side: str, kind: str):  # type: ignore[no-untyped-def]
    @login_required
    @require_POST
    def view(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
        target = (
            _firm_target(request, number)
            if side == services.Side.FIRM
            else _client_target(request, number)
        )
        return _change(request, target, kind)

    view.__name__ = f"{side}_{kind}"
    view.__doc__ = f"POST: change the collaboration's {kind} ({side} side)."
    return view


collaboration_licenses = _post_view(services.Side.FIRM, "licenses")
collaboration_plan = _post_view(services.Side.FIRM, "plan")
collaboration_recipient = _post_view(services.Side.FIRM, "recipient")
subscription_licenses = _post_view(services.Side.CLIENT, "licenses")
subscription_plan = _post_view(services.Side.CLIENT, "plan")
subscription_recipient = _post_view(services.Side.CLIENT, "recipient")


# --- Ending ----------------------------------------------------------------------------


def _end(
    request: AuthenticatedHttpRequest, coupling: Coupling, side: str, back_url: str
) -> HttpResponse:
    preview = selectors.collaboration_end_preview(coupling=coupling)
    context: dict[str, Any] = {
        "preview": preview,
        "coupling": coupling,
        "side": side,
        "back_url": back_url,
        "effective_on": services.next_month_first(),
    }
    template = END_TEMPLATE + ("#end-form" if request.htmx else "")
    if request.method == "POST":
        try:
            services.collaboration_end(actor=request.user, coupling=coupling, side=side)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            return render(request, template, context, status=422)
        messages.success(request, _ended_text(coupling, side, firm_paid=preview.firm_pays))
        done_url = (
            reverse("collaboration:collaborations")
            if side == services.Side.FIRM
            else reverse("collaboration:firm_collaboration", args=[coupling.subscription.number])
        )
        if request.htmx:
            return HttpResponseClientRedirect(done_url)
        return redirect(done_url)
    return render(request, template, context)


def _ended_text(coupling: Coupling, side: str, *, firm_paid: bool) -> str:
    message = _("Samarbetet med %(other)s är avslutat.") % {
        "other": coupling.subscription.client.name
        if side == services.Side.FIRM
        else coupling.firm.name
    }
    if firm_paid:
        message += " " + _("Kunden är fakturamottagare från och med %(date)s.") % {
            "date": date_format(services.next_month_first(), "j F Y")
        }
    return message


@login_required
@require_http_methods(["GET", "POST"])
def collaboration_end(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Avsluta samarbete" from the firm: a confirmation page, then the end."""
    target = _firm_target(request, number)
    if target.end_refusal or target.coupling is None:
        return _refused(request, target, target.end_refusal)
    return _end(request, target.coupling, services.Side.FIRM, target.url("page"))


@login_required
@require_http_methods(["GET", "POST"])
def subscription_end_coupling(
    request: AuthenticatedHttpRequest, number: int, coupling_id: int
) -> HttpResponse:
    """ "Avsluta samarbete" from the customer's side ("Byråsamarbete")."""
    subscription = subscription_for_sysadmin(user=request.user, number=number)
    coupling = selectors.coupling_for_sysadmin(subscription=subscription, coupling_id=coupling_id)
    return _end(
        request,
        coupling,
        services.Side.CLIENT,
        reverse("collaboration:firm_collaboration", args=[subscription.number]),
    )
