"""Issue 14, item 10: "Skapa nytt samarbete" as a new user meets it, with
JavaScript on (HTMX swaps the steps) and off (full-page POSTs).

- "Kunden" asks for the organisationsnummer first: an existing customer
  (Visma scenario 1) is recognised before the other seven fields are typed.
- Samlingsfaktura with "Kunden" as payer is refused at the field.
- A wizard left half-way asks "Fortsätt där du slutade" or "Börja om".
- The step list marks the current step visibly (and with aria-current).
"""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from clients.catalogue import PLAN_PROGRAMS
from clients.models import Client, Subscription
from firm_portal.timeutils import today_in_stockholm
from licensing.models import ResellerAgreement
from tests.browser.conftest import Journey
from tests.conftest import World
from tests.licensing.factories import replace_price_list

pytestmark = pytest.mark.django_db(transaction=True)

NEW_ORG = "556036-0793"

# The current step's look against the others': filled, bold.
STEP_STYLES_JS = """() => [...document.querySelectorAll('.wizard-steps li')].map(li => {
  const style = getComputedStyle(li);
  return {
    current: li.getAttribute('aria-current'),
    text: li.textContent.trim(),
    background: style.backgroundColor,
    weight: style.fontWeight,
    color: style.color,
  };
})"""


def prices(world: World) -> None:
    replace_price_list(
        plans={"faktura": ("100.00", "80.00"), "start": ("200.00", "160.00"),
               "smart": ("300.00", "240.00"), "pro": ("450.00", "360.00")},
        programs={(plan, code): ("150.00", "120.00")
                  for plan, codes in PLAN_PROGRAMS.items() for code in codes},
        valid_from=today_in_stockholm() - timedelta(days=400),
    )  # fmt: skip
    ResellerAgreement.objects.create(
        firm=world.firm, valid_from=today_in_stockholm() - timedelta(days=30), reference="ÅF-1"
    )


def heading(j: Journey, number: int) -> None:
    expect(j.page.get_by_role("heading", name=re.compile(f"Steg {number} av 5"))).to_be_visible()


def current_step_is_marked(j: Journey, title: str) -> None:
    """Exactly one step carries aria-current="step", it is `title`, and it
    looks different from every other step (not only to screen readers)."""
    steps = j.page.evaluate(STEP_STYLES_JS)
    current = [step for step in steps if step["current"] == "step"]
    assert [step["text"] for step in current] == [title], steps
    others = [step for step in steps if step["current"] != "step"]
    for other in others:
        assert (other["background"], other["weight"], other["color"]) != (
            current[0]["background"],
            current[0]["weight"],
            current[0]["color"],
        ), steps
    assert current[0]["background"] not in ("rgba(0, 0, 0, 0)", "transparent"), steps
    assert int(current[0]["weight"]) >= 600, steps


def walk_the_wizard(j: Journey, world: World) -> None:
    """The same clicks with JavaScript on and off."""
    j.goto("/samarbeten/nytt/")
    heading(j, 1)
    current_step_is_marked(j, "Variant")
    j.click(j.page.get_by_label("Smart – grundavgift"))
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))
    heading(j, 2)
    current_step_is_marked(j, "Licenser")
    j.fill(j.page.get_by_label("Antal licenser för Bokföring"), "2")
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))

    # "Kunden": the organisationsnummer alone, and an existing customer is
    # recognised from it.
    heading(j, 3)
    current_step_is_marked(j, "Kunden")
    expect(j.page.get_by_label("Företagsnamn")).to_have_count(0)
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))
    expect(
        j.page.get_by_text("Bageriet Solsidan AB har redan ett abonnemang hos oss.")
    ).to_be_visible()
    expect(j.page.get_by_role("button", name="Fortsätt med Ny klient")).to_be_visible()
    expect(j.page.get_by_label("Företagsnamn")).to_have_count(0)
    j.snap("existing customer recognised")

    # A new customer: the rest of the step.
    j.fill(j.page.get_by_label("Organisationsnummer"), NEW_ORG)
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))
    expect(j.page.get_by_text(f"{NEW_ORG} har inget abonnemang hos oss")).to_be_visible()
    for label, value in [
        ("Företagsnamn", "Fjällbageriet AB"),
        ("Utdelningsadress", "Storgatan 1"),
        ("Postnummer", "903 26"),
        ("Ort", "Umeå"),
        ("E-post för fakturor", "faktura@fjallbageriet.se"),
        ("Namn", "Karin Kontakt"),
        ("E-post", "karin@fjallbageriet.se"),
    ]:
        j.fill(j.page.get_by_label(label, exact=True), value)
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))

    # "Betalning": Samlingsfaktura with the customer as payer is refused.
    heading(j, 4)
    current_step_is_marked(j, "Betalning")
    j.click(j.page.get_by_label("Kunden", exact=True))
    j.click(j.page.get_by_label("Samlingsfaktura", exact=True))
    j.click(j.page.get_by_label("12 månader"))
    j.click(j.page.get_by_role("button", name="Fortsätt", exact=True))
    message = j.page.get_by_text(
        "Samlingsfaktura går bara till byrån. Välj byrån som fakturamottagare.", exact=True
    )
    expect(message).to_be_visible()
    heading(j, 4)
    j.snap("samlingsfaktura refused")

    # Left half-way: the start page, then back.
    j.click(j.page.get_by_role("link", name="Start", exact=True))
    j.click(j.page.get_by_role("link", name="Skapa nytt samarbete"))
    expect(j.page.get_by_role("heading", name="Du har ett påbörjat samarbete")).to_be_visible()
    expect(j.page.get_by_text("Du slutade vid steg 4 av 5: Betalning.")).to_be_visible()
    expect(j.page.get_by_text(f"Kunden: Fjällbageriet AB, {NEW_ORG}.")).to_be_visible()
    j.snap("continue or start over")
    j.click(j.page.get_by_role("button", name="Fortsätt där du slutade"))
    heading(j, 4)
    expect(j.page.get_by_label("Kunden", exact=True)).to_be_checked()

    # And once more, to start over.
    j.click(j.page.get_by_role("link", name="Start", exact=True))
    j.click(j.page.get_by_role("link", name="Skapa nytt samarbete"))
    j.click(j.page.get_by_role("button", name="Börja om"))
    heading(j, 1)
    expect(j.page.get_by_role("heading", name="Du har ett påbörjat samarbete")).to_have_count(0)
    expect(j.page.get_by_label("Smart – grundavgift")).not_to_be_checked()
    assert not Client.objects.filter(org_number=NEW_ORG).exists()
    assert Subscription.objects.count() == 2  # the world's two, nothing new


def test_the_wizard_with_javascript(journey, world):
    prices(world)
    j = journey("14-nytt-samarbete-med-javascript")
    j.enter_as(world.consultant.user)
    walk_the_wizard(j, world)


@pytest.fixture
def no_javascript(browser: Browser, live_server) -> Iterator[Journey]:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield Journey(page, live_server.url, "14-nytt-samarbete-utan-javascript")
    finally:
        context.close()


def test_the_wizard_without_javascript(no_javascript, world):
    prices(world)
    no_javascript.enter_as(world.consultant.user)
    walk_the_wizard(no_javascript, world)
