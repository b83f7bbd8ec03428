"""Every HTML page carries the Content-Security-Policy and the usual
security headers: each GET route is fetched by the insiders who may see it.
No response of the app may be cached: every route, for every role."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.access_routes import NO_OBJECT_ROUTES, RULES, all_routes

pytestmark = pytest.mark.django_db


def test_every_html_page_has_csp_and_security_headers(world, matrix):
    insiders = [world.firm_admin.user, world.sysadmin, world.consultant.user]
    checked = set()
    problems = []
    for name, pattern in all_routes():
        if name in RULES:
            url = reverse(name, kwargs=RULES[name](world, matrix))
        elif name in NO_OBJECT_ROUTES and not pattern.pattern.converters:
            url = reverse(name)
        else:
            continue
        for user in insiders:
            client = Client()
            client.force_login(user)
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            checked.add(name)
            policy = response.get("Content-Security-Policy", "")
            if "default-src 'self'" not in policy or "script-src 'self'" not in policy:
                problems.append(f"{url}: CSP {policy!r}")
            if "unsafe-inline" in policy or "unsafe-eval" in policy:
                problems.append(f"{url}: unsafe CSP {policy!r}")
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{url}: no nosniff")
            if response.get("X-Frame-Options") != "DENY":
                problems.append(f"{url}: frames allowed")
            if response.get("Referrer-Policy") != "same-origin":
                problems.append(f"{url}: referrer policy")
            if "<script>" in response.text or " onclick=" in response.text:
                problems.append(f"{url}: inline script")
    assert problems == []
    assert len(checked) >= 15, sorted(checked)


def test_login_page_headers(client, db):
    response = client.get(reverse("login"))
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_no_response_is_kept_by_a_cache(world, matrix):
    """Every route the URL resolver knows, fetched by each role and by nobody:
    pages, exports (CSV, PDF), redirects, 404s and 405s alike say
    `private, no-store`."""
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    users = [
        world.firm_admin.user,
        world.consultant.user,
        world.sysadmin,
        world.client_user,
        world.other_firm_consultant.user,
        staff,
        None,
    ]
    urls = ["/admin/", "/admin/firm_portal/user/", "/en-okand-sida/"]
    for name, pattern in all_routes():
        if name in RULES:
            urls.append(reverse(name, kwargs=RULES[name](world, matrix)))
        elif not pattern.pattern.converters:
            urls.append(reverse(name))
    problems, exports = [], set()
    for user in users:
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            if not {"private", "no-store"} <= directives:
                problems.append(f"{url} ({user}): {response.status_code} {directives}")
            content_type = response.get("Content-Type", "")
            if response.status_code == 200 and "html" not in content_type:
                exports.add(content_type.split(";")[0])
    assert problems == []
    assert {"text/csv", "application/pdf"} <= exports
