"""Flow 5, "Skapa nytt samarbete": a firm creates a new customer's
subscription and the collaboration with it; the customer's primary contact
accepts the terms through a single-use link.

Nothing is written until `new_customer_create`, which does everything in one
transaction: client, subscription (pending), licences (with their billable
history), who pays, the coupling (awaiting the customer), the primary contact
as system administrator, ledger events and the welcome email (and SMS).

The role chosen per program in step 2 ("Rapportör", "Attestansvarig",
"Administratör") is stored as the primary contact's level on that program:
the contact takes one of the program's licences with that level, and the
other licences stay free for the users the contact or the firm invites. All
roles cost the same.

Reads (offers, prices, the waiting list, the link's state) are in
collaboration/new_customer_selectors.py.

The acceptance link is an `Invitation` row (nonce rotated on resend, cleared
on acceptance, 14-day expiry) signed with a salt of its own, so it is not a
plain invitation link and the plain invitation page cannot accept it.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.catalogue import plan_includes
from clients.models import Client, Membership, ProgramLevel, Subscription, SubscriptionLicense
from clients.services import responsible_consultant_join, subscription_create
from collaboration.ledger import Kind, ledger_record
from collaboration.models import Coupling
from collaboration.new_customer_selectors import (
    SALT,
    CustomerDetails,
    NewCustomerOrder,
    acceptance_check,
    license_summary,
)
from collaboration.services import CollaborationError, require_client_manager_seat
from firm_portal.models import Consultant, Invitation, User
from firm_portal.services import assignment_ensure
from firm_portal.sms_allowance import firm_sms_allowance
from firm_portal.timeutils import today_in_stockholm
from licensing.billing import billing_validate, subscription_billing_set
from licensing.models import LicenseChange, Recipient, SubscriptionBilling
from licensing.pricing import add_months
from notifications.services import outbox_enqueue_email

# --- Creating --------------------------------------------------------------------------


def _invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


def acceptance_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "collaboration:new_customer_accept", args=[_invitation_token(invitation)]
    )


def _contact_user(customer: CustomerDetails) -> User:
    """The primary contact's account: a new inactive one without a password,
    or an existing account. An account that never set a password is reused
    and updated; a closed one cannot be used."""
    email = customer.contact_email.strip().lower()
    user = User.objects.select_for_update().filter(email=email).first()
    if user is None:
        return User.objects.create(
            email=email,
            full_name=customer.contact_name,
            mobile=customer.contact_mobile,
            personal_number=customer.contact_personal_number,
            password=make_password(None),
            is_active=False,
        )
    if user.has_usable_password():
        if not user.is_active or user.is_staff:
            raise ValidationError(
                {
                    "contact_email": _(
                        "Kontot med e-postadressen %(email)s kan inte bli primärkontakt. "
                        "Ange en annan e-postadress."
                    )
                    % {"email": email}
                }
            )
        return user  # a working account: its details are the person's own
    user.full_name = customer.contact_name
    user.mobile = customer.contact_mobile or user.mobile
    user.personal_number = customer.contact_personal_number or user.personal_number
    user.save(update_fields=["full_name", "mobile", "personal_number"])
    return user


def _open_invitation(
    *, user: User, invited_by: User, consultant: Consultant, subscription: Subscription
) -> Invitation:
    """The contact's one open invitation, (re)pointed at this subscription
    with a fresh nonce: every earlier link stops working."""
    now = timezone.now()
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .filter(user=user, accepted_at__isnull=True)
        .first()
    ) or Invitation(user=user)
    other = invitation.subscription
    if (
        other is not None
        and other.pk != subscription.pk
        and other.status == Subscription.Status.PENDING
    ):
        # One open link per person: taking it would strand the other customer.
        raise ValidationError(
            {
                "contact_email": _(
                    "%(email)s är redan primärkontakt för ett annat nytt samarbete som inte "
                    "är godkänt ännu. Ange en annan primärkontakt."
                )
                % {"email": user.email}
            }
        )
    invitation.invited_by = invited_by
    invitation.firm_id = consultant.firm_id
    invitation.subscription = subscription
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.save()
    return invitation


@dataclass(frozen=True)
class Welcomed:
    """What "Skapa samarbete" and "Skicka igen" did: the subscription, the
    link, and whether its SMS was held back by the firm's daily SMS limit
    (firm_portal/sms_allowance.py; the e-mail went)."""

    subscription: Subscription
    invitation: Invitation
    sms_held: bool = False


def _welcome(*, invitation: Invitation, coupling: Coupling, reminder: bool = False) -> Welcomed:
    subscription = coupling.subscription
    billing = SubscriptionBilling.objects.select_related("firm").get(subscription=subscription)
    context = {
        "recipient": invitation.user,
        "firm": coupling.firm,
        "created_by": invitation.invited_by,
        "client": subscription.client,
        "subscription": subscription,
        "licenses": license_summary(subscription=subscription, contact=invitation.user),
        "billing": billing,
        "url": acceptance_url(invitation),
        "expires_at": invitation.expires_at,
        "has_password": invitation.user.has_usable_password(),
        "reminder": reminder,
    }
    outbox_enqueue_email(to=invitation.user.email, template="new-customer-welcome", context=context)
    held = False
    if invitation.user.mobile:
        held = not firm_sms_allowance(firm_id=coupling.firm_id, wanted=1).send(
            to=invitation.user.mobile, template="new-customer-welcome", context=context
        )
    return Welcomed(subscription=subscription, invitation=invitation, sms_held=held)


def new_customer_create(*, consultant: Consultant, order: NewCustomerOrder) -> Welcomed:
    """ "Skapa samarbete". Raises CollaborationError when the organisationsnummer
    got a subscription meanwhile (also a second click on the button), and
    ValidationError (per field) for a payment choice the rules refuse."""
    require_client_manager_seat(consultant=consultant)
    customer, payment = order.customer, order.payment
    firm = consultant.firm
    today = today_in_stockholm()
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
            client = (
                Client.objects.select_for_update().filter(org_number=customer.org_number).first()
            )
            if client is None:
                client = Client.objects.create(name=customer.name, org_number=customer.org_number)
            elif client.subscriptions.exclude(status=Subscription.Status.ENDED).exists():
                raise taken
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
            contact = _contact_user(customer)
            membership = Membership.objects.create(
                subscription=subscription, user=contact, is_sysadmin=True
            )
            ProgramLevel.objects.bulk_create(
                ProgramLevel(membership=membership, program=choice.program, level=choice.level)
                for choice in order.licenses
            )
            ledger_record(
                kind=Kind.MEMBER_ADDED,
                actor=consultant.user,
                firm=firm,
                subscription=subscription,
                subject=contact,
                after={
                    "sysadmin": True,
                    "levels": {choice.program.code: choice.level for choice in order.licenses},
                },
                detail=_("Primärkontakt i Skapa nytt samarbete."),
            )
            coupling = Coupling.objects.create(
                firm=firm,
                subscription=subscription,
                responsible_consultant=consultant,
                status=Coupling.Status.AWAITING_CUSTOMER,
                starts_on=today,
            )
            assignment_ensure(consultant=consultant, subscription_id=subscription.pk)
            ledger_record(
                kind=Kind.COLLABORATION_CREATED,
                actor=consultant.user,
                firm=firm,
                subscription=subscription,
                subject=contact,
                after={
                    "plan": order.plan,
                    "licenses": {choice.program.code: choice.seats for choice in order.licenses},
                    "recipient": payment.recipient,
                    "consolidated": payment.consolidated,
                    "period_months": payment.period_months,
                },
            )
            invitation = _open_invitation(
                user=contact, invited_by=consultant.user, consultant=consultant,
                subscription=subscription,
            )  # fmt: skip
            welcomed = _welcome(invitation=invitation, coupling=coupling)
    except IntegrityError:
        # The same organisationsnummer created at the same moment (a double click).
        raise taken from None
    return welcomed


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


def _open_invitation_of(subscription: Subscription) -> Invitation | None:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user", "invited_by")
        .filter(subscription=subscription, accepted_at__isnull=True)
        .first()
    )


@transaction.atomic
def new_customer_resend(*, consultant: Consultant, coupling: Coupling) -> Welcomed:
    """ "Skicka igen": a new link (the old one stops working) by email and SMS."""
    coupling = _lock_awaiting(coupling=coupling)
    invitation = _open_invitation_of(coupling.subscription)
    if invitation is None:
        raise CollaborationError(
            _("Det finns ingen primärkontakt att skicka till."), code="no_contact"
        )
    invitation = _open_invitation(
        user=invitation.user,
        invited_by=consultant.user,
        consultant=consultant,
        subscription=coupling.subscription,
    )
    return _welcome(invitation=invitation, coupling=coupling, reminder=True)


@transaction.atomic
def new_customer_cancel(*, consultant: Consultant, coupling: Coupling) -> Coupling:
    """ "Avbryt": the coupling and the subscription end, the link stops working
    and a contact who never got going is deactivated."""
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
    invitation = _open_invitation_of(subscription)
    contact = invitation.user if invitation is not None else None
    if invitation is not None:
        invitation.nonce = ""
        invitation.expires_at = now
        invitation.save(update_fields=["nonce", "expires_at"])
        elsewhere = (
            Membership.objects.filter(user=contact)
            .exclude(subscription__status=Subscription.Status.ENDED)
            .exists()
        )
        if contact is not None and not contact.has_usable_password() and not elsewhere:
            User.objects.filter(pk=contact.pk).update(is_active=False)
    ledger_record(
        kind=Kind.COLLABORATION_CANCELLED,
        actor=consultant.user,
        firm=coupling.firm_id,
        subscription=subscription,
        subject=contact,
        before={"coupling": Coupling.Status.AWAITING_CUSTOMER},
        after={"coupling": Coupling.Status.ENDED, "subscription": Subscription.Status.ENDED},
    )
    return coupling


class AcceptanceError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def new_customer_accept(*, token: str, user: User | None, password: str | None) -> Subscription:
    """The customer accepts the terms. One transaction with the invitation
    and the coupling locked: a second click, a second tab or a replaced link
    raises AcceptanceError and changes nothing. `password` is required for a
    contact without one; a contact with an account must be `user`."""
    checked = acceptance_check(token=token)
    if checked.problem or checked.invitation is None:
        raise AcceptanceError(checked.problem or "invalid")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "firm", "subscription__client")
            .get(pk=checked.invitation.pk)
        )
        if invitation.accepted_at is not None or invitation.nonce != checked.invitation.nonce:
            raise AcceptanceError("used")
        contact = invitation.user
        if contact.has_usable_password():
            if user is None or user.pk != contact.pk:
                raise PermissionDenied(
                    _("Logga in som %(email)s först.") % {"email": contact.email}
                )
        elif not password:
            raise AcceptanceError("password_missing")
        subscription, firm_id = invitation.subscription, invitation.firm_id
        if subscription is None or firm_id is None:
            raise AcceptanceError("invalid")
        coupling = (
            Coupling.objects.select_for_update(of=("self",))
            .select_related("responsible_consultant__user", "firm")
            .filter(
                subscription=subscription,
                firm_id=firm_id,
                status=Coupling.Status.AWAITING_CUSTOMER,
            )
            .first()
        )
        if coupling is None:
            raise AcceptanceError("cancelled")
        now = timezone.now()
        today = today_in_stockholm()
        invitation.accepted_at = now
        invitation.nonce = ""
        invitation.save(update_fields=["accepted_at", "nonce"])
        if password:
            contact.set_password(password)
            contact.is_active = True
            contact.save(update_fields=["password", "is_active"])
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
        ledger_record(
            kind=Kind.COLLABORATION_ACCEPTED,
            actor=contact,
            firm=coupling.firm_id,
            subscription=subscription,
            subject=contact,
            after={"coupling": Coupling.Status.ACTIVE, "starts_on": today.isoformat()},
        )
        responsible = coupling.responsible_consultant
        if responsible is not None:
            # Like an approved request: the responsible consultant becomes a member.
            responsible_consultant_join(
                subscription=subscription,
                consultant=responsible,
                actor=contact,
                detail=_("Ansvarig konsult i samarbetet som kunden godkände."),
            )
            recipients = {responsible.user.email: responsible.user}
            recipients.setdefault(invitation.invited_by.email, invitation.invited_by)
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
    return subscription
