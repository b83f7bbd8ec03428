"""Flow 6: manual couplings registered and performed by support staff in
Django admin, the fee rule, the firm's charges, the Support group, and the
access ledger's protection in admin, the ORM and the database."""

import importlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientAssignment, Membership, Subscription
from collaboration.manual.perform import PerformOutcome, manual_coupling_perform
from collaboration.manual.services import MANUAL_COUPLING_FEE, manual_coupling_fee_decide
from collaboration.models import CollaborationRequest, Coupling, ManualCoupling
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from ledger.services import Kind, ledger_record
from licensing.models import FirmCharge
from notifications.models import OutboxMessage
from tests import factories
from tests.collaboration.manual_coupling_helpers import add_form_data, support_migration

pytestmark = pytest.mark.django_db

# The migrations that move models to another app, with their content types:
# (migration, the app the models move to).
MODELS_MOVED = (
    (
        importlib.import_module(
            "clients.migrations.0008_invitations_and_assignments_from_firm_portal"
        ),
        "clients",
    ),
    (
        importlib.import_module("ledger.migrations.0001_access_ledger_from_collaboration"),
        "ledger",
    ),
)

DIGITAL = "Kunde ha gjorts digitalt: abonnemanget har en aktiv systemadministratör."
NOT_DIGITAL = "Kunde inte göras digitalt: abonnemanget saknar aktiv systemadministratör."


@pytest.fixture
def support_group(db: None) -> Group:
    # The migration made it; a flush by an earlier transactional test may not
    # have left it, so make it again the same way (idempotent).
    support_migration.support_group_ensure(global_apps, "default")
    return Group.objects.get(name="Support")


@pytest.fixture
def support(support_group: Group):  # type: ignore[no-untyped-def]
    user = factories.UserFactory(is_staff=True, full_name="Stina Support")
    user.groups.add(support_group)
    return user


@pytest.fixture
def support_client(support) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(support)
    return client


def register(world, support, **overrides):  # type: ignore[no-untyped-def]
    arguments = {
        "actor": support,
        "firm": world.firm,
        "org_number": world.subscription.client.org_number,
        "responsible": world.consultant,
        "form_received_on": today_in_stockholm(),
        **overrides,
    }
    return factories.manual_coupling_register(**arguments)


ADD_URL = "admin:collaboration_manualcoupling_add"
CHANGELIST_URL = "admin:collaboration_manualcoupling_changelist"


def change_url(manual: ManualCoupling) -> str:
    return reverse("admin:collaboration_manualcoupling_change", args=[manual.pk])


def errors_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


class TestFeeRule:
    def test_600_when_the_subscription_has_an_active_sysadmin(self, world):
        decision = manual_coupling_fee_decide(firm=world.firm, subscription=world.subscription)
        assert (decision.could_be_digital, decision.fee, decision.reason) == (
            True,
            Decimal("600.00"),
            DIGITAL,
        )

    def test_0_when_the_subscription_has_no_sysadmin(self, world):
        lonely = factories.SubscriptionFactory()
        factories.MembershipFactory(subscription=lonely)  # a user, not sysadmin
        decision = manual_coupling_fee_decide(firm=world.firm, subscription=lonely)
        assert (decision.could_be_digital, decision.fee, decision.reason) == (
            False,
            Decimal("0.00"),
            NOT_DIGITAL,
        )

    @pytest.mark.parametrize("how", ["suspended", "user_inactive", "access_ended"])
    def test_0_when_the_only_sysadmin_is_not_active(self, world, how):
        membership = world.sysadmin_membership
        if how == "suspended":
            membership.suspended_at = timezone.now()
            membership.save(update_fields=["suspended_at"])
        elif how == "user_inactive":
            world.sysadmin.is_active = False
            world.sysadmin.save(update_fields=["is_active"])
        else:
            membership.ends_on = today_in_stockholm() - timedelta(days=1)
            membership.save(update_fields=["ends_on"])
        decision = manual_coupling_fee_decide(firm=world.firm, subscription=world.subscription)
        assert (decision.fee, decision.reason) == (Decimal("0.00"), NOT_DIGITAL)

    def test_0_when_the_sysadmin_is_a_consultant_whose_firm_is_no_longer_coupled(self, world):
        lonely = factories.SubscriptionFactory()
        other = world.other_firm_consultant
        factories.CouplingFactory(
            firm=other.firm, subscription=lonely, status=Coupling.Status.ENDED
        )
        Membership.objects.create(
            subscription=lonely, user=other.user, consultant=other, is_sysadmin=True
        )
        assert manual_coupling_fee_decide(firm=world.firm, subscription=lonely).fee == 0
        Coupling.objects.filter(subscription=lonely).update(status=Coupling.Status.ACTIVE)
        assert manual_coupling_fee_decide(firm=world.firm, subscription=lonely).fee == 600

    def test_0_when_the_subscription_is_not_active(self, world):
        Subscription.objects.filter(pk=world.subscription.pk).update(
            status=Subscription.Status.PENDING
        )
        world.subscription.refresh_from_db()
        decision = manual_coupling_fee_decide(firm=world.firm, subscription=world.subscription)
        assert (decision.fee, decision.reason) == (
            Decimal("0.00"),
            "Kunde inte göras digitalt: abonnemanget är inte aktivt.",
        )

    def test_a_pending_request_is_the_digital_route_so_it_costs_600(self, world):
        factories.CollaborationRequestFactory(
            firm=world.firm,
            subscription=world.subscription,
            responsible_consultant=world.consultant,
        )
        decision = manual_coupling_fee_decide(firm=world.firm, subscription=world.subscription)
        assert decision.fee == MANUAL_COUPLING_FEE
        assert "byråns förfrågan väntar på svar" in decision.reason


