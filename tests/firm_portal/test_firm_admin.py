"""Firm administration: seats, consultant accounts, roles, assignments."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientAssignment, Invitation, JoinOffer
from firm_portal.models import Consultant, Firm, User
from licensing.models import ClientManagerSeatChange
from tests import factories

pytestmark = pytest.mark.django_db
USERS = reverse("firm_users")


@pytest.fixture
def admin_client(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.firm_admin.user)
    return client


class TestPage:
    def test_shows_seats_and_consultants(self, admin_client, world):
        response = admin_client.get(USERS)
        assert response.status_code == 200
        # firm has 10 seats; admin, Erik (seat) and Nils (none) -> 2 used
        assert "2 av 10 licenser används." in response.text
        for name in ("Anna Admin", "Erik Konsult", "Nils Utanlicens"):
            assert name in response.text
        assert "Olle Annanbyrå" not in response.text

    def test_plain_consultant_is_refused_with_403(self, client, world):
        client.force_login(world.consultant.user)
        assert client.get(USERS).status_code == 403

    def test_client_user_gets_404(self, client, world):
        client.force_login(world.sysadmin)
        assert client.get(USERS).status_code == 404

    @pytest.mark.parametrize("size", [3, 30])
    def test_query_count_constant(self, admin_client, world, django_assert_num_queries, size):
        factories.ConsultantFactory.create_batch(size, firm=world.firm)
        for _n in range(size):
            JoinOffer.objects.create(
                user=factories.UserFactory(),
                kind="consultant",
                firm=world.firm,
                invited_by=world.firm_admin.user,
                sent_at=timezone.now(),
            )
        # user, consultant, seats in use, consultants counted for paging, one
        # page of consultants, that page's state (invited, ended, clients),
        # the invited (the session is in Redis), and the invited's state
        # (flow 8: their reminders and bounced addresses; their accounts have
        # passwords, so no invitation links to look up)
        with django_assert_num_queries(9):
            assert admin_client.get(USERS).status_code == 200

    def test_each_rows_state_is_looked_up_for_its_page_only(self, admin_client, world):
        """Invited, ended and the client count come from one query for the
        25 consultants shown: as annotations of the whole list PostgreSQL
        worked them out for all of a firm's consultants before paging."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        factories.ConsultantFactory.create_batch(30, firm=world.firm)
        with CaptureQueriesContext(connection) as captured:
            page = admin_client.get(USERS)
        assert page.text.count('class="panel-row"') == 25
        state = [q["sql"] for q in captured.captured_queries if "clientassignment" in q["sql"]]
        assert len(state) == 1
        assert "ORDER BY" not in state[0]
        ids = state[0].split('"firm_portal_consultant"."id" IN (')[1].split(")")[0]
        assert len(ids.split(",")) == 25

    def test_consultants_are_paged(self, admin_client, world):
        factories.ConsultantFactory.create_batch(30, firm=world.firm)
        active = Consultant.objects.filter(firm=world.firm, is_active=True).count()
        first = admin_client.get(USERS)
        second = admin_client.get(USERS, {"sida": 2})
        assert first.text.count('class="panel-row"') == 25
        assert second.text.count('class="panel-row"') == active - 25
        assert "Sida 1 av 2" in first.text
        assert 'href="?sida=2"' in first.text


