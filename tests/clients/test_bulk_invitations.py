"""Flow 4, "Bjud in klientanvändare": the list, the 50-row limit, per-row
errors that keep every row, username suggestions, the invitation link."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clients.invitations.views import ROW_LIMIT
from clients.models import Invitation, JoinOffer, Membership
from clients.usernames import existing_usernames, username_suggest, usernames_starting_with
from firm_portal.models import User
from ledger.models import AccessEvent
from notifications.sms import locmem as sms
from tests import factories
from tests.clients.bulk_invitation_helpers import NEW, make_invitable, post, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitable(world):  # type: ignore[no-untyped-def]
    return make_invitable(world, ["Alfa AB", "Beta AB", "Gamma AB"])


@pytest.fixture
def admin(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.firm_admin.user)
    return client


class TestList:
    def test_start_page_and_choice(self, admin, world):
        page = admin.get(reverse("clients:invite_start"))
        assert "Lägg till nya användare och bjud in" in page.text
        assert 'value="nya" checked' in page.text
        response = admin.get(reverse("clients:invite_start"), {"val": "befintliga"})
        assert response["Location"] == reverse("clients:invite_existing")

    def test_lists_only_clients_with_firm_sysadmin_and_no_own_users(self, admin, world, invitable):
        # Firm A coupled but not sysadmin:
        factories.CouplingFactory(firm=world.firm, subscription__client__name="Ej Admin AB")
        # Has an own user already:
        factories.MembershipFactory(subscription=invitable[2])
        text = admin.get(NEW).text
        assert "Alfa AB" in text and "Beta AB" in text
        assert "Gamma AB" not in text
        assert "Ej Admin AB" not in text
        assert "Bageriet Solsidan AB" not in text  # not the firm's client

    def test_the_first_rows_and_how_many_there_are(self, admin, world, invitable, monkeypatch):
        """Past the row limit the page says how many the search found; below
        it the rows are all of them and nothing is counted."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            text = admin.get(NEW).text
        assert "Visar" not in text and "Gamma AB" in text
        assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
        monkeypatch.setattr("clients.invitations.views.ROW_LIMIT", 2)
        text = admin.get(NEW).text
        assert "Visar 2 av 3 klienter. Sök för att hitta fler." in text
        assert "Alfa AB" in text and "Beta AB" in text and "Gamma AB" not in text
        assert "Visar" not in admin.get(NEW, {"q": "Gamma"}).text

    def test_other_firm_sees_none_of_them(self, client, world, invitable):
        client.force_login(world.other_firm_consultant.user)
        text = client.get(NEW).text
        assert "Alfa AB" not in text
        assert "Det finns inga klienter att bjuda in användare till" in text


