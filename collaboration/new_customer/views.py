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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from collaboration.models import CustomerAcceptance
from collaboration.new_customer import selectors, services
from collaboration.new_customer.forms import (
    AcceptTermsForm,
    AcceptWithPasswordForm,
    CustomerForm,
    LicensesForm,
    OrgNumberForm,
    PaymentForm,
    PlanForm,
)
from collaboration.new_customer.selectors import NewCustomerOrder, Offers, new_customer_cost
from collaboration.new_customer.services import AcceptanceError
from collaboration.requests.services import CollaborationError, require_client_manager_seat
from collaboration.requests.views import no_seat_page
from firm_portal.http import AuthenticatedHttpRequest, next_url
from firm_portal.models import Consultant
from firm_portal.org_numbers import normalize_org_number
from firm_portal.selectors import consultant_for_user, require_consultant
from firm_portal.sms_allowance import held_sms_message, sms_left_today

SESSION_KEY = "new_customer_wizard"
STEPS = ("plan", "licenses", "customer", "payment", "summary")
STEP_TITLES = {
    "plan": gettext_lazy("Variant"),
    "licenses": gettext_lazy("Licenser"),
    "customer": gettext_lazy("Kunden"),
    "payment": gettext_lazy("Betalning"),
    "summary": gettext_lazy("Sammanfattning"),
}
# Longer than any field of the steps may be (254 characters at most), so a
# cut value still fails its field's own check.
MAX_VALUE_CHARS = 300


class Wizard:
    """The session state: the current step, the raw input of each step and
    the organisationsnummer "Kunden" has checked (a new customer)."""

    def __init__(self, request: HttpRequest, consultant: Consultant) -> None:
        self.request = request
        state = request.session.get(SESSION_KEY) or {}
        if state.get("firm") != consultant.firm_id or state.get("step") not in STEPS:
            state = {"firm": consultant.firm_id, "step": STEPS[0], "data": {}}
        self.state = state

    @property
    def under_way(self) -> bool:
        """Something was chosen or typed: opening the page again asks
        whether to continue or start over."""
        return bool(self.state["data"]) or self.step != STEPS[0]

    @property
    def org_checked(self) -> str:
        """The organisationsnummer found to have no subscription ("" before
        the check): until then "Kunden" asks for it alone."""
        return str(self.state.get("org_checked") or "")

    @org_checked.setter
    def org_checked(self, value: str) -> None:
        self.state["org_checked"] = value

    @property
    def step(self) -> str:
        return str(self.state["step"])

    @step.setter
    def step(self, value: str) -> None:
        self.state["step"] = value

    def data(self, step: str) -> dict[str, str]:
        return dict(self.state["data"].get(step) or {})

    def keep(self, step: str, data: dict[str, str]) -> None:
        self.state["data"][step] = {key: value[:MAX_VALUE_CHARS] for key, value in data.items()}

    def save(self) -> None:
        self.request.session[SESSION_KEY] = self.state

    def clear(self) -> None:
        self.request.session.pop(SESSION_KEY, None)


def _forms(
    wizard: Wizard,
    consultant: Consultant,
    offers: Offers,
    step: str,
    *,
    bound: bool,
    data: dict[str, str] | None = None,
) -> Any:
    """The form of `step`, bound to its stored input (validating) or showing
    it; `data` instead of the stored input for the step just posted."""
    stored = wizard.data(step) if data is None else data
    args: dict[str, Any] = {"data": stored} if bound else {"initial": stored}
    if step == "plan":
        return PlanForm(plans=list(offers.plans), **args)
    if step == "licenses":
        return LicensesForm(offer=offers.plan(_chosen_plan(wizard, offers)), **args)
    if step == "customer":
        return CustomerForm(**args)
    if step == "payment":
        return PaymentForm(firm=consultant.firm, reseller=offers.reseller, **args)
    return None


def _chosen_plan(wizard: Wizard, offers: Offers) -> str:
    plan = wizard.data("plan").get("plan", "")
    return plan if plan in offers.plans else next(iter(offers.plans))


