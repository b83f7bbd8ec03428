"""Forms for changing a collaboration ("Samarbeten"): licences per program,
plan and invoice recipient. Plain forms: they post without JavaScript; HTMX
swaps the same form fragment in place."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Plan, Program, Subscription
from collaboration.changes.services import MAX_SEATS, RecipientChoice, recipient_choice_of
from firm_portal.models import Firm
from firm_portal.request_data import StrictIntegerField
from licensing.models import SubscriptionBilling


class LicensesForm(forms.Form):
    """One number field per program ("Antal licenser"), with the seats in use as help."""

    def __init__(
        self,
        *args: Any,
        programs: list[Program],
        seats: dict[int, int],
        used: dict[int, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programs = programs
        for program in programs:
            self.fields[f"seats_{program.code}"] = StrictIntegerField(
                label=program.name,
                min_value=0,
                max_value=MAX_SEATS,
                initial=seats.get(program.pk, 0),
                help_text=_("%(used)s används") % {"used": used.get(program.pk, 0)},
                error_messages={
                    "required": _("Ange antalet licenser (0 om inga)."),
                    "invalid": _("Ange ett heltal."),
                    "min_value": _("Ange ett antal mellan 0 och %(max)s.") % {"max": MAX_SEATS},
                    "max_value": _("Ange ett antal mellan 0 och %(max)s.") % {"max": MAX_SEATS},
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
            )

    def seats_by_program(self) -> dict[int, int]:
        return {p.pk: self.cleaned_data[f"seats_{p.code}"] for p in self.programs}


class PlanForm(forms.Form):
    plan = forms.ChoiceField(
        label=gettext_lazy("Variant"),
        choices=Plan.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Välj en variant.")},
    )

    def __init__(self, *args: Any, subscription: Subscription, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"plan": subscription.plan})
        super().__init__(*args, **kwargs)


class RecipientForm(forms.Form):
    """ "Fakturamottagare". The firm side offers its own firm; the customer's
    side offers the customer, and the paying firm's current choices."""

    recipient = forms.ChoiceField(
        label=gettext_lazy("Fakturamottagare"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Välj vem som ska få fakturan.")},
    )

    def __init__(
        self,
        *args: Any,
        billing: SubscriptionBilling | None,
        firm: Firm | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"recipient": recipient_choice_of(billing)})
        super().__init__(*args, **kwargs)
        choices = [(RecipientChoice.CLIENT, _("Kunden"))]
        if firm is not None:
            choices += [
                (
                    RecipientChoice.FIRM,
                    _("%(firm)s – egen faktura per kund") % {"firm": firm.name},
                ),
                (
                    RecipientChoice.FIRM_CONSOLIDATED,
                    _("%(firm)s – på samlingsfakturan (kräver återförsäljaravtal)")
                    % {"firm": firm.name},
                ),
            ]
        self.fields["recipient"].choices = choices  # type: ignore[attr-defined]