class TestSend:
    def test_three_users_one_with_mobile(
        self, admin, world, invitable, django_capture_on_commit_callbacks
    ):
        alfa, beta, gamma = invitable
        with django_capture_on_commit_callbacks(execute=True):
            response = post(
                admin,
                row(alfa, "Åsa Öberg", "Asa@Alfa.se", mobile="070-123 45 67"),
                row(beta, "Bo Ek", "bo@beta.se"),
                row(gamma, "Cia Ek", "cia@gamma.se"),
            )
        assert response.status_code == 302
        result = admin.get(response["Location"])
        assert result.text.count("<td>Inbjuden</td>") == 3
        asa = User.objects.get(email="asa@alfa.se")
        assert (asa.username, asa.mobile) == ("asa.oberg", "+46701234567")
        assert not asa.has_usable_password()
        # Asked, not added: the membership comes when Åsa accepts.
        assert not Membership.objects.filter(user=asa).exists()
        offer = JoinOffer.objects.get(user=asa)
        assert (offer.kind, offer.status, offer.subscription, offer.firm) == (
            "client_user",
            "pending",
            alfa,
            world.firm,
        )
        assert Invitation.objects.filter(accepted_at__isnull=True).count() == 3
        assert Invitation.objects.get(user=asa).subscription == alfa
        assert sorted(m.to[0] for m in mail.outbox) == ["asa@alfa.se", "bo@beta.se", "cia@gamma.se"]
        message = next(m for m in mail.outbox if m.to == ["asa@alfa.se"])
        assert message.subject == "Välkommen till Byråportalen – Alfa AB"
        assert (
            "Anna Admin på Revisorerna Norr AB har bjudit in dig som användare hos Alfa AB"
            in message.body
        )
        assert "asa.oberg" in message.body
        assert "/inbjudan/" in message.body
        # The SMS is a heads-up: the link that sets a password goes by e-mail only.
        assert [s.to for s in sms.outbox] == ["+46701234567"]
        assert sms.outbox[0].body == (
            "Byråportalen: Anna Admin på Revisorerna Norr AB har bjudit in dig som användare "
            "hos Alfa AB. Öppna e-posten från Byråportalen för att komma igång."
        )
        # Alfa has someone invited now: it leaves the list like the others.
        assert "Alfa AB" not in admin.get(NEW).text

    def test_51st_row_is_refused_not_truncated(self, admin, world):
        subscriptions = make_invitable(world, [f"Kund {n:02d} AB" for n in range(51)])
        rows = [row(s, f"Person {n}", f"p{n}@example.se") for n, s in enumerate(subscriptions)]
        response = post(admin, *rows)
        assert response.status_code == 422
        assert (
            "Du kan bjuda in högst 50 användare per utskick. Du har markerat 51 – ta bort 1 "
            "och skicka resten i nästa utskick." in response.text
        )
        assert not User.objects.filter(email__startswith="p").exists()
        assert 'value="p50@example.se"' in response.text  # nothing lost

    def test_per_row_errors_keep_every_row(self, admin, world, invitable):
        alfa, beta, gamma = invitable
        response = post(
            admin,
            row(alfa, "Anna A", "inte-en-adress"),
            row(beta, "Bo B", "bo@example.se", mobile="12"),
            row(gamma, "Cia C", "bo@example.se"),
        )
        assert response.status_code == 422
        assert "Fyll i en giltig e-postadress." in response.text
        assert "12 är inte ett giltigt mobilnummer." in response.text
        assert "Samma e-post finns på en annan rad." in response.text
        for value in ('value="Anna A"', 'value="Bo B"', 'value="Cia C"', 'value="inte-en-adress"'):
            assert value in response.text
        assert not User.objects.filter(full_name__in=["Anna A", "Bo B", "Cia C"]).exists()
        assert mail.outbox == []

    def test_name_without_email_and_email_without_name(self, admin, world, invitable):
        alfa, beta, _gamma = invitable
        response = post(admin, row(alfa, name="Bara Namn"), row(beta, email="bara@epost.se"))
        assert "Ange användarens e-post." in response.text
        assert "Ange namn." in response.text

    def test_nothing_marked(self, admin, world, invitable):
        response = post(admin, row(invitable[0]))
        assert "Fyll i namn och e-post på minst en rad." in response.text

    def test_email_already_user_of_that_client(self, admin, world, invitable):
        alfa = invitable[0]
        existing = factories.UserFactory(email="finns@alfa.se")
        Membership.objects.create(subscription=alfa, user=existing, consultant=None)
        # Alfa now has an own user, so it is no longer in the list at all:
        response = post(admin, row(alfa, "Finns", "finns@alfa.se"))
        assert "Ingen har bjudits in: en eller flera av raderna kan inte längre" in response.text
        assert Membership.objects.filter(user=existing).count() == 1

    def test_email_of_a_consultant_already_in_the_subscription(self, admin, world, invitable):
        # Erik is a member of Alfa as the firm's sysadmin, so Alfa stays on
        # the list; his e-mail on Alfa's row is refused at the field.
        alfa = invitable[0]
        users = User.objects.count()
        response = post(admin, row(alfa, "Erik", world.consultant.user.email))
        assert response.status_code == 422
        assert f"{world.consultant.user.email} är redan användare hos Alfa AB." in response.text
        assert User.objects.count() == users

    def test_existing_account_is_asked_not_added(
        self, admin, world, invitable, django_capture_on_commit_callbacks
    ):
        existing = factories.UserFactory(email="finns@annan.se", username="finns")
        with django_capture_on_commit_callbacks(execute=True):
            response = post(admin, row(invitable[0], "Finns Redan", "finns@annan.se"))
        assert response.status_code == 302
        assert "<td>Inbjuden</td>" in admin.get(response["Location"]).text
        assert not Membership.objects.filter(user=existing).exists()
        assert JoinOffer.objects.filter(user=existing, status="pending").count() == 1
        assert not Invitation.objects.filter(user=existing).exists()
        [message] = mail.outbox
        assert message.subject == "Anna Admin bjuder in dig till Alfa AB i Byråportalen"
        assert "välj ”Gå med” under ”Inbjudningar” på startsidan" in message.body
        assert "/inbjudan/" not in message.body
        existing.refresh_from_db()
        assert existing.check_password(factories.PASSWORD)
        assert existing.full_name != "Finns Redan"

    def test_taken_username_is_refused_with_suggestion(self, admin, world, invitable):
        factories.UserFactory(username="bo.ek")
        response = post(admin, row(invitable[0], "Bo Ek", "bo@ek.se", username="bo.ek"))
        assert "Användarnamnet bo.ek är upptaget. Förslag: bo.ek2" in response.text

    def test_bad_username_format(self, admin, world, invitable):
        response = post(admin, row(invitable[0], "Bo Ek", "bo@ek.se", username="Bo Ek!"))
        assert "Användarnamnet får bara innehålla a–z" in response.text

    def test_plain_consultant_only_their_assigned_clients(self, client, world, invitable):
        colleague = factories.ConsultantFactory(firm=world.firm)
        client.force_login(colleague.user)
        response = post(client, row(invitable[0], "X Y", "x@y.se"))
        assert "Ingen har bjudits in: en eller flera av raderna kan inte längre" in response.text
        assert not User.objects.filter(email="x@y.se").exists()

    def test_without_seat(self, client, world, invitable):
        client.force_login(world.no_seat_consultant.user)
        assert client.get(NEW).status_code == 403


