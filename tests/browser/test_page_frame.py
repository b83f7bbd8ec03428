"""What every page shares: the icon, the header before and after the code
step, and the error pages (each also goes through the accessibility audit)."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_page_asks_for_something_missing(journey, world):
    """The favicon was a 404 on every page."""
    j = journey("sidram-ikon")
    failed: list[str] = []
    j.page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    j.log_in(world.consultant.user.email, factories.PASSWORD)
    expect(j.page.get_by_role("heading", name="Välkommen, Erik")).to_be_visible()
    icon = j.page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    for url in (icon, "/favicon.ico"):  # the second for pages without the link (admin, PDFs)
        response = j.page.request.get(j.base_url + url)
        assert response.ok, url
        assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert failed == []


def test_two_factor_setup_shows_no_menu_until_it_is_done(journey, world):
    """A firm admin without an app is sent to setup before any page: a menu
    whose every link leads back there is noise. Afterwards it is there."""
    j = journey("sidram-tvastegsverifiering")
    j.goto("/")
    j.fill(j.page.get_by_label("E-post"), world.firm_admin.user.email)
    j.fill(j.page.get_by_label("Lösenord"), factories.PASSWORD)
    j.click(j.page.get_by_role("button", name="Logga in"))
    expect(j.page.get_by_role("heading", name="Slå på tvåstegsverifiering")).to_be_visible()
    expect(j.page.get_by_role("navigation", name="Huvudmeny")).to_have_count(0)
    expect(j.page.get_by_role("link", name="Byt lösenord")).to_have_count(0)
    expect(j.page.locator("header").get_by_role("button", name="Logga ut")).to_be_visible()
    j.snap("setup without menu")


def test_a_user_who_chooses_two_factor_keeps_the_menu(journey, world):
    j = journey("sidram-valfri-tvastegsverifiering")
    j.enter_as(world.consultant.user)
    j.goto("/tvastegsverifiering/aktivera/")
    expect(j.page.get_by_role("heading", name="Slå på tvåstegsverifiering")).to_be_visible()
    expect(j.page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()


def test_not_found_page_in_the_layout(journey, world):
    j = journey("sidram-404")
    j.enter_as(world.consultant.user)
    j.goto("/finns-inte/")
    expect(j.page.get_by_role("heading", name="Sidan finns inte")).to_be_visible()
    expect(j.page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
    expect(j.page).to_have_title(re.compile("Sidan finns inte – Byråportalen"))
    j.click(j.page.get_by_role("link", name="Till startsidan"))
    expect(j.page.get_by_role("heading", name="Välkommen, Erik")).to_be_visible()
