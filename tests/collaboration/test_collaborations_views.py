"""Views of "Samarbeten": the overview, one collaboration and its changes,
the customer's side, ending from either side, and the cost preview."""

import pytest
from django.test import Client
from django.urls import reverse

from clients.models import ClientAssignment, Membership, Plan, SubscriptionLicense
from collaboration.models import Coupling
from licensing.models import LicenseChange, PlanChange, Recipient, SubscriptionBilling
from tests import factories
from tests.collaboration.collaborations_fixtures import Collab, make_collab
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def collab(world: World) -> Collab:
    return make_collab(world)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


def detail_url(world: World) -> str:
    return reverse("collaboration:collaboration_detail", args=[world.subscription.number])


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- "Samarbeten" --------------------------------------------------------------------------


def test_overview_shows_plan_licences_payer_and_period(world: World, collab: Collab) -> None:
    awaiting = factories.CouplingFactory(
        firm=world.firm,
        subscription__client__name="Nya Kunden AB",
        status=Coupling.Status.AWAITING_CUSTOMER,
    )

    response = logged_in(world.firm_admin).get(reverse("collaboration:collaborations"))

    assert response.status_code == 200
    page = text(response)
    assert "Bageriet Solsidan AB" in page
    assert "Smart" in page and "Bokföring 3" in page
    assert "Byrån" in page and "12 månader" in page and "2026-01-01" in page
    assert "Väntar på kundens godkännande" in page and "Nya Kunden AB" in page
    assert reverse("collaboration:new_customer_resend", args=[awaiting.subscription.number]) in page
    assert reverse("collaboration:collaboration_end", args=[world.subscription.number]) in page


def test_overview_follows_the_client_list_rules(world: World, collab: Collab) -> None:
    other = factories.CouplingFactory(firm=world.firm, subscription__client__name="Annan AB")
    ClientAssignment.objects.filter(consultant=world.consultant).delete()
    ClientAssignment.objects.create(consultant=world.consultant, subscription=other.subscription)

    page = text(logged_in(world.consultant).get(reverse("collaboration:collaborations")))

    assert "Annan AB" in page
    assert "Bageriet Solsidan AB" not in page  # not assigned to Erik
    assert reverse("collaboration:collaboration_end", args=[other.subscription.number]) not in page


