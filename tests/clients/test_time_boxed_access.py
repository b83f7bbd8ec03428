"""Time-boxed access: an end date ("Åtkomst till och med"), pausing and
resuming a consultant in a subscription, and the daily task that removes
access past its end date and tells the firm."""

import threading
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients import services, tasks
from clients.models import Level, Membership, ProgramLevel
from clients.selectors import active_sysadmins
from firm_portal.celery import app
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from notifications.models import OutboxMessage
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def yesterday() -> date:
    return today_in_stockholm() - timedelta(days=1)


@pytest.fixture
def erik(world: World) -> Membership:
    """Erik Konsult (firm A, coupled) in subscription S, not sysadmin."""
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    return Membership.objects.create(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )


@pytest.fixture
def sysadmin_client(client: Client, world: World) -> Client:
    client.force_login(world.sysadmin)
    return client


def url(name: str, membership: Membership) -> str:
    return reverse(f"clients:{name}", args=[membership.subscription.number, membership.pk])


def users_url(world: World) -> str:
    return reverse("clients:users", args=[world.subscription.number])


def make_last_sysadmin(world: World, membership: Membership) -> None:
    Membership.objects.filter(pk=membership.pk).update(is_sysadmin=True)
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    membership.refresh_from_db()


class TestEndDateService:
    def set(self, world: World, membership: Membership, ends_on: date | None) -> Membership:
        return services.membership_set_end_date(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=membership,
            ends_on=ends_on,
        )

    def test_future_today_and_cleared(self, world, erik):
        in_a_month = today_in_stockholm() + timedelta(days=30)
        self.set(world, erik, in_a_month)
        erik.refresh_from_db()
        assert erik.ends_on == in_a_month
        self.set(world, erik, today_in_stockholm())
        erik.refresh_from_db()
        assert erik.ends_on == today_in_stockholm()
        self.set(world, erik, None)
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_past_is_refused(self, world, erik):
        with pytest.raises(ValidationError) as error:
            self.set(world, erik, yesterday())
        assert error.value.messages == ["Datumet kan inte ligga i det förflutna."]
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_client_user_is_refused(self, world):
        membership = world.subscription.memberships.get(user=world.client_user)
        with pytest.raises(ValidationError) as error:
            self.set(world, membership, today_in_stockholm())
        assert error.value.messages == [
            "Klas Klientanvändare är klientanvändare. Bara konsulters åtkomst kan "
            "tidsbegränsas eller pausas."
        ]

    def test_access_lasts_through_the_end_date(self, world, erik):
        make_last_sysadmin(world, erik)
        Membership.objects.filter(pk=erik.pk).update(ends_on=today_in_stockholm())
        assert list(active_sysadmins(subscription=world.subscription)) == [erik]
        Membership.objects.filter(pk=erik.pk).update(ends_on=yesterday())
        assert not active_sysadmins(subscription=world.subscription).exists()


def sysadmin_colleague(world: World, name: str, **extra: object) -> Membership:
    """Another consultant of firm A, sysadmin in S."""
    colleague = factories.ConsultantFactory(firm=world.firm, user__full_name=name)
    return Membership.objects.create(
        subscription=world.subscription,
        user=colleague.user,
        consultant=colleague,
        is_sysadmin=True,
        **extra,
    )


LAST_SYSADMIN_END_DATE = (
    "Erik Konsult är den enda systemadministratören. Gör någon annan till "
    "systemadministratör innan du sätter ett slutdatum."
)
ONLY_LASTING = (
    "Erik Konsult är den enda systemadministratören med åtkomst tills vidare – de andra har "
    "ett slutdatum. Ta bort ett slutdatum eller gör någon annan till systemadministratör först."
)


