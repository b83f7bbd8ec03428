"""Support's scanned paper forms ("blankett") for manual couplings: evidence,
so they are checked by content, kept in private storage that nothing serves
(never with the static files), and handed out only by
`collaboration.manual.admin.ManualCouplingAdmin.scanned_form_download` to
staff who may perform manual couplings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

PDF_MAGIC = b"%PDF-"
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
PDF_TYPE = "application/pdf"


def private_storage() -> Storage:
    """STORAGES["private"]: a folder outside STATIC_ROOT with no URL."""
    return storages["private"]


def scanned_form_type(file: File) -> str | None:  # type: ignore[type-arg]
    """The file's content type, judged by its bytes (not its name or the
    browser's word): PDF, JPEG or PNG, else None."""
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    if PDF_MAGIC in head:  # PDF readers accept the header within the first 1024 bytes
        return PDF_TYPE
    try:
        with Image.open(file) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        file.seek(0)
    return IMAGE_TYPES.get(kind or "")


def validate_scanned_form(file: File) -> None:  # type: ignore[type-arg]
    limit = settings.SCANNED_FORM_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            _("Blanketten får vara högst %(max)s; filen %(name)s är %(size)s."),
            code="scanned_form_too_large",
            params={
                "max": filesizeformat(limit),
                "name": file.name,
                "size": filesizeformat(file.size),
            },
        )
    if scanned_form_type(file) is None:
        raise ValidationError(
            _(
                "Blanketten ska vara en PDF, JPEG eller PNG. Filen %(name)s är inte det – "
                "skanna in blanketten igen och ladda upp den som PDF, JPEG eller PNG."
            ),
            code="scanned_form_type",
            params={"name": file.name},
        )