def test_overview_search_and_htmx_fragment(world: World, collab: Collab) -> None:
    factories.CouplingFactory(firm=world.firm, subscription__client__name="Cykelverkstan AB")

    response = logged_in(world.firm_admin).get(
        reverse("collaboration:collaborations"),
        {"q": "cykel"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="collaboration-results",
    )

    page = text(response)
    assert "<html" not in page and 'id="collaboration-results"' in page
    assert "Cykelverkstan AB" in page and "Bageriet Solsidan AB" not in page


def test_overview_pages_keep_a_search_with_special_characters(world: World) -> None:
    for index in range(30):
        factories.CouplingFactory(
            firm=world.firm, subscription__client__name=f"Berg & Dal {index:02} AB"
        )

    page = text(
        logged_in(world.firm_admin).get(
            reverse("collaboration:collaborations"), {"q": "berg & dal"}
        )
    )

    assert "?q=berg+%26+dal&amp;sida=2" in page


def test_overview_wrong_method_and_non_consultants(world: World) -> None:
    url = reverse("collaboration:collaborations")
    assert logged_in(world.firm_admin).post(url).status_code == 405
    assert logged_in(world.sysadmin).get(url).status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_overview_query_count_is_constant(
    world: World, django_assert_num_queries, size: int
) -> None:  # type: ignore[no-untyped-def]
    for _n in range(size):
        coupling = factories.CouplingFactory(firm=world.firm)
        factories.LicenseFactory(subscription=coupling.subscription)
        SubscriptionBilling.objects.create(
            subscription=coupling.subscription,
            recipient=Recipient.FIRM,
            firm=world.firm,
            starts_on="2025-01-01",
            renews_on="2026-01-01",
        )
    client = logged_in(world.firm_admin)
    # user, consultant, count, rows, licences, billing changes (session: Redis)
    with django_assert_num_queries(6):
        response = client.get(reverse("collaboration:collaborations"))
    assert response.status_code == 200


# --- One collaboration, firm side --------------------------------------------------------


def test_detail_shows_cost_and_the_change_forms(world: World, collab: Collab) -> None:
    response = logged_in(world.firm_admin).get(detail_url(world))

    page = text(response)
    assert response.status_code == 200
    assert "Vad samarbetet kostar" in page
    assert "Ändra licenser" in page and "Ändra variant" in page and "Ändra fakturamottagare" in page
    assert "En ny fakturamottagare gäller från nästa fakturamånad" in page


def test_firm_admin_changes_licences_without_javascript(world: World, collab: Collab) -> None:
    client = logged_in(world.firm_admin)
    response = client.post(
        reverse("collaboration:collaboration_licenses", args=[world.subscription.number]),
        {f"seats_{code}": 5 if code == "bokforing" else 0 for code in _codes()},
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(world)
    assert SubscriptionLicense.objects.get(subscription=world.subscription).seats == 5
    assert list(LicenseChange.objects.values_list("delta", flat=True)) == [2]
    page = text(client.get(detail_url(world)))
    assert "Licenserna är ändrade: Bokföring 3 → 5." in page


def test_licences_below_use_are_refused_with_the_reason(world: World, collab: Collab) -> None:
    response = logged_in(world.firm_admin).post(
        reverse("collaboration:collaboration_licenses", args=[world.subscription.number]),
        {f"seats_{code}": 1 if code == "bokforing" else 0 for code in _codes()},
    )

    assert response.status_code == 422
    assert "Bokföring används av 2 personer, så antalet licenser kan inte bli lägre än 2." in text(
        response
    )
    assert not LicenseChange.objects.exists()


def test_bad_number_is_refused(world: World, collab: Collab) -> None:
    response = logged_in(world.firm_admin).post(
        reverse("collaboration:collaboration_licenses", args=[world.subscription.number]),
        {**{f"seats_{code}": 0 for code in _codes()}, "seats_bokforing": "-3"},
    )

    assert response.status_code == 422
    assert "Ange ett antal mellan 0 och 999." in text(response)


def test_plan_change_by_htmx_returns_the_fragment(world: World, collab: Collab) -> None:
    response = logged_in(world.consultant).post(  # Erik is the responsible consultant
        reverse("collaboration:collaboration_plan", args=[world.subscription.number]),
        {"plan": Plan.PRO},
        HTTP_HX_REQUEST="true",
    )

    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page and 'id="collaboration"' in page
    assert "Varianten är ändrad från Smart till Pro." in page
    assert PlanChange.objects.get().plan_after == Plan.PRO


def test_other_consultants_may_look_but_not_change(world: World, collab: Collab) -> None:
    colleague = factories.ConsultantFactory(firm=world.firm, is_client_manager_admin=True)
    client = logged_in(colleague)

    page = text(client.get(detail_url(world)))
    response = client.post(
        reverse("collaboration:collaboration_plan", args=[world.subscription.number]),
        {"plan": Plan.PRO},
    )

    refusal = "Bara byråns administratörer och den ansvariga konsulten kan ändra samarbetet."
    assert refusal in page and "Byt variant" not in page
    assert response.status_code == 403 and refusal in text(response)
    assert not PlanChange.objects.exists()


def test_the_firm_cannot_change_when_the_customer_pays(world: World, collab: Collab) -> None:
    SubscriptionBilling.objects.filter(subscription=world.subscription).update(
        recipient=Recipient.CLIENT, firm=None
    )

    response = logged_in(world.firm_admin).post(
        reverse("collaboration:collaboration_recipient", args=[world.subscription.number]),
        {"recipient": "firm"},
    )

    assert response.status_code == 403
    assert "Kunden är fakturamottagare, så licenser, variant och fakturamottagare ändras" in text(
        response
    )


def test_firm_side_wrong_method_and_outsiders(world: World, collab: Collab) -> None:
    url = reverse("collaboration:collaboration_plan", args=[world.subscription.number])
    assert logged_in(world.firm_admin).get(url).status_code == 405
    assert logged_in(world.other_firm_consultant).get(detail_url(world)).status_code == 404
    assert logged_in(world.other_firm_consultant).post(url, {"plan": "pro"}).status_code == 404
    assert logged_in(world.sysadmin).get(detail_url(world)).status_code == 404


def test_recipient_change_says_when_it_takes_effect(world: World, collab: Collab) -> None:
    client = logged_in(world.firm_admin)

    client.post(
        reverse("collaboration:collaboration_recipient", args=[world.subscription.number]),
        {"recipient": "client"},
    )

    assert "Fakturamottagaren är ändrad. Ändringen gäller från och med" in text(
        client.get(detail_url(world))
    )
    assert SubscriptionBilling.objects.get().recipient == Recipient.CLIENT


# --- The customer's side ----------------------------------------------------------------


def test_sysadmin_changes_the_plan(world: World, collab: Collab) -> None:
    client = logged_in(world.sysadmin)

    page = client.get(
        reverse("collaboration:subscription_change", args=[world.subscription.number])
    )
    response = client.post(
        reverse("collaboration:subscription_plan", args=[world.subscription.number]),
        {"plan": Plan.START},
    )

    assert page.status_code == 200 and "Ändra abonnemang" in text(page)
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.plan == Plan.START


def test_customer_side_is_for_sysadmins_only(world: World, collab: Collab) -> None:
    url = reverse("collaboration:subscription_change", args=[world.subscription.number])
    assert logged_in(world.client_user).get(url).status_code == 404
    assert logged_in(world.other_sysadmin).get(url).status_code == 404
    assert logged_in(world.firm_admin).get(url).status_code == 404


def test_byrasamarbete_shows_terms_and_the_end_link(world: World, collab: Collab) -> None:
    page = text(
        logged_in(world.sysadmin).get(
            reverse("collaboration:firm_collaboration", args=[world.subscription.number])
        )
    )

    assert "Abonnemanget" in page and "12 månader" in page
    assert (
        reverse(
            "collaboration:subscription_end_coupling",
            args=[world.subscription.number, collab.coupling.pk],
        )
        in page
    )


# --- Ending ------------------------------------------------------------------------------


def test_firm_admin_confirms_and_ends(world: World, collab: Collab) -> None:
    client = logged_in(world.firm_admin)
    url = reverse("collaboration:collaboration_end", args=[world.subscription.number])

    confirm = client.get(url)
    response = client.post(url)

    assert "Ja, avsluta samarbetet" in text(confirm) and "Erik Konsult" in text(confirm)
    assert response.status_code == 302
    assert response["Location"] == reverse("collaboration:collaborations")
    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ENDED
    assert "Samarbetet med Bageriet Solsidan AB är avslutat. Kunden är fakturamottagare" in text(
        client.get(reverse("collaboration:collaborations"))
    )


def test_only_firm_admins_end(world: World, collab: Collab) -> None:
    url = reverse("collaboration:collaboration_end", args=[world.subscription.number])

    response = logged_in(world.consultant).post(url)

    assert response.status_code == 403
    assert "Bara byråns administratörer kan avsluta ett samarbete." in text(response)
    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ACTIVE


def test_refused_end_shows_why_and_keeps_everything(world: World, collab: Collab) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    Membership.objects.filter(pk=collab.erik_membership.pk).update(is_sysadmin=True)
    url = reverse("collaboration:collaboration_end", args=[world.subscription.number])

    confirm = logged_in(world.firm_admin).get(url)
    response = logged_in(world.firm_admin).post(url)

    assert "Ja, avsluta samarbetet" not in text(confirm)
    assert response.status_code == 422
    assert "är de enda systemadministratörerna" in text(response)
    collab.coupling.refresh_from_db()
    assert collab.coupling.status == Coupling.Status.ACTIVE


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_sysadmin_ends_from_byrasamarbete_with_htmx(world: World, collab: Collab) -> None:
    url = reverse(
        "collaboration:subscription_end_coupling",
        args=[world.subscription.number, collab.coupling.pk],
    )
    client = logged_in(world.sysadmin)

    fragment = client.get(url, HTTP_HX_REQUEST="true")
    response = client.post(url, HTTP_HX_REQUEST="true")

    assert "<html" not in text(fragment) and 'id="end-form"' in text(fragment)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse(
        "collaboration:firm_collaboration", args=[world.subscription.number]
    )
    assert not Membership.objects.filter(consultant__firm=world.firm).exists()


def test_end_wrong_method_and_ended_coupling(world: World, collab: Collab) -> None:
    url = reverse(
        "collaboration:subscription_end_coupling",
        args=[world.subscription.number, collab.coupling.pk],
    )
    assert logged_in(world.sysadmin).put(url).status_code == 405
    Coupling.objects.filter(pk=collab.coupling.pk).update(status=Coupling.Status.ENDED)
    assert logged_in(world.sysadmin).get(url).status_code == 404


# --- Cost preview before a request and before approval ---------------------------------


def test_cost_preview_before_sending_a_request(world: World) -> None:
    factories.LicenseFactory(subscription=world.subscription, seats=2)

    response = logged_in(world.firm_admin).post(
        reverse("collaboration:new_client"),
        {"org_number": world.subscription.client.org_number},
    )

    page = text(response)
    assert "Vad samarbetet kostar byrån" in page
    assert "ingen avgift för byrån förrän vid förnyelse." in page
    # Before the client's consent, not the client's plan, prices or payer
    # (tests/collaboration/test_ny_klient_before_consent.py).
    assert "597,00 kr" not in page
    assert "Kunden (Bageriet Solsidan AB)" not in page


def test_cost_preview_before_approving(world: World) -> None:
    factories.LicenseFactory(subscription=world.subscription, seats=1)
    factories.CollaborationRequestFactory(firm=world.firm, subscription=world.subscription)

    page = text(
        logged_in(world.sysadmin).get(
            reverse("collaboration:firm_collaboration", args=[world.subscription.number])
        )
    )

    assert "Vad samarbetet med Revisorerna Norr AB kostar" in page and "448,00 kr" in page
    assert "Byrån betalar ingen avgift förrän vid förnyelse." in page


def _codes() -> list[str]:
    from clients.models import Program

    return list(Program.objects.values_list("code", flat=True))