class TestLastSysadminEndDate:
    """An end date on the last live sysadmin would leave the subscription
    without one the day after: refused like pausing, with nothing written."""

    def set(self, world: World, membership: Membership, ends_on: date | None) -> Membership:
        return services.membership_set_end_date(
            actor=membership.user,
            subscription=world.subscription,
            membership=membership,
            ends_on=ends_on,
        )

    @pytest.mark.parametrize("days", [0, 30])
    def test_the_only_live_sysadmin_cannot_get_an_end_date(self, world, erik, days):
        make_last_sysadmin(world, erik)
        with pytest.raises(ValidationError) as error:
            self.set(world, erik, today_in_stockholm() + timedelta(days=days))
        assert error.value.messages == [LAST_SYSADMIN_END_DATE]
        erik.refresh_from_db()
        assert erik.ends_on is None
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.MEMBER_END_DATE).exists()

    def test_clearing_the_end_date_is_always_allowed(self, world, erik):
        make_last_sysadmin(world, erik)
        Membership.objects.filter(pk=erik.pk).update(ends_on=today_in_stockholm())
        self.set(world, erik, None)
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_two_sysadmins_cannot_both_get_end_dates(self, world, erik):
        make_last_sysadmin(world, erik)
        maja = sysadmin_colleague(world, "Maja Kollega")
        in_a_month = today_in_stockholm() + timedelta(days=30)
        self.set(world, maja, in_a_month)  # Erik stays tills vidare
        with pytest.raises(ValidationError) as error:
            self.set(world, erik, in_a_month + timedelta(days=30))
        assert error.value.messages == [ONLY_LASTING]
        erik.refresh_from_db()
        assert erik.ends_on is None
        # Once Maja is tills vidare again, Erik may go.
        self.set(world, maja, None)
        self.set(world, erik, in_a_month)
        erik.refresh_from_db()
        assert erik.ends_on == in_a_month

    def test_a_paused_sysadmin_does_not_count(self, world, erik):
        make_last_sysadmin(world, erik)
        sysadmin_colleague(world, "Maja Kollega", suspended_at=timezone.now())
        with pytest.raises(ValidationError) as error:
            self.set(world, erik, today_in_stockholm())
        assert error.value.messages == [LAST_SYSADMIN_END_DATE]

    def test_no_pause_while_the_other_sysadmin_has_an_end_date(self, world, erik):
        make_last_sysadmin(world, erik)
        sysadmin_colleague(world, "Maja Kollega", ends_on=today_in_stockholm() + timedelta(days=9))
        with pytest.raises(ValidationError) as error:
            services.membership_suspend(
                actor=erik.user, subscription=world.subscription, membership=erik
            )
        assert error.value.messages == [ONLY_LASTING]
        erik.refresh_from_db()
        assert erik.suspended_at is None

    def test_no_removing_the_flag_while_the_other_has_an_end_date(self, world, erik):
        make_last_sysadmin(world, erik)
        sysadmin_colleague(world, "Maja Kollega", ends_on=today_in_stockholm() + timedelta(days=9))
        with pytest.raises(ValidationError) as error:
            services.membership_set_sysadmin(
                actor=erik.user, subscription=world.subscription, membership=erik, is_sysadmin=False
            )
        assert error.value.messages == [ONLY_LASTING]
        erik.refresh_from_db()
        assert erik.is_sysadmin

    def test_a_client_user_sysadmin_keeps_it_administered(self, world, erik):
        # Lisa (a client user, no end date possible) is sysadmin too.
        Membership.objects.filter(pk=erik.pk).update(is_sysadmin=True)
        self.set(world, erik, today_in_stockholm())
        erik.refresh_from_db()
        assert erik.ends_on == today_in_stockholm()

    def test_refused_on_administrera_anvandare(self, client, world, erik):
        """The reported case: the only sysadmin gives themselves an end date
        of today on "Administrera användare"."""
        make_last_sysadmin(world, erik)
        client.force_login(world.consultant.user)
        response = client.post(
            url("set_end_date", erik), {"ends_on": today_in_stockholm().isoformat()}, **HTMX
        )
        assert response.status_code == 200
        assert f'<p class="error" role="alert">{LAST_SYSADMIN_END_DATE}</p>' in response.text
        erik.refresh_from_db()
        assert erik.ends_on is None
        # The next day the subscription still has its sysadmin.
        assert list(active_sysadmins(subscription=world.subscription)) == [erik]


