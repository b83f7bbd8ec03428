"""Issue 14, item 8: "Lägg till licens" billed with one click, showed no
price and forgot the level just chosen. Now it shows what one more licence
costs per month and who pays, bills only once confirmed, and gives the
member the level chosen before the seats ran out."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from clients.models import Level, ProgramLevel, SubscriptionLicense
from firm_portal.timeutils import today_in_stockholm
from licensing.models import (
    BillingChange,
    LicenseChange,
    Recipient,
    ResellerAgreement,
    SubscriptionBilling,
)
from tests import factories
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PRICES = {
    "plans": {"smart": ("300.00", "240.00")},
    "programs": {("smart", "bokforing"): ("1150.00", "119.50")},
}


@pytest.fixture
def prices() -> None:
    replace_price_list(**PRICES)  # type: ignore[arg-type]


@pytest.fixture
def full(world):  # type: ignore[no-untyped-def]
    """Bokföring's only seat taken by Lisa; Klas is the member who wants one."""
    factories.LicenseFactory(subscription=world.subscription, seats=1)
    factories.give_level(world.sysadmin_membership, "bokforing", Level.ADMIN)
    return world.subscription.memberships.get(user=world.client_user)


def url(world):  # type: ignore[no-untyped-def]
    return reverse("clients:add_license", args=[world.subscription.number, "bokforing"])


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text, tags out and whitespace folded (no-break spaces kept)."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_confirmation_shows_price_payer_and_level_and_bills_nothing(
    client, world, full, prices
):
    client.force_login(world.sysadmin)
    response = client.get(url(world), {"medlem": full.pk, "niva": Level.READ})
    assert response.status_code == 200
    page = text_of(response)
    assert "Lägg till licens för Bokföring" in page
    assert "Kostnad 1\u00a0150,00 kr per månad exkl. moms" in page
    assert "Betalas av Kunden (Bageriet Solsidan AB)" in page
    assert "Behörighet Läs för Klas Klientanvändare" in page
    assert "Bekräfta och lägg till licens" in page
    assert not LicenseChange.objects.exists()
    assert SubscriptionLicense.objects.get().seats == 1


def test_a_post_without_the_confirmation_bills_nothing(client, world, full, prices):
    """The one-click form of old (a post with no "Bekräfta") only asks."""
    client.force_login(world.sysadmin)
    response = client.post(url(world), {"medlem": full.pk, "niva": Level.READ})
    assert response.status_code == 200
    assert "Bekräfta och lägg till licens" in response.text
    assert not LicenseChange.objects.exists()
    assert not ProgramLevel.objects.filter(membership=full).exists()


@pytest.mark.django_db(transaction=True)  # row locks: tests/lock_coverage.py
def test_confirmed_adds_one_licence_and_gives_the_chosen_level(client, world, full, prices):
    client.force_login(world.sysadmin)
    response = factories.add_license_confirmed(
        client, world.subscription, "bokforing", member=full, level=Level.APPROVER
    )
    assert response.redirect_chain == [
        (reverse("clients:permissions", args=[world.subscription.number]), 302)
    ]
    assert (
        "En licens för Bokföring är tillagd. Abonnemanget har nu 2. "
        "Klas Klientanvändare har nu behörigheten Attestansvarig i Bokföring."
    ) in response.text
    change = LicenseChange.objects.get()
    assert (change.delta, change.seats_after, change.actor) == (1, 2, world.sysadmin)
    assert ProgramLevel.objects.get(membership=full).level == Level.APPROVER


def test_the_firm_on_samlingsfaktura_pays_the_reseller_price(client, world, full, prices):
    SubscriptionBilling.objects.create(
        subscription=world.subscription,
        recipient=Recipient.FIRM,
        firm=world.firm,
        consolidated=True,
        starts_on=date(2025, 1, 1),
        renews_on=date(2030, 1, 1),
    )
    ResellerAgreement.objects.create(firm=world.firm, valid_from=date(2025, 1, 1))
    client.force_login(world.sysadmin)
    page = text_of(client.get(url(world)))
    assert "Kostnad 119,50 kr per månad exkl. moms återförsäljarpris" in page
    assert "Betalas av Revisorerna Norr AB (samlingsfaktura)" in page


