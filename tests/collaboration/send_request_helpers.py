"""Flow 1, "Skicka förfrågan": its URL and form data, and a client logged in
(tests/collaboration/test_views.py, test_request_limits.py)."""

from django.urls import reverse

SEND = reverse("collaboration:send_request")


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def send_data(world, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "org_number": world.subscription.client.org_number,
        "subscription_number": world.subscription.number,
        "kind": "existing",
        "responsible_consultant": world.consultant.pk,
        "start": "direct",
        "start_date": "",
    }
    data.update(overrides)
    return data
