"""The pages of "Byte av byrå" (flow 7), for each party. Outsiders' 404s:
tests/test_access_matrix.py and tests/test_ledger_proof.py."""

import pytest
from django.test import Client
from django.urls import reverse

from clients.models import Membership
from collaboration.models import Coupling, FirmChange
from firm_portal.timeutils import today_in_stockholm
from licensing.pricing import Month, add_months
from tests import factories
from tests.collaboration.firm_change_fixtures import Change, old_firm_coupled, send
from tests.conftest import World

pytestmark = pytest.mark.django_db

# The first of the month after next: a date the form accepts whenever the tests run.
FIRST = add_months(Month.of(today_in_stockholm()).next_first, 1)


@pytest.fixture
def old(world: World) -> Change:
    return old_firm_coupled(world)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def form_data(world: World, **extra: str) -> dict[str, object]:
    return {
        "org_number": world.subscription.client.org_number,
        "subscription_number": world.subscription.number,
        "responsible_consultant": world.consultant.pk,
        "start": "month",
        "starts_on": FIRST.isoformat(),
        **extra,
    }


def test_ny_klient_offers_byte_av_byra_when_another_firm_is_coupled(
    world: World, old: Change
) -> None:
    client = logged_in(world.consultant.user)
    response = client.post(
        reverse("collaboration:new_client"), {"org_number": world.subscription.client.org_number}
    )
    assert "Sammankoppling med befintligt abonnemang" in response.text
    assert "Abonnemanget är redan sammankopplat med en annan byrå" in response.text
    assert reverse("collaboration:firm_change_new") in response.text


def test_ny_klient_does_not_offer_it_otherwise(world: World) -> None:
    client = logged_in(world.consultant.user)
    response = client.post(
        reverse("collaboration:new_client"), {"org_number": world.subscription.client.org_number}
    )
    assert "Sammankoppling med befintligt abonnemang" in response.text
    assert reverse("collaboration:firm_change_new") not in response.text


def test_the_form_defaults_to_the_first_of_next_month(world: World, old: Change) -> None:
    client = logged_in(world.consultant.user)
    response = client.get(
        reverse("collaboration:firm_change_new"),
        {
            "org_number": world.subscription.client.org_number,
            "subscription_number": world.subscription.number,
        },
    )
    assert response.status_code == 200
    next_first = Month.of(today_in_stockholm()).next_first.isoformat()
    assert f'value="{next_first}"' in response.text
    assert "Direkt vid godkännande" in response.text
    assert "Kunden har ingen egen systemadministratör" not in response.text


def test_sending_leads_to_the_change(world: World, old: Change) -> None:
    client = logged_in(world.consultant.user)
    response = client.post(reverse("collaboration:firm_change_new"), form_data(world), follow=True)
    change = FirmChange.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "collaboration:firm_change_detail", args=[change.pk]
    )
    assert "Begäran om byte av byrå är skickad till Bageriet Solsidan AB." in response.text
    assert change.starts_on == FIRST
    # Before the client's consent the asking firm sees no plan, costs or payer.
    assert "Kostnad per månad" not in response.text
    assert "Väntar på kundens svar" in response.text


@pytest.mark.parametrize(
    ("starts_on", "message"),
    [
        (FIRST.replace(day=15).isoformat(), "Bytet sker den första dagen i en månad."),
        ("2099-03-01", "Datumet kan ligga högst två år fram i tiden."),
        ("2020-03-01", "Välj den första dagen i en kommande månad."),
        ("", "Ange datum för bytet."),
        ("inte ett datum", "Fyll i ett giltigt datum."),
    ],
)
def test_bad_dates_are_refused_next_to_the_field(
    world: World, old: Change, starts_on: str, message: str
) -> None:
    client = logged_in(world.consultant.user)
    response = client.post(
        reverse("collaboration:firm_change_new"), form_data(world, starts_on=starts_on)
    )
    assert response.status_code == 422
    assert message in response.text
    assert not FirmChange.objects.exists()


def test_a_tampered_subscription_number_starts_over(world: World, old: Change) -> None:
    client = logged_in(world.consultant.user)
    response = client.post(
        reverse("collaboration:firm_change_new"),
        form_data(world, subscription_number="99999999"),
        follow=True,
    )
    assert "Börja om med organisationsnumret." in response.text
    assert not FirmChange.objects.exists()


def test_the_client_without_own_sysadmin_is_explained(world: World, old: Change) -> None:
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    client = logged_in(world.consultant.user)
    response = client.get(
        reverse("collaboration:firm_change_new"),
        {
            "org_number": world.subscription.client.org_number,
            "subscription_number": world.subscription.number,
        },
    )
    assert "Kunden har ingen egen systemadministratör" in response.text
    assert "kostnadsfritt" in response.text


def test_without_a_seat_the_form_is_refused(world: World, old: Change) -> None:
    client = logged_in(world.no_seat_consultant.user)
    response = client.post(reverse("collaboration:firm_change_new"), form_data(world))
    assert response.status_code == 403
    assert not FirmChange.objects.exists()


