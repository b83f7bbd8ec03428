"""Issue 14, item 16: the scanned paper form ("blankett") is evidence. PDF,
JPEG or PNG judged by content, size-limited, kept where nothing serves it,
and downloadable only by staff who may perform manual couplings. And the
licence forms in Django admin offer only what the plan sells."""

import io

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from clients.catalogue import plan_program_codes
from clients.models import Program
from collaboration.models import ManualCoupling
from tests import factories
from tests.collaboration.manual_coupling_helpers import add_form_data, support_migration

pytestmark = pytest.mark.django_db

ADD_URL = "admin:collaboration_manualcoupling_add"
PDF = b"%PDF-1.4\n% blankett\n"


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def support(db):  # type: ignore[no-untyped-def]
    support_migration.support_group_ensure(global_apps, "default")
    user = factories.UserFactory(is_staff=True, full_name="Stina Support")
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def support_client(support) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(support)
    return client


def upload(world, support_client, name: str, content: bytes, content_type: str):  # type: ignore[no-untyped-def]
    scan = SimpleUploadedFile(name, content, content_type)
    return support_client.post(reverse(ADD_URL), add_form_data(world, scanned_form=scan))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blankett.pdf", PDF),
        ("blankett.jpg", image_bytes("JPEG")),
        ("blankett.png", image_bytes("PNG")),
    ],
)
def test_pdf_jpeg_and_png_are_accepted(world, support_client, name, content, media):  # type: ignore[no-untyped-def]
    response = upload(world, support_client, name, content, "application/octet-stream")
    assert response.status_code == 302
    stored = ManualCoupling.objects.get().scanned_form
    assert (media / stored.name).read_bytes() == content


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("blankett.pdf", b"just text, not a PDF", "application/pdf"),  # the name lies
        ("blankett.png", b"MZ\x90\x00 an executable", "image/png"),  # the browser's type lies
        ("blankett.gif", image_bytes("GIF"), "image/gif"),  # an image, not one we accept
        ("blankett.html", b"<script>alert(1)</script>", "text/html"),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(
    world, support_client, name, content, content_type
):  # type: ignore[no-untyped-def]
    response = upload(world, support_client, name, content, content_type)
    assert response.status_code == 200
    assert (
        f"Blanketten ska vara en PDF, JPEG eller PNG. Filen {name} är inte det – skanna in "
        "blanketten igen och ladda upp den som PDF, JPEG eller PNG."
    ) in response.content.decode()
    assert not ManualCoupling.objects.exists()


def test_a_file_over_the_limit_is_refused(world, support_client, settings):  # type: ignore[no-untyped-def]
    settings.SCANNED_FORM_MAX_BYTES = 1024
    response = upload(world, support_client, "stor.pdf", PDF + b"0" * 2048, "application/pdf")
    assert response.status_code == 200
    assert "Blanketten får vara högst 1,0\xa0kB; filen stor.pdf är 2,0\xa0kB." in (
        response.content.decode()
    )
    assert not ManualCoupling.objects.exists()


@pytest.fixture
def stored(world, support_client):  # type: ignore[no-untyped-def]
    assert upload(world, support_client, "blankett.pdf", PDF, "application/pdf").status_code == 302
    return ManualCoupling.objects.get()


def download_url(manual: ManualCoupling) -> str:
    return reverse("admin:collaboration_manualcoupling_scanned_form", args=[manual.pk])


def test_support_downloads_it_uncached_as_an_attachment(stored, support_client):  # type: ignore[no-untyped-def]
    response = support_client.get(download_url(stored))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    # The change page links to the view, not to a file URL.
    page = support_client.get(
        reverse("admin:collaboration_manualcoupling_change", args=[stored.pk])
    ).content.decode()
    assert f'href="{download_url(stored)}"' in page


@pytest.mark.parametrize(
    "who", ["anonymous", "firm_admin", "consultant", "sysadmin", "client_user", "other_staff"]
)
def test_everyone_else_gets_404(world, stored, who):  # type: ignore[no-untyped-def]
    client = Client()
    if who == "other_staff":
        client.force_login(factories.UserFactory(is_staff=True))  # staff, not Support
    elif who in ("firm_admin", "consultant"):
        client.force_login(getattr(world, who).user)
    elif who != "anonymous":
        client.force_login(getattr(world, who))
    assert client.get(download_url(stored)).status_code == 404


def test_it_is_not_served_as_a_static_or_media_file(stored, client):  # type: ignore[no-untyped-def]
    name = stored.scanned_form.name
    for url in (f"/static/{name}", f"/media/{name}", f"/{name}"):
        assert client.get(url).status_code == 404, url


def test_a_missing_file_is_404_not_500(stored, support_client, media):  # type: ignore[no-untyped-def]
    (media / stored.scanned_form.name).unlink()
    assert support_client.get(download_url(stored)).status_code == 404


def test_the_licence_forms_offer_only_what_the_plan_sells(world):  # type: ignore[no-untyped-def]
    admin_client = Client()
    admin_client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    subscription = factories.SubscriptionFactory(plan="faktura")
    license_row = factories.LicenseFactory(
        subscription=subscription, program=factories.program("fakturering")
    )
    sold = set(plan_program_codes("faktura"))
    not_sold = Program.objects.exclude(code__in=sold)
    assert not_sold.exists()

    pages = [
        admin_client.get(reverse("admin:clients_subscription_change", args=[subscription.pk])),
        admin_client.get(
            reverse("admin:clients_subscriptionlicense_change", args=[license_row.pk])
        ),
    ]
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        for program in Program.objects.filter(code__in=sold):
            assert f">{escape(program.name)}</option>" in page
        for program in not_sold:
            assert f">{escape(program.name)}</option>" not in page
