"""Flow 1 rules, service level."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.models import Membership
from collaboration.models import CollaborationRequest, Coupling
from collaboration.requests import selectors, services
from collaboration.requests.selectors import LookupOutcome
from collaboration.requests.services import CollaborationError
from firm_portal.timeutils import today_in_stockholm
from notifications.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db


def lookup(world, org_number, number=None):  # type: ignore[no-untyped-def]
    return selectors.subscription_lookup(
        consultant=world.consultant, org_number=org_number, subscription_number=number
    )


class TestLookup:
    @pytest.mark.parametrize("shape", ["dash", "plain", "century"])
    def test_finds_subscription_in_every_accepted_format(self, world, shape):
        org = world.subscription.client.org_number
        raw = {"dash": org, "plain": org.replace("-", ""), "century": "16" + org.replace("-", "")}
        result = lookup(world, raw[shape])
        assert result.outcome == LookupOutcome.FOUND
        assert result.subscription == world.subscription

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("", "Ange ett organisationsnummer."),
            ("55603607", "Organisationsnumret ska ha 10 siffror, till exempel 556036-0793."),
            ("556036-079x", "Organisationsnumret ska ha 10 siffror, till exempel 556036-0793."),
            (
                "556036-0794",
                "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna.",
            ),
        ],
    )
    def test_rejects_malformed_org_number_with_swedish_message(self, world, value, message):
        with pytest.raises(ValidationError) as error:
            lookup(world, value)
        assert error.value.messages == [message]

    def test_no_subscription(self, world):
        result = lookup(world, "556036-0793")
        assert result.outcome == LookupOutcome.NOT_FOUND
        assert result.message.startswith(
            "Det finns inget abonnemang för organisationsnummer 556036-0793."
        )

    def test_several_subscriptions_ask_for_number(self, world):
        second = factories.SubscriptionFactory(client=world.subscription.client)
        org = world.subscription.client.org_number
        result = lookup(world, org)
        assert result.outcome == LookupOutcome.NEEDS_NUMBER
        assert result.message == (
            "Bageriet Solsidan AB har 2 abonnemang hos oss. Ange abonnemangsnumret."
        )
        assert lookup(world, org, second.number).subscription == second

    def test_number_of_another_client_is_refused(self, world):
        with pytest.raises(ValidationError) as error:
            lookup(world, world.subscription.client.org_number, world.other_subscription.number)
        assert error.value.messages == [
            f"Abonnemangsnumret {world.other_subscription.number} hör inte till "
            "Bageriet Solsidan AB."
        ]

    def test_already_coupled(self, world):
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        result = lookup(world, world.subscription.client.org_number)
        assert result.outcome == LookupOutcome.ALREADY_COUPLED
        assert result.message == (
            "Er byrå är redan sammankopplad med Bageriet Solsidan AB "
            f"(abonnemang {world.subscription.number})."
        )

    def test_own_collaboration_awaiting_the_customer(self, world):
        world.subscription.status = world.subscription.Status.PENDING
        world.subscription.save(update_fields=["status"])
        factories.CouplingFactory(
            firm=world.firm,
            subscription=world.subscription,
            status=Coupling.Status.AWAITING_CUSTOMER,
        )
        result = lookup(world, world.subscription.client.org_number)
        assert result.outcome == LookupOutcome.ALREADY_COUPLED
        assert result.message == (
            "Er byrå har redan skapat ett samarbete med Bageriet Solsidan AB "
            f"(abonnemang {world.subscription.number}) som väntar på kundens godkännande. "
            "Skicka välkomstmejlet igen under Samarbeten om kunden inte har fått det."
        )

    def test_another_firms_new_customer_awaiting_acceptance(self, world):
        world.subscription.status = world.subscription.Status.PENDING
        world.subscription.save(update_fields=["status"])
        factories.CouplingFactory(
            firm=world.other_firm_consultant.firm,
            subscription=world.subscription,
            status=Coupling.Status.AWAITING_CUSTOMER,
        )
        result = lookup(world, world.subscription.client.org_number)
        assert result.outcome == LookupOutcome.AWAITING_CUSTOMER
        assert result.message == (
            f"Abonnemanget {world.subscription.number} för Bageriet Solsidan AB är nytt och "
            "väntar på att kunden godkänner villkoren. Skicka förfrågan när kunden har "
            "godkänt dem."
        )

    def test_request_already_pending(self, world):
        factories.CollaborationRequestFactory(
            firm=world.firm,
            subscription=world.subscription,
            responsible_consultant=world.consultant,
        )
        result = lookup(world, world.subscription.client.org_number)
        assert result.outcome == LookupOutcome.ALREADY_PENDING
        assert "redan en förfrågan till Bageriet Solsidan AB som väntar på svar" in result.message

    def test_no_active_sysadmin_means_manual_coupling(self, world):
        Membership.objects.filter(subscription=world.subscription).update(is_sysadmin=False)
        result = lookup(world, world.subscription.client.org_number)
        assert result.outcome == LookupOutcome.NO_SYSADMIN
        assert "blanketten för manuell koppling" in result.message
        assert "kostnadsfri" in result.message

    def test_inactive_sysadmin_does_not_count(self, world):
        world.sysadmin.is_active = False
        world.sysadmin.save(update_fields=["is_active"])
        assert lookup(world, world.subscription.client.org_number).outcome == (
            LookupOutcome.NO_SYSADMIN
        )

    def test_consultant_sysadmin_of_ended_coupling_does_not_count(self, world):
        Membership.objects.filter(subscription=world.subscription).update(is_sysadmin=False)
        coupling = factories.CouplingFactory(
            firm=world.other_firm_consultant.firm, subscription=world.subscription
        )
        factories.MembershipFactory(
            subscription=world.subscription,
            user=world.other_firm_consultant.user,
            consultant=world.other_firm_consultant,
            is_sysadmin=True,
        )
        assert lookup(world, world.subscription.client.org_number).outcome == LookupOutcome.FOUND
        coupling.status = Coupling.Status.ENDED
        coupling.save(update_fields=["status"])
        assert lookup(world, world.subscription.client.org_number).outcome == (
            LookupOutcome.NO_SYSADMIN
        )


def send(world, **overrides):  # type: ignore[no-untyped-def]
    arguments = {
        "consultant": world.consultant,
        "subscription": world.subscription,
        "responsible": world.consultant,
        "start_date": None,
    }
    arguments.update(overrides)
    return services.collaboration_request_send(**arguments)


class TestSend:
    def test_emails_every_active_sysadmin_but_not_the_requester(
        self, world, django_capture_on_commit_callbacks
    ):
        # Dubbelsammankoppling: a consultant of an already coupled firm is sysadmin too.
        factories.CouplingFactory(
            firm=world.other_firm_consultant.firm, subscription=world.subscription
        )
        factories.MembershipFactory(
            subscription=world.subscription,
            user=world.other_firm_consultant.user,
            consultant=world.other_firm_consultant,
            is_sysadmin=True,
        )
        with django_capture_on_commit_callbacks(execute=True):
            request = send(world)
        assert request.status == CollaborationRequest.Status.PENDING
        assert abs(request.expires_at - request.created_at - timedelta(days=30)) < timedelta(
            seconds=5
        )
        recipients = sorted(m.to[0] for m in mail.outbox)
        assert recipients == sorted([world.sysadmin.email, world.other_firm_consultant.user.email])
        assert world.consultant.user.email not in recipients
        assert (
            mail.outbox[0].subject == "Revisorerna Norr AB vill samarbeta med Bageriet Solsidan AB"
        )
        assert "Erik Konsult" in mail.outbox[0].body
        assert mail.outbox[0].alternatives[0].mimetype == "text/html"
        assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 2

    def test_needs_client_manager_seat(self, world):
        with pytest.raises(PermissionDenied):
            send(world, consultant=world.no_seat_consultant)
        assert not CollaborationRequest.objects.exists()

    def test_responsible_must_be_from_own_firm(self, world):
        with pytest.raises(ValidationError) as error:
            send(world, responsible=world.other_firm_consultant)
        assert error.value.messages == ["Välj en ansvarig konsult från din byrå."]

    def test_start_date_in_past_refused(self, world):
        with pytest.raises(ValidationError) as error:
            send(world, start_date=today_in_stockholm() - timedelta(days=1))
        assert error.value.messages == ["Startdatumet kan inte ligga i det förflutna."]
        assert not OutboxMessage.objects.exists()

    def test_second_pending_request_refused(self, world):
        send(world)
        with pytest.raises(CollaborationError) as error:
            send(world, consultant=world.firm_admin)
        assert error.value.code == "already_pending"
        assert CollaborationRequest.objects.count() == 1

    def test_no_sysadmin_refused_without_writing(self, world):
        Membership.objects.filter(subscription=world.subscription).update(is_sysadmin=False)
        with pytest.raises(CollaborationError) as error:
            send(world)
        assert error.value.code == "no_sysadmin"
        assert not CollaborationRequest.objects.exists()
        assert not OutboxMessage.objects.exists()


class TestDecide:
    @pytest.fixture
    def pending(self, world):  # type: ignore[no-untyped-def]
        return send(world, consultant=world.firm_admin)

    def test_approve_creates_active_coupling_and_membership(
        self, world, pending, django_capture_on_commit_callbacks
    ):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            coupling = services.collaboration_request_approve(
                user=world.sysadmin, subscription=world.subscription, request_id=pending.pk
            )
        assert coupling.status == Coupling.Status.ACTIVE
        assert coupling.starts_on == today_in_stockholm()
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.APPROVED
        assert pending.decided_by == world.sysadmin
        membership = Membership.objects.get(
            subscription=world.subscription, user=world.consultant.user
        )
        assert membership.consultant == world.consultant
        assert not membership.is_sysadmin
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [world.firm_admin.user.email, world.consultant.user.email]
        )
        assert mail.outbox[0].subject == "Bageriet Solsidan AB har godkänt samarbetet"

    def test_future_start_schedules_and_task_activates_once(self, world):
        request = send(world, start_date=today_in_stockholm() + timedelta(days=3))
        coupling = services.collaboration_request_approve(
            user=world.sysadmin, subscription=world.subscription, request_id=request.pk
        )
        assert coupling.status == Coupling.Status.SCHEDULED
        assert services.couplings_activate_due() == 0
        Coupling.objects.filter(pk=coupling.pk).update(starts_on=today_in_stockholm())
        assert services.couplings_activate_due() == 1
        assert services.couplings_activate_due() == 0
        coupling.refresh_from_db()
        assert coupling.status == Coupling.Status.ACTIVE
        assert coupling.activated_at is not None

    def test_second_decision_says_who_already_decided(self, world, pending):
        services.collaboration_request_approve(
            user=world.sysadmin, subscription=world.subscription, request_id=pending.pk
        )
        with pytest.raises(CollaborationError) as error:
            services.collaboration_request_reject(
                user=world.sysadmin, subscription=world.subscription, request_id=pending.pk
            )
        assert error.value.code == "already_decided"
        assert error.value.message.startswith(
            "Förfrågan är redan hanterad: godkänd av Lisa Sysadmin "
        )
        assert Coupling.objects.count() == 1

    def test_only_sysadmins_decide(self, world, pending):
        with pytest.raises(PermissionDenied):
            services.collaboration_request_approve(
                user=world.client_user, subscription=world.subscription, request_id=pending.pk
            )
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.PENDING

    def test_reject_tells_requester(self, world, pending, django_capture_on_commit_callbacks):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.collaboration_request_reject(
                user=world.sysadmin, subscription=world.subscription, request_id=pending.pk
            )
        assert [m.to[0] for m in mail.outbox] == [world.firm_admin.user.email]
        assert not Coupling.objects.exists()

    def test_withdraw(self, world, pending):
        services.collaboration_request_withdraw(consultant=world.consultant, request_id=pending.pk)
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.WITHDRAWN
        with pytest.raises(CollaborationError) as error:
            services.collaboration_request_withdraw(
                consultant=world.consultant, request_id=pending.pk
            )
        assert error.value.message == (
            "Förfrågan väntar inte längre på svar och kan inte återkallas."
        )

    def test_other_firm_cannot_withdraw(self, world, pending):
        with pytest.raises(CollaborationError):
            services.collaboration_request_withdraw(
                consultant=world.other_firm_consultant, request_id=pending.pk
            )
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.PENDING

    def test_expiry_after_30_days(self, world, pending, django_capture_on_commit_callbacks):
        assert services.collaboration_requests_expire() == 0
        CollaborationRequest.objects.filter(pk=pending.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.collaboration_requests_expire() == 1
            assert services.collaboration_requests_expire() == 0
        pending.refresh_from_db()
        assert pending.status == CollaborationRequest.Status.EXPIRED
        assert [m.subject for m in mail.outbox] == [
            "Er förfrågan till Bageriet Solsidan AB har gått ut"
        ]

    def test_expired_request_cannot_be_approved(self, world, pending):
        CollaborationRequest.objects.filter(pk=pending.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        with pytest.raises(CollaborationError) as error:
            services.collaboration_request_approve(
                user=world.sysadmin, subscription=world.subscription, request_id=pending.pk
            )
        assert error.value.message == "Förfrågan är redan hanterad (utgången)."
        assert not Coupling.objects.exists()
