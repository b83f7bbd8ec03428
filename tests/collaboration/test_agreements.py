"""Flow 10: agreements (PuB-avtal, uppdragsavtal) confirmed with the coupling.
Services first, then the pages of both sides, then the certificate PDF."""

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from collaboration.agreements import services
from collaboration.agreements.certificate import certificate_pdf
from collaboration.agreements.models import AgreementConfirmation, AgreementDocument
from collaboration.agreements.selectors import status_cell
from collaboration.models import CollaborationRequest, Coupling
from collaboration.new_customer.services import new_customer_accept
from collaboration.requests.services import (
    collaboration_request_approve,
    collaboration_request_send,
)
from firm_portal.models import User
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.agreement_helpers import PDF, ask, pdf_file, upload
from tests.collaboration.new_customer_helpers import create as new_customer
from tests.collaboration.new_customer_helpers import token_of, welcome
from tests.conftest import World

pytestmark = pytest.mark.django_db
Status = AgreementConfirmation.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


def send_request(world: World) -> CollaborationRequest:
    """Firm A asks the other subscription T (not coupled yet) to collaborate."""
    return collaboration_request_send(
        consultant=world.firm_admin,
        subscription=world.other_subscription,
        responsible=world.consultant,
        start_date=None,
    )


def coupled(world: World) -> Coupling:
    return Coupling.objects.get(
        pk=factories.CouplingFactory(firm=world.firm, subscription=world.subscription).pk
    )


# --- Uploading ---------------------------------------------------------------