class TestUsernames:
    def test_folding_and_uniqueness(self, db):
        assert username_suggest(full_name="Åsa Öberg", email="") == "asa.oberg"
        assert username_suggest(full_name="Jörgen Ærø-Lind", email="") == "jorgen.aero.lind"
        factories.UserFactory(username="asa.oberg")
        factories.UserFactory(username="asa.oberg2")
        assert username_suggest(full_name="Åsa Öberg", email="") == "asa.oberg3"
        assert username_suggest(full_name="Åsa Öberg", email="", taken=["asa.oberg3"]) == (
            "asa.oberg4"
        )
        assert username_suggest(full_name="", email="per.o@x.se") == "per.o"

    def test_existing_usernames_are_the_bases_followed_by_digits_only(self, db):
        for name in ("anna.berg", "anna.berg2", "anna.berg12", "anna.bergman", "xanna.berg"):
            factories.UserFactory(username=name)
        factories.UserFactory(username="a-b7")
        factories.UserFactory(username="axb")  # "_" in a base is a letter, not LIKE's wildcard
        found = existing_usernames(["anna.berg", "a_b", "a-b", "nobody"])
        assert found == {"anna.berg", "anna.berg2", "anna.berg12", "a-b7"}
        assert existing_usernames([]) == set()

    def test_existing_usernames_reads_the_username_index(self, db):
        """A prefix range per base, which the username index serves however
        many users there are (an alternation regex reads the whole table)."""
        from django.db import connection

        query = usernames_starting_with(["asa.oberg", "per.o"])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = query.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan, plan

    def test_htmx_suggestion_marks_the_row_and_avoids_other_rows(self, admin, world, invitable):
        alfa, beta, _gamma = invitable
        data = {**row(alfa, "Åsa Öberg", "asa@alfa.se"), **row(beta, username="asa.oberg")}
        response = admin.post(
            reverse("clients:invite_username", args=[alfa.pk]), data, HTTP_HX_REQUEST="true"
        )
        assert response.text.lstrip().startswith(f'<td id="username-{alfa.pk}">')
        assert 'value="asa.oberg2"' in response.text
        assert f'id="mark-{alfa.pk}"' in response.text
        assert 'hx-swap-oob="true"' in response.text
        assert "Markerad" in response.text

    def test_suggestion_for_client_outside_reach_is_404(self, client, world, invitable):
        client.force_login(world.other_firm_consultant.user)
        response = client.post(
            reverse("clients:invite_username", args=[invitable[0].pk]), {}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 404


def link_from(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"http://[^/]+(/inbjudan/\S+/)", message.body).group(1)


class TestAcceptance:
    @pytest.fixture
    def invited(self, admin, world, invitable, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            post(admin, row(invitable[0], "Åsa Öberg", "asa@alfa.se"))
        admin.logout()
        return link_from(mail.outbox[-1])

    def test_accept_lands_on_the_clients_start_page(self, client, invited):
        response = client.post(
            invited,
            {"new_password1": "Ett-långt-lösen-42", "new_password2": "Ett-långt-lösen-42"},
            follow=True,
        )
        assert "Företag du har tillgång till" in response.text
        assert "Alfa AB" in response.text
        assert "Du har inga behörigheter i programmen ännu." in response.text
        client.logout()
        login = client.post(
            reverse("login"), {"username": "asa.oberg", "password": "Ett-långt-lösen-42"}
        )
        assert login.status_code == 302  # the username works as well as the email

    def test_single_use(self, client, invited):
        password = {"new_password1": "Ett-långt-lösen-42", "new_password2": "Ett-långt-lösen-42"}
        client.post(invited, password)
        client.logout()
        response = client.post(invited, password)
        assert response.status_code == 410
        assert "Länken är redan använd" in response.text

    def test_expires_after_14_days(self, client, invited):
        invitation = Invitation.objects.get()
        assert invitation.expires_at - invitation.sent_at == timedelta(days=14)
        Invitation.objects.update(expires_at=timezone.now())
        response = client.get(invited)
        assert response.status_code == 410
        assert "Länken har gått ut" in response.text
        assert "Skicka en ny länk" in response.text

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_resend_to_existing_users(
        self, client, world, invited, django_capture_on_commit_callbacks
    ):
        client.force_login(world.firm_admin.user)
        page = client.get(reverse("clients:invite_existing"))
        assert "asa@alfa.se" in page.text
        offer = JoinOffer.objects.get(user__email="asa@alfa.se")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("clients:invite_existing"), {"offers": [offer.pk]}, follow=True
            )
        assert "Inbjudan har mejlats igen till 1 användare." in response.text
        assert [m.to for m in mail.outbox] == [["asa@alfa.se"]]
        client.logout()
        assert client.get(invited).status_code == 410
        assert client.get(link_from(mail.outbox[0])).status_code == 200
        assert Invitation.objects.filter(user__email="asa@alfa.se").count() == 1

    def test_accepting_the_link_makes_the_membership(self, client, world, invited):
        asa = User.objects.get(email="asa@alfa.se")
        assert not Membership.objects.filter(user=asa).exists()
        response = client.post(
            invited,
            {"new_password1": "Ett-långt-lösen-42", "new_password2": "Ett-långt-lösen-42"},
            follow=True,
        )
        assert "Du är nu användare hos Alfa AB." in response.text
        membership = Membership.objects.get(user=asa)
        assert (membership.is_sysadmin, membership.consultant) == (False, None)
        assert JoinOffer.objects.get(user=asa).status == "accepted"
        event = AccessEvent.objects.get(kind="member_added", subject_id=asa.pk)
        assert (event.actor_id, event.firm_id, event.detail) == (
            asa.pk,
            world.firm.pk,
            "Bjud in klientanvändare",
        )


def test_bulk_send_query_count_is_constant(admin, world):
    """50 rows cost the same queries as 3 (the budget is 40)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size, offset in ((3, 0), (50, 100)):
        subscriptions = make_invitable(world, [f"Kund {offset + n:03d} AB" for n in range(size)])
        data = {}
        for n, subscription in enumerate(subscriptions):
            data.update(row(subscription, f"Person {offset + n}", f"p{offset + n}@example.se"))
        with CaptureQueriesContext(connection) as captured:
            assert admin.post(NEW, data).status_code == 302
        counts.append(len(captured.captured_queries))
        # A send that goes through neither counts nor lists the search (the
        # page it would show is never rendered).
        listed = [q["sql"] for q in captured.captured_queries if f"LIMIT {ROW_LIMIT}" in q["sql"]]
        counted = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
        assert listed == counted == []
    assert counts[0] == counts[1] <= 38
