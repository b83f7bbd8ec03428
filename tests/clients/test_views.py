"""Flow 2 views: the permission grid (HTMX and plain form) and users page."""

from datetime import date, timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from clients.models import Level, Membership, ProgramLevel, Subscription, SubscriptionLicense
from clients.selectors import subscription_for_sysadmin
from collaboration.models import Coupling
from firm_portal.models import Consultant, User
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent, DeniedAttempt
from licensing.models import LicenseChange
from tests import factories
from tests.licensing.factories import replace_price_list

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

    def test_each_cell_saves_to_its_own_url(self, client, world, consultant_member):
        # The tag builds a cell's URL from the grid's (clients/templatetags/permissions.py).
        client.force_login(world.sysadmin)
        response = client.get(grid_url(world))
        members = [
            consultant_member,
            *world.subscription.memberships.exclude(pk=consultant_member.pk),
        ]
        for member in members:
            for code in ("bokforing", "arkivplats"):
                assert f'hx-post="{cell_url(world, member, code)}"' in response.text

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
        assert 'hx-swap-oob="true">1 av 1 licens<' in response.text
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

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
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

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
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

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_sysadmin_toggle_grants(self, client, world, consultant_member):
        """Under real transactions: the checkbox was a 500 on PostgreSQL when
        membership_set_sysadmin lost its atomic (its row lock then ran in no
        transaction, which the per-test transaction of other tests hides)."""
        client.force_login(world.sysadmin)
        url = reverse(
            "clients:set_sysadmin", args=[world.subscription.number, consultant_member.pk]
        )
        response = client.post(url, {f"sysadmin-{consultant_member.pk}": "on"}, **HTMX)
        assert response.status_code == 200
        assert "Sparat" in response.text
        consultant_member.refresh_from_db()
        assert consultant_member.is_sysadmin
        assert AccessEvent.objects.filter(
            kind=AccessEvent.Kind.SYSADMIN_CHANGED, subject_id=world.consultant.user.pk
        ).exists()

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_add_license(self, client, world):
        # Transactional tests flush the seeded price list: a small one of our own.
        replace_price_list(
            plans={"smart": ("300.00", "240.00")},
            programs={("smart", "lon"): ("95.00", "76.00")},
        )
        client.force_login(world.sysadmin)
        response = factories.add_license_confirmed(client, world.subscription, "lon")
        assert "En licens för Lön är tillagd. Abonnemanget har nu 1." in response.text
        assert SubscriptionLicense.objects.get(subscription=world.subscription).seats == 1
        assert LicenseChange.objects.get().actor == world.sysadmin

    def test_add_license_outsider_404(self, client, world):
        client.force_login(world.other_sysadmin)
        url = reverse("clients:add_license", args=[world.subscription.number, "lon"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"pris": "95.00", "bekrafta": "1"}).status_code == 404
        assert not SubscriptionLicense.objects.exists()

    def test_grid_query_count_is_constant(self, client, world, django_assert_num_queries):
        client.force_login(world.sysadmin)
        factories.LicenseFactory(subscription=world.subscription, seats=50)
        for _ in range(3):
            factories.MembershipFactory(subscription=world.subscription)
        # user, subscription, programs, members, levels (which also count the
        # seats used), seats, and the menu's consultant lookup
        with django_assert_num_queries(7):
            client.get(grid_url(world))
        for membership in factories.MembershipFactory.create_batch(
            30, subscription=world.subscription
        ):
            factories.give_level(membership, "bokforing", Level.READ)
        with django_assert_num_queries(7):
            client.get(grid_url(world))


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


SYSADMIN_PAGES = ["clients:permissions", "clients:users", "collaboration:firm_collaboration"]


def _yesterday():  # type: ignore[no-untyped-def]
    return today_in_stockholm() - timedelta(days=1)


