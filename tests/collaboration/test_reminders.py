"""Flow 8, service level: reminders of unanswered requests, join offers and
welcome links (days, once, overlapping runs, answers and bounces stop them),
"Påminn nu" once a day, "Skicka igen" and "Ta bort från listan" after expiry.

Time is moved by moving the items back: their sent and expiry times."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from clients.invitations.consultant_services import consultant_invite
from clients.invitations.services import invitation_check, join_offer_decline
from clients.models import Invitation, JoinOffer
from collaboration.models import CollaborationRequest, CustomerAcceptance
from collaboration.reminders import services
from collaboration.reminders.services import ReminderRefused, due_step
from firm_portal.metrics import REMINDERS_SENT
from firm_portal.signed_links import INVITATION
from notifications.models import OutboxMessage, Reminder
from tests import factories
from tests.collaboration.new_customer_helpers import create, token_of, welcome

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def request_sent_days_ago(world, days: float, ttl: int = 30):  # type: ignore[no-untyped-def]
    sent = timezone.now() - days * DAY
    request = factories.CollaborationRequestFactory(
        firm=world.firm,
        subscription=world.subscription,
        responsible_consultant=world.consultant,
        expires_at=sent + ttl * DAY,
    )
    CollaborationRequest.objects.filter(pk=request.pk).update(created_at=sent)
    request.refresh_from_db()
    return request


def reminders_to(address: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(recipient=address, subject__startswith="Påminnelse:")
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def steps(kind: Reminder.Kind, pk: int) -> list[str]:
    return list(
        Reminder.objects.filter(kind=kind, item_id=pk).order_by("pk").values_list("step", flat=True)
    )


class TestSchedule:
    def test_three_and_ten_days_and_two_before_expiry(self):
        sent = timezone.now()
        expires = sent + 30 * DAY
        at = {
            days: due_step(sent_at=sent, expires_at=expires, now=sent + days * DAY)
            for days in (1, 2.9, 3, 9, 10, 27.9, 28, 29.9, 30)
        }
        assert at == {
            1: None,
            2.9: None,
            3: "after:3",
            9: "after:3",
            10: "after:10",
            27.9: "after:10",
            28: "before:2",
            29.9: "before:2",
            30: None,
        }

    def test_configurable(self, settings):
        settings.REMINDER_DAYS = [1, 5]
        settings.REMINDER_DAYS_BEFORE_EXPIRY = 0
        sent = timezone.now()
        expires = sent + 14 * DAY
        assert due_step(sent_at=sent, expires_at=expires, now=sent + DAY) == "after:1"
        assert due_step(sent_at=sent, expires_at=expires, now=sent + 13.9 * DAY) == "after:5"

    def test_no_expiry_no_last_reminder(self):
        sent = timezone.now()
        assert due_step(sent_at=sent, expires_at=None, now=sent + 40 * DAY) == "after:10"


class TestRequests:
    def test_sysadmins_get_each_step_once(self, world, django_capture_on_commit_callbacks):
        request = request_sent_days_ago(world, 3.5)
        before = REMINDERS_SENT._value.get()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_send_due() == 1
            assert services.reminders_send_due() == 0  # run twice: one reminder
        assert reminders_to(world.sysadmin.email) == [
            "Påminnelse: Revisorerna Norr AB vill samarbeta med Bageriet Solsidan AB"
        ]
        assert REMINDERS_SENT._value.get() == before + 1
        CollaborationRequest.objects.filter(pk=request.pk).update(
            created_at=request.created_at - 7 * DAY, expires_at=request.expires_at - 7 * DAY
        )
        assert services.reminders_send_due() == 1
        CollaborationRequest.objects.filter(pk=request.pk).update(
            created_at=request.created_at - 26 * DAY, expires_at=request.expires_at - 26 * DAY
        )
        assert services.reminders_send_due() == 1
        assert services.reminders_send_due() == 0
        assert steps(Reminder.Kind.REQUEST, request.pk) == ["after:3", "after:10", "before:2"]
        assert len(reminders_to(world.sysadmin.email)) == 3

    def test_nothing_before_three_days(self, world):
        request_sent_days_ago(world, 2.5)
        assert services.reminders_send_due() == 0
        assert reminders_to(world.sysadmin.email) == []

    def test_a_missed_step_is_skipped_not_sent_late(self, world):
        request = request_sent_days_ago(world, 11)
        assert services.reminders_send_due() == 1
        assert steps(Reminder.Kind.REQUEST, request.pk) == ["after:10"]

    def test_answering_stops_the_reminders(self, world):
        request = request_sent_days_ago(world, 3.5)
        CollaborationRequest.objects.filter(pk=request.pk).update(
            status=CollaborationRequest.Status.REJECTED
        )
        assert services.reminders_send_due() == 0
        assert Reminder.objects.count() == 0

    def test_a_bounced_address_gets_no_more_reminders(self, world):
        second = factories.MembershipFactory(subscription=world.subscription, is_sysadmin=True)
        request = request_sent_days_ago(world, 3.5)
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=world.sysadmin.email.upper(),
            template="collaboration-request",
            body_text="x",
            status=OutboxMessage.Status.FAILED,
            bounced_at=timezone.now(),
        )
        assert services.reminders_send_due() == 1
        assert reminders_to(world.sysadmin.email) == []
        assert len(reminders_to(second.user.email)) == 1
        assert Reminder.objects.get(item_id=request.pk).recipients == 1

    def test_all_bounced_no_reminder_at_all(self, world):
        request_sent_days_ago(world, 3.5)
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=world.sysadmin.email,
            template="collaboration-request",
            body_text="x",
            bounced_at=timezone.now(),
        )
        assert services.reminders_send_due() == 0
        assert Reminder.objects.count() == 0


class TestRemindNow:
    def test_once_a_day(self, world):
        request = request_sent_days_ago(world, 1)
        reminded = services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
        assert reminded == [world.sysadmin]
        with pytest.raises(ReminderRefused) as refused:
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
        assert refused.value.message == (
            "Du har redan påmint om den här i dag. Du kan påminna igen i morgon."
        )
        assert len(reminders_to(world.sysadmin.email)) == 1
        assert len(steps(Reminder.Kind.REQUEST, request.pk)) == 1

    def test_refused_when_expired(self, world):
        request = request_sent_days_ago(world, 31)
        with pytest.raises(ReminderRefused) as refused:
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
        assert refused.value.message == "Den har gått ut. Använd Skicka igen i stället."
        assert reminders_to(world.sysadmin.email) == []

    def test_refused_when_answered(self, world):
        request = request_sent_days_ago(world, 1)
        CollaborationRequest.objects.filter(pk=request.pk).update(
            status=CollaborationRequest.Status.APPROVED
        )
        with pytest.raises(ReminderRefused) as refused:
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
        assert refused.value.message == (
            "Den är redan besvarad eller återkallad. Ingen påminnelse skickades."
        )

    def test_refused_when_bounced_and_says_why(self, world):
        request = request_sent_days_ago(world, 1)
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=world.sysadmin.email,
            template="collaboration-request",
            body_text="x",
            bounced_at=timezone.now(),
        )
        with pytest.raises(ReminderRefused) as refused:
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=request.pk)
        assert refused.value.message == (
            f"E-post till {world.sysadmin.email} kommer inte fram (adressen tar inte emot "
            "e-post). Ingen påminnelse skickades."
        )

    def test_the_resend_cap_per_recipient_applies(self, world, settings):
        settings.RESENDS_PER_RECIPIENT_PER_DAY = 1
        first = request_sent_days_ago(world, 1)
        other_firm = factories.CollaborationRequestFactory(subscription=world.subscription)
        services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=first.pk)
        with pytest.raises(ReminderRefused) as refused:
            services.reminder_send_now(kind=Reminder.Kind.REQUEST, item_id=other_firm.pk)
        assert refused.value.message == (
            f"Inget skickades: {world.sysadmin.email} kan få högst 1 påminnelse per dygn. "
            "Försök igen senare."
        )
        assert not Reminder.objects.filter(item_id=other_firm.pk).exists()


class TestExpiredRequests:
    def test_send_again_makes_a_new_request_and_clears_the_old(self, world):
        expired = request_sent_days_ago(world, 31)
        new = services.expired_request_send_again(
            consultant=world.consultant, request_id=expired.pk
        )
        expired.refresh_from_db()
        assert expired.status == CollaborationRequest.Status.EXPIRED
        assert expired.expiry_handled_at is not None
        assert new.status == CollaborationRequest.Status.PENDING
        assert new.subscription == world.subscription
        assert new.responsible_consultant == world.consultant
        assert OutboxMessage.objects.filter(
            recipient=world.sysadmin.email,
            subject="Revisorerna Norr AB vill samarbeta med Bageriet Solsidan AB",
        ).exists()

    def test_send_again_only_after_expiry(self, world):
        pending = request_sent_days_ago(world, 5)
        with pytest.raises(services.CollaborationError) as error:
            services.expired_request_send_again(consultant=world.consultant, request_id=pending.pk)
        assert error.value.message == "Förfrågan har inte gått ut, eller är redan hanterad."

    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_dismiss(self, world):
        expired = request_sent_days_ago(world, 31)
        services.expired_request_dismiss(request_id=expired.pk)
        expired.refresh_from_db()
        assert expired.expiry_handled_at is not None
        with pytest.raises(services.CollaborationError):
            services.expired_request_dismiss(request_id=expired.pk)


class TestOffers:
    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_new_account_gets_its_link_again_without_renewal(self, world):
        consultant_invite(actor=world.firm_admin, full_name="Nina Ny", email="nina@example.se")
        offer = JoinOffer.objects.get(user__email="nina@example.se")
        invitation = Invitation.objects.get(user=offer.user)
        shifted = {"sent_at": invitation.sent_at - 3.5 * DAY}
        Invitation.objects.filter(pk=invitation.pk).update(
            **shifted, expires_at=invitation.expires_at - 3.5 * DAY
        )
        JoinOffer.objects.filter(pk=offer.pk).update(**shifted)
        first = OutboxMessage.objects.get(recipient="nina@example.se")
        assert services.reminders_send_due() == 1
        assert services.reminders_send_due() == 0
        reminder = OutboxMessage.objects.filter(recipient="nina@example.se").latest("pk")
        assert reminder.subject.startswith("Påminnelse: Du är inbjuden som konsult på")
        first_token = first.body_text.split("/inbjudan/")[1].split("/")[0]
        token = reminder.body_text.split("/inbjudan/")[1].split("/")[0]
        # The same link (invitation and nonce), neither renewed nor extended:
        # the first e-mail's link still works.
        assert signing.loads(token, salt=INVITATION.salt) == signing.loads(
            first_token, salt=INVITATION.salt
        )
        assert invitation_check(token=first_token).problem == ""
        invitation.refresh_from_db()
        assert invitation.expires_at < timezone.now() + 11 * DAY

    def test_existing_account_declining_stops_reminders(self, world):
        consultant_invite(actor=world.firm_admin, full_name="", email=world.client_user.email)
        offer = JoinOffer.objects.get(user=world.client_user)
        JoinOffer.objects.filter(pk=offer.pk).update(sent_at=offer.sent_at - 10.5 * DAY)
        join_offer_decline(offer_id=offer.pk, user=world.client_user)
        assert services.reminders_send_due() == 0

    def test_existing_account_is_reminded_without_expiry(self, world):
        consultant_invite(actor=world.firm_admin, full_name="", email=world.client_user.email)
        offer = JoinOffer.objects.get(user=world.client_user)
        JoinOffer.objects.filter(pk=offer.pk).update(sent_at=offer.sent_at - 40 * DAY)
        assert services.reminders_send_due() == 1
        assert steps(Reminder.Kind.OFFER, offer.pk) == ["after:10"]


class TestWelcome:
    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_the_new_customer_is_reminded_with_the_same_link(self, world, prices):
        subscription = create(world)
        acceptance = CustomerAcceptance.objects.get(coupling__subscription=subscription)
        CustomerAcceptance.objects.filter(pk=acceptance.pk).update(
            sent_at=acceptance.sent_at - 3.5 * DAY, expires_at=acceptance.expires_at - 3.5 * DAY
        )
        link = token_of(welcome())
        assert services.reminders_send_due() == 1
        assert services.reminders_send_due() == 0
        reminder = welcome()
        assert reminder.subject.startswith("Påminnelse: godkänn villkoren för Nya Kunden AB")
        assert token_of(reminder) == link
        assert steps(Reminder.Kind.WELCOME, acceptance.pk) == ["after:3"]

    def test_accepting_stops_the_reminders(self, world, prices):
        subscription = create(world)
        acceptance = CustomerAcceptance.objects.get(coupling__subscription=subscription)
        CustomerAcceptance.objects.filter(pk=acceptance.pk).update(
            sent_at=acceptance.sent_at - 3.5 * DAY, accepted_at=timezone.now()
        )
        assert services.reminders_send_due() == 0
