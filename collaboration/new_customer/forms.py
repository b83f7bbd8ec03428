"""The steps of "Skapa nytt samarbete" and the customer's acceptance form.

Each step is a plain form bound to what the user typed (kept in the session
between steps); the rules that are not about one field live in services
(`billing_validate` for who pays)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personnummer

from clients.models import Level, Plan
from collaboration.new_customer.selectors import (
    MAX_SEATS_PER_PROGRAM,
    ROLE_LEVELS,
    CustomerDetails,
    LicenseChoice,
    PaymentChoice,
    PlanOffer,
)
from firm_portal.emails import NormalizedEmailField
from firm_portal.models import Firm
from firm_portal.org_numbers import normalize_org_number
from firm_portal.phone import normalize_mobile
from firm_portal.request_data import StrictIntegerField
from firm_portal.timeutils import today_in_stockholm
from licensing.billing import billing_validate
from licensing.models import AgreementPeriod, Recipient

SEPARATE = "separate"
CONSOLIDATED = "consolidated"


def normalize_personal_number(value: str) -> str:
    """ "" for empty; otherwise the 12 digits YYYYMMDDNNNN of a valid
    personnummer or samordningsnummer (10 or 12 digits, with or without "-"/"+")."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) not in (10, 12) or any(ch not in "0123456789-+ " for ch in raw):
        raise ValidationError(
            _("Personnumret ska ha 10 eller 12 siffror, till exempel 19811228-9874."),
            code="format",
        )
    try:
        compact = personnummer.validate(raw.replace(" ", ""))
        born = personnummer.get_birth_date(compact)
    except StdnumError:
        raise ValidationError(
            _("Personnumret %(value)s är inte giltigt. Kontrollera siffrorna.") % {"value": raw},
            code="checksum",
        ) from None
    return f"{born.year // 100}{digits[-10:]}"


def _one_line(value: str) -> str:
    text = " ".join((value or "").split())
    if any(not ch.isprintable() for ch in text):
        raise ValidationError(_("Texten innehåller otillåtna tecken."), code="unprintable")
    return text


class PlanForm(forms.Form):
    """Step 1: "Variant"."""

    plan = forms.ChoiceField(
        label=_lazy("Variant"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _lazy("Välj en variant."),
            "invalid_choice": _lazy("Välj en av varianterna i listan."),
        },
    )

    def __init__(self, *args: Any, plans: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(plan, Plan(plan).label) for plan in plans]  # type: ignore[attr-defined]


class LicensesForm(forms.Form):
    """Step 2: licences per program included in the plan, and the role
    (level) the primary contact gets in each."""

    def __init__(self, *args: Any, offer: PlanOffer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer = offer
        range_message = _("Ange ett antal mellan 0 och %(max)s.") % {"max": MAX_SEATS_PER_PROGRAM}
        for item in offer.programs:
            code, name = item.program.code, item.program.name
            self.fields[f"seats_{code}"] = StrictIntegerField(
                label=_("Antal licenser för %(program)s") % {"program": name},
                required=False,
                min_value=0,
                max_value=MAX_SEATS_PER_PROGRAM,
                initial=0,
                error_messages={
                    "invalid": range_message,
                    "min_value": range_message,
                    "max_value": range_message,
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "seats"}),
            )
            self.fields[f"role_{code}"] = forms.ChoiceField(
                label=_("Behörighet i %(program)s") % {"program": name},
                choices=[(level.value, level.label) for level in ROLE_LEVELS],
                initial=Level.ADMIN,
                required=False,
                error_messages={
                    "invalid_choice": _("Välj Rapportör, Attestansvarig eller Administratör.")
                },
            )

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"seats_{item.program.code}"], self[f"role_{item.program.code}"])
            for item in self.offer.programs
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = 0
        for item in self.offer.programs:
            code = item.program.code
            seats = cleaned.get(f"seats_{code}") or 0
            if seats and not cleaned.get(f"role_{code}") and f"role_{code}" not in self.errors:
                self.add_error(
                    f"role_{code}",
                    _("Välj behörighet för %(program)s.") % {"program": item.program.name},
                )
            chosen += seats
        if not chosen and not self.errors:
            raise ValidationError(
                _("Välj minst en licens. Primärkontakten använder en av dem."), code="no_licenses"
            )
        return cleaned

    def choices(self) -> list[LicenseChoice]:
        return [
            LicenseChoice(
                program=item.program,
                seats=self.cleaned_data[f"seats_{item.program.code}"],
                level=self.cleaned_data[f"role_{item.program.code}"],
            )
            for item in self.offer.programs
            if self.cleaned_data.get(f"seats_{item.program.code}")
        ]


def _required(message: Any) -> dict[str, Any]:
    return {"required": message}


