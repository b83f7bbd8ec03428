from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from collaboration.requests.forms import MAX_START_DAYS_AHEAD, MAX_SUBSCRIPTION_NUMBER
from firm_portal.models import Consultant
from firm_portal.request_data import StrictIntegerField
from firm_portal.timeutils import today_in_stockholm
from licensing.pricing import Month


class ConsultantChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Consultant) -> str:  # type: ignore[override]
        return obj.user.full_name


class FirmChangeForm(forms.Form):
    """ "Byte av byrå": who is responsible and when the change happens."""

    START_MONTH = "month"
    START_DIRECT = "direct"

    org_number = forms.CharField(widget=forms.HiddenInput, max_length=20)
    subscription_number = StrictIntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_SUBSCRIPTION_NUMBER
    )
    responsible_consultant = ConsultantChoiceField(
        label=_("Ansvarig konsult"),
        queryset=Consultant.objects.none(),
        error_messages={
            "required": _("Välj ansvarig konsult."),
            "invalid_choice": _("Välj en ansvarig konsult från din byrå."),
        },
    )
    start = forms.ChoiceField(
        label=_("När sker bytet?"),
        choices=[
            (START_MONTH, _("Den första dagen i en månad")),
            (START_DIRECT, _("Direkt vid godkännande")),
        ],
        initial=START_MONTH,
        widget=forms.RadioSelect,
    )
    starts_on = forms.DateField(
        label=_("Datum för bytet"),
        required=False,
        help_text=_("Den första dagen i en månad, t.ex. den 1 i nästa månad."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, firm_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        consultants = (
            Consultant.objects.filter(firm_id=firm_id, is_active=True, user__is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        )
        self.fields["responsible_consultant"].queryset = consultants  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("starts_on", Month.of(today_in_stockholm()).next_first)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("start") != self.START_MONTH:
            cleaned["starts_on"] = None
            return cleaned
        starts_on: date | None = cleaned.get("starts_on")  # type: ignore[assignment]
        today = today_in_stockholm()
        if starts_on is None:
            if "starts_on" not in self.errors:
                self.add_error("starts_on", _("Ange datum för bytet."))
        elif starts_on.day != 1:
            self.add_error("starts_on", _("Bytet sker den första dagen i en månad."))
        elif starts_on <= today:
            self.add_error("starts_on", _("Välj den första dagen i en kommande månad."))
        elif (starts_on - today).days > MAX_START_DAYS_AHEAD:
            self.add_error("starts_on", _("Datumet kan ligga högst två år fram i tiden."))
        return cleaned
