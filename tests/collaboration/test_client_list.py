"""Klienthanteraren: "Hantera klienter" with "Utökad sökning", and
"Lägg till konsult" on a client's page."""

import pytest
from django.urls import reverse

from clients.models import ClientAssignment, Membership
from collaboration.assignments.selectors import assignment_matches, assignment_panel
from collaboration.changes.selectors import collaborations_for_consultant
from collaboration.models import Coupling
from tests import factories

pytestmark = pytest.mark.django_db
LIST = reverse("collaboration:client_list")


@pytest.fixture
def firm_clients(world):  # type: ignore[no-untyped-def]
    """Three clients of firm A: Erik is assigned to Alfa and Beta; Beta has
    no client users; Gamma's coupling is scheduled."""
    alfa = factories.CouplingFactory(firm=world.firm, subscription__client__name="Alfa AB")
    beta = factories.CouplingFactory(firm=world.firm, subscription__client__name="Beta AB")
    gamma = factories.CouplingFactory(
        firm=world.firm, subscription__client__name="Gamma AB", status=Coupling.Status.SCHEDULED
    )
    for coupling in (alfa, gamma):
        factories.MembershipFactory(subscription=coupling.subscription)
    for coupling in (alfa, beta):
        ClientAssignment.objects.create(
            consultant=world.consultant, subscription=coupling.subscription
        )
    factories.CouplingFactory(subscription__client__name="Annan byrås AB")
    return alfa, beta, gamma


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        name
        for name in ("Alfa AB", "Beta AB", "Gamma AB", "Annan byrås AB")
        if f'<th scope="row">{name}</th>' in response.text
    ]


def test_consultant_sees_exactly_assigned_clients(client, world, firm_clients):
    client.force_login(world.consultant.user)
    assert names(client.get(LIST)) == ["Alfa AB", "Beta AB"]


def test_firm_admin_sees_all_of_the_firms_clients(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    assert names(client.get(LIST)) == ["Alfa AB", "Beta AB", "Gamma AB"]


def test_consultant_without_seat_gets_the_explanation(client, world, firm_clients):
    client.force_login(world.no_seat_consultant.user)
    response = client.get(LIST)
    assert response.status_code == 403
    assert "Du behöver en licens för Klienthanteraren" in response.text


def test_client_user_404(client, world):
    client.force_login(world.sysadmin)
    assert client.get(LIST).status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "beta"}, ["Beta AB"]),
        ({"status": "scheduled"}, ["Gamma AB"]),
        ({"saknar_klientanvandare": "on"}, ["Beta AB"]),
    ],
)
def test_search_and_filters(client, world, firm_clients, params, expected):
    client.force_login(world.firm_admin.user)
    assert names(client.get(LIST, params)) == expected


def test_search_by_org_number_and_subscription_number(client, world, firm_clients):
    alfa = firm_clients[0].subscription
    client.force_login(world.firm_admin.user)
    assert names(client.get(LIST, {"q": alfa.client.org_number})) == ["Alfa AB"]
    assert names(client.get(LIST, {"q": alfa.client.org_number.replace("-", "")})) == ["Alfa AB"]
    assert names(client.get(LIST, {"q": str(alfa.number)})) == ["Alfa AB"]


@pytest.mark.parametrize("how", ["org_number", "org_number_without_dash", "number", "name"])
def test_every_client_search_finds_the_same(world, firm_clients, how):
    # One client search (`subscription_matching_q`): "Hantera klienter",
    # "Samarbeten" and the assignment panel of "Administrera användare" all
    # find a client by its organisationsnummer typed without the dash, too.
    alfa = firm_clients[0].subscription
    query = {
        "org_number": alfa.client.org_number,
        "org_number_without_dash": alfa.client.org_number.replace("-", ""),
        "number": str(alfa.number),
        "name": "alfa",
    }[how]
    admin = world.firm_admin
    overview = collaborations_for_consultant(consultant=admin, query=query)
    panel, total = assignment_panel(actor=admin, consultant=world.consultant, query=query)
    assert [c.subscription_id for c in overview] == [alfa.pk]
    assert [s.pk for s, _assigned in panel] == [alfa.pk] and total == 1
    assert assignment_matches(actor=admin, query=query) == [alfa.pk]


