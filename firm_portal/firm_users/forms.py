""" "Administrera användare"'s forms: "Lägg till användare" and the number of
client-manager seats."""

from django import forms
from django.utils.translation import gettext_lazy as _

from firm_portal.emails import NormalizedEmailField, normalize_email
from firm_portal.phone import normalize_mobile
from firm_portal.request_data import StrictIntegerField


class ConsultantInviteForm(forms.Form):
    """ "Lägg till användare" for the firm."""

    full_name = forms.CharField(label=_("Namn"), max_length=200)
    email = NormalizedEmailField(label=_("E-post"), max_length=254)
    mobile = forms.CharField(
        label=_("Mobilnummer"),
        max_length=30,
        required=False,
        help_text=_("Valfritt, t.ex. 070-123 45 67."),
    )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if any(not ch.isprintable() for ch in name):
            raise forms.ValidationError(_("Namnet innehåller otillåtna tecken."))
        return name

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])


class SeatChangeForm(forms.Form):
    count = StrictIntegerField(label=_("Antal licenser"), min_value=1, max_value=500, initial=1)
