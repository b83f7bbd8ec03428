"""Bad input on every form and every query string: wrong check digits,
overlong text, control characters and NUL, HTML, superscript and other
Unicode digits, negative, huge and 5,000-digit numbers, dates far away,
duplicate rows.

Each POST case must answer with the form (or the page it redirects to)
carrying a Swedish message, never a server error, and must leave every table
as it was. Each query-string value must answer 200 or 400 with a Swedish
message at the filter, or the page's empty result. The tests walk the URL
resolver like the access matrix: a route that takes a POST needs cases in
FORMS or a reason in NO_TYPED_INPUT (tests/bad_input_forms.py), and every
query parameter any view reads (recorded while each route is fetched by each
role) needs a place in GET_PAGES (tests/bad_input_pages.py), so a new form
or filter without cases fails here. tests/test_fuzz_forms.py fuzzes both
tables.
"""

from collections import defaultdict
from typing import Any

import pytest
from django.core.handlers import wsgi
from django.test import Client
from django.urls import reverse

from tests.access_routes import RULES, all_routes
from tests.bad_input_forms import (
    FORMS,
    NO_TYPED_INPUT,
    dummy_kwargs,
    form_objects,
    form_url,
    logged_in_client,
    payload_for,
    post_and_follow,
    snapshot,
)
from tests.bad_input_pages import (
    GET_PAGES,
    QUERY_VALUES,
    ROLES,
    RecordingQueryDict,
    page_url,
    role_client,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(world: World) -> dict[str, Any]:
    return form_objects(world)


def test_every_form_has_cases(world: World, objects: dict[str, Any]) -> None:
    """Every route that takes a POST (it does not answer 405) is in FORMS or
    NO_TYPED_INPUT: a new form without bad-input cases fails here."""
    client = Client()
    missing = []
    for name, pattern in all_routes():
        client.force_login(world.other_sysadmin)  # again: one of them is "Logga ut"
        url = reverse(name, kwargs=dummy_kwargs(pattern))
        if client.post(url).status_code == 405:
            continue
        if name not in FORMS and name not in NO_TYPED_INPUT:
            missing.append(name)
    assert missing == [], f"Routes taking a POST without bad-input cases: {missing}"


CASES = [(route, case) for route, form in FORMS.items() for case in form.cases]


@pytest.mark.parametrize(("route", "case"), CASES, ids=[f"{r}: {c}" for r, c in CASES])
def test_bad_input_is_refused_in_swedish_and_writes_nothing(
    world: World, objects: dict[str, Any], route: str, case: str
) -> None:
    form = FORMS[route]
    client = logged_in_client(form, world, objects)
    url = form_url(route, form, world, objects)
    data = payload_for(form, case, world, objects)
    before = snapshot()
    responses = post_and_follow(client, url, data)
    statuses = [response.status_code for response in responses]
    assert all(status < 500 for status in statuses), statuses
    final = responses[-1]
    assert final.status_code in (200, 409, 422), statuses
    _overrides, message = form.cases[case]
    text = final.content.decode()
    assert message in text, f"{message!r} not in the answer to {route} ({case})"
    assert "<script>alert" not in text  # what was typed is escaped when shown again
    assert snapshot() == before


# --- Query strings ---------------------------------------------------------------------


def test_every_query_parameter_has_cases(
    world: World, matrix: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every query parameter a view reads, fetched by every role, is in
    GET_PAGES: a new GET filter without bad-input cases fails here."""
    monkeypatch.setattr(wsgi, "QueryDict", RecordingQueryDict)
    declared: dict[str, set[str]] = defaultdict(set)
    for page in GET_PAGES.values():
        declared[page.route] |= set(page.params)
    missing = set()
    for name, pattern in all_routes():
        kwargs = RULES[name](world, matrix) if name in RULES else dummy_kwargs(pattern)
        url = reverse(name, kwargs=kwargs)
        for role in ROLES:
            client = role_client(world, role)
            RecordingQueryDict.asked.clear()
            client.get(url)
            missing |= {f"{name}?{key}" for key in RecordingQueryDict.asked - declared[name]}
    assert not missing, f"Query parameters without bad-input cases: {sorted(missing)}"


PARAMS = [(label, param) for label, page in GET_PAGES.items() for param in page.params]


@pytest.mark.parametrize(("label", "param"), PARAMS, ids=[f"{p}: {name}" for p, name in PARAMS])
def test_bad_query_values_are_refused_in_swedish_or_find_nothing(
    world: World, matrix: dict[str, Any], label: str, param: str
) -> None:
    page = GET_PAGES[label]
    client = role_client(world, page.actor)
    url = page_url(page, world, matrix)
    expectation = page.params[param]
    before = snapshot()
    failures = []
    for kind, value in QUERY_VALUES.items():
        response = client.get(url, {**page.base, param: value}, **page.headers)
        text = response.content.decode("utf-8-sig")
        message = expectation.refused.get(kind)
        if response.status_code not in page.statuses:
            failures.append(f"{kind}: {response.status_code}")
        elif message is not None and message not in text:
            failures.append(f"{kind}: {message!r} not shown")
        elif message is None and expectation.searches and page.empty not in text:
            failures.append(f"{kind}: not the empty result ({page.empty!r})")
        elif "<script>alert" in text:
            failures.append(f"{kind}: not escaped")
    assert failures == [], f"{label} ?{param}="
    assert snapshot() == before
