"""Flow 5, "Skapa nytt samarbete": a firm creates a new customer's
subscription and the collaboration with it; the customer's primary contact
accepts the terms through a single-use link.

Nothing is written until `new_customer_create`, which does everything in one
transaction: client, subscription (pending), licences (with their billable
history), who pays, the coupling (awaiting the customer), the acceptance
link, ledger events and the welcome email (and an SMS heads-up).

The primary contact is *asked*. An e-mail address without an account gets
one (inactive, no password, nothing else: the name, mobile and personnummer
typed here wait on the `CustomerAcceptance` row and reach the account only
when its owner accepts, filling what it lacks, the mobile unconfirmed); an
account that exists is never changed, whoever it belongs to, and the form
answers the same either way. Cancelling clears what was typed. An account
made here and never claimed can always be claimed by its owner: "Glömt
lösenordet?" (firm_portal/forms.py) sends a link to its own address, and a
later firm's invitation is answered after that. The contact becomes the subscription's
system administrator only by accepting: a contact account made here
chooses its password through the link (sent by e-mail only, to its own
address), an account that existed logs in as itself first.

The role chosen per program in step 2 ("Rapportör", "Attestansvarig",
"Administratör") becomes the primary contact's level on that program when
they accept: the contact takes one of the program's licences with that
level, and the other licences stay free for the users the contact or the
firm invites. All roles cost the same.

Reads (offers, prices, the waiting list, the link's state) are in
collaboration/new_customer/selectors.py.

The acceptance link is a `CustomerAcceptance` row of its own (nonce rotated
on resend, cleared on acceptance, 14-day expiry), never the contact's
`Invitation`, signed with a salt of its own.
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.catalogue import plan_includes
from clients.models import (
    Client,
    Membership,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import assignment_ensure, responsible_consultant_join, subscription_create
from collaboration.agreements.services import agreements_attach_for_new_customer
from collaboration.models import Coupling, CustomerAcceptance
from collaboration.new_customer.selectors import (
    CustomerDetails,
    NewCustomerOrder,
    acceptance_check,
    license_summary,
    sets_password,
)
from collaboration.requests.services import CollaborationError, require_client_manager_seat
from firm_portal.emails import email_key
from firm_portal.models import Consultant, Firm, User
from firm_portal.resend_limits import Resend, ResendLimitReached, resends_count
from firm_portal.signed_links import ACCEPTANCE, link_token
from firm_portal.sms_allowance import firm_sms_allowance
from firm_portal.timeutils import today_in_stockholm
from ledger.services import Kind, ledger_record
from licensing.billing import billing_validate, subscription_billing_set
from licensing.models import LicenseChange, Recipient, SubscriptionBilling
from licensing.pricing import add_months
from notifications.services import outbox_enqueue_email

# --- Creating --------------------------------------------------------------------------


def _acceptance_token(acceptance: CustomerAcceptance) -> str:
    return link_token(ACCEPTANCE, pk=acceptance.pk, nonce=acceptance.nonce)


def acceptance_url(acceptance: CustomerAcceptance) -> str:
    return settings.SITE_URL + reverse(
        "collaboration:new_customer_accept", args=[_acceptance_token(acceptance)]
    )


def _contact_user(customer: CustomerDetails) -> tuple[User, bool]:
    """The primary contact's account and whether it was made here. An
    account that exists is used as it is: nothing typed here is written to
    it. A new one holds the address only, is inactive and has no password
    until its owner claims it (the typed details wait on the acceptance)."""
    email = email_key(customer.contact_email)
    existing = User.objects.by_email(email)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return User.objects.create(
                email=email, full_name="", password=make_password(None), is_active=False
            ), True
    except IntegrityError:
        # Made by someone else at this very moment: it is theirs, not ours.
        return User.objects.get(email=email), False


def _renew(acceptance: CustomerAcceptance) -> None:
    now = timezone.now()
    acceptance.nonce = secrets.token_urlsafe(24)
    acceptance.sent_at = now
    acceptance.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)


@dataclass(frozen=True)
class Welcomed:
    """What "Skapa samarbete" and "Skicka igen" did: the subscription, the
    link, and how many SMS were held back by the firm's daily SMS limit
    (firm_portal/sms_allowance.py; the e-mail went)."""

    subscription: Subscription
    acceptance: CustomerAcceptance
    sms_held: int = 0


def _sms_number(acceptance: CustomerAcceptance) -> str:
    """Where the welcome's SMS may go ("" for nowhere): only when the firm
    typed a mobile number, and then to the number the account's owner has
    confirmed, or, for an account this collaboration made and nobody has
    claimed yet, to the number this firm typed for it. Never to a number
    another tenant typed for the account."""
    contact = acceptance.contact
    if not acceptance.contact_mobile:
        return ""
    if contact.mobile and contact.mobile_confirmed:
        return contact.mobile
    if acceptance.created_contact and not contact.has_usable_password():
        return acceptance.contact_mobile
    return ""


def new_customer_welcome(*, acceptance: CustomerAcceptance, reminder: bool = False) -> Welcomed:
    """To the contact account's own address; the SMS (`_sms_number`) only
    says that the e-mail is there. The firm's SMS allowance is claimed for
    every mobile number typed in the request, whether or not an SMS can go
    to it: whether the day's limit was reached must not tell whose account
    the address is."""
    coupling = acceptance.coupling
    subscription = coupling.subscription
    contact = acceptance.contact
    billing = SubscriptionBilling.objects.select_related("firm").get(subscription=subscription)
    if acceptance.created_contact and not contact.full_name:
        # The greeting uses the name typed here; the account itself stays as it is.
        contact = User(pk=contact.pk, email=contact.email, full_name=acceptance.contact_name)
    context = {
        "recipient": contact,
        "firm": coupling.firm,
        "created_by": acceptance.created_by,
        "client": subscription.client,
        "subscription": subscription,
        "licenses": license_summary(subscription=subscription, levels=acceptance.levels),
        "billing": billing,
        "url": acceptance_url(acceptance),
        "expires_at": acceptance.expires_at,
        "sets_password": sets_password(acceptance),
        "reminder": reminder,
    }
    outbox_enqueue_email(to=contact.email, template="new-customer-welcome", context=context)
    typed = [number for number in (acceptance.contact_mobile,) if number]
    sms = firm_sms_allowance(firm_id=coupling.firm_id, wanted=len(typed))
    number = _sms_number(acceptance)
    if number:
        sms.send(to=number, template="new-customer-welcome", context=context)
    return Welcomed(
        subscription=subscription, acceptance=acceptance, sms_held=sms.wanted - sms.granted
    )


def new_customer_create(*, consultant: Consultant, order: NewCustomerOrder) -> Welcomed:
    """ "Skapa samarbete". Raises CollaborationError when the organisationsnummer
    got a subscription meanwhile (also a second click on the button), and
    ValidationError (per field) for a payment choice the rules refuse."""
    require_client_manager_seat(consultant=consultant)
    customer = order.customer
    today = today_in_stockholm()
    _order_validate(order, firm=consultant.firm, today=today)
    taken = CollaborationError(
        _(
            "%(org)s har redan ett abonnemang hos oss. Samarbetet skapades inte; "
            "använd Ny klient för att skicka en förfrågan."
        )
        % {"org": customer.org_number},
        code="has_subscription",
    )
    try:
        with transaction.atomic():
            client = _client_claim(customer, taken=taken)
            coupling = _collaboration_open(
                consultant=consultant, order=order, client=client, today=today
            )
            agreements_attach_for_new_customer(coupling=coupling, by=consultant.user)
            contact, created = _contact_user(customer)
            acceptance = CustomerAcceptance(
                coupling=coupling,
                contact=contact,
                created_contact=created,
                contact_name=customer.contact_name,
                contact_mobile=customer.contact_mobile,
                contact_personal_number=customer.contact_personal_number,
                levels={choice.program.code: choice.level for choice in order.licenses},
                created_by=consultant.user,
            )
            _renew(acceptance)
            acceptance.save()
            welcomed = new_customer_welcome(acceptance=acceptance)
    except IntegrityError:
        # The same organisationsnummer created at the same moment (a double click).
        raise taken from None
    return welcomed


def _order_validate(order: NewCustomerOrder, *, firm: Firm, today: date) -> None:
    """The payment choice and the licences, checked before anything is written."""
    payment = order.payment
    billing_validate(
        recipient=payment.recipient,
        firm=firm if payment.recipient == Recipient.FIRM else None,
        consolidated=payment.consolidated,
        period_months=payment.period_months,
        starts_on=today,
    )
    if not order.licenses or any(
        not plan_includes(plan=order.plan, program_code=choice.program.code)
        for choice in order.licenses
    ):
        raise ValidationError(_("Välj licenser för program som ingår i varianten."))


def _client_claim(customer: CustomerDetails, *, taken: CollaborationError) -> Client:
    """The client with the organisationsnummer, locked, or a new one; `taken`
    is raised when it has a subscription that has not ended."""
    client = Client.objects.select_for_update().filter(org_number=customer.org_number).first()
    if client is None:
        client = Client.objects.create(name=customer.name, org_number=customer.org_number)
    elif client.subscriptions.exclude(status=Subscription.Status.ENDED).exists():
        raise taken
    elif _only_attempts_without_consent(client) and client.name != customer.name:
        # What an earlier firm typed for a customer that never
        # accepted is no record of the customer's: this firm's name.
        client.name = customer.name
        client.save(update_fields=["name"])
    return client


def _collaboration_open(
    *, consultant: Consultant, order: NewCustomerOrder, client: Client, today: date
) -> Coupling:
    """The pending subscription with its licences and billing, and the
    coupling that waits for the customer, in the ledger."""
    firm, customer, payment = consultant.firm, order.customer, order.payment
    subscription = subscription_create(
        client_id=client.pk, plan=order.plan, status=Subscription.Status.PENDING
    )
    subscription.client = client
    _write_licenses(actor=consultant.user, subscription=subscription, order=order)
    subscription_billing_set(
        subscription=subscription,
        recipient=payment.recipient,
        firm=firm if payment.recipient == Recipient.FIRM else None,
        consolidated=payment.consolidated,
        period_months=payment.period_months,
        starts_on=today,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        invoice_email=customer.email,
    )
    coupling = Coupling.objects.create(
        firm=firm,
        subscription=subscription,
        responsible_consultant=consultant,
        status=Coupling.Status.AWAITING_CUSTOMER,
        starts_on=today,
    )
    assignment_ensure(consultant=consultant, subscription_id=subscription.pk)
    # No subject: the firm's ledger does not learn whose the address is.
    ledger_record(
        kind=Kind.COLLABORATION_CREATED,
        actor=consultant.user,
        firm=firm,
        subscription=subscription,
        after={
            "plan": order.plan,
            "licenses": {choice.program.code: choice.seats for choice in order.licenses},
            "recipient": payment.recipient,
            "consolidated": payment.consolidated,
            "period_months": payment.period_months,
        },
    )
    return coupling


def _only_attempts_without_consent(client: Client) -> bool:
    """Every subscription of `client` is an ended "Skapa nytt samarbete"
    whose customer never accepted (cancelled): its name is only what that
    firm typed."""
    subscriptions = client.subscriptions.all()
    unaccepted = CustomerAcceptance.objects.filter(
        coupling__subscription=OuterRef("pk"), accepted_at__isnull=True
    )
    return (
        subscriptions.exists()
        and not subscriptions.exclude(status=Subscription.Status.ENDED).exists()
        and not subscriptions.exclude(Exists(unaccepted)).exists()
    )


def _write_licenses(*, actor: User, subscription: Subscription, order: NewCustomerOrder) -> None:
    """Seats per program, recorded like "Lägg till licens" so billing and the
    ledger see where they came from."""
    SubscriptionLicense.objects.bulk_create(
        SubscriptionLicense(subscription=subscription, program=choice.program, seats=choice.seats)
        for choice in order.licenses
    )
    LicenseChange.objects.bulk_create(
        LicenseChange(
            subscription=subscription,
            program=choice.program,
            delta=choice.seats,
            seats_after=choice.seats,
            actor=actor,
        )
        for choice in order.licenses
    )
    for choice in order.licenses:
        ledger_record(
            kind=Kind.LICENSES_CHANGED,
            actor=actor,
            subscription=subscription,
            before={"program": choice.program.code, "seats": 0},
            after={"program": choice.program.code, "seats": choice.seats},
        )


# --- Waiting: resend, cancel ---------------------------------------------------------


def _lock_awaiting(*, coupling: Coupling) -> Coupling:
    locked = (
        Coupling.objects.select_for_update(of=("self",))
        .select_related("subscription__client", "firm")
        .filter(pk=coupling.pk)
        .first()
    )
    if locked is None or locked.status != Coupling.Status.AWAITING_CUSTOMER:
        raise CollaborationError(
            _("Samarbetet väntar inte längre på kundens godkännande."), code="not_awaiting"
        )
    return locked


def _open_acceptance(coupling: Coupling) -> CustomerAcceptance | None:
    return (
        CustomerAcceptance.objects.select_for_update(of=("self",))
        .select_related("contact", "created_by")
        .filter(coupling=coupling, accepted_at__isnull=True)
        .first()
    )


@transaction.atomic
def new_customer_resend(*, consultant: Consultant, coupling: Coupling) -> Welcomed:
    """ "Skicka igen": a new link (the old one stops working), to the same
    contact's own address."""
    coupling = _lock_awaiting(coupling=coupling)
    acceptance = _open_acceptance(coupling)
    if acceptance is None:
        raise CollaborationError(
            _("Det finns ingen primärkontakt att skicka till."), code="no_contact"
        )
    acceptance.coupling = coupling
    try:
        resends_count([Resend(item=f"acceptance:{acceptance.pk}", recipient=acceptance.contact)])
    except ResendLimitReached as error:
        raise CollaborationError(" ".join(error.messages), code=error.code or "") from None
    _renew(acceptance)
    acceptance.save(update_fields=["nonce", "sent_at", "expires_at"])
    return new_customer_welcome(acceptance=acceptance, reminder=True)


