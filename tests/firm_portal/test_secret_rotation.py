"""Rotating SECRET_KEY with SECRET_KEY_FALLBACKS keeps people logged in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
OLD_KEY = "old-key-" + "o" * 50
NEW_KEY = "new-key-" + "n" * 50


def test_sessions_survive_a_key_rotation_with_the_old_key_as_fallback(client, world, settings):
    settings.SECRET_KEY = OLD_KEY
    client.force_login(world.consultant.user)
    assert client.get(reverse("home")).status_code == 200

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert client.get(reverse("home")).status_code == 200
    # The session was re-signed with the new key: the old one can go.
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(reverse("home")).status_code == 200


def test_without_the_fallback_a_new_key_logs_everyone_out(client, world, settings):
    settings.SECRET_KEY = OLD_KEY
    client.force_login(world.consultant.user)
    settings.SECRET_KEY = NEW_KEY
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_ending_a_users_sessions_still_works_during_a_rotation(client, world, settings):
    settings.SECRET_KEY = OLD_KEY
    client.force_login(world.consultant.user)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    world.consultant.user.end_all_sessions()
    assert client.get(reverse("home")).status_code == 302
