"""factory-boy factories. Identity numbers are valid (Luhn) by construction."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from stdnum import luhn
from stdnum.se import orgnr

from clients.models import (
    Client,
    Membership,
    Plan,
    Program,
    ProgramLevel,
    Subscription,
    SubscriptionLicense,
)
from clients.services import subscription_number_allocate
from collaboration.manual import (
    NamedSysadmin,
    manual_coupling_apply,
    manual_coupling_check,
    manual_coupling_check_sysadmin,
    manual_coupling_fee_settle,
)
from collaboration.models import CollaborationRequest, Coupling, ManualCoupling
from collaboration.scanned_forms import validate_scanned_form
from firm_portal.models import Consultant, Firm, User
from firm_portal.timeutils import today_in_stockholm

PASSWORD = "test-password-1234"


def org_number(n: int, prefix: str = "55") -> str:
    base = f"{prefix}{n:0{9 - len(prefix)}d}"
    return orgnr.format(base + luhn.calc_check_digit(base))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.se")
    full_name = factory.Faker("name", locale="sv_SE")
    password = factory.django.Password(PASSWORD)


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Byrå {n} AB")
    org_number = factory.Sequence(lambda n: org_number(n, "556"))
    client_manager_seats = 10


class ConsultantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultant

    user = factory.SubFactory(UserFactory)
    firm = factory.SubFactory(FirmFactory)
    has_client_manager_seat = True


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Kund {n} AB")
    org_number = factory.Sequence(lambda n: org_number(n, "559"))


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    client = factory.SubFactory(ClientFactory)
    number = factory.LazyFunction(subscription_number_allocate)
    plan = Plan.SMART
    status = Subscription.Status.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    subscription = factory.SubFactory(SubscriptionFactory)
    user = factory.SubFactory(UserFactory)


class CouplingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupling

    firm = factory.SubFactory(FirmFactory)
    subscription = factory.SubFactory(SubscriptionFactory)
    status = Coupling.Status.ACTIVE
    starts_on = factory.LazyFunction(lambda: today_in_stockholm() - timedelta(days=30))
    activated_at = factory.LazyFunction(timezone.now)


class CollaborationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollaborationRequest

    firm = factory.SubFactory(FirmFactory)
    subscription = factory.SubFactory(SubscriptionFactory)
    responsible_consultant = factory.SubFactory(
        ConsultantFactory, firm=factory.SelfAttribute("..firm")
    )
    requested_by = factory.SelfAttribute("responsible_consultant.user")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionLicense

    subscription = factory.SubFactory(SubscriptionFactory)
    program = factory.LazyFunction(lambda: Program.objects.get(code="bokforing"))
    seats = 2


def program(code: str) -> Program:
    return Program.objects.get(code=code)


def give_level(membership: Membership, code: str, level: str) -> ProgramLevel:
    return ProgramLevel.objects.create(membership=membership, program=program(code), level=level)


def add_license_confirmed(  # type: ignore[no-untyped-def]
    client,
    subscription: Subscription,
    code: str,
    *,
    member: Membership | None = None,
    level: str = "",
    follow: bool = True,
    **extra,
):
    """ "Lägg till licens" as a sysadmin does it: open the confirmation
    (which shows the price), then "Bekräfta och lägg till licens" with the
    price shown there. The subscription's plan needs a price for `code`."""
    import re

    from django.urls import reverse

    url = reverse("clients:add_license", args=[subscription.number, code])
    query = {"medlem": member.pk, "niva": level} if member is not None else {}
    confirmation = client.get(url, query, **extra)
    assert confirmation.status_code == 200, confirmation.status_code
    price = re.search(r'name="pris" value="([^"]+)"', confirmation.content.decode())
    assert price, "the confirmation offers no price to confirm"
    data = {**query, "pris": price.group(1), "bekrafta": "1"}
    return client.post(url, data, follow=follow, **extra)


@transaction.atomic
def manual_coupling_register(
    *,
    actor: User,
    firm: Firm,
    org_number: str,
    responsible: Consultant,
    form_received_on: date,
    subscription_number: int | None = None,
    fee: Decimal | None = None,
    fee_override_reason: str = "",
    comment: str = "",
    scanned_form: File | None = None,
    sysadmin: NamedSysadmin | None = None,
) -> ManualCoupling:
    """Register a paper form as the admin add form does (collaboration/manual_admin.py),
    without the form: the tests of the rules behind it."""
    sysadmin = sysadmin or NamedSysadmin()
    sysadmin = manual_coupling_check_sysadmin(
        named=sysadmin.named, email=sysadmin.email, name=sysadmin.name
    )
    registration = manual_coupling_check(
        firm=firm,
        org_number=org_number,
        subscription_number=subscription_number,
        responsible=responsible,
    )
    fee, fee_override_reason = manual_coupling_fee_settle(
        decision=registration.decision, fee=fee, override_reason=fee_override_reason
    )
    manual = ManualCoupling(
        firm=firm,
        responsible_consultant=responsible,
        subscription_number_given=subscription_number,
        form_received_on=form_received_on,
        comment=comment,
        sysadmin_named=sysadmin.named,
        sysadmin_email=sysadmin.email,
        sysadmin_name=sysadmin.name,
    )
    if scanned_form is not None:
        try:
            validate_scanned_form(scanned_form)
        except ValidationError as error:
            raise ValidationError({"scanned_form": error}) from None
        manual.scanned_form = scanned_form  # type: ignore[assignment]
    manual_coupling_apply(
        manual=manual,
        registration=registration,
        fee=fee,
        fee_override_reason=fee_override_reason,
        actor=actor,
    )
    manual.save()
    return manual