class TestRegistrationInAdmin:
    def test_support_registers_a_form_and_sees_the_computed_fee(self, world, support_client):
        response = support_client.get(reverse(ADD_URL))
        assert response.status_code == 200
        assert "Organisationsnummer" in response.content.decode()

        org = world.subscription.client.org_number
        response = support_client.post(
            reverse(ADD_URL), add_form_data(world, org_number="16" + org.replace("-", ""))
        )
        assert response.status_code == 302, errors_of(response)
        manual = ManualCoupling.objects.get()
        assert manual.org_number == org
        assert manual.subscription == world.subscription
        assert manual.status == ManualCoupling.Status.REGISTERED
        assert (manual.computed_fee, manual.fee, manual.fee_reason) == (600, 600, DIGITAL)
        assert manual.fee_override_reason == ""
        assert manual.registered_by.full_name == "Stina Support"
        page = support_client.get(response["Location"]).content.decode()
        assert f"Beräknad avgift 600,00 kr. {DIGITAL}" in page

        page = support_client.get(change_url(manual)).content.decode()
        assert "600,00 kr" in page and DIGITAL in page
        assert 'name="_save"' in page  # still registered: editable

    def test_scanned_form_is_uploaded(self, world, support_client, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        scan = SimpleUploadedFile("blankett.pdf", b"%PDF-1.4 blankett", "application/pdf")
        response = support_client.post(reverse(ADD_URL), add_form_data(world, scanned_form=scan))
        assert response.status_code == 302, errors_of(response)
        stored = ManualCoupling.objects.get().scanned_form
        assert stored.name.startswith("manual-couplings/")
        assert stored.read() == b"%PDF-1.4 blankett"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (
                "556036-0794",
                "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna.",
            ),
            ("5560", "Organisationsnumret ska ha 10 siffror, till exempel 556036-0793."),
            ("556036-0793", "Det finns ingen kund med organisationsnummer 556036-0793."),
        ],
    )
    def test_bad_or_unknown_org_number(self, world, support_client, value, message):
        response = support_client.post(reverse(ADD_URL), add_form_data(world, org_number=value))
        assert message in errors_of(response)
        assert not ManualCoupling.objects.exists()

    def test_client_without_subscription(self, world, support_client):
        client = factories.ClientFactory(name="Tomma AB")
        response = support_client.post(
            reverse(ADD_URL), add_form_data(world, org_number=client.org_number)
        )
        assert f"Tomma AB ({client.org_number}) har inget abonnemang hos oss." in errors_of(
            response
        )

    def test_several_subscriptions_need_the_number(self, world, support_client):
        second = factories.SubscriptionFactory(client=world.subscription.client)
        response = support_client.post(reverse(ADD_URL), add_form_data(world))
        assert (
            "Kunden har flera abonnemang – ange abonnemangsnummer "
            f"({world.subscription.number}, {second.number})."
        ) in errors_of(response)

        response = support_client.post(
            reverse(ADD_URL),
            add_form_data(world, subscription_number_given=world.other_subscription.number),
        )
        assert (
            f"Abonnemangsnumret {world.other_subscription.number} hör inte till "
            "Bageriet Solsidan AB."
        ) in errors_of(response)

        response = support_client.post(
            reverse(ADD_URL), add_form_data(world, subscription_number_given=second.number)
        )
        assert response.status_code == 302
        assert ManualCoupling.objects.get().subscription == second

    def test_responsible_consultant_must_belong_to_the_firm(self, world, support_client):
        response = support_client.post(
            reverse(ADD_URL),
            add_form_data(world, responsible_consultant=world.other_firm_consultant.pk),
        )
        assert (
            "Ansvarig konsult hör inte till byrån: Olle Annanbyrå är konsult på Siffror Syd AB. "
            "Välj en aktiv konsult på Revisorerna Norr AB."
        ) in errors_of(response)
        assert not ManualCoupling.objects.exists()

    def test_responsible_consultant_must_be_active(self, world, support_client):
        world.consultant.is_active = False
        world.consultant.save(update_fields=["is_active"])
        response = support_client.post(reverse(ADD_URL), add_form_data(world))
        assert "Ansvarig konsult är inte längre aktiv på byrån." in errors_of(response)

    def test_firm_already_coupled(self, world, support_client):
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        response = support_client.post(reverse(ADD_URL), add_form_data(world))
        assert (
            f"Byrån är redan sammankopplad med abonnemanget {world.subscription.number} "
            "(Bageriet Solsidan AB)."
        ) in errors_of(response)
        assert not ManualCoupling.objects.exists()

    def test_firm_whose_coupling_awaits_the_customer_is_already_coupled(
        self, world, support_client
    ):
        # A live coupling (Coupling.objects.live()), as the database
        # constraint counts it: the customer has still to accept the terms.
        factories.CouplingFactory(
            firm=world.firm,
            subscription=world.subscription,
            status=Coupling.Status.AWAITING_CUSTOMER,
            activated_at=None,
        )
        response = support_client.post(reverse(ADD_URL), add_form_data(world))
        assert (
            f"Byrån är redan sammankopplad med abonnemanget {world.subscription.number} "
            "(Bageriet Solsidan AB)."
        ) in errors_of(response)
        assert not ManualCoupling.objects.exists()

    def test_the_same_form_is_not_registered_twice(self, world, support, support_client):
        first = register(world, support)
        response = support_client.post(reverse(ADD_URL), add_form_data(world))
        assert (
            f"Blanketten är redan registrerad: manuell koppling #{first.pk} för samma byrå "
            "och abonnemang väntar på att genomföras."
        ) in errors_of(response)
        assert ManualCoupling.objects.count() == 1

    def test_override_needs_a_reason(self, world, support_client):
        response = support_client.post(reverse(ADD_URL), add_form_data(world, fee="0"))
        assert "Motivera varför avgiften avviker från den beräknade (600,00 kr)." in errors_of(
            response
        )
        assert not ManualCoupling.objects.exists()

    def test_override_with_a_reason_is_saved_and_logged(self, world, support, support_client):
        response = support_client.post(
            reverse(ADD_URL),
            add_form_data(
                world, fee="0", fee_override_reason="Kunden ringde, sysadmin var sjukskriven."
            ),
        )
        assert response.status_code == 302, errors_of(response)
        manual = ManualCoupling.objects.get()
        assert (manual.computed_fee, manual.fee) == (600, 0)
        assert manual.fee_override_reason == "Kunden ringde, sysadmin var sjukskriven."
        assert manual.fee_overridden_by == support
        entry = LogEntry.objects.get(object_id=str(manual.pk), action_flag=CHANGE)
        assert entry.user == support
        assert entry.get_change_message() == (
            "Avgiften ändrad från beräknade 600,00 kr till 0,00 kr: "
            "Kunden ringde, sysadmin var sjukskriven."
        )
        assert "0,00 kr (ändrad)" in support_client.get(reverse(CHANGELIST_URL)).content.decode()

        # The override also reaches the ledger when the coupling is performed.
        manual_coupling_perform(manual_id=manual.pk, actor=support)
        event = AccessEvent.objects.get(kind=Kind.MANUAL_COUPLING)
        assert event.before == {"computed_fee": "600.00"}
        assert event.after == {**(event.after or {}), "fee": "0.00"}
        assert "Avgiften ändrad från beräknade 600,00 kr till 0,00 kr" in event.detail
        assert not FirmCharge.objects.exists()

    def test_override_can_be_added_later_in_the_change_form(self, world, support, support_client):
        manual = register(world, support)
        data = add_form_data(world, fee="300", fee_override_reason="Halva priset enligt avtal.")
        response = support_client.post(change_url(manual), data)
        assert response.status_code == 302, errors_of(response)
        manual.refresh_from_db()
        assert (manual.fee, manual.fee_overridden_by) == (300, support)
        assert LogEntry.objects.filter(
            object_id=str(manual.pk), change_message__startswith="Avgiften ändrad"
        ).exists()

        # Saving again without touching the fee keeps the override, logs nothing new.
        response = support_client.post(
            change_url(manual), {**data, "comment": "Inskannad blankett saknas."}
        )
        assert response.status_code == 302, errors_of(response)
        manual.refresh_from_db()
        assert (manual.fee, manual.comment) == (300, "Inskannad blankett saknas.")
        assert (
            LogEntry.objects.filter(
                object_id=str(manual.pk), change_message__startswith="Avgiften ändrad"
            ).count()
            == 1
        )

    def test_list_search_and_filters(self, world, support, support_client):
        manual = register(world, support)
        url = reverse(CHANGELIST_URL)
        # Its row links to its change page ("#1" alone also matches "&#10006;").
        row = reverse("admin:collaboration_manualcoupling_change", args=[manual.pk])
        for term in (
            world.subscription.client.org_number,
            str(world.subscription.number),
            "Revisorerna",
            world.consultant.user.email,
        ):
            page = support_client.get(url, {"q": term}).content.decode()
            assert row in page, term
        assert row not in support_client.get(url, {"q": "Siffror"}).content.decode()
        page = support_client.get(url, {"status__exact": "performed"}).content.decode()
        assert row not in page
        # Links to the firm and the subscription.
        page = support_client.get(url).content.decode()
        assert reverse("admin:firm_portal_firm_change", args=[world.firm.pk]) in page
        assert reverse("admin:clients_subscription_change", args=[world.subscription.pk]) in page

    def test_list_query_count_does_not_grow(
        self, world, support, support_client, django_assert_max_num_queries
    ):
        for _ in range(3):
            subscription = factories.SubscriptionFactory()
            register(
                world,
                support,
                org_number=subscription.client.org_number,
                responsible=factories.ConsultantFactory(firm=world.firm),
            )
        with django_assert_max_num_queries(12) as few:
            support_client.get(reverse(CHANGELIST_URL))
        for _ in range(20):
            subscription = factories.SubscriptionFactory()
            register(world, support, org_number=subscription.client.org_number)
        with django_assert_max_num_queries(len(few.captured_queries)):
            support_client.get(reverse(CHANGELIST_URL))


