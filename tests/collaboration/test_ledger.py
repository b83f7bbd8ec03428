"""The access ledger: each change of access writes exactly one event, and
each reader sees only their own scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Level, Membership
from clients.services import (
    membership_resume,
    membership_set_end_date,
    membership_set_sysadmin,
    membership_suspend,
    program_level_set,
)
from collaboration.assignments.services import assignments_update
from collaboration.ledger import views
from collaboration.models import CollaborationRequest, Coupling
from collaboration.requests import services
from firm_portal.services import consultant_set_roles, consultant_set_seat
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from ledger.services import ledger_record
from licensing.services import firm_seats_change, license_add
from tests import factories

pytestmark = pytest.mark.django_db
Kind = AccessEvent.Kind


def kinds() -> list[str]:
    return list(AccessEvent.objects.order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def consultant_member(world):  # type: ignore[no-untyped-def]
    factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
    return Membership.objects.create(
        subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
    )


class TestOneEventPerChange:
    def test_request_lifecycle(self, world):
        request = services.collaboration_request_send(
            consultant=world.consultant,
            subscription=world.subscription,
            responsible=world.consultant,
            start_date=None,
        )
        assert kinds() == [Kind.REQUEST_SENT]
        services.collaboration_request_approve(
            user=world.sysadmin, subscription=world.subscription, request_id=request.pk
        )
        assert kinds() == [Kind.REQUEST_SENT, Kind.REQUEST_APPROVED, Kind.MEMBER_ADDED]
        approved = AccessEvent.objects.get(kind=Kind.REQUEST_APPROVED)
        assert (
            approved.actor_id,
            approved.firm_id,
            approved.subscription_id,
            approved.subject_id,
        ) == (world.sysadmin.pk, world.firm.pk, world.subscription.pk, world.consultant.user_id)
        assert approved.after == {
            "coupling": "active",
            "starts_on": today_in_stockholm().isoformat(),
        }

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_reject_withdraw_expire(self, world):
        def pending():  # type: ignore[no-untyped-def]
            return factories.CollaborationRequestFactory(
                firm=world.firm,
                subscription=world.subscription,
                responsible_consultant=world.consultant,
            )

        services.collaboration_request_reject(
            user=world.sysadmin, subscription=world.subscription, request_id=pending().pk
        )
        services.collaboration_request_withdraw(
            consultant=world.consultant, request_id=pending().pk
        )
        expired = pending()
        CollaborationRequest.objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        services.collaboration_requests_expire()
        services.collaboration_requests_expire()
        assert kinds() == [Kind.REQUEST_REJECTED, Kind.REQUEST_WITHDRAWN, Kind.REQUEST_EXPIRED]

    @pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
    def test_scheduled_coupling_activation_once(self, world):
        factories.CouplingFactory(
            firm=world.firm,
            subscription=world.subscription,
            status=Coupling.Status.SCHEDULED,
            starts_on=today_in_stockholm(),
            activated_at=None,
        )
        assert services.couplings_activate_due() == 1
        assert services.couplings_activate_due() == 0
        assert kinds() == [Kind.COUPLING_ACTIVATED]

    def test_level_sysadmin_and_licence(self, world, consultant_member):
        program = factories.program("lon")
        license_add(actor=world.sysadmin, subscription=world.subscription, program=program)
        for level in (Level.READ, Level.READ, Level.ADMIN, ""):
            program_level_set(
                actor=world.sysadmin,
                subscription=world.subscription,
                membership=consultant_member,
                program=program,
                level=level,
            )
        membership_set_sysadmin(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=consultant_member,
            is_sysadmin=True,
        )
        assert kinds() == [
            Kind.LICENSES_CHANGED,
            Kind.LEVEL_CHANGED,  # none -> read (setting read again changes nothing)
            Kind.LEVEL_CHANGED,  # read -> admin
            Kind.LEVEL_CHANGED,  # admin -> none
            Kind.SYSADMIN_CHANGED,
        ]
        last_level = AccessEvent.objects.filter(kind=Kind.LEVEL_CHANGED).order_by("pk").last()
        assert (last_level.before, last_level.after) == (
            {"program": "lon", "level": "admin"},
            {"program": "lon", "level": None},
        )
        assert last_level.firm_id == world.firm.pk  # the consultant's firm sees it

    def test_firm_side_changes(self, world):
        firm_seats_change(actor=world.firm_admin, delta=2)
        consultant_set_seat(
            actor=world.firm_admin, consultant=world.no_seat_consultant, has_seat=True
        )
        consultant_set_roles(
            actor=world.firm_admin,
            consultant=world.consultant,
            is_firm_admin=False,
            is_client_manager_admin=True,
        )
        first, second = (
            factories.CouplingFactory(firm=world.firm).subscription,
            factories.CouplingFactory(firm=world.firm).subscription,
        )
        assignments_update(
            actor=world.firm_admin,
            consultant=world.consultant,
            shown={first.pk, second.pk},
            checked={first.pk, second.pk},
        )
        assert kinds() == [
            Kind.SEATS_CHANGED,
            Kind.SEAT_ASSIGNED,
            Kind.ROLE_CHANGED,
            Kind.ASSIGNMENT_CHANGED,
            Kind.ASSIGNMENT_CHANGED,
        ]
        assert set(
            AccessEvent.objects.filter(kind=Kind.ASSIGNMENT_CHANGED).values_list(
                "subscription_id", flat=True
            )
        ) == {first.pk, second.pk}

    def test_time_boxed_access(self, world, consultant_member):
        arguments = {
            "actor": world.sysadmin,
            "subscription": world.subscription,
            "membership": consultant_member,
        }
        membership_set_end_date(**arguments, ends_on=today_in_stockholm())
        membership_suspend(**arguments)
        membership_suspend(**arguments)
        membership_resume(**arguments)
        assert kinds() == [Kind.MEMBER_END_DATE, Kind.MEMBER_SUSPENDED, Kind.MEMBER_RESUMED]

    def test_denied_attempt_is_recorded(self, client, world):
        client.force_login(world.other_sysadmin)
        url = reverse("clients:permissions", args=[world.subscription.number])
        assert client.get(url).status_code == 404
        event = AccessEvent.objects.get()
        assert (event.kind, event.actor_id, event.subscription_id) == (
            Kind.ACCESS_DENIED,
            world.other_sysadmin.pk,
            world.subscription.pk,
        )

    def test_probing_unknown_numbers_is_not_an_event(self, client, world):
        client.force_login(world.other_sysadmin)
        assert client.get(reverse("clients:permissions", args=[999999999])).status_code == 404
        assert not AccessEvent.objects.exists()


class TestReading:
    @pytest.fixture
    def events(self, world, consultant_member):  # type: ignore[no-untyped-def]
        program = factories.program("lon")
        license_add(actor=world.sysadmin, subscription=world.subscription, program=program)
        program_level_set(
            actor=world.sysadmin,
            subscription=world.subscription,
            membership=consultant_member,
            program=program,
            level=Level.APPROVER,
        )
        firm_seats_change(actor=world.firm_admin, delta=1)
        # Another firm's change: never visible to firm A.
        other = world.other_firm_consultant
        other.is_firm_admin = True
        other.save()
        firm_seats_change(actor=other, delta=5)

    def test_firm_sees_own_events_only(self, client, world, events):
        client.force_login(world.firm_admin.user)
        response = client.get(reverse("collaboration:firm_ledger"))
        assert response.status_code == 200
        assert "2 händelser" in response.text
        assert "Behörighet ändrad" in response.text
        assert "Licenser för Klienthanteraren ändrade" in response.text
        assert "Siffror Syd AB" not in response.text

    def test_a_count_past_the_cap_is_shown_as_more_than(self, client, world, events, monkeypatch):
        # A large firm's ledger holds millions of events: the count stops at
        # COUNT_CAP + 1 rows and the page says "Fler än …", with no last page.
        monkeypatch.setattr(views, "COUNT_CAP", 1)
        client.force_login(world.firm_admin.user)
        url = reverse("collaboration:firm_ledger")
        response = client.get(url)
        assert "Fler än 1 händelser" in response.text
        assert "2 händelser" not in response.text
        assert "1 händelse" in client.get(url, {"konsult": world.consultant.pk}).text

    def test_a_large_firm_filters_per_consultant_by_name(self, client, world, events, monkeypatch):
        # Past CONSULTANT_SELECT_MAX consultants "Konsult" is a search box.
        monkeypatch.setattr("firm_portal.consultant_filter.CONSULTANT_SELECT_MAX", 1)
        client.force_login(world.firm_admin.user)
        url = reverse("collaboration:firm_ledger")
        response = client.get(url, {"konsult": "Erik Konsult"})
        assert "1 händelse" in response.text
        assert f'value="{world.consultant.user.email}"' in response.text
        assert "Ingen konsult på byrån matchar ”Olle”." in client.get(url, {"konsult": "Olle"}).text

    def test_firm_filter_per_consultant_and_kind(self, client, world, events):
        client.force_login(world.firm_admin.user)
        url = reverse("collaboration:firm_ledger")
        assert "1 händelse" in client.get(url, {"konsult": world.consultant.pk}).text
        assert "0 händelser" in client.get(url, {"typ": Kind.ROLE_CHANGED}).text
        tomorrow = (today_in_stockholm() + timedelta(days=1)).isoformat()
        assert "0 händelser" in client.get(url, {"fran": tomorrow}).text
        response = client.get(url, {"fran": tomorrow, "till": today_in_stockholm().isoformat()})
        assert "Slutdatumet kan inte ligga före startdatumet." in response.text

    def test_firm_filter_per_client(self, client, world, events):
        client.force_login(world.firm_admin.user)
        url = reverse("collaboration:firm_ledger")
        # The level change is about the subscription; the seats change is not.
        assert "1 händelse" in client.get(url, {"klient": world.subscription.number}).text
        assert "0 händelser" in client.get(url, {"klient": 9_999_999}).text

    def test_plain_consultant_is_refused(self, client, world, events):
        client.force_login(world.consultant.user)
        assert client.get(reverse("collaboration:firm_ledger")).status_code == 403

    def test_sysadmin_reads_the_subscriptions_events(self, client, world, events):
        client.force_login(world.sysadmin)
        url = reverse("collaboration:subscription_ledger", args=[world.subscription.number])
        response = client.get(url)
        assert "2 händelser" in response.text  # licence + level, not the seat changes
        client.force_login(world.other_sysadmin)
        assert client.get(url).status_code == 404

    def test_csv_export(self, client, world, events):
        client.force_login(world.firm_admin.user)
        response = client.get(
            reverse("collaboration:firm_ledger"), {"format": "csv", "typ": Kind.LEVEL_CHANGED}
        )
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="behorighetslogg.csv"'
        lines = response.content.decode("utf-8").splitlines()
        # The before/after cells hold "; " and are quoted: read them as CSV.
        import csv

        parsed = list(csv.reader(lines, delimiter=";"))
        assert lines[0] == (
            "\ufeffTidpunkt;Händelse;Utförd av;Gäller;Byrå;Klient;Abonnemangsnummer;Före;Efter;"
            "Beskrivning"
        )
        assert len(lines) == 2
        fields = parsed[1]
        assert fields[1:7] == [
            "Behörighet ändrad",
            "Lisa Sysadmin",
            "Erik Konsult",
            "Revisorerna Norr AB",
            "Bageriet Solsidan AB",
            str(world.subscription.number),
        ]
        assert fields[7:9] == [
            "Program: Lön; Behörighet: Ingen behörighet",
            "Program: Lön; Behörighet: Attestansvarig",
        ]

    def test_page_masks_mobile_and_personnummer_like_the_export(self, client, world):
        ledger_record(
            kind=Kind.MEMBER_ADDED,
            actor=world.firm_admin.user,
            firm=world.firm,
            subject=world.consultant.user,
            before={"mobile": "+46701234567", "personal_number": "198501011234"},
            after={"mobilnummer": "+46701234599", "personnummer": "198501015678", "level": "<b>"},
        )
        client.force_login(world.firm_admin.user)
        url = reverse("collaboration:firm_ledger")
        page = client.get(url).text
        assert "Mobilnummer: +46 70 *** ** 67<br>" in page
        assert "Personnummer: 19850101-****<br>" in page
        assert "Mobilnummer: +46 70 *** ** 99<br>" in page
        assert "Behörighet: &lt;b&gt;<br>" in page  # unknown values as stored, escaped
        for full in ("+46701234567", "198501011234", "+46701234599", "198501015678"):
            assert full not in page
        export = client.get(url, {"format": "csv"}).content.decode()
        assert "Mobilnummer: +46 70 *** ** 67" in export and "198501011234" not in export

    @pytest.mark.parametrize("size", [3, 60])
    def test_query_count_constant(self, client, world, django_assert_num_queries, size):
        for _ in range(size):
            firm_seats_change(actor=world.firm_admin, delta=1)
        client.force_login(world.firm_admin.user)
        with django_assert_num_queries(5):
            client.get(reverse("collaboration:firm_ledger"))
