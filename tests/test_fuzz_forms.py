"""Fuzzing the form endpoints and the query strings with hypothesis: every
field of every form in tests/bad_input_forms.FORMS, every field the routes in
NO_TYPED_INPUT read (recorded while posting to them as each role), and every
query parameter of every page in tests/bad_input_pages.GET_PAGES, gets
generated text (any unicode, control characters and NUL included), Unicode
and superscript digits, numbers up to 5,000 digits, dates from year 1 to 9999
and known nasties. No answer may be a server error, a form that is shown
again (refused) must have written nothing, and a GET writes nothing.

`make test` runs the short "ci" profile (30 inputs per form); `make fuzz`
the long one (HYPOTHESIS_PROFILE=long, several minutes) and reports how many
inputs were tried in FUZZ_REPORT.
"""

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.http import request as http_request
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access_routes import RULES, all_routes, matrix_objects
from tests.bad_input_forms import (
    FORMS,
    NO_TYPED_INPUT,
    dummy_kwargs,
    form_objects,
    form_url,
    logged_in_client,
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

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
settings.register_profile(
    "long",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


@pytest.fixture
def objects(world: World) -> dict[str, Any]:
    return form_objects(world)


NASTIES = [
    "",
    " ",
    "\x00",
    "\u202e\u200b\ufeff",
    "<script>alert(1)</script>",
    "'; DROP TABLE firm_portal_user; --",
    "%s%n{0}{{x}}",
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
    "²",  # "²".isdigit() is true, int("²") fails
    "r²-",
    "9" * 5000,  # int() refuses more than 4,300 digits
    "-" + "9" * 19,
    "Bo\x00Ek",
    *QUERY_VALUES.values(),
    "556036-0794",
    "19850101-1235",
    "-1",
    "0",
    "9" * 40,
    "1e308",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "+46 70 000 00 00",
    "Å" * 300,
]


def field_values(valid: object) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(str(valid)),
        st.text(max_size=300),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=20),
        # Digits of every script, superscripts (category No) included.
        st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=25),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.integers(min_value=4000, max_value=6000).map(lambda n: "7" * n),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
        st.sampled_from(NASTIES),
    )


def _report(route: str, tried: int, seconds: float) -> None:
    path = os.environ.get("FUZZ_REPORT")
    if path:
        with Path(path).open("a", encoding="utf-8") as report:
            report.write(f"{route}\t{tried}\t{seconds:.1f}\n")


@pytest.mark.parametrize("route", list(FORMS))
def test_fuzzed_forms_never_fail_and_refusals_write_nothing(
    world: World, objects: dict[str, Any], route: str
) -> None:
    form = FORMS[route]
    client = logged_in_client(form, world, objects)
    url = form_url(route, form, world, objects)
    valid = form.valid(world, objects)
    tried = 0
    started = time.monotonic()

    @settings(settings.get_profile(PROFILE))
    @given(data=st.fixed_dictionaries({key: field_values(value) for key, value in valid.items()}))
    def post(data: dict[str, str]) -> None:
        nonlocal tried
        tried += 1
        before = snapshot()
        responses = post_and_follow(client, url, data)
        statuses = [response.status_code for response in responses]
        assert all(status < 500 for status in statuses), (statuses, data)
        if statuses[0] not in (301, 302, 303):
            # Shown again means refused: nothing may have been written.
            assert snapshot() == before, data

    post()
    _report(route, tried, time.monotonic() - started)
    assert tried > 0


@pytest.mark.parametrize("label", list(GET_PAGES))
def test_fuzzed_query_strings_never_fail_and_write_nothing(world: World, label: str) -> None:
    page = GET_PAGES[label]
    matrix = matrix_objects(world)
    client = role_client(world, page.actor)
    url = page_url(page, world, matrix)
    tried = 0
    started = time.monotonic()

    @settings(settings.get_profile(PROFILE))
    @given(
        params=st.fixed_dictionaries({name: field_values("") for name in page.params}),
        extra=st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=2),
    )
    def fetch(params: dict[str, str], extra: dict[str, str]) -> None:
        nonlocal tried
        tried += 1
        response = client.get(url, {**extra, **page.base, **params}, **page.headers)
        assert response.status_code < 500, (response.status_code, params, extra)

    before = snapshot()
    fetch()
    assert snapshot() == before
    _report(f"GET {label}", tried, time.monotonic() - started)
    assert tried > 0


def _post_fields_read(
    world: World, url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, set[str]]:
    """The role whose POST the route reads most of, and the fields it reads."""
    monkeypatch.setattr(http_request, "QueryDict", RecordingQueryDict)
    found: tuple[str, set[str]] = ("firm_admin", set())
    for role in ROLES[1:]:
        RecordingQueryDict.asked.clear()
        role_client(world, role).post(url, "", content_type="application/x-www-form-urlencoded")
        if len(RecordingQueryDict.asked) > len(found[1]):
            found = (role, set(RecordingQueryDict.asked))
    monkeypatch.undo()
    return found


@pytest.mark.parametrize("route", sorted(NO_TYPED_INPUT))
def test_fuzzed_posts_without_typed_input_never_fail(
    world: World, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buttons, checkboxes and choices still get garbage in every field."""
    pattern = dict(all_routes())[route]
    matrix = matrix_objects(world)
    kwargs = RULES[route](world, matrix) if route in RULES else dummy_kwargs(pattern)
    url = reverse(route, kwargs=kwargs)
    role, fields = _post_fields_read(world, url, monkeypatch)
    client = role_client(world, role)
    tried = 0
    started = time.monotonic()

    @settings(settings.get_profile(PROFILE))
    @given(
        data=st.fixed_dictionaries({name: field_values("on") for name in sorted(fields)}),
        extra=st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=2),
    )
    def post(data: dict[str, str], extra: dict[str, str]) -> None:
        nonlocal tried
        tried += 1
        response = client.post(url, {**extra, **data})
        assert response.status_code < 500, (response.status_code, data, extra)

    post()
    _report(f"POST {route}", tried, time.monotonic() - started)
    assert tried > 0