class OrgNumberForm(forms.Form):
    """Step 3 begins with the organisationsnummer alone: a customer who
    already has a subscription (Visma scenario 1) is recognised before
    anything else is typed."""

    org_number = forms.CharField(
        label=_lazy("Organisationsnummer"),
        max_length=20,
        help_text=_lazy("10 siffror, med eller utan bindestreck, t.ex. 556036-0793."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages=_required(_lazy("Ange ett organisationsnummer.")),
    )

    def clean_org_number(self) -> str:
        return normalize_org_number(self.cleaned_data["org_number"])


class CustomerForm(OrgNumberForm):
    """Step 3: the customer and its primary contact."""

    name = forms.CharField(
        label=_lazy("Företagsnamn"),
        max_length=200,
        error_messages=_required(_lazy("Ange kundens företagsnamn.")),
    )
    street = forms.CharField(
        label=_lazy("Utdelningsadress"),
        max_length=200,
        error_messages=_required(_lazy("Ange kundens adress.")),
    )
    postal_code = forms.CharField(
        label=_lazy("Postnummer"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        error_messages=_required(_lazy("Ange postnummer.")),
    )
    city = forms.CharField(
        label=_lazy("Ort"), max_length=100, error_messages=_required(_lazy("Ange ort."))
    )
    email = NormalizedEmailField(
        label=_lazy("E-post för fakturor"),
        max_length=254,
        error_messages={
            "required": _lazy("Ange kundens e-postadress."),
            "invalid": _lazy("Ange en giltig e-postadress."),
        },
    )
    contact_name = forms.CharField(
        label=_lazy("Namn"),
        max_length=200,
        error_messages=_required(_lazy("Ange primärkontaktens namn.")),
    )
    contact_email = NormalizedEmailField(
        label=_lazy("E-post"),
        max_length=254,
        help_text=_lazy("Välkomstmejlet med länken för att godkänna villkoren skickas hit."),
        error_messages={
            "required": _lazy("Ange primärkontaktens e-postadress."),
            "invalid": _lazy("Ange en giltig e-postadress."),
        },
    )
    contact_mobile = forms.CharField(
        label=_lazy("Mobilnummer"),
        max_length=30,
        required=False,
        help_text=_lazy(
            "Valfritt, t.ex. 070-123 45 67. Då får kontakten också ett sms om välkomstmejlet."
        ),
    )
    contact_personal_number = forms.CharField(
        label=_lazy("Personnummer"),
        max_length=20,
        required=False,
        help_text=_lazy("Valfritt, t.ex. 19811228-9874. Behövs för inloggning med BankID."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_name(self) -> str:
        return _one_line(self.cleaned_data["name"])

    def clean_street(self) -> str:
        return _one_line(self.cleaned_data["street"])

    def clean_city(self) -> str:
        return _one_line(self.cleaned_data["city"])

    def clean_contact_name(self) -> str:
        return _one_line(self.cleaned_data["contact_name"])

    def clean_postal_code(self) -> str:
        raw = self.cleaned_data["postal_code"]
        digits = "".join(ch for ch in raw if ch.isdigit())
        if len(digits) != 5 or any(ch not in "0123456789 " for ch in raw):
            raise ValidationError(_("Ange postnumret med 5 siffror, t.ex. 123 45."))
        return f"{digits[:3]} {digits[3:]}"

    def clean_contact_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["contact_mobile"])

    def clean_contact_personal_number(self) -> str:
        return normalize_personal_number(self.cleaned_data["contact_personal_number"])

    def details(self) -> CustomerDetails:
        return CustomerDetails(**self.cleaned_data)


class PaymentForm(forms.Form):
    """Step 4: "Fakturamottagare", Samlingsfaktura and "Avtalsperiod"; the
    reseller-agreement rule is `billing_validate`'s."""

    recipient = forms.ChoiceField(
        label=_lazy("Fakturamottagare"),
        choices=Recipient.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _lazy("Välj vem som ska få fakturan."),
            "invalid_choice": _lazy("Välj vem som ska få fakturan."),
        },
    )
    invoice = forms.ChoiceField(
        label=_lazy("Fakturering när byrån betalar"),
        choices=[
            (SEPARATE, _lazy("Separat faktura för kunden")),
            (CONSOLIDATED, _lazy("Samlingsfaktura")),
        ],
        initial=SEPARATE,
        required=False,
        widget=forms.RadioSelect,
    )
    period_months = forms.TypedChoiceField(
        label=_lazy("Avtalsperiod"),
        choices=AgreementPeriod.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _lazy("Välj avtalsperiod."),
            "invalid_choice": _lazy("Avtalsperioden är 3 eller 12 månader."),
        },
    )

    FIELD_OF_ERROR = {
        "recipient": "recipient",
        "firm": "recipient",
        "consolidated": "invoice",
        "period_months": "period_months",
    }

    def __init__(self, *args: Any, firm: Firm, reseller: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.firm = firm
        self.reseller = reseller

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        recipient = cleaned["recipient"]
        # Samlingsfaktura with the customer as payer is refused at the field
        # (billing_validate says why), never quietly dropped.
        cleaned["consolidated"] = cleaned["invoice"] == CONSOLIDATED
        try:
            billing_validate(
                recipient=recipient,
                firm=self.firm if recipient == Recipient.FIRM else None,
                consolidated=cleaned["consolidated"],
                period_months=cleaned["period_months"],
                starts_on=today_in_stockholm(),
            )
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(self.FIELD_OF_ERROR.get(key), message)
        return cleaned

    def choice(self) -> PaymentChoice:
        return PaymentChoice(
            recipient=self.cleaned_data["recipient"],
            consolidated=self.cleaned_data["consolidated"],
            period_months=self.cleaned_data["period_months"],
        )


class AcceptTermsForm(forms.Form):
    """The customer's acceptance, for a contact who already has a password."""

    accept_terms = forms.BooleanField(
        label=_lazy("Jag godkänner villkoren"),
        error_messages={
            "required": _lazy("Kryssa i att du godkänner villkoren för att fortsätta.")
        },
    )


class AcceptWithPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The acceptance with the new password (checked by the password validators)."""

    accept_terms = AcceptTermsForm.base_fields["accept_terms"]