def _first_invalid(
    wizard: Wizard, consultant: Consultant, offers: Offers
) -> tuple[str, Any] | tuple[None, NewCustomerOrder]:
    """Validate every step from the session: the first invalid step and its
    form, or (None, the order)."""
    cleaned: dict[str, Any] = {}
    for step in STEPS[:-1]:
        form = _forms(wizard, consultant, offers, step, bound=True)
        if not form.is_valid():
            return step, form
        cleaned[step] = form
    return None, NewCustomerOrder(
        plan=cleaned["plan"].cleaned_data["plan"],
        licenses=cleaned["licenses"].choices(),
        customer=cleaned["customer"].details(),
        payment=cleaned["payment"].choice(),
    )


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
        form = _forms(wizard, consultant, offers, step, bound=False)
    context: dict[str, Any] = {
        "step": step,
        "step_number": STEPS.index(step) + 1,
        "step_count": len(STEPS),
        "steps": [(name, STEP_TITLES[name]) for name in STEPS],
        "done_steps": STEPS[: STEPS.index(step)],
        "form": form,
        "offers": offers,
        "plan_offer": offers.plan(_chosen_plan(wizard, offers)) if offers.plans else None,
        # "Kunden": the organisationsnummer alone until it is checked.
        "org_first": step == "customer" and not wizard.org_checked,
        "org_checked": wizard.org_checked,
        **extra,
    }
    if step == "summary" and "order" not in extra:
        invalid_step, result = _first_invalid(wizard, consultant, offers)
        if invalid_step is not None:
            wizard.step = invalid_step
            wizard.save()
            return _render(request, consultant, wizard, offers, form=result, org_first=False)
        context["order"] = result
    if "order" in context:
        order = context["order"]
        context["cost"] = new_customer_cost(
            offers=offers, plan=order.plan, licenses=order.licenses, payment=order.payment
        )
        context["sms_warning"] = _sms_warning(consultant, order)
    if step == "payment":
        context["payment_costs"] = _payment_costs(wizard, consultant, offers)
    template = "collaboration/new_customer.html"
    if request.htmx:
        template += "#wizard"
    else:
        context["awaiting"] = selectors.awaiting_collaborations(consultant=consultant)
    return render(request, template, context)


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
    licenses_form = _forms(wizard, consultant, offers, "licenses", bound=True)
    if not licenses_form.is_valid():
        return {}
    plan = _chosen_plan(wizard, offers)
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

    action = request.POST.get("action", "next")
    if action == "reset":
        state.clear()
        org_number = _org_number_or_blank(request.POST.get("orgnr", ""))
        url = reverse("collaboration:new_customer")
        return redirect(f"{url}?{urlencode({'orgnr': org_number})}" if org_number else url)
    if action == "resume":
        return _render(request, consultant, state, offers)
    posted = request.POST.get("step", state.step)
    if posted not in STEPS:
        posted = state.step
    # "Kunden" with the organisationsnummer alone (before the other fields).
    org_first = posted == "customer" and request.POST.get("phase") == "org"
    typed: dict[str, str] | None = None
    if posted != "summary":
        # The step's own fields only (a plan's programs for "Licenser").
        fields = _forms(state, consultant, offers, posted, bound=False).fields
        typed = {key: request.POST.get(key) or "" for key in fields if key in request.POST}
        if org_first:
            typed = {**state.data("customer"), **typed}
        state.keep(posted, typed)
    index = STEPS.index(posted)
    if action == "back":
        state.step = STEPS[max(index - 1, 0)]
        state.save()
        return _render(request, consultant, state, offers)
    if action == "create" and posted == "summary":
        return _create(request, consultant, state, offers)

    state.step = posted
    if org_first and typed is not None:
        return _check_org_number(request, consultant, state, offers, typed)
    return _step_forward(request, consultant, state, offers, typed=typed)


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
    form = _forms(state, consultant, offers, posted, bound=True, data=typed)
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
    invalid_step, result = _first_invalid(state, consultant, offers)
    if invalid_step is not None:
        state.step = invalid_step
        state.save()
        return _render(request, consultant, state, offers, form=result, org_first=False)
    if not isinstance(result, NewCustomerOrder):
        raise TypeError(result)
    try:
        welcomed = services.new_customer_create(consultant=consultant, order=result)
    except ValidationError as error:
        # A rule that no longer holds (the agreement ended, the contact's
        # account changed): back to the step it belongs to, message at its field.
        errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        step = "customer" if "contact_email" in errors else "payment"
        state.step = step
        state.save()
        form = _forms(state, consultant, offers, step, bound=True)
        form.is_valid()
        for key, texts in errors.items():
            field = key if key in form.fields else PaymentForm.FIELD_OF_ERROR.get(key or "")
            for text in texts:
                form.add_error(field, text)
        return _render(request, consultant, state, offers, form=form, org_first=False)
    except CollaborationError as error:
        state.step = "summary"
        state.save()
        return _render(request, consultant, state, offers, order=result, error=error.message)
    state.clear()
    subscription = welcomed.subscription
    messages.success(
        request,
        _(
            "Samarbetet med %(client)s är skapat. %(email)s har fått ett välkomstmejl för att "
            "godkänna villkoren."
        )
        % {"client": subscription.client.name, "email": result.customer.contact_email},
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
    contact = acceptance.contact
    signed_in = request.user if request.user.is_authenticated else None
    if signed_in is not None and signed_in.pk != contact.pk:
        return _link_problem(request, "wrong_user", acceptance)
    chooses_password = selectors.sets_password(acceptance)
    if not chooses_password and signed_in is None:
        if contact.is_active and contact.has_usable_password():
            return redirect_to_login(request.get_full_path())
        return _link_problem(request, "log_in_first", acceptance)
    form: AcceptTermsForm | AcceptWithPasswordForm = (
        AcceptWithPasswordForm(contact, request.POST or None)
        if chooses_password
        else AcceptTermsForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.new_customer_accept(
                token=token,
                user=signed_in,  # type: ignore[arg-type]
                password=form.cleaned_data["new_password1"] if chooses_password else None,
            )
        except AcceptanceError as error:
            return _link_problem(request, error.problem, acceptance)
        if signed_in is None:
            contact.refresh_from_db()
            login(request, contact, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _(
                "Välkommen! Villkoren är godkända och samarbetet med %(firm)s är igång för "
                "%(client)s."
            )
            % {"firm": acceptance.coupling.firm.name, "client": subscription.client.name},
        )
        return redirect("home")
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


LINK_PROBLEM_STATUS = {"invalid": 404, "wrong_user": 403, "log_in_first": 403}


def _link_problem(
    request: HttpRequest, problem: str, acceptance: CustomerAcceptance | None
) -> HttpResponse:
    return render(
        request,
        "collaboration/new_customer_link_invalid.html",
        {"problem": problem, "acceptance": acceptance},
        status=LINK_PROBLEM_STATUS.get(problem, 410),
    )