class TestUpload:
    def test_versions_count_up_per_kind_and_keep_the_hash(self, world: World) -> None:
        first = upload(world.firm_admin, "pub", "PuB-avtal 2026")
        second = upload(world.firm_admin, "pub", "PuB-avtal 2027", content=PDF + b"% v2\n")
        engagement = upload(world.firm_admin, "engagement", "Uppdragsavtal")

        assert (first.version, second.version, engagement.version) == (1, 2, 1)
        assert second.sha256 == hashlib.sha256(PDF + b"% v2\n").hexdigest()
        first.refresh_from_db()
        assert first.title == "PuB-avtal 2026"  # the old version is kept as it was
        with first.document.open("rb") as stored:
            assert stored.read() == PDF

    def test_only_firm_admins_upload(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            upload(world.consultant)
        assert not AgreementDocument.objects.exists()

    def test_not_a_pdf_is_refused_in_swedish(self, world: World) -> None:
        with pytest.raises(ValidationError) as error:
            services.agreement_upload(
                consultant=world.firm_admin,
                kind="pub",
                title="PuB",
                file=pdf_file("avtal.pdf", b"MZ\x90\x00 not a pdf"),
            )
        assert error.value.messages == [
            "Avtalet ska vara en PDF. Filen avtal.pdf är inte det – spara avtalet som PDF "
            "och ladda upp det igen."
        ]
        assert not AgreementDocument.objects.exists()

    def test_too_large_is_refused_in_swedish(self, world: World, settings) -> None:  # type: ignore[no-untyped-def]
        settings.AGREEMENT_MAX_BYTES = 1024
        with pytest.raises(ValidationError) as error:
            upload(world.firm_admin, content=PDF + b"0" * 2000)
        assert error.value.messages == [
            "Avtalet får vara högst 1,0\xa0kB; filen avtal.pdf är 2,0\xa0kB."
        ]
        assert not AgreementDocument.objects.exists()


class TestUploadPage:
    url = reverse("collaboration:firm_agreements")

    def test_firm_admin_uploads_a_new_version(self, world: World, media) -> None:  # type: ignore[no-untyped-def]
        client = login(world.firm_admin)
        response = client.post(
            self.url, {"kind": "pub", "title": "PuB-avtal", "document": pdf_file()}, follow=True
        )
        assert response.status_code == 200
        assert "PuB-avtal, version 1, är uppladdat." in response.content.decode()
        document = AgreementDocument.objects.get()
        assert document.firm == world.firm
        # Stored privately: under MEDIA_ROOT, never under STATIC_ROOT, no URL.
        assert (media / document.document.name).read_bytes() == PDF

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"kind": "pub", "title": "PuB"}, "Välj avtalet som PDF."),
            ({"kind": "pub", "title": "", "file": True}, "Skriv avtalets titel"),
            ({"kind": "hemligt", "title": "PuB", "file": True}, "Välj typ av avtal."),
            ({"kind": "pub", "title": "Å" * 201, "file": True}, "högst 200 tecken"),
            (
                {"kind": "pub", "title": "PuB", "file": b"<html>not a pdf</html>"},
                "Avtalet ska vara en PDF. Filen avtal.pdf är inte det",
            ),
        ],
    )
    def test_bad_input_answers_422_with_swedish_message(
        self, world: World, data: dict, message: str
    ) -> None:
        content = data.pop("file", None)
        if content is not None:
            data["document"] = pdf_file(content=PDF if content is True else content)
        response = login(world.firm_admin).post(self.url, data)
        assert response.status_code == 422
        assert message in response.content.decode()
        assert not AgreementDocument.objects.exists()

    def test_too_large_on_the_page(self, world: World, settings) -> None:  # type: ignore[no-untyped-def]
        settings.AGREEMENT_MAX_BYTES = 100
        response = login(world.firm_admin).post(
            self.url, {"kind": "pub", "title": "PuB", "document": pdf_file(content=PDF * 10)}
        )
        assert response.status_code == 422
        assert "Avtalet får vara högst 100\xa0byte; filen avtal.pdf" in response.content.decode()

    def test_consultant_who_is_not_admin_is_refused(self, world: World) -> None:
        assert login(world.consultant).get(self.url).status_code == 403
        response = login(world.consultant).post(
            self.url, {"kind": "pub", "title": "PuB", "document": pdf_file()}
        )
        assert response.status_code == 403
        assert not AgreementDocument.objects.exists()

    def test_non_consultants_get_404(self, world: World) -> None:
        assert login(world.sysadmin).get(self.url).status_code == 404

    def test_wrong_method(self, world: World) -> None:
        assert login(world.firm_admin).put(self.url).status_code == 405

    def test_download_own_firms_version_only(self, world: World) -> None:
        document = upload(world.firm_admin)
        url = reverse("collaboration:firm_agreement_document", args=[document.pk])
        response = login(world.consultant).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert login(world.other_firm_consultant).get(url).status_code == 404


# --- With a coupling request ("Ny klient") ------------------------------------


