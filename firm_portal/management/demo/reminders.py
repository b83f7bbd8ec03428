"""Flow 8 in the demo data (seed_demo): a request with reminders already sent."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from collaboration.models import CollaborationRequest
from collaboration.reminders.services import reminders_send_due


def remind_demo_request(request: CollaborationRequest) -> None:
    """The pending `request` (saved) was sent 11 days ago and its sysadmins
    were reminded after 3 and 10 days: the beat task's own code runs as it
    would have on those days, so the reminders are real rows and e-mails in
    the outbox. Its firm's start page shows "påmind 2 gånger"."""
    sent = timezone.now() - timedelta(days=11)
    CollaborationRequest.objects.filter(pk=request.pk).update(
        created_at=sent, expires_at=sent + timedelta(days=settings.COLLABORATION_REQUEST_TTL_DAYS)
    )
    for days in settings.REMINDER_DAYS:
        if days <= 10:
            reminders_send_due(now=sent + timedelta(days=days, hours=1))