class TestSysadminAccess:
    """`subscription_for_sysadmin`: only a live sysadmin membership of a
    subscription that has not ended opens its pages; every other case is 404
    and an ACCESS_DENIED event (the live rules of `live_membership_q`)."""

    @pytest.fixture
    def consultant_sysadmin(self, world):  # type: ignore[no-untyped-def]
        """Erik, a consultant of firm A (actively coupled to S), sysadmin of S."""
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        return factories.MembershipFactory(
            subscription=world.subscription,
            user=world.consultant.user,
            consultant=world.consultant,
            is_sysadmin=True,
        )

    def assert_refused(self, client, world, user):  # type: ignore[no-untyped-def]
        """Each refusal is counted; the subscription's ledger gets one event
        for them all (one actor, one window: collaboration.ledger)."""
        client.force_login(user)
        for tried, name in enumerate(SYSADMIN_PAGES, start=1):
            assert client.get(reverse(name, args=[world.subscription.number])).status_code == 404
            attempts = DeniedAttempt.objects.filter(
                actor_id=user.pk, subscription_id=world.subscription.pk
            )
            assert sum(attempts.values_list("attempts", flat=True)) == tried
        events = AccessEvent.objects.filter(kind=AccessEvent.Kind.ACCESS_DENIED)
        assert set(events.values_list("subscription_id", "actor_id")) == {
            (world.subscription.pk, user.pk)
        }
        assert events.count() == attempts.count()  # one per window (an hour's end may fall between)

    def assert_admitted(self, client, world, user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        for name in SYSADMIN_PAGES:
            assert client.get(reverse(name, args=[world.subscription.number])).status_code == 200
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.ACCESS_DENIED).exists()

    def test_live_client_sysadmin(self, client, world):  # type: ignore[no-untyped-def]
        # Several couplings of other firms do not get in the way.
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        factories.CouplingFactory(subscription=world.subscription)
        Membership.objects.filter(pk=world.sysadmin_membership.pk).update(
            ends_on=today_in_stockholm()  # the last day still counts
        )
        self.assert_admitted(client, world, world.sysadmin)

    def test_live_consultant_sysadmin(self, client, world, consultant_sysadmin):  # type: ignore[no-untyped-def]
        self.assert_admitted(client, world, world.consultant.user)

    @pytest.mark.parametrize(
        "change",
        [
            {"is_sysadmin": False},
            {"suspended_at": timezone.now()},
            {"ends_on": date(2000, 1, 1)},
            {"ends_on": "yesterday"},
        ],
        ids=["not-sysadmin", "suspended", "ended-long-ago", "ended-yesterday"],
    )
    def test_client_sysadmin_membership_not_live(self, client, world, change):  # type: ignore[no-untyped-def]
        change = {k: _yesterday() if v == "yesterday" else v for k, v in change.items()}
        Membership.objects.filter(pk=world.sysadmin_membership.pk).update(**change)
        self.assert_refused(client, world, world.sysadmin)

    def test_ended_subscription(self, client, world):  # type: ignore[no-untyped-def]
        Subscription.objects.filter(pk=world.subscription.pk).update(
            status=Subscription.Status.ENDED
        )
        self.assert_refused(client, world, world.sysadmin)

    def test_sysadmin_of_another_subscription(self, client, world):  # type: ignore[no-untyped-def]
        self.assert_refused(client, world, world.other_sysadmin)

    def test_plain_member(self, client, world):  # type: ignore[no-untyped-def]
        self.assert_refused(client, world, world.client_user)

    def test_inactive_consultant(self, client, world, consultant_sysadmin):  # type: ignore[no-untyped-def]
        Consultant.objects.filter(pk=world.consultant.pk).update(is_active=False)
        self.assert_refused(client, world, world.consultant.user)

    @pytest.mark.parametrize(
        "status",
        [Coupling.Status.ENDED, Coupling.Status.SCHEDULED, Coupling.Status.AWAITING_CUSTOMER],
    )
    def test_coupling_not_active(self, client, world, consultant_sysadmin, status):  # type: ignore[no-untyped-def]
        Coupling.objects.filter(firm=world.firm, subscription=world.subscription).update(
            status=status
        )
        self.assert_refused(client, world, world.consultant.user)

    def test_only_another_firms_coupling_is_active(self, client, world, consultant_sysadmin):  # type: ignore[no-untyped-def]
        Coupling.objects.filter(firm=world.firm, subscription=world.subscription).update(
            status=Coupling.Status.ENDED
        )
        factories.CouplingFactory(
            firm=world.other_firm_consultant.firm, subscription=world.subscription
        )
        # Firm A's active coupling elsewhere does not count either.
        factories.CouplingFactory(firm=world.firm, subscription=world.other_subscription)
        self.assert_refused(client, world, world.consultant.user)

    def test_inactive_user(self, world):  # type: ignore[no-untyped-def]
        # An inactive user is not logged in at all; the selector refuses too.
        User.objects.filter(pk=world.sysadmin.pk).update(is_active=False)
        world.sysadmin.refresh_from_db()
        with pytest.raises(Http404):
            subscription_for_sysadmin(user=world.sysadmin, number=world.subscription.number)
        assert AccessEvent.objects.filter(kind=AccessEvent.Kind.ACCESS_DENIED).count() == 1

    def test_unknown_number_is_404_without_event(self, world):  # type: ignore[no-untyped-def]
        with pytest.raises(Http404):
            subscription_for_sysadmin(user=world.sysadmin, number=999999999)
        assert not AccessEvent.objects.exists()


class TestGridPrograms:
    """Issue 14, item 9: the grid shows only programs that can be given
    (clients.catalogue.program_can_be_given): the plan's, and any the
    subscription has seats of; not "0 av 0 licenser" outside the plan."""

    def test_programs_outside_the_plan_without_seats_get_no_column(self, client, world):
        # Bageriet is on Smart: no Offert & Order, no Lager.
        member = world.sysadmin_membership.pk
        client.force_login(world.sysadmin)
        page = client.get(grid_url(world)).text
        for code in ("bokforing", "fakturering", "lon", "tid", "kvitto-resa", "arkivplats"):
            assert f'id="level-{member}-{code}"' in page
        for code, name in (("offert-order", "Offert &amp; Order"), ("lager", "Lager")):
            assert f'id="level-{member}-{code}"' not in page
            assert name not in page
        # Lisa and Klas × the plan's six programs (and the language menu).
        assert page.count('<select name="level-') == 2 * 6

    def test_a_program_outside_the_plan_with_seats_keeps_its_column(self, client, world):
        factories.LicenseFactory(
            subscription=world.subscription, program=factories.program("lager"), seats=1
        )
        member = world.sysadmin_membership.pk
        client.force_login(world.sysadmin)
        page = client.get(grid_url(world)).text
        assert f'id="level-{member}-lager"' in page
        assert "Ingår inte i varianten" in page
        assert f'id="level-{member}-offert-order"' not in page

    @pytest.mark.parametrize(
        ("plan", "code", "seats", "held", "shown"),
        [
            ("smart", "bokforing", 0, 0, True),
            ("smart", "lager", 0, 0, False),
            ("smart", "lager", 2, 0, True),
            ("smart", "lager", 0, 1, True),
            ("faktura", "lon", 0, 0, False),
            ("pro", "lager", 0, 0, True),
        ],
    )
    def test_the_rule(self, plan, code, seats, held, shown):
        from clients.catalogue import program_can_be_given

        assert program_can_be_given(plan=plan, program_code=code, seats=seats, held=held) is shown
