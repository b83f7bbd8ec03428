from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from firm_portal.phone import normalize_mobile
from firm_portal.request_data import StrictIntegerField


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label=_("E-post"),
        help_text=_("Eller ditt användarnamn."),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("Fel e-post eller lösenord. Försök igen."),
        "inactive": _("Kontot är inaktiverat."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class ConsultantInviteForm(forms.Form):
    """ "Lägg till användare" for the firm."""

    full_name = forms.CharField(label=_("Namn"), max_length=200)
    email = forms.EmailField(label=_("E-post"), max_length=254)
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

    def clean_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["mobile"])


class SeatChangeForm(forms.Form):
    count = StrictIntegerField(label=_("Antal licenser"), min_value=1, max_value=500, initial=1)


class PasswordSetForm(SetPasswordForm):
    """Django's set-password form with the user's own validators."""


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset (single-use tokens that die when the password
    changes), with the email going through the outbox like every message."""

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, object],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from notifications.services import outbox_enqueue_email

        outbox_enqueue_email(to=to_email, template="password-reset", context=context)