class TestWithRequest:
    def test_current_versions_travel_with_the_request(self, world: World) -> None:
        upload(world.firm_admin, "pub", "PuB v1")
        pub2 = upload(world.firm_admin, "pub", "PuB v2", content=PDF + b"%2\n")
        engagement = upload(world.firm_admin, "engagement", "Uppdragsavtal")

        request = send_request(world)

        asks = AgreementConfirmation.objects.filter(request=request).order_by("kind")
        assert [(a.document, a.version, a.status) for a in asks] == [
            (engagement, 1, Status.PENDING),
            (pub2, 2, Status.PENDING),
        ]

    def test_approval_without_ticks_is_refused_and_changes_nothing(self, world: World) -> None:
        upload(world.firm_admin, "pub", "PuB-avtal")
        request = send_request(world)

        with pytest.raises(services.AgreementsNotConfirmed) as error:
            collaboration_request_approve(
                user=world.other_sysadmin,
                subscription=world.other_subscription,
                request_id=request.pk,
                ticked=[],
            )

        assert error.value.message == (
            "Bekräfta avtalet från Revisorerna Norr AB innan du godkänner: "
            "kryssa i rutan för PuB-avtal (version 1)."
        )
        request.refresh_from_db()
        assert request.status == CollaborationRequest.Status.PENDING
        assert not Coupling.objects.filter(subscription=world.other_subscription).exists()
        assert AgreementConfirmation.objects.get().status == Status.PENDING

    def test_approval_records_who_when_version_hash_and_account(self, world: World) -> None:
        document = upload(world.firm_admin, "pub", "PuB-avtal")
        request = send_request(world)
        asked = AgreementConfirmation.objects.get(request=request)
        # A later version changes nothing about what this request carries.
        upload(world.firm_admin, "pub", "PuB-avtal", content=PDF + b"%2\n")

        collaboration_request_approve(
            user=world.other_sysadmin,
            subscription=world.other_subscription,
            request_id=request.pk,
            ticked=[str(asked.pk), "junk", "99999999999999999999999"],
        )

        asked.refresh_from_db()
        assert asked.status == Status.CONFIRMED
        assert asked.confirmed_by == world.other_sysadmin
        assert asked.confirmed_by_name == "Oskar Annansysadmin"
        assert asked.confirmed_by_email == world.other_sysadmin.email
        assert asked.confirmed_at is not None
        assert (asked.version, asked.sha256, asked.document) == (1, document.sha256, document)
        assert Coupling.objects.filter(subscription=world.other_subscription).exists()

    def test_a_request_without_agreements_is_approved_as_before(self, world: World) -> None:
        request = send_request(world)
        collaboration_request_approve(
            user=world.other_sysadmin, subscription=world.other_subscription, request_id=request.pk
        )
        request.refresh_from_db()
        assert request.status == CollaborationRequest.Status.APPROVED

    def test_the_page_shows_a_box_per_agreement_and_refuses_without_ticks(
        self, world: World
    ) -> None:
        upload(world.firm_admin, "pub", "PuB-avtal")
        upload(world.firm_admin, "engagement", "Uppdragsavtal 2026")
        request = send_request(world)
        client = login(world.other_sysadmin)
        number = world.other_subscription.number
        page = client.get(reverse("collaboration:firm_collaboration", args=[number]))
        text = page.content.decode()
        assert "Jag bekräftar PuB-avtal ”PuB-avtal” version 1" in text
        assert "Jag bekräftar Uppdragsavtal ”Uppdragsavtal 2026” version 1" in text

        approve = reverse("collaboration:approve_request", args=[number, request.pk])
        first = AgreementConfirmation.objects.filter(request=request).order_by("kind").first()
        assert first is not None
        response = client.post(approve, {"agreement": [first.pk]}, follow=True)
        assert "Bekräfta avtalet från Revisorerna Norr AB innan du godkänner: kryssa i rutan " in (
            response.content.decode()
        )
        request.refresh_from_db()
        assert request.status == CollaborationRequest.Status.PENDING

        ids = list(AgreementConfirmation.objects.values_list("pk", flat=True))
        response = client.post(approve, {"agreement": ids})
        assert response.status_code == 302
        assert response["Location"] == reverse("clients:permissions", args=[number])
        assert AgreementConfirmation.objects.filter(status=Status.CONFIRMED).count() == 2


# --- With a new customer ("Skapa nytt samarbete") and the to-do card ----------


