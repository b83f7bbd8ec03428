"""Flow 5 views: the "Skapa nytt samarbete" wizard, its result page, resend
and cancel while the customer has not accepted, and the customer's
acceptance page (the emailed link).

The wizard keeps what was typed in the session, per step, until "Skapa
samarbete": nothing is written before. "Kunden" asks for the
organisationsnummer first and checks it before the other fields (an existing
customer goes on in "Ny klient"). Opened again with a wizard under way, the
page asks "Fortsätt där du slutade" or "Börja om". Only the fields of the
step's form are kept, each cut at MAX_VALUE_CHARS, so what a POST can add to
the session (which every later request decodes) is a few kilobytes whatever
is posted.
Every step is a full-page POST that works without JavaScript; with HTMX only
the step fragment is swapped."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from collaboration.models import CustomerAcceptance
from collaboration.new_customer import selectors, services
from collaboration.new_customer.forms import (
    AcceptTermsForm,
    AcceptWithPasswordForm,
    OrgNumberForm,
    PaymentForm,
)
from collaboration.new_customer.selectors import NewCustomerOrder, Offers, new_customer_cost
from collaboration.new_customer.services import AcceptanceError
from collaboration.new_customer.wizard import (
    STEP_TITLES,
    STEPS,
    Wizard,
    chosen_plan,
    first_invalid,
    step_form,
)
from collaboration.requests.services import CollaborationError, require_client_manager_seat
from collaboration.requests.views import no_seat_page
from firm_portal.http import AuthenticatedHttpRequest, next_url
from firm_portal.models import Consultant
from firm_portal.org_numbers import normalize_org_number
from firm_portal.selectors import consultant_for_user, require_consultant
from firm_portal.signed_links import ACCEPTANCE, link_invalid_response
from firm_portal.sms_allowance import held_sms_message, sms_left_today


def _render(
    request: AuthenticatedHttpRequest,
    consultant: Consultant,
    wizard: Wizard,
    offers: Offers,
    form: Any = None,
    **extra: Any,
) -> HttpResponse:
    step = wizard.step
    if form is None and step != "summary":
        form = step_form(wizard, consultant, offers, step, bound=False)
    context = _step_context(wizard, offers, form) | extra
    if step == "summary" and "order" not in extra:
        invalid_step, result = first_invalid(wizard, consultant, offers)
        if invalid_step is not None:
            wizard.step = invalid_step
            wizard.save()
            return _render(request, consultant, wizard, offers, form=result, org_first=False)
        context["order"] = result
    if "order" in context:
        context |= _order_context(consultant, offers, context["order"])
    if step == "payment":
        context["payment_costs"] = _payment_costs(wizard, consultant, offers)
    template = "collaboration/new_customer.html"
    if request.htmx:
        template += "#wizard"
    else:
        context["awaiting"] = selectors.awaiting_collaborations(consultant=consultant)
    return render(request, template, context)


def _step_context(wizard: Wizard, offers: Offers, form: Any) -> dict[str, Any]:
    """The page of the step under way: where in the wizard, and its form."""
    step = wizard.step
    return {
        "step": step,
        "step_number": STEPS.index(step) + 1,
        "step_count": len(STEPS),
        "steps": [(name, STEP_TITLES[name]) for name in STEPS],
        "done_steps": STEPS[: STEPS.index(step)],
        "form": form,
        "offers": offers,
        "plan_offer": offers.plan(chosen_plan(wizard, offers)) if offers.plans else None,
        # "Kunden": the organisationsnummer alone until it is checked.
        "org_first": step == "customer" and not wizard.org_checked,
        "org_checked": wizard.org_checked,
    }


def _order_context(
    consultant: Consultant, offers: Offers, order: NewCustomerOrder
) -> dict[str, Any]:
    """ "Sammanfattning": what the order costs, and any SMS the limit holds."""
    return {
        "cost": new_customer_cost(
            offers=offers, plan=order.plan, licenses=order.licenses, payment=order.payment
        ),
        "sms_warning": _sms_warning(consultant, order),
    }


def _sms_warning(consultant: Consultant, order: NewCustomerOrder) -> str:
    """Before "Skapa samarbete": how many of the request's SMS (one per
    typed mobile number) the firm's daily limit will hold ("" if none)."""
    wanted = sum(1 for number in (order.customer.contact_mobile,) if number)
    if not wanted:
        return ""
    held = wanted - min(wanted, sms_left_today(firm_id=consultant.firm_id))
    if not held:
        return ""
    return held_sms_message(count=held, limit=settings.SMS_DAILY_LIMIT_PER_FIRM)