class TestSeats:
    def test_add_seats_is_recorded_for_billing(self, admin_client, world):
        response = admin_client.post(
            reverse("firm_seats"), {"count": 3, "action": "add"}, follow=True
        )
        assert "3 licenser har lagts till. Byrån har nu 13." in response.text
        change = ClientManagerSeatChange.objects.get()
        assert (change.delta, change.seats_after, change.actor) == (3, 13, world.firm_admin.user)

    def test_cannot_release_seats_in_use(self, admin_client, world):
        response = admin_client.post(
            reverse("firm_seats"), {"count": 9, "action": "remove"}, follow=True
        )
        assert "Bara 8 licenser är lediga." in response.text
        world.firm.refresh_from_db()
        assert world.firm.client_manager_seats == 10
        assert not ClientManagerSeatChange.objects.exists()

    def test_one_seat_is_singular(self, admin_client, world):
        """Issue 14: counts of one read "1 licens", not "1 licenser"."""
        response = admin_client.post(
            reverse("firm_seats"), {"count": 1, "action": "add"}, follow=True
        )
        assert "1 licens har lagts till. Byrån har nu 11." in response.text
        response = admin_client.post(
            reverse("firm_seats"), {"count": 1, "action": "remove"}, follow=True
        )
        assert "1 licens har tagits bort. Byrån har nu 10." in response.text
        world.firm.client_manager_seats = 3
        world.firm.save()
        response = admin_client.post(
            reverse("firm_seats"), {"count": 2, "action": "remove"}, follow=True
        )
        assert "Bara 1 licens är ledig." in response.text
        Firm.objects.filter(pk=world.firm.pk).update(client_manager_seats=1)
        Consultant.objects.filter(pk=world.consultant.pk).update(has_client_manager_seat=False)
        url = reverse("firm_set_seat", args=[world.no_seat_consultant.pk])
        response = admin_client.post(url, {"has_seat": "on"}, follow=True)
        assert "Byråns 1 licens för Klienthanteraren används. Lägg till licenser först." in (
            response.text
        )
        assert "1 av 1 licens används." in response.text

    def test_release_free_seats(self, admin_client, world):
        admin_client.post(reverse("firm_seats"), {"count": 8, "action": "remove"})
        world.firm.refresh_from_db()
        assert world.firm.client_manager_seats == 2

    @pytest.mark.parametrize("count", ["0", "-2", "501", "abc"])
    def test_bad_count(self, admin_client, world, count):
        admin_client.post(reverse("firm_seats"), {"count": count, "action": "add"})
        world.firm.refresh_from_db()
        assert world.firm.client_manager_seats == 10

    def test_program_admin_cannot_change_seats(self, client, world):
        world.consultant.is_client_manager_admin = True
        world.consultant.save()
        client.force_login(world.consultant.user)
        response = client.post(reverse("firm_seats"), {"count": 3, "action": "add"})
        assert response.status_code == 403
        world.firm.refresh_from_db()
        assert world.firm.client_manager_seats == 10

    def test_give_seat_needs_a_free_one(self, admin_client, world):
        world.firm.client_manager_seats = 2
        world.firm.save()
        url = reverse("firm_set_seat", args=[world.no_seat_consultant.pk])
        response = admin_client.post(url, {"has_seat": "on"}, follow=True)
        assert "Alla 2 licenser för Klienthanteraren används. Lägg till licenser först." in (
            response.text
        )
        world.no_seat_consultant.refresh_from_db()
        assert not world.no_seat_consultant.has_client_manager_seat

    def test_give_and_withdraw_seat(self, admin_client, world):
        url = reverse("firm_set_seat", args=[world.no_seat_consultant.pk])
        admin_client.post(url, {"has_seat": "on"})
        world.no_seat_consultant.refresh_from_db()
        assert world.no_seat_consultant.has_client_manager_seat
        admin_client.post(url, {})
        world.no_seat_consultant.refresh_from_db()
        assert not world.no_seat_consultant.has_client_manager_seat

    def test_other_firms_consultant_is_404(self, admin_client, world):
        url = reverse("firm_set_seat", args=[world.other_firm_consultant.pk])
        assert admin_client.post(url, {"has_seat": "on"}).status_code == 404


class TestRoles:
    def url(self, consultant):  # type: ignore[no-untyped-def]
        return reverse("firm_set_roles", args=[consultant.pk])

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_last_firm_admin_cannot_be_removed(self, admin_client, world):
        response = admin_client.post(self.url(world.firm_admin), {}, follow=True)
        assert "Anna Admin är byråns enda administratör." in response.text
        world.firm_admin.refresh_from_db()
        assert world.firm_admin.is_firm_admin

    def test_grant_then_step_down(self, admin_client, world):
        admin_client.post(self.url(world.consultant), {"is_firm_admin": "on"})
        admin_client.post(self.url(world.firm_admin), {"is_client_manager_admin": "on"})
        world.firm_admin.refresh_from_db()
        world.consultant.refresh_from_db()
        assert world.consultant.is_firm_admin
        assert (world.firm_admin.is_firm_admin, world.firm_admin.is_client_manager_admin) == (
            False,
            True,
        )

    def test_consultant_cannot_promote_self(self, client, world):
        client.force_login(world.consultant.user)
        response = client.post(self.url(world.consultant), {"is_firm_admin": "on"})
        assert response.status_code == 403
        world.consultant.refresh_from_db()
        assert not world.consultant.is_firm_admin


