"""Flow 4, "Bjud in klientanvändare": clients to invite users to, and the
form's rows posted (tests/clients/test_bulk_invitations.py and the tests of
invitations, join offers and account takeover that start there)."""

from django.urls import reverse

from clients.models import Membership
from tests import factories

NEW = reverse("clients:invite_new")


def make_invitable(world, names):  # type: ignore[no-untyped-def]
    """Clients of firm A where Erik (firm A) is sysadmin and which have no
    users of their own."""
    subscriptions = []
    for name in names:
        coupling = factories.CouplingFactory(firm=world.firm, subscription__client__name=name)
        Membership.objects.create(
            subscription=coupling.subscription,
            user=world.consultant.user,
            consultant=world.consultant,
            is_sysadmin=True,
        )
        subscriptions.append(coupling.subscription)
    return subscriptions


def row(subscription, name="", email="", username="", mobile=""):  # type: ignore[no-untyped-def]
    prefix = f"r{subscription.pk}"
    return {
        f"{prefix}-full_name": name,
        f"{prefix}-email": email,
        f"{prefix}-username": username,
        f"{prefix}-mobile": mobile,
    }


def post(client, *rows):  # type: ignore[no-untyped-def]
    data = {}
    for item in rows:
        data.update(item)
    return client.post(NEW, data)