def _payment_costs(wizard: Wizard, consultant: Consultant, offers: Offers) -> dict[str, Any]:
    """The monthly cost at list and (with Samlingsfaktura) reseller prices."""
    licenses_form = step_form(wizard, consultant, offers, "licenses", bound=True)
    if not licenses_form.is_valid():
        return {}
    plan = chosen_plan(wizard, offers)
    costs = {}
    for key, consolidated in (("list", False), ("reseller", True)):
        costs[key] = new_customer_cost(
            offers=offers,
            plan=plan,
            licenses=licenses_form.choices(),
            payment=selectors.PaymentChoice("firm", consolidated, 12),
        ).monthly
    return costs


@login_required
@require_http_methods(["GET", "POST"])
def wizard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Skapa nytt samarbete": five steps, "Tillbaka"/"Fortsätt", then "Skapa samarbete"."""
    try:
        consultant = require_client_manager_seat(consultant=consultant_for_user(user=request.user))
    except PermissionDenied:
        return no_seat_page(request)
    state = Wizard(request, consultant)
    offers = selectors.plan_offers(firm_id=consultant.firm_id)
    if not offers.plans:
        messages.error(request, _("Prislistan saknar priser för i dag. Kontakta support."))
        return redirect("home")
    if request.method == "GET":
        return _wizard_get(request, consultant, state, offers)
    return _wizard_post(request, consultant, state, offers)


def _wizard_post(
    request: AuthenticatedHttpRequest, consultant: Consultant, state: Wizard, offers: Offers
) -> HttpResponse:
    """A step posted: "Tillbaka", "Fortsätt", "Skapa samarbete", or the
    answer to "Fortsätt där du slutade"/"Börja om"."""
    action = request.POST.get("action", "next")
    if action == "reset":
        return _start_over(request, state)
    if action == "resume":
        return _render(request, consultant, state, offers)
    posted = request.POST.get("step", state.step)
    if posted not in STEPS:
        posted = state.step
    # "Kunden" with the organisationsnummer alone (before the other fields).
    org_first = posted == "customer" and request.POST.get("phase") == "org"
    typed = _keep_typed(request, consultant, state, offers, posted, org_first=org_first)
    if action == "back":
        state.step = STEPS[max(STEPS.index(posted) - 1, 0)]
        state.save()
        return _render(request, consultant, state, offers)
    if action == "create" and posted == "summary":
        return _create(request, consultant, state, offers)
    state.step = posted
    if org_first and typed is not None:
        return _check_org_number(request, consultant, state, offers, typed)
    return _step_forward(request, consultant, state, offers, typed=typed)


def _start_over(request: AuthenticatedHttpRequest, state: Wizard) -> HttpResponse:
    """ "Börja om": an empty wizard (with the organisationsnummer "Ny klient"
    sent along, if any)."""
    state.clear()
    org_number = _org_number_or_blank(request.POST.get("orgnr", ""))
    url = reverse("collaboration:new_customer")
    return redirect(f"{url}?{urlencode({'orgnr': org_number})}" if org_number else url)


