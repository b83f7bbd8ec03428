"""Flow 2 views: the permission grid (HTMX and plain form) and users page."""

import pytest
from django.urls import reverse

from clients.models import Level, ProgramLevel, SubscriptionLicense
from licensing.models import LicenseChange
from tests import factories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def consultant_member(world):  # type: ignore[no-untyped-def]
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    return factories.MembershipFactory(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )


def grid_url(world):  # type: ignore[no-untyped-def]
    return reverse("clients:permissions", args=[world.subscription.number])


def cell_url(world, membership, code="bokforing"):  # type: ignore[no-untyped-def]
    return reverse("clients:set_level", args=[world.subscription.number, membership.pk, code])


class TestPermissionGrid:
    def test_grid_lists_members_programs_and_new_consultant(self, client, world, consultant_member):
        client.force_login(world.sysadmin)
        response = client.get(grid_url(world))
        assert response.status_code == 200
        for text in [
            "Tilldela behörigheter",
            "Lisa Sysadmin",
            "Erik Konsult",
            "Bokföring",
            "Arkivplats",
            "Konsulter",
            "Klientanvändare",
            "Ny",
            "0 av 0 licenser",
        ]:
            assert text in response.text

    @pytest.mark.parametrize("who", ["client_user", "other_sysadmin"])
    def test_non_sysadmin_404(self, client, world, who):
        client.force_login(getattr(world, who))
        assert client.get(grid_url(world)).status_code == 404

    def test_consultant_member_is_not_admin_404(self, client, world, consultant_member):
        client.force_login(world.consultant.user)
        assert client.get(grid_url(world)).status_code == 404

    def test_htmx_cell_saves_and_confirms(self, client, world, consultant_member):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        client.force_login(world.sysadmin)
        response = client.post(
            cell_url(world, consultant_member),
            {f"level-{consultant_member.pk}-bokforing": Level.APPROVER},
            **HTMX,
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith("<td")
        assert "Sparat" in response.text
        assert '<option value="approver" selected>' in response.text
        assert 'id="usage-bokforing"' in response.text
        assert 'hx-swap-oob="true">1 av 1 licenser' in response.text
        assert ProgramLevel.objects.get(membership=consultant_member).level == Level.APPROVER

    def test_htmx_cell_without_seat_offers_add_license(self, client, world, consultant_member):
        client.force_login(world.sysadmin)
        response = client.post(
            cell_url(world, consultant_member),
            {f"level-{consultant_member.pk}-bokforing": Level.READ},
            **HTMX,
        )
        assert "Det finns ingen ledig licens för Bokföring (0 av 0 används)." in response.text
        assert "Lägg till licens" in response.text
        assert not ProgramLevel.objects.exists()

    def test_cell_without_htmx_redirects_with_message(self, client, world, consultant_member):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        client.force_login(world.sysadmin)
        response = client.post(
            cell_url(world, consultant_member),
            {f"level-{consultant_member.pk}-bokforing": Level.READ},
            follow=True,
        )
        assert response.redirect_chain == [(grid_url(world), 302)]
        assert "Behörigheten är sparad." in response.text

    def test_cell_for_member_of_other_subscription_404(self, client, world):
        foreign = factories.MembershipFactory(subscription=world.other_subscription)
        client.force_login(world.sysadmin)
        response = client.post(cell_url(world, foreign), {}, **HTMX)
        assert response.status_code == 404

    def test_unknown_program_404(self, client, world):
        client.force_login(world.sysadmin)
        response = client.post(cell_url(world, world.sysadmin_membership, "kaffe"), {}, **HTMX)
        assert response.status_code == 404

    def test_cell_get_not_allowed(self, client, world):
        client.force_login(world.sysadmin)
        assert client.get(cell_url(world, world.sysadmin_membership)).status_code == 405

    def test_whole_grid_form_without_javascript(self, client, world, consultant_member):
        factories.LicenseFactory(subscription=world.subscription, seats=2)
        client.force_login(world.sysadmin)
        member = world.sysadmin_membership
        response = client.post(
            grid_url(world),
            {
                f"level-{member.pk}-bokforing": Level.ADMIN,
                f"level-{consultant_member.pk}-bokforing": Level.REPORTER,
                f"sysadmin-{member.pk}": "on",
                f"sysadmin-{consultant_member.pk}": "on",
            },
            follow=True,
        )
        assert "Behörigheterna är sparade." in response.text
        assert ProgramLevel.objects.count() == 2
        consultant_member.refresh_from_db()
        assert consultant_member.is_sysadmin

    def test_whole_grid_is_all_or_nothing(self, client, world, consultant_member):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        client.force_login(world.sysadmin)
        member = world.sysadmin_membership
        response = client.post(
            grid_url(world),
            {
                f"level-{member.pk}-bokforing": Level.ADMIN,
                f"level-{consultant_member.pk}-bokforing": Level.REPORTER,
                f"sysadmin-{member.pk}": "on",
            },
        )
        assert response.status_code == 422
        assert "Inget sparades:" in response.text
        assert "Det finns ingen ledig licens för Bokföring" in response.text
        assert not ProgramLevel.objects.exists()

    def test_sysadmin_toggle_refuses_last(self, client, world):
        client.force_login(world.sysadmin)
        url = reverse(
            "clients:set_sysadmin", args=[world.subscription.number, world.sysadmin_membership.pk]
        )
        response = client.post(url, {}, **HTMX)
        assert "Lisa Sysadmin är den enda systemadministratören." in response.text
        assert "checked" in response.text
        world.sysadmin_membership.refresh_from_db()
        assert world.sysadmin_membership.is_sysadmin

    def test_sysadmin_toggle_grants(self, client, world, consultant_member):
        client.force_login(world.sysadmin)
        url = reverse(
            "clients:set_sysadmin", args=[world.subscription.number, consultant_member.pk]
        )
        response = client.post(url, {f"sysadmin-{consultant_member.pk}": "on"}, **HTMX)
        assert "Sparat" in response.text
        consultant_member.refresh_from_db()
        assert consultant_member.is_sysadmin

    def test_add_license(self, client, world):
        client.force_login(world.sysadmin)
        url = reverse("clients:add_license", args=[world.subscription.number, "lon"])
        response = client.post(url, follow=True)
        assert "En licens för Lön är tillagd. Abonnemanget har nu 1." in response.text
        assert SubscriptionLicense.objects.get(subscription=world.subscription).seats == 1
        assert LicenseChange.objects.get().actor == world.sysadmin

    def test_add_license_outsider_404(self, client, world):
        client.force_login(world.other_sysadmin)
        url = reverse("clients:add_license", args=[world.subscription.number, "lon"])
        assert client.post(url).status_code == 404
        assert not SubscriptionLicense.objects.exists()

    def test_grid_query_count_is_constant(self, client, world, django_assert_max_num_queries):
        client.force_login(world.sysadmin)
        factories.LicenseFactory(subscription=world.subscription, seats=50)
        for _ in range(3):
            factories.MembershipFactory(subscription=world.subscription)
        with django_assert_max_num_queries(12) as small:
            client.get(grid_url(world))
        for membership in factories.MembershipFactory.create_batch(
            30, subscription=world.subscription
        ):
            factories.give_level(membership, "bokforing", Level.READ)
        with django_assert_max_num_queries(12) as large:
            client.get(grid_url(world))
        assert len(large.captured_queries) == len(small.captured_queries)


class TestUsersPage:
    def test_lists_client_users_and_consultants(self, client, world, consultant_member):
        client.force_login(world.sysadmin)
        response = client.get(reverse("clients:users", args=[world.subscription.number]))
        assert response.status_code == 200
        assert "Administrera användare" in response.text
        assert "Klas Klientanvändare" in response.text
        konsulter = response.text[response.text.index("Konsulter") :]
        assert "Erik Konsult" in konsulter
        assert "Revisorerna Norr AB" in konsulter
        assert "Ny" in konsulter

    def test_outsider_404(self, client, world):
        client.force_login(world.other_sysadmin)
        response = client.get(reverse("clients:users", args=[world.subscription.number]))
        assert response.status_code == 404