@transaction.atomic
def new_customer_cancel(*, consultant: Consultant, coupling: Coupling) -> Coupling:
    """ "Avbryt": the coupling and the subscription end and the link stops
    working. What the firm typed about the contact is cleared; the contact's
    account is left as it is (one made here holds its address only, and its
    owner can claim it with "Glömt lösenordet?")."""
    coupling = _lock_awaiting(coupling=coupling)
    now = timezone.now()
    coupling.status = Coupling.Status.ENDED
    coupling.ended_at = now
    coupling.save(update_fields=["status", "ended_at"])
    subscription = coupling.subscription
    Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.PENDING).update(
        status=Subscription.Status.ENDED
    )
    subscription.status = Subscription.Status.ENDED
    CustomerAcceptance.objects.filter(coupling=coupling, accepted_at__isnull=True).update(
        nonce="", expires_at=now, contact_name="", contact_mobile="", contact_personal_number=""
    )
    ledger_record(
        kind=Kind.COLLABORATION_CANCELLED,
        actor=consultant.user,
        firm=coupling.firm_id,
        subscription=subscription,
        before={"coupling": Coupling.Status.AWAITING_CUSTOMER},
        after={"coupling": Coupling.Status.ENDED, "subscription": Subscription.Status.ENDED},
    )
    return coupling