def _keep_typed(
    request: AuthenticatedHttpRequest,
    consultant: Consultant,
    state: Wizard,
    offers: Offers,
    posted: str,
    *,
    org_first: bool,
) -> dict[str, str] | None:
    """What was typed in the step posted, kept in the wizard (None for
    "Sammanfattning", which has no fields)."""
    if posted == "summary":
        return None
    # The step's own fields only (a plan's programs for "Licenser").
    fields = step_form(state, consultant, offers, posted, bound=False).fields
    typed = {key: request.POST.get(key) or "" for key in fields if key in request.POST}
    if org_first:
        typed = {**state.data("customer"), **typed}
    state.keep(posted, typed)
    return typed


def _wizard_get(
    request: AuthenticatedHttpRequest, consultant: Consultant, state: Wizard, offers: Offers
) -> HttpResponse:
    """The step under way, or from "Ny klient" with its organisationsnummer."""
    org_number = _org_number_or_blank(request.GET.get("orgnr", ""))
    if state.under_way:
        # Left half-way (another page, a closed tab): ask before going on.
        return _render_resume(request, consultant, state, offers, org_number=org_number)
    if org_number:
        # From "Ny klient": the organisationsnummer that had no subscription.
        customer = state.data("customer")
        customer["org_number"] = org_number
        state.keep("customer", customer)
        if selectors.existing_customer(consultant=consultant, org_number=org_number) is None:
            state.org_checked = org_number
        state.save()
    return _render(request, consultant, state, offers)


def _step_forward(
    request: AuthenticatedHttpRequest,
    consultant: Consultant,
    state: Wizard,
    offers: Offers,
    *,
    typed: dict[str, str] | None,
) -> HttpResponse:
    """ "Fortsätt": the step's form checked, then the next step."""
    posted = state.step
    index = STEPS.index(posted)
    # Checked as typed, not as kept: a value over MAX_VALUE_CHARS is refused
    # with its real length.
    form = step_form(state, consultant, offers, posted, bound=True, data=typed)
    if form is not None and not form.is_valid():
        state.save()
        return _render(request, consultant, state, offers, form=form, org_first=False)
    if posted == "customer":
        # The number may have been changed since it was checked.
        org_number = form.cleaned_data["org_number"]
        existing = selectors.existing_customer(consultant=consultant, org_number=org_number)
        if existing is not None:
            state.org_checked = ""
            state.save()
            return _render(request, consultant, state, offers, form=form, existing=existing)
        state.org_checked = org_number
    state.step = STEPS[min(index + 1, len(STEPS) - 1)]
    state.save()
    return _render(request, consultant, state, offers)


def _org_number_or_blank(value: str) -> str:
    try:
        return normalize_org_number(value) if value else ""
    except ValidationError:
        return ""


def _render_resume(
    request: AuthenticatedHttpRequest,
    consultant: Consultant,
    state: Wizard,
    offers: Offers,
    *,
    org_number: str,
) -> HttpResponse:
    """ "Fortsätt där du slutade" or "Börja om" (with the organisationsnummer
    "Ny klient" sent along, if any)."""
    customer = state.data("customer")
    plan = state.data("plan").get("plan", "")
    return render(
        request,
        "collaboration/new_customer.html",
        {
            "resume": True,
            "step_number": STEPS.index(state.step) + 1,
            "step_count": len(STEPS),
            "step_title": STEP_TITLES[state.step],
            "plan_offer": offers.plans.get(plan),
            "customer_name": customer.get("name", ""),
            "customer_org_number": customer.get("org_number", ""),
            "orgnr": org_number,
            "awaiting": selectors.awaiting_collaborations(consultant=consultant),
        },
    )