def test_the_payer_is_who_pays_today_not_after_a_coming_change(client, world, full, prices):
    """A change of payer takes effect on the first of a month: until then
    the licence is billed to the payer before it."""
    SubscriptionBilling.objects.create(
        subscription=world.subscription,
        recipient=Recipient.FIRM,
        firm=world.firm,
        starts_on=date(2025, 1, 1),
        renews_on=date(2030, 1, 1),
    )
    BillingChange.objects.create(
        subscription=world.subscription,
        effective_on=(today_in_stockholm().replace(day=1) + timedelta(days=32)).replace(day=1),
        recipient_before=Recipient.CLIENT,
        recipient_after=Recipient.FIRM,
        firm_after=world.firm,
    )
    client.force_login(world.sysadmin)
    page = text_of(client.get(url(world)))
    assert "Betalas av Kunden (Bageriet Solsidan AB)" in page
    assert "Kostnad 1\u00a0150,00 kr per månad exkl. moms" in page


def test_a_price_changed_since_shown_is_asked_again(client, world, full, prices):
    client.force_login(world.sysadmin)
    response = client.post(url(world), {"pris": "99.00", "bekrafta": "1"})
    assert response.status_code == 200
    page = text_of(response)
    assert "Priset har ändrats sedan du öppnade sidan. Kontrollera det och bekräfta igen." in page
    assert "Kostnad 1\u00a0150,00 kr per månad exkl. moms" in page
    assert not LicenseChange.objects.exists()


def test_without_a_price_nothing_can_be_confirmed(client, world, full):
    replace_price_list(plans={"smart": ("300.00", "240.00")}, programs={})
    client.force_login(world.sysadmin)
    page = text_of(client.get(url(world)))
    assert "Pris saknas i prislistan för Bokföring." in page
    assert "Bekräfta och lägg till licens" not in page
    client.post(url(world), {"pris": "", "bekrafta": "1"})
    assert not LicenseChange.objects.exists()


def test_a_member_of_another_subscription_is_404(client, world, prices):
    foreign = factories.MembershipFactory(subscription=world.other_subscription)
    client.force_login(world.sysadmin)
    assert client.get(url(world), {"medlem": foreign.pk, "niva": "read"}).status_code == 404
    response = client.post(url(world), {"medlem": foreign.pk, "pris": "1150.00", "bekrafta": "1"})
    assert response.status_code == 404
    assert not LicenseChange.objects.exists()


class TestFromTheGrid:
    def test_the_refused_cell_links_to_the_confirmation_with_the_chosen_level(
        self, client, world, full
    ):
        client.force_login(world.sysadmin)
        cell = reverse("clients:set_level", args=[world.subscription.number, full.pk, "bokforing"])
        response = client.post(cell, {f"level-{full.pk}-bokforing": Level.REPORTER}, **HTMX)
        assert "Det finns ingen ledig licens för Bokföring (1 av 1 används)." in response.text
        link = f"{url(world)}?medlem={full.pk}&amp;niva={Level.REPORTER}"
        assert f'href="{link}" hx-get="{link}" hx-target="#license-confirm"' in response.text
        assert not LicenseChange.objects.exists()

    def test_htmx_confirmation_opens_in_place_and_reloads_the_grid(
        self, client, world, full, prices
    ):
        client.force_login(world.sysadmin)
        box = client.get(url(world), {"medlem": full.pk, "niva": Level.READ}, **HTMX)
        assert box.text.lstrip().startswith('<section class="card license-confirm"')
        assert 'hx-post="' in box.text and "<html" not in box.text
        response = factories.add_license_confirmed(
            client, world.subscription, "bokforing", member=full, level=Level.READ, **HTMX
        )
        assert response.headers["HX-Redirect"] == reverse(
            "clients:permissions", args=[world.subscription.number]
        )
        assert LicenseChange.objects.count() == 1
        assert ProgramLevel.objects.get(membership=full).level == Level.READ

    def test_without_javascript_the_refused_grid_links_to_the_confirmation(
        self, client, world, full
    ):
        client.force_login(world.sysadmin)
        grid = reverse("clients:permissions", args=[world.subscription.number])
        data = {
            f"level-{full.pk}-bokforing": str(Level.READ),
            f"sysadmin-{world.sysadmin_membership.pk}": "on",
        }
        response = client.post(grid, data)
        assert response.status_code == 422
        assert f'<a href="{url(world)}?medlem={full.pk}&amp;niva=read">' in response.text
        assert not LicenseChange.objects.exists()
