"""Mobile numbers, parsed with phonenumbers and stored as E.164 (default SE).

Every form that takes a mobile number (client-user invitations, the new
customer's contact, a consultant, support's user form) cleans it here, so a
number from a country we do not text (settings.SMS_ALLOWED_REGIONS) is
refused at the field, in the same words everywhere."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.sms import sms_region_allowed

# The Nordic countries and territories by name; another configured region
# is shown by its code.
REGION_NAMES = {
    "SE": gettext_lazy("Sverige"),
    "NO": gettext_lazy("Norge"),
    "DK": gettext_lazy("Danmark"),
    "FI": gettext_lazy("Finland"),
    "IS": gettext_lazy("Island"),
    "AX": gettext_lazy("Åland"),
    "FO": gettext_lazy("Färöarna"),
    "GL": gettext_lazy("Grönland"),
}
REGION_ORDER = ("SE", "NO", "DK", "FI", "IS", "AX", "FO", "GL")


def allowed_countries() -> str:
    """ "Sverige, Norge, Danmark, Finland och Island" for the default setting."""
    regions = sorted(
        settings.SMS_ALLOWED_REGIONS,
        key=lambda code: (REGION_ORDER.index(code) if code in REGION_ORDER else 99, code),
    )
    names = [str(REGION_NAMES.get(code, code)) for code in regions]
    if len(names) == 1:
        return names[0]
    return _("%(first)s och %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def normalize_mobile(value: str) -> str:
    """ "" for empty; "+46701234567" for "070-123 45 67"; ValidationError otherwise."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "SE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("%(value)s är inte ett giltigt mobilnummer.") % {"value": raw}, code="invalid"
        )
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            _("%(value)s är inte ett mobilnummer.") % {"value": raw}, code="not_mobile"
        )
    if not sms_region_allowed(number):
        raise ValidationError(
            _(
                "Vi skickar bara sms till mobilnummer i %(countries)s – %(value)s är från "
                "ett annat land. Ange ett annat nummer eller lämna fältet tomt."
            )
            % {"countries": allowed_countries(), "value": raw},
            code="country",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