class AcceptanceError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def new_customer_accept(*, token: str, user: User | None, password: str | None) -> Subscription:
    """The customer accepts the terms. One transaction with the acceptance
    and the coupling locked: a second click, a second tab or a replaced link
    raises AcceptanceError and changes nothing. A contact account made with
    this collaboration sets its first `password` here; any other account
    must be `user` (logged in as itself), else PermissionDenied."""
    checked = acceptance_check(token=token)
    if checked.problem or checked.acceptance is None:
        raise AcceptanceError(checked.problem or "invalid")
    with transaction.atomic():
        acceptance = (
            CustomerAcceptance.objects.select_for_update(of=("self",))
            .select_related("contact", "created_by")
            .get(pk=checked.acceptance.pk)
        )
        if acceptance.accepted_at is not None or acceptance.nonce != checked.acceptance.nonce:
            raise AcceptanceError("used")
        contact = User.objects.select_for_update().get(pk=acceptance.contact_id)
        acceptance.contact = contact
        _require_contact(acceptance, user=user, password=password)
        coupling = (
            Coupling.objects.select_for_update(of=("self",))
            .select_related("responsible_consultant__user", "firm", "subscription__client")
            .filter(pk=acceptance.coupling_id, status=Coupling.Status.AWAITING_CUSTOMER)
            .first()
        )
        if coupling is None:
            raise AcceptanceError("cancelled")
        subscription = coupling.subscription
        now = timezone.now()
        today = today_in_stockholm()
        acceptance.accepted_at = now
        acceptance.nonce = ""
        acceptance.save(update_fields=["accepted_at", "nonce"])
        if sets_password(acceptance) and password:
            contact.set_password(password)
            contact.is_active = True
            contact.save(update_fields=["password", "is_active"])
        _typed_details_reach_the_account(acceptance=acceptance, contact=contact)
        Subscription.objects.filter(pk=subscription.pk).update(status=Subscription.Status.ACTIVE)
        subscription.status = Subscription.Status.ACTIVE
        coupling.status = Coupling.Status.ACTIVE
        coupling.activated_at = now
        coupling.starts_on = today
        coupling.save(update_fields=["status", "activated_at", "starts_on"])
        billing = SubscriptionBilling.objects.select_for_update().get(subscription=subscription)
        billing.starts_on = today
        billing.renews_on = add_months(today, billing.period_months)
        billing.save(update_fields=["starts_on", "renews_on", "updated_at"])
        _contact_joins(acceptance=acceptance, subscription=subscription, firm_id=coupling.firm_id)
        ledger_record(
            kind=Kind.COLLABORATION_ACCEPTED,
            actor=contact,
            firm=coupling.firm_id,
            subscription=subscription,
            subject=contact,
            after={"coupling": Coupling.Status.ACTIVE, "starts_on": today.isoformat()},
        )
        _responsible_joins(acceptance, coupling=coupling, billing=billing)
    return subscription


