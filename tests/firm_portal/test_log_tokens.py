"""The secret segments of signed links never reach the logs: the request
line, Django's "Not Found: …" and any other record keep the route's shape
("/inbjudan/<token>/") without the token (firm_portal/log_redaction.py)."""

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clients.invitations.services import invitation_create, invitation_url
from clients.models import Invitation
from firm_portal.log_format import JsonFormatter
from firm_portal.log_redaction import RedactPersonalData, redact_path
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db


def token_urls(world: World) -> list[tuple[str, list[str]]]:
    """Each token URL with the secrets in it."""
    user = factories.UserFactory(password="!")
    invitation = invitation_create(user=user, invited_by=world.firm_admin.user, firm=world.firm)
    invitation_path = invitation_url(invitation).split("://", 1)[1].split("/", 1)[1]
    token = invitation_path.strip("/").split("/")[-1]
    expired = invitation_create(
        user=factories.UserFactory(password="!"), invited_by=world.firm_admin.user
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    expired_path = invitation_url(expired).split("://", 1)[1].split("/", 1)[1]
    expired_token = expired_path.strip("/").split("/")[-1]
    acceptance_token = signing.dumps({"a": 12345, "n": "hemlig-nonce-xyz"}, salt="x")
    uidb64 = urlsafe_base64_encode(force_bytes(world.sysadmin.pk))
    reset_token = default_token_generator.make_token(world.sysadmin)
    return [
        (f"/{invitation_path}", [token]),
        (f"/{expired_path}", [expired_token]),
        (reverse("invitation_renew", args=[expired_token]), [expired_token]),
        (reverse("collaboration:new_customer_accept", args=[acceptance_token]), [acceptance_token]),
        (reverse("password_reset_confirm", args=[uidb64, reset_token]), [reset_token]),
    ]


def test_no_token_in_the_request_log(world: World, log_output: io.StringIO) -> None:
    urls = token_urls(world)
    for path, _secrets in urls:
        client = Client()
        client.get(path, follow=True)
        client.post(path, {})
    written = log_output.getvalue()
    for path, secrets in urls:
        for secret in secrets:
            assert secret not in written, (path, secret)
    assert "GET /inbjudan/<token>/ " in written
    assert "/inbjudan/<token>/ny-lank/" in written
    assert "GET /samarbeten/godkann/<token>/ " in written
    assert "GET /losenord/aterstall/<uidb64>/<token>/ " in written


def test_json_lines_and_not_found_are_redacted_too() -> None:
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/inbjudan/Hemlig1/",),
        None,
    )
    RedactPersonalData().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Not Found: /inbjudan/<token>/"


def _patterns(resolvers: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    found = []
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # object ids, no secrets
            found += _patterns(entry.url_patterns, route)
        else:
            found.append(route)
    return found


# Routes whose string segments are no secret (a program code from the catalogue).
NOT_SECRET = {
    "abonnemang/<int:number>/behorigheter/<int:membership_id>/program/<slug:program_code>/",
    "abonnemang/<int:number>/licenser/<slug:program_code>/",
}


def test_every_route_with_a_string_segment_is_redacted() -> None:
    """A new signed-link route fails here until log_redaction knows it (or
    NOT_SECRET lists it)."""
    routes = [
        route
        for route in _patterns(get_resolver().url_patterns)
        if re.search(r"<(?!int:)[^>]+>", route) and route not in NOT_SECRET
    ]
    assert len(routes) == 4, routes
    for route in routes:
        sample = re.sub(r"<(?!int:)[^>]+>", "Hemlig9Token", route)
        sample = "/" + re.sub(r"<int:[^>]+>", "7", sample)
        assert "Hemlig9Token" not in redact_path(sample), route
