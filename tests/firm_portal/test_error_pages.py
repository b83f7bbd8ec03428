"""400/403/404/500 in the app's layout, Swedish with English through i18n,
as production serves them (DEBUG off); and how an HTMX request gets them."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.test import Client
from django.urls import path

from firm_portal.urls import urlpatterns as app_urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _bad_request(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a test")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a test")


urlpatterns = [
    *app_urlpatterns,
    path("test/400/", _bad_request),
    path("test/403/", _forbidden),
    path("test/500/", _crash),
]

PAGES = {
    # path: (status, Swedish heading, English heading)
    "/test/400/": (400, "Felaktig förfrågan", "Bad request"),
    "/test/403/": (403, "Du har inte behörighet", "You do not have permission"),
    "/finns-inte/": (404, "Sidan finns inte", "Page not found"),
    "/test/500/": (500, "Något gick fel", "Something went wrong"),
}


@pytest.fixture(autouse=True)
def _production_debug(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False


def get(client: Client, url: str, **headers: str) -> tuple[int, str]:
    client.raise_request_exception = False
    response = client.get(url, headers=headers)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_error_page_in_swedish_in_the_layout(client, world, url: str) -> None:
    client.force_login(world.consultant.user)
    status, page = get(client, url)
    expected_status, swedish, _english = PAGES[url]
    assert status == expected_status
    assert f"<h1>{swedish}</h1>" in page
    assert re.search(rf"<title>\s*{swedish}\s*– Byråportalen</title>", page)
    assert '<html lang="sv">' in page and '<main id="main">' in page
    assert "Hoppa till innehållet" in page and "favicon.ico" in page
    assert "Forbidden" not in page and "Not Found" not in page and "Server Error" not in page


@pytest.mark.parametrize("url", PAGES)
def test_error_page_in_english(client, url: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    status, page = get(client, url)
    assert status == PAGES[url][0]
    assert f"<h1>{PAGES[url][2]}</h1>" in page
    assert '<html lang="en">' in page


def test_pages_with_a_request_keep_the_menu(client, world) -> None:
    client.force_login(world.consultant.user)
    for url in ("/test/400/", "/test/403/", "/finns-inte/"):
        assert "Logga ut" in get(client, url)[1], url


def test_500_page_needs_no_request_context_or_database(django_assert_num_queries) -> None:
    """Django renders 500.html with no context at all: no request, no
    context processors (so no user, no menu), no query."""
    with django_assert_num_queries(0):
        page = get_template("500.html").render()
    assert "<h1>Något gick fel</h1>" in page and '<main id="main">' in page
    assert "Logga ut" not in page and "csrfmiddlewaretoken" not in page


def test_csrf_failure_is_swedish(world) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/logga-in/", {"username": world.sysadmin.email, "password": "x"})
    assert response.status_code == 403
    assert "<h1>Formuläret har gått ut</h1>" in response.content.decode()


def test_an_error_page_answering_htmx_is_sent_to_main(client, world) -> None:
    """htmx swaps error answers too (layout.html): a whole page must replace
    <main>, not land in the element that asked for a fragment."""
    client.force_login(world.consultant.user)
    for url in ("/finns-inte/", "/test/403/", "/test/500/"):
        client.raise_request_exception = False
        response = client.get(url, headers={"HX-Request": "true"})
        assert response["HX-Retarget"] == "#main", url
        assert response["HX-Reswap"] == "outerHTML"
        assert response["HX-Reselect"] == "#main"


def test_a_fragment_with_errors_keeps_its_target(client, world) -> None:
    client.force_login(world.consultant.user)
    response = client.post(
        "/klienter/ny/skicka/",
        {
            "org_number": world.subscription.client.org_number,
            "kind": "existing",
            "responsible_consultant": world.consultant.pk,
            "start": "date",
            "start_date": "",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Ange ett startdatum." in response.content.decode()
    assert "HX-Retarget" not in response
