"""One form of an e-mail address, the same everywhere an address is typed or
looked up (login, password reset, invitations, "Lägg till användare", bulk
invitation rows, the new customer's contact, join offers, the admin).

Without it fullwidth "a@example.se" (U+FF41 …), "a​@example.se" (a zero-width
space) and "a@EXÄMPLE.se" would be other accounts than a@example.se in some
places and the same in others. An address is:

- refused if it holds a format (Unicode category Cf: zero-width spaces and
  joiners, direction marks, soft hyphens) or control (Cc) character: nobody
  types them on purpose, and they are invisible on screen;
- NFKC-normalised (fullwidth and other compatibility forms become the plain
  letters they look like);
- given its domain in IDNA (punycode) form, with Python's IDNA codec
  (nameprep: case folding and NFKC of the domain);
- lower-cased (local part included: we never had two accounts that differ
  only in case).
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVISIBLE_MESSAGE = _(
    "E-postadressen innehåller osynliga tecken eller styrtecken. Skriv in den igen för hand."
)
INVALID_MESSAGE = _("Ange en giltig e-postadress.")


def _has_hidden_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cf", "Cc") for ch in value)


def normalize_email(value: str) -> str:
    """The one stored and looked-up form of a typed address; a ValidationError
    with a Swedish message for invisible characters or a domain IDNA cannot
    encode. Checks nothing else (EmailValidator does that)."""
    text = value.strip()
    if _has_hidden_characters(text):
        raise ValidationError(INVISIBLE_MESSAGE, code="invisible")
    text = unicodedata.normalize("NFKC", text).strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text.lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(INVALID_MESSAGE, code="invalid") from None
    return f"{local}@{ascii_domain}".lower()


def email_key(value: str) -> str:
    """The address a lookup or a login counter uses, also for input
    normalize_email refuses: hidden characters dropped, then normalised, so
    "a\u200b@example.se" counts against a@example.se. Never stored."""
    text = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cf", "Cc"))
    try:
        return normalize_email(text)
    except ValidationError:
        return unicodedata.normalize("NFKC", text).strip().lower()


class NormalizedEmailField(forms.EmailField):
    """An EmailField whose value is normalize_email's form; invisible
    characters are refused with a plain Swedish message."""

    def to_python(self, value: object) -> str:
        text: str = super().to_python(value) or ""
        if not text or "\x00" in text:
            return text  # ProhibitNullCharactersValidator says it like every field
        return normalize_email(text)
