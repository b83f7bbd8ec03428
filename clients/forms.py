from django import forms
from django.utils.translation import gettext_lazy as _


class MembershipEndDateForm(forms.Form):
    """ "Åtkomst till och med" on "Administrera användare"; empty is tills vidare."""

    ends_on = forms.DateField(
        label=_("Åtkomst till och med"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
