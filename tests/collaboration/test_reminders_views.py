"""Flow 8, the sender's pages: the state of sent requests and invitations,
"Påminn nu" (HTMX and without JavaScript), "Skicka igen" and "Ta bort från
listan" after expiry; 405 for GET, 404 for outsiders."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.invitations.consultant_services import consultant_invite
from clients.models import JoinOffer
from collaboration.models import CollaborationRequest
from notifications.models import OutboxMessage, Reminder
from tests import factories
from tests.collaboration.new_customer_helpers import create

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def sent(world, days: float = 1, **fields):  # type: ignore[no-untyped-def]
    at = timezone.now() - days * DAY
    request = factories.CollaborationRequestFactory(
        firm=world.firm,
        subscription=world.subscription,
        responsible_consultant=world.consultant,
        expires_at=at + 30 * DAY,
        **fields,
    )
    CollaborationRequest.objects.filter(pk=request.pk).update(created_at=at)
    return request


def reminders() -> int:
    return OutboxMessage.objects.filter(subject__startswith="Påminnelse:").count()


class TestStartPage:
    def test_shows_sent_reminded_and_expiry(self, client, world):
        request = sent(world, days=3.5)
        request.refresh_from_db()
        Reminder.objects.create(
            kind="request", item_id=request.pk, round=request.created_at, step="after:3"
        )
        client.force_login(world.consultant.user)
        page = client.get("/").text
        sent_on = timezone.localtime(request.created_at)
        expires = timezone.localtime(request.expires_at)
        months = ["jan", "feb", "mar", "apr", "maj", "jun"]
        months += ["jul", "aug", "sep", "okt", "nov", "dec"]
        assert f"Skickad {sent_on.day} {months[sent_on.month - 1]}" in page
        assert "påmind 1 gång" in page
        assert f"går ut {expires.day} {months[expires.month - 1]}" in page
        assert "Påminn nu" in page

    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_expired_stays_listed_until_handled(self, client, world):
        request = sent(world, days=31)
        client.force_login(world.consultant.user)
        page = client.get("/").text
        assert "Utgången" in page and "Skicka igen" in page and "Ta bort från listan" in page
        client.post(reverse("collaboration:dismiss_request", args=[request.pk]))
        page = client.get("/").text
        assert "Utgången" not in page
        assert "Inga förfrågningar väntar på svar." in page

    @pytest.mark.parametrize("size", [3, 30])
    def test_query_count_constant(self, client, world, django_assert_max_num_queries, size):
        for _n in range(size):
            factories.CollaborationRequestFactory(
                firm=world.firm, responsible_consultant=world.consultant
            )
            expired = factories.CollaborationRequestFactory(
                firm=world.firm, responsible_consultant=world.consultant
            )
            CollaborationRequest.objects.filter(pk=expired.pk).update(
                status=CollaborationRequest.Status.EXPIRED, expires_at=timezone.now() - DAY
            )
        client.force_login(world.firm_admin.user)
        client.get("/")
        with django_assert_max_num_queries(14):
            assert client.get("/").status_code == 200


class TestRemindNow:
    def test_without_javascript_redirects_with_the_message(self, client, world):
        request = sent(world)
        client.force_login(world.consultant.user)
        url = reverse("collaboration:remind_request", args=[request.pk])
        response = client.post(url, follow=True)
        assert f"Påminnelse skickad till {world.sysadmin.email}." in response.text
        assert reminders() == 1
        again = client.post(url, follow=True)
        assert "Du har redan påmint om den här i dag. Du kan påminna igen i morgon." in again.text
        assert reminders() == 1

    def test_htmx_answers_the_row(self, client, world):
        request = sent(world)
        client.force_login(world.consultant.user)
        url = reverse("collaboration:remind_request", args=[request.pk])
        response = client.post(url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="sent-request-{request.pk}">')
        assert f"Påminnelse skickad till {world.sysadmin.email}." in response.text
        assert "påmind 1 gång" in response.text
        assert "Påmind i dag" in response.text
        assert "<html" not in response.text

    def test_get_is_405(self, client, world):
        request = sent(world)
        client.force_login(world.consultant.user)
        url = reverse("collaboration:remind_request", args=[request.pk])
        assert client.get(url).status_code == 405

    def test_another_firm_gets_404_and_nothing_is_sent(self, client, world):
        request = sent(world)
        client.force_login(world.other_firm_consultant.user)
        for name in ("remind_request", "send_request_again", "dismiss_request"):
            url = reverse(f"collaboration:{name}", args=[request.pk])
            assert client.post(url).status_code == 404
        assert reminders() == 0

    def test_a_colleague_who_neither_sent_nor_is_responsible_gets_404(self, client, world):
        request = sent(world)
        client.force_login(world.no_seat_consultant.user)
        url = reverse("collaboration:remind_request", args=[request.pk])
        assert client.post(url).status_code == 404


class TestSendAgain:
    def test_a_new_request_and_the_old_leaves_the_list(self, client, world):
        expired = sent(world, days=31)
        client.force_login(world.consultant.user)
        url = reverse("collaboration:send_request_again", args=[expired.pk])
        response = client.post(url, follow=True)
        assert "Förfrågan till Bageriet Solsidan AB är skickad igen." in response.text
        assert CollaborationRequest.objects.filter(
            subscription=world.subscription, status=CollaborationRequest.Status.PENDING
        ).exists()
        assert "Utgången" not in response.text

    def test_not_expired_is_refused_with_a_message(self, client, world):
        pending = sent(world, days=2)
        client.force_login(world.consultant.user)
        url = reverse("collaboration:send_request_again", args=[pending.pk])
        response = client.post(url, follow=True)
        assert "Förfrågan har inte gått ut, eller är redan hanterad." in response.text
        assert CollaborationRequest.objects.count() == 1


class TestOffers:
    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_firm_users_shows_state_and_remind_now(self, client, world):
        consultant_invite(actor=world.firm_admin, full_name="Nina Ny", email="nina@example.se")
        offer = JoinOffer.objects.get(user__email="nina@example.se")
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("firm_users")).text
        assert "Skickad " in page and "går ut " in page and "Påminn nu" in page
        url = reverse("collaboration:remind_offer", args=[offer.pk])
        response = client.post(url, follow=True)
        assert "Påminnelse skickad till nina@example.se." in response.text
        assert "påmind 1 gång" in response.text and "Påmind i dag" in response.text

    def test_expired_link_is_listed_as_expired(self, client, world):
        consultant_invite(actor=world.firm_admin, full_name="Nina Ny", email="nina@example.se")
        offer = JoinOffer.objects.get(user__email="nina@example.se")
        offer.user.invitations.update(expires_at=timezone.now() - DAY)
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("firm_users")).text
        assert "Utgången" in page and "gick ut " in page
        refused = client.post(reverse("collaboration:remind_offer", args=[offer.pk]), follow=True)
        assert "Den har gått ut. Använd Skicka igen i stället." in refused.text

    def test_bounced_address_is_shown(self, client, world):
        consultant_invite(actor=world.firm_admin, full_name="Nina Ny", email="nina@example.se")
        OutboxMessage.objects.filter(recipient="nina@example.se").update(
            status=OutboxMessage.Status.FAILED, bounced_at=timezone.now()
        )
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("firm_users")).text
        assert (
            "E-post till nina@example.se kommer inte fram (adressen tar inte emot e-post). "
            "Inga fler påminnelser skickas dit." in page
        )

    def test_a_consultant_who_is_not_admin_is_refused(self, client, world):
        consultant_invite(actor=world.firm_admin, full_name="Nina Ny", email="nina@example.se")
        offer = JoinOffer.objects.get(user__email="nina@example.se")
        client.force_login(world.consultant.user)
        url = reverse("collaboration:remind_offer", args=[offer.pk])
        assert client.post(url).status_code == 403


class TestClientUserOffers:
    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_invite_existing_shows_state_and_reminds(self, client, world):
        factories.CouplingFactory(firm=world.firm, subscription=world.other_subscription)
        factories.MembershipFactory(
            subscription=world.other_subscription,
            user=world.firm_admin.user,
            consultant=world.firm_admin,
            is_sysadmin=True,
        )
        offer = JoinOffer.objects.create(
            user=factories.UserFactory(email="klara@example.se"),
            kind=JoinOffer.Kind.CLIENT_USER,
            firm=world.firm,
            subscription=world.other_subscription,
            invited_by=world.firm_admin.user,
            sent_at=timezone.now() - 4 * DAY,
        )
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("clients:invite_existing")).text
        assert "Påminn nu" in page and f'form="remind-offer-{offer.pk}"' in page
        url = reverse("collaboration:remind_client_offer", args=[offer.pk])
        response = client.post(url, follow=True)
        assert "Påminnelse skickad till klara@example.se." in response.text
        assert "påmind 1 gång" in response.text and "Påmind i dag" in response.text
        assert (
            OutboxMessage.objects.filter(
                recipient="klara@example.se", subject__startswith="Påminnelse:"
            ).count()
            == 1
        )

    def test_another_firm_gets_404(self, client, world):
        offer = JoinOffer.objects.create(
            user=factories.UserFactory(),
            kind=JoinOffer.Kind.CLIENT_USER,
            firm=world.firm,
            subscription=world.subscription,
            invited_by=world.consultant.user,
            sent_at=timezone.now(),
        )
        client.force_login(world.other_firm_consultant.user)
        url = reverse("collaboration:remind_client_offer", args=[offer.pk])
        assert client.post(url).status_code == 404


class TestWelcome:
    @pytest.mark.django_db(
        transaction=True
    )  # its row lock under a real transaction (tests/lock_coverage.py)
    def test_awaiting_list_shows_state_and_reminds(self, client, world, prices):
        subscription = create(world)
        client.force_login(world.consultant.user)
        page = client.get(reverse("collaboration:new_customer")).text
        assert "Väntar på kundens godkännande" in page and "går ut " in page
        url = reverse("collaboration:remind_welcome", args=[subscription.number])
        response = client.post(url, {"next": reverse("collaboration:new_customer")}, follow=True)
        assert "Påminnelse skickad till karin@nyakunden.se." in response.text
        assert "påmind 1 gång" in response.text and "Påmind i dag" in response.text
        again = client.post(url, follow=True)
        assert "Du har redan påmint om den här i dag." in again.text

    def test_another_firm_gets_404(self, client, world, prices):
        subscription = create(world)
        client.force_login(world.other_firm_consultant.user)
        url = reverse("collaboration:remind_welcome", args=[subscription.number])
        assert client.post(url).status_code == 404
        assert not Reminder.objects.exists()