def _require_contact(
    acceptance: CustomerAcceptance, *, user: User | None, password: str | None
) -> None:
    """Only the contact accepts: a new contact account by choosing its
    password (nobody else logged in), any other logged in as itself."""
    contact = acceptance.contact
    if sets_password(acceptance):
        if user is not None and user.pk != contact.pk:
            raise PermissionDenied(_("Logga ut först: länken är till någon annan."))
        if not password:
            raise AcceptanceError("password_missing")
    elif user is None or user.pk != contact.pk:
        raise PermissionDenied(_("Logga in som %(email)s först.") % {"email": contact.email})


def _responsible_joins(
    acceptance: CustomerAcceptance, *, coupling: Coupling, billing: SubscriptionBilling
) -> None:
    """Like an approved request: the responsible consultant becomes a member,
    and they and the consultant who created the collaboration are told."""
    responsible = coupling.responsible_consultant
    if responsible is None:
        return
    subscription, contact = coupling.subscription, acceptance.contact
    responsible_consultant_join(
        subscription=subscription,
        consultant=responsible,
        actor=contact,
        detail=_("Ansvarig konsult i samarbetet som kunden godkände."),
    )
    recipients = {responsible.user.email: responsible.user}
    recipients.setdefault(acceptance.created_by.email, acceptance.created_by)
    for recipient in recipients.values():
        outbox_enqueue_email(
            to=recipient.email,
            template="new-customer-accepted",
            context={
                "recipient": recipient,
                "firm": coupling.firm,
                "client": subscription.client,
                "subscription": subscription,
                "contact": contact,
                "billing": billing,
            },
        )