def _check_org_number(
    request: AuthenticatedHttpRequest,
    consultant: Consultant,
    state: Wizard,
    offers: Offers,
    typed: dict[str, str],
) -> HttpResponse:
    """ "Kunden", first part: the organisationsnummer alone. A customer who
    already has a subscription is told so at once (and goes on in "Ny
    klient"); a new one gets the rest of the form."""
    form = OrgNumberForm(data={"org_number": typed.get("org_number", "")})
    if not form.is_valid():
        state.org_checked = ""
        state.save()
        return _render(request, consultant, state, offers, form=form, org_first=True)
    org_number = form.cleaned_data["org_number"]
    existing = selectors.existing_customer(consultant=consultant, org_number=org_number)
    if existing is not None:
        state.org_checked = ""
        state.save()
        return _render(
            request, consultant, state, offers, form=form, existing=existing, org_first=True
        )
    state.org_checked = org_number
    state.keep("customer", {**typed, "org_number": org_number})
    state.save()
    return _render(request, consultant, state, offers, org_first=False)


def _create(
    request: AuthenticatedHttpRequest, consultant: Consultant, state: Wizard, offers: Offers
) -> HttpResponse:
    """ "Skapa samarbete": every step checked again, then the collaboration."""
    invalid_step, result = first_invalid(state, consultant, offers)
    if invalid_step is not None:
        state.step = invalid_step
        state.save()
        return _render(request, consultant, state, offers, form=result, org_first=False)
    if not isinstance(result, NewCustomerOrder):
        raise TypeError(result)
    try:
        welcomed = services.new_customer_create(consultant=consultant, order=result)
    except ValidationError as error:
        form = _refused_at_step(state, consultant, offers, error)
        return _render(request, consultant, state, offers, form=form, org_first=False)
    except CollaborationError as error:
        state.step = "summary"
        state.save()
        return _render(request, consultant, state, offers, order=result, error=error.message)
    state.clear()
    return _created(request, welcomed, result)


def _refused_at_step(
    state: Wizard, consultant: Consultant, offers: Offers, error: ValidationError
) -> Any:
    """A rule that no longer holds (the agreement ended, the contact's
    account changed): back to the step it belongs to, message at its field."""
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    step = "customer" if "contact_email" in errors else "payment"
    state.step = step
    state.save()
    form = step_form(state, consultant, offers, step, bound=True)
    form.is_valid()
    for key, texts in errors.items():
        field = key if key in form.fields else PaymentForm.FIELD_OF_ERROR.get(key or "")
        for text in texts:
            form.add_error(field, text)
    return form


def _created(
    request: AuthenticatedHttpRequest, welcomed: services.Welcomed, order: NewCustomerOrder
) -> HttpResponse:
    subscription = welcomed.subscription
    messages.success(
        request,
        _(
            "Samarbetet med %(client)s är skapat. %(email)s har fått ett välkomstmejl för att "
            "godkänna villkoren."
        )
        % {"client": subscription.client.name, "email": order.customer.contact_email},
    )
    _tell_if_sms_held(request, welcomed)
    if request.htmx:
        return HttpResponseClientRedirect(_done_url(subscription.number))
    return redirect("collaboration:new_customer_done", number=subscription.number)


def _tell_if_sms_held(request: HttpRequest, welcomed: services.Welcomed) -> None:
    if welcomed.sms_held:
        messages.warning(
            request,
            held_sms_message(count=welcomed.sms_held, limit=settings.SMS_DAILY_LIMIT_PER_FIRM),
        )


def _done_url(number: int) -> str:
    return reverse("collaboration:new_customer_done", kwargs={"number": number})


