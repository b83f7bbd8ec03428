"""Every URL with an object in it, tried by every role of the other tenant.

The test walks the URL resolver: a new route with an object reference and no
rule in tests/access_routes.py fails the suite, so nobody can add a view
without deciding who may reach it. Outsiders get 404 (anonymous: the login
page) and nothing changes.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from clients.models import Membership
from ledger.models import AccessEvent, DeniedAttempt
from tests import factories
from tests.access_routes import NO_OBJECT_ROUTES, RULES, all_routes
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_every_route_has_a_rule() -> None:
    missing = []
    for name, pattern in all_routes():
        has_object = (
            bool(pattern.pattern.converters) or "(?P<" in str(pattern.pattern)
        ) and NO_OBJECT_ROUTES.get(name) != "public"
        if has_object and name not in RULES:
            missing.append(name)
        if not has_object and name not in NO_OBJECT_ROUTES:
            missing.append(name)
    assert missing == [], f"Routes without an access rule: {missing}"


def snapshot() -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    state = {}
    for label in (
        "firm_portal",
        "clients",
        "collaboration",
        "licensing",
        "notifications",
        "ledger",
    ):
        for model in apps.get_app_config(label).get_models():
            if model in (AccessEvent, DeniedAttempt):
                continue  # denied attempts are logged there, see below
            state[model._meta.label] = sorted(tuple(row.values()) for row in model.objects.values())
    return state


OUTSIDERS = ["anonymous", "other_firm_consultant", "other_sysadmin", "client_user"]


def outsider_user(world: World, role: str):  # type: ignore[no-untyped-def]
    user = getattr(world, role)
    return getattr(user, "user", user)


def outsider_client(world: World, role: str) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    user = getattr(world, role)
    client.force_login(getattr(user, "user", user))
    return client


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_get_404_and_change_nothing(world: World, matrix, role: str) -> None:
    # Firm B is coupled elsewhere and its consultant is even sysadmin there,
    # so "other tenant" means someone with real rights, just not here.
    factories.CouplingFactory(
        firm=world.other_firm_consultant.firm, subscription=world.other_subscription
    )
    Membership.objects.create(
        subscription=world.other_subscription,
        user=world.other_firm_consultant.user,
        consultant=world.other_firm_consultant,
        is_sysadmin=True,
    )
    # ...and a firm admin and program admin of its own firm.
    world.other_firm_consultant.is_firm_admin = True
    world.other_firm_consultant.is_client_manager_admin = True
    world.other_firm_consultant.save()
    client = outsider_client(world, role)
    before = snapshot()
    failures = []
    for name, _pattern in all_routes():
        if name not in RULES:
            continue
        url = reverse(name, kwargs=RULES[name](world, matrix))
        statuses = {}
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"level": "admin"}, HTTP_HX_REQUEST="true")
            statuses[method] = response.status_code
            if role == "anonymous" and not (
                response.status_code == 302 and response["Location"].startswith("/logga-in/")
            ):
                failures.append(f"{method.upper()} {url} as anonymous: {response.status_code}")
        # 405 for a method the view does not take leaks nothing; the method it
        # does take must answer 404.
        if role != "anonymous" and (
            set(statuses.values()) - {404, 405} or 404 not in statuses.values()
        ):
            failures.append(f"{url} as {role}: {statuses}")
    assert failures == []
    assert snapshot() == before
    if role != "anonymous":
        denied = AccessEvent.objects.filter(kind=AccessEvent.Kind.ACCESS_DENIED)
        assert denied.exists()
        assert set(denied.values_list("actor_id", flat=True)) == {outsider_user(world, role).pk}


@pytest.mark.parametrize("role", OUTSIDERS[1:])
def test_admin_is_for_staff_only(world: World, matrix, role: str) -> None:
    client = outsider_client(world, role)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        instance = model._default_manager.first()
        urls = [reverse("admin:{}_{}_changelist".format(*info))]
        if instance is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[instance.pk]))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url
