"""Forms of "Åtkomstgranskning". Choices among a firm's consultants are
checked by a set lookup (hundreds of them), as in the ledger's filter."""

from datetime import date
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collaboration.access_review.models import Decision
from firm_portal.request_data import (
    BoundedDateField,
    FilterForm,
    SearchField,
    StrictIntegerField,
)
from firm_portal.widgets import PlainChoices, PlainSelect


class IdChoiceField(forms.TypedChoiceField):
    """A choice among hundreds of ids, checked by a set lookup."""

    valid_keys: set[str] = set()

    def valid_value(self, value: object) -> bool:
        return str(value) in self.valid_keys


def _set_id_choices(field: forms.Field, choices: list[tuple[int, str]], empty: str) -> None:
    id_field = cast(IdChoiceField, field)
    id_field.valid_keys = {str(pk) for pk, _name in choices}
    id_field.choices = PlainChoices([("", empty), *choices])


def _id_field(label: Any) -> IdChoiceField:
    return IdChoiceField(
        label=label, required=False, coerce=int, empty_value=None, widget=PlainSelect
    )


class StartForm(forms.Form):
    due_on = BoundedDateField(label=gettext_lazy("Klar senast"), required=True)


class RowFilterForm(FilterForm):
    konsult = _id_field(gettext_lazy("Konsult"))
    q = SearchField(label=gettext_lazy("Klient"))
    visa = forms.ChoiceField(
        label=gettext_lazy("Visa"),
        required=False,
        choices=[
            ("", gettext_lazy("Alla")),
            ("obeslutade", gettext_lazy("Utan beslut")),
            ("beslutade", gettext_lazy("Med beslut")),
        ],
    )

    def __init__(self, data: QueryDict, *, consultants: list[tuple[int, str]]) -> None:
        super().__init__(data)
        _set_id_choices(self.fields["konsult"], consultants, _("Alla"))


class DecisionForm(forms.Form):
    """ "Behåll" / "Ta bort" (a button each); "Begränsa" has its own form."""

    decision = forms.ChoiceField(
        choices=[(Decision.KEEP, Decision.KEEP.label), (Decision.REMOVE, Decision.REMOVE.label)],
        error_messages={"required": gettext_lazy("Välj Behåll eller Ta bort.")},
    )


class RestrictForm(forms.Form):
    """ "Begränsa": a lower level (or none) per program, and/or an end date."""

    ends_on = BoundedDateField(label=gettext_lazy("Åtkomst till och med"))

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        programs: list[tuple[str, str, list[tuple[str, str]]]],
        current: dict[str, str],
    ) -> None:
        super().__init__(data)
        self.program_codes = [code for code, _name, _choices in programs]
        for code, name, choices in programs:
            self.fields[f"niva_{code}"] = forms.ChoiceField(
                label=name, choices=choices, initial=current.get(code, ""), required=False
            )

    def levels(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"niva_{code}") or "" for code in self.program_codes}

    def level_fields(self) -> list[forms.BoundField]:
        return [self[f"niva_{code}"] for code in self.program_codes]

    def ends_on_value(self) -> date | None:
        return cast(date | None, self.cleaned_data.get("ends_on"))


class BulkForm(forms.Form):
    """ "Behåll alla" / "Ta bort alla" for one consultant or one client."""

    decision = DecisionForm.base_fields["decision"]
    konsult = _id_field(gettext_lazy("Konsult"))
    klient = StrictIntegerField(
        label=gettext_lazy("Abonnemangsnummer"), required=False, min_value=1, max_value=10**12
    )

    def __init__(self, data: QueryDict, *, consultants: list[tuple[int, str]]) -> None:
        super().__init__(data)
        _set_id_choices(self.fields["konsult"], consultants, _("Välj konsult"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("konsult")) == bool(cleaned.get("klient")):
            raise forms.ValidationError(
                _("Välj en konsult eller ange ett abonnemangsnummer."), code="scope"
            )
        return cleaned


class ReviewerForm(forms.Form):
    """The reviewer named for a consultant ("" = the firm's admins)."""

    konsult = _id_field(gettext_lazy("Konsult"))
    granskare = _id_field(gettext_lazy("Granskare"))

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        consultants: list[tuple[int, str]],
        reviewers: list[tuple[int, str]],
    ) -> None:
        super().__init__(data, auto_id="id_reviewer_%s")  # beside the filter's "konsult"
        self.fields["konsult"].required = True
        self.fields["konsult"].error_messages["required"] = _("Välj konsult.")
        _set_id_choices(self.fields["konsult"], consultants, _("Välj konsult"))
        _set_id_choices(self.fields["granskare"], reviewers, _("Byråns administratörer"))
