"""Flow 5, "Skapa nytt samarbete", service level: creating, accepting,
resending and cancelling, with what each writes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.catalogue import PLAN_PROGRAMS
from clients.models import (
    Client,
    ClientAssignment,
    Invitation,
    Membership,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from collaboration.models import Coupling, CustomerAcceptance
from collaboration.new_customer import selectors, services
from collaboration.new_customer.selectors import (
    PaymentChoice,
)
from collaboration.new_customer.services import AcceptanceError
from collaboration.requests.services import CollaborationError
from firm_portal.models import User
from firm_portal.timeutils import today_in_stockholm
from ledger.models import AccessEvent
from licensing.models import LicenseChange, Recipient, SubscriptionBilling
from licensing.pricing import add_months
from notifications.models import OutboxMessage
from notifications.sms import locmem
from tests import factories
from tests.collaboration.new_customer_helpers import (
    ORG,
    create,
    make_order,
    reseller_agreement,
    token_of,
    welcome,
)

pytestmark = pytest.mark.django_db


class TestOffersAndCost:
    def test_offers_every_plan_with_its_included_programs(self, world, prices):
        offers = selectors.plan_offers(firm_id=world.firm.pk)
        assert list(offers.plans) == ["faktura", "start", "smart", "pro"]
        assert offers.reseller is False
        smart = offers.plan("smart")
        assert (smart.list_price, smart.reseller_price) == (Decimal("300.00"), Decimal("240.00"))
        assert [item.program.code for item in smart.programs] == list(PLAN_PROGRAMS["smart"])
        assert len(offers.plan("pro").programs) == 8

    def test_reseller_flag_follows_the_agreement(self, world, prices):
        reseller_agreement(world.firm)
        assert selectors.plan_offers(firm_id=world.firm.pk).reseller is True

    def test_plan_without_price_today_is_not_offered(self, world, prices):
        from licensing.models import PlanPrice

        PlanPrice.objects.filter(plan="faktura").delete()
        assert "faktura" not in selectors.plan_offers(firm_id=world.firm.pk).plans

    def test_offers_cost_five_queries(self, world, prices, django_assert_num_queries):
        with django_assert_num_queries(5):
            selectors.plan_offers(firm_id=world.firm.pk)

    @pytest.mark.parametrize(
        ("consolidated", "months", "monthly", "period"),
        [
            (False, 12, "680.00", "8160.00"),
            (False, 3, "680.00", "2040.00"),
            (True, 12, "544.00", "6528.00"),
        ],
    )
    def test_cost_list_or_reseller_prices(
        self, world, prices, consolidated, months, monthly, period
    ):
        offers = selectors.plan_offers(firm_id=world.firm.pk)
        order = make_order(
            payment=PaymentChoice(Recipient.FIRM, consolidated=consolidated, period_months=months)
        )
        cost = selectors.new_customer_cost(
            offers=offers, plan=order.plan, licenses=order.licenses, payment=order.payment
        )
        assert cost.monthly == Decimal(monthly)
        assert cost.period_total == Decimal(period)
        assert [(line.description, line.quantity, line.role) for line in cost.lines] == [
            ("Smart, grundavgift", 1, ""),
            ("Bokföring, licenser", 2, "Administratör"),
            ("Fakturering, licenser", 1, "Rapportör"),
        ]


class TestCreate:
    def test_writes_everything_in_one_go(self, world, prices):
        subscription = create(world)
        client = Client.objects.get(org_number=ORG)
        assert subscription.client == client
        assert client.name == "Nya Kunden AB"
        assert subscription.status == Subscription.Status.PENDING
        assert subscription.plan == "smart"
        assert dict(
            SubscriptionLicense.objects.filter(subscription=subscription).values_list(
                "program__code", "seats"
            )
        ) == {"bokforing": 2, "fakturering": 1}
        assert sorted(
            LicenseChange.objects.filter(subscription=subscription).values_list(
                "program__code", "delta", "seats_after", "actor"
            )
        ) == [
            ("bokforing", 2, 2, world.consultant.user_id),
            ("fakturering", 1, 1, world.consultant.user_id),
        ]
        billing = SubscriptionBilling.objects.get(subscription=subscription)
        assert (billing.recipient, billing.firm, billing.consolidated) == ("client", None, False)
        assert (billing.period_months, billing.starts_on) == (12, today_in_stockholm())
        assert (billing.street, billing.postal_code, billing.city, billing.invoice_email) == (
            "Storgatan 1",
            "903 26",
            "Umeå",
            "faktura@nyakunden.se",
        )
        coupling = Coupling.objects.get(subscription=subscription)
        assert coupling.firm == world.firm
        assert coupling.status == Coupling.Status.AWAITING_CUSTOMER
        assert coupling.responsible_consultant == world.consultant
        assert coupling.activated_at is None
        assert ClientAssignment.objects.filter(
            consultant=world.consultant, subscription=subscription
        ).exists()

        contact = User.objects.get(email="karin@nyakunden.se")
        # What the firm typed waits on the acceptance until she accepts.
        assert (contact.full_name, contact.personal_number) == ("", "")
        assert contact.is_active is False
        assert contact.has_usable_password() is False
        # Asked, not added: the contact becomes sysadmin on accepting.
        assert not Membership.objects.filter(subscription=subscription).exists()
        acceptance = CustomerAcceptance.objects.get(coupling=coupling)
        assert (acceptance.contact_name, acceptance.contact_personal_number) == (
            "Karin Kontakt",
            "198112289874",
        )
        assert (acceptance.contact, acceptance.created_contact, acceptance.created_by) == (
            contact,
            True,
            world.consultant.user,
        )
        assert acceptance.levels == {"bokforing": "admin", "fakturering": "reporter"}
        assert acceptance.accepted_at is None
        assert not Invitation.objects.filter(user=contact).exists()

        kinds = sorted(
            AccessEvent.objects.filter(subscription_id=subscription.pk).values_list(
                "kind", flat=True
            )
        )
        assert kinds == sorted(["licenses_changed", "licenses_changed", "collaboration_created"])
        created = AccessEvent.objects.get(kind="collaboration_created")
        assert (created.actor_id, created.subject_id) == (world.consultant.user_id, None)
        assert created.after == {
            "plan": "smart",
            "licenses": {"bokforing": 2, "fakturering": 1},
            "recipient": "client",
            "consolidated": False,
            "period_months": 12,
        }

        message = welcome()
        assert OutboxMessage.objects.count() == 1  # no mobile: no SMS
        assert (
            message.subject == "Välkommen till Byråportalen – godkänn villkoren för Nya Kunden AB"
        )
        assert "Erik Konsult på Revisorerna Norr AB har skapat ett abonnemang" in message.body_text
        assert "Variant: Smart" in message.body_text
        assert "- Bokföring: 2 (din behörighet: Administratör)" in message.body_text
        assert "Fakturamottagare: Nya Kunden AB" in message.body_text
        assert "Avtalsperiod: 12 månader" in message.body_text
        assert "godkänn villkoren och välj ett lösenord" in message.body_text
        assert "/samarbeten/godkann/" in message.body_html

    def test_sms_when_a_mobile_is_given(self, world, prices, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            create(world, customer={"contact_mobile": "+46701234567"})
        sms = OutboxMessage.objects.get(channel="sms")
        assert sms.recipient == "+46701234567"
        # A heads-up only: the link goes by e-mail, to the address it proves.
        assert sms.body_text == (
            "Byråportalen: Erik Konsult på Revisorerna Norr AB har skapat ett abonnemang för "
            "Nya Kunden AB. Öppna e-posten från Byråportalen för att komma igång."
        )
        assert [message.to for message in locmem.outbox] == ["+46701234567"]

    def test_firm_pays_with_consolidated_invoice(self, world, prices):
        reseller_agreement(world.firm)
        subscription = create(
            world, payment=PaymentChoice(Recipient.FIRM, consolidated=True, period_months=3)
        )
        billing = SubscriptionBilling.objects.get(subscription=subscription)
        assert (billing.recipient, billing.firm, billing.consolidated) == ("firm", world.firm, True)
        assert billing.renews_on == add_months(today_in_stockholm(), 3)
        assert "Fakturamottagare: Revisorerna Norr AB" in welcome().body_text

    def test_consolidated_without_agreement_is_refused_and_nothing_written(self, world, prices):
        with pytest.raises(ValidationError) as error:
            create(
                world, payment=PaymentChoice(Recipient.FIRM, consolidated=True, period_months=12)
            )
        assert error.value.message_dict["consolidated"] == [
            "Revisorerna Norr AB har inget aktivt återförsäljaravtal. Samlingsfaktura kräver ett "
            "återförsäljaravtal; välj en vanlig faktura eller kontakta oss för att teckna avtal."
        ]
        assert not Client.objects.filter(org_number=ORG).exists()
        assert not OutboxMessage.objects.exists()

    def test_org_number_with_a_subscription_is_refused(self, world, prices):
        org = world.subscription.client.org_number
        with pytest.raises(CollaborationError) as error:
            create(world, customer={"org_number": org})
        assert error.value.code == "has_subscription"
        assert error.value.message == (
            f"{org} har redan ett abonnemang hos oss. Samarbetet skapades inte; "
            "använd Ny klient för att skicka en förfrågan."
        )
        assert Subscription.objects.filter(client__org_number=org).count() == 1
        assert not User.objects.filter(email="karin@nyakunden.se").exists()

    def test_second_create_for_same_org_number_creates_nothing_more(self, world, prices):
        create(world)
        counts = (
            Subscription.objects.count(),
            Coupling.objects.count(),
            OutboxMessage.objects.count(),
        )
        with pytest.raises(CollaborationError):
            create(world)
        assert counts == (
            Subscription.objects.count(),
            Coupling.objects.count(),
            OutboxMessage.objects.count(),
        )

    def test_client_with_only_ended_subscriptions_gets_a_new_one(self, world, prices):
        old = factories.SubscriptionFactory(
            client__org_number=ORG, client__name="Gamla Namnet AB", status=Subscription.Status.ENDED
        )
        subscription = create(world)
        assert subscription.client_id == old.client_id
        assert subscription.number != old.number

    def test_without_seat_is_refused(self, world, prices):
        with pytest.raises(PermissionDenied):
            services.new_customer_create(consultant=world.no_seat_consultant, order=make_order())
        assert not Client.objects.filter(org_number=ORG).exists()

    def test_existing_account_is_asked_untouched(self, world, prices):
        before = User.objects.filter(pk=world.client_user.pk).values().get()
        subscription = create(
            world,
            customer={
                "contact_email": world.client_user.email.upper(),
                "contact_mobile": "+46701112233",
            },
        )
        assert User.objects.filter(pk=world.client_user.pk).values().get() == before
        assert not Membership.objects.filter(subscription=subscription).exists()
        acceptance = CustomerAcceptance.objects.get(coupling__subscription=subscription)
        assert (acceptance.contact, acceptance.created_contact) == (world.client_user, False)
        assert "logga in med ditt vanliga lösenord" in welcome(world.client_user.email).body_text
        assert not OutboxMessage.objects.filter(recipient="+46701112233").exists()

    def test_closed_account_is_asked_like_any_other(self, world, prices):
        world.client_user.is_active = False
        world.client_user.save(update_fields=["is_active"])
        subscription = create(world, customer={"contact_email": world.client_user.email})
        assert Subscription.objects.get(pk=subscription.pk).status == "pending"
        world.client_user.refresh_from_db()
        assert world.client_user.is_active is False
        with pytest.raises(PermissionDenied):
            services.new_customer_accept(
                token=token_of(welcome(world.client_user.email)), user=None, password="S3kret!"
            )

    def test_one_contact_asked_by_two_collaborations(self, world, prices):
        first = create(world)
        second = create(world, customer={"org_number": "556141-7071", "name": "Andra AB"})
        tokens = [token_of(m) for m in OutboxMessage.objects.order_by("pk")]
        assert len(tokens) == 2
        services.new_customer_accept(token=tokens[0], user=None, password="S3kret-lösen!")
        karin = User.objects.get(email="karin@nyakunden.se")
        assert Subscription.objects.get(pk=first.pk).status == "active"
        # The second now needs Karin logged in: her account has a password.
        with pytest.raises(PermissionDenied):
            services.new_customer_accept(token=tokens[1], user=None, password="Annat-9!")
        services.new_customer_accept(token=tokens[1], user=karin, password=None)
        assert Subscription.objects.get(pk=second.pk).status == "active"
        karin.refresh_from_db()
        assert karin.check_password("S3kret-lösen!")


class TestExistingCustomer:
    def test_new_org_number_is_new(self, world, prices):
        assert selectors.existing_customer(consultant=world.consultant, org_number=ORG) is None

    def test_customer_with_subscription_goes_to_ny_klient(self, world):
        found = selectors.existing_customer(
            consultant=world.consultant, org_number=world.subscription.client.org_number
        )
        assert found is not None and found.can_request
        assert found.subscription == world.subscription
        assert found.message == (
            "Bageriet Solsidan AB har redan ett abonnemang hos oss. Ni samarbetar då i kundens "
            "nuvarande variant, kunden är fortsatt fakturamottagare och ingen avgift tillkommer "
            "förrän avtalet förnyas. Kunden godkänner samarbetet på samma sätt som vid Ny klient."
        )

    def test_waiting_customer_of_our_firm(self, world, prices):
        create(world)
        found = selectors.existing_customer(consultant=world.consultant, org_number=ORG)
        assert found is not None and not found.can_request
        assert found.message.startswith(
            "Er byrå har redan skapat ett samarbete med Nya Kunden AB som väntar på kundens "
            "godkännande."
        )

    def test_waiting_customer_of_another_firm(self, world, prices):
        create(world)
        found = selectors.existing_customer(consultant=world.other_firm_consultant, org_number=ORG)
        assert found is not None and not found.can_request
        assert found.message.startswith(
            "Nya Kunden AB har redan ett nytt abonnemang som väntar på kundens godkännande."
        )


class TestAccept:
    def test_accepting_activates_everything(self, world, prices):
        subscription = create(world)
        token = token_of(welcome())
        accepted = services.new_customer_accept(token=token, user=None, password="S3kret-lösen!")
        assert accepted == subscription
        subscription.refresh_from_db()
        assert subscription.status == Subscription.Status.ACTIVE
        contact = User.objects.get(email="karin@nyakunden.se")
        assert contact.is_active and contact.check_password("S3kret-lösen!")
        coupling = Coupling.objects.get(subscription=subscription)
        assert coupling.status == Coupling.Status.ACTIVE
        assert coupling.activated_at is not None
        today = today_in_stockholm()
        billing = SubscriptionBilling.objects.get(subscription=subscription)
        assert (billing.starts_on, billing.renews_on) == (today, add_months(today, 12))
        assert CustomerAcceptance.objects.get(contact=contact).accepted_at is not None
        membership = Membership.objects.get(subscription=subscription, user=contact)
        assert (membership.is_sysadmin, membership.consultant) == (True, None)
        assert dict(
            ProgramLevel.objects.filter(membership=membership).values_list("program__code", "level")
        ) == {"bokforing": "admin", "fakturering": "reporter"}
        joined = AccessEvent.objects.get(kind="member_added", subject_id=contact.pk)
        assert (joined.actor_id, joined.firm_id, joined.after) == (
            contact.pk,
            world.firm.pk,
            {"sysadmin": True, "levels": {"bokforing": "admin", "fakturering": "reporter"}},
        )
        # Like an approved request: the responsible consultant is now a member.
        assert Membership.objects.filter(
            subscription=subscription, user=world.consultant.user, consultant=world.consultant
        ).exists()
        event = AccessEvent.objects.get(kind="collaboration_accepted")
        assert (event.actor_id, event.firm_id, event.subscription_id) == (
            contact.pk,
            world.firm.pk,
            subscription.pk,
        )
        told = OutboxMessage.objects.get(template="new-customer-accepted")
        assert told.recipient == world.consultant.user.email
        assert told.subject == "Nya Kunden AB har godkänt villkoren – samarbetet är aktivt"
        assert "Karin Kontakt har godkänt villkoren för Nya Kunden AB" in told.body_text

    def test_second_acceptance_changes_nothing(self, world, prices):
        create(world)
        token = token_of(welcome())
        services.new_customer_accept(token=token, user=None, password="S3kret-lösen!")
        events = AccessEvent.objects.count()
        with pytest.raises(AcceptanceError) as error:
            services.new_customer_accept(token=token, user=None, password="Annat-lösen-9")
        assert error.value.problem == "used"
        assert AccessEvent.objects.count() == events
        assert OutboxMessage.objects.filter(template="new-customer-accepted").count() == 1
        assert User.objects.get(email="karin@nyakunden.se").check_password("S3kret-lösen!")

    def test_expired_link(self, world, prices):
        create(world)
        token = token_of(welcome())
        CustomerAcceptance.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert selectors.acceptance_check(token=token).problem == "expired"
        with pytest.raises(AcceptanceError) as error:
            services.new_customer_accept(token=token, user=None, password="S3kret-lösen!")
        assert error.value.problem == "expired"
        assert Subscription.objects.get(client__org_number=ORG).status == "pending"

    def test_tampered_or_plain_invitation_token_is_invalid(self, world, prices):
        from django.core import signing

        from clients.invitations.services import invitation_create, invitation_url

        create(world)
        token = token_of(welcome())
        assert selectors.acceptance_check(token=token[:-2] + "xx").problem == "invalid"
        invitation = invitation_create(user=world.client_user, invited_by=world.firm_admin.user)
        plain = invitation_url(invitation).rstrip("/").rsplit("/", 1)[1]
        assert selectors.acceptance_check(token=plain).problem == "invalid"
        # A link of the kind sent before acceptances had rows of their own.
        acceptance = CustomerAcceptance.objects.get()
        old = signing.dumps(
            {"i": acceptance.pk, "n": acceptance.nonce}, salt="collaboration.new_customer"
        )
        assert selectors.acceptance_check(token=old).problem == "invalid"

    def test_existing_account_must_be_logged_in_as_itself(self, world, prices):
        subscription = create(world, customer={"contact_email": world.client_user.email})
        token = token_of(welcome(world.client_user.email))
        with pytest.raises(PermissionDenied):
            services.new_customer_accept(token=token, user=world.sysadmin, password=None)
        assert Subscription.objects.get(pk=subscription.pk).status == "pending"
        services.new_customer_accept(token=token, user=world.client_user, password=None)
        assert Subscription.objects.get(pk=subscription.pk).status == "active"


class TestResendAndCancel:
    def coupling(self) -> Coupling:
        return Coupling.objects.get(subscription__client__org_number=ORG)

    def test_resend_voids_the_old_link(self, world, prices):
        create(world)
        old = token_of(welcome())
        services.new_customer_resend(consultant=world.firm_admin, coupling=self.coupling())
        reminder = welcome()
        assert reminder.subject == "Påminnelse: godkänn villkoren för Nya Kunden AB i Byråportalen"
        assert selectors.acceptance_check(token=old).problem == "used"
        assert selectors.acceptance_check(token=token_of(reminder)).problem == ""
        assert CustomerAcceptance.objects.count() == 1
        assert not Invitation.objects.exists()

    def test_cancel_ends_everything(self, world, prices):
        subscription = create(world)
        token = token_of(welcome())
        services.new_customer_cancel(consultant=world.firm_admin, coupling=self.coupling())
        coupling = self.coupling()
        assert coupling.status == Coupling.Status.ENDED and coupling.ended_at is not None
        assert Subscription.objects.get(pk=subscription.pk).status == Subscription.Status.ENDED
        assert User.objects.get(email="karin@nyakunden.se").is_active is False
        event = AccessEvent.objects.get(kind="collaboration_cancelled")
        assert (event.actor_id, event.firm_id) == (world.firm_admin.user.pk, world.firm.pk)
        assert selectors.acceptance_check(token=token).problem == "cancelled"
        with pytest.raises(CollaborationError):
            services.new_customer_resend(consultant=world.firm_admin, coupling=coupling)
        with pytest.raises(CollaborationError):
            services.new_customer_cancel(consultant=world.firm_admin, coupling=coupling)
        # The organisationsnummer is free again for a new collaboration.
        create(world)
        assert Subscription.objects.filter(client__org_number=ORG, status="pending").count() == 1

    def test_cancel_keeps_an_existing_account_active(self, world, prices):
        create(world, customer={"contact_email": world.client_user.email})
        services.new_customer_cancel(consultant=world.consultant, coupling=self.coupling())
        world.client_user.refresh_from_db()
        assert world.client_user.is_active is True

    def test_accepted_collaboration_cannot_be_cancelled(self, world, prices):
        create(world)
        services.new_customer_accept(token=token_of(welcome()), user=None, password="S3kret-lösen!")
        with pytest.raises(CollaborationError) as error:
            services.new_customer_cancel(consultant=world.consultant, coupling=self.coupling())
        assert error.value.message == "Samarbetet väntar inte längre på kundens godkännande."
        assert self.coupling().status == Coupling.Status.ACTIVE