def perform(manual, actor):  # type: ignore[no-untyped-def]
    return manual_coupling_perform(manual_id=manual.pk, actor=actor)


class TestPerform:
    def test_performing_couples_adds_member_emails_logs_and_charges(
        self, world, support, django_capture_on_commit_callbacks
    ):
        manual = register(world, support)
        with django_capture_on_commit_callbacks(execute=True):
            result = perform(manual, support)

        assert result.outcome == PerformOutcome.PERFORMED
        assert result.message == (
            f"Manuell koppling #{manual.pk} genomförd: Revisorerna Norr AB är sammankopplad "
            f"med Bageriet Solsidan AB (abonnemang {world.subscription.number}). "
            "Avgiften 600,00 kr läggs på byråns nästa faktura."
        )
        coupling = Coupling.objects.get()
        assert (coupling.firm, coupling.subscription) == (world.firm, world.subscription)
        assert coupling.status == Coupling.Status.ACTIVE
        assert coupling.starts_on == today_in_stockholm()
        assert coupling.activated_at is not None
        assert coupling.responsible_consultant == world.consultant
        assert coupling.request is None

        manual.refresh_from_db()
        assert manual.status == ManualCoupling.Status.PERFORMED
        assert (manual.coupling, manual.performed_by) == (coupling, support)

        membership = Membership.objects.get(
            subscription=world.subscription, user=world.consultant.user
        )
        assert membership.consultant == world.consultant
        assert not membership.is_sysadmin
        assert ClientAssignment.objects.filter(
            consultant=world.consultant, subscription=world.subscription
        ).exists()

        charge = FirmCharge.objects.get()
        assert (charge.firm, charge.amount, charge.source) == (
            world.firm,
            Decimal("600.00"),
            FirmCharge.Source.MANUAL_COUPLING,
        )
        assert charge.manual_coupling_id == manual.pk
        assert charge.invoiced_at is None
        assert charge.description == (
            f"Manuell koppling: Bageriet Solsidan AB (abonnemang {world.subscription.number})"
        )

        events = list(
            AccessEvent.objects.order_by("pk").values_list("kind", "actor_id", "subject_id")
        )
        assert events == [
            (Kind.MEMBER_ADDED, support.pk, world.consultant.user_id),
            (Kind.MANUAL_COUPLING, support.pk, world.consultant.user_id),
        ]
        event = AccessEvent.objects.get(kind=Kind.MANUAL_COUPLING)
        assert (event.firm_id, event.subscription_id) == (world.firm.pk, world.subscription.pk)
        assert event.after == {
            "manual_coupling": manual.pk,
            "coupling": "active",
            "starts_on": today_in_stockholm().isoformat(),
            "form_received_on": today_in_stockholm().isoformat(),
            "fee": "600.00",
        }
        assert DIGITAL in event.detail

        # The firm (responsible consultant and firm admin) and the client's sysadmin.
        recipients = sorted(message.to[0] for message in mail.outbox)
        assert recipients == sorted(
            [world.consultant.user.email, world.firm_admin.user.email, world.sysadmin.email]
        )
        by_recipient = {message.to[0]: message for message in mail.outbox}
        to_firm = by_recipient[world.consultant.user.email]
        assert to_firm.subject == "Revisorerna Norr AB är nu sammankopplad med Bageriet Solsidan AB"
        assert "600,00 kr exklusive moms, läggs på er nästa faktura" in to_firm.body
        to_sysadmin = by_recipient[world.sysadmin.email]
        assert "Vår support har på blankett kopplat samman" in to_sysadmin.body
        assert "600" not in to_sysadmin.body.replace(str(world.subscription.number), "")
        assert OutboxMessage.objects.filter(template="manual-coupling").count() == 3

    def test_existing_membership_is_kept_and_no_member_event(self, world, support):
        Membership.objects.create(
            subscription=world.subscription, user=world.consultant.user, consultant=world.consultant
        )
        perform(register(world, support), support)
        assert Membership.objects.filter(user=world.consultant.user).count() == 1
        assert list(AccessEvent.objects.values_list("kind", flat=True)) == [Kind.MANUAL_COUPLING]

    def test_free_coupling_charges_nothing(
        self, world, support, django_capture_on_commit_callbacks
    ):
        lonely = factories.SubscriptionFactory(client__name="Utan Admin AB")
        manual = register(world, support, org_number=lonely.client.org_number)
        assert (manual.fee, manual.fee_reason) == (0, NOT_DIGITAL)
        with django_capture_on_commit_callbacks(execute=True):
            result = perform(manual, support)
        assert result.outcome == PerformOutcome.PERFORMED
        assert result.message.endswith(
            "Kopplingen är kostnadsfri. Erik Konsult är systemadministratör enligt blanketten."
        )
        assert Coupling.objects.filter(subscription=lonely).exists()
        assert not FirmCharge.objects.exists()
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [world.consultant.user.email, world.firm_admin.user.email]
        )
        assert all("Den manuella kopplingen är kostnadsfri." in m.body for m in mail.outbox)

    def test_twice_performs_once_and_charges_once(self, world, support):
        manual = register(world, support)
        first = perform(manual, support)
        second = perform(manual, support)
        assert first.outcome == PerformOutcome.PERFORMED
        assert second.outcome == PerformOutcome.ALREADY_PERFORMED
        assert second.message.startswith(f"Manuell koppling #{manual.pk} är redan genomförd (")
        assert second.message.endswith("av Stina Support).")
        assert Coupling.objects.count() == 1
        assert FirmCharge.objects.count() == 1
        assert AccessEvent.objects.filter(kind=Kind.MANUAL_COUPLING).count() == 1
        assert OutboxMessage.objects.filter(template="manual-coupling").count() == 3

    def test_firm_coupled_meanwhile_is_refused_and_closed(self, world, support):
        manual = register(world, support)
        factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        result = perform(manual, support)
        assert result.outcome == PerformOutcome.REFUSED
        assert result.message == (
            f"Manuell koppling #{manual.pk} genomfördes inte: Byrån är redan sammankopplad "
            f"med abonnemanget {world.subscription.number} (Bageriet Solsidan AB)."
        )
        manual.refresh_from_db()
        assert manual.status == ManualCoupling.Status.REFUSED
        assert manual.refused_by == support
        assert Coupling.objects.count() == 1
        assert not FirmCharge.objects.exists()
        assert not AccessEvent.objects.filter(kind=Kind.MANUAL_COUPLING).exists()
        assert perform(manual, support).outcome == PerformOutcome.REFUSED

    def test_inactive_consultant_is_refused_but_stays_open(self, world, support):
        manual = register(world, support)
        world.consultant.is_active = False
        world.consultant.save(update_fields=["is_active"])
        result = perform(manual, support)
        assert result.outcome == PerformOutcome.REFUSED
        assert "Byt ansvarig konsult och genomför kopplingen igen." in result.message
        manual.refresh_from_db()
        assert manual.status == ManualCoupling.Status.REGISTERED
        assert not Coupling.objects.exists()

    def test_ended_subscription_is_refused(self, world, support):
        manual = register(world, support)
        Subscription.objects.filter(pk=world.subscription.pk).update(
            status=Subscription.Status.ENDED
        )
        result = perform(manual, support)
        assert result.outcome == PerformOutcome.REFUSED
        assert f"Abonnemanget {world.subscription.number} är avslutat." in result.message
        assert not Coupling.objects.exists()

    def test_pending_request_from_the_firm_is_withdrawn(self, world, support):
        request = factories.CollaborationRequestFactory(
            firm=world.firm,
            subscription=world.subscription,
            responsible_consultant=world.consultant,
        )
        perform(register(world, support), support)
        request.refresh_from_db()
        assert request.status == CollaborationRequest.Status.WITHDRAWN
        assert request.decided_by == support
        event = AccessEvent.objects.get(kind=Kind.REQUEST_WITHDRAWN)
        assert event.detail == "Ersatt av en manuell koppling."

    def test_only_staff_with_the_permission_may_perform(self, world, support):
        manual = register(world, support)
        with pytest.raises(PermissionDenied):
            perform(manual, factories.UserFactory(is_staff=True))
        with pytest.raises(PermissionDenied):
            perform(manual, world.firm_admin.user)
        assert not Coupling.objects.exists()