class TestSuspendService:
    def suspend(self, world: World, membership: Membership) -> Membership:
        return services.membership_suspend(
            actor=world.sysadmin, subscription=world.subscription, membership=membership
        )

    def resume(self, world: World, membership: Membership) -> Membership:
        return services.membership_resume(
            actor=world.sysadmin, subscription=world.subscription, membership=membership
        )

    def test_suspend_and_resume(self, world, erik):
        Membership.objects.filter(pk=erik.pk).update(is_sysadmin=True)
        assert active_sysadmins(subscription=world.subscription).filter(pk=erik.pk).exists()
        self.suspend(world, erik)
        erik.refresh_from_db()
        assert erik.suspended_at is not None
        assert not active_sysadmins(subscription=world.subscription).filter(pk=erik.pk).exists()
        # Suspending again keeps the first moment.
        first = erik.suspended_at
        self.suspend(world, erik)
        erik.refresh_from_db()
        assert erik.suspended_at == first
        self.resume(world, erik)
        erik.refresh_from_db()
        assert erik.suspended_at is None
        assert active_sysadmins(subscription=world.subscription).filter(pk=erik.pk).exists()

    def test_levels_stay_while_paused(self, world, erik):
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        factories.give_level(erik, "bokforing", Level.READ)
        self.suspend(world, erik)
        assert ProgramLevel.objects.filter(membership=erik).count() == 1

    def test_last_live_sysadmin_cannot_be_suspended(self, world, erik):
        make_last_sysadmin(world, erik)
        with pytest.raises(ValidationError) as error:
            self.suspend(world, erik)
        assert error.value.messages == [
            "Erik Konsult är den enda systemadministratören. Gör någon annan till "
            "systemadministratör innan du pausar åtkomsten."
        ]
        erik.refresh_from_db()
        assert erik.suspended_at is None

    def test_a_paused_or_expired_other_sysadmin_does_not_count(self, world, erik):
        make_last_sysadmin(world, erik)
        colleague = factories.ConsultantFactory(firm=world.firm)
        factories.MembershipFactory(
            subscription=world.subscription,
            user=colleague.user,
            consultant=colleague,
            is_sysadmin=True,
            suspended_at=timezone.now(),
        )
        another = factories.ConsultantFactory(firm=world.firm)
        factories.MembershipFactory(
            subscription=world.subscription,
            user=another.user,
            consultant=another,
            is_sysadmin=True,
            ends_on=yesterday(),
        )
        assert list(active_sysadmins(subscription=world.subscription)) == [erik]
        with pytest.raises(ValidationError):
            self.suspend(world, erik)

    def test_sysadmin_can_be_paused_when_another_is_live(self, world, erik):
        Membership.objects.filter(pk=erik.pk).update(is_sysadmin=True)
        self.suspend(world, erik)
        assert list(active_sysadmins(subscription=world.subscription)) == [
            world.sysadmin_membership
        ]

    def test_client_user_is_refused(self, world):
        membership = world.subscription.memberships.get(user=world.client_user)
        with pytest.raises(ValidationError) as error:
            self.suspend(world, membership)
        assert "Bara konsulters åtkomst kan tidsbegränsas eller pausas." in error.value.messages[0]
        with pytest.raises(ValidationError):
            self.resume(world, membership)


class TestUsersPage:
    def test_shows_state_and_controls(self, sysadmin_client, world, erik):
        Membership.objects.filter(pk=erik.pk).update(
            ends_on=date(2099, 6, 30), suspended_at=timezone.now()
        )
        response = sysadmin_client.get(users_url(world))
        assert response.status_code == 200
        konsulter = response.text[response.text.index('id="consultants-heading"') :]
        assert "Åtkomst till och med" in konsulter
        assert "Till och med 2099-06-30" in konsulter
        assert f"Pausad sedan {today_in_stockholm():%Y-%m-%d}" in konsulter
        assert "Återuppta åtkomst" in konsulter
        assert "Pausa åtkomst" not in konsulter
        assert 'value="2099-06-30"' in konsulter
        assert f'action="{url("set_end_date", erik)}"' in konsulter
        # Client users have no such controls.
        users_block = response.text[: response.text.index('id="consultants-heading"')]
        assert "Åtkomst till och med" not in users_block

    def test_open_ended_member(self, sysadmin_client, world, erik):
        response = sysadmin_client.get(users_url(world))
        assert "Tills vidare" in response.text
        assert "Pausa åtkomst" in response.text
        assert f'action="{url("suspend_member", erik)}"' in response.text

    @pytest.mark.parametrize("size", [3, 30])
    def test_query_count_is_constant(self, sysadmin_client, world, django_assert_num_queries, size):
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        factories.LicenseFactory(subscription=world.subscription, seats=size)
        for number in range(size):
            consultant = factories.ConsultantFactory(firm=world.firm)
            membership = factories.MembershipFactory(
                subscription=world.subscription,
                user=consultant.user,
                consultant=consultant,
                ends_on=date(2099, 1, 1) if number % 2 else None,
                suspended_at=timezone.now() if number % 3 == 0 else None,
            )
            factories.give_level(membership, "bokforing", Level.READ)
        # user, subscription, programs, members, levels (which also count
        # the seats used), seats, and the menu's consultant lookup
        with django_assert_num_queries(7):
            response = sysadmin_client.get(users_url(world))
        assert response.text.count("Åtkomst till och med</label>") == size


