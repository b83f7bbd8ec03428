"""What a request carries, parsed strictly and in one place: ids and numbers,
search text and dates.

Python's own parsing is too lenient for request data: `"²".isdigit()` and
`"١٢".isdecimal()` are true, `int("²")` fails, `int()` of 5,000 digits
raises, a number past a bigint overflows the database, a date near year 1 or
9999 overflows once a day or a time zone is added to it, and PostgreSQL
refuses text with a NUL in it. Views never call `int()` on request data or
read a GET filter by hand: ids go through `parse_id`/`parse_ids`, and every
GET filter is a field of a `FilterForm` (search text through `SearchField`,
dates through `BoundedDateField`; model date fields people type into carry
`validate_date_in_range`)."""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Ids are bigints: at most 18 ASCII digits always fits.
_ID = re.compile(r"[0-9]{1,18}")
# A number in a form: its range is the field's to check; the bound keeps
# int() cheap and under Python's limit of 4,300 digits.
_INTEGER = re.compile(r"[-+]?[0-9]{1,1000}")
_DIGIT = re.compile(r"[0-9]")

# Dates a form may take: far enough apart for any real use, near enough that
# a day or a time zone more never leaves Python's or the database's range.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)

SEARCH_MAX_LENGTH = 100


def parse_id(value: object) -> int | None:
    """A database id or number given as 1–18 ASCII digits, else None (the
    caller treats it like an id nobody has)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    return int(value)


def parse_int(value: object) -> int | None:
    """A whole number in ASCII digits (at most 1,000 of them, with an
    optional sign), else None."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        return None
    return int(value)


def parse_ids(values: Iterable[object]) -> set[int]:
    """The valid ids among `values` (a `getlist`); the rest are left out."""
    return {number for number in map(parse_id, values) if number is not None}


def search_digits(query: str) -> str:
    """The ASCII digits of a search text (an organisationsnummer with or
    without its dash)."""
    return "".join(_DIGIT.findall(query))


def search_number(query: str) -> int | None:
    """The number a search text may stand for (an abonnemangsnummer typed
    with spaces or dashes): its ASCII digits, the first 18 of them."""
    digits = search_digits(query)[:18]
    return int(digits) if digits else None


def has_control_characters(text: str) -> bool:
    """Whether `text` has a control character (NUL, bell, escape, …)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


class SearchField(forms.CharField):
    """Free search text: at most 100 characters, no control characters
    (PostgreSQL refuses a NUL, and none of them can be typed into a search
    box). Optional and stripped, like every filter."""

    default_error_messages = {
        "control": gettext_lazy("Sökningen innehåller otillåtna tecken."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and has_control_characters(value):
            raise ValidationError(self.error_messages["control"], code="control")


class StrictIntegerField(forms.IntegerField):
    """An IntegerField for ASCII digits only: Django's takes any Unicode
    digit ("١٢" is 12) and hands thousands of digits to int(), which raises."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = parse_int(str(value).strip())
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


def validate_date_in_range(value: date) -> None:
    """Dates between DATE_MIN and DATE_MAX: the model fields people type
    dates into carry it too, so admin's forms refuse far dates in Swedish."""
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _("Ange ett datum mellan %(min)s och %(max)s.")
            % {"min": date_format(DATE_MIN, "Y-m-d"), "max": date_format(DATE_MAX, "Y-m-d")},
            code="out_of_range",
        )


class BoundedDateField(forms.DateField):
    """A date between DATE_MIN and DATE_MAX (optional unless told)."""

    default_validators = [validate_date_in_range]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)


class FilterForm(forms.Form):
    """The GET filters of a page, always bound to the query string (an empty
    one filters nothing). Invalid, the page shows the Swedish messages at the
    fields and an empty result: `filters` is None."""

    def __init__(self, data: QueryDict, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)

    @property
    def filters(self) -> dict[str, Any] | None:
        return self.cleaned_data if self.is_valid() else None

    @property
    def error_list(self) -> list[str]:
        """Every message, for a fragment that does not show the fields."""
        return [str(message) for messages in self.errors.values() for message in messages]

    def text(self, name: str) -> str:
        """A search field's text, "" when the filters are refused (the page
        then shows nothing)."""
        filters = self.filters
        return filters[name] if filters else ""


class SearchForm(FilterForm):
    """A page whose one filter is a search box named `q`."""

    q = SearchField(label=gettext_lazy("Sök"))

    @property
    def query(self) -> str:
        return self.text("q")
