"""The firms' agreement documents (PuB-avtal, uppdragsavtal): PDF only,
checked by content, kept in the same private storage as support's scanned
manual-coupling forms (`collaboration.manual.scanned_forms.private_storage`:
no URL serves it) and handed out only through the user-scoped selectors of
`collaboration.agreements.selectors`."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from collaboration.manual.scanned_forms import PDF_MAGIC, private_storage

__all__ = ["private_storage", "sha256_of", "validate_agreement_pdf"]


def is_pdf(file: File) -> bool:  # type: ignore[type-arg]
    """Judged by the bytes (a PDF reader accepts the header within the first
    1024 bytes), not by the name or the browser's word."""
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    return PDF_MAGIC in head


def sha256_of(file: File) -> str:  # type: ignore[type-arg]
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def validate_agreement_pdf(file: File) -> None:  # type: ignore[type-arg]
    limit = settings.AGREEMENT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("Avtalet får vara högst %(max)s; filen %(name)s är %(size)s."),
            code="agreement_too_large",
            params={
                "max": filesizeformat(limit),
                "name": file.name,
                "size": filesizeformat(file.size),
            },
        )
    if not is_pdf(file):
        raise ValidationError(
            _(
                "Avtalet ska vara en PDF. Filen %(name)s är inte det – spara avtalet "
                "som PDF och ladda upp det igen."
            ),
            code="agreement_not_pdf",
            params={"name": file.name},
        )
