"""Issue 14, item 14: Django admin speaks Swedish to support staff (English
through the language switcher), and the manual coupling's "Byrå" and
"Ansvarig konsult" are chosen by search, among active consultants of the
chosen firm."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from collaboration.models import Coupling
from tests import factories

pytestmark = pytest.mark.django_db

APPS_SV = ["Klienter och abonnemang", "Samarbeten", "Licenser och fakturering", "Meddelanden"]
APPS_EN = ["Clients and subscriptions", "Collaborations", "Licences and invoicing", "Messages"]


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


def test_app_names_are_swedish(staff):  # type: ignore[no-untyped-def]
    page = staff.get(reverse("admin:index")).content.decode()
    for name in APPS_SV:
        assert name in page
    for english in (">Clients<", ">Collaboration<", ">Licensing<", ">Notifications<"):
        assert english not in page


def test_and_english_when_chosen(staff):  # type: ignore[no-untyped-def]
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = staff.get(reverse("admin:index")).content.decode()
    for name in APPS_EN:
        assert name in page


def test_the_blank_choice_is_swedish(staff):  # type: ignore[no-untyped-def]
    page = staff.get(reverse("admin:clients_subscription_add")).content.decode()
    assert "– Välj –" in page
    assert "Select an option" not in page


def test_firm_and_responsible_consultant_are_chosen_by_search(staff):  # type: ignore[no-untyped-def]
    page = staff.get(reverse("admin:collaboration_manualcoupling_add")).content.decode()
    for field in ("firm", "responsible_consultant"):
        assert f'id="id_{field}"' in page
        assert f'id="lookup_id_{field}"' not in page  # no raw-ID pop-up
    assert page.count('class="admin-autocomplete') >= 2
    assert "collaboration/manual_coupling_autocomplete.js" in page


def test_the_consultant_search_offers_active_consultants_of_the_chosen_firm(world, staff):  # type: ignore[no-untyped-def]
    gone = factories.ConsultantFactory(
        firm=world.firm, is_active=False, user__full_name="Gunnel Gått"
    )

    def offered(**extra: str) -> set[str]:
        response = staff.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "collaboration",
                "model_name": "manualcoupling",
                "field_name": "responsible_consultant",
                "term": "",
                **extra,
            },
        )
        assert response.status_code == 200
        return {row["text"] for row in json.loads(response.content)["results"]}

    of_firm = offered(firm=str(world.firm.pk))
    assert "Erik Konsult (Revisorerna Norr AB)" in of_firm
    assert "Anna Admin (Revisorerna Norr AB)" in of_firm
    assert "Olle Annanbyrå (Siffror Syd AB)" not in of_firm
    assert str(gone) not in of_firm
    # Without a firm chosen yet: every firm's active consultants, still not the inactive.
    anyone = offered()
    assert "Olle Annanbyrå (Siffror Syd AB)" in anyone
    assert str(gone) not in anyone


def test_a_coupling_reads_as_words(world):  # type: ignore[no-untyped-def]
    coupling = factories.CouplingFactory(
        firm=world.firm, subscription=world.subscription, status=Coupling.Status.ACTIVE
    )
    assert str(coupling) == (
        f"Revisorerna Norr AB ↔ {world.subscription.number} – Bageriet Solsidan AB (Aktiv)"
    )
