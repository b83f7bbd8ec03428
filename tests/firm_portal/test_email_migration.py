"""firm_portal 0008: stored addresses get their one form, unless another
account already holds it."""

from importlib import import_module

import pytest
from django.apps import apps

from firm_portal.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_stored_addresses_are_normalised_once(db: None) -> None:
    idn = factories.UserFactory()
    fullwidth = factories.UserFactory()
    clash = factories.UserFactory(email="anna@example.se")
    twin = factories.UserFactory()
    # As rows made before the normaliser could look (update() skips save()).
    User.objects.filter(pk=idn.pk).update(email="per@exämple.se")
    User.objects.filter(pk=fullwidth.pk).update(email="\uff4c\uff45\uff4e\uff41@example.se")
    User.objects.filter(pk=twin.pk).update(email="\uff41nna@example.se")
    migration = import_module("firm_portal.migrations.0008_user_email_normalised")
    migration.normalise_emails(apps, None)
    assert User.objects.get(pk=idn.pk).email == "per@xn--exmple-cua.se"
    assert User.objects.get(pk=fullwidth.pk).email == "lena@example.se"
    assert User.objects.get(pk=clash.pk).email == "anna@example.se"
    assert User.objects.get(pk=twin.pk).email == "\uff41nna@example.se"  # left for support
    assert User.objects.by_email("PER@EXÄMPLE.se") == User.objects.get(pk=idn.pk)
