"""Two (twenty) sysadmins approving at once give exactly one coupling."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from clients.models import Membership
from collaboration.models import CollaborationRequest, Coupling
from notifications.models import OutboxMessage
from tests import factories

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_approvals_make_one_coupling(world):
    sysadmins = [world.sysadmin] + [
        factories.MembershipFactory(subscription=world.subscription, is_sysadmin=True).user
        for _ in range(THREADS - 1)
    ]
    request = factories.CollaborationRequestFactory(
        firm=world.firm, subscription=world.subscription, responsible_consultant=world.consultant
    )
    url = reverse("collaboration:approve_request", args=[world.subscription.number, request.pk])
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def approve(user):  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            response = client.post(url, follow=True)
            with lock:
                results.append((response.status_code, response.text))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in sysadmins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == THREADS
    assert all(status == 200 for status, _ in results)
    assert Coupling.objects.count() == 1
    request.refresh_from_db()
    assert request.status == CollaborationRequest.Status.APPROVED
    winners = [
        text for _, text in results if "Samarbetet med Revisorerna Norr AB är godkänt" in text
    ]
    losers = [text for _, text in results if "Förfrågan är redan hanterad: godkänd av" in text]
    assert (len(winners), len(losers)) == (1, THREADS - 1)
    assert Membership.objects.filter(user=world.consultant.user).count() == 1
    # One set of emails: the requester and the responsible consultant.
    assert OutboxMessage.objects.filter(template="collaboration-approved").count() == 1
    assert len([m for m in mail.outbox if "har godkänt samarbetet" in m.subject]) == 1