class TestToDoCard:
    def test_ask_in_bulk_skips_the_confirmed_and_the_asked(self, world: World) -> None:
        upload(world.firm_admin, "pub")
        second = coupled(world)  # S: firm A coupled
        other = factories.CouplingFactory(firm=world.firm)
        factories.MembershipFactory(subscription=other.subscription, is_sysadmin=True)

        result = services.agreements_ask(
            consultant=world.firm_admin,
            numbers=[world.subscription.number, other.subscription.number],
        )
        again = services.agreements_ask(
            consultant=world.firm_admin,
            numbers=[world.subscription.number, other.subscription.number],
        )

        assert (result.asked, result.agreements, result.already) == (2, 2, 0)
        assert (again.asked, again.already) == (0, 2)
        assert AgreementConfirmation.objects.open().count() == 2
        assert second.subscription == world.subscription
        # One mail per sysadmin of each client.
        subjects = set(OutboxMessage.objects.values_list("subject", flat=True))
        assert subjects == {
            "Revisorerna Norr AB ber Bageriet Solsidan AB bekräfta avtal",
            f"Revisorerna Norr AB ber {other.subscription.client.name} bekräfta avtal",
        }

    def test_ask_refuses_more_than_50_and_none(self, world: World) -> None:
        upload(world.firm_admin, "pub")
        with pytest.raises(ValidationError) as error:
            services.agreements_ask(consultant=world.firm_admin, numbers=list(range(1, 52)))
        assert error.value.messages == ["För många klienter: högst 50 per utskick, du valde 51."]
        with pytest.raises(ValidationError):
            services.agreements_ask(consultant=world.firm_admin, numbers=[])
        assert not AgreementConfirmation.objects.exists()

    def test_ask_reaches_only_the_firms_own_couplings(self, world: World) -> None:
        upload(world.firm_admin, "pub")
        result = services.agreements_ask(
            consultant=world.firm_admin, numbers=[world.other_subscription.number]
        )
        assert result.asked == 0
        assert not AgreementConfirmation.objects.exists()

    def test_new_version_asks_again_and_keeps_the_old_confirmation(self, world: World) -> None:
        v1 = upload(world.firm_admin, "pub")
        coupled(world)
        services.agreements_ask(consultant=world.firm_admin, numbers=[world.subscription.number])
        old = AgreementConfirmation.objects.get()
        services.agreements_confirm(
            user=world.sysadmin, subscription=world.subscription, ticked=[str(old.pk)]
        )
        v2 = upload(world.firm_admin, "pub", content=PDF + b"%2\n")

        result = services.agreements_ask(
            consultant=world.firm_admin, numbers=[world.subscription.number]
        )

        assert result.asked == 1
        old.refresh_from_db()
        assert (old.status, old.document, old.version, old.sha256) == (
            Status.CONFIRMED,
            v1,
            1,
            v1.sha256,
        )
        assert AgreementConfirmation.objects.open().get().document == v2

    def test_confirm_needs_a_live_sysadmin_and_a_tick(self, world: World) -> None:
        document = upload(world.firm_admin, "pub")
        coupled(world)
        asked = ask(document, world.subscription.pk)
        with pytest.raises(PermissionDenied):
            services.agreements_confirm(
                user=world.client_user, subscription=world.subscription, ticked=[str(asked.pk)]
            )
        with pytest.raises(services.AgreementsNotConfirmed):
            services.agreements_confirm(
                user=world.sysadmin, subscription=world.subscription, ticked=[]
            )
        asked.refresh_from_db()
        assert asked.status == Status.PENDING

    def test_new_customer_gets_the_agreements_on_the_to_do_card(self, world: World) -> None:
        upload(world.firm_admin, "pub")
        waiting = factories.CouplingFactory(
            firm=world.firm, status=Coupling.Status.AWAITING_CUSTOMER, activated_at=None
        )
        services.agreements_attach_for_new_customer(coupling=waiting, by=world.firm_admin.user)
        asked = AgreementConfirmation.objects.get()
        assert (asked.subscription, asked.request) == (waiting.subscription, None)

    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_start_page_card_and_confirmation_page(self, world: World) -> None:
        document = upload(world.firm_admin, "pub", "PuB-avtal 2026")
        coupled(world)
        asked = ask(document, world.subscription.pk)
        client = login(world.sysadmin)

        home = client.get(reverse("home")).content.decode()
        assert "Bekräfta avtal från Revisorerna Norr AB" in home

        url = reverse("collaboration:subscription_agreements", args=[world.subscription.number])
        page = client.get(url).content.decode()
        assert "Jag bekräftar PuB-avtal ”PuB-avtal 2026” version 1 från Revisorerna Norr AB" in page

        refused = client.post(url, {})
        assert refused.status_code == 422
        assert "Kryssa i de avtal du bekräftar." in refused.content.decode()
        wrong = client.post(url, {"agreement": ["999999"]})
        assert wrong.status_code == 422
        assert "Avtalet finns inte längre att bekräfta." in wrong.content.decode()

        done = client.post(url, {"agreement": [str(asked.pk)]}, follow=True)
        assert "Avtalet är bekräftat." in done.content.decode()
        asked.refresh_from_db()
        assert asked.status == Status.CONFIRMED
        assert "Bekräfta avtal från" not in client.get(reverse("home")).content.decode()

    def test_client_user_and_other_sysadmin_get_404(self, world: World) -> None:
        url = reverse("collaboration:subscription_agreements", args=[world.subscription.number])
        assert login(world.client_user).get(url).status_code == 404
        assert login(world.other_sysadmin).post(url, {}).status_code == 404


