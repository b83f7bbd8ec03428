"""The "Skapa nytt samarbete" wizard (flow 5): its state, kept in the
session per step until "Skapa samarbete", and the form of each step; the
pages are in collaboration.new_customer.views."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from collaboration.new_customer.forms import CustomerForm, LicensesForm, PaymentForm, PlanForm
from collaboration.new_customer.selectors import NewCustomerOrder, Offers
from firm_portal.models import Consultant

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


def step_form(
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
        return LicensesForm(offer=offers.plan(chosen_plan(wizard, offers)), **args)
    if step == "customer":
        return CustomerForm(**args)
    if step == "payment":
        return PaymentForm(firm=consultant.firm, reseller=offers.reseller, **args)
    return None


def chosen_plan(wizard: Wizard, offers: Offers) -> str:
    plan = wizard.data("plan").get("plan", "")
    return plan if plan in offers.plans else next(iter(offers.plans))


def first_invalid(
    wizard: Wizard, consultant: Consultant, offers: Offers
) -> tuple[str, Any] | tuple[None, NewCustomerOrder]:
    """Validate every step from the session: the first invalid step and its
    form, or (None, the order)."""
    cleaned: dict[str, Any] = {}
    for step in STEPS[:-1]:
        form = step_form(wizard, consultant, offers, step, bound=True)
        if not form.is_valid():
            return step, form
        cleaned[step] = form
    return None, NewCustomerOrder(
        plan=cleaned["plan"].cleaned_data["plan"],
        licenses=cleaned["licenses"].choices(),
        customer=cleaned["customer"].details(),
        payment=cleaned["payment"].choice(),
    )
