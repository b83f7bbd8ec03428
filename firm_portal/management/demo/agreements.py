"""The demo's agreements (Flow 10), called by seed_demo: Norr's PuB-avtal
(versions 1 and 2) and uppdragsavtal, Göteborg's two, and confirmations
that show every status in "Avtal per klient": Perssons Rör & Värme AB (Per)
has confirmed Göteborg's both, so Per and Karin can download the
certificates; of Norr's clients one has confirmed the current versions, one
only PuB-avtal version 1 ("Ny version finns") and one has them on its to-do
card. Anna's "Ny klient" request to Bageriet carries Norr's agreements, for
Lisa to confirm before "Jag godkänner".

The documents are small real PDFs written to the private storage, as an
upload would be."""

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile

from collaboration.models import AgreementConfirmation, AgreementDocument, Coupling
from firm_portal.models import Firm, User

if TYPE_CHECKING:
    from firm_portal.management.demo.world import World

from firm_portal.management.demo.specs import GBG, NORR


def pdf_with_text(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (Latin-1: å, ä, ö), with a correct
    cross-reference table so every reader opens it."""
    text = "\n".join(
        f"BT /F1 12 Tf 60 {760 - 20 * n} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET"
        for n, line in enumerate(lines)
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _document(firm: Firm, kind: str, version: int, title: str, by: User) -> AgreementDocument:
    content = pdf_with_text(
        [title, f"Version {version}", firm.name, "Demoavtal i Byråportalen (inget riktigt avtal)."]
    )
    return AgreementDocument.objects.create(
        firm=firm,
        kind=kind,
        version=version,
        title=title,
        document=ContentFile(content, name=f"{kind}-v{version}.pdf"),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        uploaded_by=by,
    )


def _ask(document: AgreementDocument, coupling: Coupling, sysadmin: User | None, world: "World"):  # type: ignore[no-untyped-def]
    """Sent, and confirmed by `sysadmin` a few days later when given."""
    confirmed_at = world.now - timedelta(days=world.rng.randint(3, 40)) if sysadmin else None
    return AgreementConfirmation(
        firm=document.firm,
        subscription=coupling.subscription,
        document=document,
        kind=document.kind,
        title=document.title,
        version=document.version,
        sha256=document.sha256,
        requested_by=document.uploaded_by,
        status="confirmed" if sysadmin else "pending",
        confirmed_at=confirmed_at,
        confirmed_by=sysadmin,
        confirmed_by_name=sysadmin.full_name if sysadmin else "",
        confirmed_by_email=sysadmin.email if sysadmin else "",
    )


def _client_sysadmin(world: "World", coupling: Coupling) -> User:
    return next(
        m.user
        for m in world.members[coupling.subscription_id]
        if m.is_sysadmin and m.consultant is None
    )


def create_demo_agreements(world: "World") -> None:
    anna = world.users["anna@norr.demo"]
    karin = world.users["karin@gbg.demo"]
    norr, gbg = world.firms[NORR], world.firms[GBG]
    norr_pub_1 = _document(norr, "pub", 1, "Personuppgiftsbiträdesavtal", anna)
    norr_pub_2 = _document(norr, "pub", 2, "Personuppgiftsbiträdesavtal 2026", anna)
    norr_engagement = _document(norr, "engagement", 1, "Uppdragsavtal redovisning", anna)
    gbg_pub = _document(gbg, "pub", 1, "PuB-avtal Siffror & Skatt", karin)
    gbg_engagement = _document(gbg, "engagement", 1, "Uppdragsavtal Siffror & Skatt", karin)

    # The first of Norr's clients with a sysadmin of their own, by name: on the
    # first page of "Avtal per klient".
    norr_clients = sorted(
        (
            c
            for c in world.couplings
            if c.firm_id == norr.pk
            and c.status == Coupling.Status.ACTIVE
            and any(
                m.is_sysadmin and m.consultant is None for m in world.members[c.subscription_id]
            )
        ),
        key=lambda c: (c.subscription.client.name, c.subscription.number),
    )
    perssons = next(
        c
        for c in world.couplings
        if c.firm_id == gbg.pk and c.subscription_id == world.named["perssons_a"].pk
    )
    per = world.users["per@kund.demo"]
    current, old, asked = norr_clients[0], norr_clients[1], norr_clients[2]
    AgreementConfirmation.objects.bulk_create(
        [
            _ask(gbg_pub, perssons, per, world),
            _ask(gbg_engagement, perssons, per, world),
            _ask(norr_pub_2, current, _client_sysadmin(world, current), world),
            _ask(norr_engagement, current, _client_sysadmin(world, current), world),
            _ask(norr_pub_1, old, _client_sysadmin(world, old), world),
            _ask(norr_pub_2, asked, None, world),
            _ask(norr_engagement, asked, None, world),
        ]
    )


def delete_demo_agreements(*, firm_names: tuple[str, ...]) -> None:
    """Before the demo's firms, subscriptions and requests they point at."""
    firms = Firm.objects.filter(name__in=firm_names)
    AgreementConfirmation.objects.filter(firm__in=firms).delete()
    documents = AgreementDocument.objects.filter(firm__in=firms)
    for document in documents:
        document.document.delete(save=False)
    documents.delete()