class TestPerformAction:
    def post_action(self, client, *manuals):  # type: ignore[no-untyped-def]
        return client.post(
            reverse(CHANGELIST_URL),
            {"action": "perform", "_selected_action": [m.pk for m in manuals], "index": 0},
            follow=True,
        )

    def test_each_selected_row_gets_its_message(self, world, support, support_client):
        done = register(world, support)
        perform(done, support)
        other_sub = factories.SubscriptionFactory(client__name="Annat Bageri AB")
        fresh = register(world, support, org_number=other_sub.client.org_number)
        coupled_sub = factories.SubscriptionFactory(client__name="Redan Kopplad AB")
        blocked = register(world, support, org_number=coupled_sub.client.org_number)
        factories.CouplingFactory(firm=world.firm, subscription=coupled_sub)

        response = self.post_action(support_client, done, fresh, blocked)
        messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
        assert messages[0][0] == "warning"
        assert messages[0][1].startswith(f"Manuell koppling #{done.pk} är redan genomförd")
        assert messages[1] == (
            "success",
            f"Manuell koppling #{fresh.pk} genomförd: Revisorerna Norr AB är sammankopplad med "
            f"Annat Bageri AB (abonnemang {other_sub.number}). Kopplingen är kostnadsfri. "
            "Erik Konsult är systemadministratör enligt blanketten.",
        )
        assert messages[2] == (
            "error",
            f"Manuell koppling #{blocked.pk} genomfördes inte: Byrån är redan sammankopplad med "
            f"abonnemanget {coupled_sub.number} (Redan Kopplad AB).",
        )
        assert FirmCharge.objects.count() == 1
        assert LogEntry.objects.filter(object_id=str(fresh.pk), action_flag=CHANGE).exists()

    def test_double_submit_performs_once(self, world, support, support_client):
        manual = register(world, support)
        self.post_action(support_client, manual)
        response = self.post_action(support_client, manual)
        assert [m.level_tag for m in response.context["messages"]] == ["warning"]
        assert Coupling.objects.count() == 1
        assert FirmCharge.objects.count() == 1

    def test_from_the_change_form(self, world, support, support_client):
        manual = register(world, support)
        page = support_client.get(change_url(manual)).content.decode()
        assert "Genomför koppling" in page
        response = support_client.post(
            change_url(manual),
            {"CHANGE_FORM-action": "perform", "_selected_action": manual.pk},
            follow=True,
        )
        assert [m.level_tag for m in response.context["messages"]] == ["success"]
        manual.refresh_from_db()
        assert manual.status == ManualCoupling.Status.PERFORMED

    def test_performed_form_is_read_only_history(self, world, support, support_client):
        manual = register(world, support)
        perform(manual, support)
        page = support_client.get(change_url(manual)).content.decode()
        assert 'name="_save"' not in page
        assert 'name="org_number"' not in page
        coupling = Coupling.objects.get()
        assert reverse("admin:collaboration_coupling_change", args=[coupling.pk]) in page
        charge = FirmCharge.objects.get()
        assert reverse("admin:licensing_firmcharge_change", args=[charge.pk]) in page
        response = support_client.post(change_url(manual), add_form_data(world, fee="0"))
        assert response.status_code == 403
        manual.refresh_from_db()
        assert manual.fee == 600

    def test_staff_without_the_permission_has_no_action(self, world, support):
        manual = register(world, support)
        viewer = factories.UserFactory(is_staff=True)
        viewer.user_permissions.add(
            Permission.objects.get(codename="view_manualcoupling"),
            Permission.objects.get(codename="change_manualcoupling"),
        )
        client = Client()
        client.force_login(viewer)
        page = client.get(reverse(CHANGELIST_URL)).content.decode()
        assert "Genomför koppling" not in page
        self.post_action(client, manual)
        assert not Coupling.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_staff_performing_at_once_couple_and_charge_once(world, support_group):
    THREADS = 20
    staff = []
    for n in range(THREADS):
        user = factories.UserFactory(is_staff=True, full_name=f"Support {n}")
        user.groups.add(support_group)
        staff.append(user)
    manual = register(world, staff[0])
    barrier = threading.Barrier(THREADS)
    results = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(user):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            result = manual_coupling_perform(manual_id=manual.pk, actor=user)
            with lock:
                results.append(result.outcome)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == sorted(
        [PerformOutcome.PERFORMED] + [PerformOutcome.ALREADY_PERFORMED] * (THREADS - 1)
    )
    assert Coupling.objects.count() == 1
    assert FirmCharge.objects.count() == 1
    assert AccessEvent.objects.filter(kind=Kind.MANUAL_COUPLING).count() == 1
    assert Membership.objects.filter(user=world.consultant.user).count() == 1
    assert OutboxMessage.objects.filter(template="manual-coupling").count() == 3


