""" "Avsluta konsult": the confirmation page, the only-sysadmin rule, the one
transaction that ends the consultant, the stored report and its CSV."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientAssignment, Level, Membership, ProgramLevel, Subscription
from clients.offboarding.services import consultant_offboard, offboarding_preview
from clients.selectors import active_sysadmins
from firm_portal.models import Consultant, ConsultantOffboarding
from firm_portal.services import seats_used
from firm_portal.timeutils import today_in_stockholm
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

BOM = "\ufeff"
HEADER = "Klient;Organisationsnummer;Abonnemangsnummer;Systemadministratör;Behörigheter\r\n"


def offboard_url(consultant: Consultant) -> str:
    return reverse("firm_offboard", args=[consultant.pk])


def csv_url(consultant: Consultant) -> str:
    return reverse("firm_offboard_csv", args=[consultant.pk])


def member(subscription: Subscription, consultant: Consultant, **extra: Any) -> Membership:
    factories.CouplingFactory(firm=consultant.firm, subscription=subscription)
    return Membership.objects.create(
        subscription=subscription, user=consultant.user, consultant=consultant, **extra
    )


@pytest.fixture
def erik(world: World) -> dict[str, Any]:
    """Erik Konsult in three subscriptions of firm A's clients:
    - S (Bageriet Solsidan AB): Bokföring Läs, Lön Administratör; not sysadmin.
    - sole (Åkeriet Östra AB): the ONLY live sysadmin.
    - shared (Cykelverkstan AB): sysadmin together with a client user.
    plus client assignments for S and sole."""
    factories.LicenseFactory(subscription=world.subscription, seats=2)
    in_s = member(world.subscription, world.consultant)
    factories.give_level(in_s, "bokforing", Level.READ)
    factories.give_level(in_s, "lon", Level.ADMIN)
    sole = factories.SubscriptionFactory(client__name="Åkeriet Östra AB")
    in_sole = member(sole, world.consultant, is_sysadmin=True)
    factories.give_level(in_sole, "fakturering", Level.APPROVER)
    shared = factories.SubscriptionFactory(client__name="Cykelverkstan AB")
    in_shared = member(shared, world.consultant, is_sysadmin=True)
    factories.MembershipFactory(subscription=shared, is_sysadmin=True)
    ClientAssignment.objects.create(consultant=world.consultant, subscription=world.subscription)
    ClientAssignment.objects.create(consultant=world.consultant, subscription_id=sole.pk)
    return {
        "s": world.subscription,
        "sole": sole,
        "shared": shared,
        "in_s": in_s,
        "in_sole": in_sole,
        "in_shared": in_shared,
    }


@pytest.fixture
def unblocked(erik: dict[str, Any]) -> dict[str, Any]:
    """The client of `sole` now has a sysadmin of its own."""
    factories.MembershipFactory(
        subscription=erik["sole"], is_sysadmin=True, user__full_name="Karin Kundadmin"
    )
    return erik


@pytest.fixture
def admin_client(client: Client, world: World) -> Client:
    client.force_login(world.firm_admin.user)
    return client


def blocked_message(erik: dict[str, Any]) -> str:
    return (
        f"Erik Konsult är den enda systemadministratören hos Åkeriet Östra AB "
        f"(abonnemang {erik['sole'].number}). Gör någon annan till systemadministratör där "
        f"innan du avslutar konsulten."
    )


def csv_line(subscription, sysadmin: str, levels: str) -> str:  # type: ignore[no-untyped-def]
    client = subscription.client
    return f"{client.name};{client.org_number};{subscription.number};{sysadmin};{levels}\r\n"


class TestPreview:
    def test_lists_only_sysadmin_client_first_flagged_and_refuses(self, admin_client, world, erik):
        response = admin_client.get(offboard_url(world.consultant))
        assert response.status_code == 200
        text = response.text
        assert "<h1>Avsluta konsult</h1>" in text
        assert blocked_message(erik) in text
        # Blocking client first, then the others by name.
        positions = [
            text.index(name)
            for name in ("Åkeriet Östra AB", "Bageriet Solsidan AB", "Cykelverkstan AB")
        ]
        assert positions == sorted(positions)
        assert text.count("Enda systemadministratör") == 1
        assert text.index("Enda systemadministratör") < text.index("Bageriet Solsidan AB")
        assert "Bokföring: Läs" in text
        assert "Lön: Administratör" in text
        assert "Fakturering: Attestansvarig" in text
        assert "2 klienter tas bort från konsultens klientlista." in text
        assert "Licensen för Klienthanteraren tas tillbaka" in text
        # No confirm button, only the download and the way back.
        assert 'type="submit" class="primary">Avsluta konsult' not in text
        assert "Ladda ned som CSV" in text

    def test_confirm_button_once_another_sysadmin_exists(self, admin_client, world, unblocked):
        response = admin_client.get(offboard_url(world.consultant))
        assert "Enda systemadministratör" not in response.text
        assert "den enda systemadministratören" not in response.text
        assert 'type="submit" class="primary">Avsluta konsult' in response.text

    def test_suspended_or_expired_other_sysadmin_does_not_count(self, world, erik):
        # The client's own admin is there, but paused; a consultant colleague's
        # access ended yesterday: neither is a live sysadmin.
        factories.MembershipFactory(
            subscription=erik["sole"], is_sysadmin=True, suspended_at=timezone.now()
        )
        colleague = factories.ConsultantFactory(firm=world.firm)
        factories.MembershipFactory(
            subscription=erik["sole"],
            user=colleague.user,
            consultant=colleague,
            is_sysadmin=True,
            ends_on=today_in_stockholm() - timedelta(days=1),
        )
        assert [m.pk for m in active_sysadmins(subscription=erik["sole"])] == [erik["in_sole"].pk]
        preview = offboarding_preview(actor=world.firm_admin, consultant=world.consultant)
        assert [row.client for row in preview.blockers] == ["Åkeriet Östra AB"]
        assert not preview.can_perform

    def test_another_sysadmin_with_an_end_date_does_not_unblock(self, world, erik):
        # The client's other sysadmin leaves in a week: ending Erik now would
        # leave the client without one then.
        colleague = factories.ConsultantFactory(firm=world.firm)
        factories.MembershipFactory(
            subscription=erik["sole"],
            user=colleague.user,
            consultant=colleague,
            is_sysadmin=True,
            ends_on=today_in_stockholm() + timedelta(days=7),
        )
        preview = offboarding_preview(actor=world.firm_admin, consultant=world.consultant)
        assert [row.client for row in preview.blockers] == ["Åkeriet Östra AB"]
        with pytest.raises(ValidationError) as error:
            consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        assert error.value.messages == [blocked_message(erik)]
        assert Membership.objects.filter(pk=erik["in_sole"].pk).exists()

    def test_paused_consultant_is_no_blocker(self, world, erik):
        # Erik's own sysadmin role in `sole` is paused: he is not what keeps
        # the subscription administered, so removing him changes nothing.
        Membership.objects.filter(pk=erik["in_sole"].pk).update(suspended_at=timezone.now())
        preview = offboarding_preview(actor=world.firm_admin, consultant=world.consultant)
        assert preview.blockers == []
        assert preview.can_perform

    def test_preview_csv(self, admin_client, world, erik):
        response = admin_client.get(csv_url(world.consultant))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="avsluta-konsult-erik-konsult.csv"'
        )
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert response.content.decode("utf-8") == (
            BOM
            + HEADER
            + csv_line(erik["sole"], "Ja", "Fakturering: Attestansvarig")
            + csv_line(erik["s"], "Nej", "Bokföring: Läs, Lön: Administratör")
            + csv_line(erik["shared"], "Ja", "")
        )

    def test_self_is_refused_with_clear_message(self, admin_client, world):
        response = admin_client.get(offboard_url(world.firm_admin))
        assert response.status_code == 200
        assert (
            "Du kan inte avsluta dig själv. Be en annan byråadministratör att göra det."
            in response.text
        )
        assert 'type="submit" class="primary">Avsluta konsult' not in response.text

    def test_query_count_is_constant(self, admin_client, world, django_assert_num_queries):
        def add_memberships(count: int) -> None:
            for _ in range(count):
                subscription = factories.SubscriptionFactory()
                membership = member(subscription, world.consultant, is_sysadmin=True)
                factories.give_level(membership, "bokforing", Level.READ)
                factories.MembershipFactory(subscription=subscription, is_sysadmin=True)

        add_memberships(3)
        # user, actor, consultant, stored report (none), memberships,
        # levels, own live sysadmin roles, other live sysadmins, the refusal
        # check for an earlier offboarding, assignments
        with django_assert_num_queries(10):
            assert admin_client.get(offboard_url(world.consultant)).status_code == 200
        add_memberships(27)
        with django_assert_num_queries(10):
            assert admin_client.get(offboard_url(world.consultant)).status_code == 200


class TestPerform:
    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_removes_everything_in_one_go_and_stores_report(self, admin_client, world, unblocked):
        erik = unblocked
        seats_before = seats_used(firm_id=world.firm.pk)
        response = admin_client.post(offboard_url(world.consultant))
        assert response.status_code == 302
        assert response["Location"] == offboard_url(world.consultant)

        assert not Membership.objects.filter(consultant=world.consultant).exists()
        assert not ProgramLevel.objects.filter(membership__user=world.consultant.user).exists()
        assert not ClientAssignment.objects.filter(consultant=world.consultant).exists()
        world.consultant.refresh_from_db()
        assert world.consultant.is_active is False
        assert world.consultant.has_client_manager_seat is False
        assert seats_used(firm_id=world.firm.pk) == seats_before - 1
        # The other members and the subscriptions' licences are untouched.
        assert Membership.objects.filter(subscription=erik["shared"]).count() == 1
        assert erik["s"].licenses.get().seats == 2

        record = ConsultantOffboarding.objects.get()
        assert record.consultant == world.consultant
        assert record.performed_by == world.firm_admin.user
        assert record.report == [
            {
                "client": "Bageriet Solsidan AB",
                "org_number": erik["s"].client.org_number,
                "subscription_number": erik["s"].number,
                "was_sysadmin": False,
                "levels": ["Bokföring: Läs", "Lön: Administratör"],
            },
            {
                "client": "Cykelverkstan AB",
                "org_number": erik["shared"].client.org_number,
                "subscription_number": erik["shared"].number,
                "was_sysadmin": True,
                "levels": [],
            },
            {
                "client": "Åkeriet Östra AB",
                "org_number": erik["sole"].client.org_number,
                "subscription_number": erik["sole"].number,
                "was_sysadmin": True,
                "levels": ["Fakturering: Attestansvarig"],
            },
        ]

    def test_result_page_shows_what_was_removed(self, admin_client, world, unblocked):
        response = admin_client.post(offboard_url(world.consultant), follow=True)
        assert response.status_code == 200
        text = response.text
        assert "Erik Konsult är avslutad." in text
        assert "<h1>Avslutad konsult</h1>" in text
        assert "av Anna Admin" in text
        for name in ("Bageriet Solsidan AB", "Cykelverkstan AB", "Åkeriet Östra AB"):
            assert name in text
        assert "Bokföring: Läs" in text
        assert csv_url(world.consultant) in text
        assert "Ladda ned som CSV" in text

    def test_report_csv_is_read_from_the_stored_record(self, admin_client, world, unblocked):
        erik = unblocked
        admin_client.post(offboard_url(world.consultant))
        # Later renames do not change what the record says was removed.
        erik["s"].client.name = "Nytt Namn AB"
        erik["s"].client.save()
        response = admin_client.get(csv_url(world.consultant))
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            'attachment; filename="avslutad-konsult-erik-konsult.csv"'
        )
        assert response.content.decode("utf-8") == (
            BOM
            + HEADER
            + (
                f"Bageriet Solsidan AB;{erik['s'].client.org_number};{erik['s'].number};"
                "Nej;Bokföring: Läs, Lön: Administratör\r\n"
            )
            + csv_line(erik["shared"], "Ja", "")
            + csv_line(erik["sole"], "Ja", "Fakturering: Attestansvarig")
        )

    def test_refused_while_only_sysadmin_and_nothing_changes(self, admin_client, world, erik):
        response = admin_client.post(offboard_url(world.consultant))
        assert response.status_code == 409
        assert blocked_message(erik) in response.text
        assert Membership.objects.filter(consultant=world.consultant).count() == 3
        assert ClientAssignment.objects.filter(consultant=world.consultant).count() == 2
        world.consultant.refresh_from_db()
        assert world.consultant.is_active and world.consultant.has_client_manager_seat
        assert not ConsultantOffboarding.objects.exists()

    def test_names_every_blocking_client(self, world, erik):
        other = factories.SubscriptionFactory(client__name="Dalarnas Trä AB")
        member(other, world.consultant, is_sysadmin=True)
        with pytest.raises(ValidationError) as error:
            consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        assert error.value.messages == [
            f"Erik Konsult är den enda systemadministratören hos Dalarnas Trä AB "
            f"(abonnemang {other.number}), Åkeriet Östra AB (abonnemang {erik['sole'].number}). "
            "Gör någon annan till systemadministratör där innan du avslutar konsulten."
        ]

    def test_self_is_refused(self, admin_client, world):
        response = admin_client.post(offboard_url(world.firm_admin))
        assert response.status_code == 409
        assert "Du kan inte avsluta dig själv." in response.text
        world.firm_admin.refresh_from_db()
        assert world.firm_admin.is_active
        assert not ConsultantOffboarding.objects.exists()

    def test_twice_is_refused_and_shows_the_report(self, admin_client, world, unblocked):
        admin_client.post(offboard_url(world.consultant))
        response = admin_client.post(offboard_url(world.consultant), follow=True)
        assert "Erik Konsult är redan avslutad." in response.text
        assert "<h1>Avslutad konsult</h1>" in response.text
        assert ConsultantOffboarding.objects.count() == 1

    def test_all_or_nothing(self, world, unblocked, monkeypatch):
        def fail(**kwargs: Any) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(ConsultantOffboarding.objects, "create", fail)
        with pytest.raises(RuntimeError):
            consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        assert Membership.objects.filter(consultant=world.consultant).count() == 3
        assert ProgramLevel.objects.filter(membership__consultant=world.consultant).count() == 3
        assert ClientAssignment.objects.filter(consultant=world.consultant).count() == 2
        world.consultant.refresh_from_db()
        assert world.consultant.is_active and world.consultant.has_client_manager_seat

    def test_consultant_without_clients(self, admin_client, world):
        response = admin_client.get(offboard_url(world.no_seat_consultant))
        assert "Konsulten finns inte i någon klients abonnemang." in response.text
        admin_client.post(offboard_url(world.no_seat_consultant))
        assert ConsultantOffboarding.objects.get().report == []
        world.no_seat_consultant.refresh_from_db()
        assert not world.no_seat_consultant.is_active


class TestAccess:
    @pytest.mark.parametrize("who", ["consultant", "program_admin"])
    def test_non_admin_is_403_and_nothing_changes(self, client, world, unblocked, who):
        actor = world.no_seat_consultant
        if who == "program_admin":
            Consultant.objects.filter(pk=actor.pk).update(is_client_manager_admin=True)
        client.force_login(actor.user)
        assert client.get(offboard_url(world.consultant)).status_code == 403
        assert client.post(offboard_url(world.consultant)).status_code == 403
        assert client.get(csv_url(world.consultant)).status_code == 403
        world.consultant.refresh_from_db()
        assert world.consultant.is_active
        assert Membership.objects.filter(consultant=world.consultant).count() == 3

    def test_service_refuses_non_admin(self, world, unblocked):
        with pytest.raises(PermissionDenied):
            consultant_offboard(actor=world.no_seat_consultant, consultant=world.consultant)

    def test_other_firms_consultant_is_404_even_for_their_admin(self, admin_client, world):
        other = world.other_firm_consultant
        assert admin_client.get(offboard_url(other)).status_code == 404
        assert admin_client.post(offboard_url(other)).status_code == 404
        assert admin_client.get(csv_url(other)).status_code == 404
        other.refresh_from_db()
        assert other.is_active

    def test_other_firm_sees_404_not_403(self, client, world):
        # A plain consultant of firm B asks for firm A's consultant: 404, not 403.
        client.force_login(world.other_firm_consultant.user)
        assert client.get(offboard_url(world.consultant)).status_code == 404

    def test_client_user_is_404(self, client, world):
        client.force_login(world.sysadmin)
        assert client.get(offboard_url(world.consultant)).status_code == 404

    def test_wrong_methods(self, admin_client, world):
        assert admin_client.put(offboard_url(world.consultant)).status_code == 405
        assert admin_client.post(csv_url(world.consultant)).status_code == 405

    def test_anonymous_goes_to_login(self, client, world):
        response = client.get(offboard_url(world.consultant))
        assert response.status_code == 302
        assert response["Location"].startswith("/logga-in/")


class TestFirmUsersPage:
    def test_link_per_active_consultant_for_firm_admins(self, admin_client, world):
        response = admin_client.get(reverse("firm_users"))
        for consultant in (world.consultant, world.no_seat_consultant):
            assert f'href="{offboard_url(consultant)}"' in response.text
        assert "Avsluta konsult" in response.text

    def test_no_link_for_program_admins(self, client, world):
        Consultant.objects.filter(pk=world.consultant.pk).update(is_client_manager_admin=True)
        client.force_login(world.consultant.user)
        response = client.get(reverse("firm_users"))
        assert response.status_code == 200
        assert "Avsluta konsult" not in response.text

    def test_ended_consultant_links_to_report(self, admin_client, world):
        admin_client.post(offboard_url(world.no_seat_consultant))
        response = admin_client.get(reverse("firm_users"))
        assert "Visa vad som togs bort" in response.text
        assert response.text.count(f'href="{offboard_url(world.no_seat_consultant)}"') == 1


ENDED = (
    "Ditt konto har avslutats av Revisorerna Norr AB och kan inte längre användas för att logga in."
)


def log_in(client: Client, user, password: str = factories.PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": user.email, "password": password})


class TestEndedLogin:
    """An ended consultant's way in ends with the role: the login, the firm's
    open invitation link and any password reset link."""

    def test_login_is_refused_and_says_the_firm_ended_the_account(self, client, world):
        consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        response = log_in(client, world.consultant.user)
        assert response.status_code == 200
        assert ENDED in response.text
        assert "Kontakta den som bjöd in dig" not in response.text
        assert client.get("/").status_code == 302  # not logged in

    def test_a_wrong_password_says_nothing_about_the_account(self, client, world):
        consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        response = log_in(client, world.consultant.user, password="fel-lösen")
        assert "Fel e-post eller lösenord. Försök igen." in response.text
        assert "avslutats" not in response.text

    def test_someone_who_is_also_a_client_user_still_logs_in(self, client, world):
        factories.MembershipFactory(subscription=world.subscription, user=world.consultant.user)
        consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        response = log_in(client, world.consultant.user)
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_someone_hired_by_another_firm_logs_in_again(self, client, world):
        consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        factories.ConsultantFactory(
            firm=world.other_firm_consultant.firm, user=world.consultant.user
        )
        assert log_in(client, world.consultant.user).status_code == 302

    def test_a_password_reset_link_mailed_before_stops_working(
        self, client, world, django_capture_on_commit_callbacks
    ):
        import re

        from django.core import mail

        user = world.consultant.user
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("password_reset"), {"email": user.email})
        [message] = mail.outbox
        link = re.search(r"http://[^/]+(/losenord/aterstall/\S+/)", message.body).group(1)
        consultant_offboard(actor=world.firm_admin, consultant=world.consultant)
        response = client.get(link, follow=True)
        assert "Länken för att återställa lösenordet gäller inte längre" in response.text
        # A new request sends nothing, and says what it says to anyone.
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("password_reset"), {"email": user.email}, follow=True)
        assert "Om adressen hör till ett konto har vi skickat en länk" in response.text
        assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_firms_ending_the_last_two_sysadmins_at_once_leaves_one(world):
    """Erik (firm A) and Olle (firm B) are the only sysadmins of a shared
    client. Their firm admins end them at the same moment: the firm locks do
    not collide, the subscription lock does, so exactly one is ended."""
    shared = factories.SubscriptionFactory(client__name="Delad Kund AB")
    olle = world.other_firm_consultant
    member(shared, world.consultant, is_sysadmin=True)
    member(shared, olle, is_sysadmin=True)
    admin_b = factories.ConsultantFactory(firm=olle.firm, is_firm_admin=True)
    jobs = [(world.firm_admin, world.consultant), (admin_b, olle)]
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def end(actor: Consultant, consultant: Consultant) -> None:
        try:
            barrier.wait()
            try:
                consultant_offboard(actor=actor, consultant=consultant)
                outcome = "ended"
            except ValidationError as error:
                outcome = error.messages[0]
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ended") == 1
    [refusal] = [outcome for outcome in outcomes if outcome != "ended"]
    assert "är den enda systemadministratören hos Delad Kund AB" in refusal
    assert ConsultantOffboarding.objects.count() == 1
    assert active_sysadmins(subscription=shared).count() == 1
