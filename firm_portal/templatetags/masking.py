"""Personnummer and mobile numbers, masked where the reader does not need them
in full: lists, exports, Django admin's list pages. The full value is shown
only on the person's own page and support's change form.

    {% load masking %}{{ user.personal_number|personnummer_masked }}  → 19850101-****
    {{ user.mobile|mobile_masked }}                                     → +46 70 *** ** 67

The same functions are used by CSV exports and the admin (import them from here).
"""

import phonenumbers
from django import template

register = template.Library()


@register.filter
def personnummer_masked(value: object) -> str:
    """The birth date stays (it tells people apart), the last four digits go."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    if not digits:
        return ""
    if len(digits) == 12:
        return f"{digits[:8]}-****"
    if len(digits) == 10:
        return f"{digits[:6]}-****"
    return "*" * len(digits)


@register.filter
def mobile_masked(value: object) -> str:
    """Country code, the operator prefix and the last two digits stay."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "SE")
    except phonenumbers.NumberParseException:
        return "*" * min(len(text), 12)
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} {'*' * len(national)}"
    return f"+{number.country_code} {national[:2]} *** ** {national[-2:]}"
