"""Forms for Flow 10: uploading an agreement, the client's confirmation
(a checkbox per agreement), the firm's "Be om bekräftelse" and its filter."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from collaboration.agreements.documents import validate_agreement_pdf
from collaboration.agreements.models import AgreementConfirmation, AgreementKind
from collaboration.agreements.services import MAX_SUBSCRIPTIONS_PER_SEND
from firm_portal.request_data import FilterForm, parse_id


class AgreementUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Typ av avtal"),
        choices=AgreementKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Välj typ av avtal."),
            "invalid_choice": _("Välj typ av avtal."),
        },
    )
    title = forms.CharField(
        label=_("Titel"),
        max_length=200,
        error_messages={
            "required": _("Skriv avtalets titel, som kunden ska se den."),
            "max_length": _("Titeln får vara högst %(limit_value)d tecken."),
        },
    )
    document = forms.FileField(
        label=_("Avtal (PDF)"),
        validators=[validate_agreement_pdf],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={
            "required": _("Välj avtalet som PDF."),
            "empty": _("Filen är tom. Välj avtalet som PDF."),
            "invalid": _("Välj avtalet som PDF."),
        },
    )


class AgreementConfirmForm(forms.Form):
    """The to-do card: one checkbox per open ask, ticked to confirm it."""

    agreement = forms.MultipleChoiceField(
        label=_("Avtal att bekräfta"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Kryssa i de avtal du bekräftar."),
            "invalid_choice": _("Avtalet finns inte längre att bekräfta. Ladda om sidan."),
        },
    )

    def __init__(self, *args: Any, asks: list[AgreementConfirmation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asks = asks
        self.fields["agreement"].choices = [(str(ask.pk), ask.title) for ask in asks]  # type: ignore[attr-defined]


class NumberListField(forms.Field):
    """Abonnemangsnummer from the ticked rows (ASCII digits only)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Välj minst en klient."),
        "invalid": _("Ett abonnemangsnummer är ogiltigt. Ladda om sidan och välj igen."),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        numbers = [parse_id(str(item).strip()) for item in values]
        if any(number is None or number <= 0 for number in numbers):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted({number for number in numbers if number is not None})


class AgreementAskForm(forms.Form):
    numbers = NumberListField(label=_("Klienter"))

    def clean_numbers(self) -> list[int]:
        numbers: list[int] = self.cleaned_data["numbers"]
        if len(numbers) > MAX_SUBSCRIPTIONS_PER_SEND:
            raise ValidationError(
                _("För många klienter: högst %(max)s per utskick, du valde %(count)s."),
                code="ask_too_many",
                params={"max": MAX_SUBSCRIPTIONS_PER_SEND, "count": len(numbers)},
            )
        return numbers


class ClientAgreementFilterForm(FilterForm):
    visa = forms.ChoiceField(
        label=_("Visa"),
        required=False,
        choices=[("saknas", _("Utan giltigt avtal")), ("alla", _("Alla klienter"))],
        error_messages={"invalid_choice": _("Välj Utan giltigt avtal eller Alla klienter.")},
    )

    @property
    def missing_only(self) -> bool:
        filters = self.filters
        return filters is None or filters["visa"] != "alla"