def test_wrong_method(world: World, old: Change) -> None:
    change = send(world, FIRST)
    client = logged_in(world.sysadmin)
    assert client.put(reverse("collaboration:firm_change_new")).status_code == 405
    assert (
        client.get(reverse("collaboration:firm_change_approve", args=[change.pk])).status_code
        == 405
    )
    assert (
        client.get(reverse("collaboration:firm_change_refuse", args=[change.pk])).status_code == 405
    )


def test_the_client_sees_what_happens_and_approves(world: World, old: Change) -> None:
    change = send(world, FIRST)
    client = logged_in(world.sysadmin)
    page = client.get(reverse("collaboration:firm_change_detail", args=[change.pk]))
    for text in (
        f"Det här händer {FIRST.isoformat()}",
        "Samarbetet med Gamla Byrån AB avslutas.",
        "Greta Gammal",
        "Bokföring: Attestansvarig",
        "Lisa Sysadmin",
        "Kunden är fakturamottagare och förblir det.",
        "Bokföring: 3 licenser",
        "Kostnad per månad",
        "Jag godkänner",
        "Avbryt bytet",
    ):
        assert text in page.text, text
    response = client.post(
        reverse("collaboration:firm_change_approve", args=[change.pk]), follow=True
    )
    assert f"Bytet av byrå är godkänt och sker {FIRST.isoformat()}." in response.text
    assert FirmChange.objects.get().status == FirmChange.Status.APPROVED


def test_direct_approval_leads_to_tilldela_behorigheter(world: World, old: Change) -> None:
    change = send(world)
    response = logged_in(world.sysadmin).post(
        reverse("collaboration:firm_change_approve", args=[change.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "clients:permissions", args=[world.subscription.number]
    )
    assert "Bytet av byrå är genomfört: Revisorerna Norr AB har tagit över." in response.text
    assert Coupling.objects.get(pk=old.old_coupling.pk).status == Coupling.Status.ENDED


def test_the_asking_firm_cannot_approve_its_own_change(world: World, old: Change) -> None:
    change = send(world)
    response = logged_in(world.consultant.user).post(
        reverse("collaboration:firm_change_approve", args=[change.pk])
    )
    assert response.status_code == 403
    assert FirmChange.objects.get().status == FirmChange.Status.PENDING


def test_the_old_firm_sees_the_change_but_cannot_answer_or_cancel(
    world: World, old: Change
) -> None:
    change = send(world, FIRST)
    client = logged_in(old.old_admin.user)
    page = client.get(reverse("collaboration:firm_change_detail", args=[change.pk]))
    assert "Från Gamla Byrån AB till Revisorerna Norr AB" in page.text
    assert "Jag godkänner" not in page.text
    assert "Avbryt bytet" not in page.text
    assert (
        client.post(reverse("collaboration:firm_change_refuse", args=[change.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("collaboration:firm_change_cancel", args=[change.pk])).status_code
        == 403
    )
    assert FirmChange.objects.get().status == FirmChange.Status.PENDING


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_refusing(world: World, old: Change) -> None:
    change = send(world, FIRST)
    response = logged_in(world.sysadmin).post(
        reverse("collaboration:firm_change_refuse", args=[change.pk]), follow=True
    )
    assert "Bytet till Revisorerna Norr AB är avböjt. Byrån har fått besked." in response.text
    assert FirmChange.objects.get().status == FirmChange.Status.REFUSED


@pytest.mark.django_db(
    transaction=True
)  # its row lock under a real transaction (tests/lock_coverage.py)
def test_cancelling_asks_first(world: World, old: Change) -> None:
    change = send(world, FIRST)
    client = logged_in(world.consultant.user)
    url = reverse("collaboration:firm_change_cancel", args=[change.pk])
    page = client.get(url)
    assert "Ja, avbryt bytet" in page.text
    assert FirmChange.objects.get().status == FirmChange.Status.PENDING
    response = client.post(url, follow=True)
    assert "Bytet av byrå är avbrutet. Inget ändras." in response.text
    assert FirmChange.objects.get().status == FirmChange.Status.CANCELLED
    # Twice: the page says so instead of failing.
    assert client.get(url).status_code == 403


def test_byrasamarbete_shows_the_pending_change(world: World, old: Change) -> None:
    change = send(world, FIRST)
    page = logged_in(world.sysadmin).get(
        reverse("collaboration:firm_collaboration", args=[world.subscription.number])
    )
    assert reverse("collaboration:firm_change_detail", args=[change.pk]) in page.text
    assert "Från Gamla Byrån AB till Revisorerna Norr AB: Väntar på kundens svar" in page.text


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_for_3_and_30(
    world: World, rows: int, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rows):
        coupling = factories.CouplingFactory(firm=factories.FirmFactory())
        FirmChange.objects.create(
            subscription=coupling.subscription,
            new_firm=world.firm,
            old_firm=coupling.firm,
            old_coupling=coupling,
            responsible_consultant=world.consultant,
            requested_by=world.consultant.user,
            expires_at=coupling.created_at,
        )
    client = logged_in(world.firm_admin.user)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("collaboration:firm_changes"))
    assert page.text.count("/byte-av-byra/") >= rows