def test_a_search_is_counted_up_to_the_cap_and_says_so(client, world, firm_clients, monkeypatch):
    # A name fragment matching most of a large firm's clients is not counted
    # to the end: past the cap the page says so and numbers no last page.
    monkeypatch.setattr("collaboration.client_list.selectors.SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr("collaboration.client_list.views.CLIENTS_PER_PAGE", 1)
    client.force_login(world.firm_admin.user)
    capped = client.get(LIST, {"q": " ab"})
    assert names(capped) == ["Alfa AB"]
    assert "Fler än 2 klienter (räknas inte längre än så; smalna av sökningen)." in capped.text
    assert "Sida 1</span>" in capped.text and "Sida 1 av" not in capped.text
    exact = client.get(LIST, {"q": "beta"})
    assert "1 klient" in exact.text and "Fler än" not in exact.text
    # The whole list is counted exactly: no search, no cap.
    assert "3 klienter" in client.get(LIST).text


class TestConsultantFilterOfALargeFirm:
    """Past CONSULTANT_SELECT_MAX consultants "Konsult" is a search box: a
    select of 3,000 would be most of the page (firm_portal/consultant_filter.py)."""

    @pytest.fixture(autouse=True)
    def large(self, monkeypatch):  # type: ignore[no-untyped-def]
        monkeypatch.setattr("firm_portal.consultant_filter.CONSULTANT_SELECT_MAX", 1)

    def test_a_name_an_address_or_a_link_finds_the_one_consultant(
        self, client, world, firm_clients
    ):
        client.force_login(world.firm_admin.user)
        email = world.consultant.user.email
        for value in ("erik konsult", "Erik", email.upper(), str(world.consultant.pk)):
            response = client.get(LIST, {"konsult": value})
            assert names(response) == ["Alfa AB", "Beta AB"], value
            # The box then shows the address, which finds the same consultant again.
            assert f'type="search" name="konsult" value="{email}"' in response.text
        assert "<option" not in client.get(LIST).text.split('name="konsult"')[1].split("</div>")[0]

    def test_a_name_that_fits_several_or_none_says_so(self, client, world, firm_clients):
        client.force_login(world.firm_admin.user)
        several = client.get(LIST, {"konsult": "n"})  # Anna Admin, Erik Konsult, Nils …
        assert names(several) == []
        assert (
            "Flera konsulter matchar ”n”. Skriv mer av namnet eller hela e-postadressen."
            in several.text
        )
        none = client.get(LIST, {"konsult": "Olle Annanbyrå"})  # another firm's
        assert names(none) == []
        assert "Ingen konsult på byrån matchar ”Olle Annanbyrå”." in none.text
        other_firms = client.get(LIST, {"konsult": str(world.other_firm_consultant.pk)})
        assert names(other_firms) == []


def test_filter_by_consultant(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    response = client.get(LIST, {"konsult": world.consultant.pk})
    assert names(response) == ["Alfa AB", "Beta AB"]
    assert "2 klienter" in response.text


def test_sort_descending(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    text = client.get(LIST, {"sortera": "-namn"}).text
    assert text.index("Gamma AB") < text.index("Beta AB") < text.index("Alfa AB")


def test_empty_result_says_so(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    assert "Inga klienter matchar sökningen." in client.get(LIST, {"q": "zzz"}).text


def test_htmx_returns_the_results_fragment(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    response = client.get(
        LIST, {"q": "alfa"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="client-results"
    )
    assert response.text.lstrip().startswith('<div id="client-results">')


def test_bad_filter_values_are_ignored_not_500(client, world, firm_clients):
    client.force_login(world.firm_admin.user)
    response = client.get(LIST, {"konsult": "abc", "sortera": "x", "status": "y"})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 300])
def test_query_count_constant(client, world, django_assert_num_queries, size):
    for subscription in factories.SubscriptionFactory.create_batch(size):
        factories.CouplingFactory(firm=world.firm, subscription=subscription)
        ClientAssignment.objects.create(consultant=world.consultant, subscription=subscription)
        ClientAssignment.objects.create(consultant=world.firm_admin, subscription=subscription)
    client.force_login(world.firm_admin.user)
    # user, consultant, firm consultants (filter), count, page, assignments (the
    # session comes from Redis)
    with django_assert_num_queries(6):
        response = client.get(LIST, {"q": "Kund", "saknar_klientanvandare": "on"})
    assert response.status_code == 200


class TestClientDetail:
    @pytest.fixture
    def sysadmin_consultant(self, world):  # type: ignore[no-untyped-def]
        """Erik is sysadmin in Alfa (coupled to firm A)."""
        coupling = factories.CouplingFactory(firm=world.firm, subscription__client__name="Alfa AB")
        Membership.objects.create(
            subscription=coupling.subscription,
            user=world.consultant.user,
            consultant=world.consultant,
            is_sysadmin=True,
        )
        ClientAssignment.objects.create(
            consultant=world.consultant, subscription=coupling.subscription
        )
        return coupling.subscription

    def test_sysadmin_adds_colleague_who_then_sees_the_client(
        self, client, world, sysadmin_consultant
    ):
        colleague = factories.ConsultantFactory(firm=world.firm, user__full_name="Eva Ek")
        client.force_login(world.consultant.user)
        url = reverse("collaboration:client_detail", args=[sysadmin_consultant.number])
        page = client.get(url)
        assert "Lägg till konsult" in page.text
        assert "Eva Ek" in page.text
        response = client.post(
            reverse("collaboration:client_add_consultant", args=[sysadmin_consultant.number]),
            {"consultant": colleague.pk},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse(
            "clients:permissions", args=[sysadmin_consultant.number]
        )
        assert "Eva Ek är tillagd i abonnemanget." in response.text
        assert Membership.objects.filter(
            subscription=sysadmin_consultant, consultant=colleague
        ).exists()
        client.force_login(colleague.user)
        assert "Alfa AB" in client.get(LIST).text

    def test_not_sysadmin_explains_who_must_do_it(self, client, world, sysadmin_consultant):
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("collaboration:client_detail", args=[sysadmin_consultant.number]))
        assert 'name="consultant"' not in page.text
        assert "Be klientens systemadministratör lägga till konsulten under Administrera" in (
            page.text
        )
        response = client.post(
            reverse("collaboration:client_add_consultant", args=[sysadmin_consultant.number]),
            {"consultant": world.no_seat_consultant.pk},
            follow=True,
        )
        assert "Bara klientens systemadministratör kan lägga till konsulter" in response.text
        assert not Membership.objects.filter(consultant=world.no_seat_consultant).exists()

    def test_cannot_add_other_firms_consultant(self, client, world, sysadmin_consultant):
        client.force_login(world.consultant.user)
        response = client.post(
            reverse("collaboration:client_add_consultant", args=[sysadmin_consultant.number]),
            {"consultant": world.other_firm_consultant.pk},
        )
        assert response.status_code == 404
        assert not Membership.objects.filter(consultant=world.other_firm_consultant).exists()

    def test_unassigned_consultant_gets_404(self, client, world, sysadmin_consultant):
        colleague = factories.ConsultantFactory(firm=world.firm)
        client.force_login(colleague.user)
        url = reverse("collaboration:client_detail", args=[sysadmin_consultant.number])
        assert client.get(url).status_code == 404
