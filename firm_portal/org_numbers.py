"""Swedish identity numbers, validated with python-stdnum (never by hand)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr, personnummer


def normalize_org_number(value: str) -> str:
    """Return an organisationsnummer as NNNNNN-NNNN, or raise ValidationError.

    Accepts NNNNNN-NNNN, NNNNNNNNNN and the 12-digit form with a 16 century
    prefix. Sole traders are identified by their personnummer, which is
    accepted too (stored in its 10-digit form).
    """
    raw = (value or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 12 and (digits.startswith("16") or personnummer.is_valid(digits)):
        # 16 is the century prefix for legal entities; a sole trader's
        # 12-digit personnummer carries the birth century instead.
        digits = digits[2:]
    if not digits:
        raise ValidationError(_("Ange ett organisationsnummer."), code="required")
    if len(digits) != 10 or any(ch not in "0123456789- +" for ch in raw):
        raise ValidationError(
            _("Organisationsnumret ska ha 10 siffror, till exempel 556036-0793."),
            code="format",
        )
    try:
        return orgnr.format(orgnr.validate(digits))
    except StdnumError:
        pass
    raise ValidationError(
        _("Organisationsnumret %(value)s är inte giltigt. Kontrollera siffrorna."),
        code="checksum",
        params={"value": raw},
    )


def validate_org_number(value: str) -> None:
    normalize_org_number(value)
