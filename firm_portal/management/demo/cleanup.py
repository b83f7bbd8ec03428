"""`seed_demo --reset`: remove everything the seed created (and whatever
hangs on it), billing first, then couplings and requests, then people."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from clients.models import Client, ClientAssignment, Invitation, JoinOffer, Membership, Subscription
from collaboration.models import CollaborationRequest, Coupling, CustomerAcceptance, ManualCoupling
from firm_portal.management.demo.specs import (
    CLIENT_NAMES,
    DEMO_EMAIL_SUFFIX,
    FIRM_MANAGED_NAMES,
    FIRM_NAMES,
)
from firm_portal.models import Consultant, ConsultantOffboarding, Firm, User
from licensing.models import (
    BillingChange,
    ClientManagerSeatChange,
    FirmBillingDetails,
    FirmCharge,
    Invoice,
    InvoiceLine,
    InvoicingPayer,
    LicenseChange,
    PlanChange,
    ResellerAgreement,
    SubscriptionBilling,
)


@dataclass(frozen=True)
class DemoRows:
    """The demo's own rows; everything else is found through them."""

    firms: QuerySet[Firm]
    clients: QuerySet[Client]
    users: QuerySet[User]
    subscriptions: QuerySet[Subscription]
    consultants: QuerySet[Consultant]


def delete_demo_data() -> None:
    firms = Firm.objects.filter(name__in=FIRM_NAMES)
    clients = Client.objects.filter(name__in=CLIENT_NAMES + FIRM_MANAGED_NAMES)
    users = User.objects.filter(email__endswith=DEMO_EMAIL_SUFFIX)
    demo = DemoRows(
        firms=firms,
        clients=clients,
        users=users,
        subscriptions=Subscription.objects.filter(client__in=clients),
        consultants=Consultant.objects.filter(Q(firm__in=firms) | Q(user__in=users)),
    )
    _delete_billing(demo)
    _delete_collaboration(demo)
    _delete_people(demo)


def _delete_billing(demo: DemoRows) -> None:
    """Invoices and their lines, fees, payers and change history all protect
    the subscriptions and firms they point at."""
    firms, users, subscriptions = demo.firms, demo.users, demo.subscriptions
    invoices = Invoice.objects.filter(
        Q(subscription__in=subscriptions) | Q(recipient_firm__in=firms)
    )
    InvoiceLine.objects.filter(Q(invoice__in=invoices) | Q(subscription__in=subscriptions)).delete()
    # The invoicing run's record of each payer protects the invoice it made.
    InvoicingPayer.objects.filter(invoice__in=invoices).delete()
    invoices.delete()
    FirmCharge.objects.filter(firm__in=firms).delete()
    ManualCoupling.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=demo.consultants)
    ).delete()
    PlanChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    BillingChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    SubscriptionBilling.objects.filter(
        Q(subscription__in=subscriptions) | Q(firm__in=firms)
    ).delete()
    ResellerAgreement.objects.filter(firm__in=firms).delete()
    FirmBillingDetails.objects.filter(firm__in=firms).delete()


def _delete_collaboration(demo: DemoRows) -> None:
    firms, users, subscriptions, consultants = (
        demo.firms,
        demo.users,
        demo.subscriptions,
        demo.consultants,
    )
    CustomerAcceptance.objects.filter(Q(contact__in=users) | Q(created_by__in=users)).delete()
    Coupling.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=consultants)
    ).delete()
    CollaborationRequest.objects.filter(
        Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
        | Q(responsible_consultant__in=consultants)
        | Q(requested_by__in=users)
        | Q(decided_by__in=users)
    ).delete()
    LicenseChange.objects.filter(Q(subscription__in=subscriptions) | Q(actor__in=users)).delete()
    ClientManagerSeatChange.objects.filter(Q(firm__in=firms) | Q(actor__in=users)).delete()


def _delete_people(demo: DemoRows) -> None:
    firms, users, subscriptions, consultants = (
        demo.firms,
        demo.users,
        demo.subscriptions,
        demo.consultants,
    )
    ClientAssignment.objects.filter(
        Q(consultant__in=consultants) | Q(subscription__in=subscriptions)
    ).delete()
    ConsultantOffboarding.objects.filter(consultant__in=consultants).delete()
    Invitation.objects.filter(Q(user__in=users) | Q(invited_by__in=users)).delete()
    JoinOffer.objects.filter(
        Q(user__in=users)
        | Q(invited_by__in=users)
        | Q(firm__in=firms)
        | Q(subscription__in=subscriptions)
    ).delete()
    Membership.objects.filter(
        Q(subscription__in=subscriptions) | Q(user__in=users) | Q(consultant__in=consultants)
    ).delete()
    subscriptions.delete()
    demo.clients.delete()
    consultants.delete()
    firms.delete()
    users.delete()
