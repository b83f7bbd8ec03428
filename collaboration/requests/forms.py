from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from firm_portal.models import Consultant
from firm_portal.org_numbers import normalize_org_number
from firm_portal.request_data import FilterForm, SearchField, StrictIntegerField
from firm_portal.timeutils import today_in_stockholm

MAX_SUBSCRIPTION_NUMBER = 10**12
# A start further ahead is a typing mistake (year 2205), not a plan.
MAX_START_DAYS_AHEAD = 2 * 366


class ClientLookupForm(forms.Form):
    """Step 1 of "Ny klient"."""

    org_number = forms.CharField(
        label=_("Organisationsnummer"),
        max_length=20,
        help_text=_("10 siffror, med eller utan bindestreck, t.ex. 556036-0793."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    subscription_number = StrictIntegerField(
        label=_("Abonnemangsnummer"),
        required=False,
        min_value=1,
        max_value=MAX_SUBSCRIPTION_NUMBER,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_org_number(self) -> str:
        return normalize_org_number(self.cleaned_data["org_number"])


class ConsultantSearchForm(FilterForm):
    """The live search for the responsible consultant in step 2."""

    consultant_query = SearchField(label=_("Sök ansvarig konsult"))

    @property
    def query(self) -> str:
        return self.text("consultant_query")


class CollaborationRequestForm(forms.Form):
    """Step 2: "Sammankoppling med befintligt abonnemang"."""

    START_DIRECT = "direct"
    START_DATE = "date"

    org_number = forms.CharField(widget=forms.HiddenInput, max_length=20)
    subscription_number = StrictIntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_SUBSCRIPTION_NUMBER
    )
    kind = forms.ChoiceField(
        label=_("Typ av samarbete"),
        choices=[("existing", _("Sammankoppling med befintligt abonnemang"))],
        initial="existing",
        widget=forms.RadioSelect,
    )
    consultant_query = SearchField(label=_("Sök ansvarig konsult"))
    responsible_consultant = forms.ModelChoiceField(
        label=_("Ansvarig konsult"),
        queryset=Consultant.objects.none(),
        error_messages={
            "required": _("Välj ansvarig konsult."),
            "invalid_choice": _("Välj en ansvarig konsult från din byrå."),
        },
    )
    start = forms.ChoiceField(
        label=_("Start"),
        choices=[
            (START_DIRECT, _("Direkt vid godkännande")),
            (START_DATE, _("Från ett visst datum")),
        ],
        initial=START_DIRECT,
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(
        label=_("Startdatum"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, firm_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["responsible_consultant"].queryset = Consultant.objects.filter(  # type: ignore[attr-defined]
            firm_id=firm_id, is_active=True, user__is_active=True
        ).select_related("user")

    def clean_org_number(self) -> str:
        return normalize_org_number(self.cleaned_data["org_number"])

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("start") == self.START_DATE:
            start_date = cleaned.get("start_date")
            if start_date is None:
                if "start_date" not in self.errors:
                    self.add_error("start_date", _("Ange ett startdatum."))
            elif start_date < today_in_stockholm():
                self.add_error("start_date", _("Startdatumet kan inte ligga i det förflutna."))
            elif start_date > today_in_stockholm() + timedelta(days=MAX_START_DAYS_AHEAD):
                self.add_error("start_date", _("Startdatumet kan ligga högst två år fram i tiden."))
        else:
            cleaned["start_date"] = None
        return cleaned