class TestAddConsultant:
    def add(self, client, **data):  # type: ignore[no-untyped-def]
        payload = {"full_name": "Sara Ny", "email": "Sara.Ny@Byran.se", "mobile": ""}
        payload.update(data)
        return client.post(reverse("firm_add_consultant"), payload, follow=True)

    def test_invites_a_new_address_and_emails_the_link(
        self, admin_client, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.add(admin_client, mobile="070-123 45 67")
        assert (
            "Sara Ny har fått en inbjudan till byrån. Den har skickats till sara.ny@byran.se."
        ) in response.text
        assert "Inbjudna" in response.text and "sara.ny@byran.se" in response.text
        user = User.objects.get(email="sara.ny@byran.se")
        assert user.mobile == "+46701234567"
        assert not user.has_usable_password()
        # A consultant once Sara accepts (by choosing her password).
        assert not Consultant.objects.filter(user=user).exists()
        offer = JoinOffer.objects.get(user=user)
        assert (offer.kind, offer.firm, offer.status) == ("consultant", world.firm, "pending")
        [message] = mail.outbox
        assert message.to == ["sara.ny@byran.se"]
        assert message.subject == (
            "Du är inbjuden som konsult på Revisorerna Norr AB i Byråportalen"
        )
        assert "Anna Admin har bjudit in dig" in message.body
        assert "/inbjudan/" in message.body

    def test_bad_input_keeps_form_with_messages(self, admin_client, world):
        response = self.add(admin_client, email="inte-en-adress", mobile="123")
        assert response.status_code == 422
        assert "Fyll i en giltig e-postadress." in response.text
        assert "123 är inte ett giltigt mobilnummer." in response.text
        assert 'value="Sara Ny"' in response.text
        assert not User.objects.filter(full_name="Sara Ny").exists()

    def test_existing_account_is_asked_with_the_same_answer(
        self, admin_client, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.add(admin_client, email=world.sysadmin.email.upper())
        assert (
            f"Sara Ny har fått en inbjudan till byrån. Den har skickats till "
            f"{world.sysadmin.email}."
        ) in response.text
        assert Consultant.objects.filter(firm=world.firm).count() == 3
        world.sysadmin.refresh_from_db()
        assert world.sysadmin.full_name == "Lisa Sysadmin"
        [message] = mail.outbox
        assert message.subject == (
            "Anna Admin bjuder in dig att bli konsult på Revisorerna Norr AB i Byråportalen"
        )
        assert "/inbjudan/" not in message.body
        # Asking again sends again, with the same answer; still one offer.
        with django_capture_on_commit_callbacks(execute=True):
            again = self.add(admin_client, email=world.sysadmin.email)
        assert "har fått en inbjudan till byrån" in again.text
        assert JoinOffer.objects.filter(user=world.sysadmin).count() == 1
        assert len(mail.outbox) == 2

    def test_own_consultant_cannot_be_invited_again(self, admin_client, world):
        response = self.add(admin_client, email=world.consultant.user.email)
        assert f"{world.consultant.user.email} är redan konsult på byrån." in response.text
        assert not JoinOffer.objects.exists()

    def test_only_firm_admin(self, client, world):
        client.force_login(world.consultant.user)
        assert self.add(client).status_code == 403
        assert not User.objects.filter(email="sara.ny@byran.se").exists()


def invitation_link(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"http://[^/]+(/inbjudan/[^/\s]+/)", message.body).group(1)


class TestInvitation:
    @pytest.fixture
    def link(self, admin_client, world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                reverse("firm_add_consultant"), {"full_name": "Sara Ny", "email": "sara@byran.se"}
            )
        admin_client.logout()
        return invitation_link(mail.outbox[-1])

    def test_accept_sets_password_logs_in_and_is_single_use(self, client, world, link):
        page = client.get(link)
        assert "Sara Ny" in page.text
        response = client.post(
            link,
            {"new_password1": "Ett-långt-lösen-42", "new_password2": "Ett-långt-lösen-42"},
            follow=True,
        )
        assert response.redirect_chain == [("/", 302)]
        assert "Välkommen! Ditt lösenord är sparat och du är inloggad." in response.text
        assert "Du är nu konsult på Revisorerna Norr AB." in response.text
        user = User.objects.get(email="sara@byran.se")
        assert user.check_password("Ett-långt-lösen-42")
        assert Invitation.objects.get(user=user).accepted_at is not None
        consultant = Consultant.objects.get(user=user)
        assert (consultant.firm, consultant.is_active, consultant.has_client_manager_seat) == (
            world.firm,
            True,
            False,
        )
        assert JoinOffer.objects.get(user=user).status == "accepted"
        client.logout()
        again = client.get(link)
        assert again.status_code == 410
        assert "Länken är redan använd" in again.text

    def test_password_rules_apply(self, client, link):
        response = client.post(link, {"new_password1": "123", "new_password2": "123"})
        assert response.status_code == 200
        assert not User.objects.get(email="sara@byran.se").has_usable_password()

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_expired_link_offers_a_new_one(self, client, link, django_capture_on_commit_callbacks):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        response = client.get(link)
        assert response.status_code == 410
        assert "Länken har gått ut" in response.text
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            renewed = client.post(link + "ny-lank/", follow=True)
        assert "har vi skickat en ny länk till din e-post" in renewed.text
        [message] = mail.outbox
        assert message.subject == "Din nya länk till Byråportalen"
        new_link = invitation_link(message)
        assert new_link != link
        assert client.get(link).status_code == 410  # the old link is replaced
        assert client.get(new_link).status_code == 200

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_resend_replaces_the_old_link(
        self, client, world, link, django_capture_on_commit_callbacks
    ):
        client.force_login(world.firm_admin.user)
        offer = JoinOffer.objects.get(user__email="sara@byran.se")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("firm_resend_offer", args=[offer.pk]), follow=True)
        assert "Inbjudan har skickats igen till sara@byran.se." in response.text
        client.logout()
        assert client.get(link).status_code == 410
        assert client.get(invitation_link(mail.outbox[-1])).status_code == 200
        assert Invitation.objects.filter(user__email="sara@byran.se").count() == 1

    def test_resend_for_an_existing_account_sends_the_offer_again(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("firm_add_consultant"),
                {"full_name": "X", "email": world.other_sysadmin.email},
            )
            offer = JoinOffer.objects.get(user=world.other_sysadmin)
            client.post(reverse("firm_resend_offer", args=[offer.pk]))
        assert [m.to for m in mail.outbox] == [[world.other_sysadmin.email]] * 2
        assert all("/inbjudan/" not in m.body for m in mail.outbox)
        assert not Invitation.objects.filter(user=world.other_sysadmin).exists()

    def test_resend_of_another_firms_offer_is_404(self, client, world):
        offer = JoinOffer.objects.create(
            user=factories.UserFactory(),
            kind="consultant",
            firm=world.other_firm_consultant.firm,
            invited_by=world.other_firm_consultant.user,
            sent_at=timezone.now(),
        )
        client.force_login(world.firm_admin.user)
        assert client.post(reverse("firm_resend_offer", args=[offer.pk])).status_code == 404
        assert client.get(reverse("firm_resend_offer", args=[offer.pk])).status_code == 405

    def test_legacy_reinvite_renews_only_the_firms_own_invitation(
        self, client, world, django_capture_on_commit_callbacks
    ):
        """A consultant added before join offers: only the invitation this
        firm issued gets a new link; none is made when there is none."""
        user = factories.UserFactory(email="gammal@byran.se")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        consultant = Consultant.objects.create(user=user, firm=world.firm)
        other = Invitation.objects.create(
            user=user,
            invited_by=world.other_firm_consultant.user,
            firm=world.other_firm_consultant.firm,
            nonce="annan-byras",
            sent_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=14),
        )
        client.force_login(world.firm_admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("firm_reinvite", args=[consultant.pk]), follow=True)
        assert "har ingen öppen inbjudan från byrån att skicka igen" in response.text
        assert Invitation.objects.get(pk=other.pk).nonce == "annan-byras"
        assert Invitation.objects.filter(user=user).count() == 1
        assert mail.outbox == []

    def test_tampered_token_is_404(self, client, link):
        response = client.get(link.replace("/inbjudan/", "/inbjudan/x"))
        assert response.status_code == 404
        assert "Länken gäller inte" in response.text