class TestFirmChargeAdmin:
    def test_support_sees_pending_charges_read_only(self, world, support, support_client):
        manual = register(world, support)
        perform(manual, support)
        charge = FirmCharge.objects.get()
        url = reverse("admin:licensing_firmcharge_changelist")
        page = support_client.get(url, {"fakturerad": "nej"}).content.decode()
        assert "600,00 kr" in page and "Väntar på nästa faktura" in page
        page = support_client.get(url, {"fakturerad": "ja"}).content.decode()
        assert "Väntar på nästa faktura" not in page
        change = reverse("admin:licensing_firmcharge_change", args=[charge.pk])
        assert 'name="_save"' not in support_client.get(change).content.decode()
        assert support_client.post(change, {"amount": "1"}).status_code == 403
        assert support_client.get(reverse("admin:licensing_firmcharge_add")).status_code == 403
        delete = reverse("admin:licensing_firmcharge_delete", args=[charge.pk])
        assert support_client.post(delete, {"post": "yes"}).status_code == 403
        assert FirmCharge.objects.get().amount == 600


@pytest.fixture
def event(world) -> AccessEvent:  # type: ignore[no-untyped-def]
    return ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=world.sysadmin,
        firm=world.firm,
        subscription=world.subscription,
        subject=world.consultant.user,
        detail="Original",
    )


