"""`manage.py seed_demo` run as in the README, and a demo user logged in
(tests/firm_portal/test_seed_demo.py and the demo's other tests; the empty
database they start from: the `empty_database_after_migrate` fixture in
conftest.py)."""

import io

from django.core.management import call_command
from django.test import Client as HttpClient

from firm_portal.models import User


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def logged_in(email: str) -> HttpClient:
    client = HttpClient()
    client.force_login(User.objects.get(email=email))
    return client
