"""Test data for Flow 10 (agreements with the coupling)."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from collaboration.agreements import services
from collaboration.agreements.models import AgreementConfirmation, AgreementDocument
from firm_portal.models import Consultant

# The smallest file a PDF reader takes as one; enough for the content check.
PDF = b"%PDF-1.4\n% avtal\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name: str = "avtal.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def upload(
    admin: Consultant, kind: str = "pub", title: str = "PuB-avtal", content: bytes = PDF
) -> AgreementDocument:
    return services.agreement_upload(
        consultant=admin, kind=kind, title=title, file=pdf_file(content=content)
    )


def agreement_document(world, kind: str = "pub") -> AgreementDocument:  # type: ignore[no-untyped-def]
    """Firm A's agreement without the service's checks, for the tables that
    walk every route (the file goes to MEDIA_ROOT's private storage)."""
    return AgreementDocument.objects.create(
        firm=world.firm,
        kind=kind,
        version=1,
        title="PuB-avtal",
        document=ContentFile(PDF, name="matrix.pdf"),
        sha256=hashlib.sha256(PDF).hexdigest(),
        size=len(PDF),
        uploaded_by=world.firm_admin.user,
    )


def ask(document: AgreementDocument, subscription_id: int, **kwargs) -> AgreementConfirmation:  # type: ignore[no-untyped-def]
    """An ask on the client's to-do card, without the service's checks."""
    return AgreementConfirmation.objects.create(
        firm_id=document.firm_id,
        subscription_id=subscription_id,
        document=document,
        kind=document.kind,
        title=document.title,
        version=document.version,
        sha256=document.sha256,
        requested_by=document.uploaded_by,
        **kwargs,
    )