class TestAccessEventIsAppendOnly:
    @pytest.fixture
    def superuser_client(self) -> Client:
        client = Client()
        client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
        return client

    def test_admin_shows_but_never_changes_or_deletes(self, event, superuser_client):
        changelist = reverse("admin:ledger_accessevent_changelist")
        page = superuser_client.get(changelist, {"kind__exact": "member_added"}).content.decode()
        assert "Original" in page
        change = reverse("admin:ledger_accessevent_change", args=[event.pk])
        response = superuser_client.get(change)
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()
        assert superuser_client.post(change, {"detail": "Ändrad"}).status_code == 403
        delete = reverse("admin:ledger_accessevent_delete", args=[event.pk])
        assert superuser_client.get(delete).status_code == 403
        assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
        add = reverse("admin:ledger_accessevent_add")
        assert superuser_client.get(add).status_code == 403
        bulk = superuser_client.post(
            changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
        )
        assert bulk.status_code in (200, 302)
        assert AccessEvent.objects.get(pk=event.pk).detail == "Original"

    @pytest.mark.parametrize("term", ["email", "org", "number"])
    def test_admin_search(self, world, event, superuser_client, term):
        query = {
            "email": world.consultant.user.email,
            "org": world.subscription.client.org_number,
            "number": str(world.subscription.number),
        }[term]
        page = superuser_client.get(
            reverse("admin:ledger_accessevent_changelist"), {"q": query}
        ).content.decode()
        assert "Original" in page

    def test_orm_refuses_changes(self, event):
        event.detail = "Ändrad"
        with pytest.raises(PermissionError):
            event.save()
        with pytest.raises(PermissionError):
            event.delete()
        with pytest.raises(PermissionError):
            AccessEvent.objects.update(detail="Ändrad")
        with pytest.raises(PermissionError):
            AccessEvent.objects.filter(pk=event.pk).update(detail="Ändrad")
        with pytest.raises(PermissionError):
            AccessEvent.objects.all().delete()
        assert AccessEvent.objects.get(pk=event.pk).detail == "Original"

    def test_database_trigger_refuses_raw_sql(self, event):
        assert connection.vendor == "postgresql"
        for sql in (
            "UPDATE collaboration_accessevent SET detail = 'Ändrad' WHERE id = %s",
            "DELETE FROM collaboration_accessevent WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [event.pk])
        assert AccessEvent.objects.get(pk=event.pk).detail == "Original"


class TestSupportGroup:
    MODEL_APPS = ("firm_portal", "clients", "collaboration", "licensing", "notifications")
    # Apps whose models came from those above, with their permissions.
    MOVED_TO_APPS = ("ledger",)

    def test_migration_grants_view_on_every_model_and_manual_coupling_rights(self, db):
        # Built the way the migration builds it, on its historical models: a
        # model added by a later migration fails here until Support is given
        # (or knowingly denied) a view permission on it.
        # The latest migration before the models moved that runs the group's
        # rule (licensing 0007, collaboration 0009 and firm_portal 0006 run it
        # again for the models they add, collaboration 0010 for JoinOffer and
        # CustomerAcceptance); collaboration 0018 runs it once more, after the
        # moves, for notifications.Reminder (below).
        loader = MigrationExecutor(connection).loader
        state = loader.project_state(("collaboration", "0010_customer_acceptance"))
        Group.objects.filter(name="Support").delete()
        support_migration.support_group_ensure(state.apps, "default")
        group = Group.objects.get(name="Support")
        # Running it again changes nothing.
        count = group.permissions.count()
        support_migration.support_group_ensure(state.apps, "default")
        assert group.permissions.count() == count
        # Models that changed app since take their permissions along (the
        # content types the test database made for them at the new place first
        # did not exist when the migration ran).
        for migration, label in MODELS_MOVED:
            ContentType.objects.filter(app_label=label, model__in=migration.MOVED).delete()
            migration.content_types_forwards(state.apps, None)
        # Later migrations run the rule again, after the moves, for the models
        # they add (collaboration 0018 FirmChange, 0019 the access reviews,
        # 0020 the agreements, 0021 reminders; licensing 0012 the invoicing runs).
        later = MigrationExecutor(connection).loader.project_state(
            [
                ("licensing", "0012_support_views_invoicing_runs"),
                ("collaboration", "0021_request_expiry_handled"),
            ]
        )
        support_migration.support_group_ensure(later.apps, "default")
        granted = set(group.permissions.values_list("content_type__app_label", "codename"))
        views = {
            (label, f"view_{model._meta.model_name}")
            for label in self.MODEL_APPS + self.MOVED_TO_APPS
            for model in global_apps.get_app_config(label).get_models()
        }
        assert views - granted == set(), "models Support cannot view"
        assert granted == views | {
            ("collaboration", "add_manualcoupling"),
            ("collaboration", "change_manualcoupling"),
            ("collaboration", "perform_manualcoupling"),
        }

    def test_migration_depends_on_every_app_it_grants(self):
        graph = MigrationLoader(None, ignore_no_migrations=True).graph
        key = ("collaboration", "0006_support_group")
        depends_on = {label for label, _name in graph.node_map[key].parents}
        assert set(self.MODEL_APPS) | {"auth", "contenttypes"} <= depends_on | {"collaboration"}

    def test_support_staff_work_in_admin_but_cannot_touch_the_ledger(
        self, world, support, support_client, event
    ):
        assert not support.is_superuser
        for name in (
            "admin:collaboration_manualcoupling_changelist",
            "admin:collaboration_manualcoupling_add",
            "admin:licensing_firmcharge_changelist",
            "admin:ledger_accessevent_changelist",
            "admin:notifications_outboxmessage_changelist",
            "admin:collaboration_coupling_changelist",
            "admin:firm_portal_firm_changelist",
            "admin:firm_portal_consultant_changelist",
            "admin:clients_subscription_changelist",
        ):
            assert support_client.get(reverse(name)).status_code == 200, name
        change = reverse("admin:ledger_accessevent_change", args=[event.pk])
        response = support_client.get(change)
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()
        assert support_client.post(change, {"detail": "Ändrad"}).status_code == 403
        delete = reverse("admin:ledger_accessevent_delete", args=[event.pk])
        assert support_client.post(delete, {"post": "yes"}).status_code == 403
        # View only elsewhere: a coupling cannot be changed.
        coupling = factories.CouplingFactory(firm=world.firm, subscription=world.subscription)
        page = support_client.get(
            reverse("admin:collaboration_coupling_change", args=[coupling.pk])
        ).content.decode()
        assert 'name="_save"' not in page