class TestEndDateView:
    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_sets_date_without_javascript(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(
            url("set_end_date", erik), {"ends_on": "2099-12-31"}, follow=True
        )
        assert response.redirect_chain == [(users_url(world), 302)]
        assert "Åtkomsten för Erik Konsult gäller till och med 2099-12-31." in response.text
        erik.refresh_from_db()
        assert erik.ends_on == date(2099, 12, 31)

    def test_empty_means_until_further_notice(self, sysadmin_client, world, erik):
        Membership.objects.filter(pk=erik.pk).update(ends_on=date(2099, 1, 1))
        response = sysadmin_client.post(url("set_end_date", erik), {"ends_on": ""}, follow=True)
        assert "Åtkomsten för Erik Konsult gäller tills vidare." in response.text
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_past_date_is_refused_with_message(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(
            url("set_end_date", erik), {"ends_on": yesterday().isoformat()}, follow=True
        )
        assert "Datumet kan inte ligga i det förflutna." in response.text
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_malformed_date_is_refused(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(
            url("set_end_date", erik), {"ends_on": "31/12"}, follow=True
        )
        assert "Fyll i ett giltigt datum." in response.text
        erik.refresh_from_db()
        assert erik.ends_on is None

    def test_htmx_answers_with_the_row(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(
            url("set_end_date", erik), {"ends_on": "2099-12-31"}, **HTMX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="member-{erik.pk}">')
        assert "Till och med 2099-12-31" in response.text
        assert "Sparat" in response.text

    def test_htmx_past_date_error_in_the_row(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(
            url("set_end_date", erik), {"ends_on": yesterday().isoformat()}, **HTMX
        )
        assert response.text.lstrip().startswith("<tr")
        assert '<p class="error" role="alert">Datumet kan inte ligga i det förflutna.</p>' in (
            response.text
        )

    def test_client_user_is_refused(self, sysadmin_client, world):
        membership = world.subscription.memberships.get(user=world.client_user)
        response = sysadmin_client.post(
            url("set_end_date", membership), {"ends_on": "2099-12-31"}, follow=True
        )
        assert "Bara konsulters åtkomst kan tidsbegränsas eller pausas." in response.text
        membership.refresh_from_db()
        assert membership.ends_on is None

    def test_get_is_405(self, sysadmin_client, world, erik):
        assert sysadmin_client.get(url("set_end_date", erik)).status_code == 405


class TestSuspendViews:
    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_pause_and_resume_without_javascript(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(url("suspend_member", erik), follow=True)
        assert response.redirect_chain == [(users_url(world), 302)]
        assert "Åtkomsten för Erik Konsult är pausad." in response.text
        assert "Återuppta åtkomst" in response.text
        erik.refresh_from_db()
        assert erik.suspended_at is not None
        response = sysadmin_client.post(url("resume_member", erik), follow=True)
        assert "Åtkomsten för Erik Konsult är återupptagen." in response.text
        erik.refresh_from_db()
        assert erik.suspended_at is None

    def test_htmx_pause_answers_with_the_row(self, sysadmin_client, world, erik):
        response = sysadmin_client.post(url("suspend_member", erik), **HTMX)
        assert response.text.lstrip().startswith(f'<tr id="member-{erik.pk}">')
        assert f"Pausad sedan {today_in_stockholm():%Y-%m-%d}" in response.text
        assert "Återuppta åtkomst" in response.text
        assert "Sparat" in response.text

    def test_last_sysadmin_cannot_be_paused(self, sysadmin_client, world, erik):
        make_last_sysadmin(world, erik)
        # Erik is now the only sysadmin, so he is the one at the controls.
        sysadmin_client.force_login(world.consultant.user)
        response = sysadmin_client.post(url("suspend_member", erik), **HTMX)
        assert (
            "Erik Konsult är den enda systemadministratören. Gör någon annan till "
            "systemadministratör innan du pausar åtkomsten."
        ) in response.text
        erik.refresh_from_db()
        assert erik.suspended_at is None

    def test_pausing_yourself_leads_home(self, client, world, erik):
        Membership.objects.filter(pk=erik.pk).update(is_sysadmin=True)
        client.force_login(world.consultant.user)
        response = client.post(url("suspend_member", erik))
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        response = client.post(url("suspend_member", erik), **HTMX)
        assert response.status_code == 404  # no longer a sysadmin there

    def test_client_user_is_refused(self, sysadmin_client, world):
        membership = world.subscription.memberships.get(user=world.client_user)
        response = sysadmin_client.post(url("suspend_member", membership), follow=True)
        assert "Bara konsulters åtkomst kan tidsbegränsas eller pausas." in response.text
        membership.refresh_from_db()
        assert membership.suspended_at is None

    def test_get_is_405(self, sysadmin_client, world, erik):
        assert sysadmin_client.get(url("suspend_member", erik)).status_code == 405
        assert sysadmin_client.get(url("resume_member", erik)).status_code == 405


class TestOutsiders:
    @pytest.mark.parametrize("name", ["set_end_date", "suspend_member", "resume_member"])
    @pytest.mark.parametrize("who", ["other_sysadmin", "client_user", "consultant"])
    def test_not_a_sysadmin_here_is_404(self, client, world, erik, name, who):
        user = getattr(world, who)
        client.force_login(getattr(user, "user", user))
        response = client.post(url(name, erik), {"ends_on": "2099-12-31"})
        assert response.status_code == 404
        erik.refresh_from_db()
        assert (erik.ends_on, erik.suspended_at) == (None, None)

    @pytest.mark.parametrize("name", ["set_end_date", "suspend_member", "resume_member"])
    def test_member_of_another_subscription_is_404(self, sysadmin_client, world, name):
        foreign = factories.MembershipFactory(subscription=world.other_subscription)
        response = sysadmin_client.post(
            reverse(f"clients:{name}", args=[world.subscription.number, foreign.pk]),
            {"ends_on": "2099-12-31"},
        )
        assert response.status_code == 404
        foreign.refresh_from_db()
        assert (foreign.ends_on, foreign.suspended_at) == (None, None)


class TestEndExpired:
    @pytest.fixture
    def expired(self, world: World, erik: Membership) -> Membership:
        """Erik's access to S ended yesterday; he was sysadmin and had a level."""
        factories.LicenseFactory(subscription=world.subscription, seats=1)
        factories.give_level(erik, "bokforing", Level.READ)
        Membership.objects.filter(pk=erik.pk).update(ends_on=yesterday(), is_sysadmin=True)
        erik.refresh_from_db()
        return erik

    def test_removes_expired_once_and_mails_the_firm_admins(
        self, world, expired, django_capture_on_commit_callbacks
    ):
        # Still valid: ends today, ends later, no end date.
        still = [
            factories.MembershipFactory(
                subscription=world.subscription,
                consultant=factories.ConsultantFactory(firm=world.firm),
                ends_on=ends_on,
            )
            for ends_on in (today_in_stockholm(), today_in_stockholm() + timedelta(days=1))
        ]
        # Not told: a former firm admin, and the other firm's admin.
        factories.ConsultantFactory(firm=world.firm, is_firm_admin=True, is_active=False)
        factories.ConsultantFactory(firm=world.other_firm_consultant.firm, is_firm_admin=True)
        mail.outbox.clear()

        with django_capture_on_commit_callbacks(execute=True):
            assert services.memberships_end_expired() == 1
        assert not Membership.objects.filter(pk=expired.pk).exists()
        assert not ProgramLevel.objects.filter(membership_id=expired.pk).exists()
        assert Membership.objects.filter(pk__in=[m.pk for m in still]).count() == 2
        assert [m.to for m in mail.outbox] == [[world.firm_admin.user.email]]
        message = mail.outbox[0]
        assert message.subject == "Åtkomsten för Erik Konsult till Bageriet Solsidan AB har upphört"
        date_text = yesterday().isoformat()
        client = world.subscription.client
        assert (
            f"- Erik Konsult: Bageriet Solsidan AB ({client.org_number}), abonnemang "
            f"{world.subscription.number}, åtkomst till och med {date_text}. Konsulten var "
            "systemadministratör i abonnemanget."
        ) in message.body
        assert "fortfarande har en systemadministratör." in message.body
        html = message.alternatives[0][0]
        assert "Konsulten var systemadministratör i abonnemanget." in html
        assert str(world.subscription.number) in html

        # Running again ends nothing and mails nobody.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.memberships_end_expired() == 0
        assert len(mail.outbox) == 1
        assert OutboxMessage.objects.filter(template="access-ended").count() == 1

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_one_mail_per_admin_listing_every_ending(
        self, world, expired, django_capture_on_commit_callbacks
    ):
        second_admin = factories.ConsultantFactory(firm=world.firm, is_firm_admin=True)
        other = factories.SubscriptionFactory(client__name="Cykelverkstan AB")
        factories.CouplingFactory(firm=world.firm, subscription=other)
        factories.MembershipFactory(
            subscription=other,
            user=world.no_seat_consultant.user,
            consultant=world.no_seat_consultant,
            ends_on=yesterday(),
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.end_expired_access() == 2
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [world.firm_admin.user.email, second_admin.user.email]
        )
        for message in mail.outbox:
            assert message.subject == "Tidsbegränsad åtkomst har upphört i 2 abonnemang"
            assert "Erik Konsult: Bageriet Solsidan AB" in message.body
            assert "Nils Utanlicens: Cykelverkstan AB" in message.body
            assert message.body.count("Konsulten var systemadministratör") == 1

    def test_expired_client_user_is_removed_without_mail(
        self, world, django_capture_on_commit_callbacks
    ):
        membership = world.subscription.memberships.get(user=world.client_user)
        Membership.objects.filter(pk=membership.pk).update(ends_on=yesterday())
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.memberships_end_expired() == 1
        assert not Membership.objects.filter(pk=membership.pk).exists()
        assert mail.outbox == []

    def test_is_scheduled_daily(self) -> None:
        entry = settings.CELERY_BEAT_SCHEDULE["clients.end_expired_access"]
        assert entry["task"] == "clients.end_expired_access"
        assert entry["schedule"].hour == {0}
        assert entry["schedule"].minute == {20}
        app.loader.import_default_modules()
        assert "clients.end_expired_access" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_row_another_run_holds_is_skipped_not_ended_twice(world):
    """Two runs at once: the one that holds a row ends it, the other skips it."""
    first = factories.MembershipFactory(subscription=world.subscription, ends_on=yesterday())
    second = factories.MembershipFactory(subscription=world.other_subscription, ends_on=yesterday())
    locked = threading.Event()
    release = threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                Membership.objects.select_for_update().filter(pk=first.pk).get()
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert services.memberships_end_expired() == 1
        assert Membership.objects.filter(pk=first.pk).exists()
        assert not Membership.objects.filter(pk=second.pk).exists()
    finally:
        release.set()
        holder.join()
    assert services.memberships_end_expired() == 1
    assert not Membership.objects.filter(pk=first.pk).exists()
    assert services.memberships_end_expired() == 0


def test_the_access_cell_in_english(sysadmin_client, world, erik):
    """Issue 15: the cell was built in f-strings, whose gettext calls
    makemessages never saw, so "Har upphört", "Lämna tomt för tills vidare."
    and "Sparat" stayed Swedish in English."""
    erik.ends_on = yesterday()
    erik.save(update_fields=["ends_on"])
    sysadmin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = sysadmin_client.get(users_url(world)).text
    assert f"Through {yesterday():%Y-%m-%d}" in page
    assert '<span class="badge">Ended</span>' in page
    assert "Leave empty for until further notice." in page
    response = sysadmin_client.post(url("set_end_date", erik), {"ends_on": ""}, **HTMX)
    assert '<span class="saved" role="status">Saved</span>' in response.text
