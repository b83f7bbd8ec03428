from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Level
from firm_portal.request_data import BoundedDateField, StrictIntegerField


class MembershipEndDateForm(forms.Form):
    """ "Åtkomst till och med" on "Administrera användare"; empty is tills vidare."""

    ends_on = BoundedDateField(label=_("Åtkomst till och med"))


class AddLicenseForm(forms.Form):
    """ "Lägg till licens": the confirmation step. `medlem` and `niva`: the
    member and level chosen in the grid when the seats ran out (given to the
    member once the licence is added); `pris`: the monthly price the
    sysadmin was shown and confirms; `bekrafta`: the confirm button."""

    medlem = StrictIntegerField(required=False, min_value=1, max_value=2**31 - 1)
    niva = forms.ChoiceField(choices=[("", "")], required=False)
    pris = forms.DecimalField(required=False, max_digits=12, decimal_places=2)
    bekrafta = forms.BooleanField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["niva"].choices = [("", ""), *Level.choices]  # type: ignore[attr-defined]