# --- The firm's status per client ---------------------------------------------


class TestClientStatus:
    def test_labels(self) -> None:
        at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        assert status_cell(version=None, at=None, open_=False, current=3).label == "Saknas"
        assert status_cell(version=3, at=at, open_=False, current=3).label == (
            "Bekräftat 2026-12-01, v3"
        )
        newer = status_cell(version=2, at=at, open_=False, current=3)
        assert (newer.label, newer.detail) == ("Ny version finns", "Bekräftat 2026-12-01, v2")
        assert status_cell(version=None, at=None, open_=True, current=3).label == (
            "Väntar på bekräftelse"
        )
        assert status_cell(version=None, at=None, open_=False, current=None).label == "–"

    def test_page_lists_missing_and_asks_in_bulk(self, world: World) -> None:
        upload(world.firm_admin, "pub")
        coupled(world)
        client = login(world.firm_admin)
        url = reverse("collaboration:client_agreements")

        text = client.get(url).content.decode()
        assert "Bageriet Solsidan AB" in text
        assert "Saknas" in text

        response = client.post(
            reverse("collaboration:ask_for_confirmation"),
            {"numbers": [world.subscription.number]},
            follow=True,
        )
        assert "1 klient har fått ett att göra-kort med avtalen att bekräfta." in (
            response.content.decode()
        )
        assert "Väntar på bekräftelse" in client.get(url).content.decode()
        assert len(mail.outbox) + OutboxMessage.objects.count() >= 1

    @pytest.mark.parametrize(
        ("numbers", "message"),
        [
            ([], "Välj minst en klient."),
            (["abc"], "Ett abonnemangsnummer är ogiltigt."),
            (["99999999999999999999999"], "Ett abonnemangsnummer är ogiltigt."),
            (
                [str(n) for n in range(1, 52)],
                "För många klienter: högst 50 per utskick, du valde 51.",
            ),
        ],
    )
    def test_ask_bad_input(self, world: World, numbers: list[str], message: str) -> None:
        upload(world.firm_admin, "pub")
        response = login(world.firm_admin).post(
            reverse("collaboration:ask_for_confirmation"), {"numbers": numbers}, follow=True
        )
        assert message in response.content.decode()
        assert not AgreementConfirmation.objects.exists()

    def test_filter_bad_input_shows_swedish_message(self, world: World) -> None:
        response = login(world.firm_admin).get(
            reverse("collaboration:client_agreements"), {"visa": "<script>"}
        )
        assert response.status_code == 200
        assert "Välj Utan giltigt avtal eller Alla klienter." in response.content.decode()

    def test_constant_queries(
        self, world: World, django_assert_max_num_queries, django_assert_num_queries
    ) -> None:  # type: ignore[no-untyped-def]
        upload(world.firm_admin, "pub")
        client = login(world.firm_admin)
        url = reverse("collaboration:client_agreements")
        for _ in range(3):
            factories.CouplingFactory(firm=world.firm)
        client.get(url)
        with django_assert_max_num_queries(12) as few:
            client.get(url, {"visa": "alla"})
        for _ in range(60):
            factories.CouplingFactory(firm=world.firm)
        with django_assert_num_queries(len(few.captured_queries)):
            client.get(url, {"visa": "alla"})

    def test_only_firm_admins(self, world: World) -> None:
        assert (
            login(world.consultant).get(reverse("collaboration:client_agreements")).status_code
            == 403
        )


