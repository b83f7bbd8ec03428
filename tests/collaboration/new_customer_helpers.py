"""Flow 5, "Skapa nytt samarbete": test prices for every plan, an order
made at service level and the mails it sends (tests/collaboration/
test_new_customer.py), and the wizard walked step by step
(test_new_customer_views.py). The `prices` fixture is in conftest.py."""

import re
from datetime import timedelta
from typing import cast

from django.urls import reverse

from clients.catalogue import PLAN_PROGRAMS
from clients.models import Level
from collaboration.new_customer import services
from collaboration.new_customer.selectors import (
    CustomerDetails,
    LicenseChoice,
    NewCustomerOrder,
    PaymentChoice,
)
from firm_portal.timeutils import today_in_stockholm
from licensing.models import Recipient, ResellerAgreement
from notifications.models import OutboxMessage
from tests import factories
from tests.licensing.factories import replace_price_list

ORG = "556036-0793"

# Round test prices (list, reseller) per month: every plan and its programs.
PLAN_PRICES = {
    "faktura": ("100.00", "80.00"),
    "start": ("200.00", "160.00"),
    "smart": ("300.00", "240.00"),
    "pro": ("450.00", "360.00"),
}
PROGRAM_PRICES = {"bokforing": ("150.00", "120.00"), "fakturering": ("80.00", "64.00")}


def install_prices() -> None:
    replace_price_list(
        plans=PLAN_PRICES,
        programs={
            (plan, code): PROGRAM_PRICES.get(code, ("50.00", "40.00"))
            for plan, codes in PLAN_PROGRAMS.items()
            for code in codes
        },
        valid_from=today_in_stockholm() - timedelta(days=400),
    )


def reseller_agreement(firm) -> ResellerAgreement:  # type: ignore[no-untyped-def]
    return ResellerAgreement.objects.create(
        firm=firm, valid_from=today_in_stockholm() - timedelta(days=30), reference="ÅF-1"
    )


def make_order(**overrides: object) -> NewCustomerOrder:
    customer = {
        "org_number": ORG,
        "name": "Nya Kunden AB",
        "street": "Storgatan 1",
        "postal_code": "903 26",
        "city": "Umeå",
        "email": "faktura@nyakunden.se",
        "contact_name": "Karin Kontakt",
        "contact_email": "karin@nyakunden.se",
        "contact_mobile": "",
        "contact_personal_number": "198112289874",
    }
    customer.update(cast(dict[str, str], overrides.pop("customer", {})))
    values: dict[str, object] = {
        "plan": "smart",
        "licenses": [
            LicenseChoice(program=factories.program("bokforing"), seats=2, level=Level.ADMIN),
            LicenseChoice(program=factories.program("fakturering"), seats=1, level=Level.REPORTER),
        ],
        "customer": CustomerDetails(**customer),
        "payment": PaymentChoice(recipient=Recipient.CLIENT, consolidated=False, period_months=12),
    }
    values.update(overrides)
    return NewCustomerOrder(**values)  # type: ignore[arg-type]


def create(world, **overrides):  # type: ignore[no-untyped-def]
    return services.new_customer_create(
        consultant=world.consultant, order=make_order(**overrides)
    ).subscription


def token_of(message: OutboxMessage) -> str:
    match = re.search(r"/samarbeten/godkann/([^/\s]+)/", message.body_text)
    assert match, message.body_text
    return match.group(1)


def welcome(email: str = "karin@nyakunden.se") -> OutboxMessage:
    return OutboxMessage.objects.filter(recipient=email, template="new-customer-welcome").latest(
        "pk"
    )


WIZARD = reverse("collaboration:new_customer")
HTMX = {"HTTP_HX_REQUEST": "true"}

STEP_DATA = {
    "plan": {"plan": "smart"},
    "licenses": {
        "seats_bokforing": "2",
        "role_bokforing": "admin",
        "seats_fakturering": "1",
        "role_fakturering": "reporter",
    },
    "customer": {
        "org_number": "5560360793",
        "name": "Nya Kunden AB",
        "street": "Storgatan 1",
        "postal_code": "90326",
        "city": "Umeå",
        "email": "faktura@nyakunden.se",
        "contact_name": "Karin Kontakt",
        "contact_email": "Karin@Nyakunden.se",
        "contact_mobile": "070-123 45 67",
        "contact_personal_number": "811228-9874",
    },
    "payment": {"recipient": "client", "invoice": "separate", "period_months": "12"},
}


def post(client, step: str, action: str = "next", htmx: bool = False, **data):  # type: ignore[no-untyped-def]
    payload = {"step": step, "action": action, **STEP_DATA.get(step, {}), **data}
    return client.post(WIZARD, payload, **(HTMX if htmx else {}))


def walk_to(client, last: str) -> None:  # type: ignore[no-untyped-def]
    for step in ("plan", "licenses", "customer", "payment"):
        if step == last:
            return
        response = post(client, step)
        assert response.status_code == 200
        assert 'class="error"' not in response.text, response.text


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', html)
