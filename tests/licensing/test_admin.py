"""Support's billing admin: the price list, payers and read-only invoices."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from clients.catalogue import programs_ensure
from firm_portal.timeutils import today_in_stockholm
from licensing.models import Invoice, PlanPrice, ResellerAgreement, SubscriptionBilling
from tests import factories
from tests.conftest import World
from tests.licensing.factories import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    return client


def test_support_reads_an_invoice_and_downloads_its_pdf(support: Client, world: World) -> None:
    invoice = make_invoice(firm=world.firm)

    listing = support.get("/admin/licensing/invoice/")
    page = support.get(f"/admin/licensing/invoice/{invoice.pk}/change/")
    download = support.get(f"/admin/licensing/invoice/{invoice.pk}/pdf/")

    assert listing.status_code == 200
    assert f"/admin/licensing/invoice/{invoice.pk}/pdf/" in listing.content.decode()
    assert page.status_code == 200
    content = page.content.decode()
    assert "Testavgift" in content  # the line, read-only
    assert 'name="_save"' not in content
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-")


def test_invoices_cannot_be_added_changed_or_deleted(support: Client, world: World) -> None:
    invoice = make_invoice(firm=world.firm)

    assert support.get("/admin/licensing/invoice/add/").status_code == 403
    assert support.post(f"/admin/licensing/invoice/{invoice.pk}/delete/").status_code == 403
    support.post(f"/admin/licensing/invoice/{invoice.pk}/change/", {"recipient_name": "X"})
    invoice.refresh_from_db()
    assert invoice.recipient_name == world.firm.name


def test_staff_without_invoice_permission_gets_no_pdf(world: World) -> None:
    invoice = make_invoice(firm=world.firm)
    staff = factories.UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(f"/admin/licensing/invoice/{invoice.pk}/pdf/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    assert client.get(f"/admin/licensing/invoice/{invoice.pk}/pdf/").status_code == 200


def test_an_overlapping_price_is_refused_in_admin(support: Client) -> None:
    response = support.post(
        "/admin/licensing/planprice/add/",
        {
            "plan": "smart",
            "list_price": "329.00",
            "reseller_price": "259.00",
            "valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 200
    assert "Perioden överlappar ett annat pris för samma sak" in response.content.decode()
    assert PlanPrice.objects.filter(plan="smart").count() == 1


def test_the_next_price_is_added_once_the_old_one_ends(support: Client) -> None:
    PlanPrice.objects.filter(plan="smart").update(valid_to=date(2025, 12, 31))

    response = support.post(
        "/admin/licensing/planprice/add/",
        {
            "plan": "smart",
            "list_price": "329.00",
            "reseller_price": "259.00",
            "valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 302
    assert PlanPrice.objects.filter(plan="smart").count() == 2


def _billing_form(subscription_id: int, firm_id: int) -> dict[str, object]:
    return {
        "subscription": subscription_id,
        "recipient": "firm",
        "firm": firm_id,
        "consolidated": "on",
        "period_months": "12",
        "starts_on": today_in_stockholm().isoformat(),
        "postal_code": "903 26",
    }


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_admin_refuses_samlingsfaktura_without_an_agreement(support: Client) -> None:
    programs_ensure()
    firm = factories.FirmFactory(name="Revisorerna Norr AB")
    subscription = factories.SubscriptionFactory()

    response = support.post(
        "/admin/licensing/subscriptionbilling/add/", _billing_form(subscription.pk, firm.pk)
    )

    assert response.status_code == 200
    assert "har inget aktivt återförsäljaravtal" in response.content.decode()
    assert not SubscriptionBilling.objects.exists()

    ResellerAgreement.objects.create(firm=firm, valid_from=today_in_stockholm() - timedelta(days=1))
    response = support.post(
        "/admin/licensing/subscriptionbilling/add/", _billing_form(subscription.pk, firm.pk)
    )

    assert response.status_code == 302
    saved = SubscriptionBilling.objects.get()
    assert saved.consolidated and saved.firm == firm
    assert saved.renews_on > saved.starts_on


@pytest.mark.parametrize("starts_on", ["9999-12-31", "0001-01-01"])
def test_admin_refuses_dates_far_away(support: Client, starts_on: str) -> None:
    """Year 9999 was a 500 (the renewal date a year later does not exist)."""
    programs_ensure()
    form = _billing_form(factories.SubscriptionFactory().pk, factories.FirmFactory().pk)
    form.update({"consolidated": "", "starts_on": starts_on})

    response = support.post("/admin/licensing/subscriptionbilling/add/", form)

    assert response.status_code == 200
    assert "Ange ett datum mellan 1900-01-01 och 2999-12-31." in response.content.decode()
    assert not SubscriptionBilling.objects.exists()

    response = support.post(
        "/admin/licensing/planprice/add/",
        {
            "plan": "smart",
            "list_price": "329.00",
            "reseller_price": "259.00",
            "valid_from": "2026-01-01",
            "valid_to": starts_on,
        },
    )
    assert response.status_code == 200
    assert "Ange ett datum mellan 1900-01-01 och 2999-12-31." in response.content.decode()


def test_admin_checks_the_postal_code(support: Client) -> None:
    programs_ensure()
    form = _billing_form(factories.SubscriptionFactory().pk, factories.FirmFactory().pk)
    form.update({"consolidated": "", "postal_code": "9032"})

    response = support.post("/admin/licensing/subscriptionbilling/add/", form)

    assert "Ange postnumret med fem siffror, till exempel 111 22." in response.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "model", ["planprice", "programprice", "clientmanagerseatprice", "reselleragreement"]
)
def test_billing_admin_pages_open(support: Client, model: str) -> None:
    assert support.get(f"/admin/licensing/{model}/").status_code == 200
    assert support.get(f"/admin/licensing/{model}/add/").status_code == 200
