from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-post"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("Fel e-post eller lösenord. Försök igen."),
        "inactive": _("Kontot är inaktiverat."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()