@login_required
@require_GET
def done(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The created collaboration, and the firm's others that wait for the customer."""
    consultant = require_consultant(user=request.user)
    summary = selectors.created_collaboration(consultant=consultant, number=number)
    return render(
        request,
        "collaboration/new_customer_done.html",
        {
            "summary": summary,
            "awaiting": selectors.awaiting_collaborations(consultant=consultant),
        },
    )


def _back(request: HttpRequest, number: int) -> HttpResponse:
    return redirect(next_url(request, fallback=_done_url(number)))


@login_required
@require_POST
def resend(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Skicka igen": a new welcome email; the earlier link stops working."""
    consultant = require_consultant(user=request.user)
    coupling = selectors.awaiting_collaboration_for_consultant(consultant=consultant, number=number)
    try:
        welcomed = services.new_customer_resend(consultant=consultant, coupling=coupling)
    except CollaborationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Välkomstmejlet till %(client)s är skickat igen till %(email)s. "
                "Den tidigare länken gäller inte längre."
            )
            % {
                "client": coupling.subscription.client.name,
                "email": welcomed.acceptance.contact.email,
            },
        )
        _tell_if_sms_held(request, welcomed)
    return _back(request, number)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """ "Avbryt": the customer never accepted; the collaboration and the
    subscription end and the link stops working."""
    consultant = require_consultant(user=request.user)
    coupling = selectors.awaiting_collaboration_for_consultant(consultant=consultant, number=number)
    try:
        services.new_customer_cancel(consultant=consultant, coupling=coupling)
    except CollaborationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Samarbetet med %(client)s är avbrutet. Länken i välkomstmejlet gäller inte längre.")
            % {"client": coupling.subscription.client.name},
        )
    return _back(request, number)


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The welcome link: the terms and "Jag godkänner villkoren"; a contact
    account made with the collaboration also chooses its password here (and
    is then logged in), any other account logs in as itself first."""
    checked = selectors.acceptance_check(token=token)
    acceptance = checked.acceptance
    if checked.problem or acceptance is None:
        return _link_problem(request, checked.problem or "invalid", acceptance)
    signed_in = request.user if request.user.is_authenticated else None
    chooses_password = selectors.sets_password(acceptance)
    refused = _not_for_this_visitor(request, acceptance, signed_in, chooses_password)
    if refused is not None:
        return refused
    form: AcceptTermsForm | AcceptWithPasswordForm = (
        AcceptWithPasswordForm(acceptance.contact, request.POST or None)
        if chooses_password
        else AcceptTermsForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        return _accept(request, token, acceptance, signed_in, form)
    return render(
        request,
        "collaboration/new_customer_accept.html",
        {
            "form": form,
            "acceptance": acceptance,
            "terms": selectors.acceptance_terms(acceptance=acceptance),
            "sets_password": chooses_password,
        },
    )


def _not_for_this_visitor(
    request: HttpRequest,
    acceptance: CustomerAcceptance,
    signed_in: Any,
    chooses_password: bool,
) -> HttpResponse | None:
    """Another account signed in, or the contact's own account not yet:
    what to answer instead of the terms (None: go on)."""
    contact = acceptance.contact
    if signed_in is not None and signed_in.pk != contact.pk:
        return _link_problem(request, "wrong_user", acceptance)
    if not chooses_password and signed_in is None:
        if contact.is_active and contact.has_usable_password():
            return redirect_to_login(request.get_full_path())
        return _link_problem(request, "log_in_first", acceptance)
    return None


def _accept(
    request: HttpRequest,
    token: str,
    acceptance: CustomerAcceptance,
    signed_in: Any,
    form: AcceptTermsForm | AcceptWithPasswordForm,
) -> HttpResponse:
    """ "Jag godkänner villkoren": the collaboration starts; a new contact
    account is logged in with the password it chose."""
    chooses_password = isinstance(form, AcceptWithPasswordForm)
    try:
        subscription = services.new_customer_accept(
            token=token,
            user=signed_in,
            password=form.cleaned_data["new_password1"] if chooses_password else None,
        )
    except AcceptanceError as error:
        return _link_problem(request, error.problem, acceptance)
    contact = acceptance.contact
    if signed_in is None:
        contact.refresh_from_db()
        login(request, contact, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request,
        _("Välkommen! Villkoren är godkända och samarbetet med %(firm)s är igång för %(client)s.")
        % {"firm": acceptance.coupling.firm.name, "client": subscription.client.name},
    )
    return redirect("home")


def _link_problem(
    request: HttpRequest, problem: str, acceptance: CustomerAcceptance | None
) -> HttpResponse:
    return link_invalid_response(request, kind=ACCEPTANCE, problem=problem, acceptance=acceptance)