def _typed_details_reach_the_account(*, acceptance: CustomerAcceptance, contact: User) -> None:
    """On acceptance, what the firm typed fills what an account made with
    this collaboration lacks: the name, the mobile (unconfirmed until its
    owner confirms it under "Mina uppgifter") and a personnummer no other
    account holds. An account that existed before gets nothing."""
    if not acceptance.created_contact:
        return
    changed = []
    if not contact.full_name and acceptance.contact_name:
        contact.full_name = acceptance.contact_name
        changed.append("full_name")
    if not contact.mobile and acceptance.contact_mobile:
        contact.mobile = acceptance.contact_mobile
        contact.mobile_confirmed = False
        changed += ["mobile", "mobile_confirmed"]
    personal_number = acceptance.contact_personal_number
    if (
        not contact.personal_number
        and personal_number
        and not User.objects.filter(personal_number=personal_number).exists()
    ):
        contact.personal_number = personal_number
        changed.append("personal_number")
    if changed:
        contact.save(update_fields=changed)


def _contact_joins(
    *, acceptance: CustomerAcceptance, subscription: Subscription, firm_id: int
) -> None:
    """The contact becomes system administrator with the chosen levels
    (a collaboration created before acceptance rows existed already made
    the membership)."""
    contact = acceptance.contact
    membership, created = Membership.objects.get_or_create(
        subscription=subscription, user=contact, defaults={"is_sysadmin": True}
    )
    if not created:
        return
    programs = {
        program.code: program
        for program in Program.objects.filter(code__in=list(acceptance.levels))
    }
    ProgramLevel.objects.bulk_create(
        ProgramLevel(membership=membership, program=programs[code], level=level)
        for code, level in acceptance.levels.items()
        if code in programs
    )
    ledger_record(
        kind=Kind.MEMBER_ADDED,
        actor=contact,
        firm=firm_id,
        subscription=subscription,
        subject=contact,
        after={"sysadmin": True, "levels": acceptance.levels},
        detail=_("Primärkontakt i Skapa nytt samarbete."),
    )