# --- Downloads and the certificate ---------------------------------------------


def confirmed(world: World) -> AgreementConfirmation:
    document = upload(world.firm_admin, "pub", "Personuppgiftsbiträdesavtal 2026")
    coupled(world)
    asked = ask(document, world.subscription.pk)
    services.agreements_confirm(
        user=world.sysadmin, subscription=world.subscription, ticked=[str(asked.pk)]
    )
    asked.refresh_from_db()
    return asked


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\xa0", " ").split())


class TestDownloads:
    def test_certificate_pdf_names_parties_document_and_confirmation(self, world: World) -> None:
        confirmation = confirmed(world)
        pdf = certificate_pdf(confirmation=confirmation)
        assert pdf.startswith(b"%PDF-")
        text = pdf_text(pdf)
        for expected in [
            "Intyg om bekräftat avtal",
            "Revisorerna Norr AB",
            f"Org.nr {world.firm.org_number} (byrån)",
            "Bageriet Solsidan AB",
            f"Org.nr {world.subscription.client.org_number} (kunden, abonnemang "
            f"{world.subscription.number})",
            "Typ av avtal PuB-avtal",
            "Titel Personuppgiftsbiträdesavtal 2026",
            "Version 1",
            "Bekräftat av Lisa Sysadmin",
            f"Från kontot {world.sysadmin.email}",
        ]:
            assert expected in text, expected
        # The hash may wrap; compare it without the spaces the extraction puts in.
        assert confirmation.sha256 in text.replace(" ", "")

    def test_both_sides_download_outsiders_get_404(self, world: World) -> None:
        confirmation = confirmed(world)
        certificate = reverse("collaboration:confirmation_certificate", args=[confirmation.pk])
        document = reverse("collaboration:confirmation_document", args=[confirmation.pk])
        for insider in (world.sysadmin, world.firm_admin):
            response = login(insider).get(certificate)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF-")
            got = login(insider).get(document)
            assert b"".join(got.streaming_content) == PDF  # type: ignore[attr-defined]
        # The consultant without the client assigned does not see it.
        for outsider in (
            world.consultant,
            world.client_user,
            world.other_sysadmin,
            world.other_firm_consultant,
        ):
            assert login(outsider).get(certificate).status_code == 404
            assert login(outsider).get(document).status_code == 404

    def test_no_certificate_before_confirmation(self, world: World) -> None:
        document = upload(world.firm_admin, "pub")
        coupled(world)
        asked = ask(document, world.subscription.pk)
        url = reverse("collaboration:confirmation_certificate", args=[asked.pk])
        assert login(world.sysadmin).get(url).status_code == 404
        # The agreement itself can be read before confirming.
        url = reverse("collaboration:confirmation_document", args=[asked.pk])
        assert login(world.sysadmin).get(url).status_code == 200

    def test_wrong_method(self, world: World) -> None:
        confirmation = confirmed(world)
        url = reverse("collaboration:confirmation_certificate", args=[confirmation.pk])
        assert login(world.sysadmin).post(url).status_code == 405


# --- Locks under real transactions (README, habit 11) ---------------------------


