from django import forms
from django.utils.translation import gettext_lazy as _

from firm_portal.request_data import BoundedDateField


class MembershipEndDateForm(forms.Form):
    """ "Åtkomst till och med" on "Administrera användare"; empty is tills vidare."""

    ends_on = BoundedDateField(label=_("Åtkomst till och med"))