class TestAssignments:
    @pytest.fixture
    def clients_of_firm(self, world):  # type: ignore[no-untyped-def]
        names = ["Alfa AB", "Beta AB", "Delta AB"]
        return [
            factories.CouplingFactory(firm=world.firm, subscription__client__name=name).subscription
            for name in names
        ]

    def url(self, world):  # type: ignore[no-untyped-def]
        return reverse("firm_assignments", args=[world.consultant.pk])

    def test_panel_fragment_lists_firm_clients(self, admin_client, world, clients_of_firm):
        factories.CouplingFactory(subscription__client__name="Annan byrås kund AB")
        response = admin_client.get(self.url(world), {"q": "a"}, HTTP_HX_REQUEST="true")
        assert response.text.lstrip().startswith('<div class="assignment-panel"')
        for name in ("Alfa AB", "Beta AB", "Delta AB"):
            assert name in response.text
        assert "Annan byrås kund AB" not in response.text

    def test_tick_and_untick(self, admin_client, world, clients_of_firm):
        alfa, beta, delta = clients_of_firm
        shown = [alfa.pk, beta.pk, delta.pk]
        admin_client.post(self.url(world), {"shown": shown, "subscriptions": [alfa.pk, beta.pk]})
        assert set(
            ClientAssignment.objects.filter(consultant=world.consultant).values_list(
                "subscription_id", flat=True
            )
        ) == {alfa.pk, beta.pk}
        response = admin_client.post(
            self.url(world), {"shown": shown, "subscriptions": [delta.pk]}, HTTP_HX_REQUEST="true"
        )
        assert "Sparat: 1 tillagd, 2 borttagna." in response.text
        assert list(
            ClientAssignment.objects.filter(consultant=world.consultant).values_list(
                "subscription_id", flat=True
            )
        ) == [delta.pk]

    def test_save_updates_the_rows_count_in_the_same_answer(
        self, admin_client, world, clients_of_firm
    ):
        """With JavaScript: the panel's answer carries the row's new
        "N klienter" out of band, so the link behind the panel is not stale."""
        alfa, beta, delta = clients_of_firm
        shown = [alfa.pk, beta.pk, delta.pk]
        admin_client.post(self.url(world), {"shown": shown, "subscriptions": shown})
        response = admin_client.post(
            self.url(world), {"shown": shown, "subscriptions": [alfa.pk]}, HTTP_HX_REQUEST="true"
        )
        assert "Sparat: 0 tillagda, 2 borttagna." in response.text
        assert (
            f'<span id="client-count-{world.consultant.pk}" hx-swap-oob="true">1 klient</span>'
            in response.text
        )
        # The page's link has the element the fragment replaces.
        page = admin_client.get(reverse("firm_users"))
        assert f'<span id="client-count-{world.consultant.pk}">1 klient</span>' in page.text

    def test_search_sends_no_count(self, admin_client, world, clients_of_firm):
        response = admin_client.get(self.url(world), {"q": "Alfa"}, HTTP_HX_REQUEST="true")
        assert "hx-swap-oob" not in response.text

    def test_save_without_javascript_shows_the_new_count(
        self, admin_client, world, clients_of_firm
    ):
        alfa, beta, delta = clients_of_firm
        shown = [alfa.pk, beta.pk, delta.pk]
        admin_client.post(self.url(world), {"shown": shown, "subscriptions": shown})
        response = admin_client.post(
            self.url(world), {"shown": shown, "subscriptions": [beta.pk]}, follow=True
        )
        assert response.redirect_chain == [(reverse("firm_users"), 302)]
        assert "Erik Konsult: Sparat: 0 tillagda, 2 borttagna." in response.text
        assert f'<span id="client-count-{world.consultant.pk}">1 klient</span>' in response.text
        assert "hx-swap-oob" not in response.text

    def test_select_all_for_filtered_set(self, admin_client, world, clients_of_firm):
        response = admin_client.post(
            self.url(world), {"q": "ta AB", "action": "select_all"}, HTTP_HX_REQUEST="true"
        )
        assert "Alla 2 klienter i urvalet är markerade (2 nya)." in response.text
        assert set(
            ClientAssignment.objects.values_list("subscription__client__name", flat=True)
        ) == {"Beta AB", "Delta AB"}
        response = admin_client.post(
            self.url(world), {"q": "Alfa", "action": "select_all"}, HTTP_HX_REQUEST="true"
        )
        assert "1 klient i urvalet är markerad (1 ny)." in response.text
        response = admin_client.post(
            self.url(world), {"q": "Alfa", "action": "select_all"}, HTTP_HX_REQUEST="true"
        )
        assert "1 klient i urvalet är markerad (0 nya)." in response.text

    def test_cannot_assign_other_firms_clients(self, admin_client, world):
        foreign = factories.CouplingFactory().subscription
        admin_client.post(self.url(world), {"shown": [foreign.pk], "subscriptions": [foreign.pk]})
        assert not ClientAssignment.objects.exists()

    def test_plain_consultant_cannot_assign(self, client, world, clients_of_firm):
        client.force_login(world.consultant.user)
        response = client.post(self.url(world), {"subscriptions": [clients_of_firm[0].pk]})
        assert response.status_code == 403
        assert not ClientAssignment.objects.exists()

    def test_program_admin_can_assign(self, client, world, clients_of_firm):
        program_admin = factories.ConsultantFactory(firm=world.firm, is_client_manager_admin=True)
        client.force_login(program_admin.user)
        client.post(
            self.url(world),
            {"shown": [clients_of_firm[0].pk], "subscriptions": [clients_of_firm[0].pk]},
        )
        assert ClientAssignment.objects.count() == 1
