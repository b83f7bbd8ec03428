"""Mobile numbers, parsed with phonenumbers and stored as E.164 (default SE)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