@pytest.mark.django_db(transaction=True)
def test_confirm_and_upload_take_their_locks_in_a_transaction(
    world: World, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    document = upload(world.firm_admin, "pub")
    coupled(world)
    asked = ask(document, world.subscription.pk)
    services.agreements_confirm(
        user=world.sysadmin, subscription=world.subscription, ticked=[str(asked.pk)]
    )
    # A second click (another tab) finds nothing left to confirm.
    with pytest.raises(services.AgreementsNotConfirmed):
        services.agreements_confirm(
            user=world.sysadmin, subscription=world.subscription, ticked=[str(asked.pk)]
        )
    asked.refresh_from_db()
    assert asked.status == Status.CONFIRMED


def test_subscription_agreements_page_constant_queries(
    world: World, django_assert_max_num_queries, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    coupled(world)
    documents = [upload(world.firm_admin, "pub", content=PDF + b"%" + bytes([n])) for n in range(3)]
    client = login(world.sysadmin)
    url = reverse("collaboration:subscription_agreements", args=[world.subscription.number])
    for document in documents:
        ask(document, world.subscription.pk)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(30):
        document = upload(world.firm_admin, "engagement", content=PDF + b"%%" + str(n).encode())
        asked = ask(document, world.subscription.pk)
        if n % 2:
            services.agreements_confirm(
                user=world.sysadmin, subscription=world.subscription, ticked=[str(asked.pk)]
            )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


# --- Reminders of open asks ------------------------------------------------------


class TestReminders:
    def test_reminded_at_3_and_10_days_once_each(self, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        document = upload(world.firm_admin, "pub", "PuB-avtal")
        coupled(world)
        services.agreements_ask(consultant=world.firm_admin, numbers=[world.subscription.number])
        asked = AgreementConfirmation.objects.get()
        sent = timezone.now()

        def at(days: float) -> int:
            monkeypatch.setattr(timezone, "now", lambda: sent + timedelta(days=days))
            return services.agreement_asks_remind()

        mails = OutboxMessage.objects.filter(subject__startswith="Påminnelse:")
        assert at(2.9) == 0
        assert at(3.1) == 1  # one sysadmin in S
        assert at(3.2) == 0  # a second run finds it claimed
        assert mails.count() == 1
        mail_text = mails.get().body_text
        assert "En påminnelse: avtalen nedan väntar fortfarande på bekräftelse." in mail_text
        assert "PuB-avtal: PuB-avtal, version 1" in mail_text
        assert at(10.1) == 1
        assert at(30) == 0
        asked.refresh_from_db()
        assert asked.reminders_sent == 2
        assert document.pk == asked.document_id

    def test_confirmed_and_request_asks_are_not_reminded(self, world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        document = upload(world.firm_admin, "pub")
        coupled(world)
        asked = ask(document, world.subscription.pk)
        services.agreements_confirm(
            user=world.sysadmin, subscription=world.subscription, ticked=[str(asked.pk)]
        )
        send_request(world)  # carries the agreement: reminded as a request, not here
        later = timezone.now() + timedelta(days=11)
        monkeypatch.setattr(timezone, "now", lambda: later)
        assert services.agreement_asks_remind() == 0


def test_skapa_nytt_samarbete_to_acceptance_to_confirmation(world: World, prices) -> None:  # type: ignore[no-untyped-def]
    """The new customer's contact, once they have accepted and are sysadmin,
    finds the firm's agreements on their to-do card and confirms them."""
    upload(world.firm_admin, "pub", "PuB-avtal")
    subscription = new_customer(world)
    asked = AgreementConfirmation.objects.get(subscription=subscription)
    assert (asked.request, asked.status, asked.firm) == (None, Status.PENDING, world.firm)
    new_customer_accept(token=token_of(welcome()), user=None, password="S3kret-lösen!")

    contact = User.objects.get(email="karin@nyakunden.se")
    client = login(contact)
    assert "Bekräfta avtal från Revisorerna Norr AB" in client.get(reverse("home")).text
    client.post(
        reverse("collaboration:subscription_agreements", args=[subscription.number]),
        {"agreement": [str(asked.pk)]},
    )
    asked.refresh_from_db()
    assert (asked.status, asked.confirmed_by) == (Status.CONFIRMED, contact)
