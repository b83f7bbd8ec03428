"""Every HTMX form with JavaScript on: a bad value shows its message where
the form is, without a page load.

Forms answer bad input with 422 and the fragment that carries the messages;
htmx 2 swaps only 2xx answers unless told otherwise, so layout.html's
`responseHandling` makes it swap 4xx/5xx too, and a whole error page that
answers an HTMX request replaces <main> (HtmxErrorPageMiddleware). One
mechanism for the app: no form does anything of its own.

`test_every_htmx_form_has_a_case` finds every hx-get/hx-post in the templates
and in markup built in Python; each needs a test here that covers it (or a
reason in NO_MESSAGE), so a new HTMX form without a case fails.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clients.catalogue import PLAN_PROGRAMS
from clients.models import Membership, Subscription
from collaboration.models import CollaborationRequest, Coupling
from firm_portal.models import Consultant
from firm_portal.timeutils import today_in_stockholm
from tests import factories
from tests.browser.conftest import Journey
from tests.collaboration.collaborations_fixtures import make_collab
from tests.licensing.factories import replace_price_list

# On each browser test (the scan of the sources needs no database).
browser_db = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
APPS = ("firm_portal", "clients", "collaboration", "licensing", "notifications")
HX_REQUEST = re.compile(r'hx-(?:get|post|put|patch|delete)="([^"]+)"')

# Where an HTMX request has no bad value to give and no message to show.
NO_MESSAGE = {
    "templates/clients/invite_new.html: {% url 'clients:invite_username' row.subscription.pk %}": (
        "suggests a username from the name and e-mail typed on the row; any text is fine "
        "there and the row's errors come with the send (test_bulk_invitation_errors_show)"
    ),
    "templates/collaboration/access_review/review.html: {{ request.path }}": (
        "refreshes the review's progress after a decision; nothing is typed"
    ),
    "templates/collaboration/access_review/review.html: {% if subscription %}{% url "
    "'collaboration:subscription_access_review_row' subscription.number review.pk row.pk %}"
    "{% else %}{% url 'collaboration:access_review_row' review.pk row.pk %}{% endif %}": (
        "'Behåll' / 'Ta bort' are buttons with fixed values, nothing typed; a bad value "
        "posted by hand is refused with 'Välj Behåll eller Ta bort.' (tests/test_bad_input.py) "
        "and 'Begränsa' is a page of its own"
    ),
    "templates/collaboration/sent_request_row.html: {% url 'collaboration:remind_request' "
    "row.pk %}": (
        "'Påminn nu' is a button, nothing typed; the row comes back with 'Påmind i dag' "
        "(tests/browser/test_reminders.py), a refusal as a message in the row"
    ),
}

COVERED: dict[str, str] = {}


def covers(*keys: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test as the bad-value case of these HTMX requests."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        for key in keys:
            COVERED[key] = test.__name__
        return test

    return mark


def htmx_requests() -> set[str]:
    """ "file: hx-value" for every hx-get/hx-post written in a template or
    built in Python."""
    sources = sorted((ROOT / "templates").rglob("*.html"))
    sources += sorted(path for app in APPS for path in (ROOT / app).rglob("*.py"))
    return {
        f"{path.relative_to(ROOT)}: {value}"
        for path in sources
        for value in HX_REQUEST.findall(path.read_text(encoding="utf-8"))
    }


def test_every_htmx_form_has_a_case() -> None:
    found = htmx_requests()
    missing = sorted(found - COVERED.keys() - NO_MESSAGE.keys())
    assert not missing, "HTMX requests without a bad-value case in this file:\n" + "\n".join(
        missing
    )
    assert not (COVERED.keys() | NO_MESSAGE.keys()) - found, "cases for requests that are gone"


@contextmanager
def without_page_load(page: Page) -> Iterator[None]:
    """What happens inside is HTMX swapping a fragment: the page is not
    reloaded (a full page load would lose the marker)."""
    page.evaluate("() => { window.stillThisPage = true; }")
    yield
    assert page.evaluate("() => window.stillThisPage === true"), "the page was reloaded"


def message_shown(j: Journey, text: str) -> None:
    expect(j.page.get_by_text(text, exact=True)).to_be_visible()


@browser_db
@covers(
    "templates/collaboration/new_client.html: {% url 'collaboration:new_client' %}",
    "templates/collaboration/new_client.html: {% url 'collaboration:consultant_search' %}",
    "templates/collaboration/new_client.html: {% url 'collaboration:send_request' %}",
    "templates/collaboration/new_customer.html: {% url 'collaboration:new_customer' %}",
)
def test_consultant_forms_show_their_errors(journey, world):
    j = journey("htmx-fel-konsult")
    j.enter_as(world.consultant.user)
    j.goto("/klienter/ny/")

    with without_page_load(j.page):
        j.fill(j.page.get_by_label("Organisationsnummer"), "556036-0794")
        j.click(j.page.get_by_role("button", name="Fortsätt"))
        message_shown(j, "Organisationsnumret 556036-0794 är inte giltigt. Kontrollera siffrorna.")
        j.snap("bad organisationsnummer")

        j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
        j.click(j.page.get_by_role("button", name="Fortsätt"))
        expect(j.page.get_by_text("Sammankoppling med befintligt abonnemang")).to_be_visible()
        j.fill(j.page.get_by_label("Sök ansvarig konsult"), "Ingen-sådan")
        message_shown(j, "Ingen konsult på byrån matchar sökningen.")
        j.fill(j.page.get_by_label("Sök ansvarig konsult"), "Erik")
        j.click(j.page.get_by_label(re.compile("Erik Konsult")))

        # The case: a start date missing, then in the past → 422.
        j.click(j.page.get_by_label("Från ett visst datum"))
        j.click(j.page.get_by_role("button", name="Skicka förfrågan"))
        message_shown(j, "Ange ett startdatum.")
        j.snap("start date missing")
        yesterday = today_in_stockholm() - timedelta(days=1)
        j.fill(j.page.get_by_label("Startdatum"), yesterday.isoformat())
        j.click(j.page.get_by_role("button", name="Skicka förfrågan"))
        message_shown(j, "Startdatumet kan inte ligga i det förflutna.")
        expect(j.page.get_by_label("Startdatum")).to_have_attribute("aria-invalid", "true")
        j.snap("start date in the past")
    assert not CollaborationRequest.objects.exists()

    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", code): ("150.00", "120.00") for code in PLAN_PROGRAMS["smart"]},
        valid_from=today_in_stockholm() - timedelta(days=400),
    )
    j.goto("/samarbeten/nytt/")
    with without_page_load(j.page):
        j.click(j.page.get_by_label("Smart – grundavgift"))
        j.click(j.page.get_by_role("button", name="Fortsätt"))
        expect(j.page.get_by_role("heading", name=re.compile("Steg 2 av 5"))).to_be_visible()
        j.click(j.page.get_by_role("button", name="Fortsätt"))
        message_shown(j, "Välj minst en licens. Primärkontakten använder en av dem.")
        j.snap("no licences")


@browser_db
def test_the_past_start_date_message_shows_without_javascript_too(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        j = Journey(context.new_page(), live_server.url, "htmx-fel-utan-javascript")
        j.enter_as(world.consultant.user)
        j.goto("/klienter/ny/")
        j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
        j.click(j.page.get_by_role("button", name="Fortsätt"))
        j.click(j.page.get_by_label("Från ett visst datum"))
        yesterday = today_in_stockholm() - timedelta(days=1)
        j.fill(j.page.get_by_label("Startdatum"), yesterday.isoformat())
        j.click(j.page.get_by_role("button", name="Skicka förfrågan"))
        message_shown(j, "Startdatumet kan inte ligga i det förflutna.")
    finally:
        context.close()


@browser_db
def test_an_error_page_answering_htmx_replaces_the_main_content(journey, world):
    """A consultant whose licence was taken away while step 2 was open: the
    "Skicka förfrågan" answer is the whole "Licens saknas" page (403); it
    takes the place of <main>, not of the wizard inside it."""
    j = journey("htmx-felsida")
    j.enter_as(world.consultant.user)
    j.goto("/klienter/ny/")
    j.fill(j.page.get_by_label("Organisationsnummer"), world.subscription.client.org_number)
    j.click(j.page.get_by_role("button", name="Fortsätt"))
    expect(j.page.get_by_role("button", name="Skicka förfrågan")).to_be_visible()
    Consultant.objects.filter(pk=world.consultant.pk).update(has_client_manager_seat=False)

    with without_page_load(j.page):
        j.click(j.page.get_by_role("button", name="Skicka förfrågan"))
        heading = j.page.get_by_role("heading", name="Du behöver en licens för Klienthanteraren")
        expect(heading).to_be_visible()
    expect(j.page.locator("main")).to_have_count(1)
    expect(j.page.locator("header")).to_have_count(1)
    expect(j.page.get_by_role("heading", name="Ny klient")).to_have_count(0)
    j.snap("licence missing")


@browser_db
@covers(
    "templates/collaboration/client_list.html: {% url 'collaboration:client_list' %}",
    "templates/collaboration/collaborations.html: {% url 'collaboration:collaborations' %}",
    "templates/collaboration/collaborations_detail.html: {{ target.url_licenses }}",
    "templates/collaboration/collaborations_detail.html: {{ target.url_plan }}",
    "templates/collaboration/collaborations_detail.html: {{ target.url_recipient }}",
    "templates/collaboration/collaborations_end.html: {{ request.path }}",
    "templates/firm_portal/firm_users.html: {{ assignments_url }}",
    "templates/firm_portal/assignments.html: {% url 'firm_assignments' consultant.pk %}",
)
def test_firm_admin_forms_show_their_errors(journey, world):
    collab = make_collab(world)
    j = journey("htmx-fel-byraadministrator")
    j.enter_as(world.firm_admin.user)

    j.goto("/klienter/")
    with without_page_load(j.page):
        j.fill(j.page.get_by_label("Sök", exact=True), "Ingen-sådan")
        message_shown(j, "Inga klienter matchar sökningen.")

    j.click(j.page.get_by_role("link", name="Samarbeten", exact=True))
    with without_page_load(j.page):
        j.fill(j.page.get_by_label("Sök klient, organisationsnummer eller abonnemang"), "Ingen")
        message_shown(j, "Inget samarbete matchar sökningen.")

    j.goto(f"/klienter/{world.subscription.number}/samarbete/")
    with without_page_load(j.page):
        j.fill(j.page.get_by_label("Bokföring", exact=True), "-3")
        j.click(j.page.get_by_role("button", name="Spara licenser"))
        message_shown(j, "Ange ett antal mellan 0 och 999.")
        j.snap("licences refused")
        j.click(j.page.get_by_label("Smart", exact=True))
        j.click(j.page.get_by_role("button", name="Byt variant"))
        message_shown(j, "Abonnemanget har redan varianten Smart.")
        j.click(j.page.get_by_label("Revisorerna Norr AB – egen faktura per kund"))
        j.click(j.page.get_by_role("button", name="Byt fakturamottagare"))
        message_shown(j, "Det är redan den fakturamottagaren. Välj en annan.")

    j.click(j.page.get_by_role("link", name="Avsluta samarbete"))
    # Meanwhile the client's sysadmin hands the role to Erik alone: ending
    # would now leave the subscription with no sysadmin.
    Membership.objects.filter(pk=world.sysadmin_membership.pk).update(is_sysadmin=False)
    Membership.objects.filter(pk=collab.erik_membership.pk).update(is_sysadmin=True)
    with without_page_load(j.page):
        j.click(j.page.get_by_role("button", name="Ja, avsluta samarbetet"))
        refusal = j.page.get_by_role("alert").filter(has_text="är de enda systemadministratörerna")
        expect(refusal).to_have_count(1)
        expect(refusal).to_be_visible()
        j.snap("ending refused")
    assert Coupling.objects.get().status == Coupling.Status.ACTIVE

    j.click(j.page.get_by_role("link", name="Byråns användare"))
    with without_page_load(j.page):
        j.click(j.page.get_by_role("link", name="Klienthanteraren: klienter för Erik Konsult"))
        j.fill(j.page.get_by_label("Sök klient"), "Ingen-sådan")
        message_shown(j, "Inga klienter matchar sökningen.")
        j.snap("assignment search")


@browser_db
def test_bulk_invitation_errors_show(journey, world):
    """Not HTMX (a plain POST answered with 422): listed in the issue with
    the HTMX ones, so shown here too."""
    coupling = factories.CouplingFactory(firm=world.firm, subscription__client__name="Alfa AB")
    Membership.objects.create(
        subscription=coupling.subscription,
        user=world.consultant.user,
        consultant=world.consultant,
        is_sysadmin=True,
    )
    j = journey("fel-bjud-in")
    j.enter_as(world.firm_admin.user)
    j.goto("/klienter/bjud-in/nya/")
    j.fill(j.page.get_by_label("Namn, Alfa AB", exact=True), "Åsa Öberg")
    j.click(j.page.get_by_role("button", name="Skapa och bjud in användare"))
    message_shown(j, "Ange användarens e-post.")
    expect(j.page.get_by_label("Användarens e-post, Alfa AB")).to_have_attribute(
        "aria-invalid", "true"
    )
    j.snap("e-mail missing")


@browser_db
@covers(
    "clients/templatetags/permissions.py: {}",  # level_select: a level cell
    "templates/clients/permissions.html: "
    "{% url 'clients:set_sysadmin' subscription.number member.pk %}",
    "templates/clients/users.html: {{ end_date_url }}",
    "templates/clients/users.html: {{ access_url }}",
)
def test_sysadmin_forms_show_their_errors(journey, world):
    """Erik is the only sysadmin of a subscription with no licences."""
    subscription = factories.SubscriptionFactory(client__name="Fjällstugan Turism AB")
    factories.CouplingFactory(firm=world.firm, subscription=subscription)
    Membership.objects.create(
        subscription=subscription,
        user=world.consultant.user,
        consultant=world.consultant,
        is_sysadmin=True,
    )
    j = journey("htmx-fel-systemadministrator")
    j.enter_as(world.consultant.user)

    j.goto(f"/abonnemang/{subscription.number}/behorigheter/")
    with without_page_load(j.page):
        j.select(j.page.get_by_label("Bokföring för Erik Konsult"), "Läs")
        no_seat = j.page.get_by_text(re.compile("Det finns ingen ledig licens för Bokföring"))
        expect(no_seat).to_be_visible()
        j.click(j.page.get_by_label("Systemadministratör: Erik Konsult"))
        message_shown(
            j,
            "Erik Konsult är den enda systemadministratören. Gör någon annan till "
            "systemadministratör först.",
        )
        j.snap("permission cells refused")

    j.click(j.page.get_by_role("link", name="Administrera användare"))
    # A page left open since yesterday: its date picker still allows yesterday.
    yesterday = (today_in_stockholm() - timedelta(days=1)).isoformat()
    end_date = j.page.get_by_label("Åtkomst till och med")
    end_date.evaluate("(input, day) => { input.min = day; }", yesterday)
    with without_page_load(j.page):
        j.fill(end_date, yesterday)
        j.click(j.page.get_by_role("button", name="Spara slutdatum för Erik Konsult"))
        message_shown(j, "Datumet kan inte ligga i det förflutna.")
        j.click(j.page.get_by_role("button", name="Pausa åtkomst för Erik Konsult"))
        message_shown(
            j,
            "Erik Konsult är den enda systemadministratören. Gör någon annan till "
            "systemadministratör innan du pausar åtkomsten.",
        )
        j.snap("access refused")
    membership = Membership.objects.get(subscription=subscription)
    assert membership.ends_on is None and membership.suspended_at is None
    assert Subscription.objects.filter(pk=subscription.pk).exists()


@browser_db
@covers(
    "templates/clients/permissions.html: {{ license_url }}?{{ add_license_query }}",
    "templates/clients/permissions.html: {{ license_url }}",
    "templates/clients/add_license.html: {{ request.path }}",
)
def test_add_license_confirmation_shows_its_refusals(journey, world):
    """ "Lägg till licens" opens its confirmation above the grid; a price
    changed since it was shown, and a program with no price, are said there."""
    from decimal import Decimal

    from licensing.models import LicenseChange, ProgramPrice

    replace_price_list(
        plans={"smart": ("300.00", "240.00")},
        programs={("smart", "bokforing"): ("150.00", "120.00")},
    )
    j = journey("htmx-fel-lagg-till-licens")
    j.enter_as(world.sysadmin)
    j.goto(f"/abonnemang/{world.subscription.number}/behorigheter/")
    with without_page_load(j.page):
        j.select(j.page.get_by_label("Bokföring för Klas Klientanvändare"), "Läs")
        j.click(j.page.locator("td.cell.has-error").get_by_role("link", name="Lägg till licens"))
        box = j.page.locator("#license-confirm")
        expect(box).to_contain_text("150,00 kr per månad exkl. moms")
        ProgramPrice.objects.update(list_price=Decimal("175.00"))
        j.click(box.get_by_role("button", name="Bekräfta och lägg till licens"))
        message_shown(
            j, "Priset har ändrats sedan du öppnade sidan. Kontrollera det och bekräfta igen."
        )
        expect(box).to_contain_text("175,00 kr per månad exkl. moms")
        j.snap("price changed")
        j.click(j.page.get_by_role("link", name="Lägg till licens för Lön"))
        message_shown(j, "Pris saknas i prislistan för Lön.")
        expect(box.get_by_role("button", name="Bekräfta och lägg till licens")).to_have_count(0)
        j.snap("no price")
    assert not LicenseChange.objects.exists()
